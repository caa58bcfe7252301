/**
 * Environment keel gives the processes it starts itself (the background daemon, the
 * checker and BFD children), and that systemd/keel.service sets for the foreground one:
 * Bun reads these once, before any script runs, so a process cannot give them to itself
 * (a re-exec would cost the start-up another Bun start, ~20 ms).
 *
 * BUN_GC_TIMER_DISABLE: Bun's GC controller (GarbageCollectionController) arms a 16 ms
 * timer whenever the heap grew since its last look; in 1.3.14 it started an eden
 * collection at each tick while the heap still grew. A daemon that wakes for an advert
 * and allocates anything paid two more wake-ups and a collection per advert; at 200
 * instances the adverts kept it ticking at 60 collections a second (bench/RESULTS.md
 * "Idle wake-ups", issue 20). Bun 1.4.5, the pinned runtime, still pays for the timer:
 * a master of one VRRP router without it 0.36% of a core and 32.6 system calls a
 * second, with it 0.23% and 23.8 (bench/RESULTS.md "Bun 1.4.5"). Without the timer
 * JavaScriptCore's own allocation-paced collector (GCActivityCallback) still runs.
 *
 * BUN_JSC_useFTLJIT=0: JavaScriptCore's top tier (FTL) off; the interpreter, Baseline and
 * DFG tiers stay. A daemon's per-advert path is a few µs of JavaScript run a few hundred
 * times a second; JSC kept compiling it to FTL, ~40 functions at 1–13 ms each, for the
 * first 90 s, and again after every full collection jettisoned the code (every few
 * minutes). A 200-instance backup over 10 minutes: 9.7 → 6.8 µs of CPU per advert
 * received, 17.7 → 8.1 in the first 90 s; the FTL code's speed shows only at 1,000
 * adverts a second (bench/RESULTS.md "The daemon without JSC's FTL tier").
 * The pinned Bun exits at start on a JSC option it does not know: runtime-env.test.ts
 * starts it with these.
 */
export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  BUN_GC_TIMER_DISABLE: "1",
  BUN_JSC_useFTLJIT: "0",
};

/** RUNTIME_ENV less what `env` names already (a value the user set is kept). */
export function runtimeEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(RUNTIME_ENV)) if (env[k] === undefined) out[k] = v;
  return out;
}
