// The VrrpDriver's first timeout at start (issue 20): an address owner's is due at once
// (RFC 5798 6.4.1) and runDue() runs it in the caller's turn; anything not yet due stays
// on its timer. Virtual time: nothing here waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

function rig(priority: number, state: "MASTER" | "BACKUP") {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.1", prefixLen: 24 });
  const sends: number[] = [];
  const fk = new FaultKernel(sim, () => 0, NO_FAULTS, { onSend: () => void sends.push(time.now), now: () => time.now });
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority, state, vips: ["192.168.1.1/32"] });
  const config = configFromText(`${globalDefs(3)}\n${conf}`, "h");
  const driver = new VrrpDriver({ config, kernel: fk, log, now: () => time.now, timers: time, reconcileMs: 1000 });
  return { time, driver, sends, lines, run: (ms: number) => time.runUntil(time.now + ms, () => {}) };
}

describe("VrrpDriver.runDue at start", () => {
  test("an address owner advertises in the same turn as the start, once", () => {
    const r = rig(255, "MASTER");
    r.driver.start();
    expect(r.sends).toEqual([]);
    r.driver.runDue();
    expect(r.sends).toEqual([0]);
    expect(r.lines).toContain("(VI_1) Entering MASTER STATE");
    // the kernel timer it replaced is cleared: nothing more until the next advert interval
    r.driver.runDue();
    r.run(999);
    expect(r.sends).toEqual([0]);
    r.run(2);
    expect(r.sends).toEqual([0, 1000]);
    r.driver.stop();
  });

  test("a backup's Master_Down timer is not due at start: runDue leaves it to the timer", () => {
    const r = rig(100, "BACKUP");
    r.driver.start();
    r.driver.runDue();
    expect(r.sends).toEqual([]);
    expect(r.lines).not.toContain("(VI_1) Entering MASTER STATE");
    // 3 × 1 s + Skew_Time (256 − 100) / 256 s (RFC 5798 6.1), then MASTER and its advert
    r.run(3700);
    expect(r.sends.length).toBeGreaterThan(0);
    expect(r.sends[0]).toBeGreaterThanOrEqual(3609);
    r.driver.stop();
  });
});
