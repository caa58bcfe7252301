/**
 * A long fuzzing campaign, by hand (not part of any test layer):
 *
 *   bun test/fuzz/campaign.ts                       every target, 60 s each, a new seed
 *   bun test/fuzz/campaign.ts --seconds 3600 config-conf vrrp-ipv4
 *   bun test/fuzz/campaign.ts --seed 42 --hang-seconds 20 netlink
 *
 * Each target runs in a worker thread (test/fuzz/worker.ts) with the same checks as the unit
 * layer (test/unit/fuzz/harness.ts). A failing input, shrunk by fast-check, and an input that
 * hangs (no progress for --hang-seconds: the worker is killed) are written straight into the
 * kept corpus, test/fixtures/fuzz/<target>/crash-* or hang-*: fix the decoder, keep the file,
 * and test/unit/fuzz/corpus.test.ts replays it from then on. Exit status 1 if anything failed.
 */
import { parseArgs } from "node:util";
import { saveFailure } from "../unit/fuzz/harness";
import { TARGETS } from "../unit/fuzz/targets";
import type { Job, Outcome } from "./worker";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "60" },
    seed: { type: "string" },
    "hang-seconds": { type: "string", default: "10" },
  },
});
const seconds = Number(values.seconds);
const hangMs = Number(values["hang-seconds"]) * 1000;
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const unknown = positionals.filter((p) => !TARGETS.some((t) => t.name === p));
if (unknown.length > 0 || !(seconds > 0) || !(hangMs > 0)) {
  console.error(`usage: bun test/fuzz/campaign.ts [--seconds N] [--seed N] [--hang-seconds N] [target...]`);
  console.error(`targets: ${TARGETS.map((t) => t.name).join(" ")}`);
  process.exit(2);
}
const targets = positionals.length > 0 ? TARGETS.filter((t) => positionals.includes(t.name)) : TARGETS;

function runOne(name: string): Promise<boolean> {
  const t = TARGETS.find((x) => x.name === name)!;
  const ctrl = new SharedArrayBuffer(8);
  const data = new SharedArrayBuffer(4 << 20);
  const counters = new Int32Array(ctrl);
  const worker = new Worker(new URL("./worker.ts", import.meta.url).href);
  return new Promise((resolve) => {
    let last = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const n = Atomics.load(counters, 0);
      if (n !== last) {
        last = n;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange < hangMs) return;
      // the decoder has not returned: keep the input it was given, then kill the thread
      const len = Atomics.load(counters, 1);
      const input = new Uint8Array(data, 0, Math.min(len, data.byteLength)).slice();
      worker.terminate();
      clearInterval(watchdog);
      const file = saveFailure(t, input, true, "hang");
      console.log(`${name}: HANG: input ${n} made no progress for ${hangMs / 1000} s (${len} bytes) → ${file}`);
      resolve(false);
    }, 250);
    worker.onmessage = (e: MessageEvent<Outcome>) => {
      clearInterval(watchdog);
      worker.terminate();
      const o = e.data;
      if (!o.failed) {
        const reached = o.reached.map(([k, v]) => `${k} ${v}`).join(", ");
        console.log(`${name}: ${o.runs} inputs, no failure (${reached})`);
        resolve(true);
        return;
      }
      const file = saveFailure(t, o.input, true, "crash");
      console.log(`${name}: FAILED after ${o.runs} inputs: ${o.error}`);
      console.log(`  shrunk input (${o.input.length} bytes) → ${file}`);
      console.log(
        `  replay: KEEL_FUZZ_SEED=${o.seed} KEEL_FUZZ_PATH=${o.path} bun test ./test/unit/fuzz/ -t '${name}'`,
      );
      resolve(false);
    };
    worker.onerror = (e) => {
      clearInterval(watchdog);
      console.log(`${name}: worker error: ${e.message}`);
      resolve(false);
    };
    const job: Job = { target: name, seed, seconds, ctrl, data };
    worker.postMessage(job);
  });
}

console.log(`fuzz campaign: seed ${seed}, ${seconds} s per target, hang after ${hangMs / 1000} s without progress`);
let ok = true;
for (const t of targets) ok = (await runOne(t.name)) && ok;
process.exit(ok ? 0 : 1);
