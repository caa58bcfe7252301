/**
 * An IPv6 use_vmac instance's VMAC link-local against Debian's keepalived 2.2.7
 * (vrrp_vmac.c netlink_link_add_vmac / set_link_local_address, keepalived_netlink.c
 * netlink_if_address_filter; src/runtime/vmac-link-local.ts): one host, the same config run
 * by keepalived, then by keel, each must do the same.
 *
 * Running (eth0 has fe80::1:2 only, not the one its MAC makes):
 * 1. the VMAC gets eth0's fe80::1:2 (/64 nodad deprecated) and none of its own
 *    (addrgenmode none: not fe80::200:5eff:fe00:256 from the VRRP MAC); adverts leave from it;
 * 2. eth0 gets fe80::1:3 and loses fe80::1:2: the VMAC follows to fe80::1:3, and the adverts;
 * 3. fe80::1:3 goes too (eth0 up, no link-local left): the VMAC gets the one made from
 *    eth0's MAC (fe80::99:ff:fe00:b), and the adverts leave from that.
 * Each step waits for the daemon's -D line and then for an advert from the expected
 * source, seen by tcpdump on the switch port; the VMAC's addresses are read then. The
 * -D lines about the VMAC and the (init) line must be keepalived's, in its order:
 * "Success creating VMAC interface", the VMAC's "Assigned address", then "(init)".
 *
 * A leftover vrrp.86 (a private macvlan on eth0 with V6's VRRP MAC) is reused as it is
 * ("Found matching interface vrrp.86", same ifindex): without a link-local it gets eth0's
 * (set_link_local_address); with one (fe80::5:5) it keeps it.
 *
 * Starting without a link-local on eth0: the VMAC gets the one made from eth0's MAC and
 * the instance starts in FAULT ("no IPv6 address for interface"), as keepalived 2.2.7.
 * keepalived 2.2.7 stays there when eth0 gets one (it never looks again:
 * vrrp_complete_instance took the source); keel comes up then (its source follows the
 * address table). keepalived 2.4.3 (KEEPALIVED_24) does not go to FAULT: it sends from the
 * VMAC's link-local at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const CONF = `global_defs {
  router_id vmacv6
  vrrp_garp_master_delay 0
}
vrrp_instance V6 {
  interface eth0
  state MASTER
  virtual_router_id 86
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    2001:db8:86::100/64
  }
}
`;
/** eth0's MAC is 02:99:00:00:00:0b (harness): its modified EUI-64 link-local */
const FROM_MAC = "fe80::99:ff:fe00:b";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived (Debian's 2.2.7) is needed");
  if (!Bun.which("tcpdump")) throw new Error("tcpdump is needed");
  lab = Lab.create(["h1"], { ipv6: true });
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface AddrJson {
  ifname: string;
  inet6_addr_gen_mode?: string;
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    scope: string;
    nodad?: boolean;
    deprecated?: boolean;
    preferred_life_time?: number;
  }[];
}

/** The VMAC's IPv6 link-locals with their flags, and its addrgenmode. */
function vmac(): { linkLocal: string[]; addrGenMode: string | undefined } {
  const [addr] = JSON.parse(lab.exec("h1", ["ip", "-j", "addr", "show", "dev", "vrrp.86"])) as AddrJson[];
  const [link] = JSON.parse(lab.exec("h1", ["ip", "-j", "-d", "link", "show", "dev", "vrrp.86"])) as AddrJson[];
  const linkLocal = (addr?.addr_info ?? [])
    .filter((a) => a.family === "inet6" && a.scope === "link")
    .map(
      (a) =>
        `${a.local}/${a.prefixlen}${a.nodad ? " nodad" : ""}${a.deprecated ? " deprecated" : ""} preferred ${a.preferred_life_time}`,
    );
  return { linkLocal, addrGenMode: link?.inet6_addr_gen_mode };
}

/** An advert from `src` after line `from` of the capture. */
function advertFrom(cap: Proc, src: string, from: number): Promise<unknown> {
  const re = new RegExp(`IP6 ${src.replaceAll(".", "\\.")} > ff02::12: .*vrid 86`);
  return cap.waitFor(re, 15_000, from);
}

