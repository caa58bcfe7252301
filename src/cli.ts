/**
 * `keel` command line: keepalived's flags (src/args.ts) plus keel's subcommands.
 * Returns the exit status; the caller (src/main.ts) exits with it.
 */
import { existsSync, writeFileSync } from "node:fs";
import pkg from "../package.json";
import { SIGNUMS, helpText, optValue, parseArgs, parseSubcommand } from "./args";
import type { OptionSpec } from "./base/getopt";
import { renderDiagnostics } from "./config/diagnostics";
import { type ConfigFormat, formatOf, loadConfig } from "./config/load";
import { Origins } from "./config/origins";
import { emitConf } from "./config/parse";
import { toToml } from "./config/toml";

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const stdio: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/** keepalived's default configuration file; keel is a drop-in. */
export const DEFAULT_CONFIG_FILE = "/etc/keepalived/keepalived.conf";

/** keepalived -t exit statuses (lib/scheduler.h KEEPALIVED_CHK_EXIT_*) */
export const EXIT_OK = 0;
export const EXIT_CONFIG = 4;
export const EXIT_CONFIG_TEST = 5;
export const EXIT_CONFIG_TEST_SECURITY = 6;

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "convert") return convert(rest, io);
  if (sub === "demo") return (await import("./commands/demo")).demo(rest, io);
  if (sub === "attach") return (await import("./commands/attach")).attach(rest, io);
  if (sub === "status") return (await import("./commands/status")).status(rest, io);
  if (sub === "genhash") return (await import("./commands/genhash")).genhash(rest, io, "keel genhash", true);
  // keepalived -T / --genhash: "this should be the first option used"
  if (sub === "-T" || sub === "--genhash") return (await import("./commands/genhash")).genhash(rest, io, "keel", false);

  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`keel: ${parsed.error}\nTry 'keel --help' for more information.\n`);
    return 1;
  }
  const { opts, positionals } = parsed.value;
  if (positionals.length > 0) {
    io.err(`keel: unknown command '${positionals[0]}'\nTry 'keel --help' for more information.\n`);
    return 1;
  }
  if (opts.has("help")) {
    io.out(`${helpText()}\n`);
    return 0;
  }
  if (opts.has("version")) {
    io.out(`Keel v${pkg.version} (keepalived.conf compatible with Keepalived 2.2.x)\n`);
    return 0;
  }
  const signum = opts.get("signum");
  if (typeof signum === "string") {
    const n = SIGNUMS[signum];
    if (n === undefined) {
      io.err(`Unknown sigfunc ${signum}\n`);
      return 1;
    }
    io.out(`${n}\n`);
    return 0;
  }

  const file = str(opts.get("use-file")) ?? DEFAULT_CONFIG_FILE;
  const format = str(opts.get("format"));
  if (format !== undefined && format !== "conf" && format !== "toml") {
    io.err(`keel: --format must be conf or toml, not '${format}'\n`);
    return 1;
  }
  const result = loadConfig(file, {
    format: format as ConfigFormat | undefined,
    configId: str(opts.get("config-id")),
  });

  const test = opts.get("config-test");
  if (test !== undefined) {
    // keepalived -t also checks the scripts (check_vrrp_script_security and the checker's)
    const { scriptDiagnostics } = await import("./runtime/script-security");
    const fallback = { file, line: 1, col: 1 };
    // a TOML file's origins point into the keepalived.conf it is read as: name the file only
    const origins = formatOf(file, format) === "toml" ? new Origins() : result.origins;
    const violation = scriptDiagnostics(result.config, origins, result.diagnostics, fallback);
    const report = renderDiagnostics(result.diagnostics)
      .map((l) => `${l}\n`)
      .join("");
    const { errorCount: e, warningCount: w } = result.diagnostics;
    const summary = `keel: ${file}: ${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}\n`;
    if (typeof test === "string") writeFileSync(test, report + summary);
    else io.err(report + summary);
    // keepalived keeps the highest CONFIG_* status and CONFIG_SECURITY_ERROR is the highest
    return violation ? EXIT_CONFIG_TEST_SECURITY : e > 0 ? EXIT_CONFIG_TEST : EXIT_OK;
  }

  if (opts.has("dump-conf")) {
    for (const l of renderDiagnostics(result.diagnostics)) io.err(`${l}\n`);
    io.out(`${JSON.stringify(result.config, null, 2)}\n`);
    return result.diagnostics.errorCount > 0 ? EXIT_CONFIG : EXIT_OK;
  }

  for (const l of renderDiagnostics(result.diagnostics)) io.err(`${l}\n`);
  if (result.diagnostics.errorCount > 0) {
    io.err(`keel: ${file}: not starting with configuration errors (check with keel -t -f ${file})\n`);
    return EXIT_CONFIG;
  }
  // the runtime (FFI, sockets) is loaded only to run: -t, -d and convert never need it
  const { startDaemon } = await import("./runtime/daemon");
  const { createLogger } = await import("./runtime/log");
  const logFormat = str(opts.get("log-format"));
  if (logFormat !== undefined && logFormat !== "text" && logFormat !== "json") {
    io.err(`keel: --log-format must be text or json, not '${logFormat}'\n`);
    return 1;
  }
  // keepalived: syslog unless -G (facility daemon, -S N for local N), the console with -l,
  // a file with -g[FILE]; with no syslog to reach and no -l, the console anyway
  const syslogPath = process.env.KEEL_SYSLOG_SOCKET ?? "/dev/log";
  const facilityArg = str(opts.get("log-facility"));
  if (facilityArg !== undefined && !/^[0-7]$/.test(facilityArg)) {
    io.err(`keel: -S takes a local facility number 0-7 (LOG_LOCAL0..7), not '${facilityArg}'\n`);
    return 1;
  }
  const useSyslog = !opts.has("no-syslog") && existsSync(syslogPath);
  const logFile = opts.get("log-file");
  let syslog: { facility: number; send: (d: string) => void } | undefined;
  if (useSyslog) {
    const { openDatagramSender } = await import("../native-bindings/unix-dgram");
    try {
      const s = openDatagramSender(syslogPath);
      syslog = { facility: facilityArg === undefined ? 3 : 16 + Number(facilityArg), send: (d) => s.send(d) };
    } catch {
      syslog = undefined;
    }
  }
  // `keel -f FILE` on a terminal: the daemon with the TUI in this process (keepalived
  // would fork into the background here; keel shows what it does instead). The log then
  // goes to syslog or a file, never over the TUI.
  const withTui =
    !opts.has("dont-fork") &&
    !opts.has("daemon") &&
    !process.env.KEEL_CHILD &&
    process.stdin.isTTY === true &&
    process.stdout.isTTY === true;
  const toConsole = !withTui && (opts.has("log-console") || !syslog);
  const tuiLogFile = withTui && !syslog && logFile === undefined ? "/tmp/keepalived.log" : undefined;
  const log = createLogger({
    format: logFormat as "text" | "json" | undefined,
    detail: opts.has("log-detail"),
    write: toConsole ? io.err : false,
    file: logFile === undefined ? tuiLogFile : logFile === true ? "/tmp/keepalived.log" : logFile,
    syslog,
  });
  if (process.env.KEEL_CHILD === "checker") {
    // the daemon's checker process (src/runtime/checker-link.ts started it with our flags)
    const { runCheckerChild } = await import("./runtime/checker-child");
    return runCheckerChild({
      config: result.config,
      log,
      dontReleaseIpvs: opts.has("dont-release-ipvs"),
      load: () =>
        loadConfig(file, { format: format as ConfigFormat | undefined, configId: str(opts.get("config-id")) }),
    });
  }
  const { daemon, exited: daemonExited } = startDaemon({
    config: result.config,
    configFile: file,
    log,
    argv: ["keel", ...argv],
    dontReleaseVrrp: opts.has("dont-release-vrrp"),
    vrrpOnly: opts.has("vrrp"),
    checkOnly: opts.has("check"),
    dontRespawn: opts.has("dont-respawn"),
    pidFile: str(opts.get("pid")),
    vrrpPidFile: str(opts.get("vrrp_pid")),
    controlSocket: str(opts.get("control-socket")),
    metrics: str(opts.get("metrics")),
    load: () => loadConfig(file, { format: format as ConfigFormat | undefined, configId: str(opts.get("config-id")) }),
  });
  if (!withTui) return daemonExited;
  const { DEFAULT_CONTROL_SOCKET } = await import("./control/protocol");
  const socketPath = str(opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  // the TUI reads only the control protocol, also in-process: wait for the socket
  let exited: number | undefined;
  void daemonExited.then((c) => {
    exited = c;
  });
  for (let i = 0; i < 100 && exited === undefined && !existsSync(socketPath); i++) await Bun.sleep(50);
  if (exited !== undefined) return exited;
  const { runTui } = await import("../tui/index.ts");
  await runTui({
    socketPath,
    title: `keel ${file}`,
    banner: `daemon pid ${process.pid}${tuiLogFile ? `, log in ${tuiLogFile}` : ""}; q stops it (run with -n for headless)`,
  });
  // the same clean stop as SIGTERM (priority-0 adverts, VIPs removed), exit status 0
  if (exited === undefined) daemon.stop("quit");
  return daemonExited;
}

