/**
 * The pitfalls one host's configuration shows on its own. `keel lint` reports them per
 * host, and `keel -t` and the daemon's start print them as warnings (they never change
 * an exit status: keel must not refuse what keepalived accepts).
 *
 * strict mode (`vrrp_strict`, `strict_mode`): what keepalived 2.2.7's
 * vrrp_complete_instance (keepalived/vrrp/vrrp.c) refuses or changes. The ones
 * src/config/vrrp/check.ts already reports (authentication, unicast peers,
 * preempt_delay, down_timer_adverts, IPv6 with version 2) are not repeated here.
 */
import { isLinkLocal6 } from "../base/ip";
import { masterDownMs } from "../vrrp/timers";
import { type Finding, finding } from "./finding";
import { type InstanceView, type LintHost, locOf } from "./host";

/** A check's failover is called slow above this many seconds and three Master_Down_Intervals. */
export const SLOW_FAILOVER_S = 10;

export function singleHostFindings(host: LintHost, views: InstanceView[]): Finding[] {
  const out: Finding[] = [];
  for (const view of views) {
    const about = { host: host.name, instance: view.v.name };
    nopreemptWeights(view, out, about);
    strictAccept(view, out, about);
    strictRestrictions(view, out, about);
  }
  slowScripts(host, views, out);
  return out;
}

type About = { host: string; instance: string };

/** The weighted trackers of an instance: failing moves its priority (not a FAULT). */
export function weighted(view: InstanceView) {
  return view.trackers.filter((t) => t.failed !== undefined);
}

export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/**
 * keepalived vrrp_state_backup (and keel's Instance): a backup with nopreempt stays
 * backup on any advert, whatever its priority; only a master that stops advertising
 * (stop, FAULT, priority 0) lets it take over. So a weight on a nopreempt instance moves
 * the VIP only towards peers without nopreempt.
 */
function nopreemptWeights(view: InstanceView, out: Finding[], about: About): void {
  const w = weighted(view);
  const first = w[0];
  if (!view.p.nopreempt || !first) return;
  const list = w.map((t) => `${t.name} ${signed((t.failed as number) - t.healthy)}`).join(", ");
  out.push(
    finding(
      "nopreempt-weights",
      first.at,
      `(${view.v.name}) nopreempt with weighted trackers (${list} when failing): a backup with nopreempt never takes over from a master that still advertises, whatever its priority, so these weights move the VIP only to peers without nopreempt`,
      about,
    ),
  );
}

/**
 * vrrp_complete_instance: accept defaults to off under strict mode for a non-owner, and
 * strict VRRPv2 resets an explicit `accept` ("does not comply with RFC3768"); without
 * accept keepalived, and keel (src/runtime/firewall-plan.ts), put the VIPs in an nftables
 * set whose rules drop all traffic to and from them while the instance is MASTER.
 */
function strictAccept(view: InstanceView, out: Finding[], about: About): void {
  const { v, p } = view;
  if (!p.strict || p.priority === 255 || p.vips.length === 0) return;
  if (v.accept === true && p.version === 3) return;
  const vips = p.vips.map((a) => a.address).join(", ");
  const table = view.host.config.globalDefs.nftables ?? "keepalived";
  const why =
    v.accept === true
      ? "accept is reset under strict VRRPv2 (RFC 3768 has no accept mode)"
      : "strict mode turns accept off for a non-owner";
  out.push(
    finding(
      "strict-no-accept",
      view.at,
      `(${v.name}) vrrp_strict without accept: ${why}, so while this host is master nothing reaches ${vips}: keel, as keepalived, drops all traffic to it in nftables (table ${table})`,
      about,
    ),
  );
}

function strictRestrictions(view: InstanceView, out: Finding[], about: About): void {
  const { v, p } = view;
  if (!p.strict) return;
  const warn = (what: string) => out.push(finding("strict-mode", view.at, `(${v.name}) ${what}`, about));
  if (v.state === "MASTER" && p.priority !== 255)
    warn("strict mode: state MASTER must match being the address owner (priority 255); keepalived starts it as BACKUP");
  if (p.vips.length === 0)
    warn("strict mode requires at least one virtual_ipaddress; keepalived refuses the instance without one");
  const first = p.vips[0];
  if (p.family === 6 && !p.unicast && first && !isLinkLocal6(first.address))
    warn(`strict mode: the first IPv6 VIP must be link-local, not ${first.address}`);
  if (v.useVmac?.mac !== undefined) warn("strict mode: use_vmac cannot set a MAC address; keepalived clears it");
  if (v.useVmac && v.vmacXmitBase) warn("strict mode: vmac_xmit_base is incompatible; keepalived resets it");
  if ((v.garpLowerPrioRepeat ?? 0) > 0)
    warn("strict mode requires no repeat GARPs (garp_lower_prio_repeat); keepalived resets it to 0");
  if ((v.garpLowerPrioDelay ?? 0) > 0)
    warn("strict mode requires no repeat GARP delay (garp_lower_prio_delay); keepalived resets it to 0");
  if (v.lowerPrioNoAdvert === false)
    warn("strict mode requires lower_prio_no_advert; keepalived sets it (no advert in answer to a lower priority)");
  if (v.higherPrioSendAdvert === true)
    warn("strict mode requires higher_prio_send_advert to be clear; keepalived resets it");
}

/**
 * keepalived runs a vrrp_script every `interval` and changes its state after `fall`
 * failures in a row; a run that hangs fails after `timeout`. The worst case from the
 * service failing to the VIP moving: the failure lands just after a passing run started,
 * so `fall` more runs (fall × interval), the last one taking `timeout`, then up to one
 * advert interval until the peer hears the new priority (or priority 0 on FAULT).
 */
function slowScripts(host: LintHost, views: InstanceView[], out: Finding[]): void {
  const users = new Map<string, InstanceView[]>();
  for (const view of views)
    for (const t of view.trackers) {
      if (t.kind !== "script") continue;
      const list = users.get(t.name) ?? [];
      if (!list.includes(view)) list.push(view);
      users.set(t.name, list);
    }
  for (const [name, list] of users) {
    const s = host.config.vrrpScripts[name];
    const first = list[0];
    if (!s || !first) continue;
    const advert = first.p.advertIntCs / 100;
    const worst = s.fall * s.interval + (s.timeout ?? s.interval) + advert;
    const downS = masterDownMs(first.p.version, first.p.advertIntCs, first.nominal, first.p.downTimerAdverts) / 1000;
    if (worst <= SLOW_FAILOVER_S || worst <= 3 * downS) continue;
    const names = list.map((x) => x.v.name).join(", ");
    out.push(
      finding(
        "slow-script-failover",
        locOf(host, s),
        `vrrp_script ${name}: a failing check moves the VIP of ${names} only after up to ${round(worst)} s (fall ${s.fall} × interval ${s.interval} s + timeout ${s.timeout ?? s.interval} s + advert_int ${advert} s), while a dead master is replaced in ${round(downS)} s`,
        { host: host.name, instance: first.v.name },
      ),
    );
  }
}

export function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}
