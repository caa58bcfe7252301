/**
 * Bench (root): where the time from a master's last advert to the VIP on the backup goes,
 * beyond Master_Down_Interval, from the kernel's trace of the backup's timer thread
 * (keel's JavaScript thread, keepalived's VRRP child; trace-lib.ts). The set-up of
 * bench/vs-keepalived/run.ts's crash rows: VRRPv3, advert_int 1, master 150 on h1, backup
 * 100 on h2 (Master_Down_Interval 3609.4 ms); h1 is SIGKILLed at a random phase.
 *
 *   W  that advert's arrival in h2 (a capture on h2's eth0, as run.ts's row counts from)
 *   K  the backup's thread woken after W (sched_waking), then A:
 *   A  the last advert read by the backup (the last receive system call returning data)
 *   D  the deadline of the timer that ends it (hrtimer_start's `expires`), E its expiry
 *   F  keel only: the timer's JavaScript callback (KEEL_TRACE_MARKER)
 *   N  the netlink sendmsg that adds the VIP (entry and return); keel's, queued at the
 *      pre-wake (src/runtime/takeover-queue.ts), is sent by the kernel as the thread's task
 *      work: N is then that send's io_uring completion, and D / E the io_uring timeout's
 *   V  the VIP seen by `ip monitor address` in the namespace, read by this script
 *   G  the first gratuitous ARP for the VIP on h2's wire (the same capture as W)
 *
 * Two measures need no observer: W → N's return (the kernel adds the address inside the
 * daemon's netlink send: rtnetlink runs in the sender's context, so the VIP is in when the
 * call returns) and W → G (what the segment's neighbours see first), each less
 * Master_Down_Interval. W → V adds `ip monitor`'s and this script's wake-ups, which wait
 * for a CPU behind whatever the daemon still runs on either CPU.
 *
 * W → A is the wake-up on a packet, before any VRRP code runs (not in the daemon's part
 * below, but in run.ts's "last advert heard → VIP": the Master_Down timer counts from when
 * the engine saw the advert, and keepalived's from its select wake-up, vrrp_scheduler.c);
 * A → D less Master_Down_Interval is the receive path's lag; D → E → F the wake-up; F → N what runs before the address
 * is asked for; N → V the kernel and `ip monitor` (the same for both daemons).
 * `--rt`: the backup's threads in SCHED_FIFO 50 (chrt -a) once it is up.
 *
 *   node_modules/.bin/bun bench/runtime/failover-trace.ts [--kinds keel,keepalived] [--rounds N] [--rt] [--timeline]
 *       [--dump FILE] (the raw traces) [--binary PATH] (keel: another build, for A/B runs)
 */
import { readFileSync } from "node:fs";
import { ptr } from "bun:ffi";
import { monotonicMs } from "../../native-bindings/kernel-timer";
import { libc } from "../../native-bindings/libc";
import { Lab, ensureKeel, instance, masterDownMs, sh } from "../../test/netns/harness";
import { type Ev, NAMES, Tracer, field, kallsym, parse, rtnetlinkFds, timerThread, unmountIfIdle } from "./trace-lib";

const argv = process.argv;
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const ROUNDS = Number(opt("rounds") ?? 3);
const RT = argv.includes("--rt");
const TIMELINE = argv.includes("--timeline");
const KINDS = (opt("kinds") ?? "keel,keepalived").split(",") as Kind[];
const BINARY = opt("binary");
type Kind = "keel" | "keepalived";
const VIP = "10.99.0.100";
const MDI = masterDownMs(1, 100, 3);
/** the adverts' receive calls: keel recvmmsg, keepalived recvmsg (its `read`s are its timerfd's) */
const RECV = new Set([45, 47, 299]);