const str = optValue;

const CONVERT_OPTIONS: OptionSpec[] = [
  { long: "to", arg: "required" },
  { long: "output", short: "o", arg: "required" },
  { long: "format", arg: "required" },
  { long: "config-id", short: "i", arg: "required" },
];

/** `keel convert FILE [--to toml|conf] [-o OUT] [--format conf|toml] [-i ID]` */
function convert(argv: string[], io: Io): number {
  const args = parseSubcommand("convert", argv, CONVERT_OPTIONS, 1);
  const file = args.ok ? args.operands[0] : undefined;
  if (!args.ok || !file) {
    io.err(`${args.ok ? "" : `${args.message}\n`}usage: keel convert FILE [--to toml|conf] [-o OUT]\n`);
    return 1;
  }
  const [to, out, from, configId] = ["to", "output", "format", "config-id"].map((k) => optValue(args.opts.get(k)));
  const source = formatOf(file, from);
  const target = to ?? (source === "conf" ? "toml" : "conf");
  if (target !== "toml" && target !== "conf") {
    io.err(`keel convert: --to must be toml or conf, not '${target}'\n`);
    return 1;
  }
  const result = loadConfig(file, { format: source, configId });
  for (const l of renderDiagnostics(result.diagnostics)) io.err(`${l}\n`);
  if (result.diagnostics.errorCount > 0) {
    io.err(`keel convert: ${file} has errors; nothing written\n`);
    return EXIT_CONFIG;
  }
  const text = target === "toml" ? toToml(result.config) : emitConf(result.config);
  if (out) writeFileSync(out, text);
  else io.out(text);
  return 0;
}
