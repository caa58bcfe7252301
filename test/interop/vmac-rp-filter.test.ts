/**
 * net.ipv4.conf.all.rp_filter above 0 with an IPv4 VMAC, against Debian's keepalived 2.2.7
 * (vrrp_if_config.c clear_rp_filter / restore_rp_filter; src/runtime/vmac-sysctl.ts). The
 * kernel takes the larger of all's rp_filter and an interface's, so the VMAC's rp_filter=0
 * counts only once all's is 0: before the first VMAC's parameters keepalived moves all's
 * value onto default and each interface below it, sets all to 0, and at its stop puts back
 * what still holds the value it set.
 *
 * One host: all.rp_filter 2 (systemd's 50-default.conf sets 2), default 0, lo 0, eth0 0,
 * eth1 1, eth1p 2 (a veth pair in the host); one instance with use_vmac on eth0 (vrrp.71).
 * rp_filter is read on each once the daemon says "Startup complete" and after it stopped,
 * with eth1 set to 0 by hand before the stop (a value changed since is not put back), and
 * the daemons' NOTICE lines are kept. keepalived first, then keel: keel's must be
 * keepalived's, but for the interfaces keepalived 2.2.7 does not see (below).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const CONF = `global_defs {
  router_id vmacrpfilter
  vrrp_garp_master_delay 0
}
vrrp_instance A {
  interface eth0
  state MASTER
  virtual_router_id 71
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    10.99.0.171/24
  }
}
`;
/** where rp_filter is read, and what each starts with */
const START: [string, number][] = [
  ["all", 2],
  ["default", 0],
  ["lo", 0],
  ["eth0", 0],
  ["eth1", 1],
  ["eth1p", 2],
];
const IFS = [...START.map(([i]) => i), "vrrp.71"];

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived (Debian's 2.2.7) is needed");
  lab = Lab.create(["h1"], { prefix: "kvr-" });
  lab.exec("h1", ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
  for (const x of ["eth1", "eth1p"]) lab.exec("h1", ["ip", "link", "set", x, "up"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

/** the VMAC gone, every value at START */
function prepare(): void {
  lab.exec("h1", ["ip", "link", "del", "vrrp.71"], { allowFail: true });
  lab.exec("h1", ["sysctl", "-qw", ...START.map(([i, v]) => `net.ipv4.conf.${i}.rp_filter=${v}`)]);
}

function read(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dev of IFS)
    out[dev] =
      lab.exec("h1", ["cat", `/proc/sys/net/ipv4/conf/${dev}/rp_filter`], { allowFail: true }).trim() || "gone";
  return out;
}

interface Run {
  up: Record<string, string>;
  stopped: Record<string, string>;
  lines: string[];
}

async function run(kind: "keel" | "keepalived"): Promise<Run> {
  prepare();
  const p: Proc = kind === "keel" ? lab.keel("h1", CONF) : lab.keepalived("h1", CONF);
  const out: Run = { up: {}, stopped: {}, lines: [] };
  try {
    await p.waitFor(/Startup complete/, 30_000);
    out.up = read();
    lab.exec("h1", ["sysctl", "-qw", "net.ipv4.conf.eth1.rp_filter=0"]);
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
  out.stopped = read();
  out.lines = p.lines.map((l) => l.text.replace(/^.*?\d{4}: /, "")).filter((t) => /^NOTICE: .*rp_filter/.test(t));
  return out;
}

/**
 * What keepalived 2.2.7 did (seen live, this test's first runs). Its clear_rp_filter raises
 * an interface only if its netlink view holds that interface's rp_filter, and
 * netlink_if_link_populate marks it unread for every interface it learns from the start's
 * dump (keepalived_netlink.c: `ifp->rp_filter = UINT_MAX`, "we have not read it yet"):
 * only an interface a later RTM_NEWLINK told it about is raised, here eth0, which the
 * VMAC's creation changed. lo and eth1 are left below all's 2 as all goes to 0, so their
 * rp_filter loosens (lo 2 → 0, eth1 2 → 1 in effect). keel raises every interface below
 * all's value, as clear_rp_filter means to: nothing's effective rp_filter changes.
 */
const KEEPALIVED: Run = {
  up: { all: "0", default: "2", lo: "0", eth0: "2", eth1: "1", eth1p: "2", "vrrp.71": "0" },
  // all's and default's back; eth0 back from the 2 it still held; eth1 set to 0 by hand
  stopped: { all: "2", default: "0", lo: "0", eth0: "0", eth1: "0", eth1p: "2", "vrrp.71": "gone" },
  lines: [
    "NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from 0 to 2",
    "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 2 to 0",
    "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to 2",
    "NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to 0",
  ],
};
/** keel: lo and eth1 raised too (and lo put back at the stop; eth1, changed since, left) */
const KEEL: Run = { ...KEEPALIVED, up: { ...KEEPALIVED.up, lo: "2", eth1: "2" } };

describe("all.rp_filter above 0 with an IPv4 VMAC: keepalived 2.2.7 and keel", () => {
  const seen: Partial<Record<"keel" | "keepalived", Run>> = {};
  for (const kind of ["keepalived", "keel"] as const)
    test(`${kind}: all's rp_filter moved onto the interfaces below it and cleared, then put back at the stop`, async () => {
      seen[kind] = await run(kind);
      expect(seen[kind]).toEqual(kind === "keel" ? KEEL : KEEPALIVED);
    }, 90_000);
  test("keel's values and lines are keepalived's, but for the interfaces keepalived's view missed", () => {
    if (!seen.keel || !seen.keepalived) throw new Error("a run above did not finish");
    const missed = (r: Run) => ({ ...r, up: { ...r.up, lo: "-", eth1: "-" } });
    expect(missed(seen.keel)).toEqual(missed(seen.keepalived));
  });
});
