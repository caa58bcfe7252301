/**
 * Environment keel gives the processes it starts itself (the background daemon, the
 * checker and BFD children), and that systemd/keel.service sets for the foreground one:
 * Bun reads these once, before any script runs, so a process cannot give them to itself.
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
 * A value already in the environment is kept.
 */
export function runtimeEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.BUN_GC_TIMER_DISABLE === undefined) out.BUN_GC_TIMER_DISABLE = "1";
  return out;
}
