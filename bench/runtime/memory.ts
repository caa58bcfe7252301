/**
 * Bench (root): where a keel daemon's resident memory is, per mapping, at N instances of
 * the steady lab (bench/lib/steady-lab.ts: a master at 150 on h1, a backup at 100 on h2,
 * VRRPv3, advert_int 1, one VIP each), for one or more builds, alternating.
 *
 *   node_modules/.bin/bun bench/runtime/memory.ts --bins A,B [--instances 1,200,1000] [--rounds R]
 *       [--settle S]   seconds after both reached their states before reading (default 20)
 *       [--refs S]     also: clear the pages' Referenced bits (/proc/PID/clear_refs 1) and,
 *                      S seconds later, read which resident pages were touched since (the
 *                      steady state's working set), and the RSS again at the end
 *       [--heap]       the builds write bun:jsc heapStats() when KEEL_HEAP_STATS names a
 *                      file (a measuring build: see bench/RESULTS.md "Memory per instance");
 *                      print the heap's size, object count and the types that grew
 *       [--heap-at S]  …that many seconds after the start (default: --settle's)
 *       [--snapshot DIR]  …and its heap snapshot (Bun.generateHeapSnapshot()) into DIR
 *       [--cpu S]      then the CPU of each over S seconds (/proc/PID/stat) and the RSS after them
 *       [--watch S]    then both daemons' RSS every 15 s for S seconds
 *       [--failover]   last: SIGKILL the master; the backup's page faults and CPU (all its
 *                      threads, schedstat) until its last instance is MASTER and 2 s after,
 *                      and its RSS then
 *       [--maps K]     the K largest mappings by Rss, each with its size and anonymous part
 *
 * Every number is read from /proc/PID/smaps of the daemon's own process (the one in the
 * host's namespace): Rss, Anonymous and file-backed, by mapping class: the binary's text
 * (r-xp), its read-only data (r--p), its writable data and the `.bun` section (rw-p),
 * shared libraries, the anonymous mappings (mimalloc's and JSC's regions, thread stacks).
 */
import { copyFileSync, existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { Lab } from "../../test/netns/harness";
import { HZ, cpuTicks, loadAvg, nsPids, startSteady, threadDelta, threadTimes } from "../lib/steady-lab";

const argv = process.argv;
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const BINS = (opt("bins") ?? "").split(",").filter(Boolean);
if (BINS.length < 1) {
  console.error(
    "usage: memory.ts --bins A,B [--instances 1,200,1000] [--rounds R] [--settle S] [--refs S] [--heap] [--maps K] [--cpu S] [--watch S]",
  );
  process.exit(2);
}
const NS = (opt("instances") ?? "1,200,1000").split(",").map(Number);
const ROUNDS = Number(opt("rounds") ?? 1);
const SETTLE_S = Number(opt("settle") ?? 20);
const REFS_S = Number(opt("refs") ?? 0);
const HEAP = argv.includes("--heap");
/** seconds after its start that a measuring build writes its heap's statistics */
const HEAP_AT_S = Number(opt("heap-at") ?? SETTLE_S);
/** with --heap: the measuring build also writes Bun.generateHeapSnapshot(), copied here */
const SNAPSHOT_DIR = opt("snapshot");
const MAPS = Number(opt("maps") ?? 0);
const CPU_S = Number(opt("cpu") ?? 0);
const WATCH_S = Number(opt("watch") ?? 0);
const FAILOVER = argv.includes("--failover");

/** minor and major page faults of `pid` so far (/proc/PID/stat fields 10 and 12) */
function faults(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return [Number(rest[7]), Number(rest[9])];
}

/** the `k` largest mappings by Rss: "size-kB perms path Rss Anonymous" */
function topMaps(pid: number, k: number): string[] {
  const rows: { head: string; rss: number; anon: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const [range, perms, , , , ...path] = line.split(/\s+/);
      const [a, b] = (range ?? "0-0").split("-").map((x) => Number.parseInt(x, 16));
      rows.push({
        head: `${(((b ?? 0) - (a ?? 0)) / 1024).toFixed(0)} kB ${perms} ${path.join(" ") || "[anon]"}`,
        rss: 0,
        anon: 0,
      });
      continue;
    }
    const m = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    const r = rows.at(-1);
    if (m && r) r[m[1] === "Rss" ? "rss" : "anon"] = Number(m[2]);
  }
  return rows
    .sort((x, y) => y.rss - x.rss)
    .slice(0, k)
    .map((r) => `${r.head}: rss ${r.rss} anon ${r.anon}`);
}

/** kB by mapping class, and the process's totals */
interface Smaps {
  rss: number;
  anon: number;
  file: number;
  referenced: number;
  classes: Map<string, { rss: number; anon: number; referenced: number }>;
}

