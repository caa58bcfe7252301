/**
 * `keel attach [--control-socket PATH]`: the terminal UI against a running daemon.
 * Ink and React load only here (lazily), never in a headless daemon.
 */
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { connect } from "../control/client";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { UnsafeSocketError } from "../runtime/socket-path";
import { missingTuiEnv, TUI_RUNTIME_ENV } from "../../tui/runtime-env";

const USAGE = "usage: keel attach [--control-socket PATH]\n";

const OPTIONS: OptionSpec[] = [
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

/**
 * The TUI's runtime settings (tui/runtime-env.ts: JSC's FTL tier off, freed pages kept):
 * JSC and the allocator read them once, at start-up, so the compiled binary execs itself
 * again with them set; set already (by an exec or by the user, any value), it runs on.
 * Only `keel attach`: a daemon (and `keel` with its TUI in the daemon's process) keeps the
 * defaults.
 */
function tuiRuntime(io: Io): void {
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
    io.err(`keel attach: could not restart with the TUI's runtime settings: ${(e as Error).message}\n`);
  }
}

export async function attach(argv: string[], io: Io): Promise<number> {
  const args = readSubcommand("attach", argv, OPTIONS, USAGE, io);
  if (typeof args === "number") return args;
  const path = optValue(args.opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  // before the daemon check: the exec'd process makes it, once
  if (process.stdout.isTTY && process.stdin.isTTY) tuiRuntime(io);
  // Fail early and clearly when nobody is listening; once attached, the TUI reconnects by itself.
  try {
    const c = await connect(path);
    const r = await Promise.race([
      c.request({ cmd: "hello" }),
      new Promise<undefined>((res) => setTimeout(() => res(undefined), 3000)),
    ]);
    c.close();
    if (!r?.ok) throw new Error(r ? r.error.message : "no answer to hello in 3 s");
  } catch (e) {
    if (e instanceof UnsafeSocketError) {
      io.err(`keel attach: ${e.message}\n`);
      return 1;
    }
    io.err(
      `keel attach: no keel daemon on ${path}: ${(e as Error).message}\n  (is it running? another socket: --control-socket PATH)\n`,
    );
    return 1;
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    io.err("keel attach: needs a terminal (use 'keel status' for a one-shot table)\n");
    return 1;
  }
  const { runTui } = await import("../../tui/index.ts");
  return runTui({ socketPath: path, title: "keel" });
}
