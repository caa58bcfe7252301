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
  compat: OptionCompat;
}

const applied = (note?: string): OptionCompat => (note ? { status: "applied", note } : { status: "applied" });
const keelOnly = (note: string): OptionCompat => ({ status: "keel-only", note });
const refused = (note: string): OptionCompat => ({ status: "refused", note });

/** The table drives parsing, `keel --help`, the refusals and COMPATIBILITY.md. */
export const OPTIONS: OptSpec[] = [
  {
    long: "use-file",
    short: "f",
    kind: "required",
    help: "Use the specified configuration file (keepalived.conf or .toml)",
    compat: applied(),
  },
  {
    long: "format",
    kind: "required",
    help: "Configuration format: conf|toml (default: by file extension)",
    compat: keelOnly("keel also reads a TOML form of keepalived.conf"),
  },
  {
    long: "vrrp",
    short: "P",
    kind: "none",
    help: "Only run with VRRP subsystem",
    compat: applied("no checker process is started"),
  },
  {
    long: "check",
    short: "C",
    kind: "none",
    help: "Only run with Health-checker subsystem",
    compat: applied("no VRRP instance runs"),
  },
  {
    long: "no_bfd",
    short: "B",
    kind: "none",
    help: "Don't run BFD subsystem",
    compat: applied("no bfd_instance session runs (keel's sessions run in its one process); track_bfd then stays down"),
  },
  {
    long: "all",
    kind: "none",
    help: "Force all subsystems to run, even if they have no configuration",
    compat: applied(
      "the checker process runs even with no virtual_server; BFD sessions run whenever a bfd_instance exists",
    ),
  },
  { long: "log-console", short: "l", kind: "none", help: "Log messages to local console", compat: applied() },
  { long: "log-detail", short: "D", kind: "none", help: "Detailed log messages", compat: applied() },
  {
    long: "log-facility",
    short: "S",
    kind: "required",
    help: "Set syslog facility to LOG_LOCAL[0-7] (0-7 or local0-7), user or daemon (default)",
    compat: applied(
      "a value keepalived does not know is refused; keepalived prints 'Invalid log facility' and logs to daemon",
    ),
  },
  {
    long: "log-file",
    short: "g",
    kind: "optional",
    help: "Also log to FILE (default /tmp/keepalived.log)",
    compat: applied("without FILE keel writes /tmp/keepalived.log"),
  },
  {
    long: "log-format",
    kind: "required",
    help: "Log line format: text|json",
    compat: keelOnly("JSON log lines for log collectors"),
  },
  {
    long: "all-config",
    short: "e",
    kind: "none",
    help: "Error if any configuration file is missing (an include matching no file)",
    compat: applied(
      "an include that matches no file becomes an error. With or without -e keel refuses to start on any configuration error, where keepalived starts and skips what it cannot read: keel runs only what keel -t checked",
    ),
  },
  {
    long: "flush-log-file",
    kind: "none",
    help: "Flush log file on write",
    compat: applied("keel writes each line to the -g file as it comes (no buffer), with or without it"),
  },
  { long: "no-syslog", short: "G", kind: "none", help: "Don't log via syslog", compat: applied() },
  {
    long: "umask",
    short: "u",
    kind: "required",
    help: "umask for file creation (in numeric form: 0NNN, 0xNN or decimal)",
    compat: applied("an invalid value is refused; keepalived prints 'Invalid --umask option' and keeps its umask"),
  },
  {
    long: "release-vips",
    short: "X",
    kind: "none",
    help: "Drop VIP on transition from signal",
    compat: refused(
      "keel removes only the VIPs an instance set in this run when it leaves MASTER; removing them whoever set them (keepalived's RELEASE_VIPS_BIT) is not implemented",
    ),
  },
  {
    long: "dont-release-vrrp",
    short: "V",
    kind: "none",
    help: "Don't remove VRRP VIPs and VROUTEs on daemon stop",
    compat: applied(),
  },
  {
    long: "dont-release-ipvs",
    short: "I",
    kind: "none",
    help: "Don't remove IPVS topology on daemon stop",
    compat: applied(),
  },
  { long: "dont-respawn", short: "R", kind: "none", help: "Don't respawn child processes", compat: applied() },
  {
    long: "dont-fork",
    short: "n",
    kind: "none",
    help: "Don't fork the daemon process (run headless in the foreground)",
    compat: applied(),
  },
  {
    long: "daemon",
    kind: "none",
    help: "Run headless in the background (as without -n when not on a terminal)",
    compat: keelOnly("keel shows its TUI when started on a terminal; --daemon goes into the background there too"),
  },
  {
    long: "dump-conf",
    short: "d",
    kind: "none",
    help: "Dump the configuration data to the log at start (keel config dump: the model as JSON)",
    compat: applied("keel logs the VRRP part of keepalived's dump (the SIGUSR1 data text)"),
  },
  {
    long: "pid",
    short: "p",
    kind: "required",
    help: "Use specified pidfile for parent process",
    compat: applied("keel runs VRRP in its main process: this file and -r's hold the same pid"),
  },
  {
    long: "vrrp_pid",
    short: "r",
    kind: "required",
    help: "Use specified pidfile for VRRP child process",
    compat: applied("keel runs VRRP in its main process: this file and -p's hold the same pid"),
  },
  {
    long: "genhash",
    short: "T",
    kind: "none",
    help: "Enter into genhash utility mode (the first option)",
    compat: applied("only as the first option; keepalived warns and ignores the options before it"),
  },
  {
    long: "checkers_pid",
    short: "c",
    kind: "required",
    help: "Use specified pidfile for checkers child process",
    compat: applied(),
  },
  {
    long: "bfd_pid",
    short: "b",
    kind: "required",
    help: "Use specified pidfile for BFD child process",
    compat: applied(),
  },
  {
    long: "address-monitoring",
    short: "a",
    kind: "none",
    help: "Report all address additions/deletions notified via netlink",
    compat: applied("logged by the VRRP side; keel's checker process does not watch addresses"),
  },
  {
    long: "snmp",
    short: "x",
    kind: "none",
    help: "Enable SNMP subsystem",
    compat: applied(
      "as keepalived: every MIB keel serves on (enable_snmp_vrrp, _checker, _rfcv2, _rfcv3); traps still need enable_traps",
    ),
  },
  {
    long: "snmp-agent-socket",
    short: "A",
    kind: "required",
    help: "Use the specified socket for master agent",
    compat: applied(
      "unix:PATH, PATH, tcp:HOST[:PORT]; AgentX over udp: is refused (RFC 2741 defines stream transports only)",
    ),
  },
  {
    long: "namespace",
    short: "s",
    kind: "required",
    help: "Run in network namespace NAME (overrides config)",
    compat: applied(
      "setns into /run/netns/NAME before any socket, pid files in /run/keepalived/NAME/ and the syslog ident keel_NAME as keepalived's; the control socket is /run/keel/NAME/keel.sock",
    ),
  },
  {
    long: "core-dump",
    short: "m",
    kind: "none",
    help: "Produce core dump if terminate abnormally",
    compat: applied("the core file size limit is raised for keel and the processes it starts"),
  },
  {
    long: "core-dump-pattern",
    short: "M",
    kind: "optional",
    help: "Also set /proc/sys/kernel/core_pattern to PATN (default 'core')",
    compat: applied(),
  },
  {
    long: "config-id",
    short: "i",
    kind: "required",
    help: "Skip any configuration lines beginning '@' that don't match id",
    compat: applied(),
  },
  {
    long: "signum",
    kind: "required",
    help: "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON",
    compat: applied(),
  },
  {
    long: "config-test",
    short: "t",
    kind: "optional",
    help: "Check the configuration for errors (to stderr, or to LOG_FILE)",
    compat: applied(),
  },
  {
    long: "config-fd",
    kind: "required",
    help: "(keepalived internal) read the configuration from a file descriptor",
    compat: refused(
      "keepalived passes it only to the processes it starts itself; keel's processes read the configuration file",
    ),
  },
  {
    long: "ignore-sigint",
    kind: "none",
    help: "Ignore SIGINT (default: stop as on SIGTERM), for debuggers",
    compat: applied("keepalived 2.4's option (2.2.7 has none)"),
  },
  {
    long: "control-socket",
    kind: "required",
    help: "Control socket path (default /run/keel/keel.sock)",
    compat: keelOnly("keel status, keel attach and the TUI talk to the daemon through it"),
  },
  {
    long: "metrics",
    kind: "required",
    help: "Serve Prometheus metrics on ADDR:PORT (off by default)",
    compat: keelOnly("Prometheus metrics"),
  },
  { long: "version", short: "v", kind: "none", help: "Display the version number", compat: applied() },
  { long: "help", short: "h", kind: "none", help: "Display this help message", compat: applied() },
];

