// The driver's MASTER adverts queued in the kernel ahead of their deadlines
// (src/runtime/advert-queue.ts, issue 20). The channel's sendAt is the kernel's part,
// modelled on virtual time: it keeps a copy of the bytes and puts them on the wire at the
// deadline unless cancelled first. What must hold: each deadline's advert leaves exactly
// once, from the queue; what the engine would send differently (a new priority, leaving
// MASTER, the stop's priority 0) never leaves stale from the queue.
import { expect, test } from "bun:test";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { VrrpChannel } from "../../../src/runtime/kernel";
import { createLogger } from "../../../src/runtime/log";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

interface Sent {
  at: number;
  host: string;
  vrid: number;
  priority: number;
  ipId: number;
  queued: boolean;
}

function host(
  name: string,
  ip: string,
  segment: SimSegment,
  time: VirtualTime,
  wire: Sent[],
  conf: string,
  queue = true,
): { driver: VrrpDriver; queuedNow: () => number; lines: string[] } {
  const sim = new SimKernel({ name, segment, ipv4: ip, prefixLen: 24 });
  const pending = new Map<number, unknown>();
  let ticket = 0;
  const record = (data: Uint8Array, queued: boolean) => {
    // IPv4 header (IP_HDRINCL), then the VRRP message: VRID at 21, priority at 22
    wire.push({
      at: time.now,
      host: name,
      vrid: data[21] ?? -1,
      priority: data[22] ?? -1,
      ipId: ((data[4] ?? 0) << 8) | (data[5] ?? 0),
      queued,
    });
  };
  const open = sim.openChannel.bind(sim);
  sim.openChannel = (o) => {
    const r = open(o);
    if (!r.ok) return r;
    const inner = r.value;
    const ch: VrrpChannel = {
      ...inner,
      send: (dst, data) => {
        record(data, false);
        return inner.send(dst, data);
      },
      ...(queue
        ? {
            sendAt: (at, packets) => {
              // the kernel copies the bytes when they are queued
              const copies = packets.map((p) => ({ dst: p.dst, data: p.data.slice() }));
              const t = ++ticket;
              pending.set(
                t,
                time.set(
                  () => {
                    pending.delete(t);
                    for (const p of copies) {
                      record(p.data, true);
                      inner.send(p.dst, p.data);
                    }
                    // a µs ahead of the driver's own timer for the same deadline: the
                    // kernel sends before the event loop runs that deadline, never after
                  },
                  at - time.now - 0.001,
                ),
              );
              return t;
            },
            cancelSend: (t) => {
              time.clear(pending.get(t));
              pending.delete(t);
            },
          }
        : {}),
    };
    return { ok: true, value: ch };
  };
  const lines: string[] = [];
  const driver = new VrrpDriver({
    config: configFromText(`${globalDefs(3)}\n${conf}`, name),
    kernel: sim,
    log: createLogger({ write: (l) => lines.push(`${time.now} ${l}`) }),
    now: () => time.now,
    timers: { set: (fn, ms) => time.set(fn, Math.max(0, ms)), clear: (h) => time.clear(h) },
    reconcileMs: 60_000,
  });
  return { driver, queuedNow: () => pending.size, lines };
}

test("each MASTER's periodic advert leaves once, from the queue, at its deadline; the IPv4 id counts on", () => {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const wire: Sent[] = [];
  const conf = [
    vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, vips: ["192.168.1.1/32"] }),
    vrrpInstance({ name: "VI_2", vrid: 2, priority: 150, vips: ["192.168.1.2/32"] }),
  ].join("\n");
  const h = host("h", "10.0.0.2", segment, time, wire, conf);
  h.driver.start();
  time.runUntil(20_000, () => {});
  for (const vrid of [1, 2]) {
    const mine = wire.filter((w) => w.vrid === vrid && w.at >= 6000);
    expect(mine.length).toBeGreaterThanOrEqual(12);
    // after the first adverts as MASTER, every one is the queue's, one per advert_int
    expect(mine.every((w) => w.queued)).toBe(true);
    for (let i = 1; i < mine.length; i++) {
      expect((mine[i]?.at ?? 0) - (mine[i - 1]?.at ?? 0)).toBeCloseTo(1000, 5);
      expect((mine[i]?.ipId ?? 0) - (mine[i - 1]?.ipId ?? 0)).toBe(1);
    }
  }
  // the stop: priority 0 from the driver itself, and nothing queued goes out after it
  h.driver.stop();
  expect(h.queuedNow()).toBe(0);
  const stopAt = time.now;
  time.runUntil(25_000, () => {});
  const after = wire.filter((w) => w.at >= stopAt);
  expect(after.map((w) => [w.vrid, w.priority, w.queued])).toEqual([
    [1, 0, false],
    [2, 0, false],
  ]);
});

test("a priority change cancels the queued advert: the next carries the new priority", () => {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const wire: Sent[] = [];
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, vips: ["192.168.1.1/32"] });
  const h = host("h", "10.0.0.2", segment, time, wire, conf);
  h.driver.start();
  time.runUntil(10_300, () => {});
  expect(h.queuedNow()).toBe(1);
  h.driver.set({ type: "base-priority", instance: "VI_1", priority: 180 });
  time.runUntil(15_000, () => {});
  h.driver.stop();
  const after = wire.filter((w) => w.at > 10_300 && w.priority !== 0);
  expect(after.length).toBeGreaterThanOrEqual(4);
  expect(after.every((w) => w.priority === 180)).toBe(true);
  // one advert per second still: the cancelled one was not sent beside its replacement
  for (let i = 1; i < after.length; i++) expect((after[i]?.at ?? 0) - (after[i - 1]?.at ?? 0)).toBeCloseTo(1000, 5);
});

test("a master that hears a higher priority stops advertising: no queued advert leaves after it goes BACKUP", () => {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const wire: Sent[] = [];
  const mk = (priority: number) => vrrpInstance({ name: "VI_1", vrid: 1, priority, vips: ["192.168.1.1/32"] });
  const a = host("a", "10.0.0.2", segment, time, wire, mk(150));
  const b = host("b", "10.0.0.3", segment, time, wire, mk(250), false);
  a.driver.start();
  time.runUntil(8_000, () => {});
  b.driver.start(); // preempts a with its first advert after its Master_Down_Interval
  time.runUntil(20_000, () => {});
  const backupLine = a.lines.find((l) => /\(VI_1\) Entering BACKUP STATE/.test(l) && Number(l.split(" ")[0]) > 8000);
  expect(backupLine).toBeDefined();
  const backupAt = Number(backupLine?.split(" ")[0]);
  const fromA = wire.filter((w) => w.host === "a" && w.priority !== 0);
  expect(fromA.filter((w) => w.at < backupAt && w.queued).length).toBeGreaterThan(0);
  expect(fromA.filter((w) => w.at > backupAt)).toEqual([]);
  expect(a.queuedNow()).toBe(0);
  a.driver.stop();
  b.driver.stop();
});
