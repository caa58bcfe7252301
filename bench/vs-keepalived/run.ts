/**
 * Bench (root): keel against keepalived 2.2.7 on identical namespace labs, in one run:
 * every row of issue 20's table. For each daemon kind, a lab where master and backup are
 * that kind:
 *
 *  - crash failover: SIGKILL the master (keepalived: its whole process group) at a random
 *    phase of the advert timer → the VIP on the backup (`ip monitor`) and → the first
 *    GARP a client sees (capture timestamps); the backup's own precision, its last advert
 *    heard → the VIP, and that less Master_Down_Interval (the overhead); the last advert
 *    heard → the first GARP at the client less the same, both ends capture stamps (the
 *    `ip monitor` rows also hold the observer's own wake-up, which waits for a CPU
 *    behind whatever the daemon still runs: bench/runtime/failover-trace.ts);
 *  - graceful handover: SIGTERM the master → the VIP on the backup;
 *  - steady state: CPU (% of one core, every process of the daemon in the host) and RSS
 *    (sum of VmRSS) for 1, 200 and 1,000 instances at advert_int 1, master and backup
 *    (past 250 instances the hosts get more segments: a VRID is unique per interface),
 *    the CPU over --cpu-seconds from --warmup seconds after both reached their states
 *    (default WARMUP_S of bench/lib/steady-lab.ts: Bun's JIT still compiles before that;
 *    the same wait for keepalived), in ns from a cgroup of each daemon's own where the
 *    machine has one (steady-lab.ts CpuGroup; /proc's 10 ms ticks otherwise, named at the end);
 *  - startup: exec → the first advert on the wire (an address owner advertises at once),
 *    and exec → exit of `--version` (the floor every `keel -t`, `keel status` pays);
 *  - advert send jitter at 100 ms adverts, 10 instances: bench/check/advert-jitter.ts run
 *    as it is (its rows without checker load, keel and keepalived), then again with
 *    `--rt --no-load` (both daemons with vrrp_rt_priority 50: issue 20's "real-time
 *    scheduling helps only once the loop itself is precise"; the plain rows stay);
 *  - 1,000 VIPs, the master decision → all installed (keel only): bench/runtime/failover.ts
 *    `--only vips`, as it is.
 *
 * Prints a table with ratios keel / keepalived (lower is better for keel).
 *
 *   node_modules/.bin/bun bench/vs-keepalived/run.ts [--rounds N] [--cpu-seconds S] [--warmup S] [--jitter-seconds S]
 *       [--only PART[,PART]]      PART: failover, steady, startup, jitter, vips
 *       [--binary PATH]           failover: keel from another build (A/B pairs), not dist/keel
 *
 * `--only startup` runs the start-up rows alone (a minute instead of ~15): the ones a
 * change to how keel starts moves.
 */
import { join } from "node:path";
import { KEEL, Lab, type Proc, ensureKeel, instance } from "../../test/netns/harness";
import { WARMUP_S, cpuOver, loadAvg, nsPids, rssMb, startSteady } from "../lib/steady-lab";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ROUNDS = arg("rounds", 10);
const CPU_S = arg("cpu-seconds", 30);
const WARMUP = arg("warmup", WARMUP_S);
const JITTER_S = arg("jitter-seconds", 20);
const binaryAt = process.argv.indexOf("--binary");
/** failover: another keel build, for A/B pairs in the same minutes */
const BINARY = binaryAt > 0 ? process.argv[binaryAt + 1] : undefined;
const PARTS = ["failover", "steady", "startup", "jitter", "vips"] as const;
type Part = (typeof PARTS)[number];
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? "").split(",") : [...PARTS];
for (const p of only)
  if (!(PARTS as readonly string[]).includes(p)) {
    console.error(`--only: '${p}' is not one of ${PARTS.join(", ")}`);
    process.exit(2);
  }
const runs = (p: Part) => only.includes(p);
const VIP = "10.99.0.100";
/** Master_Down_Interval of the failover lab's backup: 3 × 1 s + Skew_Time (256 − 100) / 256 s (RFC 5798 6.1) */
const MDI_MS = 3000 + ((256 - 100) * 1000) / 256;
const GLOBAL = "global_defs {\n  router_id bench\n}\n";
type Kind = "keel" | "keepalived";
const epochNow = () => performance.timeOrigin + performance.now();

interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

function summary(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0] ?? Number.NaN, median, max: s.at(-1) ?? Number.NaN, n: s.length };
}

function launch(lab: Lab, kind: Kind, host: string, conf: string): Proc {
  return kind === "keel" ? lab.keel(host, conf) : lab.keepalived(host, conf);
}

function crash(kind: Kind, p: Proc): void {
  if (kind === "keepalived") p.killGroup("SIGKILL");
  else p.kill("SIGKILL");
}

async function failover(
  kind: Kind,
): Promise<{ toVip: number[]; toGarp: number[]; handover: number[]; fromLast: number[]; lastToGarp: number[] }> {
  const lab = Lab.create(["h1", "h2", "client"]);
  const launch = (lab: Lab, kind: Kind, host: string, conf: string): Proc =>
    kind === "keel" ? lab.keel(host, conf, [], { binary: BINARY }) : lab.keepalived(host, conf);
  const toVip: number[] = [];
  /** the backup's own precision: the last advert it heard → the VIP (ideal: Master_Down_Interval) */
  const fromLast: number[] = [];
  const toGarp: number[] = [];
  /** the last advert heard → the first GARP a client sees: two capture stamps, no observer's wake-up in it */
  const lastToGarp: number[] = [];
  const handover: number[] = [];
  try {
    const conf = (p: number) => GLOBAL + instance({ priority: p, version: 3 });
    const backup = launch(lab, kind, "h2", conf(100));
    await backup.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    for (let r = 0; r < ROUNDS * 2; r++) {
      const graceful = r % 2 === 1;
      const master = launch(lab, kind, "h1", conf(150));
      await master.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
      for (let i = 0; i < 200 && lab.hasAddr("h2", VIP); i++) await Bun.sleep(20);
      // the backup's capture covers the master's last advert before the kill
      const heard = graceful ? undefined : await lab.capture("h2", "ip proto 112");
      // a random phase against the advert timer, as a real crash has
      await Bun.sleep(1_000 + Math.random() * 1_000);
      const cap = graceful ? undefined : await lab.capture("client", "arp");
      const watch = await lab.watchAddr("h2", VIP);
      const e0 = epochNow();
      const t0 = performance.now();
      if (graceful) master.kill("SIGTERM");
      else crash(kind, master);
      const t1 = await watch.wait();
      watch.stop();
      (graceful ? handover : toVip).push(t1 - t0);
      let last: number | undefined;
      if (heard) {
        const pcap = await heard.stop();
        last = lab
          .tshark(pcap, `vrrp && ip.src == ${lab.ip("h1")}`, ["frame.time_epoch"])
          .map((r) => Number(r[0]) * 1000)
          .filter((t) => t <= e0)
          .at(-1);
        if (last !== undefined) fromLast.push(performance.timeOrigin + t1 - last);
      }
      if (cap) {
        await Bun.sleep(300);
        const pcap = await cap.stop();
        const first = lab.tshark(pcap, `arp.src.proto_ipv4 == ${VIP} && arp.dst.proto_ipv4 == ${VIP}`, [
          "frame.time_epoch",
        ])[0];
        if (first) toGarp.push(Number(first[0]) * 1000 - e0);
        if (first && last !== undefined) lastToGarp.push(Number(first[0]) * 1000 - last);
      }
      await master.exited;
    }
  } finally {
    lab.destroy();
  }
  return { toVip, toGarp, handover, fromLast, lastToGarp };
}

/** how the steady rows' CPU was counted: "cgroup" (ns) or "ticks" (/proc, 10 ms) */
const cpuHow = new Set<string>();

async function steady(
  kind: Kind,
  n: number,
): Promise<{ master: { cpu: number; rss: number }; backup: { cpu: number; rss: number } }> {
  const lab = Lab.create(["h1", "h2"]);
  try {
    await startSteady(lab, n, (host, conf) => launch(lab, kind, host, conf));
    await Bun.sleep(WARMUP * 1000);
    const pm = nsPids(lab, "h1");
    const pb = nsPids(lab, "h2");
    const [m, b] = await Promise.all([cpuOver(pm, CPU_S), cpuOver(pb, CPU_S)]);
    cpuHow.add(m.how).add(b.how);
    return { master: { cpu: m.pct, rss: rssMb(pm) }, backup: { cpu: b.pct, rss: rssMb(pb) } };
  } finally {
    lab.destroy();
  }
}

