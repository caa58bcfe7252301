/**
 * Bench (root): where a late advert's lateness comes from, from the kernel's own trace.
 *
 * A master sends VRRPv3 adverts every 100 ms on 10 instances (bench/check/advert-jitter.ts's
 * set-up); for `--seconds` the kernel's tracer (tracefs, an instance of our own, clock
 * `mono` = CLOCK_MONOTONIC) records, for the daemon's timer thread (keel's JavaScript
 * thread, keepalived's VRRP child):
 *
 *   D  the deadline the daemon armed (hrtimer_start of its POSIX timer or timerfd: `expires`)
 *   E  the kernel's timer expiry (hrtimer_expire_entry)
 *   R  the thread on a CPU again (sched_switch to it; E when it was running already)
 *   X  epoll_wait returning (sys_exit of epoll_wait / epoll_pwait)
 *   F  keel only: the timer's JavaScript callback (KEEL_TRACE_MARKER, native-bindings/kernel-timer.ts)
 *   S  the first advert's sendto, and the last one of the same wake-up
 *
 * and splits each fire's lateness S − D into kernel expiry (E − D), scheduling (R − E),
 * signal/epoll return (X − R), the event loop before the callback (F − X), the engine
 * before the first send (S − F), and the sends of one wake-up (last S − first S). The
 * wire's |interval − 100 ms| per instance is measured on a peer at the same time.
 * `--rt` puts every thread of the daemon in SCHED_FIFO 50 (chrt -a) once it is master,
 * so the other engineers' load on this machine is not what is measured.
 *
 *   node_modules/.bin/bun bench/runtime/advert-trace.ts [--kinds keel,keepalived] [--seconds S] [--rt] [--rounds N]
 *       [--dump FILE] (the raw trace) [--worst N] (the N fires with the latest last advert, event by event) [--why]
 *       [--global "vrrp_no_swap;…"] (more global_defs lines, the same for both daemons)
 *
 * `--why` classifies every fire whose last advert left more than 1 ms after the deadline
 * by the stage that took most of it: the kernel's expiry (E − D), the scheduler (R − E,
 * naming who held the CPU and whether it was one of the daemon's own threads: a JIT
 * worker, a GC helper), the loop before the listener (F − X), the callback before the
 * first send (S − F) or the sends of one wake-up (Sn − S1); a collection in the fire is
 * seen by running keel with JavaScriptCore's GC log (BUN_JSC_logGC=1: each collection
 * writes its start and end lines to fd 2, so they sit in the trace as `write(2, …)` of
 * the timer thread), and the thread's page faults over the run come from its
 * /proc/…/task/…/stat (this kernel has no exceptions:page_fault_user tracepoint).
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { Lab, ensureKeel, instance, sh } from "../../test/netns/harness";
import { EPOLL, type Ev, NAMES, SYS, Tracer, field, kallsym, parse, timerThread, unmountIfIdle } from "./trace-lib";

const argv = process.argv;
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const SECONDS = Number(opt("seconds") ?? 10);
const ROUNDS = Number(opt("rounds") ?? 1);
const RT = argv.includes("--rt");
const KINDS = (opt("kinds") ?? "keel,keepalived").split(",") as Kind[];
const DUMP = opt("dump");
const WHY = argv.includes("--why");
/** --global "LINE[;LINE]": more global_defs for both daemons (e.g. vrrp_no_swap: mlockall) */
const GLOBAL = (opt("global") ?? "").split(";").filter(Boolean);
/** an advert this late (ms after its deadline) is classified by --why */
const LATE_MS = 1;
const INSTANCES = 10;
type Kind = "keel" | "keepalived";

interface Fire {
  D: number;
  E: number;
  R?: number;
  X?: number;
  F?: number;
  S1?: number;
  Sn?: number;
  sends: number;
  /** system calls of the timer thread between E and the first send */
  calls: Map<string, number>;
  /** the trace's events from E on, up to the next fire (for the worst fires' timelines) */
  from: number;
  to: number;
  /** who held the CPU until R (sched_switch prev_comm-prev_pid, prev_state) */
  holder?: string;
  holderPid?: number;
  /** write(2, …) of the timer thread between E and the last send: the GC log's lines (--why) */
  gcAt: number[];
}

