/**
 * Bench (not a test): bytes of JavaScript heap allocated per advert on the engine's hot
 * paths, in process. A backup hearing an advert (VrrpRouter.handleAdvert, then
 * pollActions) and a master sending one (handleTimeout at each advert deadline, then as the
 * driver's pump: drainActions into one kept list, the router's host with reuseAdverts, and
 * advertPacketsShared, the packets the driver sends).
 *
 *   node_modules/.bin/bun bench/runtime/advert-alloc.ts [--adverts N]
 *
 * How it counts: the script re-runs itself with BUN_JSC_useGC=0 (JavaScriptCore then never
 * collects, so nothing allocated is reused) and reads `bun:jsc` memoryUsage().current (the
 * heap's committed bytes) before and after N adverts; the difference over N is the
 * garbage per advert. Committed memory grows in blocks, so N must be large (default
 * 50,000: ~100 MB at 2 KB). A run of the same loop with an empty body is the baseline (≈ 0).
 * The row after the baseline is the driver's own part of a send: libc's sendto through bun:ffi, as
 * native-bindings/vrrp-socket.ts calls it once per advert (here on a UDP socket to
 * 127.0.0.1:9, discard; no root needed), counted in BigInt cells (a 64-bit return type).
 * The last row is the daemon's whole send path (`--instances N`, default 200): a VrrpDriver of N
 * masters on a simulated host (src/demo/sim-kernel.ts) whose channels only count what they are
 * given, and one timer slot in place of the kernel timer, run from the advert deadline
 * through the engine, the router's list, the driver's pump and execute to the channel's send.
 * Each row prints the cells allocated per advert by type (heapStats, nothing being
 * collected), which says where the bytes come from.
 * Why it matters: every wake that allocates arms JavaScriptCore's collection timers and
 * Bun's GC controller (bench/RESULTS.md "Idle wake-ups"), and garbage paces the eden
 * collections whose pauses delay the next advert.
 */
import { heapStats, memoryUsage } from "bun:jsc";
import { libc } from "../../native-bindings/libc";
import { parseIpv6 } from "../../src/base/ip";
import type { RxPacket } from "../../src/vrrp/router";
import { VrrpRouter } from "../../src/vrrp/router";
import { advertPackets, advertPacketsShared } from "../../src/vrrp/transmit";
import type { Action, AdvertOut } from "../../src/vrrp/types";
import { SimKernel, SimSegment } from "../../src/demo/sim-kernel";
import type { VrrpChannel } from "../../src/runtime/kernel";
import { createLogger } from "../../src/runtime/log";
import { VrrpDriver } from "../../src/runtime/vrrp-driver";
import { configFromText, globalDefs, vrrpInstance } from "../../test/sim/harness";

if (process.env.BUN_JSC_useGC !== "0") {
  const child = Bun.spawnSync([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_JSC_useGC: "0" },
    stdout: "inherit",
    stderr: "inherit",
  });
  process.exit(child.exitCode ?? 1);
}

const at = process.argv.indexOf("--adverts");
const N = at > 0 ? Number(process.argv[at + 1]) : 50_000;
const atI = process.argv.indexOf("--instances");
const INSTANCES = atI > 0 ? Number(process.argv[atI + 1]) : 200;

const host = { interfaceAddress: (_: string, f: 4 | 6) => (f === 4 ? "10.0.0.2" : "fe80::2") };

function bytesPer(label: string, n: number, step: (i: number) => void, adverts?: () => number): number {
  // warm-up: the JIT's own allocations and first-use caches are not per advert
  for (let i = 0; i < 20_000; i++) step(i);
  const types0 = heapStats().objectTypeCounts;
  const before = memoryUsage().current;
  const a0 = adverts?.() ?? 0;
  for (let i = 0; i < n; i++) step(20_000 + i);
  const sent = adverts ? adverts() - a0 : n;
  const per = (memoryUsage().current - before) / sent;
  const types1 = heapStats().objectTypeCounts;
  const cells = Object.keys(types1)
    .map((k) => [k, ((types1[k] ?? 0) - (types0[k] ?? 0)) / sent] as const)
    .filter(([, d]) => d >= 0.01)
    .map(([k, d]) => `${k} ${d.toFixed(2)}`)
    .join(", ");
  console.log(`  ${label}: ${per.toFixed(1)} bytes per advert${cells ? ` (cells: ${cells})` : ""}`);
  return per;
}

function router(priority: number, family: 4 | 6, extra: string[] = []): VrrpRouter {
  const r = new VrrpRouter(
    configFromText(`${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, family, extra })}`, "bench"),
    { ...host, reuseAdverts: true },
  );
  r.start(0);
  return r;
}

function wire(family: 4 | 6): RxPacket {
  const ad: AdvertOut = {
    instance: "x",
    ifname: "eth0",
    family,
    version: 3,
    vrid: 1,
    priority: 200,
    advertIntCs: 100,
    addresses: [family === 4 ? "192.168.1.1" : "2001:db8::1"],
    destinations: [family === 4 ? "224.0.0.18" : "ff02::12"],
    unicast: false,
    ipId: 1,
    seq: 0,
  };
  const src = family === 4 ? "10.0.0.1" : "fe80::1";
  const [pkt] = advertPackets(ad, src);
  if (!pkt) throw new Error("no packet");
  return family === 4
    ? { ifname: "eth0", family: 4, data: pkt.data }
    : // as the socket hands them: 16 bytes from the cmsg and the source sockaddr
      { ifname: "eth0", family: 6, data: pkt.data, src: parseIpv6(src), dst: parseIpv6(pkt.dst), hopLimit: 255 };
}

