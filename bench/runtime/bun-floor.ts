/**
 * Bench (not a test): what Bun itself costs to wake once a second, with no keel code: the
 * floor under issue 20's "1 instance idle ≤ 0.05 % of a core". A `setInterval` of 1 s
 * whose callback allocates `BYTES` (0: nothing) runs for 5 s, then each thread's CPU
 * (schedstat, ns) is read over `SECONDS`; "JS" is the main thread, the thread named like
 * the process is libpas's scavenger (bench/RESULTS.md "Idle floor").
 *
 *   node_modules/.bin/bun bench/runtime/bun-floor.ts [BYTES] [SECONDS]
 *   BUN_GC_TIMER_DISABLE=1 Malloc=1 node_modules/.bin/bun bench/runtime/bun-floor.ts 2000
 */
import { readFileSync, readdirSync } from "node:fs";

const bytes = Number(process.argv[2] ?? 0);
const seconds = Number(process.argv[3] ?? 20);

function threadNs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const run = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      const name = tid === String(process.pid) ? "JS" : readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      out.set(name, (out.get(name) ?? 0) + run);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return out;
}

let sink: unknown;
setInterval(() => {
  if (bytes > 0) sink = Array.from({ length: bytes / 32 }, (_, i) => ({ i }));
}, 1000);

setTimeout(() => {
  const a = threadNs();
  setTimeout(() => {
    const b = threadNs();
    const parts: string[] = [];
    let total = 0;
    for (const [k, v] of b) {
      const d = Math.max(0, v - (a.get(k) ?? 0));
      total += d;
      parts.push(`${k} ${((d / 1e9 / seconds) * 100).toFixed(3)}`);
    }
    const env = Object.entries(process.env)
      .filter(([k]) => k.startsWith("BUN_") || k === "Malloc")
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    console.log(
      `${bytes} bytes per wake, env ${env || "-"}: ${((total / 1e9 / seconds) * 100).toFixed(3)} % core (${parts.join(", ")}); ${typeof sink}`,
    );
    process.exit(0);
  }, seconds * 1000);
}, 5000);
