// The driver's periodic adverts with the engine's records reused (RouterHost.reuseAdverts,
// the pump's kept list; issue 20): what leaves on the wire at each deadline is each
// instance's own advert, with its own VRID, priority and IPv4 id counting up by one.
// Virtual time: nothing here waits on a clock.
import { expect, test } from "bun:test";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { VrrpChannel } from "../../../src/runtime/kernel";
import { createLogger } from "../../../src/runtime/log";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

test("two masters in one driver: every advert on the wire is its own instance's, deadline after deadline", () => {
  const time = new VirtualTime(() => 0.5);
  const sim = new SimKernel({
    name: "h",
    segment: new SimSegment({ defer: time.defer }),
    ipv4: "10.0.0.2",
    prefixLen: 24,
  });
  // every datagram sent, copied as it leaves (the engine's bytes are rewritten per advert)
  const wire: { at: number; vrid: number; priority: number; ipId: number }[] = [];
  const open = sim.openChannel.bind(sim);
  sim.openChannel = (o) => {
    const r = open(o);
    if (!r.ok) return r;
    const ch: VrrpChannel = {
      ...r.value,
      send: (dst, data) => {
        const d = data.slice();
        // IPv4 header (IP_HDRINCL), then the VRRP message: VRID at 21, priority at 22
        wire.push({ at: time.now, vrid: d[21] ?? -1, priority: d[22] ?? -1, ipId: ((d[4] ?? 0) << 8) | (d[5] ?? 0) });
        return r.value.send(dst, data);
      },
    };
    return { ok: true, value: ch };
  };
  const conf = [
    vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, vips: ["192.168.1.1/32"] }),
    vrrpInstance({ name: "VI_2", vrid: 2, priority: 150, vips: ["192.168.1.2/32"] }),
  ].join("\n");
  const driver = new VrrpDriver({
    config: configFromText(`${globalDefs(3)}\n${conf}`, "h"),
    kernel: sim,
    log: createLogger({ write: () => {} }),
    now: () => time.now,
    timers: { set: (fn, ms) => time.set(fn, Math.max(0, ms)), clear: (h) => time.clear(h) },
    reconcileMs: 60_000,
  });
  driver.start();
  time.runUntil(20_000, () => {});
  driver.stop();
  for (const [vrid, priority] of [
    [1, 200],
    [2, 150],
  ] as const) {
    const mine = wire.filter((w) => w.vrid === vrid && w.at >= 6000 && w.at < 19_000);
    // one a second once MASTER (advert_int 1), all at the instance's priority
    expect(mine.length).toBeGreaterThanOrEqual(12);
    expect(new Set(mine.map((w) => w.priority))).toEqual(new Set([priority]));
    for (let i = 1; i < mine.length; i++) expect((mine[i]?.ipId ?? 0) - (mine[i - 1]?.ipId ?? 0)).toBe(1);
  }
  expect(wire.every((w) => w.vrid === 1 || w.vrid === 2)).toBe(true);
});
