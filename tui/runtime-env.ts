/**
 * The runtime settings the interactive TUI runs with (issue 20; bench/RESULTS.md "The TUI
 * at 1,000 instances, fourth pass"). Both are read once, at process start-up, so `keel
 * attach` execs itself with them (src/commands/attach.ts) and bench/tui/render.ts runs
 * under them by default. A value the user set already is kept.
 *
 * - BUN_JSC_useFTLJIT=0: JavaScriptCore's top tier off. At 1 to 4 frames a second JSC kept
 *   compiling the TUI's code to FTL for minutes without the pay-off (JIT worker threads).
 * - MIMALLOC_PURGE_DELAY=-1: the allocator keeps the pages it freed instead of returning
 *   them to the kernel 10 ms later; every frame allocated them again, and each first touch
 *   was a page fault (the `mi-scavenger` thread, and the JS thread's own faults). The cost
 *   is memory the TUI once used staying mapped: its peak, not more.
 *
 * The purge delay is the TUI's alone (a daemon's environment, src/runtime/runtime-env.ts,
 * turns the FTL off too, and keeps Bun's defaults otherwise); `keel` with its TUI runs
 * the daemon in the same process, started by hand, with whatever its environment holds.
 */
export const TUI_RUNTIME_ENV: Readonly<Record<string, string>> = {
  BUN_JSC_useFTLJIT: "0",
  MIMALLOC_PURGE_DELAY: "-1",
};

/** The variables of TUI_RUNTIME_ENV that `env` lacks (set to another value by the user: kept, not listed). */
export function missingTuiEnv(env: Record<string, string | undefined>): string[] {
  return Object.keys(TUI_RUNTIME_ENV).filter((k) => env[k] === undefined);
}
