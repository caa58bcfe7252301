/**
 * The steady-state lab that bench/vs-keepalived/run.ts's "steady" rows and
 * bench/runtime/steady-ab.ts share: N VRRPv3 instances at advert_int 1, one VIP each,
 * a backup at priority 100 on h2 and a master at 150 on h1, and the CPU (a cgroup's, or
 * /proc's ticks) and RSS (/proc) of every process in a host's namespace. Root only
 * (network namespaces, cgroups).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { type Lab, type Proc, instance, sh } from "../../test/netns/harness";

/** VRIDs per segment (1..250 of 255): a VRID is unique per interface and family */
export const PER_SEGMENT = 250;

/**
 * Seconds between both daemons reaching their states and the steady CPU window, the same
 * for keel and keepalived. Bun's JIT compiles for a long while after the start (measured by
 * bench/vs-keepalived/warmup.ts at 200 instances: bench/RESULTS.md "The steady CPU
 * window's warm-up"); keepalived's CPU is flat from the first slice, so waiting costs it
 * nothing, and the window then measures keel's steady state, not its JIT.
 */
export const WARMUP_S = 60;

/** clock ticks per second, the unit of utime and stime in /proc/PID/stat */
export const HZ = Number(sh(["getconf", "CLK_TCK"]).trim()) || 100;

/**
 * More segments between h1 and h2 for more than PER_SEGMENT instances: a veth pair s<k>
 * (10.97.<k>.11 and .12/24) straight from one host's namespace to the other's.
 */
export function addSegments(lab: Lab, n: number): void {
  for (let k = 1; k < Math.ceil(n / PER_SEGMENT); k++) {
    sh([
      "ip",
      "-n",
      lab.ns("h1"),
      "link",
      "add",
      `s${k}`,
      "type",
      "veth",
      "peer",
      "name",
      `s${k}`,
      "netns",
      lab.ns("h2"),
    ]);
    for (const [h, oct] of [
      ["h1", 11],
      ["h2", 12],
    ] as const) {
      sh(["ip", "-n", lab.ns(h), "addr", "add", `10.97.${k}.${oct}/24`, "dev", `s${k}`]);
      sh(["ip", "-n", lab.ns(h), "link", "set", `s${k}`, "up"]);
    }
  }
}

/** n instances VI_1..VI_n at `priority`, PER_SEGMENT to a segment (eth0, then s1, s2, …) */
export function steadyConf(n: number, priority: number): string {
  return (
    "global_defs {\n  router_id bench\n}\n" +
    Array.from({ length: n }, (_, i) => {
      const seg = Math.floor(i / PER_SEGMENT);
      return instance({
        name: `VI_${i + 1}`,
        vrid: (i % PER_SEGMENT) + 1,
        priority,
        version: 3,
        vips: [`10.98.${seg}.${(i % PER_SEGMENT) + 1}/32`],
      }).replace("interface eth0", `interface ${seg === 0 ? "eth0" : `s${seg}`}`);
    }).join("")
  );
}

/**
 * The lab's segments, then the master (h1) and the backup (h2) started by `launch`, each
 * awaited until its last instance has said its state. The master first: a backup started
 * first takes every instance over once its Master_Down_Interval passes before the master
 * speaks, and gives them all back when it does; at 1,000 instances that mass take-over
 * flooded keel's receive queues for tens of seconds (bench/RESULTS.md, "the 1,000-instance
 * backup that flooded"), which is a start-up event, not the steady state measured here.
 */
export async function startSteady(
  lab: Lab,
  n: number,
  launch: (host: string, conf: string) => Proc,
): Promise<{ master: Proc; backup: Proc }> {
  addSegments(lab, n);
  const master = launch("h1", steadyConf(n, 150));
  await master.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 60_000);
  const backup = launch("h2", steadyConf(n, 100));
  await backup.waitFor(new RegExp(`\\(VI_${n}\\) Entering BACKUP STATE`), 60_000);
  return { master, backup };
}

/** Every process in the host's namespace: keel, or keepalived's parent and VRRP child. */
export function nsPids(lab: Lab, host: string): number[] {
  return sh(["ip", "netns", "pids", lab.ns(host)])
    .split("\n")
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
}

/** utime + stime of `pids` in clock ticks (HZ); a process gone counts nothing */
export function cpuTicks(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
      t += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return t;
}

