/**
 * Bench (not a test): what keel's own JavaScript costs per advert when it runs once a
 * second, as in an idle daemon, against the same code run hot. An idle one-instance keel
 * spends ~0.8–1 ms of CPU per advert (bench/RESULTS.md, "One idle instance at Bun's
 * floor"); this separates the engine's share (the advert deadline, pollActions, the
 * packet's encoding for a master; handleAdvert and pollActions for a backup) from the
 * wake-up around it, which Bun's own `setInterval` floor also pays.
 *
 *   node_modules/.bin/bun bench/runtime/cold-advert.ts [--seconds S]
 *
 * Each second one timer callback runs the master's step and the backup's step (in that
 * order), timed by clock_gettime(CLOCK_THREAD_CPUTIME_ID) (the JS thread's CPU) around each, and
 * an empty step timed the same way (the measurement's own cost). Printed per minute: the
 * median µs of each step, so the JIT's tiering (LLInt → Baseline → DFG as the counters
 * reach their thresholds at one call a second) shows; then the same steps hot (10,000 in a
 * loop, the mean).
 */
import type { RxPacket } from "../../src/vrrp/router";
import { dlopen } from "bun:ffi";
import { VrrpRouter } from "../../src/vrrp/router";
import { advertPackets, advertPacketsShared } from "../../src/vrrp/transmit";
import type { AdvertOut } from "../../src/vrrp/types";
import { configFromText, globalDefs, vrrpInstance } from "../../test/sim/harness";

const at = process.argv.indexOf("--seconds");
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 300;

const host = { interfaceAddress: (_: string, f: 4 | 6) => (f === 4 ? "10.0.0.2" : "fe80::2") };
function router(priority: number): VrrpRouter {
  const r = new VrrpRouter(
    configFromText(`${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, family: 4 })}`, "bench"),
    host,
  );
  r.start(0);
  return r;
}
const ad: AdvertOut = {
  instance: "x",
  ifname: "eth0",
  family: 4,
  version: 3,
  vrid: 1,
  priority: 200,
  advertIntCs: 100,
  addresses: ["192.168.1.1"],
  destinations: ["224.0.0.18"],
  unicast: false,
  ipId: 1,
  seq: 0,
};
const [pkt] = advertPackets(ad, "10.0.0.1");
if (!pkt) throw new Error("no packet");
const rx: RxPacket = { ifname: "eth0", family: 4, data: pkt.data };

const master = router(200);
for (let t = 0; t < 10_000; t += 10) master.handleTimeout(t);
master.pollActions();
const backup = router(100);
let now = 10_000;
let sent = 0;
const masterStep = () => {
  master.handleTimeout(now);
  const acts = master.pollActions();
  for (let i = 0; i < acts.length; i++) {
    const a = acts[i]!;
    if (a.type === "send-advert") sent += advertPacketsShared(a.advert, "10.0.0.2").length;
  }
};
const backupStep = () => {
  backup.handleAdvert(rx, now);
  backup.pollActions();
};
const emptyStep = () => {};

// CLOCK_THREAD_CPUTIME_ID: the scheduler's exact run time of this thread, read now
// (process.threadCpuUsage is getrusage, which lags until the next tick: it read 0 here)
const { clock_gettime } = dlopen("libc.so.6", { clock_gettime: { args: ["i32", "ptr"], returns: "i32" } }).symbols;
const ts = new BigInt64Array(2);
const CLOCK_THREAD_CPUTIME_ID = 3;
const cpuNs = (): number => {
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, ts);
  return Number(ts[0]) * 1e9 + Number(ts[1]);
};
const us = (f: () => void): number => {
  const a = cpuNs();
  f();
  return Math.round((cpuNs() - a) / 100) / 10;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

let minute: { m: number[]; b: number[]; e: number[] } = { m: [], b: [], e: [] };
let tick = 0;
console.log("minute: median µs per step at one a second (master step / backup step / empty step)");
const timer = setInterval(() => {
  now += 1000;
  minute.e.push(us(emptyStep));
  minute.m.push(us(masterStep));
  minute.b.push(us(backupStep));
  tick++;
  if (tick % 60 === 0) {
    console.log(`${tick / 60}: ${median(minute.m)} / ${median(minute.b)} / ${median(minute.e)}`);
    minute = { m: [], b: [], e: [] };
  }
  if (tick >= SECONDS) {
    clearInterval(timer);
    if (sent < tick) throw new Error(`the master sent ${sent} adverts in ${tick} deadlines`);
    const hot = (f: () => void) => {
      const a = cpuNs();
      for (let i = 0; i < 10_000; i++) {
        now += 1000;
        f();
      }
      return ((cpuNs() - a) / 1e3 / 10_000).toFixed(2);
    };
    console.log(`hot, mean µs of 10,000 in a loop: master ${hot(masterStep)}, backup ${hot(backupStep)}`);
  }
}, 1000);
