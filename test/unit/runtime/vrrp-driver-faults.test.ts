// The VrrpDriver's handling of kernel failures, one failure at a time, in virtual time:
// what is logged and counted, what is retried, and that nothing is thrown at the caller.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { attempt, guardKernel, kernelError } from "../../../src/runtime/kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { NetlinkError } from "../../../native-bindings/netlink";
import { SyscallError } from "../../../native-bindings/errno";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

const VIP = "192.168.1.1/32";

interface Rig {
  time: VirtualTime;
  sim: SimKernel;
  fk: FaultKernel;
  driver: VrrpDriver;
  lines: { level: number; msg: string }[];
  sends: number[];
  run(ms: number): void;
}

/** One host whose instance is the address owner (MASTER at once), on a kernel we can break. */
function rig(o: { extra?: string[]; break?: (fk: FaultKernel) => void } = {}): Rig {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.1", prefixLen: 24 });
  const sends: number[] = [];
  const fk = new FaultKernel(sim, () => 0, NO_FAULTS, { onSend: () => void sends.push(time.now), now: () => time.now });
  o.break?.(fk);
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER", vips: [VIP], extra: o.extra });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
  const driver = new VrrpDriver({ config, kernel: fk, log, now: () => time.now, timers: time, reconcileMs: 1000 });
  const run = (ms: number) => time.runUntil(time.now + ms, () => {});
  return { time, sim, fk, driver, lines, sends, run };
}

const fail = (fk: FaultKernel, only: RegExp, kind: "fail" | "throw" = "fail") => {
  fk.only = only;
  fk.rates = { ...NO_FAULTS, [kind]: 1 };
};

describe("errors are values at the Kernel interface", () => {
  test("native-bindings' exceptions become KernelErrors with their errno", () => {
    expect(kernelError("send", new SyscallError("sendto", 100))).toMatchObject({
      op: "send",
      code: "ENETDOWN",
      errno: 100,
    });
    expect(kernelError("vip-add", new NetlinkError(17, "RTM_NEWADDR 10.0.0.1/32"))).toMatchObject({
      op: "vip-add",
      code: "EEXIST",
      errno: 17,
    });
    expect(attempt("links", () => 1)).toEqual({ ok: true, value: 1 });
    expect(
      attempt("links", () => {
        throw new Error("x");
      }),
    ).toEqual({ ok: false, error: { op: "links", code: undefined, errno: undefined, message: "x" } });
  });

  test("guardKernel turns a throwing implementation into values, call by call", () => {
    const sim = new SimKernel({ name: "h", segment: new SimSegment(), ipv4: "10.0.0.1", prefixLen: 24 });
    const fk = new FaultKernel(sim, () => 0, { ...NO_FAULTS, throw: 1 });
    const k = guardKernel(fk);
    const va = { address: "192.168.1.1", prefix: 32, family: 4 } as never;
    expect(k.links()).toMatchObject({ ok: false, error: { op: "links", message: "links: injected exception" } });
    expect(
      k
        .vips("add", [
          { address: va, ifindex: 2 },
          { address: va, ifindex: 2 },
        ])
        .map((e) => e?.op),
    ).toEqual(["vip-add", "vip-add"]);
    expect(k.garp("eth0", "192.168.1.1", 4)?.op).toBe("garp");
    expect(k.watch(() => {})).toMatchObject({ ok: false });
    expect(() => k.close()).not.toThrow();
  });
});

