/**
 * Pitfalls between the hosts of one segment: the instances of every host grouped into
 * virtual routers by address family and VRID (what the wire sees; interface names may
 * differ between hosts), then compared as keepalived's receive checks compare an advert
 * with the local instance (vrrp.c vrrp_check_packet: version, VRRPv2 advert interval,
 * authentication, the VIP count and each VIP) and as the election goes (RFC 5798 6.4.3,
 * keepalived vrrp_state_backup: a backup takes over only from a strictly lower priority,
 * never with nopreempt; equal priorities: the higher primary address wins).
 */
import { canonicalIp } from "../base/ip";
import { compareAddresses } from "../vrrp/instance";
import { type Finding, finding } from "./finding";
import { type InstanceView, priorityWith } from "./host";
import { signed, weighted } from "./single";

export function clusterFindings(views: InstanceView[]): Finding[] {
  const out: Finding[] = [];
  const routers = virtualRouters(views);
  for (const r of routers) {
    if (new Set(r.map((x) => x.host)).size < 2) continue;
    const parts = splitRouters(r, out);
    for (const part of parts) {
      if (part.length < 2) continue;
      compareSettings(part, out);
      unicastPeers(part, out);
      election(part, out);
    }
  }
  vridMismatch(views, out);
  return out;
}

const about = (x: InstanceView) => ({ host: x.host.name, instance: x.v.name });
const where = (x: InstanceView) =>
  x.host.name === x.at.file ? `${x.at.file}:${x.at.line}` : `${x.host.name} (${x.at.file}:${x.at.line})`;
const vipKey = (x: InstanceView) =>
  x.p.vips
    .map((a) => canonicalIp(a.address) ?? a.address)
    .sort()
    .join(" ");
const vipText = (x: InstanceView) => vipKey(x).replaceAll(" ", ", ") || "none";

/** Instances by family and VRID; a host with two of one VRID (two interfaces) is split by interface. */
function virtualRouters(views: InstanceView[]): InstanceView[][] {
  const byKey = new Map<string, InstanceView[]>();
  for (const x of views) {
    if (x.p.vrid === 0) continue;
    const key = `${x.p.family}|${x.p.vrid}`;
    byKey.set(key, [...(byKey.get(key) ?? []), x]);
  }
  const out: InstanceView[][] = [];
  for (const list of byKey.values()) {
    const perHost = new Map<object, number>();
    for (const x of list) perHost.set(x.host, (perHost.get(x.host) ?? 0) + 1);
    if ([...perHost.values()].every((n) => n === 1)) {
      out.push(list);
      continue;
    }
    const byIf = new Map<string, InstanceView[]>();
    for (const x of list) byIf.set(x.p.ifname ?? "", [...(byIf.get(x.p.ifname ?? "") ?? []), x]);
    out.push(...byIf.values());
  }
  return out;
}

/**
 * One VRID, several hosts: instances that share a name or a VIP are one virtual router
 * configured on several hosts; instances with other names and no VIP in common are two
 * virtual routers that collide (each drops the other's adverts, both become master).
 */
function splitRouters(list: InstanceView[], out: Finding[]): InstanceView[][] {
  const parts: InstanceView[][] = [];
  for (const x of list) {
    const vips = new Set(vipKey(x).split(" "));
    const part = parts.find((p) =>
      p.some(
        (y) =>
          y.v.name === x.v.name ||
          vipKey(y)
            .split(" ")
            .some((a) => a !== "" && vips.has(a)),
      ),
    );
    if (part) part.push(x);
    else parts.push([x]);
  }
  for (let i = 1; i < parts.length; i++) {
    const x = (parts[i] as InstanceView[])[0] as InstanceView;
    const y = (parts[0] as InstanceView[])[0] as InstanceView;
    if (x.host === y.host) continue;
    out.push(
      finding(
        "duplicate-vrid",
        x.at,
        `(${x.v.name}) virtual_router_id ${x.p.vrid} is also used by ${y.v.name} on ${where(y)} for other VIPs (${vipText(y)}): the two virtual routers drop each other's adverts and both hosts become master`,
        about(x),
      ),
    );
  }
  return parts;
}

