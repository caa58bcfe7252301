/**
 * `keel` command line: keepalived's flags (src/args.ts) plus keel's subcommands.
 * Returns the exit status; the caller (src/main.ts) exits with it.
 */
// Start-up (issue 20): only what every command needs is imported here. Each `node:`
// module, the config parser and the runtime cost a start tens of ms in the compiled
// binary (bench/RESULTS.md "Start-up floor"), so the branches that use them import them.
import { versionText } from "./build-info";
import { OPTIONS, SIGNUMS, helpText, optValue, parseArgs, parseSubcommand, parseUmask } from "./args";
import type { OptionSpec } from "./base/getopt";
import type { Diagnostics } from "./config/diagnostics";
import type { ConfigFormat } from "./config/load";

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const stdio: Io = {
  out: (s) => process.stdout.write(s),
  // a line through console.error: one write(2), without the node stream process.stderr
  // builds (node:stream: ~250 page faults and ~12 ms of a daemon's start before its first
  // advert, issue 20). A single string argument is written as it is (no format directives).
  err: (s) => (s.endsWith("\n") ? console.error(s.slice(0, -1)) : process.stderr.write(s)),
};

/**
 * A one-shot answer (--version, --help, --signum) on the default stdout. Creating
 * process.stdout builds a node stream (node:stream, fs streams): ~30 ms and 740 page
 * faults of a ~45 ms start here. Bun.write writes the few lines with one write(2).
 */
async function answer(io: Io, s: string): Promise<void> {
  if (io === stdio) await Bun.write(Bun.stdout, s);
  else io.out(s);
}

/**
 * keepalived's concatenated copy of a keepalived.conf (config_save_dir saves it): the file
 * read once more with only the preprocessor's copy hook, when a copy is asked for. A TOML
 * file has none.
 */
async function configCopier(file: string, format: string | undefined, configId: string | undefined) {
  const { formatOf } = await import("./config/load");
  const { preprocessTo } = await import("./config/preprocess");
  const { diskSource } = await import("./config/source");
  const { Diagnostics } = await import("./config/diagnostics");
  return (): string[] => {
    if (formatOf(file, format) !== "conf") return [];
    const lines: string[] = [];
    preprocessTo(file, diskSource, new Diagnostics(), { configId, copy: (l) => lines.push(l) }, () => {});
    return lines;
  };
}

/** keepalived's default configuration file; keel is a drop-in. */
export const DEFAULT_CONFIG_FILE = "/etc/keepalived/keepalived.conf";

/** keepalived -t exit statuses (lib/scheduler.h KEEPALIVED_CHK_EXIT_*) */
export const EXIT_OK = 0;
export const EXIT_CONFIG = 4;
export const EXIT_CONFIG_TEST = 5;
export const EXIT_CONFIG_TEST_SECURITY = 6;
/** keepalived's exit statuses otherwise (lib/scheduler.h KEEPALIVED_EXIT_*) */
export const EXIT_FATAL = 1;
/** KEEPALIVED_EXIT_CONFIG: a child stopped on its configuration ("permanent error CONFIG") */
export const EXIT_CONFIG_STOP = 2;
/** read_config_file found errors: keepalived exits with EXIT_NOTCONFIGURED */
export const EXIT_NO_CONFIG = 6;

/**
 * A child process has stopped: close its IPC channel to the daemon, which would otherwise
 * keep the event loop, and so the process, alive until the daemon's child_wait_time ran out
 * and it logged "failed to die" and sent SIGKILL (keepalived's children exit at once).
 */