function fires(evs: Ev[]): Fire[] {
  const deadline = new Map<string, number>();
  const out: Fire[] = [];
  let cur: Fire | undefined;
  let sleeping = false;
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i]!;
    if (cur) cur.to = i;
    if (e.kind === "hrtimer_start") {
      deadline.set(field(e.text, "hrtimer")!, Number(field(e.text, "expires")) / 1e6);
      continue;
    }
    if (e.kind === "hrtimer_expire_entry") {
      const D = deadline.get(field(e.text, "hrtimer")!);
      if (D === undefined) continue; // another task's timer, or armed before the trace
      // a fire that sent nothing (a backup's early wake, a timer found not due) ends here
      cur = { D, E: e.t, sends: 0, calls: new Map(), from: i, to: i, gcAt: [] };
      if (!sleeping) cur.R = e.t;
      out.push(cur);
      continue;
    }
    if (e.kind === "sched_switch") {
      if (e.text.includes(`next_pid=${THREAD}`)) {
        sleeping = false;
        if (cur && cur.R === undefined) {
          cur.R = e.t;
          cur.holder = `${field(e.text, "prev_comm")}-${field(e.text, "prev_pid")} ${field(e.text, "prev_state")}`;
          cur.holderPid = Number(field(e.text, "prev_pid"));
        }
      } else if (e.text.includes(`prev_pid=${THREAD}`)) sleeping = true;
      continue;
    }
    if (!cur) continue;
    // the thread's own event: it is on a CPU (a sched_switch lost from the buffer aside)
    if (cur.R === undefined && e.task === THREAD) cur.R = e.t;
    if (e.kind === "sys_exit") {
      const nr = Number(/NR (\d+)/.exec(e.text)?.[1]);
      if (EPOLL.has(nr) && cur.X === undefined) cur.X = e.t;
      if ((nr === SYS.sendto || nr === SYS.sendmsg) && cur.S1 !== undefined) cur.Sn = e.t;
      continue;
    }
    if (e.kind === "sys_enter") {
      const nr = Number(/NR (\d+)/.exec(e.text)?.[1]);
      // keel sends with sendto, keepalived with sendmsg
      if (nr === 1 && /^NR 1 \(2,/.test(e.text)) cur.gcAt.push(e.t);
      if (nr === SYS.sendto || nr === SYS.sendmsg) {
        cur.S1 ??= e.t;
        cur.sends++;
      } else if (cur.S1 === undefined) {
        const n = NAMES[nr] ?? `nr${nr}`;
        cur.calls.set(n, (cur.calls.get(n) ?? 0) + 1);
      }
      continue;
    }
    if (e.kind === "tracing_mark_write" && e.text.includes("keel fire") && cur.F === undefined) cur.F = e.t;
  }
  return out;
}

let THREAD = 0;

