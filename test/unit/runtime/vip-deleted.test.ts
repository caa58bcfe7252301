// A VIP or eVIP deleted under a MASTER by someone else (keepalived 2.2.7 keepalived_netlink.c
// netlink_if_address_filter: address_is_ours, then "If one of our VIPs/eVIPs has been
// deleted, transition to backup": set_vrrp_backup). The driver on a simulated kernel, in
// virtual time: the priority-0 advert, BACKUP with a Master_Down of the skew time, the
// notifies, the sync group's other MASTERs along; a peer takes over, or alone the instance
// is MASTER again and sets its VIPs again. Not for a no_track VIP (left deleted, as
// keepalived leaves it), nor for one the kernel refused to add (reconcile retries that one).
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import type { Action } from "../../../src/vrrp/types";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

const VIP = "192.168.1.1/32";
/** a netlink notification's delivery in virtual time (fault-net.ts defer: under 5 ms) */
const NETLINK_MS = 10;
const EVIP = "192.168.9.1/32";

type Notify = Extract<Action, { type: "notify" }>;

interface Host {
  sim: SimKernel;
  fk: FaultKernel;
  driver: VrrpDriver;
  lines: string[];
  notifies: string[];
  reasons: string[];
}

function host(time: VirtualTime, segment: SimSegment, name: string, ip: string, conf: string): Host {
  const sim = new SimKernel({ name, segment, ipv4: ip, prefixLen: 24 });
  const fk = new FaultKernel(sim, () => 0, NO_FAULTS, { now: () => time.now });
  const lines: string[] = [];
  const notifies: string[] = [];
  const reasons: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, name);
  const driver = new VrrpDriver({
    config,
    kernel: fk,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: 1000,
    onNotify: (n: Notify) => void notifies.push(`${n.kind} ${n.name} ${n.state}`),
    onEvent: (e) => {
      if (e.event === "transition") reasons.push(`${e.instance}:${e.from}->${e.to}:${e.reason}`);
    },
  });
  return { sim, fk, driver, lines, notifies, reasons };
}

function lab() {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const run = (ms: number) => time.runUntil(time.now + ms, () => {});
  return { time, segment, run };
}

/** h1 alone, VI_1 (priority 100) with VIP and the eVIP EVIP, run until it is MASTER */
function aloneWithEvip() {
  const { time, segment, run } = lab();
  const h = host(
    time,
    segment,
    "h1",
    "10.0.0.1",
    vrrpInstance({
      name: "VI_1",
      vrid: 1,
      priority: 100,
      vips: [VIP],
      extra: [`virtual_ipaddress_excluded {`, `  ${EVIP}`, `}`],
    }),
  );
  h.driver.start();
  run(5_000);
  return { time, run, h };
}

/** the lines written since `from` that a keepalived user greps for */
const since = (h: Host, from: number, re: RegExp) => h.lines.slice(from).filter((l) => re.test(l));