function classOf(head: string, exe: string): string {
  // "addr perms offset dev inode path"
  const parts = head.split(/\s+/);
  const perms = parts[1] ?? "";
  const path = parts.slice(5).join(" ");
  if (path === exe) return `binary ${perms}`;
  if (path.startsWith("/")) return "libs";
  if (path.startsWith("[stack")) return "stack";
  if (path.startsWith("[")) return path;
  return "anon";
}

function readSmaps(pid: number): Smaps {
  // the executable's own mappings (a build may be started through a wrapper script)
  const bin = readlinkSync(`/proc/${pid}/exe`);
  const out: Smaps = { rss: 0, anon: 0, file: 0, referenced: 0, classes: new Map() };
  let cls = "?";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      cls = classOf(line, bin);
      if (!out.classes.has(cls)) out.classes.set(cls, { rss: 0, anon: 0, referenced: 0 });
      continue;
    }
    const m = /^(Rss|Anonymous|Referenced):\s+(\d+) kB/.exec(line);
    if (!m) continue;
    const kb = Number(m[2]);
    const c = out.classes.get(cls)!;
    if (m[1] === "Rss") {
      out.rss += kb;
      c.rss += kb;
    } else if (m[1] === "Anonymous") {
      out.anon += kb;
      c.anon += kb;
    } else {
      out.referenced += kb;
      c.referenced += kb;
    }
  }
  out.file = out.rss - out.anon;
  return out;
}

const mb = (kb: number) => (kb / 1024).toFixed(1);

function smapsLine(s: Smaps, refs: boolean): string {
  const cls = [...s.classes]
    .filter(([, c]) => c.rss >= 256)
    .sort((a, b) => b[1].rss - a[1].rss)
    .map(([k, c]) => `${k} ${mb(c.rss)}${refs ? ` (ref ${mb(c.referenced)})` : ""}`)
    .join(", ");
  return `RSS ${mb(s.rss)} MB (anon ${mb(s.anon)}, file ${mb(s.file)}${refs ? `; referenced ${mb(s.referenced)}` : ""}): ${cls}`;
}

interface Heap {
  heapSize: number;
  heapCapacity: number;
  objectCount: number;
  extraMemorySize: number;
  objectTypeCounts: Record<string, number>;
}

async function readHeap(file: string): Promise<Heap | undefined> {
  // the build writes it HEAP_AT_S after its start: wait that long, and 10 s more
  for (let i = 0; i < (HEAP_AT_S + 10) * 10 && !existsSync(file); i++) await Bun.sleep(100);
  if (!existsSync(file)) return undefined;
  await Bun.sleep(200);
  return JSON.parse(readFileSync(file, "utf8")) as Heap;
}

/** per N and build: [master heap, backup heap] for the types' growth */
const heaps = new Map<string, Heap[]>();

