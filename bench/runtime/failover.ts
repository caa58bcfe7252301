/**
 * Bench (root): keel on real interfaces, in namespaces built by test/netns/harness.ts.
 *
 *  1. crash failover over N rounds: SIGKILL the master → the VIP on the backup
 *     (`ip monitor`), and → the first GARP seen by a client (capture timestamps),
 *     next to the theoretical Master_Down_Interval;
 *  2. from the master decision (its first advert on the wire: keel sends it before its
 *     addresses, as keepalived, and writes the transition's lines after asking for them)
 *     to all VIPs installed and to the first GARP, for 1, 100 and 1,000 VIPs;
 *  3. steady-state CPU (% of one core) and RSS for 1 and 200 instances at advert_int 1,
 *     as master and as backup.
 *
 *   node_modules/.bin/bun bench/runtime/failover.ts [--rounds N] [--cpu-seconds S] [--only crash|vips|steady]
 *       [--vip-rounds N] [--vips COUNT[,COUNT]]   (vips: the median of N fresh daemons per count; 1, 100, 1000)
 *       [--kinds keel,keepalived] [--trace]       (vips: keepalived too, from the first master advert;
 *                                                  the kernel's trace of each install, split)
 *       [--binary PATH]                           (vips: another keel build, for A/B pairs)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { monotonicMs } from "../../native-bindings/kernel-timer";
import { Lab, type Proc, ensureKeel, instance, masterDownMs } from "../../test/netns/harness";
import { type Ev, Tracer, field, parse, rtnetlinkFds, timerThread, unmountIfIdle } from "./trace-lib";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ROUNDS = arg("rounds", 10);
const CPU_S = arg("cpu-seconds", 30);
/** --only vips: rounds per count (each a fresh lab and daemon: the install is the first, cold) */
const VIP_ROUNDS = arg("vip-rounds", 1);
const vipsAt = process.argv.indexOf("--vips");
const VIP_COUNTS = vipsAt > 0 ? (process.argv[vipsAt + 1] ?? "").split(",").map(Number) : [1, 100, 1000];
/** --only vips: which daemons (keepalived: the first-advert row only, its log has no ms time) */
const KINDS = (process.argv.includes("--kinds") ? process.argv[process.argv.indexOf("--kinds") + 1]! : "keel").split(
  ",",
) as Kind[];
type Kind = "keel" | "keepalived";
/** --only vips --trace: split each install from the kernel's trace of the daemon's thread (trace-lib.ts) */
const TRACE = process.argv.includes("--trace");
/** --only vips --binary PATH: another keel build (A/B pairs) */
const BINARY = process.argv.includes("--binary") ? process.argv[process.argv.indexOf("--binary") + 1] : undefined;
/** --trace --dump FILE: the raw traces, FILE.<kind>.<round> */
const DUMP = process.argv.includes("--dump") ? process.argv[process.argv.indexOf("--dump") + 1] : undefined;
const VIP = "10.99.0.100";
const GLOBAL = "global_defs {\n  router_id bench\n}\n";
const epochNow = () => performance.timeOrigin + performance.now();

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]!.toFixed(1)}  median ${med.toFixed(1)}  max ${s.at(-1)!.toFixed(1)} ms (n=${s.length})`;
}

async function waitVipGone(lab: Lab, host: string): Promise<void> {
  for (let i = 0; i < 200 && lab.hasAddr(host, VIP); i++) await Bun.sleep(20);
}

async function crashRounds(): Promise<void> {
  const lab = Lab.create(["h1", "h2", "client"]);
  try {
    const conf = (p: number) => GLOBAL + instance({ priority: p });
    const toVip: number[] = [];
    const toGarp: number[] = [];
    let h2 = lab.keel("h2", conf(100));
    await h2.waitFor(/Entering BACKUP STATE \(init\)/);
    for (let r = 0; r < ROUNDS; r++) {
      const h1 = lab.keel("h1", conf(150));
      await h1.waitFor(/Entering MASTER STATE/, 15_000);
      const m2 = h2.lines.length;
      await h2.waitFor(/Entering BACKUP STATE/, 15_000, m2 > 0 ? 0 : 0);
      await waitVipGone(lab, "h2");
      // a random phase against the advert timer, as a real crash has
      await Bun.sleep(1_000 + Math.random() * 1_000);
      const cap = await lab.capture("client", "arp");
      const watch = await lab.watchAddr("h2", VIP);
      const e0 = epochNow();
      const t0 = performance.now();
      h1.kill("SIGKILL");
      const t1 = await watch.wait();
      watch.stop();
      toVip.push(t1 - t0);
      await Bun.sleep(300);
      const pcap = await cap.stop();
      const first = lab.tshark(pcap, `arp.src.proto_ipv4 == ${VIP} && arp.dst.proto_ipv4 == ${VIP}`, [
        "frame.time_epoch",
      ])[0];
      if (first) toGarp.push(Number(first[0]) * 1000 - e0);
      await h1.exited;
      // h2 is master now; restart h1 next round (it preempts); keep h2 running
      if (h2.lines.some((l) => l.text.includes("Stopped"))) h2 = lab.keel("h2", conf(100));
    }
    const mdi = masterDownMs(1, 100, 2);
    console.log(`crash failover (advert_int 1, backup priority 100, Master_Down_Interval ${mdi.toFixed(1)} ms):`);
    console.log(`  kill → VIP on backup : ${stats(toVip)}`);
    if (toGarp.length) console.log(`  kill → first GARP    : ${stats(toGarp)}`);
  } finally {
    lab.destroy();
  }
}

/** One daemon's 1,000-VIP install, from the kernel's trace of its thread (--trace). */
interface VipSplit {
  /** the first advert's send → the first RTM_NEWADDR send */
  advertToNetlink: number;
  /** the first → the last RTM_NEWADDR send's return */
  sending: number;
  /** of which: inside the sends, inside the reads of their ACKs (the request socket) */
  inSend: number;
  inAck: number;
  sends: number;
  /** reads of the other NETLINK_ROUTE sockets (keel's monitor reading its own RTM_NEWADDR back) before the last send */
  echoReads: number;
  /** of the first → last send: off the CPU (sched_switch) */
  offCpu: number;
  /** the last send's return → `ip monitor` printed the last VIP */
  toSeen: number;
}

function vipSplit(text: string, thread: number, netlink: Set<number>, seenMono: number): VipSplit | undefined {
  const all = parse(text);
  const evs = all.filter((e) => e.task === thread && e.kind.startsWith("sys_"));
  const nr = (e: Ev) => Number(/NR (-?\d+)/.exec(e.text)?.[1]);
  const fdOf = (e: Ev) => Number.parseInt(/NR \d+ \((\w+),/.exec(e.text)?.[1] ?? "-1", 16);
  let advert: number | undefined;
  let first: number | undefined;
  let lastExit = Number.NaN;
  let inSend = 0;
  let inAck = 0;
  let sends = 0;
  const echoAt: number[] = [];
  const requestFds = new Set<number>();
  let open: { t: number; send: boolean; fd: number } | undefined;
  for (const e of evs) {
    if (e.kind === "sys_enter") {
      const n = nr(e);
      const fd = fdOf(e);
      const send = n === 44 || n === 46;
      if (send && !netlink.has(fd) && advert === undefined) advert = e.t;
      if (send && netlink.has(fd) && advert !== undefined) {
        first ??= e.t;
        requestFds.add(fd);
        open = { t: e.t, send: true, fd };
      } else if ((n === 45 || n === 47) && netlink.has(fd)) open = { t: e.t, send: false, fd };
      else open = undefined;
    } else if (open && e.kind === "sys_exit") {
      if (open.send) {
        inSend += e.t - open.t;
        sends++;
        lastExit = e.t;
      } else if (requestFds.has(open.fd)) inAck += e.t - open.t;
      else if (first !== undefined) echoAt.push(e.t);
      open = undefined;
    }
  }
  if (advert === undefined || first === undefined) return undefined;
  // the thread off its CPU between the first send and the last one's return (preempted or waiting)
  let offCpu = 0;
  let off: number | undefined;
  for (const e of all) {
    if (e.kind !== "sched_switch" || e.t < first || e.t > lastExit) continue;
    if (field(e.text, "prev_pid") === String(thread)) off = e.t;
    else if (field(e.text, "next_pid") === String(thread) && off !== undefined) {
      offCpu += e.t - off;
      off = undefined;
    }
  }
  return {
    advertToNetlink: first - advert,
    sending: lastExit - first,
    inSend,
    inAck,
    sends,
    echoReads: echoAt.filter((t) => t < lastExit).length,
    offCpu,
    toSeen: seenMono - lastExit,
  };
}

async function vipScale(kind: Kind): Promise<void> {
  for (const n of VIP_COUNTS) {
    const installed: number[] = [];
    const fromAdvert: number[] = [];
    const garps: number[] = [];
    const splits: VipSplit[] = [];
    for (let r = 0; r < VIP_ROUNDS; r++) {
      const lab = Lab.create(["h1", "client"]);
      const tracer = TRACE ? new Tracer(`hfail-vips-${process.pid}`) : undefined;
      try {
        const vips = Array.from({ length: n }, (_, i) => `10.${100 + Math.floor(i / 250)}.${i % 250}.1/32`);
        const cap = await lab.capture("client", "arp or vrrp");
        const watch = await lab.watchAddr("h1", vips.at(-1)!.split("/")[0]!);
        const conf = GLOBAL + instance({ priority: 150, vips });
        const h1 =
          kind === "keel"
            ? lab.keel("h1", conf, ["--log-format", "json"], { binary: BINARY })
            : lab.keepalived("h1", conf);
        let thread = 0;
        let netlink = new Set<number>();
        if (tracer) {
          // priority 150 waits Master_Down_Interval (3.4 s) as BACKUP first: time to aim the tracer
          await h1.waitFor(/Entering BACKUP STATE/, 20_000);
          thread = timerThread(lab, "h1", kind, h1);
          netlink = rtnetlinkFds(thread);
          tracer.event("raw_syscalls/sys_enter", `common_pid == ${thread}`);
          tracer.event("raw_syscalls/sys_exit", `common_pid == ${thread}`);
          tracer.event("sched/sched_switch", `prev_pid == ${thread} || next_pid == ${thread}`);
          tracer.on(true);
        }
        const offset = monotonicMs() - performance.now();
        const tVip = await watch.wait();
        watch.stop();
        await h1.waitFor(/"Entering MASTER STATE|\) Entering MASTER STATE/, 20_000);
        await Bun.sleep(500);
        if (tracer) {
          tracer.on(false);
          const text = tracer.read();
          if (DUMP)
            writeFileSync(
              `${DUMP}.${kind}.${r}`,
              `# thread ${thread}, netlink fds ${[...netlink]}, seen ${tVip + offset}\n${text}`,
            );
          const s = vipSplit(text, thread, netlink, tVip + offset);
          if (s) splits.push(s);
          else console.log(`    ${kind} round ${r + 1}: the trace held no advert and address add`);
        }
        const pcap = await cap.stop();
        const advert = lab.tshark(pcap, `vrrp && ip.src == ${lab.ip("h1")}`, ["frame.time_epoch"])[0];
        if (advert) fromAdvert.push(performance.timeOrigin + tVip - Number(advert[0]) * 1000);
        // the decision: its first advert on the wire (before hfo3, the transition's JSON log
        // time, 1 ms; the line is now written after the addresses are asked for)
        if (kind === "keel" && advert) {
          const decided = Number(advert[0]) * 1000;
          installed.push(performance.timeOrigin + tVip - decided);
          const first = lab.tshark(pcap, "arp.opcode == 1", ["frame.time_epoch"])[0];
          if (first) garps.push(Number(first[0]) * 1000 - decided);
        }
      } finally {
        lab.destroy();
        tracer?.destroy();
      }
    }
    if (kind === "keel") {
      const garp = garps.length ? `${median(garps).toFixed(1)} ms` : "none seen";
      // the median of the rounds (one round: its value), in the line vs-keepalived/run.ts reads
      console.log(
        `  ${String(n).padStart(4)} VIPs: decision → all VIPs installed ${median(installed).toFixed(1)} ms, → first GARP ${garp}`,
      );
      if (VIP_ROUNDS > 1) console.log(`        installed: ${stats(installed)}`);
    }
    // the first master advert on the wire: the same moment for both daemons (each sends it
    // before adding the addresses: keepalived vrrp.c vrrp_state_become_master)
    if (fromAdvert.length)
      console.log(
        `  ${String(n).padStart(4)} VIPs, ${kind}: first master advert → all VIPs installed ${stats(fromAdvert)}`,
      );
    if (splits.length) {
      const m = (k: keyof VipSplit) =>
        median(splits.map((s) => s[k])).toFixed(k === "sends" || k === "echoReads" ? 0 : 3);
      console.log(
        `        ${kind} trace, medians of ${splits.length}: advert send → first netlink send ${m("advertToNetlink")} ms; ` +
          `first → last send's return ${m("sending")} ms (${m("sends")} sends, in them ${m("inSend")} ms, ` +
          `ACK reads ${m("inAck")} ms, own-monitor reads meanwhile ${m("echoReads")}, off the CPU ${m("offCpu")} ms); ` +
          `→ ip monitor's last VIP ${m("toSeen")} ms`,
      );
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}