/** CLOCK_REALTIME in ms (a capture's timestamps), read as monotonicMs() reads its clock */
const rt = new Uint32Array(4);
const rtPtr = ptr(new Uint8Array(rt.buffer));
function realtimeMs(): number {
  libc.clock_gettime(0, rtPtr);
  return (rt[0]! + rt[1]! * 4294967296) * 1000 + rt[2]! / 1e6;
}
/** CLOCK_MONOTONIC − CLOCK_REALTIME: the smallest of a few back-to-back pairs' */
function monoMinusReal(): number {
  let best = Number.POSITIVE_INFINITY;
  let off = 0;
  for (let i = 0; i < 20; i++) {
    const a = monotonicMs();
    const r = realtimeMs();
    const b = monotonicMs();
    if (b - a < best) {
      best = b - a;
      off = (a + b) / 2 - r;
    }
  }
  return off;
}

interface Split {
  /** after the daemon's netlink send returned: `ip monitor` woken, waiting for a CPU, its read, its write(stdout) */
  MW: number;
  MO: number;
  MR: number;
  MP: number;
  /** the daemon's thread on a CPU from its send's return to `seen` */
  busy: number;
  /** the advert's arrival → the thread woken, → the receive call's return */
  WK: number;
  WA: number;
  /** the advert's arrival → the start of the Master_Down_Interval that ended it (WA + AD, per round) */
  WD: number;
  AD: number;
  DE: number;
  EF: number;
  FN: number;
  NN: number;
  NV: number;
  AV: number;
  /** run.ts's row: the advert's arrival → the VIP in `ip monitor`, less Master_Down_Interval */
  WV: number;
  /** the advert's arrival → the netlink send's return (the VIP in the kernel), less Master_Down_Interval */
  WN: number;
  /** the advert's arrival → the first gratuitous ARP for the VIP on the wire, less Master_Down_Interval */
  WG: number;
  lines: string[];
}

/** a send-queue.ts send's completion that sent something (user_data ≡ 1 mod 4, result > 0) */
function queuedSend(e: Ev): boolean {
  const u = /user_data 0x([0-9a-f]+)/.exec(e.text)?.[1];
  const res = Number(/result (-?\d+)/.exec(e.text)?.[1]);
  return u !== undefined && Number.parseInt(u, 16) % 4 === 1 && res > 0;
}