const at = (p: Proc) => p.lines.length;

interface Run {
  steps: { linkLocal: string[]; addrGenMode: string | undefined }[];
  lines: string[];
}

/** eth0's link-locals: only `keep`, and none made by the kernel from here on */
function eth0LinkLocal(keep?: string): void {
  lab.exec("h1", ["ip", "link", "set", "eth0", "addrgenmode", "none"]);
  lab.exec("h1", ["ip", "-6", "addr", "flush", "dev", "eth0", "scope", "link"]);
  if (keep) lab.exec("h1", ["ip", "addr", "add", `${keep}/64`, "dev", "eth0"]);
}

async function capture(): Promise<Proc> {
  const cap = lab.spawn("sw", ["tcpdump", "-l", "-n", "-i", "p1", "ip6 proto 112"]);
  await cap.waitFor(/listening on/, 10_000);
  return cap;
}

/** The -D lines about the VMAC, and the (init) one. */
function vmacLines(p: Proc): string[] {
  return p.lines
    .map((l) => l.text.replace(/^.*?\d{4}: /, ""))
    .filter((t) => /VMAC interface|interface vrrp\.86|\(V6\) Entering BACKUP STATE \(init\)/.test(t));
}

async function stop(...procs: Proc[]): Promise<void> {
  for (const p of procs) {
    p.kill("SIGTERM");
    await p.exited;
  }
}

const KA24 = process.env.KEEPALIVED_24;
type Kind = "keel" | "keepalived" | "keepalived 2.4.3";
const start = (kind: Kind) =>
  kind === "keel"
    ? lab.keel("h1", CONF)
    : lab.keepalived("h1", CONF, [], kind === "keepalived" ? {} : { binary: KA24 });

async function running(kind: Kind): Promise<Run> {
  eth0LinkLocal("fe80::1:2");
  const cap = await capture();
  const p = start(kind);
  const steps: Run["steps"] = [];
  try {
    await p.waitFor(/\(V6\) Entering MASTER STATE/, 30_000);
    await advertFrom(cap, "fe80::1:2", 0);
    steps.push(vmac());

    let c = at(cap);
    lab.exec("h1", ["ip", "addr", "add", "fe80::1:3/64", "dev", "eth0"]);
    lab.exec("h1", ["ip", "addr", "del", "fe80::1:2/64", "dev", "eth0"]);
    await p.waitFor(/Assigned address fe80::1:3 for interface vrrp\.86/, 10_000);
    await advertFrom(cap, "fe80::1:3", c);
    steps.push(vmac());

    c = at(cap);
    lab.exec("h1", ["ip", "addr", "del", "fe80::1:3/64", "dev", "eth0"]);
    await p.waitFor(/Deassigned address fe80::1:3 from interface eth0/, 10_000);
    await advertFrom(cap, FROM_MAC, c);
    steps.push(vmac());
  } finally {
    await stop(p, cap);
  }
  return { steps, lines: vmacLines(p) };
}

