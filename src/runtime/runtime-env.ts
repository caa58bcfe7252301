/**
 * Environment keel gives the processes it starts itself (the background daemon, the
 * checker and BFD children), and that systemd/keel.service sets for the foreground one:
 * Bun reads these once, before any script runs, so a process cannot give them to itself.
 *
 * BUN_GC_TIMER_DISABLE: Bun 1.3.14's GC controller (GarbageCollectionController) arms a
 * 16 ms timer whenever the heap grew since its last look and starts an eden collection
 * at each tick while it still grows. A daemon that wakes for an advert and allocates
 * anything pays two more wake-ups and a collection per advert; at 200 instances the
 * adverts keep it ticking at 60 collections a second. Without it JavaScriptCore's own
 * allocation-paced collector (GCActivityCallback) still runs. Measured in bench/RESULTS.md
 * "Idle wake-ups" (issue 20); later Bun releases dropped the per-tick collection.
 * A value already in the environment is kept.
 */
export function runtimeEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.BUN_GC_TIMER_DISABLE === undefined) out.BUN_GC_TIMER_DISABLE = "1";
  return out;
}