function endChild(): void {
  process.disconnect?.();
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "convert") return convert(rest, io);
  if (sub === "config") return configCommand(rest, io);
  if (sub === "demo") return (await import("./commands/demo")).demo(rest, io);
  if (sub === "attach") return (await import("./commands/attach")).attach(rest, io);
  if (sub === "status") return (await import("./commands/status")).status(rest, io);
  if (sub === "control") return (await import("./commands/control")).control(rest, io);
  if (sub === "fleet") return (await import("./commands/fleet")).fleet(rest, io);
  if (sub === "lint") return (await import("./commands/lint")).lint(rest, io);
  if (sub === "simulate") return (await import("./commands/simulate")).simulate(rest, io);
  if (sub === "explain") return (await import("./commands/explain")).explainCommand(rest, io);
  if (sub === "switchover") return (await import("./commands/ops")).switchover(rest, io);
  if (sub === "maintenance") return (await import("./commands/ops")).maintenance(rest, io);
  if (sub === "rs") return (await import("./commands/ops")).rs(rest, io);
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
    await answer(io, `${helpText()}\n`);
    return 0;
  }
  if (opts.has("version")) {
    await answer(io, versionText());
    return 0;
  }
  const signum = opts.get("signum");
  if (typeof signum === "string") {
    const n = SIGNUMS[signum];
    if (n === undefined) {
      io.err(`Unknown sigfunc ${signum}\n`);
      return 1;
    }
    await answer(io, `${n}\n`);
    return 0;
  }

  if (opts.has("genhash")) {
    io.err("keel: -T/--genhash must be the first option (keel -T -s ADDR ...)\n");
    return EXIT_FATAL;
  }
  // keepalived's options that keel cannot honour yet are refused, never accepted and ignored
  for (const o of OPTIONS) {
    if (o.compat.status === "refused" && opts.has(o.long)) {
      io.err(`keel: ${o.short ? `-${o.short}/` : ""}--${o.long} is not supported: ${o.compat.note}\n`);
      return EXIT_FATAL;
    }
  }
  // keepalived applies -u while it parses its options, before anything is written
  const umaskArg = str(opts.get("umask"));
  if (umaskArg !== undefined) {
    const mask = parseUmask(umaskArg);
    if (mask === undefined) {
      io.err(`keel: invalid --umask option '${umaskArg}' (a number within 0777: 0NNN octal, 0xNN hex or decimal)\n`);
      return EXIT_FATAL;
    }
    process.umask(mask);
    // the config's umask then stays unapplied (runtime/process-identity.ts UMASK_FIXED_ENV)
    process.env.KEEL_UMASK_FIXED = "1";
  }
  const facilityArg = str(opts.get("log-facility"));
  // log.ts (and pino) only when asked: -t stays light
  const facility = facilityArg === undefined ? undefined : (await import("./runtime/log")).parseFacility(facilityArg);
  if (facilityArg !== undefined && facility === undefined) {
    io.err(`keel: invalid log facility '${facilityArg}' (0-7 or local0-local7 for LOG_LOCALn, daemon, user)\n`);
    return EXIT_FATAL;
  }
  const logFormat = str(opts.get("log-format"));
  if (logFormat !== undefined && logFormat !== "text" && logFormat !== "json") {
    io.err(`keel: --log-format must be text or json, not '${logFormat}'\n`);
    return EXIT_FATAL;
  }

  // libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
  const { fileExists: existsSync, nodeFs } = await import("../native-bindings/file");
  const { resolve } = await import("node:path");
  const { renderDiagnostics } = await import("./config/diagnostics");
  const { formatOf, loadConfig } = await import("./config/load");
  const { localHost } = await import("./config/parse");
  const { Origins } = await import("./config/origins");
  const { validNamespaceName } = await import("./runtime/run-paths");
  // a background daemon (src/runtime/background.ts) tells its starter what goes wrong
  const { backgroundChild, startMode, startInBackground } = await import("./runtime/background");
  const bg = process.env.KEEL_CHILD ? undefined : backgroundChild();
  const out = bg ? { out: io.out, err: (s: string) => bg.relay(s) } : io;

  // the background process moves to / once it has read its configuration: a relative
  // -f (read again on SIGHUP) names the file the starter meant
  const given = str(opts.get("use-file")) ?? DEFAULT_CONFIG_FILE;
  const file = bg ? resolve(given) : given;
  const format = str(opts.get("format"));
  if (format !== undefined && format !== "conf" && format !== "toml") {
    out.err(`keel: --format must be conf or toml, not '${format}'\n`);
    return EXIT_FATAL;
  }
  let missingFiles = false;
  const test = opts.get("config-test");
  // the single-host pitfalls of `keel lint` (src/lint), as warnings of -t, start and reload.
  // A daemon started in the foreground prints them after its first advert (issue 20: the
  // lint views and their modules were ~8% of the start before it; RFC 5798 6.4.1 needs
  // only the socket, the source address and the VIPs); -t, a background start (whose
  // starter relays its output only until it is ready) and the children as before.
  const deferHostWarnings = test === undefined && bg === undefined && process.env.KEEL_CHILD === undefined;
  // loaded before the first read, or right after the first advert (a reload finds it there)
  let lint = deferHostWarnings ? undefined : await import("./lint");
  let hostWarningsLater: (() => Promise<void>) | undefined;
  // -s's namespace could not be entered (below): the interfaces here are not the ones keel
  // would run with, so none is looked up, and its error (enterPlannedRun's, exit 1) is the
  // one said, as keepalived enters the namespace before it reads the file
  let notEntered = false;
  const load = () => {
    const r = loadConfig(file, {
      format: format as ConfigFormat | undefined,
      configId: str(opts.get("config-id")),
      // -t wants only the diagnostics: the vrrp_scripts as packed columns (issue 14)
      packScripts: test !== undefined,
      host: notEntered ? { ...localHost, interfaceExists: () => undefined, isLoopback: () => undefined } : localHost,
    });
    if (opts.has("all-config")) missingFiles = allConfig(r.diagnostics);
    const origins = formatOf(file, format) === "toml" ? new Origins() : r.origins;
    if (lint) lint.addHostWarnings(file, r.config, origins, r.diagnostics);
    else if (r.diagnostics.errorCount === 0)
      hostWarningsLater = async () => {
        lint = await import("./lint");
        const { Diagnostics } = await import("./config/diagnostics");
        const later = new Diagnostics();
        lint.addHostWarnings(file, r.config, origins, later);
        for (const l of renderDiagnostics(later)) out.err(`${l}\n`);
      };
    // the daemon's "(FILE: Line N) " prefixes name keepalived.conf positions only
    return { ...r, origins };
  };
  // -s names the namespace before the file is read: enter it first, so the checks of the
  // interfaces the file names look where keel will run (a failure is reported below, once)
  const early = str(opts.get("namespace"));
  if (early !== undefined && opts.get("config-test") === undefined && validNamespaceName(early))
    try {
      (await import("../native-bindings/netns")).enterNetNamespace(early);
    } catch {
      // enterPlannedRun reports it
      notEntered = true;
    }
  const result = load();

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
    if (typeof test === "string") nodeFs().writeFileSync(test, report + summary);
    else io.err(report + summary);
    // keepalived -e: a missing file ends it before the test's own status (main.c:
    // had_config_file_error → KEEPALIVED_EXIT_NO_CONFIG, ahead of config_test_exit)
    if (missingFiles) return EXIT_NO_CONFIG;
    // keepalived keeps the highest CONFIG_* status and CONFIG_SECURITY_ERROR is the highest
    return violation ? EXIT_CONFIG_TEST_SECURITY : e > 0 ? EXIT_CONFIG_TEST : EXIT_OK;
  }

  for (const l of renderDiagnostics(result.diagnostics)) out.err(`${l}\n`);
  // keepalived 2.2.7 without dynamic_interfaces: a missing interface stops the VRRP process
  // with KEEPALIVED_EXIT_CONFIG, and the parent with it (vrrp_daemon.c start_vrrp)
  const missingIf = result.diagnostics.kinds.get("error[unknown-interface]")?.count ?? 0;
  if (missingIf > 0 && missingIf === result.diagnostics.errorCount) {
    out.err("Non-existent interface specified in configuration\n");
    return EXIT_CONFIG_STOP;
  }
  if (result.diagnostics.errorCount > 0) {
    out.err(`keel: ${file}: not starting with configuration errors (check with keel -t -f ${file})\n`);
    return EXIT_NO_CONFIG;
  }

  const mode = startMode({
    dontFork: opts.has("dont-fork"),
    daemon: opts.has("daemon"),
    // read only when neither -n, -D nor a child decides: process.stdin builds a node
    // ReadStream, ~7 ms of a daemon's start before its first advert (issue 20)
    get terminal() {
      return process.stdin.isTTY === true && process.stdout.isTTY === true;
    },
    child: process.env.KEEL_CHILD !== undefined || bg !== undefined,
  });
  // keepalived reads its configuration, then forks (main.c: xdaemon after read_config_file)
  if (mode === "background") return startInBackground(argv, io);
  const withTui = mode === "tui";
  // printed after the first advert they would land over the TUI: before it, as they were
  if (withTui && hostWarningsLater) {
    await hostWarningsLater();
    hostWarningsLater = undefined;
  }

  // the runtime (FFI, sockets) is loaded only to run: -t and convert never need it
  const { startDaemon } = await import("./runtime/daemon");
  const { createLogger, LOG_DAEMON } = await import("./runtime/log");
  // -d's dump text only with -d: dumps.ts is not on every start's path (issue 20)
  const dataText = opts.has("dump-conf") ? (await import("./runtime/dumps")).dataText : undefined;
  // keepalived: syslog unless -G (facility daemon, or -S), the console with -l,
  // a file with -g[FILE]; with no syslog to reach and no -l, the console anyway
  const syslogPath = process.env.KEEL_SYSLOG_SOCKET ?? "/dev/log";
  const useSyslog = !opts.has("no-syslog") && existsSync(syslogPath);
  const logFile = opts.get("log-file");
  let syslog: { facility: number; send: (d: string) => void } | undefined;
  if (useSyslog) {
    const { openDatagramSender } = await import("../native-bindings/unix-dgram");
    try {
      const s = openDatagramSender(syslogPath);
      // a line the reader has no room for yet waits, in order (syslog-out.ts)
      const { queuedSyslog } = await import("./runtime/syslog-out");
      const out = queuedSyslog((d) => s.send(d));
      syslog = { facility: facility ?? LOG_DAEMON, send: (d) => out.send(d) };
    } catch {
      syslog = undefined;
    }
  }
  // `keel -f FILE` on a terminal: the daemon with the TUI in this process (keepalived
  // would fork into the background here; keel shows what it does instead). The log then
  // goes to syslog or a file, never over the TUI.
  const toConsole = !withTui && (opts.has("log-console") || !syslog);
  const tuiLogFile = withTui && !syslog && logFile === undefined ? "/tmp/keepalived.log" : undefined;
  // -s / net_namespace: where the pid files, control socket and syslog ident go (run-paths.ts)
  const { enterPlannedRun, plannedRun } = await import("./runtime/namespace-start");
  const cliNamespace = str(opts.get("namespace"));
  const log = createLogger({
    ident: plannedRun(result.config, cliNamespace).paths.ident,
    format: logFormat as "text" | "json" | undefined,
    detail: opts.has("log-detail"),
    // in the background the console is /dev/null, as keepalived's after xdaemon
    write: toConsole && !bg ? io.err : false,
    file: logFile === undefined ? tuiLogFile : logFile === true ? "/tmp/keepalived.log" : logFile,
    syslog,
    onProblem: bg ? (l) => bg.relay(l) : undefined,
  });
  // before any socket is opened (the checker process enters it too, as keepalived's inherit it)
  const run = await enterPlannedRun(result.config, cliNamespace, log);
  if (typeof run === "string") {
    log.error(run);
    return EXIT_FATAL;
  }
  if (process.env.KEEL_CHILD === "checker") {
    // the daemon's checker process (src/runtime/checker-link.ts started it with our flags);
    // -c names its pid file, as keepalived's checker child writes checkers_pidfile
    const { acquirePidFiles } = await import("./runtime/pidfile");
    const pidPath = str(opts.get("checkers_pid")) ?? run.paths.checkersPidFile;
    const pids = acquirePidFiles([pidPath]);
    if ("error" in pids) log.warn(`Healthcheck child process: ${pids.error}; no pid file written`);
    const { runCheckerChild } = await import("./runtime/checker-child");
    try {
      return await runCheckerChild({
        config: result.config,
        log,
        dontReleaseIpvs: opts.has("dont-release-ipvs"),
        load,
      });
    } finally {
      if (!("error" in pids)) pids.release();
      endChild();
    }
  }
  if (process.env.KEEL_CHILD === "bfd") {
    // the daemon's BFD process (src/runtime/bfd-link.ts started it with our flags); -b names
    // its pid file, as keepalived's BFD child writes bfd_pidfile
    const { acquirePidFiles } = await import("./runtime/pidfile");
    const pids = acquirePidFiles([str(opts.get("bfd_pid")) ?? run.paths.bfdPidFile]);
    if ("error" in pids) log.warn(`BFD child process: ${pids.error}; no pid file written`);
    const { runBfdChild } = await import("./runtime/bfd-child");
    try {
      return await runBfdChild({ config: result.config, log, load });
    } finally {
      if (!("error" in pids)) pids.release();
      endChild();
    }
  }
  const { coreDumps } = await import("./runtime/core-dump");
  const core = coreDumps(
    {
      unlimited: opts.has("core-dump") || opts.has("core-dump-pattern"),
      pattern: opts.has("core-dump-pattern") ? (str(opts.get("core-dump-pattern")) ?? "core") : undefined,
    },
    log,
  );
  let kernel: import("./runtime/kernel").Kernel | undefined;
  if (opts.has("address-monitoring")) {
    const { LinuxKernel } = await import("./runtime/kernel-linux");
    const { logAddressChanges } = await import("./runtime/address-log");
    const { netlinkBufs } = await import("./runtime/rx-bufs");
    const bufs = netlinkBufs(result.config.globalDefs, "vrrp");
    kernel = logAddressChanges(new LinuxKernel({ ...bufs, onRefusedDone: (line) => log.info(line) }), log);
  }
  // keepalived's xdaemon: chdir("/") in the background process
  if (bg) process.chdir("/");
  const { daemon, exited: daemonExited } = startDaemon({
    config: result.config,
    configFile: file,
    origins: result.origins,
    log,
    argv: ["keel", ...argv],
    kernel,
    dontReleaseVrrp: opts.has("dont-release-vrrp"),
    vrrpOnly: opts.has("vrrp"),
    checkOnly: opts.has("check"),
    noBfd: opts.has("no_bfd"),
    allSubsystems: opts.has("all"),
    snmp: opts.has("snmp"),
    snmpSocket: str(opts.get("snmp-agent-socket")),
    dontRespawn: opts.has("dont-respawn"),
    ignoreSigint: opts.has("ignore-sigint"),
    pidFile: str(opts.get("pid")) ?? run.paths.pidFile,
    vrrpPidFile: str(opts.get("vrrp_pid")) ?? run.paths.vrrpPidFile,
    controlSocket: str(opts.get("control-socket")) ?? run.paths.controlSocket,
    netNamespace: cliNamespace,
    metrics: str(opts.get("metrics")),
    load,
    configCopy: await configCopier(file, format, str(opts.get("config-id"))),
    onReady: () => {
      // keepalived -d: the configuration as its dump text, in the log, and it runs on
      if (dataText && daemon.driver) {
        try {
          for (const l of dataText(daemon.driver.router, () => undefined, daemon.config)
            .trimEnd()
            .split("\n"))
            log.info(l);
        } catch (e) {
          log.error(`cannot dump the configuration: ${(e as Error).message}`);
        }
      }
      bg?.ready();
      // after the first advert: the daemon sends it right after onReady, in the same turn
      const warnings = hostWarningsLater;
      if (warnings) setTimeout(() => void warnings().catch((e) => log.warn(`lint checks failed: ${e}`)), 0);
    },
  });
  void daemonExited.then((code) => {
    core.restore();
    // it stopped before it was ready: the starter reports it (after ready this is a no-op)
    bg?.failed(code);
  });
  if (!withTui) return daemonExited;
  const socketPath = str(opts.get("control-socket")) ?? run.paths.controlSocket;
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