/**
 * The CPU of a daemon's processes in ns, every thread included, those that exit in the
 * window too (JSC's JIT workers do), from a cgroup of their own: cgroup v1's cpuacct
 * (`cpuacct.usage`, ns) or cgroup v2 (`cpu.stat` usage_usec), whichever this machine
 * mounts. /proc/PID/stat counts in clock ticks, 10 ms: an idle keepalived's 30 s window
 * at 200 instances was 2 ticks (0.07% of a core), so ratios against it were the ticks'
 * rounding. Where neither hierarchy can be written, `open` gives undefined and the
 * caller counts ticks (cpuTicks).
 */
export class CpuGroup {
  private constructor(
    private readonly dir: string,
    private readonly v2: boolean,
  ) {}

  private static seq = 0;

  /** Move `pids` (each process with all its threads; children they start follow) into a new group. */
  static open(pids: number[]): CpuGroup | undefined {
    for (const [root, v2] of [
      ["/sys/fs/cgroup/cpuacct", false],
      ["/sys/fs/cgroup/unified", true],
      ["/sys/fs/cgroup", true],
    ] as const) {
      if (!existsSync(`${root}/${v2 ? "cgroup.procs" : "cpuacct.usage"}`)) continue;
      const dir = `${root}/keel-bench-${process.pid}-${CpuGroup.seq++}`;
      try {
        mkdirSync(dir);
        for (const pid of pids) writeFileSync(`${dir}/cgroup.procs`, String(pid));
        const g = new CpuGroup(dir, v2);
        g.ns();
        return g;
      } catch {
        try {
          for (const pid of pids) writeFileSync(`${root}/cgroup.procs`, String(pid));
          rmdirSync(dir);
        } catch {
          // a process gone, or the directory never made
        }
      }
    }
    return undefined;
  }

  /** CPU of everything in the group since it was made, ns */
  ns(): number {
    if (!this.v2) return Number(readFileSync(`${this.dir}/cpuacct.usage`, "utf8"));
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${this.dir}/cpu.stat`, "utf8"));
    if (!m) throw new Error(`${this.dir}/cpu.stat: no usage_usec`);
    return Number(m[1]) * 1000;
  }

  /** The processes back to the hierarchy's root, the group removed. */
  close(): void {
    const root = this.dir.slice(0, this.dir.lastIndexOf("/"));
    try {
      for (const pid of readFileSync(`${this.dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean))
        writeFileSync(`${root}/cgroup.procs`, pid);
    } catch {
      // gone
    }
    try {
      rmdirSync(this.dir);
    } catch {
      // still a process in it (one exiting): the kernel frees an empty group's directory only on rmdir
    }
  }
}

/**
 * The CPU of `pids` over `seconds`, % of one core: from a CpuGroup where the machine has
 * one (`how` "cgroup"), else from /proc ticks (`how` "ticks").
 */
export async function cpuOver(pids: number[], seconds: number): Promise<{ pct: number; how: "cgroup" | "ticks" }> {
  const g = CpuGroup.open(pids);
  if (!g) {
    const before = cpuTicks(pids);
    await Bun.sleep(seconds * 1000);
    return { pct: ((cpuTicks(pids) - before) / HZ / seconds) * 100, how: "ticks" };
  }
  try {
    const before = g.ns();
    const t0 = performance.now();
    await Bun.sleep(seconds * 1000);
    const ns = g.ns() - before;
    return { pct: (ns / 1e6 / (performance.now() - t0)) * 100, how: "cgroup" };
  } finally {
    g.close();
  }
}

/** A thread's name ("JS" for the process's own, "JITWorker", "HeapHelper", …) and its CPU so far, ns. */
export interface ThreadTime {
  name: string;
  ns: number;
}

/** Every thread of `pids` by "pid/tid", from /proc/PID/task/TID/schedstat. */
export function threadTimes(pids: number[]): Map<string, ThreadTime> {
  const out = new Map<string, ThreadTime>();
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        // the JS thread is the one whose id is the process's; others named like the
        // process are the allocator's scavenger
        const name = tid === String(pid) ? "JS" : readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        out.set(`${pid}/${tid}`, { name, ns });
      } catch {
        // gone
      }
    }
  }
  return out;
}

/**
 * ns on CPU per thread name between two threadTimes samples. Thread by thread: JSC's JIT
 * workers exit when idle and new ones start, so totals by name can go down. A thread
 * born in between counts from 0; one gone by `b` loses its last stretch (an undercount).
 */
export function threadDelta(a: Map<string, ThreadTime>, b: Map<string, ThreadTime>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, t] of b) out.set(t.name, (out.get(t.name) ?? 0) + t.ns - (a.get(id)?.ns ?? 0));
  return out;
}

/** the sum of VmRSS of `pids`, in MB */
export function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** the 1-, 5- and 15-minute load averages, as /proc/loadavg writes them */
export function loadAvg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
