/**
 * keepalived's command line (keepalived/core/main.c long_options), parsed by the shared
 * getopt_long (src/base/getopt.ts): bundled short flags (`-nlD`), `-fFILE`/`-f FILE`,
 * `--use-file=FILE`, and OPTIONAL arguments (`-t[FILE]`, `--config-test[=FILE]`,
 * `-g[FILE]`), which node:util's parseArgs cannot express.
 */
import { type GetoptError, type OptionSpec, parseOptions } from "./base/getopt";

/**
 * How an option compares with keepalived 2.2.7's of the same name (COMPATIBILITY.md is
 * generated from it): it works as keepalived's does, keel refuses it with `note` as the
 * reason, or keepalived has no such option.
 */
export interface OptionCompat {
  status: "applied" | "refused" | "keel-only";
  /** what differs, or why it is refused; shown in COMPATIBILITY.md and in the refusal */
  note?: string;
}

export interface OptSpec {
  long: string;
  short?: string;
  kind: OptionSpec["arg"];
  help: string;
  compat?: OptionCompat;
}

/** The table drives both parsing and `keel --help`. */
export const OPTIONS: OptSpec[] = [
  {
    long: "use-file",
    short: "f",
    kind: "required",
    help: "Use the specified configuration file (keepalived.conf or .toml)",
  },
  { long: "format", kind: "required", help: "Configuration format: conf|toml (default: by file extension)" },
  { long: "vrrp", short: "P", kind: "none", help: "Only run with VRRP subsystem" },
  { long: "check", short: "C", kind: "none", help: "Only run with Health-checker subsystem" },
  { long: "no_bfd", short: "B", kind: "none", help: "Don't run BFD subsystem" },
  { long: "all", kind: "none", help: "Force all subsystems to run, even if they have no configuration" },
  { long: "log-console", short: "l", kind: "none", help: "Log messages to local console" },
  { long: "log-detail", short: "D", kind: "none", help: "Detailed log messages" },
  { long: "log-facility", short: "S", kind: "required", help: "Set syslog facility to LOG_LOCAL[0-7]" },
  { long: "log-file", short: "g", kind: "optional", help: "Also log to FILE (default /tmp/keepalived.log)" },
  { long: "log-format", kind: "required", help: "Log line format: text|json" },
  { long: "all-config", short: "e", kind: "none", help: "Don't ignore configuration errors" },
  { long: "flush-log-file", kind: "none", help: "Flush log file on write" },
  { long: "no-syslog", short: "G", kind: "none", help: "Don't log via syslog" },
  { long: "umask", short: "u", kind: "required", help: "umask for file creation (in numeric form)" },
  { long: "release-vips", short: "X", kind: "none", help: "Drop VIP on transition from signal" },
  { long: "dont-release-vrrp", short: "V", kind: "none", help: "Don't remove VRRP VIPs and VROUTEs on daemon stop" },
  { long: "dont-release-ipvs", short: "I", kind: "none", help: "Don't remove IPVS topology on daemon stop" },
  { long: "dont-respawn", short: "R", kind: "none", help: "Don't respawn child processes" },
  {
    long: "dont-fork",
    short: "n",
    kind: "none",
    help: "Don't fork the daemon process (run headless in the foreground)",
  },
  { long: "daemon", kind: "none", help: "Run the engine headless (no terminal UI)" },
  { long: "dump-conf", short: "d", kind: "none", help: "Dump the configuration data (the resolved model as JSON)" },
  { long: "pid", short: "p", kind: "required", help: "Use specified pidfile for parent process" },
  { long: "vrrp_pid", short: "r", kind: "required", help: "Use specified pidfile for VRRP child process" },
  { long: "checkers_pid", short: "c", kind: "required", help: "Use specified pidfile for checkers child process" },
  { long: "bfd_pid", short: "b", kind: "required", help: "Use specified pidfile for BFD child process" },
  {
    long: "address-monitoring",
    short: "a",
    kind: "none",
    help: "Report all address additions/deletions notified via netlink",
  },
  { long: "namespace", short: "s", kind: "required", help: "Run in network namespace NAME (overrides config)" },
  { long: "core-dump", short: "m", kind: "none", help: "Produce core dump if terminate abnormally" },
  { long: "core-dump-pattern", short: "M", kind: "optional", help: "Also set /proc/sys/kernel/core_pattern to PATN" },
  {
    long: "config-id",
    short: "i",
    kind: "required",
    help: "Skip any configuration lines beginning '@' that don't match id",
  },
  { long: "signum", kind: "required", help: "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON" },
  {
    long: "config-test",
    short: "t",
    kind: "optional",
    help: "Check the configuration for errors (to stderr, or to LOG_FILE)",
  },
  { long: "control-socket", kind: "required", help: "Control socket path (default /run/keel/keel.sock)" },
  { long: "metrics", kind: "required", help: "Serve Prometheus metrics on ADDR:PORT (off by default)" },
  { long: "version", short: "v", kind: "none", help: "Display the version number" },
  { long: "help", short: "h", kind: "none", help: "Display this help message" },
];