async function startup(kind: Kind): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < Math.max(5, Math.ceil(ROUNDS / 2)); r++) {
    const lab = Lab.create(["h1", "client"]);
    try {
      const cap = await lab.capture("client", "ip proto 112");
      const e0 = epochNow();
      const p = launch(lab, kind, "h1", GLOBAL + instance({ priority: 255, state: "MASTER", version: 3 }));
      await p.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
      await Bun.sleep(500);
      const pcap = await cap.stop();
      const first = lab.tshark(pcap, "vrrp", ["frame.time_epoch"])[0];
      if (first) out.push(Number(first[0]) * 1000 - e0);
    } finally {
      lab.destroy();
    }
  }
  return out;
}

/** exec → exit of `cmd --version`, wall clock seen by the parent, one run after another */
function versionRuns(cmd: string): number[] {
  const out: number[] = [];
  Bun.spawnSync([cmd, "--version"]); // warm the page cache: every start after the first is the one users see
  for (let r = 0; r < Math.max(20, ROUNDS * 2); r++) {
    const t0 = performance.now();
    const p = Bun.spawnSync([cmd, "--version"], { stdout: "ignore", stderr: "ignore" });
    const t = performance.now() - t0;
    if (p.exitCode !== 0) throw new Error(`${cmd} --version exited with ${p.exitCode}`);
    out.push(t);
  }
  return out;
}

/**
 * Another bench of this repository run as it is (its own lab and output), for the rows it
 * measures: stdout, or an error with its last lines when it fails.
 */
function benchOutput(script: string, args: string[]): string {
  const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", script), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = r.stdout.toString();
  if (r.exitCode !== 0)
    throw new Error(
      `${script} exited with ${r.exitCode}: ${`${out}${r.stderr}`.trim().split("\n").slice(-5).join(" | ")}`,
    );
  return out;
}

/**
 * |interval − 100 ms| of 10 instances' adverts, no checker load: bench/check/advert-jitter.ts's rows;
 * `rt`: both daemons with vrrp_rt_priority (its --rt)
 */
function jitter(rt = false): Record<Kind, { p99: number; max: number } | undefined> {
  const out = benchOutput("check/advert-jitter.ts", [
    "--seconds",
    String(JITTER_S),
    ...(rt ? ["--rt", "--no-load"] : []),
  ]);
  const row = (kind: Kind) => {
    const name = rt ? `${kind} \\(rt\\)` : kind;
    const m = out.match(new RegExp(`^${name}\\s+no checks .*p99 ([\\d.]+) ms\\s+max ([\\d.]+) ms`, "m"));
    return m ? { p99: Number(m[1]), max: Number(m[2]) } : undefined;
  };
  return { keel: row("keel"), keepalived: row("keepalived") };
}

/** The master decision → all 1,000 VIPs in the kernel (keel's JSON log time against `ip monitor`): bench/runtime/failover.ts's row */
function vipInstall(): number {
  const out = benchOutput("runtime/failover.ts", ["--only", "vips"]);
  const m = out.match(/^\s*1000 VIPs: decision → all VIPs installed ([\d.]+) ms/m);
  if (!m) throw new Error(`bench/runtime/failover.ts printed no 1000-VIP row:\n${out}`);
  return Number(m[1]);
}

if (process.getuid?.() !== 0) {
  console.error("bench/vs-keepalived/run.ts needs root (network namespaces)");
  process.exit(1);
}
ensureKeel();
const ka = Bun.spawnSync(["keepalived", "--version"]).stderr.toString().split("\n")[0];
console.log(
  `keel vs ${ka}, ${new Date().toISOString()}, ${ROUNDS} rounds, CPU over ${CPU_S} s after a ${WARMUP} s warm-up (both daemons), parts: ${only.join(", ")}`,
);
console.log(`load average at the start: ${loadAvg()}`);