describe("a VIP deleted under a MASTER (set_vrrp_backup)", () => {
  test("alone: BACKUP with a priority-0 advert and notify, MASTER again after the skew time, the VIP set again", () => {
    const { time, run, h } = aloneWithEvip();
    const inst = h.driver.instance("VI_1");
    expect(inst?.state).toBe("MASTER");
    expect(h.sim.addressesOn("eth0")).toEqual(expect.arrayContaining([VIP, EVIP]));
    const prioZero = inst?.stats.pri_zero_sent ?? -1;
    const mark = h.lines.length;
    h.notifies.length = 0;
    h.reasons.length = 0;
    const at = time.now;
    expect(h.sim.deleteAddress("eth0", VIP)).toBe(true);
    run(NETLINK_MS); // the RTM_DELADDR arrives
    expect(inst?.state).toBe("BACKUP");
    expect(inst?.stats.pri_zero_sent).toBe(prioZero + 1);
    expect(h.reasons).toEqual(["VI_1:MASTER->BACKUP:vip-deleted"]);
    expect(h.notifies).toEqual(["INSTANCE VI_1 BACKUP"]);
    expect(since(h, mark, /Netlink reflector reports IP 192\.168\.1\.1 removed from eth0/).length).toBe(1);
    expect(since(h, mark, /\(VI_1\) Entering BACKUP STATE/).length).toBe(1);
    // the eVIP went with it (vrrp_state_leave_master), and nothing was "restored"
    expect(h.sim.addressesOn("eth0")).not.toContain(EVIP);
    expect(since(h, mark, /restored/)).toEqual([]);
    // Master_Down = the skew time ((256 - 100) / 256 s for priority 100 at 1 s), not three intervals
    expect(inst?.pollTimeout()).toBeLessThanOrEqual(at + NETLINK_MS + inst!.skew());
    expect(inst?.pollTimeout()).toBeGreaterThan(at + inst!.skew());
    run(inst!.skew() + 1);
    expect(inst?.state).toBe("MASTER");
    expect(h.notifies).toEqual(["INSTANCE VI_1 BACKUP", "INSTANCE VI_1 MASTER"]);
    expect(h.sim.addressesOn("eth0")).toEqual(expect.arrayContaining([VIP, EVIP]));
  });

  test("the VIP's address with another prefix deleted: the same (address_is_ours compares addresses, not prefixes)", () => {
    // keepalived 2.2.7 keepalived_netlink.c addr_is_equal compares the address only; live,
    // 2.2.7 with VIP 10.9.0.1/24 left MASTER ("Netlink reflector reports IP 10.9.0.1
    // removed", "Entering BACKUP STATE") on `ip addr del 10.9.0.1/16` of a copy added by hand
    const { run, h } = aloneWithEvip();
    const ifindex = h.sim.linkByName("eth0")!.ifindex;
    const [address] = VIP.split("/");
    expect(h.sim.vip("add", { address: address!, prefix: 24, family: 4 }, ifindex)).toBeUndefined();
    expect(h.sim.vip("add", { address: "10.0.0.9", prefix: 24, family: 4 }, ifindex)).toBeUndefined();
    run(NETLINK_MS);
    h.reasons.length = 0;
    // another address of the interface is not the VIP's: nothing
    expect(h.sim.deleteAddress("eth0", "10.0.0.9/24")).toBe(true);
    run(NETLINK_MS);
    expect(h.reasons).toEqual([]);
    expect(h.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h.sim.deleteAddress("eth0", `${address}/24`)).toBe(true);
    run(NETLINK_MS);
    expect(h.reasons).toContain("VI_1:MASTER->BACKUP:vip-deleted");
  });

  test("an eVIP deleted: the same", () => {
    const { run, h } = aloneWithEvip();
    h.reasons.length = 0;
    h.sim.deleteAddress("eth0", EVIP);
    run(NETLINK_MS);
    expect(h.reasons).toEqual(["VI_1:MASTER->BACKUP:vip-deleted"]);
  });

  test("with a peer: the peer that hears the priority-0 advert first takes over and holds the VIP", () => {
    const { time, segment, run } = lab();
    // the master came first; the higher-priority peer does not preempt it (nopreempt), so
    // only the priority-0 advert moves the VIP: its skew time (56/256 s) ends before the
    // old master's (156/256 s), and its advert keeps the old master in BACKUP
    const h1 = host(
      time,
      segment,
      "h1",
      "10.0.0.1",
      vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: [VIP] }),
    );
    h1.driver.start();
    run(5_000);
    const h2 = host(
      time,
      segment,
      "h2",
      "10.0.0.2",
      vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, nopreempt: true, vips: [VIP] }),
    );
    h2.driver.start();
    run(5_000);
    expect(h1.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h2.driver.instance("VI_1")?.state).toBe("BACKUP");
    h1.sim.deleteAddress("eth0", VIP);
    run(3_000);
    expect(h1.driver.instance("VI_1")?.state).toBe("BACKUP");
    expect(h2.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h2.reasons.at(-1)).toBe("VI_1:BACKUP->MASTER:priority-zero-received");
    expect(h1.sim.addressesOn("eth0")).not.toContain(VIP);
    expect(h2.sim.addressesOn("eth0")).toContain(VIP);
  });

  test("in a sync group: the group's other MASTER leaves with it, and both come back", () => {
    const { time, segment, run } = lab();
    const conf = [
      vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: [VIP] }),
      vrrpInstance({ name: "VI_2", vrid: 2, priority: 100, vips: ["192.168.1.2/32"] }),
      "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}",
    ].join("\n");
    const h = host(time, segment, "h1", "10.0.0.1", conf);
    h.driver.start();
    run(5_000);
    expect(h.driver.instance("VI_2")?.state).toBe("MASTER");
    h.reasons.length = 0;
    h.sim.deleteAddress("eth0", VIP);
    run(NETLINK_MS);
    expect(h.driver.instance("VI_1")?.state).toBe("BACKUP");
    expect(h.driver.instance("VI_2")?.state).toBe("BACKUP");
    expect(h.reasons).toEqual(["VI_1:MASTER->BACKUP:vip-deleted", "VI_2:MASTER->BACKUP:sync-group"]);
    expect(h.sim.addressesOn("eth0")).not.toContain("192.168.1.2/32");
    run(2_000);
    expect(h.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h.driver.instance("VI_2")?.state).toBe("MASTER");
    expect(h.sim.addressesOn("eth0")).toEqual(expect.arrayContaining([VIP, "192.168.1.2/32"]));
  });

  test("a no_track VIP stays deleted, as keepalived leaves it; the instance stays MASTER", () => {
    const { time, segment, run } = lab();
    const h = host(
      time,
      segment,
      "h1",
      "10.0.0.1",
      vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: [`${VIP} no_track`] }),
    );
    h.driver.start();
    run(5_000);
    h.reasons.length = 0;
    h.sim.deleteAddress("eth0", VIP);
    // past the reconcile pass (reconcileMs) that adds a refused VIP again
    run(5_000);
    expect(h.reasons).toEqual([]);
    expect(h.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h.sim.addressesOn("eth0")).not.toContain(VIP);
  });

  test("a VIP the kernel refused to add is retried, not taken for a deletion; keel's own removal neither", () => {
    const { time, segment, run } = lab();
    const h = host(
      time,
      segment,
      "h1",
      "10.0.0.1",
      vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: [VIP] }),
    );
    h.fk.only = /^vip-add$/;
    h.fk.rates = { ...NO_FAULTS, fail: 1 };
    h.driver.start();
    run(5_000);
    expect(h.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(h.sim.addressesOn("eth0")).not.toContain(VIP);
    h.fk.calm();
    run(1_000);
    expect(h.sim.addressesOn("eth0")).toContain(VIP);
    expect(h.reasons.filter((r) => r.endsWith("vip-deleted"))).toEqual([]);
    // leaving MASTER for a track fault removes the VIP: that RTM_DELADDR is keel's own
    h.reasons.length = 0;
    h.driver.track({ kind: "interface", name: "eth0", up: false });
    run(NETLINK_MS);
    expect(h.reasons).toEqual(["VI_1:MASTER->FAULT:interface-down"]);
  });
});