function compareSettings(part: InstanceView[], out: Finding[]): void {
  const ref = part[0] as InstanceView;
  for (const x of part.slice(1)) {
    if (x.host === ref.host) continue;
    const vs = `on ${where(ref)}`;
    if (x.p.version !== ref.p.version)
      out.push(
        finding(
          "version-mismatch",
          x.at,
          `(${x.v.name}) VRRP version ${x.p.version} here, ${ref.p.version} ${vs}: each drops the other's adverts ("wrong version") and both become master`,
          about(x),
        ),
      );
    else if (x.p.advertIntCs !== ref.p.advertIntCs)
      out.push(
        finding(
          "advert-int-mismatch",
          x.at,
          x.p.version === 2
            ? `(${x.v.name}) advert_int ${x.p.advertIntCs / 100} s here, ${ref.p.advertIntCs / 100} s ${vs}: VRRPv2 drops adverts with another interval ("advertisement interval mismatch") and both become master`
            : `(${x.v.name}) advert_int ${x.p.advertIntCs / 100} s here, ${ref.p.advertIntCs / 100} s ${vs}: a VRRPv3 backup follows the master's interval, so failover time depends on which host is master`,
          about(x),
          // VRRPv2: two masters, as bad as a version mismatch
          x.p.version === 2 ? "error" : "warning",
        ),
      );
    else if (x.p.v3ChecksumAsV2 !== ref.p.v3ChecksumAsV2)
      // keepalived 2.4 vrrp_check_packet: the host with it checks no VRRPv3 checksum, the
      // one without drops the other's ("Invalid VRRPv3 checksum")
      out.push(
        finding(
          "checksum-mismatch",
          x.at,
          x.p.v3ChecksumAsV2
            ? `(${x.v.name}) v3_checksum_as_v2 here, not ${vs}: that host drops this one's adverts as bad checksums ("Invalid VRRPv3 checksum") and is master too whenever this one is`
            : `(${x.v.name}) v3_checksum_as_v2 ${vs}, not here: this host drops that one's adverts as bad checksums ("Invalid VRRPv3 checksum") and is master too whenever that one is`,
          about(x),
        ),
      );
    if (x.p.version === 2 && ref.p.version === 2 && authKey(x) !== authKey(ref))
      out.push(
        finding(
          "auth-mismatch",
          x.at,
          authText(x) === authText(ref)
            ? `(${x.v.name}) auth_pass differs from the one ${vs} in its first 8 characters (all keepalived uses): adverts fail the check on the other host and both become master`
            : `(${x.v.name}) authentication ${authText(x)} here, ${authText(ref)} ${vs}: adverts fail the check on the other host and both become master`,
          about(x),
        ),
      );
    if (vipKey(x) !== vipKey(ref))
      out.push(
        finding(
          "vip-mismatch",
          x.at,
          `(${x.v.name}) virtual_ipaddress ${vipText(x)} here, ${vipText(ref)} ${vs}: a backup rejects adverts whose VIPs differ from its own (RFC 3768 7.1, keepalived "ip address associated with VRID not present") and becomes master too`,
          about(x),
        ),
      );
  }
}

const authKey = (x: InstanceView) => (x.p.auth ? `${x.p.auth.type}:${x.p.auth.pass}` : "none");
const authText = (x: InstanceView) => x.p.auth?.type ?? "none";

/**
 * Unicast: a host sends its adverts only to its unicast_peer list, so every other host's
 * source address (unicast_src_ip, else mcast_src_ip; the interface's primary address is
 * not in the configuration) must be there; a host on multicast hears no unicast host.
 */
function unicastPeers(part: InstanceView[], out: Finding[]): void {
  const uni = part.filter((x) => x.p.unicast);
  if (uni.length === 0) return;
  const multi = part.find((x) => !x.p.unicast);
  if (multi) {
    const u = uni[0] as InstanceView;
    out.push(
      finding(
        "unicast-peers",
        multi.at,
        `(${multi.v.name}) uses multicast here but unicast on ${where(u)}: the hosts never hear each other and both become master`,
        about(multi),
      ),
    );
    return;
  }
  const canon = (a: string) => canonicalIp(a) ?? a;
  for (const x of uni) {
    const peers = new Set(x.p.unicastPeers.map(canon));
    const others = uni.filter((y) => y.host !== x.host);
    for (const y of others) {
      const src = y.p.source;
      if (src !== undefined && !peers.has(canon(src)))
        out.push(
          finding(
            "unicast-peers",
            x.at,
            `(${x.v.name}) unicast_peer does not list ${src}, the unicast_src_ip of ${where(y)}: this host's adverts never reach it and it becomes master too`,
            about(x),
          ),
        );
    }
    const known = others.map((y) => y.p.source);
    if (known.some((s) => s === undefined)) continue;
    const srcs = new Set(known.map((s) => canon(s as string)));
    for (const p of x.p.unicastPeers)
      if (!srcs.has(canon(p)) && canon(p) !== canon(x.p.source ?? ""))
        out.push(
          finding(
            "unicast-peers",
            x.at,
            `(${x.v.name}) unicast_peer ${p} is none of the other hosts' unicast_src_ip (${[...srcs].join(", ")}): a host missing from this lint run, or a stale address`,
            about(x),
          ),
        );
  }
}

