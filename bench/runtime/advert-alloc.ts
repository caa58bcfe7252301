/**
 * Bench (not a test): bytes of JavaScript heap allocated per advert on the engine's hot
 * paths, in process. A backup hearing an advert (VrrpRouter.handleAdvert, then
 * pollActions as the driver's pump does) and a master sending one (handleTimeout at each
 * advert deadline, pollActions, advertPacketsShared: the packets the driver sends).
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
import type { AdvertOut } from "../../src/vrrp/types";
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

const host = { interfaceAddress: (_: string, f: 4 | 6) => (f === 4 ? "10.0.0.2" : "fe80::2") };

function bytesPer(label: string, n: number, step: (i: number) => void): number {
  // warm-up: the JIT's own allocations and first-use caches are not per advert
  for (let i = 0; i < 20_000; i++) step(i);
  const before = memoryUsage().current;
  for (let i = 0; i < n; i++) step(20_000 + i);
  const per = (memoryUsage().current - before) / n;
  console.log(`  ${label}: ${per.toFixed(1)} bytes per advert`);
  return per;
}

function router(priority: number, family: 4 | 6, extra: string[] = []): VrrpRouter {
  const r = new VrrpRouter(
    configFromText(`${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, family, extra })}`, "bench"),
    host,
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
  bytesPer(`IPv${family} master: timeout + encode  `, N, () => {
    now += 1000;
    master.handleTimeout(now);
    const acts = master.pollActions();
    for (let i = 0; i < acts.length; i++) {
      const a = acts[i]!;
      if (a.type === "send-advert") sent += advertPacketsShared(a.advert, src).length;
    }
  });
  if (sent < N) throw new Error(`IPv${family}: the master sent ${sent} adverts in ${N} deadlines`);
}
