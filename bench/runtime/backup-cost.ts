/**
 * Bench (root): where a steady 200-instance backup's CPU goes, per advert received, over
 * time (issue 20: the backup's ≤ 2× keepalived goal). The lab of bench/lib/steady-lab.ts
 * (a master at 150 on h1, a backup at 100 on h2, advert_int 1), one build; after both
 * reached their states, each thread of the backup (/proc/PID/task/TID/schedstat, by
 * name: JS, JITWorker, the allocator's scavenger, …) in slices of S seconds, as µs of CPU
 * per advert received (instances × slice seconds adverts) and % of a core, with the load
 * average: the JIT's tail and the steady state after it apart.
 *
 *   node_modules/.bin/bun bench/runtime/backup-cost.ts --bin dist/keel [--instances N]
 *       [--slices K] [--slice-seconds S] [--settle S]
 *       [--strace S]   (after the slices, `strace -f -c` of the backup for S seconds: system calls per advert)
 *       [--perf S]     (after the slices, `perf record -g` of the backup for S seconds into /tmp/backup-cost.perf.data)
 *       [--trace S]    (after the slices, `strace -f -tt` of the backup for S seconds into /tmp/backup-cost.strace: the order of signals and calls)
 *       [--master]     (the master's threads instead, as µs per advert sent: the same lab, the other side)
 */
import { Lab } from "../../test/netns/harness";
import { readFileSync } from "node:fs";
import { HZ, loadAvg, nsPids, startSteady, threadDelta, threadTimes } from "../lib/steady-lab";

/** the JS thread's (the process's own) utime and stime, clock ticks: user space against the kernel */
function userSys(pid: number): [number, number] {
  try {
    const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return [Number(rest[11]), Number(rest[12])];
  } catch {
    return [0, 0];
  }
}

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const binAt = process.argv.indexOf("--bin");
const BIN = binAt > 0 ? process.argv[binAt + 1] : undefined;
if (!BIN) {
  console.error("usage: backup-cost.ts --bin PATH [--instances N] [--slices K] [--slice-seconds S] [--settle S]");
  process.exit(2);
}
const N = arg("instances", 200);
const SLICES = arg("slices", 6);
const SLICE_S = arg("slice-seconds", 20);
const SETTLE_S = arg("settle", 10);
const STRACE_S = arg("strace", 0);
const PERF_S = arg("perf", 0);
const TRACE_S = arg("trace", 0);
const SIDE = process.argv.includes("--master") ? "master" : "backup";

const lab = Lab.create(["h1", "h2"]);
try {
  const { master, backup } = await startSteady(lab, N, (host, text) => lab.keel(host, text, [], { binary: BIN }));
  const ready = performance.now();
  await Bun.sleep(SETTLE_S * 1000);
  const pids = nsPids(lab, SIDE === "master" ? "h1" : "h2");
  const watched = SIDE === "master" ? master : backup;
  const from = watched.lines.length;
  console.log(
    `${BIN}: ${N} instances, the ${SIDE}'s CPU per advert ${SIDE === "master" ? "sent" : "received"} (µs) by thread, ${SLICE_S} s slices:`,
  );
  let prev = threadTimes(pids);
  let prevUs = userSys(watched.pid);
  for (let k = 0; k < SLICES; k++) {
    await Bun.sleep(SLICE_S * 1000);
    const now = threadTimes(pids);
    const us = userSys(watched.pid);
    const jsUser = (((us[0] - prevUs[0]) / HZ) * 1e6) / (N * SLICE_S);
    const jsSys = (((us[1] - prevUs[1]) / HZ) * 1e6) / (N * SLICE_S);
    prevUs = us;
    const d = threadDelta(prev, now);
    prev = now;
    const adverts = N * SLICE_S;
    let total = 0;
    for (const v of d.values()) total += v;
    const parts = [...d]
      .filter(([, v]) => v / 1e3 / adverts >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([name, v]) => `${name} ${(v / 1e3 / adverts).toFixed(1)}`)
      .join(", ");
    const t0 = ((performance.now() - ready) / 1000 - SLICE_S).toFixed(0);
    console.log(
      `  from ${t0} s: ${(total / 1e3 / adverts).toFixed(1)} µs (${((total / 1e9 / SLICE_S) * 100).toFixed(2)}% of a core): ${parts}; JS thread user ${jsUser.toFixed(1)} / kernel ${jsSys.toFixed(1)}  (load ${loadAvg()})`,
    );
  }
  const flaps = watched.lines.slice(from).filter((l) => /Entering (MASTER|BACKUP) STATE/.test(l.text)).length;
  if (flaps > 0) console.log(`  ${flaps} state changes in the slices: not a steady state`);
  if (STRACE_S > 0) {
    const r = Bun.spawnSync(
      ["timeout", "-s", "INT", String(STRACE_S), "strace", "-c", "-f", "-p", String(watched.pid)],
      {
        stderr: "pipe",
      },
    );
    const rows = r.stderr
      .toString()
      .split("\n")
      .filter((l) => /^\s*\d/.test(l))
      .map((l) => {
        const f = l.trim().split(/\s+/);
        return `    ${f.at(-1)} ${(Number(f[3]) / (N * STRACE_S)).toFixed(3)} per advert`;
      });
    console.log(`  strace -c -f ${STRACE_S} s:\n${rows.join("\n")}`);
  }
  if (TRACE_S > 0)
    Bun.spawnSync(
      [
        "timeout",
        "-s",
        "INT",
        String(TRACE_S),
        "strace",
        "-f",
        "-tt",
        "-o",
        "/tmp/backup-cost.strace",
        "-p",
        String(watched.pid),
      ],
      { stderr: "ignore" },
    );
  if (PERF_S > 0) {
    Bun.spawnSync(
      [
        "perf",
        "record",
        "-g",
        // CLOCK_MONOTONIC: `perf inject --jit` matches JSC's jitdump records by it
        // (BUN_JSC_useJITDump=1 BUN_JSC_jitDumpDirectory=DIR in the environment)
        "-k",
        "1",
        "-o",
        "/tmp/backup-cost.perf.data",
        "-p",
        String(watched.pid),
        "--",
        "sleep",
        String(PERF_S),
      ],
      { stderr: "inherit", stdout: "inherit" },
    );
  }
  for (const p of [master, backup]) p.kill("SIGTERM");
  await Promise.race([Promise.all([master.exited, backup.exited]), Bun.sleep(20_000)]);
} finally {
  lab.destroy();
}
