/**
 * Bench (root): steady-state CPU of two keel builds, in interleaved A/B pairs, as
 * bench/vs-keepalived/run.ts sets up its "steady" rows (N instances, advert_int 1,
 * VRRPv3, one VIP each, a backup at priority 100 and a master at 150 in a namespace lab
 * of their own). The CPU is every process in the host's namespace, all threads, over S
 * seconds after both reached their state (steady-lab.ts cpuOver: a cgroup's ns, or /proc
 * ticks where the machine has none); the load average is printed beside each pair, since
 * this machine is shared.
 *
 *   node_modules/.bin/bun bench/runtime/steady-ab.ts --bins A,B [--instances N] [--rounds R] [--cpu-seconds S]
 *       [--settle S]   (seconds between both states reached and the CPU window; default
 *                      WARMUP_S of bench/lib/steady-lab.ts, as run.ts: the JIT compiles before that)
 *       [--threads]    (also each thread's CPU, from /proc/PID/task/TID/schedstat, by thread name)
 *       [--strace S]   (after the CPU window, `strace -c -f` of each daemon for S seconds: system calls per advert)
 *       [--log DIR]    (each daemon's output, with the time it arrived, into DIR/<host>-<ms>.log: JSC's reports)
 *       [--prof DIR]   (each daemon writes a CPU profile into DIR: BUN_OPTIONS=--cpu-prof, stopped by SIGTERM)
 *
 * A round where either daemon changed state during the window (a starved daemon misses
 * adverts: seen at load 30+) is printed but left out of the medians.
 * Each round runs A then B, the next B then A, so a load that rises or falls over the
 * run weighs on both builds alike. Medians at the end.
 */
import { writeFileSync } from "node:fs";
import { Lab } from "../../test/netns/harness";
import { WARMUP_S, cpuOver, loadAvg, nsPids, startSteady, threadDelta, threadTimes } from "../lib/steady-lab";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const binsAt = process.argv.indexOf("--bins");
const BINS = binsAt > 0 ? (process.argv[binsAt + 1] ?? "").split(",") : [];
if (BINS.length < 1) {
  console.error("usage: steady-ab.ts --bins A,B [--instances N] [--rounds R] [--cpu-seconds S]");
  process.exit(2);
}
const N = arg("instances", 200);
const ROUNDS = arg("rounds", 3);
const CPU_S = arg("cpu-seconds", 30);
const SETTLE_S = arg("settle", WARMUP_S);
const profAt = process.argv.indexOf("--prof");
const PROF = profAt > 0 ? process.argv[profAt + 1] : undefined;
const THREADS = process.argv.includes("--threads");
const STRACE_S = arg("strace", 0);
const logAt = process.argv.indexOf("--log");
const LOG = logAt > 0 ? process.argv[logAt + 1] : undefined;

function threadLine(delta: Map<string, number>): string {
  return [...delta]
    .map(([k, v]) => [k, (v / 1e9 / CPU_S) * 100] as const)
    .filter(([, p]) => p >= 0.01)
    .sort((x, y) => y[1] - x[1])
    .map(([k, p]) => `${k} ${p.toFixed(2)}`)
    .join(", ");
}

/** datagrams the kernel dropped on the host's raw sockets (the last column of /proc/net/raw: a full receive buffer) */
function rawDrops(lab: Lab, host: string): number {
  return lab
    .exec(host, ["cat", "/proc/net/raw"])
    .split("\n")
    .slice(1)
    .reduce((n, l) => n + (Number(l.trim().split(/\s+/).at(-1)) || 0), 0);
}

async function one(bin: string): Promise<{ master: number; backup: number; load: string; flaps: number }> {
  const lab = Lab.create(["h1", "h2"]);
  try {
    const { master: m, backup: b } = await startSteady(lab, N, (host, text) =>
      lab.keel(host, text, [], {
        binary: bin,
        env: PROF
          ? { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROF} --cpu-prof-name=${host}-${Date.now()}.cpuprofile` }
          : {},
      }),
    );
    await Bun.sleep(SETTLE_S * 1000);
    const pm = nsPids(lab, "h1");
    const pb = nsPids(lab, "h2");
    const from = [m.lines.length, b.lines.length];
    const drops = [rawDrops(lab, "h1"), rawDrops(lab, "h2")];
    const thBefore = THREADS ? [threadTimes(pm), threadTimes(pb)] : [];
    const cpu = await Promise.all([cpuOver(pm, CPU_S), cpuOver(pb, CPU_S)]);
    if (THREADS) {
      console.log(`    threads, master: ${threadLine(threadDelta(thBefore[0]!, threadTimes(pm)))}`);
      console.log(`    threads, backup: ${threadLine(threadDelta(thBefore[1]!, threadTimes(pb)))}`);
    }
    const pct = (i: number) => cpu[i]!.pct;
    // a starved daemon misses adverts and flaps (seen at load 30+): its CPU is then the
    // transitions', not the steady state's, and the round says so
    console.log(
      `    raw socket drops in the window, master / backup: ${rawDrops(lab, "h1") - drops[0]!} / ${rawDrops(lab, "h2") - drops[1]!}`,
    );
    const flaps = [m, b].reduce(
      (k, p, i) => k + p.lines.slice(from[i]).filter((l) => /Entering (MASTER|BACKUP) STATE/.test(l.text)).length,
      0,
    );
    if (STRACE_S > 0)
      for (const [name, p] of [
        ["master", m],
        ["backup", b],
      ] as const) {
        const r = Bun.spawnSync(["timeout", "-s", "INT", String(STRACE_S), "strace", "-c", "-f", "-p", String(p.pid)], {
          stderr: "pipe",
        });
        const rows = r.stderr
          .toString()
          .split("\n")
          .filter((l) => /^\s*\d/.test(l));
        console.log(`    strace ${STRACE_S} s, ${name} (top 8):\n${rows.slice(0, 8).join("\n")}`);
      }
    // a clean stop (the lab's destroy is SIGKILL): a profile is written at exit
    for (const p of [m, b]) p.kill("SIGTERM");
    await Promise.race([Promise.all([m.exited, b.exited]), Bun.sleep(20_000)]);
    if (LOG)
      for (const p of [m, b])
        writeFileSync(
          `${LOG}/${p.host}-${Date.now()}.log`,
          p.lines.map((l) => `${l.t.toFixed(0)} ${l.text}`).join("\n"),
        );
    return { master: pct(0), backup: pct(1), load: loadAvg().split(" ")[0] ?? "?", flaps };
  } finally {
    lab.destroy();
  }
}

const results = new Map<string, { master: number[]; backup: number[] }>(
  BINS.map((b) => [b, { master: [], backup: [] }]),
);
console.log(
  `${N} instances, CPU over ${CPU_S} s after a ${SETTLE_S} s warm-up from both reaching their states (% of a core), master / backup:`,
);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? BINS : [...BINS].reverse();
  for (const bin of order) {
    const x = await one(bin);
    if (x.flaps === 0) {
      results.get(bin)?.master.push(x.master);
      results.get(bin)?.backup.push(x.backup);
    }
    const note = x.flaps === 0 ? "" : `, ${x.flaps} transitions in the window: not counted`;
    console.log(`  round ${r + 1} ${bin}: ${x.master.toFixed(2)} / ${x.backup.toFixed(2)}  (load ${x.load}${note})`);
  }
}
const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const [bin, x] of results)
  console.log(`median ${bin}: ${median(x.master).toFixed(2)} / ${median(x.backup).toFixed(2)}`);