/** Who wins with every check up, and whether each weighted tracker on the winner can move the VIP. */
function election(part: InstanceView[], out: Finding[]): void {
  const byHost = new Map<object, InstanceView>();
  for (const x of part) if (!byHost.has(x.host)) byHost.set(x.host, x);
  const xs = [...byHost.values()].sort((a, b) => b.nominal - a.nominal);
  const top = xs[0] as InstanceView;
  const second = xs[1] as InstanceView;
  if (top.nominal === second.nominal) {
    tie(top, second, out);
    return;
  }
  intendedMaster(xs, top, out);
  const rest = xs.slice(1);
  const preempting = rest.filter((x) => !x.p.nopreempt);
  for (const t of weighted(top)) {
    const change = (t.failed as number) - t.healthy;
    // a failure that raises the master's priority (a `reverse` weight) is not meant to move it
    if (change >= 0) continue;
    const after = priorityWith(top, change);
    if (preempting.length === 0) {
      if (!top.p.nopreempt)
        out.push(
          finding(
            "nopreempt-weights",
            t.at,
            `(${top.v.name}) ${t.name} ${signed(change)} lowers ${top.host.name} from ${top.nominal} to ${after}, but every other host (${rest.map((x) => x.host.name).join(", ")}) has nopreempt: none takes over from a master that still advertises, so the VIP stays`,
            about(top),
          ),
        );
      continue;
    }
    const best = preempting.reduce((a, b) => (b.nominal > a.nominal ? b : a));
    if (after < best.nominal) continue;
    out.push(
      finding(
        "weight-too-small",
        t.at,
        `(${top.v.name}) ${t.name} failing moves ${top.host.name} from ${top.nominal} to ${after}, not below ${best.host.name}'s ${best.nominal}: the VIP stays on the failed host (a backup takes over only from a lower priority); the drop must be at least ${top.nominal - best.nominal + 1}`,
        about(top),
      ),
    );
  }
}

/** RFC 5798 6.4.3 / keepalived: equal priorities, the higher primary address wins. */
function tie(a: InstanceView, b: InstanceView, out: Finding[]): void {
  const sa = a.p.source;
  const sb = b.p.source;
  let who = `the host with the higher primary address on ${a.p.ifname ?? "the interface"} wins`;
  if (sa !== undefined && sb !== undefined) {
    const win = compareAddresses(sa, sb) >= 0 ? a : b;
    who = `${win.host.name} wins (${win.p.source} is the higher address)`;
  }
  out.push(
    finding(
      "priority-tie",
      b.at,
      `(${b.v.name}) ${a.host.name} and ${b.host.name} both run at priority ${a.nominal} with every check up: the address decides, ${who}`,
      about(b),
    ),
  );
}

/**
 * The host meant to be master: the only one with state MASTER, else the only one with
 * the highest configured priority. When another wins with every check up, a weight
 * (or its absence on one host) decides placement, not the priorities.
 */
function intendedMaster(xs: InstanceView[], top: InstanceView, out: Finding[]): void {
  const masters = xs.filter((x) => x.v.state === "MASTER");
  const maxBase = Math.max(...xs.map((x) => x.p.priority));
  const highest = xs.filter((x) => x.p.priority === maxBase);
  const meant = masters.length === 1 ? masters[0] : highest.length === 1 ? highest[0] : undefined;
  // by base priority alone `meant` wins (or ties): the trackers' weights decide, not the priorities
  if (!meant || meant === top || meant.p.priority < top.p.priority) return;
  const why = masters.length === 1 ? "state MASTER" : `the highest priority, ${maxBase}`;
  out.push(
    finding(
      "weight-always-flips",
      top.trackers.find((t) => t.healthy !== 0)?.at ?? top.at,
      `(${top.v.name}) with every check up ${top.host.name} runs at ${top.nominal}${fromBase(top)} and ${meant.host.name} at ${meant.nominal}${fromBase(meant)}: ${top.host.name} holds the VIP, not ${meant.host.name} (${why})`,
      about(top),
    ),
  );
}

const fromBase = (x: InstanceView) =>
  x.delta === 0 ? "" : ` (base ${x.p.priority}, ${signed(x.delta)} from trackers)`;

/** The same instance (same name, or a VIP in common) under another VRID on another host. */
function vridMismatch(views: InstanceView[], out: Finding[]): void {
  // candidates by name and by VIP, not every pair: a segment of 2,000 instances is 4 M pairs
  const byKey = new Map<string, InstanceView[]>();
  const keys = (x: InstanceView) => [
    `n:${x.v.name}`,
    ...vipKey(x)
      .split(" ")
      .filter((a) => a !== "")
      .map((a) => `a:${a}`),
  ];
  const order = new Map(views.map((x, i) => [x, i]));
  for (const x of views)
    for (const k of keys(x)) {
      const list = byKey.get(k) ?? [];
      list.push(x);
      byKey.set(k, list);
    }
  const seen = new Set<string>();
  for (const y of views)
    for (const k of keys(y))
      for (const x of byKey.get(k) ?? []) {
        if (x.host === y.host || x.p.vrid === y.p.vrid || x.p.family !== y.p.family) continue;
        // reported on the later of the pair, against the earlier one
        const [a, b] = (order.get(x) as number) < (order.get(y) as number) ? [x, y] : [y, x];
        const key = `${order.get(a)}|${order.get(b)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(
          finding(
            "vrid-mismatch",
            b.at,
            `(${b.v.name}) virtual_router_id ${b.p.vrid} here, ${a.p.vrid} for ${a.v.name} on ${where(a)}: under two VRIDs they are two virtual routers that never hear each other, so both hosts become master`,
            about(b),
          ),
        );
      }
}
