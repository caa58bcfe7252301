/**
 * Bench (root): keel on real interfaces, in namespaces built by test/netns/harness.ts.
 *
 *  1. crash failover over N rounds: SIGKILL the master → the VIP on the backup
 *     (`ip monitor`), and → the first GARP seen by a client (capture timestamps),
 *     next to the theoretical Master_Down_Interval;
 *  2. from the master decision (the transition's log record) to all VIPs installed and
 *     to the first GARP, for 1, 100 and 1,000 VIPs;
 *  3. steady-state CPU (% of one core) and RSS for 1 and 200 instances at advert_int 1,
 *     as master and as backup.
 *
 *   node_modules/.bin/bun bench/runtime/failover.ts [--rounds N] [--cpu-seconds S] [--only crash|vips|steady]
 *       [--vip-rounds N] [--vips COUNT[,COUNT]]   (vips: the median of N fresh daemons per count; 1, 100, 1000)
 */
import { readFileSync } from "node:fs";
import { Lab, type Proc, ensureKeel, instance, masterDownMs } from "../../test/netns/harness";

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

async function vipScale(): Promise<void> {
  for (const n of VIP_COUNTS) {
    const installed: number[] = [];
    const garps: number[] = [];
    for (let r = 0; r < VIP_ROUNDS; r++) {
      const lab = Lab.create(["h1", "client"]);
      try {
        const vips = Array.from({ length: n }, (_, i) => `10.${100 + Math.floor(i / 250)}.${i % 250}.1/32`);
        const cap = await lab.capture("client", "arp");
        const watch = await lab.watchAddr("h1", vips.at(-1)!.split("/")[0]!);
        const h1 = lab.keel("h1", GLOBAL + instance({ priority: 150, vips }), ["--log-format", "json"]);
        const tVip = await watch.wait();
        watch.stop();
        const rec = await h1.waitFor(/"Entering MASTER STATE|\) Entering MASTER STATE/, 20_000);
        await Bun.sleep(500);
        const pcap = await cap.stop();
        const decided = (JSON.parse(rec.text) as { time: number }).time;
        const first = lab.tshark(pcap, "arp.opcode == 1", ["frame.time_epoch"])[0];
        installed.push(performance.timeOrigin + tVip - decided);
        if (first) garps.push(Number(first[0]) * 1000 - decided);
      } finally {
        lab.destroy();
      }
    }
    const garp = garps.length ? `${median(garps).toFixed(1)} ms` : "none seen";
    // the median of the rounds (one round: its value), in the line vs-keepalived/run.ts reads
    console.log(
      `  ${String(n).padStart(4)} VIPs: decision → all VIPs installed ${median(installed).toFixed(1)} ms, → first GARP ${garp}`,
    );
    if (VIP_ROUNDS > 1) console.log(`        installed: ${stats(installed)}`);
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
  await vipScale();
}
if (!only || only === "steady") {
  console.log(`steady state over ${CPU_S} s at advert_int 1:`);
  await steady();
}
