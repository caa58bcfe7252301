// The VrrpDriver's advert deadlines do not inherit the timer's usual wake-up latency
// (issue 20, bench/RESULTS.md "Where late adverts come from"): for a wake-up late by up to
// ON_TIME_MS the engine's time is the wake-up less the typical latency (WakeLatency), so
// the next advert counts from where this one would have been sent at that latency; a
// later wake-up counts from itself, as keepalived's does.
// Virtual time whose timers fire a set amount late: nothing here waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import {
  ON_TIME_MS,
  PREWAKE_MS,
  type Timers,
  VrrpDriver,
  WakeLatency,
  wakeTime,
} from "../../../src/runtime/vrrp-driver";
import type { GarpAddress, VipTarget } from "../../../src/runtime/kernel";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

/** The driver's timers, each firing `late(when it is due)` ms after the delay it was set for. */
function lateTimers(time: VirtualTime, late: (due: number) => number): Timers {
  return {
    set: (fn, ms) => time.set(fn, Math.max(0, ms) + late(time.now + Math.max(0, ms))),
    clear: (h) => time.clear(h),
  };
}

function master(late: (due: number) => number) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.1", prefixLen: 24 });
  const sends: number[] = [];
  const fk = new FaultKernel(sim, () => 0, NO_FAULTS, { onSend: () => void sends.push(time.now), now: () => time.now });
  const log = pino({ level: "silent" });
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER", vips: ["192.168.1.1/32"] });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
  const timers = lateTimers(time, late);
  const driver = new VrrpDriver({ config, kernel: fk, log, now: () => time.now, timers, reconcileMs: 1000 });
  driver.start();
  driver.runDue(); // the owner's first advert, at 0
  return { sends, driver, run: (ms: number) => time.runUntil(time.now + ms, () => {}) };
}

const round3 = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);

describe("wakeTime", () => {
  test("a wake-up late by up to ON_TIME_MS: less the typical latency", () => {
    expect(wakeTime(1000, 1000.4, 900, 0.4)).toBe(1000);
    expect(wakeTime(1000, 1000.5, 900, 0.3)).toBeCloseTo(1000.2, 9);
    expect(wakeTime(1000, 1000 + ON_TIME_MS, 900, 0)).toBe(1000 + ON_TIME_MS);
  });
  test("never before the deadline: the engine must find its timer due", () => {
    expect(wakeTime(1000, 1000.2, 900, 0.5)).toBe(1000);
  });
  test("a later one at the time it happened (no burst after a stall)", () => {
    expect(wakeTime(1000, 1000 + ON_TIME_MS + 0.001, 900, 0.4)).toBe(1000 + ON_TIME_MS + 0.001);
    expect(wakeTime(1000, 1250, 900, 0.4)).toBe(1250);
  });
  test("never before a reading the engine was already given, never after now", () => {
    // an advert handled at 1000.3 in the same turn, before the timer's callback
    expect(wakeTime(1000, 1000.5, 1000.3, 0.5)).toBe(1000.3);
    // an early wake-up (a backup's timer left at an earlier deadline): now
    expect(wakeTime(1000, 999.5, 900, 0.2)).toBe(999.5);
  });
});

describe("WakeLatency", () => {
  test("the first latency as it is, then a moving average of weight 1/8", () => {
    const w = new WakeLatency();
    expect(w.take(1000, 1000.4)).toBeCloseTo(0.4, 9);
    expect(w.take(2000, 2000.4)).toBeCloseTo(0.4, 9);
    expect(w.take(3000, 3001)).toBeCloseTo(0.4, 9);
    expect(w.typical).toBeCloseTo(0.4 + 0.6 / 8, 9);
  });
  test("early wake-ups and ones later than ON_TIME_MS are not learnt", () => {
    const w = new WakeLatency();
    w.take(1000, 1005);
    expect(w.typical).toBeUndefined();
    w.take(1000, 999);
    expect(w.typical).toBeUndefined();
    w.take(1000, 1000.2);
    w.take(2000, 2030);
    expect(w.typical).toBeCloseTo(0.2, 9);
  });
});

