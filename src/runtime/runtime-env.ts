/**
 * Environment keel gives the processes it starts itself (the background daemon, the
 * checker and BFD children), and that systemd/keel.service sets for the foreground one:
 * Bun reads these once, before any script runs, so a process cannot give them to itself.
 *
 * BUN_GC_TIMER_DISABLE: Bun's GC controller (GarbageCollectionController) arms a 16 ms
 * timer whenever the heap grew since its last look; in 1.3.14 it started an eden
 * collection at each tick while the heap still grew, so a daemon that woke for an advert
 * and allocated anything paid two more wake-ups and a collection per advert (bench/RESULTS.md
 * "Idle wake-ups", issue 20). Bun 1.4.5 still pays for the timer: one idle instance costs
 * 0.36 / 0.31% of a core (master / backup) without the variable and 0.23 / 0.17% with it
 * (bench/RESULTS.md "Bun 1.4.5"). Without it JavaScriptCore's own allocation-paced
 * collector (GCActivityCallback) still runs.
 * A value already in the environment is kept.
 */
export function runtimeEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.BUN_GC_TIMER_DISABLE === undefined) out.BUN_GC_TIMER_DISABLE = "1";
  return out;
}