/** minor and major page faults of one thread so far (/proc/<tid>/stat fields 10 and 12) */
function faults(tid: number): [number, number] {
  try {
    const s = readFileSync(`/proc/${tid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return [Number(f[7]), Number(f[9])];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

/** the daemon's threads: tid → name (the timer thread's process) */
function threads(tid: number): Map<number, string> {
  const out = new Map<number, string>();
  try {
    // the timer thread is its process's main thread (keel's JavaScript thread, keepalived's VRRP child)
    for (const t of readdirSync(`/proc/${tid}/task`))
      out.set(Number(t), readFileSync(`/proc/${tid}/task/${t}/comm`, "utf8").trim());
  } catch {
    // the daemon gone: no names
  }
  return out;
}

/**
 * --why: each fire whose last advert left more than LATE_MS after the deadline, put in
 * the class of the stage that took the most of it (see the header).
 */
function why(fs: Fire[], own: Map<number, string>, f0: [number, number], f1: [number, number]): string[] {
  const classes = new Map<string, number>();
  const rows: string[] = [];
  for (const f of fs) {
    const last = f.Sn ?? f.S1!;
    if (last - f.D <= LATE_MS) continue;
    const R = f.R ?? f.E;
    const X = f.X ?? R;
    const F = f.F ?? X;
    const stages: [string, number][] = [
      ["kernel expiry (E − D)", f.E - f.D],
      ["scheduler (R − E)", R - f.E],
      ["epoll return (X − R)", X - R],
      ["loop before the listener (F − X)", F - X],
      ["callback before the first send (S − F)", f.S1! - F],
      ["the sends of one wake-up (Sn − S1)", last - f.S1!],
    ];
    let [name, ms] = stages.reduce((a, b) => (b[1] > a[1] ? b : a));
    const gc = f.gcAt.some((t) => t >= f.E - 0.001 && t <= last);
    if (gc && !name.startsWith("kernel") && !name.startsWith("scheduler")) name = `GC in the fire: ${name}`;
    else if (name.startsWith("scheduler") && f.holderPid !== undefined)
      name = `scheduler: ${own.has(f.holderPid) ? `the daemon's own ${own.get(f.holderPid)}` : "another task"} held the CPU`;
    classes.set(name, (classes.get(name) ?? 0) + 1);
    rows.push(
      `    late ${(f.S1! - f.D).toFixed(3)} / last ${(last - f.D).toFixed(3)} ms: ${name} ${ms.toFixed(3)} ms${f.holder ? ` (CPU held by ${f.holder})` : ""}${gc ? ", a collection logged" : ""}`,
    );
  }
  return [
    `  why (fires with an advert > ${LATE_MS} ms late: ${rows.length}; the timer thread's page faults over the run: ${f1[0] - f0[0]} minor, ${f1[1] - f0[1]} major):`,
    ...[...classes].sort((a, b) => b[1] - a[1]).map(([n, c]) => `    ${String(c).padStart(4)}  ${n}`),
    ...rows,
  ];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (xs: number[]) =>
  xs.length ? `${pct(xs, 50).toFixed(3)} / ${pct(xs, 99).toFixed(3)} / ${Math.max(...xs).toFixed(3)}` : "–";

function config(): string {
  let c = `global_defs {\n  router_id bench\n${GLOBAL.map((l) => `  ${l}\n`).join("")}}\n`;
  for (let n = 0; n < INSTANCES; n++)
    c += instance({
      name: `VI_${n}`,
      vrid: 10 + n,
      priority: 150,
      version: 3,
      advertInt: 0.1,
      vips: [`10.99.1.${n + 1}/32`],
    });
  return c;
}

async function run(kind: Kind, round: number): Promise<string[]> {
  const lab = Lab.create(["lb", "peer"]);
  const tracer = new Tracer(`hjit-${process.pid}`);
  try {
    if (kind === "keel") process.env.KEEL_TRACE_MARKER = `${tracer.dir}/trace_marker`;
    if (kind === "keel" && WHY) process.env.BUN_JSC_logGC = "1";
    const p = kind === "keel" ? lab.keel("lb", config()) : lab.keepalived("lb", config());
    delete process.env.KEEL_TRACE_MARKER;
    delete process.env.BUN_JSC_logGC;
    for (let n = 0; n < INSTANCES; n++) await p.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 20_000);
    THREAD = timerThread(lab, "lb", kind, p);
    if (RT)
      for (const pid of sh(["ip", "netns", "pids", lab.ns("lb")])
        .split("\n")
        .filter(Boolean))
        sh(["chrt", "-a", "-f", "-p", "50", pid]);
    await Bun.sleep(2_000);
    const fn = kind === "keel" ? kallsym("posix_timer_fn") : kallsym("timerfd_tmrproc");
    tracer.event("timer/hrtimer_start", `common_pid == ${THREAD} && function == ${fn}`);
    tracer.event("timer/hrtimer_expire_entry", `function == ${fn}`);
    tracer.event("sched/sched_switch", `prev_pid == ${THREAD} || next_pid == ${THREAD}`);
    tracer.event("raw_syscalls/sys_enter", `common_pid == ${THREAD}`);
    tracer.event("raw_syscalls/sys_exit", `common_pid == ${THREAD}`);
    const cap = await lab.capture("peer", "ip proto 112");
    const faults0 = faults(THREAD);
    tracer.on(true);
    await Bun.sleep(SECONDS * 1000);
    tracer.on(false);
    const faults1 = faults(THREAD);
    const own = threads(THREAD);
    const pcap = await cap.stop();
    const text = tracer.read();
    if (DUMP) writeFileSync(`${DUMP}.${kind}.${round}`, text);
    const evs = parse(text);
    const fs = fires(evs).filter((f) => f.sends > 0 && f.S1 !== undefined);
    // the wire: |interval − 100 ms| per instance, as bench/check/advert-jitter.ts
    const last = new Map<string, number>();
    const dev: number[] = [];
    for (const [t, vrid] of lab.tshark(pcap, "vrrp", ["frame.time_epoch", "vrrp.virt_rtr_id"])) {
      const ms = Number(t) * 1000;
      const prev = last.get(vrid!);
      if (prev !== undefined) dev.push(Math.abs(ms - prev - 100));
      last.set(vrid!, ms);
    }
    const col = (f: (x: Fire) => number | undefined) =>
      fs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    const calls = new Map<string, number>();
    for (const f of fs) for (const [n, c] of f.calls) calls.set(n, (calls.get(n) ?? 0) + c);
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const lines = [
      `${kind}${RT ? " (SCHED_FIFO 50)" : ""}${GLOBAL.length ? ` [${GLOBAL.join("; ")}]` : ""}, round ${round + 1}, load ${load}: ${fs.length} fires with sends, ${col((f) => f.sends).reduce((a, b) => a + b, 0)} sends; ms p50 / p99 / max`,
      `  wire |interval − 100|        ${fmt(dev)}  (n ${dev.length})`,
      `  S − D  first send late       ${fmt(col((f) => f.S1! - f.D))}`,
      `  E − D  kernel expiry         ${fmt(col((f) => f.E - f.D))}`,
      `  R − E  on a CPU again        ${fmt(col((f) => (f.R ?? Number.NaN) - f.E))}`,
      `  X − R  epoll_wait returns    ${fmt(col((f) => (f.X ?? Number.NaN) - (f.R ?? Number.NaN)))}`,
      ...(kind === "keel"
        ? [
            `  F − X  loop → JS callback    ${fmt(col((f) => (f.F ?? Number.NaN) - (f.X ?? Number.NaN)))}`,
            `  S − F  callback → 1st send   ${fmt(col((f) => f.S1! - (f.F ?? Number.NaN)))}`,
          ]
        : [`  S − X  wake → 1st send       ${fmt(col((f) => f.S1! - (f.X ?? Number.NaN)))}`]),
      `  Sn − S1 sends of one wake-up  ${fmt(col((f) => (f.Sn ?? f.S1!) - f.S1!))}  (sends per fire p50 ${pct(
        col((f) => f.sends),
        50,
      )})`,
      `  system calls before the first send, per fire: ${[...calls]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([n, c]) => `${n} ${(c / Math.max(1, fs.length)).toFixed(2)}`)
        .join(", ")}`,
    ];
    if (WHY) lines.push(...why(fs, own, faults0, faults1));
    // the worst fires, event by event (ms after the deadline)
    const WORST = Number(opt("worst") ?? 0);
    // by the last advert of the fire: a stall between its sends delays the adverts after it
    const lastLate = (f: Fire) => (f.Sn ?? f.S1!) - f.D;
    for (const f of [...fs].sort((a, b) => lastLate(b) - lastLate(a)).slice(0, WORST)) {
      lines.push(`  fire late ${(f.S1! - f.D).toFixed(3)} ms, its last advert ${lastLate(f).toFixed(3)} ms:`);
      for (const e of evs.slice(f.from, f.to + 1)) {
        if (e.t > (f.Sn ?? f.S1!)) break;
        let text = e.text;
        const nr = /NR (-?\d+)/.exec(text)?.[1];
        if (nr !== undefined)
          text = `${NAMES[Number(nr)] ?? `nr${nr}`}${e.kind === "sys_exit" ? ` = ${/=\s*(-?\w+)/.exec(text)?.[1]}` : ""}`;
        lines.push(`    +${(e.t - f.D).toFixed(3)} ${e.kind} ${text.slice(0, 110)}`);
      }
    }
    for (const l of lines) console.log(l);
    return lines;
  } finally {
    delete process.env.KEEL_TRACE_MARKER;
    // the daemon first: while it holds the instance's trace_marker open, rmdir fails (EBUSY)
    lab.destroy();
    tracer.destroy();
  }
}

ensureKeel();
for (let r = 0; r < ROUNDS; r++) for (const kind of KINDS) await run(kind, r);
unmountIfIdle();