function split(
  evs: Ev[],
  thread: number,
  netlink: Set<number>,
  killed: number,
  seen: number,
  wire: number,
  mon: number,
  garp: number,
): Split | undefined {
  const nr = (e: Ev) => Number(/NR (-?\d+)/.exec(e.text)?.[1]);
  const ret = (e: Ev) => Number(/= (-?\d+)/.exec(e.text)?.[1]);
  const mine = evs.filter((e) => e.task === thread || e.kind.startsWith("hrtimer") || e.kind === "sched_waking");
  // N: the first send after the kill on a NETLINK_ROUTE socket (keel: sendto, keepalived: sendmsg)
  const fd = (e: Ev) => Number.parseInt(/NR \d+ \((\w+),/.exec(e.text)?.[1] ?? "-1", 16);
  let n = mine.findIndex(
    (e) => e.t > killed && e.kind === "sys_enter" && (nr(e) === 44 || nr(e) === 46) && netlink.has(fd(e)),
  );
  let N: number;
  let Nx: number;
  if (n >= 0) {
    N = mine[n]!.t;
    Nx = mine.slice(n + 1).find((x) => x.kind === "sys_exit")!.t;
  } else {
    // keel's takeover queue: the first queued send completed after the kill (send-queue.ts
    // user_data: slot * 4 + 1) is the VIPs' request; a BACKUP queues no advert before it
    n = mine.findIndex((e) => e.t > killed && e.kind === "io_uring_complete" && queuedSend(e));
    if (n < 0) return undefined;
    N = Nx = mine[n]!.t;
  }
  const starts = new Map<string, number>();
  let E: Ev | undefined;
  let D = Number.NaN;
  for (const e of mine.slice(0, n)) {
    if (e.kind === "hrtimer_start" && e.task === thread)
      starts.set(field(e.text, "hrtimer")!, Number(field(e.text, "expires")) / 1e6);
    if (e.kind === "hrtimer_expire_entry" && e.t > killed) {
      const d = starts.get(field(e.text, "hrtimer")!);
      if (d !== undefined) {
        E = e;
        D = d;
      }
    }
  }
  // the last receive call of the thread that returned data before the kill, on a socket
  // other than NETLINK_ROUTE: netlink reads are recvmsg too, and keel's reconcile pass
  // (an address dump every few seconds) can come after the last advert
  let A: number | undefined;
  let enterFd = -1;
  for (const e of mine) {
    if (e.t >= killed || e.task !== thread) continue;
    if (e.kind === "sys_enter") enterFd = fd(e);
    else if (e.kind === "sys_exit" && RECV.has(nr(e)) && ret(e) > 0 && !netlink.has(enterFd)) A = e.t;
  }
  if (!E || A === undefined) return undefined;
  // the wake-up that led to A (the last before it: the packet's signal or epoll)
  const K = mine.findLast((e) => e.t < A && e.kind === "sched_waking" && field(e.text, "pid") === String(thread))?.t;
  const F = mine.find((e) => e.t >= E.t && e.kind === "tracing_mark_write" && e.text.includes("keel fire"))?.t;
  const line = (e: Ev, from: number, tag: string) => {
    let text = e.text;
    const k = /NR (-?\d+)/.exec(text)?.[1];
    if (k !== undefined) text = `${NAMES[Number(k)] ?? `nr${k}`}${e.kind === "sys_exit" ? ` = ${ret(e)}` : ""}`;
    return `    ${tag}+${(e.t - from).toFixed(3)} ${e.kind} ${text.slice(0, 100)}`;
  };
  const ours = (e: Ev) =>
    e.task === thread ||
    (e.kind === "sched_switch" &&
      (field(e.text, "prev_pid") === String(thread) || field(e.text, "next_pid") === String(thread)));
  // the wake-up on the last advert (from its arrival, "w+"), then the expiry to `seen` ("+")
  const lines = [
    ...evs.filter((e) => e.t >= wire && e.t <= A && ours(e)).map((e) => line(e, wire, "w")),
    ...evs.filter((e) => e.t >= E.t && e.t <= seen && ours(e)).map((e) => line(e, E.t, "")),
  ];
  // the observer: `ip monitor` (mon) reads the kernel's RTM_NEWADDR, writes its line, this
  // script reads it (seen); and how long the daemon's thread held a CPU from its send to seen
  const monRead = evs.find((e) => e.task === mon && e.t > Nx && e.kind === "sys_exit" && nr(e) === 47 && ret(e) > 0)?.t;
  const monWrite = evs.find(
    (e) => e.task === mon && monRead !== undefined && e.t > monRead && e.kind === "sys_enter" && nr(e) === 1,
  )?.t;
  const monWoken = evs.find((e) => e.t >= N && e.kind === "sched_waking" && field(e.text, "pid") === String(mon))?.t;
  const monOn = evs.find(
    (e) =>
      monWoken !== undefined &&
      e.t >= monWoken &&
      e.kind === "sched_switch" &&
      field(e.text, "next_pid") === String(mon),
  )?.t;
  let busy = 0;
  let onCpu: number | undefined = Nx;
  for (const e of evs) {
    if (e.kind !== "sched_switch" || e.t <= Nx || e.t > seen) continue;
    if (field(e.text, "prev_pid") === String(thread) && onCpu !== undefined) {
      busy += e.t - onCpu;
      onCpu = undefined;
    } else if (field(e.text, "next_pid") === String(thread)) onCpu = e.t;
  }
  if (onCpu !== undefined) busy += seen - onCpu;
  return {
    MW: monWoken === undefined ? Number.NaN : monWoken - Nx,
    MO: monOn === undefined || monWoken === undefined ? Number.NaN : monOn - monWoken,
    MR: monRead === undefined ? Number.NaN : monRead - Nx,
    MP: monWrite === undefined ? Number.NaN : monWrite - Nx,
    busy,
    WK: K === undefined || K < wire - 1 ? Number.NaN : K - wire,
    WA: A - wire,
    WD: D - MDI - wire,
    AD: D - A - MDI,
    DE: E.t - D,
    EF: F === undefined ? Number.NaN : F - E.t,
    FN: N - (F ?? E.t),
    NN: Nx - N,
    NV: seen - Nx,
    AV: seen - A - MDI,
    WV: seen - wire - MDI,
    WN: Nx - wire - MDI,
    WG: garp - wire - MDI,
    lines,
  };
}

async function run(kind: Kind): Promise<Split[]> {
  const lab = Lab.create(["h1", "h2"]);
  const tracer = new Tracer(`hjit-fo-${process.pid}`);
  const out: Split[] = [];
  try {
    const conf = (p: number) => `global_defs {\n  router_id bench\n}\n${instance({ priority: p, version: 3 })}`;
    if (kind === "keel") process.env.KEEL_TRACE_MARKER = `${tracer.dir}/trace_marker`;
    const backup =
      kind === "keel" ? lab.keel("h2", conf(100), [], { binary: BINARY }) : lab.keepalived("h2", conf(100));
    delete process.env.KEEL_TRACE_MARKER;
    await backup.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    const thread = timerThread(lab, "h2", kind, backup);
    if (RT)
      for (const pid of sh(["ip", "netns", "pids", lab.ns("h2")])
        .split("\n")
        .filter(Boolean))
        sh(["chrt", "-a", "-f", "-p", "50", pid]);
    const netlink = rtnetlinkFds(thread);
    const fn = kind === "keel" ? kallsym("posix_timer_fn") : kallsym("timerfd_tmrproc");
    // keel's takeover queue: the io_uring timeout whose expiry sends the VIPs' request
    const fns =
      kind === "keel" ? `(function == ${fn} || function == ${kallsym("io_timeout_fn")})` : `function == ${fn}`;
    tracer.event("timer/hrtimer_start", `common_pid == ${thread} && ${fns}`);
    tracer.event("timer/hrtimer_expire_entry", fns);
    if (kind === "keel") tracer.event("io_uring/io_uring_complete", `common_pid == ${thread}`);
    tracer.event("sched/sched_switch", `prev_pid == ${thread} || next_pid == ${thread}`);
    tracer.event("sched/sched_waking", `pid == ${thread}`);
    tracer.event("raw_syscalls/sys_enter", `common_pid == ${thread}`);
    tracer.event("raw_syscalls/sys_exit", `common_pid == ${thread}`);
    for (let r = 0; r < ROUNDS; r++) {
      const master =
        kind === "keel" ? lab.keel("h1", conf(150), [], { binary: BINARY }) : lab.keepalived("h1", conf(150));
      await master.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
      for (let i = 0; i < 200 && lab.hasAddr("h2", VIP); i++) await Bun.sleep(20);
      // the master's adverts as they reach h2 (run.ts's `heard`)
      // and the backup's first gratuitous ARP (its own frames, as dumpcap sees them leave)
      const heard = await lab.capture("h2", `(ip proto 112 and src ${lab.ip("h1")}) or arp`);
      tracer.clear();
      tracer.on(true);
      await Bun.sleep(1_000 + Math.random() * 1_000); // a random phase against the advert timer
      const watch = await lab.watchAddr("h2", VIP);
      const mon = monitorPid(lab);
      const who = [thread, mon, process.pid];
      tracer.event("sched/sched_switch", who.map((p) => `prev_pid == ${p} || next_pid == ${p}`).join(" || "));
      tracer.event("sched/sched_waking", who.map((p) => `pid == ${p}`).join(" || "));
      tracer.event("raw_syscalls/sys_enter", `common_pid == ${thread} || common_pid == ${mon}`);
      tracer.event("raw_syscalls/sys_exit", `common_pid == ${thread} || common_pid == ${mon}`);
      // the script's clock to CLOCK_MONOTONIC (the trace's): one offset, read back to back
      const offset = monotonicMs() - performance.now();
      const killed = performance.now() + offset;
      if (kind === "keepalived") master.killGroup("SIGKILL");
      else master.kill("SIGKILL");
      const seen = (await watch.wait()) + offset;
      watch.stop();
      await Bun.sleep(200);
      tracer.on(false);
      const pcap = await heard.stop();
      const toMono = monoMinusReal();
      const wire = lab
        .tshark(pcap, "vrrp", ["frame.time_epoch"])
        .map((r) => Number(r[0]) * 1000 + toMono)
        .filter((t) => t <= killed)
        .at(-1);
      const garp =
        lab
          .tshark(pcap, `arp.src.proto_ipv4 == ${VIP}`, ["frame.time_epoch"])
          .map((r) => Number(r[0]) * 1000 + toMono)
          .find((t) => t > killed) ?? Number.NaN;
      const text = tracer.read();
      if (opt("dump")) Bun.write(`${opt("dump")}.${kind}.${r}`, text);
      const s = wire === undefined ? undefined : split(parse(text), thread, netlink, killed, seen, wire, mon, garp);
      await master.exited;
      if (!s) {
        console.log(`${kind} round ${r + 1}: the trace did not hold the advert, the timer and the address add`);
        continue;
      }
      out.push(s);
      console.log(
        `${kind}${RT ? " (SCHED_FIFO 50)" : ""} round ${r + 1}: on the wire → VIP above MDI ${s.WV.toFixed(3)} ms = ` +
          `wire → woken ${Number.isNaN(s.WK) ? "–" : s.WK.toFixed(3)}, → read ${s.WA.toFixed(3)} + receive lag ${s.AD.toFixed(3)} (wire → the timer's start ${s.WD.toFixed(3)})` +
          ` + expiry ${s.DE.toFixed(3)} + wake → callback ${Number.isNaN(s.EF) ? "–" : s.EF.toFixed(3)} + ` +
          `→ netlink add ${s.FN.toFixed(3)} + add ${s.NN.toFixed(3)} + → ip monitor ${s.NV.toFixed(3)}`,
      );
      console.log(
        `    without an observer: on the wire → the request's return (VIP in the kernel) above MDI ${s.WN.toFixed(3)} ms, → the first GARP on the wire ${s.WG.toFixed(3)} ms`,
      );
      console.log(
        `    after the send: ip monitor woken +${s.MW.toFixed(3)}, on a CPU ${s.MO.toFixed(3)} later, its read +${s.MR.toFixed(3)}, ` +
          `its write +${s.MP.toFixed(3)}, this script's read +${s.NV.toFixed(3)}; the daemon on a CPU ${s.busy.toFixed(3)} ms of it`,
      );
      if (TIMELINE) for (const l of s.lines) console.log(l);
    }
  } finally {
    delete process.env.KEEL_TRACE_MARKER;
    // the daemon first: while it holds the instance's trace_marker open, rmdir fails (EBUSY)
    lab.destroy();
    tracer.destroy();
  }
  return out;
}

/** `ip -o monitor address` in h2 (watchAddr's): the one process named ip there */
function monitorPid(lab: Lab): number {
  const pid = sh(["ip", "netns", "pids", lab.ns("h2")])
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .find((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "ip";
      } catch {
        return false;
      }
    });
  if (pid === undefined) throw new Error("ip monitor not found in h2");
  return pid;
}

const med = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
ensureKeel();
for (const kind of KINDS) {
  const rs = await run(kind);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const m = (k: keyof Omit<Split, "lines">) => med(rs.map((r) => r[k])).toFixed(3);
  console.log(
    `${kind} medians of ${rs.length}, without an observer: on the wire → the request's return above MDI ${m("WN")}, → the first GARP ${m("WG")}`,
  );
  console.log(
    `${kind} medians of ${rs.length} (load ${load}): on the wire → VIP above MDI ${m("WV")} = wire → woken ${m("WK")}, → read ${m("WA")} + receive lag ${m("AD")} (wire → the timer's start ${m("WD")}) + expiry ${m("DE")} + wake → callback ${m("EF")} + → netlink add ${m("FN")} + add ${m("NN")} + → ip monitor ${m("NV")} (ip monitor woken ${m("MW")}, waits ${m("MO")}, reads ${m("MR")}, writes ${m("MP")}; the daemon on a CPU ${m("busy")})`,
  );
}
unmountIfIdle();
