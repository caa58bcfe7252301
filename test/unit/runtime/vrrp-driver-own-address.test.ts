// An interface's own address as keepalived 2.2.7 keeps it (src/runtime/source-address.ts
// OwnAddresses, the driver's learnedSource / seedOwnAddresses / ownAddressLine): a VIP is
// never an instance's source (vrrp.c remove_residual_vips at start: an interface whose only
// IPv4 address is a VIP puts the instance in FAULT, "(VI_1) entering FAULT state (no IPv4
// address for interface)"), and with -D (debug) keepalived_netlink.c
// netlink_if_address_filter's "Assigned address" / "Deassigned address" lines come where
// it writes them. Virtual time on a SimKernel: nothing here waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

/** One host, eth0 holding `ipv4`/24 (and its link-local), a BACKUP instance whose VIP is 10.0.0.1/24. */
function rig(ipv4: string) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4, prefixLen: 24 });
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: ["10.0.0.1/24"] });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
  const driver = new VrrpDriver({ config, kernel: sim, log, now: () => time.now, timers: time, reconcileMs: 1000 });
  const state = () => driver.router.instances.get("VI_1")?.state;
  const add = (address: string) =>
    sim.vip("add", { address, prefix: 24, family: 4 } as Parameters<SimKernel["vip"]>[1], 2);
  return { time, sim, driver, lines, state, add, run: (ms: number) => time.runUntil(time.now + ms, () => {}) };
}

describe("an interface's own address", () => {
  test("its only IPv4 address is the VIP (left by a crash): FAULT at start, as keepalived", () => {
    const r = rig("10.0.0.1");
    r.driver.start();
    r.driver.runDue();
    expect(r.state()).toBe("FAULT");
    // keepalived logs the address as it reads it, before it knows its VIPs' interfaces
    expect(r.lines).toContain("Assigned address 10.0.0.1 for interface eth0");
    expect(r.lines).toContain("(VI_1) entering FAULT state (no IPv4 address for interface)");
    expect(r.lines).not.toContain("(VI_1) Entering BACKUP STATE (init)");
    // then vrrp_complete_init's line, and no "(init)" line (vrrp_init_state sees no change)
    const at = r.lines.indexOf("(VI_1) entering FAULT state (no IPv4 address for interface)");
    expect(r.lines.indexOf("(VI_1) entering FAULT state")).toBeGreaterThan(at);
    expect(r.lines).not.toContain("(VI_1) Entering FAULT STATE (init)");
    // another address comes: "Assigned address", and the instance is up from it
    r.add("10.0.0.9");
    r.run(10);
    expect(r.lines).toContain("Assigned address 10.0.0.9 for interface eth0");
    expect(r.state()).toBe("BACKUP");
    expect(r.driver.router.instances.get("VI_1")?.p.source).toBe("10.0.0.9");
    // it goes: "Deassigned address", FAULT
    const from = r.lines.length;
    r.sim.deleteAddress("eth0", "10.0.0.9/24");
    r.run(10);
    expect(r.lines.slice(from)).toContain("Deassigned address 10.0.0.9 from interface eth0");
    expect(r.state()).toBe("FAULT");
    r.driver.stop();
  });

  test("its only address goes after start: 'Deassigned', FAULT, and no start line", () => {
    const r = rig("10.0.0.2");
    r.driver.start();
    r.driver.runDue();
    expect(r.state()).toBe("BACKUP");
    r.sim.deleteAddress("eth0", "10.0.0.2/24");
    r.run(10);
    expect(r.lines).toContain("Deassigned address 10.0.0.2 from interface eth0");
    expect(r.state()).toBe("FAULT");
    // vrrp_track.c writes "entering FAULT state (no IPv4 address …)" only at start
    expect(r.lines.some((l) => l.includes("entering FAULT state (no IPv4"))).toBe(false);
    r.driver.stop();
  });

  test("the own address goes while others are left: the last other one is taken, no line", () => {
    const r = rig("10.0.0.2");
    r.driver.start();
    r.driver.runDue();
    expect(r.lines).toContain("Assigned address 10.0.0.2 for interface eth0");
    expect(r.state()).toBe("BACKUP");
    r.add("10.0.0.7");
    r.add("10.0.0.8");
    r.run(10);
    // not the first address of the family: keepalived keeps it in sin_addr_l, silently
    expect(r.lines.filter((l) => l.startsWith("Assigned address 10."))).toEqual([
      "Assigned address 10.0.0.2 for interface eth0",
    ]);
    const from = r.lines.length;
    r.sim.deleteAddress("eth0", "10.0.0.2/24");
    r.run(10);
    expect(r.lines.slice(from).some((l) => l.startsWith("Deassigned"))).toBe(false);
    // keepalived_netlink.c: list_last_entry(&ifp->sin_addr_l), where the kernel's first would be 10.0.0.7
    expect(r.driver.router.instances.get("VI_1")?.p.source).toBe("10.0.0.8");
    expect(r.state()).toBe("BACKUP");
    r.driver.stop();
  });

  test("a VIP added under a MASTER is no address of the interface: no line", () => {
    const r = rig("10.0.0.2");
    r.driver.start();
    r.driver.runDue();
    r.run(5000); // alone: Master_Down, then MASTER and its VIP
    expect(r.state()).toBe("MASTER");
    expect(r.lines.filter((l) => /(Assigned|Deassigned) address 10\./.test(l))).toEqual([
      "Assigned address 10.0.0.2 for interface eth0",
    ]);
    r.driver.stop();
  });
});