async function one(bin: string, n: number): Promise<void> {
  const lab = Lab.create(["h1", "h2"]);
  const heapFile = (host: string) => `${lab.tmpdir(host)}/heap.json`;
  try {
    const { master, backup } = await startSteady(lab, n, (host, text) =>
      lab.keel(host, text, [], {
        binary: bin,
        env: HEAP
          ? {
              KEEL_HEAP_STATS: heapFile(host),
              KEEL_HEAP_STATS_AFTER_MS: String(HEAP_AT_S * 1000),
              ...(SNAPSHOT_DIR ? { KEEL_HEAP_SNAPSHOT: "1" } : {}),
            }
          : {},
      }),
    );
    await Bun.sleep(SETTLE_S * 1000);
    const pm = nsPids(lab, "h1")[0]!;
    const pb = nsPids(lab, "h2")[0]!;
    const load = loadAvg();
    for (const [name, pid] of [
      ["master", pm],
      ["backup", pb],
    ] as const) {
      console.log(`  ${n} ${name} ${bin}: ${smapsLine(readSmaps(pid), false)}  (load ${load})`);
      if (MAPS > 0) for (const l of topMaps(pid, MAPS)) console.log(`      ${l}`);
    }
    if (CPU_S > 0) {
      const t0 = [cpuTicks([pm]), cpuTicks([pb])];
      await Bun.sleep(CPU_S * 1000);
      const pct = (i: number, pid: number) => (((cpuTicks([pid]) - t0[i]!) / HZ / CPU_S) * 100).toFixed(2);
      const s = [readSmaps(pm), readSmaps(pb)];
      console.log(
        `  ${n} ${bin}: CPU over the next ${CPU_S} s, master / backup ${pct(0, pm)} / ${pct(1, pb)}% of a core; RSS then ${mb(s[0]!.rss)} / ${mb(s[1]!.rss)} MB (anon ${mb(s[0]!.anon)} / ${mb(s[1]!.anon)})  (load ${loadAvg()})`,
      );
    }
    for (let t = 15; t <= WATCH_S; t += 15) {
      await Bun.sleep(15_000);
      const s = [readSmaps(pm), readSmaps(pb)];
      console.log(
        `  ${n} ${bin} +${t}s: RSS master / backup ${mb(s[0]!.rss)} / ${mb(s[1]!.rss)} MB (anon ${mb(s[0]!.anon)} / ${mb(s[1]!.anon)})  (load ${loadAvg()})`,
      );
    }
    if (REFS_S > 0) {
      for (const pid of [pm, pb]) writeFileSync(`/proc/${pid}/clear_refs`, "1");
      await Bun.sleep(REFS_S * 1000);
      for (const [name, pid] of [
        ["master", pm],
        ["backup", pb],
      ] as const)
        console.log(`  ${n} ${name} ${bin} +${REFS_S}s: ${smapsLine(readSmaps(pid), true)}  (load ${loadAvg()})`);
    }
    if (FAILOVER) {
      // the backup's page faults from the master's SIGKILL to its last instance's MASTER
      // state and 2 s after (the VIPs, the GARPs): code the steady state did not touch
      // comes back by faults, so a release of start-only pages shows here
      const from = backup.lines.length;
      const f0 = faults(pb);
      const c0 = threadTimes([pb]);
      const t0 = performance.now();
      master.kill("SIGKILL");
      const re = new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`);
      const line = await backup.waitFor(re, 60_000, from);
      await Bun.sleep(2000);
      const f1 = faults(pb);
      let cpuNs = 0;
      for (const ns of threadDelta(c0, threadTimes([pb])).values()) cpuNs += ns;
      console.log(
        `  ${n} ${bin} failover: backup faults minor ${f1[0] - f0[0]}, major ${f1[1] - f0[1]}; CPU ${(cpuNs / 1e6).toFixed(1)} ms (all threads); kill → MASTER ${(line.t - t0).toFixed(0)} ms; RSS then ${mb(readSmaps(pb).rss)} MB  (load ${loadAvg()})`,
      );
    }
    // read after every other measure: --heap-at may be later than --settle
    if (HEAP)
      for (const [name, p] of [
        ["master", master],
        ["backup", backup],
      ] as const) {
        const h = await readHeap(heapFile(p.host));
        if (!h) console.log(`  ${n} ${name}: no ${heapFile(p.host)} (not a measuring build?)`);
        else {
          console.log(
            `  ${n} ${name} heap at ${HEAP_AT_S} s: ${mb(h.heapSize / 1024)} MB (capacity ${mb(h.heapCapacity / 1024)}), ${h.objectCount} objects, extra ${mb(h.extraMemorySize / 1024)} MB`,
          );
          heaps.set(`${bin} ${name} ${n}`, [h]);
          if (SNAPSHOT_DIR)
            copyFileSync(`${heapFile(p.host)}.snapshot`, `${SNAPSHOT_DIR}/${name}-${n}-${Date.now()}.json`);
        }
      }
    for (const p of [master, backup]) p.kill("SIGTERM");
    await Promise.race([Promise.all([master.exited, backup.exited]), Bun.sleep(20_000)]);
  } finally {
    lab.destroy();
  }
  for (const host of ["h1", "h2"]) rmSync(heapFile(host), { force: true });
}

console.log(`RSS ${SETTLE_S} s after both daemons reached their states (MB); classes ≥ 0.25 MB`);
for (let r = 0; r < ROUNDS; r++)
  for (const n of NS) {
    const order = r % 2 === 0 ? BINS : [...BINS].reverse();
    for (const bin of order) await one(bin, n);
  }

if (HEAP && NS.length > 1) {
  // the types that grew between the smallest and the largest N, per instance
  const lo = Math.min(...NS);
  const hi = Math.max(...NS);
  for (const bin of BINS)
    for (const role of ["master", "backup"]) {
      const a = heaps.get(`${bin} ${role} ${lo}`)?.[0];
      const b = heaps.get(`${bin} ${role} ${hi}`)?.[0];
      if (!a || !b) continue;
      const per = (x: number, y: number) => ((y - x) / (hi - lo)).toFixed(1);
      const grew = Object.keys(b.objectTypeCounts)
        .map((t) => [t, (b.objectTypeCounts[t] ?? 0) - (a.objectTypeCounts[t] ?? 0)] as const)
        .filter(([, d]) => d >= hi - lo)
        .sort((x, y) => y[1] - x[1])
        .map(([t, d]) => `${t} ${(d / (hi - lo)).toFixed(1)}`)
        .join(", ");
      console.log(
        `${bin} ${role}, per instance (${lo} → ${hi}): heap ${per(a.heapSize, b.heapSize)} B, objects ${per(a.objectCount, b.objectCount)}, extra ${per(a.extraMemorySize, b.extraMemorySize)} B; types: ${grew}`,
      );
    }
}