describe("VrrpDriver advert deadlines", () => {
  test("a timer 0.4 ms late each time: every advert leaves 0.4 ms after its slot, the lateness does not add up", () => {
    const r = master(() => 0.4);
    r.run(4000);
    expect(round3(r.sends)).toEqual([0, 1000.4, 2000.4, 3000.4]);
    r.driver.stop();
  });

  test("a wake-up later than ON_TIME_MS: the next interval counts from it, as keepalived's (no catch-up)", () => {
    const r = master(() => 5);
    r.run(4100);
    expect(round3(r.sends)).toEqual([0, 1005, 2010, 3015, 4020]);
    r.driver.stop();
  });

  test("one late wake-up among punctual ones costs one interval; the ones after it keep theirs", () => {
    // the advert due at 2000 wakes 0.8 ms late, every other timer 0.1 ms; counting from the
    // deadline would shorten the next interval by the 0.7 ms, counting from the wake-up
    // (keepalived) lengthens every interval by 0.1 ms
    const r = master((due) => (due === 2000 ? 0.8 : 0.1));
    r.run(4500);
    expect(round3(r.sends)).toEqual([0, 1000.1, 2000.8, 3000.8, 4000.8]);
    r.driver.stop();
  });
});

describe("VrrpDriver Master_Down pre-wake", () => {
  // a lone BACKUP (priority 100, VRRPv3, advert_int 1): Master_Down_Interval 3 s + Skew_Time
  // (256 − 100) / 256 s = 3609.375 ms from the start at 0 (RFC 5798 6.1)
  const MDI = 3000 + ((256 - 100) * 1000) / 256;
  /** FaultKernel with a prepareVips, as the Linux kernel's: what was laid out when, and what vips() was given */
  class LayoutKernel extends FaultKernel {
    readonly laid: { at: number; items: readonly VipTarget[] }[] = [];
    readonly added: { at: number; items: readonly VipTarget[] }[] = [];
    readonly garpsLaid: { at: number; targets: GarpAddress[] }[] = [];
    clock = () => 0;
    prepareVips(_op: "add" | "del", items: readonly VipTarget[]): void {
      this.laid.push({ at: this.clock(), items });
    }
    prepareGarps(targets: readonly GarpAddress[]): void {
      this.garpsLaid.push({
        at: this.clock(),
        targets: targets.map(({ ifname, address, family }) => ({ ifname, address, family })),
      });
    }
    override vips(op: "add" | "del", items: VipTarget[]) {
      if (op === "add") this.added.push({ at: this.clock(), items });
      return super.vips(op, items);
    }
  }

  function backup(late: number) {
    const time = new VirtualTime(() => 0.5);
    const segment = new SimSegment({ defer: time.defer });
    const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.2", prefixLen: 24 });
    const sends: number[] = [];
    const fk = new LayoutKernel(sim, () => 0, NO_FAULTS, {
      onSend: () => void sends.push(time.now),
      now: () => time.now,
    });
    fk.clock = () => time.now;
    const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: ["192.168.1.1/32"] });
    const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
    /** when each timer was asked to fire */
    const fires: number[] = [];
    const timers: Timers = {
      set: (fn, ms) => {
        fires.push(time.now + Math.max(0, ms));
        return time.set(fn, Math.max(0, ms) + late);
      },
      clear: (h) => time.clear(h),
    };
    const driver = new VrrpDriver({
      config,
      kernel: fk,
      log: pino({ level: "silent" }),
      now: () => time.now,
      timers,
      reconcileMs: 60_000,
    });
    driver.start();
    return { sends, fires, driver, kernel: fk, run: (ms: number) => time.runUntil(time.now + ms, () => {}) };
  }

  test("entering BACKUP lays out the VIPs' request; the Master_Down deadline hands the kernel those very items", () => {
    const r = backup(0.3);
    r.run(1);
    // laid out as the instance entered BACKUP, at the start; nothing added or sent
    expect(r.kernel.laid.map((l) => l.at)).toEqual([0]);
    expect(r.kernel.laid[0]!.items.map((i) => i.address.address)).toEqual(["192.168.1.1"]);
    // and the GARPs' senders and frames, for the addresses the takeover announces
    expect(r.kernel.garpsLaid).toEqual([{ at: 0, targets: [{ ifname: "eth0", address: "192.168.1.1", family: 4 }] }]);
    r.run(MDI - PREWAKE_MS + 0.5 - 1);
    // not again at the pre-wake, where it would take from the 2 ms before the deadline
    expect(r.kernel.laid.length).toBe(1);
    expect(r.kernel.garpsLaid.length).toBe(1);
    expect(r.kernel.added).toEqual([]);
    expect(r.sends).toEqual([]);
    r.run(PREWAKE_MS);
    expect(r.kernel.added.length).toBe(1);
    expect(r.kernel.added[0]!.items).toBe(r.kernel.laid[0]!.items);
    r.driver.stop();
  });

  test("a reload lays the VIPs out again (the new config's records), and the takeover sends that layout", () => {
    const r = backup(0.3);
    r.run(1000);
    const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: ["192.168.1.1/32"] });
    const applied = r.driver.commitReload(r.driver.prepareReload(configFromText(`${globalDefs(3)}\n${conf}`, "h")));
    expect(applied).toMatchObject({ applied: true });
    expect(r.kernel.laid.length).toBe(2);
    expect(r.kernel.laid[1]!.items).not.toBe(r.kernel.laid[0]!.items);
    r.run(MDI);
    expect(r.kernel.added.length).toBe(1);
    expect(r.kernel.added[0]!.items).toBe(r.kernel.laid[1]!.items);
    r.driver.stop();
  });

  test("a backup that hears its master lays its VIPs out once, at BACKUP, not at each advert or wake-up", () => {
    const time = new VirtualTime(() => 0.5);
    const segment = new SimSegment({ defer: time.defer });
    const log = pino({ level: "silent" });
    const conf = (priority: number) =>
      configFromText(
        `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, vips: ["192.168.1.1/32"] })}`,
        "h",
      );
    const sim = (ip: string) => new SimKernel({ name: ip, segment, ipv4: ip, prefixLen: 24 });
    const k = new LayoutKernel(sim("10.0.0.2"), () => 0, NO_FAULTS, { now: () => time.now });
    const master = new VrrpDriver({
      config: conf(200),
      kernel: sim("10.0.0.1"),
      log,
      now: () => time.now,
      timers: time,
      reconcileMs: 60_000,
    });
    master.start();
    time.runUntil(4_000, () => {});
    const backup = new VrrpDriver({
      config: conf(100),
      kernel: k,
      log,
      now: () => time.now,
      timers: time,
      reconcileMs: 60_000,
    });
    backup.start();
    time.runUntil(30_000, () => {});
    expect(k.laid.length).toBe(1);
    expect(k.added).toEqual([]);
    master.stop();
    backup.stop();
  });

  test("the deadline is woken PREWAKE_MS early once, and MASTER comes at the deadline, not at the pre-wake", () => {
    const r = backup(0.3);
    r.run(MDI - PREWAKE_MS + 0.5);
    // the pre-wake has run: nothing sent yet, the timer now armed for the deadline itself
    expect(r.sends).toEqual([]);
    expect(round3(r.fires.slice(-2))).toEqual(round3([MDI - PREWAKE_MS, MDI]));
    r.run(PREWAKE_MS);
    // the first advert as MASTER at the deadline's wake-up (0.3 ms late, less the typical 0.3)
    expect(r.sends.length).toBeGreaterThan(0);
    expect(round3(r.sends.slice(0, 1))).toEqual(round3([MDI + 0.3]));
    r.driver.stop();
  });

  test("a backup that hears its master wakes once per Master_Down_Interval, as before: never twice 2 ms apart", () => {
    const time = new VirtualTime(() => 0.5);
    const segment = new SimSegment({ defer: time.defer });
    const log = pino({ level: "silent" });
    const driver = (ip: string, priority: number, timers: Timers) => {
      const sim = new SimKernel({ name: ip, segment, ipv4: ip, prefixLen: 24 });
      const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority, vips: ["192.168.1.1/32"] });
      const config = configFromText(`${globalDefs(3)}\n${conf}`, ip);
      const d = new VrrpDriver({ config, kernel: sim, log, now: () => time.now, timers, reconcileMs: 60_000 });
      d.start();
      return d;
    };
    const fires: number[] = [];
    const timers: Timers = {
      set: (fn, ms) =>
        time.set(() => {
          fires.push(time.now);
          fn();
        }, Math.max(0, ms) + 0.3),
      clear: (h) => time.clear(h),
    };
    const master = driver("10.0.0.1", 200, time);
    const backup = driver("10.0.0.2", 100, timers);
    time.runUntil(30_000, () => {});
    // the master took over after its own Master_Down_Interval; the backup heard it from then on
    const heard = fires.filter((t) => t > 6_000);
    expect(heard.length).toBeGreaterThan(5);
    for (let i = 1; i < heard.length; i++) expect(heard[i]! - heard[i - 1]!).toBeGreaterThan(PREWAKE_MS + 1);
    // one wake-up per Master_Down_Interval less an advert interval or so, not two
    expect(heard.length).toBeLessThanOrEqual(Math.ceil(24_000 / (MDI - 1000)) + 1);
    master.stop();
    backup.stop();
  });

  test("a pre-wake that comes after the deadline (a loaded machine) takes the transition itself", () => {
    const r = backup(PREWAKE_MS + 1);
    r.run(MDI + 1.5);
    // armed for MDI − PREWAKE_MS, read PREWAKE_MS + 1 ms late: MDI + 1, and no second wake-up for MDI
    expect(round3(r.sends.slice(0, 1))).toEqual(round3([MDI + 1]));
    expect(r.fires.filter((f) => f > MDI - 10 && f < MDI + 10)).toEqual([MDI - PREWAKE_MS]);
    r.driver.stop();
  });
});

