/**
 * Bench (root): the garbage collector's pauses in a running daemon. A master with 10
 * VRRPv3 instances at 100 ms adverts (the advert-jitter setup, no checkers) runs with
 * JavaScriptCore's GC log on (BUN_JSC_logGC=1, inherited through the lab); every
 * collection's pause ("p=… ms" in the log) is collected for `--seconds`.
 *
 *   node_modules/.bin/bun bench/runtime/gc-pauses.ts [--seconds S]
 */
import { Lab, ensureKeel, instance } from "../../test/netns/harness";

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
  await Bun.sleep(SECONDS * 1000);
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
    `${SECONDS} s, 10 instances at 100 ms: ${pauses.length} collections (${eden} eden, ${full} full), pause p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${Math.max(...s).toFixed(2)} ms`,
  );
} finally {
  lab.destroy();
}