function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return Number(m?.[1] ?? 0) / 1024;
}

async function steady(): Promise<void> {
  const hz = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
  for (const n of [1, 200]) {
    const lab = Lab.create(["h1", "h2"]);
    try {
      const conf = (p: number) =>
        GLOBAL +
        Array.from({ length: n }, (_, i) =>
          instance({
            name: `VI_${i + 1}`,
            vrid: i + 1,
            priority: p,
            vips: [`10.98.${Math.floor(i / 250)}.${(i % 250) + 1}/32`],
          }),
        ).join("");
      const h2 = lab.keel("h2", conf(100));
      await h2.waitFor(/Startup complete/);
      const h1 = lab.keel("h1", conf(150));
      await h1.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 20_000);
      await Bun.sleep(1_000);
      const procs: [string, Proc][] = [
        ["master", h1],
        ["backup", h2],
      ];
      const before = procs.map(([, p]) => cpuTicks(p.pid));
      await Bun.sleep(CPU_S * 1000);
      const after = procs.map(([, p]) => cpuTicks(p.pid));
      procs.forEach(([role, p], i) => {
        const pct = ((after[i]! - before[i]!) / hz / CPU_S) * 100;
        console.log(
          `  ${String(n).padStart(3)} instances, ${role}: CPU ${pct.toFixed(2)}% of a core, RSS ${rssMb(p.pid).toFixed(1)} MB`,
        );
      });
    } finally {
      lab.destroy();
    }
  }
}

if (process.getuid?.() !== 0) {
  console.error("bench/runtime/failover.ts needs root (network namespaces)");
  process.exit(1);
}
ensureKeel();
console.log(`keel runtime bench, ${new Date().toISOString()}`);
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (!only || only === "crash") await crashRounds();
if (!only || only === "vips") {
  console.log("master decision → VIPs installed / first GARP:");
  for (const kind of KINDS) await vipScale(kind);
  if (TRACE) unmountIfIdle();
}
if (!only || only === "steady") {
  console.log(`steady state over ${CPU_S} s at advert_int 1:`);
  await steady();
}
