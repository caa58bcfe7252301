/**
 * Bench (root): a keel BACKUP with N instances (advert_int 1, VRRPv3, one VIP each, 250
 * per veth pair as bench/vs-keepalived/run.ts) under its master's 1,000 adverts a second,
 * sampled every `--interval` ms: the backup's raw sockets' receive queues and drops (its
 * namespace's /proc/net/raw), its JS thread's state and CPU ticks, its transitions. Issue
 * 20: a backup that had to give up MASTER for all its instances at once (it starts
 * first, as run.ts's steady part does) filled its 2 MB queues and flapped for good.
 *
 *   node_modules/.bin/bun bench/runtime/backup-flood.ts --bin dist/keel [--instances 1000]
 *       [--seconds 30] [--interval 1000] [--master ka|keel] (keepalived or the same keel)
 *       [--order bm|mb]  (bm: backup first, its instances MASTER before the master comes;
 *                         mb: master first, the backup never leaves BACKUP: the steady cost)
 *       [--delay MS]     (bm: between the backup's BACKUP and the master's start)
 *       [--prof DIR]     (the backup writes a CPU profile into DIR: BUN_OPTIONS=--cpu-prof)
 *       [--quiet]        (the summary only)
 *
 * The window starts when the master is MASTER on its last instance. The summary: drops,
 * transitions, when the last of each came, and the backup's CPU (process and JS thread,
 * µs of the JS thread per advert heard). Say the load average beside any number.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const argAt = (name: string) => process.argv.indexOf(`--${name}`);
const arg = (name: string, d: string) => (argAt(name) > 0 ? (process.argv[argAt(name) + 1] ?? d) : d);
const BIN = arg("bin", "dist/keel");
const N = Number(arg("instances", "1000"));
const SECS = Number(arg("seconds", "30"));
const INTERVAL = Number(arg("interval", "1000"));
const MASTER = arg("master", "ka");
const ORDER = arg("order", "bm");
const DELAY = Number(arg("delay", "0"));
const PROF = argAt("prof") > 0 ? arg("prof", "") : undefined;
const QUIET = process.argv.includes("--quiet");
const PER_SEGMENT = 250;
const prefix = `kbf${process.pid.toString(36)}`;
const ns = (h: string) => `${prefix}${h}`;
const dir = mkdtempSync(join(tmpdir(), "keel-backup-flood-"));
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];

function sh(c: string[]): string {
  const r = Bun.spawnSync(c, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${c.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

function conf(priority: number): string {
  let s = "global_defs {\n  router_id bench\n}\n";
  for (let i = 0; i < N; i++) {
    const seg = Math.floor(i / PER_SEGMENT);
    const vrid = (i % PER_SEGMENT) + 1;
    s += `vrrp_instance VI_${i + 1} {\n  state BACKUP\n  interface ${seg === 0 ? "eth0" : `s${seg}`}\n`;
    s += `  virtual_router_id ${vrid}\n  priority ${priority}\n  advert_int 1\n  version 3\n`;
    s += `  virtual_ipaddress {\n    10.98.${seg}.${vrid}/32\n  }\n}\n`;
  }
  return s;
}

const lines: { t: number; who: string; text: string }[] = [];
async function pump(who: string, s: ReadableStream<Uint8Array>): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const c of s) {
    buf += dec.decode(c);
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      lines.push({ t: performance.now(), who, text: buf.slice(0, i) });
      buf = buf.slice(i + 1);
    }
  }
}

async function waitLine(who: string, re: RegExp, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (lines.some((l) => l.who === who && re.test(l.text))) return;
    await Bun.sleep(50);
  }
  const tail = lines.filter((l) => l.who === who).slice(-20);
  throw new Error(`${who}: no ${re} in ${ms} ms:\n${tail.map((l) => l.text).join("\n")}`);
}

const procs: Bun.Subprocess[] = [];
function start(host: string, keepalived: boolean, text: string): Bun.Subprocess {
  const path = join(dir, `${host}.conf`);
  writeFileSync(path, text);
  const pids = ["-p", `${dir}/${host}.pid`, "-r", `${dir}/${host}-v.pid`, "-c", `${dir}/${host}-c.pid`];
  const cmd = keepalived
    ? ["keepalived", "-n", "-l", "-D", "-G", "-f", path, ...pids, "-b", `${dir}/${host}-b.pid`]
    : [BIN, "-n", "-l", "-D", "-G", "-f", path, ...pids, "-b", `${dir}/${host}-b.pid`];
  if (!keepalived) cmd.push("--control-socket", `${dir}/${host}.sock`);
  const prof =
    PROF && host === "b"
      ? { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROF} --cpu-prof-name=backup-${Date.now()}.cpuprofile` }
      : {};
  const p = Bun.spawn(["ip", "netns", "exec", ns(host), ...cmd], {
    env: { ...process.env, TMPDIR: dir, ...prof },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  procs.push(p);
  void pump(host, p.stdout as ReadableStream<Uint8Array>);
  void pump(host, p.stderr as ReadableStream<Uint8Array>);
  return p;
}

function lab(): void {
  for (const h of ["m", "b"]) sh(["ip", "netns", "add", ns(h)]);
  for (let k = 0; k < Math.ceil(N / PER_SEGMENT); k++) {
    const name = k === 0 ? "eth0" : `s${k}`;
    sh(["ip", "-n", ns("m"), "link", "add", name, "type", "veth", "peer", "name", name, "netns", ns("b")]);
    for (const [h, oct] of [
      ["m", 11],
      ["b", 12],
    ] as const) {
      sh(["ip", "-n", ns(h), "addr", "add", `10.97.${k}.${oct}/24`, "dev", name]);
      sh(["ip", "-n", ns(h), "link", "set", name, "up"]);
    }
  }
}

/** the backup's JS thread (its id is the process's): state and utime + stime ticks; its CPU in ns */
function jsThread(pid: number): { state: string; ticks: number; ns: number } {
  const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const r = f.slice(f.lastIndexOf(")") + 2).split(" ");
  const ns = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]);
  return { state: r[0] ?? "?", ticks: Number(r[11]) + Number(r[12]), ns };
}

function processTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const r = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(r[11]) + Number(r[12]);
}

/** per raw socket of the backup's namespace: receive queue (bytes) and drops */
function rawSockets(pid: number): { queue: number; drops: number }[] {
  return readFileSync(`/proc/${pid}/net/raw`, "utf8")
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((l) => {
      const c = l.trim().split(/\s+/);
      return { queue: Number.parseInt(c[4]?.split(":")[1] ?? "0", 16), drops: Number(c.at(-1)) };
    });
}

async function run(): Promise<void> {
  lab();
  const master = () => start("m", MASTER === "ka", conf(150));
  const mastered = () => waitLine("m", new RegExp(`\\(VI_${N}\\) Entering MASTER STATE`), 120_000);
  let b: Bun.Subprocess;
  if (ORDER === "mb") {
    master();
    await mastered();
    b = start("b", false, conf(100));
  } else {
    b = start("b", false, conf(100));
    await waitLine("b", new RegExp(`\\(VI_${N}\\) Entering BACKUP STATE`), 120_000);
    await Bun.sleep(DELAY);
    master();
    await mastered();
  }
  await waitLine("b", new RegExp(`\\(VI_${N}\\) Entering BACKUP STATE`), 120_000);
  const pid = b.pid;
  const t0 = performance.now();
  const from = lines.length;
  const drops0 = rawSockets(pid).reduce((n, s) => n + s.drops, 0);
  const cpu0 = { process: processTicks(pid), js: jsThread(pid) };
  let prev = { js: cpu0.js, drops: drops0 };
  const samples: string[] = [];
  let lastDropAt = Number.NaN;
  while (performance.now() - t0 < SECS * 1000) {
    await Bun.sleep(INTERVAL);
    const js = jsThread(pid);
    const socks = rawSockets(pid);
    const drops = socks.reduce((n, s) => n + s.drops, 0);
    const at = (performance.now() - t0) / 1000;
    if (drops > prev.drops) lastDropAt = at;
    const transitions = lines.slice(from).filter((l) => l.who === "b" && /Entering/.test(l.text)).length;
    samples.push(
      `${at.toFixed(2)} s  load ${load()}  JS ${js.state} +${js.ticks - prev.js.ticks} ticks  queues ${socks.map((s) => (s.queue / 1024).toFixed(0)).join(",")} KiB  drops +${drops - prev.drops}  transitions ${transitions}`,
    );
    prev = { js, drops };
  }
  const wall = (performance.now() - t0) / 1000;
  const hz = Number(sh(["getconf", "CLK_TCK"]).trim()) || 100;
  const transitions = lines.slice(from).filter((l) => l.who === "b" && /Entering/.test(l.text));
  const lastTransitionAt = transitions.length ? ((transitions.at(-1)?.t ?? t0) - t0) / 1000 : Number.NaN;
  const jsNs = jsThread(pid).ns - cpu0.js.ns;
  const restored = lines.filter((l) => l.who === "b" && /was removed from .*; restored/.test(l.text)).length;
  if (!QUIET) console.log(samples.join("\n"));
  console.log(
    `${BIN}: ${N} instances, master ${MASTER}, order ${ORDER}, ${SECS} s: drops ${prev.drops - drops0}, transitions ${transitions.length} (last at ${lastTransitionAt.toFixed(1)} s), last drop at ${Number.isNaN(lastDropAt) ? "-" : `${lastDropAt.toFixed(1)} s`}, VIPs 'restored' since start ${restored}`,
  );
  console.log(
    `  backup CPU: process ${(((processTicks(pid) - cpu0.process) / hz / wall) * 100).toFixed(2)}% of a core, JS thread ${((jsNs / 1e9 / wall) * 100).toFixed(2)}% = ${(jsNs / 1e3 / (wall * N)).toFixed(1)} µs per advert heard; load ${load()}`,
  );
  if (PROF) {
    b.kill("SIGTERM");
    await Promise.race([b.exited, Bun.sleep(30_000)]);
  }
}

try {
  await run();
} finally {
  for (const p of procs) p.kill("SIGKILL");
  for (const h of ["m", "b"]) Bun.spawnSync(["ip", "netns", "del", ns(h)]);
}