/**
 * keepalived -e (include_check_set(NULL) in lib/parser.c: every include_check): an
 * `include` whose pattern matches no file, or a match that cannot be read, is a
 * configuration error instead of a warning, and keepalived exits. keel already refuses
 * to start on any other configuration error (keepalived starts despite the ones it can
 * skip), so this is the one difference -e makes. true: one was.
 */
function allConfig(d: Diagnostics): boolean {
  const missing = d.items.filter(
    (i) => i.severity === "warning" && (i.code === "include-no-match" || i.code === "include-not-found"),
  );
  for (const w of missing) d.error(w, w.code, `${w.message} (an error with -e/--all-config)`);
  return missing.length > 0;
}

const CONFIG_OPTIONS: OptionSpec[] = [
  { long: "use-file", short: "f", arg: "required" },
  { long: "format", arg: "required" },
  { long: "config-id", short: "i", arg: "required" },
];

/**
 * `keel config dump [-f FILE] [--format conf|toml] [-i ID]`: the resolved model (keepalived's
 * defaults filled in) as JSON on stdout. keepalived's -d dumps its text into the log of a
 * running daemon; keel's -d does that too, so the JSON lives here.
 */
async function configCommand(argv: string[], io: Io): Promise<number> {
  const usage = "usage: keel config dump [-f FILE] [--format conf|toml] [-i ID]\n";
  const [what, ...rest] = argv;
  if (what !== "dump") {
    io.err(`keel config: ${what === undefined ? "missing" : `unknown`} command${what ? ` '${what}'` : ""}\n${usage}`);
    return EXIT_FATAL;
  }
  const args = parseSubcommand("config dump", rest, CONFIG_OPTIONS);
  if (!args.ok) {
    io.err(`${args.message}\n${usage}`);
    return EXIT_FATAL;
  }
  const [file, format, configId] = ["use-file", "format", "config-id"].map((k) => optValue(args.opts.get(k)));
  if (format !== undefined && format !== "conf" && format !== "toml") {
    io.err(`keel config dump: --format must be conf or toml, not '${format}'\n`);
    return EXIT_FATAL;
  }
  const { renderDiagnostics } = await import("./config/diagnostics");
  const { loadConfig } = await import("./config/load");
  const result = loadConfig(file ?? DEFAULT_CONFIG_FILE, { format: format as ConfigFormat | undefined, configId });
  for (const l of renderDiagnostics(result.diagnostics)) io.err(`${l}\n`);
  io.out(`${JSON.stringify(result.config, null, 2)}\n`);
  return result.diagnostics.errorCount > 0 ? EXIT_CONFIG : EXIT_OK;
}

