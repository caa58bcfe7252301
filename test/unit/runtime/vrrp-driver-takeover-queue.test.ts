// A BACKUP's VIPs queued in the kernel at its Master_Down deadline's pre-wake, to go in at
// the deadline by themselves (takeover-queue.ts, issue 20). The kernel here keeps Linux's
// contract in virtual time: a queued request is sent at its deadline whatever the driver
// does, Kernel.vips with the same items takes it back (sent or not), and unqueueVips says
// whether it had left. Nothing waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { KernelError, VipTarget } from "../../../src/runtime/kernel";
import { PREWAKE_MS, type Timers, VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

// a lone BACKUP (priority 100, VRRPv3, advert_int 1): Master_Down_Interval 3 s + Skew_Time
// (256 − 100) / 256 s = 3609.375 ms from the start at 0 (RFC 5798 6.1)
const MDI = 3000 + ((256 - 100) * 1000) / 256;
const VIP = "192.168.1.1";

interface Queued {
  items: readonly VipTarget[];
  at: number;
  timer: unknown;
  sent: boolean;
}

/** FaultKernel with Linux's takeover queue: the request leaves at its deadline on its own. */
class QueueKernel extends FaultKernel {
  readonly log: string[] = [];
  private readonly laid = new Set<readonly VipTarget[]>();
  private queued: Queued | undefined;
  time!: VirtualTime;

  prepareVips(_op: "add" | "del", items: readonly VipTarget[]): void {
    this.laid.add(items);
  }

  queueVips(items: readonly VipTarget[], at: number): boolean {
    if (!this.laid.has(items) || this.queued !== undefined) return false;
    this.log.push(`queue ${at}`);
    const q: Queued = { items, at, sent: false, timer: undefined };
    q.timer = this.time.set(() => {
      q.sent = true;
      this.log.push(`kernel add ${this.time.now}`);
      super.vips("add", [...items]);
    }, at - this.time.now);
    this.queued = q;
    return true;
  }

  /** the queued request, taken back: had it left? */
  private take(items: readonly VipTarget[]): Queued | undefined {
    const q = this.queued;
    if (q === undefined || q.items !== items) return undefined;
    this.queued = undefined;
    if (!q.sent) this.time.clear(q.timer);
    return q;
  }

  unqueueVips(items: readonly VipTarget[]): (KernelError | undefined)[] | undefined {
    const q = this.take(items);
    if (q === undefined) return undefined;
    this.log.push(`unqueue ${q.sent ? "sent" : "cancelled"}`);
    return q.sent ? items.map(() => undefined) : undefined;
  }

  override vips(op: "add" | "del", items: VipTarget[]): (KernelError | undefined)[] {
    const q = op === "add" ? this.take(items) : undefined;
    if (q?.sent) {
      this.log.push("claim sent");
      return items.map(() => undefined);
    }
    this.log.push(`${q ? "claim cancelled, " : ""}${op} ${items.map((i) => i.address.address).join(",")}`);
    return super.vips(op, items);
  }

  has(address: string): boolean {
    const r = this.inner.addresses();
    return r.ok && r.value.some((a) => a.address === address);
  }
}

function backup(late: number) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.2", prefixLen: 24 });
  const kernel = new QueueKernel(sim, () => 0, NO_FAULTS, { now: () => time.now });
  kernel.time = time;
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: [`${VIP}/32`] });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
  // the driver's timers fire `late` ms after they are due; the kernel's queue at its deadline
  const timers: Timers = {
    set: (fn, ms) => time.set(fn, Math.max(0, ms) + late),
    clear: (h) => time.clear(h),
  };
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
  const driver = new VrrpDriver({ config, kernel, log, now: () => time.now, timers, reconcileMs: 60_000 });
  driver.start();
  // the start's clean-up removes what a crash may have left (keepalived's, at every start)
  kernel.log.length = 0;
  return { time, kernel, driver, lines, run: (until: number) => time.runUntil(until, () => {}) };
}

describe("VrrpDriver takeover queue", () => {
  test("queued at the pre-wake for the deadline; the kernel adds the VIP then, the engine's takeover reads its answer", () => {
    const r = backup(0.4);
    r.run(MDI - PREWAKE_MS - 0.1);
    expect(r.kernel.log).toEqual([]);
    r.run(MDI - 0.01);
    expect(r.kernel.log).toEqual([`queue ${MDI}`]);
    expect(r.kernel.has(VIP)).toBe(false);
    r.run(MDI);
    // in at the deadline, before the driver's timer (0.4 ms late here) has run
    expect(r.kernel.log).toEqual([`queue ${MDI}`, `kernel add ${MDI}`]);
    expect(r.kernel.has(VIP)).toBe(true);
    r.run(MDI + 1);
    expect(r.driver.instance("VI_1")?.state).toBe("MASTER");
    expect(r.kernel.log).toEqual([`queue ${MDI}`, `kernel add ${MDI}`, "claim sent"]);
    r.driver.stop();
    expect(r.kernel.has(VIP)).toBe(false);
  });

  test("a driver's timer that fires first takes the request back and sends it itself", () => {
    // the kernel's timer and the driver's are due together; the driver's, armed first, runs first here
    const r = backup(0);
    r.run(MDI + 1);
    expect(r.kernel.log).toEqual([`queue ${MDI}`, `claim cancelled, add ${VIP}`]);
    expect(r.kernel.has(VIP)).toBe(true);
    expect(r.driver.instance("VI_1")?.state).toBe("MASTER");
    r.driver.stop();
  });

  test("a change before the deadline (an operator's hold) takes it back: nothing is added", () => {
    const r = backup(0.4);
    r.run(MDI - 1);
    expect(r.kernel.log).toEqual([`queue ${MDI}`]);
    r.driver.hold("VI_1", { kind: "maintenance", by: "test" }, true);
    expect(r.kernel.log).toEqual([`queue ${MDI}`, "unqueue cancelled"]);
    r.run(MDI + 10);
    expect(r.kernel.has(VIP)).toBe(false);
    expect(r.driver.instance("VI_1")?.state).toBe("BACKUP");
    r.driver.stop();
  });

  test("the kernel added the VIP, then the engine did not take over: the VIP is removed again", () => {
    const r = backup(0.4);
    r.run(MDI + 0.2); // the kernel's add has happened, the driver's timer not yet
    expect(r.kernel.has(VIP)).toBe(true);
    r.driver.hold("VI_1", { kind: "maintenance", by: "test" }, true);
    expect(r.kernel.log).toEqual([`queue ${MDI}`, `kernel add ${MDI}`, "unqueue sent", `del ${VIP}`]);
    expect(r.kernel.has(VIP)).toBe(false);
    expect(r.lines).toContain(
      "(VI_1) removing the VIPs the kernel added at the Master_Down deadline: the instance did not take over",
    );
    r.run(MDI + 10);
    expect(r.driver.instance("VI_1")?.state).toBe("BACKUP");
    expect(r.kernel.has(VIP)).toBe(false);
    r.driver.stop();
  });

  test("a stop before the deadline takes it back", () => {
    const r = backup(0.4);
    r.run(MDI - 1);
    r.driver.stop();
    expect(r.kernel.log).toEqual([`queue ${MDI}`, "unqueue cancelled"]);
    r.run(MDI + 10);
    expect(r.kernel.has(VIP)).toBe(false);
  });
});