describe("an IPv6 VMAC's link-local: keepalived 2.2.7 and keel", () => {
  const runs: Partial<Record<Kind, Run>> = {};
  const ll = (a: string) => [`${a}/64 nodad deprecated preferred 0`];

  const kinds: Kind[] = ["keepalived", "keel"];
  if (KA24) kinds.push("keepalived 2.4.3");
  else console.warn("vmac-ipv6.test.ts: KEEPALIVED_24 is not set: keepalived 2.4.3 is not run beside them");
  for (const kind of kinds)
    test(`${kind}: eth0's link-local, then its next one, then the one eth0's MAC makes`, async () => {
      const r = await running(kind);
      runs[kind] = r;
      expect(r.steps).toEqual([
        { linkLocal: ll("fe80::1:2"), addrGenMode: "none" },
        { linkLocal: ll("fe80::1:3"), addrGenMode: "none" },
        { linkLocal: ll(FROM_MAC), addrGenMode: "none" },
      ]);
      expect(r.lines.slice(0, 3)).toEqual([
        "(V6): Success creating VMAC interface vrrp.86",
        "Assigned address fe80::1:2 for interface vrrp.86",
        "(V6) Entering BACKUP STATE (init)",
      ]);
      expect(r.lines.at(-1)).toBe("(V6) Success removing VMAC interface vrrp.86");
    }, 90_000);

  test("keel's VMAC lines are keepalived's", () => {
    expect(runs.keel?.lines).toEqual(runs.keepalived?.lines as string[]);
  });

  for (const kind of kinds)
    test(`${kind}: no link-local on eth0 at start: the one eth0's MAC makes, ${kind === "keepalived 2.4.3" ? "sent from at once" : "the instance in FAULT"}`, async () => {
      eth0LinkLocal();
      const cap = await capture();
      const p = start(kind);
      try {
        if (kind === "keepalived 2.4.3") {
          // 2.4.3 differs: no FAULT, it sends from the VMAC's link-local at once
          await p.waitFor(/\(V6\) Entering MASTER STATE/, 30_000);
          await advertFrom(cap, FROM_MAC, 0);
        } else await p.waitFor(/\(V6\) entering FAULT state \(no IPv6 address for interface\)/, 30_000);
        expect(vmac()).toEqual({ linkLocal: ll(FROM_MAC), addrGenMode: "none" });
        if (kind === "keel") {
          // keepalived stays in FAULT (see the top); keel sends from eth0's new one
          const c = at(cap);
          lab.exec("h1", ["ip", "addr", "add", "fe80::1:4/64", "dev", "eth0"]);
          await p.waitFor(/\(V6\) Entering MASTER STATE/, 30_000);
          await advertFrom(cap, "fe80::1:4", c);
          expect(vmac()).toEqual({ linkLocal: ll("fe80::1:4"), addrGenMode: "none" });
        }
      } finally {
        await stop(p, cap);
      }
      expect(vmacLines(p).slice(0, 2)).toEqual([
        "(V6): Success creating VMAC interface vrrp.86",
        `Assigned address ${FROM_MAC} for interface vrrp.86`,
      ]);
    }, 90_000);

  for (const kind of ["keepalived", "keel"] as const)
    for (const has of [undefined, "fe80::5:5"])
      test(`${kind}: a leftover vrrp.86 ${has ? `with ${has} keeps it` : "without a link-local gets eth0's"}`, async () => {
        eth0LinkLocal("fe80::1:2");
        lab.exec("h1", ["ip", "link", "del", "vrrp.86"], { allowFail: true });
        lab.exec("h1", [
          "ip",
          "link",
          "add",
          "vrrp.86",
          "link",
          "eth0",
          "address",
          "00:00:5e:00:02:56",
          "type",
          "macvlan",
          "mode",
          "private",
        ]);
        // the kernel takes IFLA_INET6_ADDR_GEN_MODE only once the link exists (vrrp_vmac.c says so too)
        lab.exec("h1", ["ip", "link", "set", "vrrp.86", "addrgenmode", "none"]);
        lab.exec("h1", ["ip", "link", "set", "vrrp.86", "up"]);
        if (has) lab.exec("h1", ["ip", "addr", "add", `${has}/64`, "dev", "vrrp.86", "nodad"]);
        const ifindex = () =>
          (JSON.parse(lab.exec("h1", ["ip", "-j", "link", "show", "dev", "vrrp.86"])) as { ifindex: number }[])[0]
            ?.ifindex;
        const before = ifindex();
        const p = start(kind);
        try {
          await p.waitFor(/Startup complete/, 30_000);
          expect(ifindex()).toBe(before as number);
          const ll = vmac().linkLocal;
          if (has) expect(ll).toEqual([`${has}/64 nodad preferred 4294967295`]);
          else expect(ll).toEqual(["fe80::1:2/64 nodad deprecated preferred 0"]);
        } finally {
          await stop(p);
        }
        expect(vmacLines(p).slice(0, 2)).toEqual([
          "(V6) Found matching interface vrrp.86",
          `Assigned address ${has ?? "fe80::1:2"} for interface vrrp.86`,
        ]);
      }, 90_000);
});