export interface ParsedArgs {
  /** long option name → value (true for flags and absent optional values) */
  opts: Map<string, string | true>;
  positionals: string[];
}

export type ArgsResult = { ok: true; value: ParsedArgs } | { ok: false; error: string };

const SPECS: OptionSpec[] = OPTIONS.map((o) => ({ long: o.long, short: o.short, arg: o.kind }));

export function parseArgs(argv: string[]): ArgsResult {
  const r = parseOptions(argv, SPECS);
  if (!r.ok) return { ok: false, error: r.error.message };
  return { ok: true, value: { opts: r.value.opts, positionals: r.value.operands } };
}

export type SubcommandArgs =
  | { ok: true; opts: Map<string, string | true>; operands: string[] }
  | { ok: false; message: string };

/**
 * A subcommand's command line (`keel status`, `attach`, `demo`, `convert`) through the
 * same getopt_long, with the same messages in every subcommand: `keel status:
 * --control-socket needs a value`; an option it does not know, or an operand past
 * `maxOperands`, is an "unknown argument" (the whole word).
 */
export function parseSubcommand(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
  maxOperands = 0,
): SubcommandArgs {
  const r = parseOptions(argv, specs);
  if (!r.ok) return { ok: false, message: `keel ${command}: ${argError(r.error)}` };
  const extra = r.value.operands[maxOperands];
  if (extra !== undefined) return { ok: false, message: `keel ${command}: unknown argument '${extra}'` };
  return { ok: true, ...r.value };
}

/**
 * `parseSubcommand` and what every subcommand answers: on a mistake, the message and
 * `usage` on stderr (exit 1); on --help, `usage` on stdout (exit 0). Otherwise the options.
 */
export function readSubcommand(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
  usage: string,
  io: { out(s: string): void; err(s: string): void },
): { opts: Map<string, string | true>; operands: string[] } | number {
  const args = parseSubcommand(command, argv, specs);
  if (!args.ok) {
    io.err(`${args.message}\n${usage}`);
    return 1;
  }
  if (args.opts.has("help")) {
    io.out(usage);
    return 0;
  }
  return args;
}

function argError(e: GetoptError): string {
  if (e.code === "missing-argument") return `${e.canonical} needs a value`;
  if (e.code === "unexpected-argument") return `${e.canonical} takes no value`;
  if (e.code === "ambiguous-option") return e.message;
  return `unknown argument '${e.word}'`;
}

/** An option's value when it has one (not a flag's `true`). */
export function optValue(v: string | true | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function helpText(): string {
  const lines = OPTIONS.map((o) => {
    const arg = o.kind === "required" ? "=ARG" : o.kind === "optional" ? "[=ARG]" : "";
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.long}${arg}`;
    return `  ${flag.padEnd(30)} ${o.help}`;
  });
  return [
    "Usage: keel [OPTION...]            run the daemon (keepalived's options)",
    "       keel convert FILE [--to toml|conf] [-o OUT]",
    "       keel demo [--simulated]           three routers and a load balancer, live",
    "       keel attach | keel status [--json]  the TUI / a summary of a running keel",
    "       keel genhash -s ADDR -p PORT -u URL  keepalived's genhash (also keel -T ...)",
    "",
    ...lines,
  ].join("\n");
}

/** keepalived --signum: glibc numbers (SIGRTMIN is 34). */
export const SIGNUMS: Record<string, number> = {
  STOP: 15,
  RELOAD: 1,
  DATA: 10,
  STATS: 12,
  STATS_CLEAR: 63, // SIGRTMAX - 1
  JSON: 36, // SIGRTMIN + 2
};