const CONVERT_OPTIONS: OptionSpec[] = [
  { long: "to", arg: "required" },
  { long: "output", short: "o", arg: "required" },
  { long: "format", arg: "required" },
  { long: "config-id", short: "i", arg: "required" },
];

/** `keel convert FILE [--to toml|conf] [-o OUT] [--format conf|toml] [-i ID]` */
async function convert(argv: string[], io: Io): Promise<number> {
  const args = parseSubcommand("convert", argv, CONVERT_OPTIONS, 1);
  const file = args.ok ? args.operands[0] : undefined;
  if (!args.ok || !file) {
    io.err(`${args.ok ? "" : `${args.message}\n`}usage: keel convert FILE [--to toml|conf] [-o OUT]\n`);
    return 1;
  }
  const [to, out, from, configId] = ["to", "output", "format", "config-id"].map((k) => optValue(args.opts.get(k)));
  const { renderDiagnostics } = await import("./config/diagnostics");
  const { formatOf, loadConfig } = await import("./config/load");
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
  const text =
    target === "toml"
      ? (await import("./config/toml")).toToml(result.config)
      : (await import("./config/parse")).emitConf(result.config);
  if (out) (await import("../native-bindings/file")).writeTextFile(out, text);
  else io.out(text);
  return 0;
}
