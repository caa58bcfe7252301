/**
 * Bench (root): how long each daemon's CPU takes to settle once its instances reached their
 * states, to choose bench/vs-keepalived/run.ts's warm-up before its steady CPU window. The
 * steady lab of run.ts (bench/lib/steady-lab.ts: N instances, advert_int 1, backup h2 at
 * 100, master h1 at 150), keel then keepalived, then keepalived then keel the next round.
 * From the moment the master's last instance said MASTER ("ready", where run.ts's warm-up
 * starts), the CPU of master and backup (utime + stime of every process in the host's
 * namespace, /proc/PID/stat) per slice, and for keel its JITWorker threads' share
 * (/proc/PID/task/TID/schedstat). Medians over the rounds; the load average beside each.
 *
 *   node_modules/.bin/bun bench/vs-keepalived/warmup.ts [--instances N] [--seconds S] [--slice S] [--rounds R]
 */
import { Lab, type Proc, ensureKeel } from "../../test/netns/harness";
import { HZ, cpuTicks, loadAvg, nsPids, startSteady, threadDelta, threadTimes } from "../lib/steady-lab";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg("instances", 200);
const SECONDS = arg("seconds", 90);
const SLICE_S = arg("slice", 5);
const ROUNDS = arg("rounds", 2);
const SLICES = Math.floor(SECONDS / SLICE_S);
type Kind = "keel" | "keepalived";

interface Run {
  /** % of a core per slice */
  master: number[];
  backup: number[];
  /** keel's JITWorker threads, master + backup, % of a core per slice */
  jit: number[];
  /** exec of the backup → ready, s */
  toReady: number;
  /** state changes after ready (the backup's instances that went MASTER before the master's first adverts, coming back) */
  flaps: number;
  /** the last of those, s after ready */
  settled: number;
  load: string;
}

async function one(kind: Kind): Promise<Run> {
  const lab = Lab.create(["h1", "h2"]);
  try {
    const t = performance.now();
    const launch = (host: string, conf: string): Proc =>
      kind === "keel" ? lab.keel(host, conf) : lab.keepalived(host, conf);
    const { master, backup } = await startSteady(lab, N, launch);
    const t0 = performance.now();
    const from = [master.lines.length, backup.lines.length];
    const run: Run = { master: [], backup: [], jit: [], toReady: (t0 - t) / 1000, flaps: 0, settled: 0, load: "" };
    const sample = () => {
      const pm = nsPids(lab, "h1");
      const pb = nsPids(lab, "h2");
      return { m: cpuTicks(pm), b: cpuTicks(pb), th: threadTimes([...pm, ...pb]) };
    };
    let prev = sample();
    for (let k = 1; k <= SLICES; k++) {
      await Bun.sleep(Math.max(0, t0 + k * SLICE_S * 1000 - performance.now()));
      const now = sample();
      run.master.push(((now.m - prev.m) / HZ / SLICE_S) * 100);
      run.backup.push(((now.b - prev.b) / HZ / SLICE_S) * 100);
      const jit = [...threadDelta(prev.th, now.th)].filter(([name]) => name.startsWith("JITWorker"));
      run.jit.push((jit.reduce((n, [, ns]) => n + ns, 0) / 1e9 / SLICE_S) * 100);
      prev = now;
    }
    const changes = [master, backup].flatMap((p, i) =>
      p.lines.slice(from[i]).filter((l) => /Entering (MASTER|BACKUP) STATE/.test(l.text)),
    );
    run.flaps = changes.length;
    run.settled = Math.max(0, ...changes.map((l) => (l.t - t0) / 1000));
    run.load = loadAvg();
    return run;
  } finally {
    lab.destroy();
  }
}

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (process.getuid?.() !== 0) {
  console.error("bench/vs-keepalived/warmup.ts needs root (network namespaces)");
  process.exit(1);
}
ensureKeel();
console.log(
  `${N} instances, CPU (% of a core) per ${SLICE_S} s slice over the first ${SECONDS} s after both reached their states, ${ROUNDS} round(s); load ${loadAvg()}`,
);
const runs: Record<Kind, Run[]> = { keel: [], keepalived: [] };
for (let r = 0; r < ROUNDS; r++)
  for (const kind of (r % 2 === 0 ? ["keel", "keepalived"] : ["keepalived", "keel"]) as Kind[]) {
    const x = await one(kind);
    runs[kind].push(x);
    console.log(
      `  round ${r + 1} ${kind}: ready ${x.toReady.toFixed(1)} s after the backup's exec, ${x.flaps} state changes after, the last ${x.settled.toFixed(1)} s after, load ${x.load}`,
    );
    console.log(`    master ${x.master.map((v) => v.toFixed(1)).join(" ")}`);
    console.log(`    backup ${x.backup.map((v) => v.toFixed(1)).join(" ")}`);
    if (kind === "keel") console.log(`    JIT    ${x.jit.map((v) => v.toFixed(1)).join(" ")}`);
  }
const col = (kind: Kind, k: number, f: (x: Run) => number[]) =>
  median(runs[kind].map((x) => f(x)[k] ?? Number.NaN)).toFixed(2);
console.log(
  "\nmedians: slice (s after ready) | keel master | keel backup | keel JITWorker | keepalived master | keepalived backup",
);
for (let k = 0; k < SLICES; k++)
  console.log(
    `${`${k * SLICE_S}-${(k + 1) * SLICE_S}`.padStart(7)} | ${col("keel", k, (x) => x.master).padStart(6)} | ${col("keel", k, (x) => x.backup).padStart(6)} | ${col("keel", k, (x) => x.jit).padStart(6)} | ${col("keepalived", k, (x) => x.master).padStart(6)} | ${col("keepalived", k, (x) => x.backup).padStart(6)}`,
  );
console.log(`load average at the end: ${loadAvg()}`);
