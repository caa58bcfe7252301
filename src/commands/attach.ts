/**
 * `keel attach [--control-socket PATH]`: the terminal UI against a running daemon.
 * Ink and React load only here (lazily), never in a headless daemon. It runs under the
 * TUI's runtime settings: src/main.ts execs it again with them (./tui-runtime.ts).
 */
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { connect } from "../control/client";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { UnsafeSocketError } from "../runtime/socket-path";

const USAGE = "usage: keel attach [--control-socket PATH]\n";

const OPTIONS: OptionSpec[] = [
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

export async function attach(argv: string[], io: Io): Promise<number> {
  const args = readSubcommand("attach", argv, OPTIONS, USAGE, io);
  if (typeof args === "number") return args;
  const path = optValue(args.opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
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