const rows: [string, number, number, string][] = [];
const add = (what: string, k: number, a: number, unit: string) => rows.push([what, k, a, unit]);
if (runs("failover")) {
  const res = { keel: await failover("keel"), keepalived: await failover("keepalived") };
  for (const [label, key] of [
    ["crash → VIP on backup", "toVip"],
    ["crash → first GARP", "toGarp"],
    ["SIGTERM → VIP on backup", "handover"],
    [`last advert heard → VIP (MDI ${MDI_MS.toFixed(1)})`, "fromLast"],
  ] as const) {
    const k = summary(res.keel[key]);
    const a = summary(res.keepalived[key]);
    add(`${label}, median`, k.median, a.median, "ms");
    add(`${label}, min`, k.min, a.min, "ms");
    add(`${label}, max`, k.max, a.max, "ms");
  }
  const k = summary(res.keel.fromLast);
  const a = summary(res.keepalived.fromLast);
  add("last advert heard → VIP, above MDI, median", k.median - MDI_MS, a.median - MDI_MS, "ms");
  // both ends on the wire (the backup's capture, the client's): what the segment sees, with
  // no `ip monitor` or bench wake-up waiting for a CPU in it
  const kg = summary(res.keel.lastToGarp);
  const ag = summary(res.keepalived.lastToGarp);
  add("last advert heard → first GARP at the client, above MDI, median", kg.median - MDI_MS, ag.median - MDI_MS, "ms");
}
for (const n of runs("steady") ? [1, 200, 1000] : []) {
  const k = await steady("keel", n);
  const a = await steady("keepalived", n);
  add(`${n} instance(s), master CPU`, k.master.cpu, a.master.cpu, "% core");
  add(`${n} instance(s), backup CPU`, k.backup.cpu, a.backup.cpu, "% core");
  add(`${n} instance(s), master RSS`, k.master.rss, a.master.rss, "MB");
  add(`${n} instance(s), backup RSS`, k.backup.rss, a.backup.rss, "MB");
}
if (runs("startup")) {
  const sk = summary(await startup("keel"));
  const sa = summary(await startup("keepalived"));
  add("startup: exec → first advert, median", sk.median, sa.median, "ms");
  add("startup: exec → first advert, min", sk.min, sa.min, "ms");
  const vk = summary(versionRuns(KEEL));
  const va = summary(versionRuns("keepalived"));
  add("--version: exec → exit, median", vk.median, va.median, "ms");
  add("--version: exec → exit, min", vk.min, va.min, "ms");
}
/** A part run by another bench: its failure is printed and its rows stay empty, the table still comes */
function tryPart<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    console.log(`${what}: not measured: ${(e as Error).message}`);
    return undefined;
  }
}
if (runs("jitter")) {
  const j = tryPart("advert jitter", jitter);
  add("advert jitter at 100 ms, 10 instances, p99", j?.keel?.p99 ?? Number.NaN, j?.keepalived?.p99 ?? Number.NaN, "ms");
  add("advert jitter at 100 ms, 10 instances, max", j?.keel?.max ?? Number.NaN, j?.keepalived?.max ?? Number.NaN, "ms");
  const r = tryPart("advert jitter, vrrp_rt_priority", () => jitter(true));
  add(
    "advert jitter, both vrrp_rt_priority 50, p99",
    r?.keel?.p99 ?? Number.NaN,
    r?.keepalived?.p99 ?? Number.NaN,
    "ms",
  );
  add(
    "advert jitter, both vrrp_rt_priority 50, max",
    r?.keel?.max ?? Number.NaN,
    r?.keepalived?.max ?? Number.NaN,
    "ms",
  );
}
if (runs("vips"))
  add("1,000 VIPs: decision → all installed", tryPart("1,000 VIPs", vipInstall) ?? Number.NaN, Number.NaN, "ms");
console.log(`load average at the end: ${loadAvg()}`);
if (cpuHow.size > 0) console.log(`CPU counted from: ${[...cpuHow].join(", ")}`);

const w = Math.max(...rows.map((r) => r[0].length));
const cell = (x: number, unit: string) => (Number.isNaN(x) ? "–" : `${x.toFixed(Math.abs(x) < 10 ? 2 : 1)} ${unit}`);
console.log(`\n${"measure".padEnd(w)} | ${"keel".padStart(10)} | ${"keepalived".padStart(10)} | ratio`);
console.log(`${"-".repeat(w)}-|-${"-".repeat(10)}-|-${"-".repeat(10)}-|------`);
for (const [what, k, a, unit] of rows) {
  const ratio = a > 0 ? (k / a).toFixed(2) : "-";
  console.log(`${what.padEnd(w)} | ${cell(k, unit).padStart(10)} | ${cell(a, unit).padStart(10)} | ${ratio}`);
}