describe("VrrpDriver advert receipt", () => {
  // a BACKUP (priority 100) hearing a master (200) on a simulated segment; the backup's
  // kernel says how long ago each advert arrived (SO_TIMESTAMPNS, vrrp-socket.ts `age`)
  const MDI = 3000 + ((256 - 100) * 1000) / 256;
  function pair(age: number | undefined) {
    const time = new VirtualTime(() => 0.5);
    const segment = new SimSegment({ defer: time.defer });
    const log = pino({ level: "silent" });
    const heard: number[] = [];
    const driver = (ip: string, priority: number, kernel: (sim: SimKernel) => SimKernel | FaultKernel) => {
      const sim = new SimKernel({ name: ip, segment, ipv4: ip, prefixLen: 24 });
      const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority, vips: ["192.168.1.1/32"] });
      const config = configFromText(`${globalDefs(3)}\n${conf}`, ip);
      const d = new VrrpDriver({
        config,
        kernel: kernel(sim),
        log,
        now: () => time.now,
        timers: time,
        reconcileMs: 60_000,
      });
      d.start();
      return d;
    };
    const master = driver("10.0.0.1", 200, (sim) => sim);
    const backup = driver(
      "10.0.0.2",
      100,
      (sim) =>
        new FaultKernel(sim, () => 0, NO_FAULTS, {
          now: () => time.now,
          onReceive: (_ifname, rx) => {
            rx.age = age;
            heard.push(time.now);
          },
        }),
    );
    time.runUntil(10_000, () => {});
    const at = backup.instance("VI_1")?.view().masterDownAt;
    master.stop();
    backup.stop();
    return { heard, at };
  }

  test("the Master_Down timer counts from the advert's arrival, `age` before its read (RFC 5798 6.4.2)", () => {
    const { heard, at } = pair(0.8);
    expect(heard.length).toBeGreaterThan(3);
    expect(at).toBeCloseTo(heard.at(-1)! - 0.8 + MDI, 6);
  });

  test("without a stamp (test/sim's kernels, another socket): from the read, as before", () => {
    const { heard, at } = pair(undefined);
    expect(at).toBeCloseTo(heard.at(-1)! + MDI, 6);
  });

  test("never before a reading the engine may have been given: an age past it is cut there", () => {
    const { heard, at } = pair(5_000);
    // not 5 s back: no earlier than the previous advert's read, no later than this one's
    expect(at!).toBeGreaterThanOrEqual(heard.at(-2)! + MDI);
    expect(at!).toBeLessThanOrEqual(heard.at(-1)! + MDI);
  });
});