/**
 * keepalived's set_umask (core/main.c): strtoll base 0 (0NNN octal, 0xNN hex, else
 * decimal), the whole word, within 0777. undefined: not such a number.
 */
export function parseUmask(s: string): number | undefined {
  const m = /^\s*(?:(0[xX][0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return undefined;
  const v = m[1] ? Number.parseInt(m[1].slice(2), 16) : m[2] ? Number.parseInt(m[2], 8) : Number(m[3]);
  return v <= 0o777 ? v : undefined;
}

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
  maxOperands = 0,
): { opts: Map<string, string | true>; operands: string[] } | number {
  const args = parseSubcommand(command, argv, specs, maxOperands);
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
    // a refused option is listed (it is keepalived's) and says so; running with it says why
    return `  ${flag.padEnd(30)} ${o.help}${o.compat.status === "refused" ? " [not supported by keel]" : ""}`;
  });
  return [
    "Usage: keel [OPTION...]            run the daemon (keepalived's options)",
    "       keel convert FILE [--to toml|conf] [-o OUT]",
    "       keel config dump [-f FILE]          the resolved configuration as JSON",
    "       keel lint FILE... [-i ID]... [--json]  a segment's configurations: pitfalls (docs/lint.md)",
    "       keel demo [--simulated]           three routers and a load balancer, live",
    "       keel attach | keel status [--json]  the TUI / a summary of a running keel",
    "       keel explain [INSTANCE] [--json]    why each instance is in its state",
    "       keel control --stdio [--control-socket PATH]  the control socket on stdin/stdout (for ssh)",
    "       keel fleet [--json [--watch]] [--file fleet.toml] TARGET...  several nodes; exit 2 on a flag",
    "       keel switchover INSTANCE [--release] [--reason TEXT]  hand the master over (priority 0), hold back",
    "       keel maintenance on|off (INSTANCE...|--all) [--reason TEXT]  stay BACKUP, across restarts",
    "       keel rs drain|enable VS RS | keel rs weight VS RS N  a real server's IPVS weight, until reload",
    "       keel genhash -s ADDR -p PORT -u URL  keepalived's genhash (also keel -T ...)",
    "       keel simulate FILE... [--scenario FILE] [--for DURATION] [--json]  a cluster in virtual time",
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