describe("VrrpDriver on a failing kernel", () => {
  test("a refused VIP is logged once, counted, and added at the next reconcile", () => {
    const r = rig();
    fail(r.fk, /^vip-add$/);
    r.driver.start();
    r.run(0); // an address owner's first timeout is due at once
    expect(r.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(r.sim.addressesOn("eth0")).not.toContain(VIP);
    r.run(1000); // the reconcile at t=1000 is refused too
    expect(r.sim.addressesOn("eth0")).not.toContain(VIP);
    const errors = r.lines.filter((l) => l.level === 50 && l.msg.includes("VIP"));
    expect(errors.length).toBe(1); // one line: the retry's own refusal is rate-limited
    expect(errors[0]?.msg).toContain("cannot add VIP 192.168.1.1/32 on eth0; trying again: vip-add: No buffer space");
    expect(r.driver.kernelErrors["vip-add"]).toBe(2);
    r.fk.calm();
    r.run(1000); // the reconcile at t=2000
    expect(r.sim.addressesOn("eth0")).toContain(VIP);
    expect(r.lines.some((l) => l.msg.includes("VIP 192.168.1.1/32 added on eth0 at another try"))).toBe(true);
  });

  test("a VIP whose removal was refused is removed at the next reconcile", () => {
    const r = rig();
    r.driver.start();
    r.run(10);
    expect(r.sim.addressesOn("eth0")).toContain(VIP);
    fail(r.fk, /^vip-del$/);
    r.driver.track({ kind: "interface", name: "eth0", up: false }); // FAULT: VIPs go
    expect(r.driver.instance("VI_1")?.state).toBe("FAULT");
    expect(r.sim.addressesOn("eth0")).toContain(VIP);
    r.fk.calm();
    r.run(1000);
    expect(r.sim.addressesOn("eth0")).not.toContain(VIP);
    expect(r.driver.kernelErrors["vip-del"]).toBe(1);
  });

  test("refused adverts do not move the next one: one attempt per advert_int", () => {
    const r = rig();
    r.driver.start();
    fail(r.fk, /^send$/);
    r.run(5000);
    r.fk.calm();
    r.run(3000);
    const gaps = r.sends.slice(1).map((t, i) => t - (r.sends[i] ?? 0));
    expect(r.sends[0]).toBe(0);
    expect(gaps.length).toBe(8);
    expect(gaps.every((g) => g === 1000)).toBe(true);
    expect(r.driver.kernelErrors.send).toBe(5 + 1); // t=0..4000 refused, and the one at 5000
  });

  test("a kernel that throws from every call: nothing reaches the caller, the engine keeps time", () => {
    const r = rig({ break: (fk) => fail(fk, /./, "throw") });
    expect(() => r.driver.start()).not.toThrow();
    expect(() => r.run(5000)).not.toThrow();
    expect(r.time.escaped).toEqual([]);
    // the tables were never read: the engine waits for them, sending nothing, holding nothing
    expect(r.driver.instance("VI_1")?.state).toBe("INIT");
    expect(r.sends).toEqual([]);
    r.fk.calm();
    r.run(1000); // the reconcile at t=6000 reads the tables and starts the engine
    expect(r.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(r.sends).toEqual([6000]);
    expect(r.sim.addressesOn("eth0")).toContain(VIP);
    expect(r.driver.kernelErrors.links).toBeGreaterThan(0);
    expect(() => r.driver.stop()).not.toThrow();
    expect(r.sim.addressesOn("eth0")).not.toContain(VIP);
  });

  test("a VRRP socket that could not be opened is opened at the next reconcile", () => {
    const r = rig();
    fail(r.fk, /^open-channel$/);
    r.driver.start();
    r.run(10);
    expect(r.sends).toEqual([]); // no socket: nothing to send on
    expect(r.lines.some((l) => l.msg.includes("cannot open the VRRP socket on eth0"))).toBe(true);
    r.fk.calm();
    r.run(1000);
    expect(r.lines.some((l) => l.msg.includes("VRRP sockpool: [ifindex(  2), family(IPv4)"))).toBe(true);
    expect(r.sends.length).toBe(1);
  });

  test("a refused virtual route is added again while MASTER, dropped once not", () => {
    const r = rig({ extra: ["virtual_routes {", "  10.9.0.0/16 via 10.0.0.254", "}"] });
    fail(r.fk, /^route-add$/);
    r.driver.start();
    expect(r.sim.routes).toEqual([]);
    r.run(1000);
    expect(r.driver.kernelErrors["route-add"]).toBe(2);
    r.fk.calm();
    r.run(1000);
    expect(r.sim.routes.map((x) => x.dst)).toEqual(["10.9.0.0/16"]);
    fail(r.fk, /^route-del$/);
    r.driver.track({ kind: "interface", name: "eth0", up: false });
    r.run(1000);
    expect(r.driver.kernelErrors["route-del"]).toBe(2);
    r.fk.calm();
    r.run(1000);
    expect(r.sim.routes).toEqual([]);
  });

  test("lost netlink events: the tables are read again and a deleted VIP comes back", () => {
    const r = rig();
    r.driver.start();
    r.run(10);
    r.fk.rates = { ...NO_FAULTS, lostEvent: 1 };
    const va = r.driver.router.instances.get("VI_1")?.p.vips[0];
    if (!va) throw new Error("no VIP");
    r.sim.vip("del", va, 2); // `ip addr del`, and its notification lost
    r.run(1);
    expect(r.fk.injected["event:lost"]).toBe(2); // the deletion's, and the restoration's
    expect(r.sim.addressesOn("eth0")).toContain(VIP);
  });

  test("refused GARPs are counted, logged once per window, and not retried (the engine repeats them)", () => {
    const r = rig();
    fail(r.fk, /^garp$/);
    r.driver.start();
    r.run(6000); // garp_master_delay 5 s: a second burst, refused too
    const burst = r.driver.kernelErrors.garp ?? 0;
    expect(burst).toBeGreaterThan(1);
    expect(burst % 2).toBe(0); // two equal bursts, nothing more
    expect(r.lines.filter((l) => l.msg.includes("cannot send gratuitous ARP on eth0")).length).toBe(1);
    expect(r.sim.garps).toEqual([]);
  });
});
