/**
 * Bench (root): the garbage collector's pauses in a running daemon. A master with 10
 * VRRPv3 instances at 100 ms adverts (the advert-jitter setup, no checkers) runs with
 * JavaScriptCore's GC log on (BUN_JSC_logGC=1, inherited through the lab); every
 * collection's pause ("p=… ms" in the log) is collected for `--seconds`.
 *
 * keel's CPU time over the same seconds (/proc/PID/stat) beside it, for what collecting
 * more or less often costs.
 *
 *   node_modules/.bin/bun bench/runtime/gc-pauses.ts [--seconds S]
 */
import { readFileSync } from "node:fs";
import { Lab, ensureKeel, instance } from "../../test/netns/harness";

/** the process's user + system CPU time so far, in clock ticks (/proc/PID/stat fields 14, 15) */
function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

const i = process.argv.indexOf("--seconds");
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 30;
process.env.BUN_JSC_logGC = "1";
ensureKeel();
const lab = Lab.create(["lb", "peer"]);
try {
  let conf = "global_defs {\n  router_id bench\n}\n";
  for (let n = 0; n < 10; n++)
    conf += instance({
      name: `VI_${n}`,
      vrid: 10 + n,
      priority: 150,
      version: 3,
      advertInt: 0.1,
      vips: [`10.99.1.${n + 1}/32`],
    });
  const p = lab.keel("lb", conf);
  for (let n = 0; n < 10; n++) await p.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 20_000);
  const from = p.lines.length;
  const cpu0 = cpuTicks(p.pid);
  await Bun.sleep(SECONDS * 1000);
  const cpu = (cpuTicks(p.pid) - cpu0) / SECONDS; // ticks (1/100 s) a second = % of a core
  const pauses: number[] = [];
  let eden = 0;
  let full = 0;
  for (const l of p.lines.slice(from)) {
    const m = /p=([\d.]+)ms/.exec(l.text);
    if (!m || !/END\]/.test(l.text)) continue;
    pauses.push(Number(m[1]));
  }
  for (const l of p.lines.slice(from)) {
    if (/EdenCollection/.test(l.text)) eden++;
    if (/FullCollection/.test(l.text)) full++;
  }
  const s = [...pauses].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  console.log(
    `${SECONDS} s, 10 instances at 100 ms: ${pauses.length} collections (${eden} eden, ${full} full), pause p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${Math.max(...s).toFixed(2)} ms; keel's CPU ${cpu.toFixed(2)}% of a core, load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
  );
} finally {
  lab.destroy();
}
