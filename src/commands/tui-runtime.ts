/**
 * `keel attach` under the TUI's runtime settings (tui/runtime-env.ts: JSC's FTL tier off,
 * freed pages kept). JSC and the allocator read them once, at start-up, so the compiled
 * binary execs itself again with them set; set already (by that exec or by the user, any
 * value), it runs on. src/main.ts calls this for `attach` before src/cli.ts loads: the
 * process that execs does as little as it can (one exec costs a start of the binary).
 * Only `keel attach`: a daemon (and `keel` with its TUI in the daemon's process) keeps the
 * defaults.
 */
import { missingTuiEnv, TUI_RUNTIME_ENV } from "../../tui/runtime-env";

export function tuiRuntime(): void {
  const missing = missingTuiEnv(process.env);
  if (missing.length === 0 || !import.meta.path.startsWith("/$bunfs/")) return;
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of missing) env[k] = TUI_RUNTIME_ENV[k];
  try {
    // the compiled binary's process.argv is [bun, /$bunfs/root/keel, ...its arguments]
    const { reexec } = require("../../native-bindings/reexec") as typeof import("../../native-bindings/reexec");
    reexec(process.execPath, [process.argv0, ...process.argv.slice(2)], env);
  } catch (e) {
    // runs on with the defaults: more CPU, not broken
    process.stderr.write(`keel attach: could not restart with the TUI's runtime settings: ${(e as Error).message}\n`);
  }
}
