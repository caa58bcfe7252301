/**
 * keepalived's command line (keepalived/core/main.c long_options), parsed the way
 * getopt_long does: bundled short flags (`-nlD`), `-fFILE`/`-f FILE`, `--use-file=FILE`,
 * and OPTIONAL arguments (`-t[FILE]`, `--config-test[=FILE]`, `-g[FILE]`). node:util's
 * parseArgs cannot express optional arguments, hence this small parser.
 */

type ArgKind = "none" | "required" | "optional";

interface OptSpec {
  long: string;
  short?: string;
  kind: ArgKind;
  help: string;
}

/** The table drives both parsing and `keel --help`. */
export const OPTIONS: OptSpec[] = [
  { long: "use-file", short: "f", kind: "required", help: "Use the specified configuration file (keepalived.conf or .toml)" },
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
  { long: "dont-fork", short: "n", kind: "none", help: "Don't fork the daemon process (run headless in the foreground)" },
  { long: "daemon", kind: "none", help: "Run the engine headless (no terminal UI)" },
  { long: "dump-conf", short: "d", kind: "none", help: "Dump the configuration data (the resolved model as JSON)" },
  { long: "pid", short: "p", kind: "required", help: "Use specified pidfile for parent process" },
  { long: "vrrp_pid", short: "r", kind: "required", help: "Use specified pidfile for VRRP child process" },
  { long: "checkers_pid", short: "c", kind: "required", help: "Use specified pidfile for checkers child process" },
  { long: "bfd_pid", short: "b", kind: "required", help: "Use specified pidfile for BFD child process" },
  { long: "address-monitoring", short: "a", kind: "none", help: "Report all address additions/deletions notified via netlink" },
  { long: "namespace", short: "s", kind: "required", help: "Run in network namespace NAME (overrides config)" },
  { long: "core-dump", short: "m", kind: "none", help: "Produce core dump if terminate abnormally" },
  { long: "core-dump-pattern", short: "M", kind: "optional", help: "Also set /proc/sys/kernel/core_pattern to PATN" },
  { long: "config-id", short: "i", kind: "required", help: "Skip any configuration lines beginning '@' that don't match id" },
  { long: "signum", kind: "required", help: "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON" },
  { long: "config-test", short: "t", kind: "optional", help: "Check the configuration for errors (to stderr, or to LOG_FILE)" },
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

export function parseArgs(argv: string[]): ArgsResult {
  const opts = new Map<string, string | true>();
  const positionals: string[] = [];
  const byShort = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short as string, o]));
  const byLong = new Map(OPTIONS.map((o) => [o.long, o]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      // getopt_long accepts any unambiguous prefix of a long option
      let spec = byLong.get(name);
      if (!spec) {
        const matches = OPTIONS.filter((o) => o.long.startsWith(name));
        if (matches.length === 1) spec = matches[0];
        else if (matches.length > 1) return { ok: false, error: `option '--${name}' is ambiguous` };
      }
      if (!spec) return { ok: false, error: `unrecognized option '--${name}'` };
      if (spec.kind === "none") {
        if (eq >= 0) return { ok: false, error: `option '--${spec.long}' doesn't allow an argument` };
        opts.set(spec.long, true);
      } else if (eq >= 0) opts.set(spec.long, a.slice(eq + 1));
      else if (spec.kind === "optional") opts.set(spec.long, true);
      else {
        const v = argv[++i];
        if (v === undefined) return { ok: false, error: `option '--${spec.long}' requires an argument` };
        opts.set(spec.long, v);
      }
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j] as string;
        const spec = byShort.get(ch);
        if (!spec) return { ok: false, error: `invalid option -- '${ch}'` };
        if (spec.kind === "none") {
          opts.set(spec.long, true);
          continue;
        }
        const attached = a.slice(j + 1);
        if (attached !== "") opts.set(spec.long, attached);
        else if (spec.kind === "optional") opts.set(spec.long, true);
        else {
          const v = argv[++i];
          if (v === undefined) return { ok: false, error: `option requires an argument -- '${ch}'` };
          opts.set(spec.long, v);
        }
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { ok: true, value: { opts, positionals } };
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