console.log(`JavaScript heap allocated per advert (BUN_JSC_useGC=0, ${N.toLocaleString("en")} adverts each):`);
bytesPer("baseline: an empty loop          ", N, () => {});
{
  // AF_INET, SOCK_DGRAM; 127.0.0.1:9 (discard): nothing listens, the datagram is dropped
  const fd = libc.socket(2, 2, 0);
  if (fd < 0) throw new Error("socket(AF_INET, SOCK_DGRAM) failed");
  const sa = new Uint8Array(16);
  sa.set([2, 0, 0, 9, 127, 0, 0, 1]);
  const data = new Uint8Array(32);
  let failed = 0;
  const send = () => {
    if (Number(libc.sendto(fd, data, data.length, 0, sa, sa.length)) === -1) failed++;
  };
  // committed bytes move by more than a 32-byte cell per call here (the binding's first use
  // is freed during the loop): count the cells instead, nothing being collected
  const bigints = () => heapStats().objectTypeCounts.BigInt ?? 0;
  for (let i = 0; i < 1_000; i++) send();
  const b0 = bigints();
  for (let i = 0; i < N; i++) send();
  console.log(`  the socket's sendto (bun:ffi)   : ${((bigints() - b0) / N).toFixed(2)} BigInts per advert`);
  libc.close(fd);
  if (failed === N) throw new Error("every sendto failed");
}

// the last: a form the router once decoded with the allocating decodeReceived (it checks no
// VRRPv3 checksum, keepalived 2.4's v3_checksum_as_v2), now into the same record
for (const [family, label, extra] of [
  [4, "IPv4 backup: handleAdvert + poll", []],
  [6, "IPv6 backup: handleAdvert + poll", []],
  [4, "IPv4 backup, v3_checksum_as_v2 ", ["v3_checksum_as_v2"]],
] as const) {
  const backup = router(100, family, [...extra]);
  const rx = wire(family);
  bytesPer(label, N, (i) => {
    backup.handleAdvert(rx, i * 1000);
    backup.pollActions();
  });
  const inst = [...backup.instances.values()][0];
  if (inst?.state !== "BACKUP" || inst.stats.advert_rcvd < N)
    throw new Error(`${label.trim()}: the backup did not take the adverts`);
}

for (const family of [4, 6] as const) {
  const master = router(200, family);
  let now = 0;
  let sent = 0;
  // run to MASTER first (Master_Down_Interval), then one advert deadline per step
  for (let t = 0; t < 10_000; t += 10) master.handleTimeout(t);
  master.pollActions();
  now = 10_000;
  const src = family === 4 ? "10.0.0.2" : "fe80::2";
  const acts: Action[] = [];
  bytesPer(`IPv${family} master: timeout + encode  `, N, () => {
    now += 1000;
    master.handleTimeout(now);
    // as the driver's pump: one list kept, the periodic advert's records reused
    master.drainActions(acts);
    for (let i = 0; i < acts.length; i++) {
      const a = acts[i]!;
      if (a.type === "send-advert") sent += advertPacketsShared(a.advert, src).length;
    }
    acts.length = 0;
  });
  if (sent < N) throw new Error(`IPv${family}: the master sent ${sent} adverts in ${N} deadlines`);
}

{
  // The daemon's path: N masters in one driver, the kernel timer replaced by one slot (the
  // driver arms one timer at a time) and the clock by a variable; channels that count.
  const sim = new SimKernel({
    name: "h",
    segment: new SimSegment({ defer: () => {} }),
    ipv4: "10.0.0.2",
    prefixLen: 24,
  });
  let sends = 0;
  const open = sim.openChannel.bind(sim);
  sim.openChannel = (o) => {
    const r = open(o);
    if (!r.ok) return r;
    const ch: VrrpChannel = { ...r.value, send: () => void sends++ };
    return { ok: true, value: ch };
  };
  let now = 0;
  let slot: (() => void) | undefined;
  let slotAt = 0;
  const conf = Array.from({ length: INSTANCES }, (_, i) =>
    vrrpInstance({
      name: `VI_${i + 1}`,
      vrid: (i % 255) + 1,
      priority: 200,
      state: "MASTER",
      vips: [`10.1.${i >> 8}.${i & 0xff}/32`],
      ifname: "eth0",
    }),
  ).join("\n");
  const driver = new VrrpDriver({
    config: configFromText(`${globalDefs(3)}\n${conf}`, "bench"),
    kernel: sim,
    log: createLogger({ write: () => {} }),
    now: () => now,
    timers: {
      set: (fn, ms) => {
        slot = fn;
        slotAt = now + Math.max(0, ms);
        return 1;
      },
      clear: () => {
        slot = undefined;
      },
    },
    reconcileMs: 1e12,
  });
  driver.start();
  const fire = () => {
    const fn = slot;
    if (!fn) throw new Error("the driver armed no timer");
    now = Math.max(now, slotAt);
    slot = undefined;
    fn();
  };
  while (now < 10_000) fire();
  if (driver.instance("VI_1")?.state !== "MASTER") throw new Error("the driver's instances did not become MASTER");
  bytesPer(`driver, ${INSTANCES} masters: timer → sendto `, Math.ceil(N / 10), fire, () => sends);
  driver.stop();
}
