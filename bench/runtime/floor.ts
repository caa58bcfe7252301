/**
 * Bench (root, x64): the floor under issue 20's start-up, memory and idle rows, measured on
 * the smallest programs a Bun binary can be, beside keel. Each Bun given is used twice: to
 * compile (`bun build --compile --bytecode --format=esm`, as build.ts); keel's binaries are
 * named and given by `--keel NAME=DIST_KEEL` (any number: builds of either Bun, variants).
 *
 *  - empty: an empty file;
 *  - raw: opens one raw IPPROTO_VRRP socket and sends one 20-byte packet to 127.0.0.1,
 *    through one `syscall()` trampoline (what keel's native-bindings/libc.ts binds): the
 *    least a VRRP speaker can do; `raw --idle` sends one a second and stays (an idle
 *    master's floor).
 *
 * Per row: exec → exit CPU (task-clock) and page faults of `perf stat -r N` run inside a
 * namespace of its own (lo up, a veth eth0 for keel's instance); RSS split RssAnon / RssFile from
 * /proc/PID/status 5 s after start; CPU of all threads (schedstat) over `--seconds S` after
 * those 5 s, with BUN_GC_TIMER_DISABLE=1 (what keel's processes get, runtime-env.ts).
 *
 *   node_modules/.bin/bun bench/runtime/floor.ts [--runs N] [--seconds S] BUN [BUN …] [--keel NAME=DIST_KEEL …]
 *
 * The programs alternate (empty, raw, keel per Bun, then again) so load falls on each.
 * keel's idle row is one address-owner instance (`-n -l -D -G`), its RSS read at the same
 * 5 s; its exec → exit rows are `--version` and `-t -f` of that configuration.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { instance } from "../../test/netns/harness";

const argv = process.argv.slice(2);
const take = (name: string, d: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv.splice(i, 2)[1]) : d;
};
const RUNS = take("runs", 20);
const SECONDS = take("seconds", 30);
const keels: [string, string][] = [];
for (let i = argv.indexOf("--keel"); i >= 0; i = argv.indexOf("--keel")) {
  const [name, bin] = (argv.splice(i, 2)[1] ?? "").split("=");
  if (!name || !bin) throw new Error("--keel NAME=DIST_KEEL");
  keels.push([name, bin]);
}
const BUNS = argv;
if (BUNS.length === 0 && keels.length === 0)
  throw new Error("usage: floor.ts [--runs N] [--seconds S] [BUN …] [--keel NAME=DIST_KEEL …]");

const NS = `hfloor-floor-${process.pid}`;
const dir = `/tmp/${NS}`;
mkdirSync(dir, { recursive: true });

const RAW = `import { dlopen, ptr } from "bun:ffi";
// x64 system call numbers: socket 41, sendto 44
const { syscall } = dlopen("libc.so.6", {
  syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
}).symbols;
const fd = Number(syscall(41, 2, 3, 112, 0, 0, 0)); // AF_INET, SOCK_RAW, IPPROTO_VRRP
if (fd < 0) throw new Error("socket failed");
const pkt = new Uint8Array(20);
pkt[0] = 0x31; // VRRPv3 advertisement (its content does not matter here)
const sin = new Uint8Array(16);
sin[0] = 2; // AF_INET, port 0, 127.0.0.1
sin.set([127, 0, 0, 1], 4);
const send = () => {
  if (Number(syscall(44, fd, ptr(pkt), 20, 0, ptr(sin), 16)) !== 20) throw new Error("sendto failed");
};
send();
if (process.argv.includes("--idle")) setInterval(send, 1000);
`;

function sh(cmd: string[], env?: Record<string, string>): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} → ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return `${r.stdout}${r.stderr}`;
}

const bunVersion = (bun: string) => sh([bun, "--version"]).trim();
const programs: { name: string; cmd: string[]; idle?: string[] }[] = [];
writeFileSync(join(dir, "empty.ts"), "");
writeFileSync(join(dir, "raw.ts"), RAW);
const conf = join(dir, "k.conf");
writeFileSync(conf, `global_defs {\n  router_id bench\n}\n${instance({ priority: 255, state: "MASTER", version: 3 })}`);
for (const bun of BUNS) {
  const v = bunVersion(bun);
  for (const p of ["empty", "raw"]) {
    const out = join(dir, `${p}-${v}`);
    sh([bun, "build", "--compile", "--bytecode", "--format=esm", join(dir, `${p}.ts`), "--outfile", out]);
    programs.push({ name: `${p} (Bun ${v})`, cmd: [out], idle: p === "raw" ? [out, "--idle"] : undefined });
  }
}
for (const [name, k] of keels) {
  programs.push({ name: `${name} --version`, cmd: [k, "--version"] });
  programs.push({ name: `${name} -t -f`, cmd: [k, "-t", "-f", conf] });
  programs.push({
    name: `${name} -n (1 instance)`,
    cmd: [],
    idle: [k, "-n", "-l", "-D", "-G", "-f", conf, ...pidArgs()],
  });
}

function pidArgs(): string[] {
  return ["p", "r", "c", "b"]
    .flatMap((f) => [`-${f}`, join(dir, `${f}.pid`)])
    .concat(["--control-socket", join(dir, "k.sock")]);
}

/** perf stat's task-clock (ms) and page faults, mean of RUNS, inside the namespace */
function perfStat(cmd: string[]): { cpu: number; faults: number } {
  const out = sh(
    ["ip", "netns", "exec", NS, "perf", "stat", "-x,", "-r", String(RUNS), "-e", "task-clock,page-faults", ...cmd],
    {
      BUN_GC_TIMER_DISABLE: "1",
    },
  );
  const field = (ev: string) =>
    Number(
      out
        .split("\n")
        .find((l) => l.includes(`,${ev}`))
        ?.split(",")[0],
    );
  return { cpu: field("task-clock"), faults: field("page-faults") };
}

function threadsNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`))
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  return ns;
}

/** RssAnon / RssFile (MB) 5 s after start, then % of a core over SECONDS */
async function idle(cmd: string[]): Promise<{ anon: number; file: number; cpu: number }> {
  const p = Bun.spawn(["ip", "netns", "exec", NS, ...cmd], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    env: { ...process.env, BUN_GC_TIMER_DISABLE: "1" },
  });
  try {
    await Bun.sleep(5000);
    const status = readFileSync(`/proc/${p.pid}/status`, "utf8");
    const kb = (k: string) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+)`, "m"))?.[1]) / 1024;
    const a = threadsNs(p.pid);
    await Bun.sleep(SECONDS * 1000);
    const b = threadsNs(p.pid);
    return { anon: kb("RssAnon"), file: kb("RssFile"), cpu: ((b - a) / 1e9 / SECONDS) * 100 };
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
sh(["ip", "netns", "add", NS]);
try {
  sh(["ip", "-n", NS, "link", "set", "lo", "up"]);
  // keel's instance runs on eth0: a veth pair inside the namespace, eth0 with an address
  sh(["ip", "-n", NS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
  sh(["ip", "-n", NS, "link", "set", "eth1", "up"]);
  sh(["ip", "-n", NS, "addr", "add", "10.99.0.1/24", "dev", "eth0"]);
  sh(["ip", "-n", NS, "link", "set", "eth0", "up"]);
  console.log(`load average at the start: ${load()}; ${RUNS} runs per exec → exit row, idle over ${SECONDS} s`);
  const rows = new Map<string, string[]>();
  for (const round of [0, 1])
    for (const p of programs) {
      const cells = rows.get(p.name) ?? [];
      if (p.cmd.length > 0) {
        const s = perfStat(p.cmd);
        cells.push(`${s.cpu.toFixed(1)} ms / ${Math.round(s.faults)}`);
      }
      if (round === 1 && p.idle) {
        const i = await idle(p.idle);
        cells.push(
          `RSS ${(i.anon + i.file).toFixed(1)} MB (anon ${i.anon.toFixed(1)} + file ${i.file.toFixed(1)}), idle ${i.cpu.toFixed(3)}%`,
        );
      }
      rows.set(p.name, cells);
    }
  for (const [name, cells] of rows) console.log(`${name.padEnd(28)} ${cells.join(" | ")}`);
  console.log(`load average at the end: ${load()}`);
} finally {
  Bun.spawnSync(["ip", "netns", "del", NS]);
  rmSync(dir, { recursive: true, force: true });
}
