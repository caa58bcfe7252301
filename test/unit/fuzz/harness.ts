/**
 * The fuzzing harness: one Target per decoder of untrusted input, run by fast-check with a
 * fixed seed in the unit layer, replayed from the kept corpus (test/fixtures/fuzz/<target>/),
 * and run for as long as wanted by test/fuzz/campaign.ts (DESIGN.md, Testing).
 *
 * A target's `run` throws only when the decoder broke its contract: it threw, or it returned
 * something that is neither `{ok: false, error: {code, message}}` with a known code nor a
 * valid value. Time is checked after each input: JavaScript cannot interrupt a synchronous
 * loop, so a real hang is caught by the campaign's watchdog (a worker thread), and the unit
 * layer catches inputs that are merely slow (a budget per input, far above normal).
 *
 *   KEEL_FUZZ_RUNS=100000 bun test ./test/unit/fuzz/vrrp.test.ts   more runs (default: the CI count)
 *   KEEL_FUZZ_SEED=1234 ...                                          another seed (default: fixed)
 *   KEEL_FUZZ_SEED=1234 KEEL_FUZZ_PATH=7:0:1 ...                      replay one failure and its shrink
 *   KEEL_FUZZ_SAVE=1 ...                                             a failing input goes straight into the corpus
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";

export const CORPUS = join(import.meta.dir, "../../fixtures/fuzz");

export interface Target {
  /** also the corpus directory's name */
  name: string;
  /** decode one input; throws (with the reason) only when the decoder broke its contract */
  run(input: Uint8Array): void;
  /** inputs: structured generators, mutations of real captures, random bytes */
  inputs(): fc.Arbitrary<Uint8Array>;
  /** one input taking more CPU time than this is a failure (a hang in the making); generous */
  budgetMs: number;
  /** fast-check runs in the unit layer: enough to be worth it, few enough to stay fast */
  ciRuns: number;
  /**
   * Outcomes the generated inputs must reach in a CI run (counted by `hit`): proof that the
   * generators get past the first length check to the decoders' deep paths and valid results.
   */
  mustReach: readonly string[];
  reached: Map<string, number>;
}

/** count one outcome of a target (see Target.mustReach) */
export function hit(t: Target, what: string): void {
  t.reached.set(what, (t.reached.get(what) ?? 0) + 1);
}

/** The unit layer's seed: fixed, so a CI failure reproduces anywhere. */
export const CI_SEED = 20261205;

export const fuzzSettings = () => ({
  runs: process.env.KEEL_FUZZ_RUNS ? Number(process.env.KEEL_FUZZ_RUNS) : undefined,
  seed: process.env.KEEL_FUZZ_SEED ? Number(process.env.KEEL_FUZZ_SEED) : CI_SEED,
  path: process.env.KEEL_FUZZ_PATH || undefined,
  save: process.env.KEEL_FUZZ_SAVE === "1",
});

/** run + the time budget: the one check used by the property, the corpus replay and the campaign */
export function check(t: Target, input: Uint8Array): void {
  // CPU time, not wall time: a loaded machine (CI, other tests) stretches the wall clock
  // several times over. A GC pause can still land in one run: an input is slow only when
  // three runs in a row are over budget.
  let ms = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && ms > t.budgetMs; attempt++) {
    const t0 = cpuMs();
    t.run(input);
    ms = Math.min(ms, cpuMs() - t0);
  }
  if (ms > t.budgetMs)
    throw new Error(`${t.name}: one input took ${ms.toFixed(0)} ms of CPU, three times (budget ${t.budgetMs} ms)`);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** call a decoder; a throw becomes a failure that names the decoder */
export function noThrow<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`${what} threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

export function expectThat(cond: boolean, why: string): asserts cond {
  if (!cond) throw new Error(why);
}

/** an `{ok: false}` must carry a known code and a message; returns whether it was ok */
export function checkResult(what: string, r: unknown, codes: ReadonlySet<string>): r is { ok: true; value: unknown } {
  expectThat(typeof r === "object" && r !== null && "ok" in r, `${what}: not a result: ${String(r)}`);
  const res = r as { ok: unknown; value?: unknown; error?: { code?: unknown; message?: unknown } };
  if (res.ok === true) return true;
  expectThat(res.ok === false, `${what}: ok is ${String(res.ok)}`);
  const code = res.error?.code;
  expectThat(typeof code === "string" && codes.has(code), `${what}: unknown error code ${String(code)}`);
  expectThat(
    typeof res.error?.message === "string" && res.error.message.length > 0,
    `${what}: error without a message`,
  );
  return false;
}

/** the kept corpus of one target: inputs that once failed (and a few seeds worth keeping) */
export function corpusOf(name: string): { file: string; bytes: Uint8Array }[] {
  const dir = join(CORPUS, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith("."))
    .sort()
    .map((f) => ({ file: join(dir, f), bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

/** Where a failing input is written: the corpus itself with KEEL_FUZZ_SAVE=1, else a temp dir. */
export function saveFailure(t: Target, input: Uint8Array, save: boolean, prefix = "crash"): string {
  const hash = createHash("sha1").update(input).digest("hex").slice(0, 12);
  const dir = save ? join(CORPUS, t.name) : join(tmpdir(), "keel-fuzz", t.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${hash}`);
  writeFileSync(file, input);
  return file;
}

/**
 * Run one target's property. Returns undefined when it held, or a report: the reason, the
 * shrunk input (saved to a file) and the command that replays it.
 */
export function fuzzTarget(t: Target, runs: number, seed: number, path?: string, save = false): string | undefined {
  const d = fc.check(
    fc.property(t.inputs(), (input) => check(t, input)),
    { numRuns: runs, seed, path, endOnFailure: false },
  );
  if (!d.failed) return undefined;
  const input = d.counterexample?.[0];
  const file = input ? saveFailure(t, input, save) : "(no counterexample)";
  const err = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
  return [
    `fuzz target ${t.name} failed after ${d.numRuns} runs (seed ${d.seed}): ${err}`,
    `  shrunk input (${input?.length ?? 0} bytes) written to ${file}`,
    `  replay: KEEL_FUZZ_SEED=${d.seed} KEEL_FUZZ_PATH=${d.counterexamplePath} \\`,
    `    bun test ./test/unit/fuzz/ -t '${t.name}'`,
    `  once fixed, keep it: cp ${file} test/fixtures/fuzz/${t.name}/`,
  ].join("\n");
}

/**
 * The unit-layer test of a target: its fast-check property at the CI run count (or
 * KEEL_FUZZ_RUNS), with the fixed seed (or KEEL_FUZZ_SEED). Registered through `test` so the
 * file stays a plain bun test.
 */
export function fuzzTest(test: (name: string, fn: () => void, timeoutMs?: number) => void, t: Target): void {
  const s = fuzzSettings();
  const runs = s.runs ?? t.ciRuns;
  test(
    `${t.name}: ${runs} generated inputs decode without a throw, an invalid result or a slow input`,
    () => {
      t.reached.clear();
      const report = fuzzTarget(t, runs, s.seed, s.path, s.save);
      if (report) throw new Error(report);
      if (s.path) return; // a replay runs one input
      const missed = t.mustReach.filter((w) => !t.reached.get(w));
      if (missed.length > 0) throw new Error(`${t.name}: the generated inputs never reached: ${missed.join(", ")}`);
    },
    // bun's timeout only fires between awaits; it is here so long campaigns are not cut short
    s.runs ? 0 : 60_000,
  );
}
