/**
 * `keel -n -f FILE` / `keel --daemon`: the headless daemon, as an object with a
 * lifecycle (DESIGN.md "The daemon"):
 *
 * - start(): pid files, the kernel, the VRRP driver, the control socket, the checker
 *   process, vrrp_scripts and trackers, metrics, then keepalived's signal table
 *   (daemon-signals.ts) and "Startup complete" (sd_notify READY=1).
 * - reload(): a transaction (daemon-reload.ts): the new state is built beside the
 *   running one and swapped in one step, or refused with the old one running on.
 * - stop(): priority-0 adverts, VIPs removed, everything closed, best effort step by step.
 *
 * Every callback entry point runs under one error policy (daemon-faults.ts). The CLI
 * loads and checks the configuration; `runDaemon` is its entry.
 */
import type { Logger } from "./log";
import { sdNotify } from "../../native-bindings/unix-dgram";
import { kernelTimers } from "../../native-bindings/kernel-timer";
import { LinkbeatSocket } from "../../native-bindings/linkbeat";
import { strerror } from "../../native-bindings/errno";
import pkg from "../../package.json";
import type { KeelConfig } from "../config/model";
import { type Origins, type Positions, keywordAt } from "../config/origins";
import { type Diagnostic, formatDiagnostic } from "../config/diagnostics";
import type { Ipvs } from "../../native-bindings/ipvs";
import { DEFAULT_CONTROL_SOCKET, type Event, type ReloadStatus, type Request, type Status } from "../control/protocol";
import type { TrackChange } from "../vrrp/track-board";
import { CheckerLink } from "./checker-link";
import { ControlServer, type ControlHandlers } from "./control";
import { maintenanceFileFor } from "./maintenance-file";
import { Operations } from "./operations";
import type { Peer } from "./peer";
import type { RsRequest } from "./rs-names";
import { EXIT_PROGRAM_ERROR, Faults, type Part, guardedKernel } from "./daemon-faults";
import { reloadTransaction } from "./daemon-reload";
import { EarlyStop, type SignalActions, installSignals } from "./daemon-signals";
import { TrackerSet } from "./daemon-trackers";
import type { DbusService } from "./dbus-service";
import { ConfigSave } from "./config-save";
import type { Kernel } from "./kernel";
import { VrrpSyncDaemon } from "./lvs-globals";
import { Notifier } from "./notify";
import { DEFAULT_PID_FILE, DEFAULT_VRRP_PID_FILE, type PidFiles, acquirePidFiles } from "./pidfile";
import { unsupportedReloadChanges } from "./namespace-start";
import { type SavedIgmp, resetDisableLocalIgmp, setDisableLocalIgmp } from "./local-igmp";
import { ProcessScheduling, settingsFor } from "./process-settings";
import { ProcessIdentity } from "./process-identity";
import type { ScriptResult } from "./scripts";
import { programPath } from "./exec";
import { secureScripts } from "./script-security";
import { checkedRead, removeStaleReloadFile } from "./reload-check";
import { ReloadTimeWatch } from "./reload-time";
import { runStartStopScript } from "./start-stop-scripts";
import { type TrackResults, countersOf, statusOf } from "./status";
import { type ReloadPlan, VrrpDriver } from "./vrrp-driver";
import { netlinkBufs } from "./rx-bufs";
import type { BfdDriver, BfdEvent } from "./bfd-driver";
import type { BfdLink } from "./bfd-link";
import type { BfdNet } from "./bfd-net";

export interface DaemonOptions {
  config: KeelConfig;
  configFile: string;
  log: Logger;
  argv: string[];
  dontReleaseVrrp?: boolean;
  /** the kernel to drive (default: Linux through native-bindings) */
  kernel?: Kernel;
  /** -p and -r (default keepalived's /run/keepalived.pid and /run/keepalived_vrrp.pid) */
  pidFile?: string;
  vrrpPidFile?: string;
  /** -s: the network namespace the command line named (it overrides net_namespace, also at a reload) */
  netNamespace?: string;
  /** --control-socket (default /run/keel/keel.sock) */
  controlSocket?: string;
  /** --metrics ADDR:PORT (off by default) */
  metrics?: string;
  /** -P: VRRP only (no checker process); -C: checkers only (no VRRP instance runs) */
  vrrpOnly?: boolean;
  checkOnly?: boolean;
  /** -x/--snmp: every SNMP MIB on (keepalived's snmp_option) */
  snmp?: boolean;
  /** -A/--snmp-agent-socket: the master agent's AgentX address (over snmp_socket) */
  snmpSocket?: string;
  /** -B: no BFD session runs (keepalived's BFD process is not started; -P and -C imply it) */
  noBfd?: boolean;
  /** BFD's sockets (default: Linux through native-bindings) */
  bfdNet?: BfdNet;
  /** -R: a dead checker process is not started again */
  dontRespawn?: boolean;
  /** --all: the checker process runs even with no virtual_server (keepalived's RUN_ALL_CHILDREN) */
  allSubsystems?: boolean;
  /** --ignore-sigint (keepalived 2.4): SIGINT does not stop the daemon */
  ignoreSigint?: boolean;
  /** called once the daemon runs, where sd_notify READY=1 is sent (a background start's readiness) */
  onReady?: () => void;
  /**
   * where `config`'s objects were declared (config/origins.ts; none for a TOML file, whose
   * positions are not keepalived's), for keepalived's "(FILE: Line N) " prefixes
   */
  origins?: Origins;
  /** read and check the configuration again (SIGHUP) */
  load?: () => { config: KeelConfig; diagnostics: { items: Diagnostic[]; errorCount: number }; origins?: Origins };
  /** keepalived's concatenated copy of the configuration file as it reads now (config_save_dir) */
  configCopy?: () => string[];
}

/** What a reload builds before anything running changes (daemon-reload.ts step 2). */
interface NextState {
  config: KeelConfig;
  plan: ReloadPlan;
  trackers: TrackerSet;
}

/** Runs until a stop signal; resolves with the exit status. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  return startDaemon(o).exited;
}

/**
 * The daemon and its exit status, for a caller that also stops it: `keel -f` on a terminal
 * stops it when the TUI quits. Not by signalling itself: Ink's signal-exit handler, still
 * registered then, re-raises a SIGTERM once it is the last listener, and the process would
 * end by the signal (status 143) instead of 0.
 */
export function startDaemon(o: DaemonOptions): { daemon: Daemon; exited: Promise<number> } {
  const daemon = new Daemon(o);
  return { daemon, exited: exitStatus(daemon) };
}

async function exitStatus(daemon: Daemon): Promise<number> {
  const code = await daemon.run();
  // after an internal error the stop was best effort: a handle it could not close (a
  // hung script, a socket) must not keep a process alive that its supervisor thinks dead
  if (daemon.failed) setTimeout(() => process.exit(code), 5_000).unref();
  return code;
}

export class Daemon {
  readonly faults: Faults;
  /** set once an internal error stopped the daemon (exit status 70) */
  failed = false;
  /** the running configuration (insecure scripts taken out) */
  config: KeelConfig;
  lastReload?: ReloadStatus;
  driver?: VrrpDriver;
  /** the BFD sessions (absent with -B, -P, -C or no bfd_instance): the BFD process, or in this one with `bfdNet` */
  bfd?: BfdDriver | BfdLink;
  /** the running configuration's vrrp_script runner and trackers */
  trackers?: TrackerSet;
  private readonly log: Logger;
  private readonly early = new EarlyStop();
  private readonly startedAt = Date.now();
  private readonly lastTransition = new Map<string, { at: number; from: string; to: string; reason: string }>();
  private readonly trackResults: TrackResults = new Map();
  private readonly notifier: Notifier;
  private phase: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  private pendingStop?: { reason: string; code: number };
  private pids?: PidFiles;
  private kernel?: Kernel;
  private control?: ControlServer;
  private snmp?: import("../snmp/agent").SnmpAgent;
  /** the feature modules this configuration uses, loaded before the parts start (loadFeatures) */
  private readonly lazy: Features = {};
  /** enable_dbus: keepalived's org.keepalived.Vrrp1 service (dbus-service.ts) */
  private dbus?: DbusService;
  private checkers?: CheckerLink;
  /** reload_time_file: a reload at the time the file names */
  private reloadWatch?: ReloadTimeWatch;
  private syncd?: VrrpSyncDaemon;
  private syncdIpvs?: Ipvs;
  /** switchover, maintenance (its state file), rs: the operations of the control socket */
  private readonly ops: Operations;
  /** config_save_dir's copies (config-save.ts) */
  private readonly saved: ConfigSave;
  private metrics?: { stop(): void };
  /** vrrp_rt_priority, vrrp_no_swap, ...: this process is keepalived's VRRP child */
  private sched?: ProcessScheduling;
  /** disable_local_igmp: what to write back at stop (local-igmp.ts) */
  private igmp: SavedIgmp;
  /** process_name / vrrp_process_name and umask (process-identity.ts) */
  private readonly identity: ProcessIdentity;
  /**
   * the running configuration as read (before secureScripts' copy, whose objects are its
   * own) with its origins, and a reload's until its outcome: positions by object (configAt)
   */
  private read: Positions;
  private nextRead?: Positions;
  private removeSignals?: () => void;
  private resolveDone: (code: number) => void = () => {};
  /** the exit status, once stopped */
  readonly done = new Promise<number>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(private readonly o: DaemonOptions) {
    this.log = o.log;
    // enable_script_security / script_user: insecure scripts are taken out before anything runs
    this.config = secureScripts(o.config, o.log);
    this.read = { config: o.config, origins: o.origins };
    // keepalived sets the umask as it reads the configuration, before any file is written
    this.identity = new ProcessIdentity("vrrp", o.log);
    this.identity.apply(this.config.globalDefs);
    this.notifier = new Notifier(this.config, o.log);
    this.saved = new ConfigSave(o.log);
    this.faults = new Faults(o.log, (part) => this.fail(part));
    this.ops = new Operations({
      stateFile: maintenanceFileFor(o.controlSocket ?? DEFAULT_CONTROL_SOCKET),
      log: o.log,
      onEvent: (e) => this.broadcast(e),
      checkers: () =>
        this.checkers && {
          virtualServers: this.checkers.virtualServers,
          send: (r: RsRequest) => this.checkers?.rs(r),
        },
    });
    // a part is restarted only while the daemon runs: one brought back during a stop
    // would hold timers or a socket open after it, and the process would never exit
    const whileRunning = (fn: () => void) => () => {
      if (this.phase === "running") fn();
    };
    this.faults.onRestart(
      "scripts",
      whileRunning(() => this.trackers?.restartScripts()),
    );
    this.faults.onRestart(
      "trackers",
      whileRunning(() => this.trackers?.restartExternal()),
    );
    this.faults.onRestart(
      "control",
      whileRunning(() => this.restartControl()),
    );
  }

  /** Start, then run until stopped; resolves with the exit status (1: could not start). */
  async run(): Promise<number> {
    if (!(await this.start())) return 1;
    return this.done;
  }

  /** false: it could not start (logged; everything it opened is closed again). */
  async start(): Promise<boolean> {
    if (this.phase !== "new") throw new Error(`Daemon.start: already ${this.phase}`);
    this.phase = "starting";
    const { log, o } = this;
    log.info(`Starting Keel v${pkg.version}`);
    log.info(`Command line: ${o.argv.map((a) => `'${a}'`).join(" ")}`);
    log.info(`Configuration file ${o.configFile}`);
    this.saveConfigCopy();
    this.early.install();
    // keepalived main.c: the startup script first; the start waits for it
    await runStartStopScript("startup", this.config.globalDefs, log);
    if (!(await this.openHost())) return this.abandon();
    // a maintenance file that cannot be read: a held node must not start and take the VIPs
    const opsError = this.ops.load();
    if (opsError) {
      log.error(`cannot start: ${opsError}`);
      return this.abandon();
    }
    // what the process had before any vrrp_* setting: the checker process starts from it
    this.sched = new ProcessScheduling("vrrp", log);
    await this.prepareSnmp();
    await this.loadFeatures(this.config);
    try {
      this.startParts();
    } catch (e) {
      const err = e as Error & { code?: string };
      const hint =
        err.code === "EPERM" ? " (raw sockets and netlink changes need root or CAP_NET_RAW + CAP_NET_ADMIN)" : "";
      log.error(`cannot start: ${err.message}${hint}`);
      return this.abandon();
    }
    this.startMetrics();
    this.faults.guard("dbus", "starting the D-Bus service", () => this.ensureDbus(this.config))();
    this.watchReloadTime(this.config);
    // keepalived's remove_reload_file after the first read: a reload_file PATH left over goes
    this.bestEffort("reload", "removing a left-over reload_file", () => removeStaleReloadFile(this.config));
    // keepalived applies them at the end of start_vrrp, once the configuration is read
    this.sched?.apply(settingsFor("vrrp", this.config.globalDefs));
    const actions = this.signalActions();
    this.removeSignals = installSignals(actions, log);
    this.faults.installProcessHandlers();
    this.early.remove();
    this.phase = "running";
    // only now, with every handler in place: a SIGTERM right after this line is a clean stop
    log.info("Startup complete");
    notifySystemd(
      log,
      `READY=1\nSTATUS=${Object.keys(this.config.vrrpInstances).length} VRRP instance(s)\nMAINPID=${process.pid}`,
    );
    this.o.onReady?.();
    const early = this.early.signal === "SIGINT" && this.o.ignoreSigint ? undefined : this.early.signal;
    const pending = this.pendingStop ?? (early ? { reason: early, code: 0 } : undefined);
    if (pending) this.stop(pending.reason, pending.code);
    // an address owner's first advert (RFC 5798 6.4.1: at once; keepalived times it out of
    // INIT at once too): its timeout is due already, so it runs here instead of after the
    // kernel timer's signal and the event loop's next turn (issue 20)
    else {
      this.driver?.runDue();
      // what was signalled during start-up, as keepalived's signalfd hands pending signals
      // over once its loop runs: lowest signal number first
      if (this.early.deferred.has("SIGHUP")) actions.reload();
      if (this.early.deferred.has("SIGUSR1")) actions.writeData();
      if (this.early.deferred.has("SIGUSR2")) actions.writeStats();
    }
    return true;
  }

  /** Pid files, then the kernel interfaces; false when either is refused (logged). */
  private async openHost(): Promise<boolean> {
    const pids = acquirePidFiles([this.o.pidFile ?? DEFAULT_PID_FILE, this.o.vrrpPidFile ?? DEFAULT_VRRP_PID_FILE]);
    if ("error" in pids) {
      this.log.error(pids.error);
      return false;
    }
    this.pids = pids;
    try {
      this.kernel =
        this.o.kernel ??
        new (await import("./kernel-linux")).LinuxKernel({
          ...netlinkBufs(this.config.globalDefs, "vrrp"),
          onRefusedDone: (line) => this.log.info(line),
        });
      return true;
    } catch (e) {
      this.log.error(`cannot open the kernel interfaces (netlink): ${(e as Error).message}`);
      return false;
    }
  }

  private startParts(): void {
    const kernel = this.kernel as Kernel;
    this.notifier.start();
    this.ensureSyncd(this.config);
    const driver = new VrrpDriver({
      config: this.vrrpPart(this.config),
      kernel: guardedKernel(kernel, this.faults),
      log: this.log,
      // the driver catches a throw at its entry points; what follows is the vrrp part's policy
      onInternalError: (where, e) => this.faults.report("vrrp", where, e),
      dontReleaseVrrp: this.o.dontReleaseVrrp,
      // the vrrp_strict / no_accept firewall is Linux's nf_tables: only with the Linux kernel
      // nft-port.ts (and native-bindings/nftables) by the firewall's first need, not at every
      // start (issue 20): the driver opens the port synchronously, so `require`
      nft: this.o.kernel ? undefined : () => (require("./nft-port") as typeof import("./nft-port")).openNftPort(),
      // linkbeat polling's ioctls: only on the Linux kernel, as the firewall
      linkbeat: this.o.kernel ? undefined : { open: () => LinkbeatSocket.open(), describe: strerror },
      // adverts and Master_Down on kernel timers (kernel-timer.ts): setTimeout's whole
      // milliseconds made adverts leave up to 3 ms late at p99; a test's kernel keeps setTimeout
      timers: this.o.kernel ? undefined : kernelTimers(),
      onNotify: this.faults.guard("notify", "a notification", (n) => this.notifier.notify(n)),
      onInstanceEvent: this.faults.guard("notify", "an instance event", (name, event, prio) =>
        this.notifier.instanceEvent(name, event, prio),
      ),
      onEvent: (e) => this.onEvent(e),
      // a reload's set-up names the new configuration's positions, before its swap
      configAt: (instance, keyword) =>
        keywordAt(this.nextRead, instance, keyword) ?? keywordAt(this.read, instance, keyword),
    });
    this.driver = driver;
    this.ops.attach(driver);
    this.control = this.newControl();
    this.control.start();
    // vrrp_daemon.c start_vrrp: before the dispatcher opens the sockets (and joins 224.0.0.18)
    if (this.config.globalDefs.disableLocalIgmp && !this.o.kernel) this.igmp = setDisableLocalIgmp(this.log);
    // keepalived vrrp_complete_init reads the track files and scans the processes
    // (init_track_files, init_track_processes) before initialise_tracking_priorities: the
    // instances start knowing them, in FAULT with keepalived's lines (startFaultLines)
    this.trackers = this.newTrackers(this.config);
    this.trackers.start();
    driver.start();
    if (this.wantsCheckers(this.config)) this.startCheckers();
    void this.startBfd();
  }

  /** keepalived starts its BFD process only when some bfd_instance exists (and not with -B, -V, -C). */
  private wantsBfd(c: KeelConfig): boolean {
    return !this.o.noBfd && !this.o.vrrpOnly && !this.o.checkOnly && Object.keys(c.bfdInstances).length > 0;
  }

  /**
   * The modules of the features this configuration uses (issue 20: D-Bus, BFD, metrics and
   * the IPVS port cost every start their evaluation and page faults, used or not). Loaded as
   * SNMP's are, by `await import()` before the parts start, so the parts start as they did
   * (synchronously, before the first advert); in the compiled binary each is a chunk of the
   * bundle that is read only when imported. A reload that turns D-Bus or the sync daemon on
   * loads it then (ensureDbus, ensureSyncd).
   */
  private async loadFeatures(c: KeelConfig): Promise<void> {
    if (this.wantsDbus(c)) this.lazy.dbus ??= await import("./dbus-service");
    if (this.wantsSyncd(c)) this.lazy.ipvs ??= await import("./ipvs-port");
    if (this.o.metrics) this.lazy.metrics ??= await import("./metrics");
    if (this.wantsBfd(c)) {
      if (this.o.bfdNet) this.lazy.bfdDriver ??= await import("./bfd-driver");
      else this.lazy.bfdLink ??= await import("./bfd-link");
    }
  }

  /** A reload that turns on a feature whose module is not loaded: load it, then `then` (if still running). */
  private loadThen(part: Part, c: KeelConfig, then: () => void): void {
    this.loadFeatures(c).then(
      () => {
        if (this.phase === "running") this.faults.guard(part, "starting a feature after a reload", then)();
      },
      (e) => this.faults.report(part, "loading a feature's module", e),
    );
  }

  /**
   * keepalived's BFD process (bfd_daemon.c): a process of its own with the bfd_* settings
   * (bfd-link.ts, bfd-child.ts); with an injected `bfdNet` the sessions run in this one.
   */
  private async startBfd(): Promise<void> {
    if (!this.wantsBfd(this.config)) return;
    const track = this.trackSink();
    const o = {
      log: this.log,
      report: (c: TrackChange) => track(c),
      onChecker: (name: string, up: boolean) => this.checkers?.bfd(name, up),
      onEvent: (e: BfdEvent) => this.broadcast({ event: "bfd", ...e }),
    };
    const { bfdDriver, bfdLink } = this.lazy;
    if (this.o.bfdNet && bfdDriver) this.bfd = new bfdDriver.BfdDriver(this.config, { ...o, net: this.o.bfdNet });
    else if (bfdLink)
      this.bfd = new bfdLink.BfdLink({
        ...o,
        argv: this.o.argv.slice(1),
        dontRespawn: this.o.dontRespawn,
        childWaitS: () => this.config.childWaitTime,
        env: this.sched?.originEnv(),
      });
    this.faults.guard("trackers", "starting BFD", () => this.bfd?.start())();
    // a checker process that listened before the sessions existed hears them now
    this.checkers?.sendBfdStates();
  }

  private wantsCheckers(c: KeelConfig): boolean {
    return !this.o.vrrpOnly && (this.o.allSubsystems === true || c.virtualServers.length > 0);
  }

  /** A start that failed: close what was opened, in reverse; resolves false. */
  private abandon(): false {
    this.early.remove();
    this.bestEffort("trackers", "stopping the trackers", () => this.trackers?.stop());
    this.bestEffort("trackers", "stopping the BFD sessions", () => this.bfd?.stop());
    this.bestEffort("checkers", "stopping the checker process", () => void this.checkers?.stop());
    this.bestEffort("lvs-sync", "stopping the sync daemon", () => this.syncd?.stop());
    this.bestEffort("control", "closing the control socket", () => this.control?.stop());
    this.bestEffort("vrrp", "closing the kernel interfaces", () => this.kernel?.close());
    this.bestEffort("notify", "closing the notify FIFOs", () => this.notifier.stop());
    this.pids?.release();
    this.phase = "stopped";
    this.resolveDone(1);
    return false;
  }

  /**
   * TERM/INT (or an internal error, with exit status 70): priority-0 adverts, VIPs
   * removed, every part closed. Each step runs even if one before it throws; one that
   * throws makes the exit status 70. During start-up the stop waits for "Startup complete".
   */
  stop(reason: string, code = 0): void {
    if (this.phase === "starting") {
      this.pendingStop ??= { reason, code };
      return;
    }
    if (this.phase !== "running") return;
    this.phase = "stopping";
    let status = code;
    const step = (part: Part, what: string, fn: () => void) => {
      if (!this.bestEffort(part, what, fn)) status = EXIT_PROGRAM_ERROR;
    };
    notifySystemd(this.log, "STOPPING=1");
    this.log.info({ event: "stop", signal: reason }, "Stopping");
    // the checker process stops in parallel with VRRP (it removes its IPVS services)
    const checkersDone =
      this.checkers?.stop().catch((e) => this.faults.count("checkers", "stopping the checker process", e)) ??
      Promise.resolve();
    step("trackers", "stopping scripts and trackers", () => this.trackers?.stop());
    step("reload", "stopping the reload_time_file watch", () => this.reloadWatch?.stop());
    step("metrics", "stopping the metrics server", () => this.metrics?.stop());
    step("lvs-sync", "stopping the sync daemon", () => this.syncd?.stop());
    step("lvs-sync", "closing IPVS", () => this.syncdIpvs?.close());
    step("vrrp", "stopping the VRRP instances", () => this.driver?.stop());
    // vrrp_terminate_phase2: after the instances, the sysctl as it was
    step("vrrp", "restoring igmp_link_local_mcast_reports", () => resetDisableLocalIgmp(this.igmp, this.log));
    // after VRRP: the sessions' AdminDown must not put instances in FAULT on the way out
    let bfdDone = Promise.resolve();
    step("trackers", "stopping the BFD sessions", () => {
      const p = this.bfd?.stop();
      if (p) bfdDone = p.catch((e) => this.faults.count("trackers", "stopping the BFD process", e));
    });
    step("control", "closing the control socket", () => this.control?.stop());
    // after VRRP: the instances' last VrrpStatusChange goes out before VrrpStopped (dbus_stop)
    step("dbus", "closing the D-Bus service", () => this.dbus?.stop());
    step("vrrp", "closing the kernel interfaces", () => this.kernel?.close());
    step("notify", "closing the notify FIFOs", () => this.notifier.stop());
    step("process", "removing the pid files", () => this.pids?.release());
    step("process", "stopping the priority watchdog", () => this.sched?.stop());
    const u = process.cpuUsage();
    this.log.info(`Stopped - used ${(u.user / 1e6).toFixed(6)} user time, ${(u.system / 1e6).toFixed(6)} system time`);
    this.log.info(`Stopped Keel v${pkg.version}`);
    this.removeSignals?.();
    this.faults.removeProcessHandlers();
    // keepalived stop_keepalived: the shutdown script once everything else has stopped
    void Promise.all([checkersDone, bfdDone]).then(async () => {
      // after the checker process: its clear_services traps (real servers down, the quorum
      // stopping) reach the master agent before the session closes, as keepalived's checker
      // sends them before its snmp_agent_close
      step("snmp", "closing the SNMP subagent", () => this.snmp?.stop());
      await runStartStopScript("shutdown", this.config.globalDefs, this.log).catch((e) =>
        this.faults.count("process", "running the shutdown script", e),
      );
      this.phase = "stopped";
      // an internal error during the stop itself also means a supervisor should look
      this.resolveDone(this.failed ? EXIT_PROGRAM_ERROR : status);
    });
  }

  /** A part whose state can no longer be trusted: stop as cleanly as possible, exit 70. */
  private fail(part: Part): void {
    if (this.failed) return;
    this.failed = true;
    this.log.error(
      `Stopping after an internal error in ${part}; exit status ${EXIT_PROGRAM_ERROR} (the supervisor starts keel)`,
    );
    this.stop(`internal-error:${part}`, EXIT_PROGRAM_ERROR);
  }

  /** Run one step of a stop; a throw is logged with its stack and counted. false if it threw. */
  private bestEffort(part: Part, what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.faults.count(part, what, e);
      return false;
    }
  }

  /** SIGHUP and the `reload` command: the transaction of daemon-reload.ts. */
  reload(): ReloadStatus {
    if (this.phase !== "running")
      return { at: Date.now(), ok: false, applied: false, errors: [`not running (${this.phase})`] };
    // keepalived main.c start_reload: with reload_check_config the check comes first (-D:
    // "validate conf before Reload") and do_reload's "Reloading ..." only once it passed
    // (readConfig); without it, do_reload's, then the file as read_config_file opens it
    // (lib/parser.c init_data: "Configuration file X"; with the check, keepalived reads the
    // check's copy and names no file)
    if (this.config.globalDefs.reloadCheckConfig !== undefined) this.log.debug("validate conf before Reload");
    else {
      this.log.info("Reloading ...");
      this.log.info(`Configuration file ${this.o.configFile}`);
    }
    // systemd: RELOADING=1 with the monotonic time, READY=1 when done (either way)
    notifySystemd(this.log, `RELOADING=1\nMONOTONIC_USEC=${Math.round(Number(process.hrtime.bigint() / 1000n))}`);
    // keepalived reload_vrrp_thread: save_config(false, "vrrp", ...) first
    this.saveDump("pre");
    const outcome = reloadTransaction<NextState>(
      {
        read: () => this.readConfig(),
        prepare: (c) => this.prepare(c),
        commitDriver: (n) => (this.driver as VrrpDriver).commitReload(n.plan),
        swapRest: (n) => this.swapRest(n),
      },
      this.log,
      this.faults,
    );
    if (outcome.applied && this.nextRead) this.read = this.nextRead;
    this.nextRead = undefined;
    // a reload whose swap failed has already stopped the daemon (STOPPING=1 was sent)
    if (this.phase === "running") notifySystemd(this.log, "READY=1");
    this.lastReload = outcome;
    this.broadcast({ event: "reload", ...outcome });
    // keepalived's parent saves its read of the file; the VRRP child its state after the reload
    this.saveConfigCopy();
    this.saveDump("post");
    return outcome;
  }

  /** config_save_dir: keepalived.conf.PID.N of the read just made (config-save.ts). */
  private saveConfigCopy(): void {
    this.bestEffort("reload", "saving a copy of the configuration", () => {
      this.saved.configure(this.config.globalDefs.configSaveDir);
      this.saved.saveCopy(() => this.o.configCopy?.() ?? []);
    });
  }

  /** config_save_dir: keepalived_vrrp.PID.N.pre/post, the SIGUSR1 dump around a reload. */
  private saveDump(when: "pre" | "post"): void {
    const d = this.driver;
    if (!d) return;
    this.bestEffort("reload", `saving the ${when}-reload dump`, () => {
      const dump = () => dumps().dataText(d.router, (n) => this.lastTransition.get(n)?.at, this.config);
      if (when === "pre") this.saved.pre("vrrp", dump);
      else this.saved.post("vrrp", dump);
    });
  }

  private readConfig(): { config: KeelConfig } | { errors: string[] } {
    if (!this.o.load) {
      this.log.error("Reload failed: no configuration source");
      return { errors: ["no configuration source"] };
    }
    // reload_check_config / reload_file of the running configuration (reload-check.ts)
    const checked = this.config.globalDefs.reloadCheckConfig !== undefined;
    const { read: r, failed } = checkedRead(this.config, this.o.netNamespace, this.o.configFile, this.o.load, this.log);
    if (checked && !failed) this.log.info("Reloading ...");
    this.nextRead = { config: r.config, origins: r.origins };
    for (const d of r.diagnostics.items) this.log[d.severity === "error" ? "error" : "warn"](formatDiagnostic(d));
    if (failed) this.log.info(failed);
    if (r.diagnostics.errorCount === 0) {
      const unsupported = unsupportedReloadChanges(this.config, r.config, this.o.netNamespace);
      for (const u of unsupported) this.log.error(`Reload failed: ${u}`);
      return unsupported.length > 0 ? { errors: unsupported } : { config: r.config };
    }
    this.log.error(
      `Reload failed: ${r.diagnostics.errorCount} error(s) in ${this.o.configFile}; keeping the running configuration`,
    );
    return { errors: r.diagnostics.items.filter((d) => d.severity === "error").map(formatDiagnostic) };
  }

  private prepare(loaded: KeelConfig): NextState {
    const config = secureScripts(loaded, this.log);
    const plan = (this.driver as VrrpDriver).prepareReload(this.vrrpPart(config));
    this.ops.holdAll(plan.next);
    return { config, plan, trackers: this.newTrackers(config) };
  }

  /** After the driver's swap: each part on its own, so one failure does not hold back the others. */
  private swapRest(n: NextState): string[] {
    const errors: string[] = [];
    const attempt = (part: Part, what: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        this.faults.report(part, `reload: ${what}`, e);
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    this.config = n.config;
    // the new set is the current one before either step: a restart then rebuilds the new one
    const old = this.trackers;
    this.trackers = n.trackers;
    attempt("scripts", "stopping the old vrrp_scripts and trackers", () => old?.stop());
    attempt("scripts", "starting the new vrrp_scripts and trackers", () => n.trackers.start());
    attempt("trackers", "reloading the BFD sessions", () => {
      if (this.bfd) this.bfd.reload(n.config);
      else void this.startBfd();
    });
    attempt("process", "applying the process settings", () => {
      // reload_vrrp_thread: reset_process_priorities, then start_vrrp applies the new ones
      this.sched?.reset();
      this.sched?.apply(settingsFor("vrrp", n.config.globalDefs));
      this.identity.apply(n.config.globalDefs);
    });
    attempt("notify", "switching notify scripts", () => this.notifier.setConfig(n.config));
    attempt("notify", "writing the states to the notify FIFOs", () => {
      // what the reload carried over (fifo_write_vrrp_states_on_reload)
      const added = new Set(n.plan.added.map((v) => v.name));
      const router = n.plan.next;
      this.notifier.reloadStates(
        [...router.groups.values()].filter((g) => router.sameStateAtReload(g)),
        [...router.instances.values()]
          .filter((i) => !added.has(i.name))
          .map((i) => ({ name: i.name, state: i.state, priority: i.effectivePriority })),
      );
    });
    attempt("reload", "watching reload_time_file", () => this.watchReloadTime(n.config));
    attempt("dbus", "reloading the D-Bus service", () => this.ensureDbus(n.config, true));
    attempt("lvs-sync", "reloading the sync daemon", () => this.ensureSyncd(n.config));
    attempt("checkers", "reloading the checker process", () => {
      if (this.checkers) this.checkers.reload();
      else if (this.wantsCheckers(n.config)) this.startCheckers();
    });
    return errors;
  }

  // ---------------------------------------------------------------------------
  // the parts and their entry points

  /** keepalived start_reload_monitor, at start and after every reload */
  private watchReloadTime(config: KeelConfig): void {
    this.reloadWatch?.stop();
    this.reloadWatch = undefined;
    const g = config.globalDefs;
    if (g.reloadTimeFile === undefined) return;
    this.reloadWatch = new ReloadTimeWatch(
      g.reloadTimeFile,
      g.reloadRepeat,
      this.log,
      this.faults.guard("reload", "reload_time_file", () => void this.reload()),
    );
    this.reloadWatch.start();
  }

  /** -C: keepalived runs no VRRP child; keel keeps one process and gives it no instance */
  private vrrpPart(c: KeelConfig): KeelConfig {
    return this.o.checkOnly ? { ...c, vrrpInstances: {}, vrrpSyncGroups: {} } : c;
  }

  private newTrackers(config: KeelConfig): TrackerSet {
    return new TrackerSet(config, this.log, {
      script: this.faults.guard("scripts", "a vrrp_script result", (r: ScriptResult) => {
        this.onEvent({
          event: "track",
          at: Date.now(),
          kind: "script",
          name: r.name,
          ok: r.ok,
          code: r.code,
          ms: r.ms,
        });
        this.vrrp("a vrrp_script result", () => this.driver?.track({ kind: "script", name: r.name, ok: r.ok }));
      }),
      track: this.trackSink(),
    });
  }

  /** A track_file, track_process or BFD session change: to subscribers, status and the engine. */
  private trackSink(): (c: TrackChange) => void {
    return this.faults.guard("trackers", "a track_file, track_process or BFD change", (c: TrackChange) => {
      const ok = "up" in c ? c.up : undefined;
      const value = "value" in c ? c.value : undefined;
      this.broadcast({ event: "track", at: Date.now(), kind: c.kind, name: c.name, ok, value });
      this.trackResults.set(`${c.kind}:${c.name}`, { ok, value, at: Date.now() });
      this.vrrp(`a ${c.kind} tracker change`, () => this.driver?.track(c));
    });
  }

  /** A call into the VRRP engine: a throw there is the `vrrp` part's (policy: exit). */
  private vrrp(context: string, fn: () => void): void {
    this.faults.guard("vrrp", context, fn)();
  }

  /** Every event of the driver, the scripts and the checker process. */
  private onEvent(e: Event): void {
    if (e.event === "transition") {
      this.lastTransition.set(e.instance, { at: e.at, from: e.from, to: e.to, reason: e.reason });
      const to = e.to;
      this.faults.guard("lvs-sync", "a transition for the sync daemon", () => this.syncd?.transition(e.instance, to))();
    }
    if (e.event === "track" && e.kind === "script")
      this.trackResults.set(`script:${e.name}`, { ok: e.ok, code: e.code, ms: e.ms, at: e.at });
    this.broadcast(e);
    if (this.snmp) this.faults.guard("snmp", "an SNMP notification", () => this.snmp?.notify(e))();
    if (this.dbus && e.event === "transition") {
      const { instance, to } = e;
      this.faults.guard("dbus", "a D-Bus VrrpStatusChange", () => this.dbus?.transition(instance, to))();
    }
  }

  /**
   * enable_dbus (keepalived vrrp_daemon.c start_vrrp): the service starts with the
   * configuration that asks for it; a reload that keeps it on reloads the objects, one
   * that turns it off stops it. Not with -C (keepalived serves it from its VRRP process).
   */
  private ensureDbus(c: KeelConfig, reload = false): void {
    if (!this.wantsDbus(c)) {
      this.dbus?.stop();
      this.dbus = undefined;
      return;
    }
    if (this.dbus) {
      if (reload) this.dbus.reloaded(c);
      return;
    }
    const mod = this.lazy.dbus;
    if (!mod) {
      this.loadThen("dbus", c, () => this.ensureDbus(this.config));
      return;
    }
    const d = () => this.driver as VrrpDriver;
    const guard = <A extends unknown[], R>(what: string, fn: (...a: A) => R) => this.faults.guard("dbus", what, fn);
    this.dbus = new mod.DbusService(
      c,
      {
        state: (n) => d().router.instances.get(n)?.state,
        sendGarp: (n) => {
          // one GARP/NA per VIP, as keepalived's vrrp_send_link_update(vrrp, 1)
          this.vrrp(`the D-Bus SendGarp for ${n}`, () => d().sendGarp(n, 1));
          return true;
        },
        printData: guard("the D-Bus PrintData", () =>
          dumps().writeData(
            d().router,
            (n) => this.lastTransition.get(n)?.at,
            this.config,
            this.o.netNamespace,
            d().interfaceDump(),
          ),
        ),
        printStats: guard("the D-Bus PrintStats", (clear: boolean) => {
          dumps().writeStats(d().router, d().dropped);
          if (clear) dumps().clearStats(d().router);
        }),
        reload: guard("the D-Bus ReloadConfig", () => void this.reload()),
      },
      { info: (m) => this.log.info(m), warn: (m) => this.log.warn(m) },
      this.o.netNamespace,
    );
    this.dbus.start();
  }

  private wantsDbus(c: KeelConfig): boolean {
    return c.globalDefs.enableDbus && !this.o.checkOnly;
  }

  /**
   * The AgentX subagent (src/snmp), when keepalived's flags or -x ask for one
   * (src/snmp/modules.ts). Built before the instances start, so their first transitions
   * raise traps (keepalived connects before it starts VRRP); it connects in the
   * background and never holds the start up. The modules are fixed at start, as
   * keepalived registers them once; a reload changes what they read.
   */
  private async prepareSnmp(): Promise<void> {
    const cl = {
      snmp: this.o.snmp,
      vrrpOnly: this.o.vrrpOnly,
      checkOnly: this.o.checkOnly,
      allSubsystems: this.o.allSubsystems,
    };
    const { enabledModules } = await import("../snmp/modules");
    const enabled = enabledModules(this.config, cl);
    if (!enabled.agent) return;
    const { SnmpAgent } = await import("../snmp/agent");
    // node:os only with an agent (issue 20: every module a start loads costs it)
    const { hostname, userInfo } = require("node:os") as typeof import("node:os");
    const host = { name: hostname(), user: userInfo().username };
    const paths = new Map<string, string>();
    // keepalived stores a script's program found in PATH and, unless use_symlink_paths, by its
    // realpath: the path the script runs by (exec.ts programPath)
    const programPathOf = (word: string): string => {
      let p = paths.get(word);
      if (p === undefined) {
        p = programPath(word, this.config.globalDefs.useSymlinkPaths);
        paths.set(word, p);
      }
      return p;
    };
    this.snmp = new SnmpAgent({
      socket: this.o.snmpSocket ?? this.config.globalDefs.snmpSocket,
      modules: enabled.modules,
      trapping: enabled.trapping,
      source: () => ({
        config: this.config,
        status: this.status(),
        now: Date.now(),
        host,
        interfaces: this.driver?.ifindexes(),
        programPath: programPathOf,
      }),
      log: { info: (m) => this.log.info(m), warn: (m) => this.log.warn(m) },
      // KEEPALIVED-MIB's writable objects, applied as operations (by "snmp")
      apply: (w) => this.ops.snmpWrite(w),
    });
    this.snmp.start();
  }

  private broadcast(e: Event): void {
    this.faults.guard("control", "sending an event to subscribers", () => this.control?.broadcast(e))();
  }

  private startCheckers(): void {
    const onEvent = this.faults.guard("checkers", "an event from the checker process", (e: Event) => this.onEvent(e));
    this.checkers = new CheckerLink({
      argv: this.o.argv.slice(1),
      log: this.log,
      onEvent,
      dontRespawn: this.o.dontRespawn,
      childWaitS: () => this.config.childWaitTime,
      env: this.sched?.originEnv(),
      bfdStates: () => this.bfd?.checkerStates() ?? [],
    });
    this.checkers.start();
  }

  /** lvs_sync_daemon tied to a vrrp_instance: the sync daemon's role follows that instance */
  private ensureSyncd(c: KeelConfig): void {
    if (this.syncd) {
      this.syncd.reload(c);
      return;
    }
    if (!this.wantsSyncd(c)) return;
    const mod = this.lazy.ipvs;
    if (!mod) {
      this.loadThen("lvs-sync", c, () => this.ensureSyncd(this.config));
      return;
    }
    try {
      this.syncdIpvs = mod.openIpvsControl(c.netNamespaceIpvs);
      this.syncd = new VrrpSyncDaemon(this.syncdIpvs, this.log, c);
    } catch (e) {
      this.log.error(
        `IPVS: lvs_sync_daemon: ${(e as Error).message}; the connection sync daemon is not started ` +
          "(VRRP is not affected)",
      );
    }
  }

  private wantsSyncd(c: KeelConfig): boolean {
    return !this.o.checkOnly && Boolean(VrrpSyncDaemon.wanted(c));
  }

  private newControl(): ControlServer {
    return new ControlServer(this.o.controlSocket ?? DEFAULT_CONTROL_SOCKET, this.controlHandlers(), this.log);
  }

  /** The `restart` policy of the control part: subscribers reconnect to a fresh socket. */
  private restartControl(): void {
    this.control?.stop();
    this.control = this.newControl();
    this.control.start();
  }

  /** Requests: a throw is counted, and the control server answers it with an `internal` error. */
  private controlHandlers(): ControlHandlers {
    const request =
      <A extends unknown[], R>(cmd: string, fn: (...a: A) => R) =>
      (...a: A): R => {
        try {
          return fn(...a);
        } catch (e) {
          this.faults.report("control-request", `the ${cmd} command`, e);
          throw e;
        }
      };
    return {
      status: request("status", () => this.status()),
      counters: request("counters", () => countersOf(this.driver as VrrpDriver, this.bfd?.status())),
      garp: request("garp", (name: string) => {
        const d = this.driver as VrrpDriver;
        if (!d.router.instances.has(name)) return `no instance ${name}`;
        this.vrrp(`the garp command for ${name}`, () => d.sendGarp(name));
        return undefined;
      }),
      dump: request("dump", () =>
        JSON.parse(dumps().statsJson((this.driver as VrrpDriver).router, (this.driver as VrrpDriver).dropped)),
      ),
      explain: request("explain", (name?: string) => (this.driver as VrrpDriver).explain(name)),
      operate: request("operation", (r: Request, who: Peer) => this.ops.operate(r, who)),
      reload: request("reload", () => {
        const r = this.reload();
        // the reply has only the lines: say which configuration runs
        return r.applied && !r.ok
          ? { ok: false, errors: ["the new configuration is running, with errors:", ...r.errors] }
          : r;
      }),
    };
  }

  status(): Status {
    const st = statusOf(
      this.driver as VrrpDriver,
      this.o.configFile,
      this.startedAt,
      this.lastTransition,
      this.trackResults,
    );
    if (this.checkers) {
      st.virtualServers = this.checkers.virtualServers;
      st.lvs = this.checkers.lvs ?? { available: false, error: "the checker process has not reported yet" };
    }
    if (this.lastReload) st.lastReload = this.lastReload;
    if (this.bfd) st.bfd = this.bfd.status();
    st.internalErrors = this.faults.snapshot();
    if (this.ops.records.length > 0) st.operations = this.ops.records;
    return st;
  }

  private startMetrics(): void {
    const listen = this.o.metrics;
    const m = this.lazy.metrics;
    if (!listen || !m) return;
    const render = () => {
      const t = this.trackers?.scripts;
      const scripts = t && {
        status: (n: string) => t.status(n),
        running: (n: string) => t.isRunning(n),
        names: () => t.tracked().map((x) => x.name),
      };
      return m.renderMetrics(
        this.driver as VrrpDriver,
        scripts,
        this.checkers?.virtualServers,
        this.faults.snapshot(),
        this.bfd?.status(),
      );
    };
    try {
      this.metrics = m.serveMetrics(listen, () => {
        try {
          return render();
        } catch (e) {
          // the scrape gets Bun's 500; the next one tries again
          this.faults.report("metrics", "a scrape", e);
          throw e;
        }
      });
      this.log.info(`Serving metrics on http://${listen}/metrics`);
    } catch (e) {
      this.log.error(`cannot serve metrics on ${listen}: ${(e as Error).message}`);
    }
  }

  private signalActions(): SignalActions {
    const d = () => this.driver as VrrpDriver;
    const at = (n: string) => this.lastTransition.get(n)?.at;
    // the file is complete before the line that announces it (tests and tools wait on it)
    const dump = (sig: string, what: string, write: () => void, line: string) =>
      this.faults.guard("signals", sig, () => {
        try {
          write();
          this.log.info(line);
        } catch (e) {
          this.log.error(`cannot write the ${what} file: ${(e as Error).message}`);
        }
      });
    return {
      stop: (sig) => {
        if (!(sig === "SIGINT" && this.o.ignoreSigint)) this.stop(sig);
      },
      reload: this.faults.guard("reload", "SIGHUP", () => void this.reload()),
      writeData: dump(
        "SIGUSR1",
        "data",
        () => dumps().writeData(d().router, at, this.config, this.o.netNamespace, d().interfaceDump()),
        "Printing VRRP data on signal",
      ),
      writeStats: dump(
        "SIGUSR2",
        "stats",
        () => dumps().writeStats(d().router, d().dropped),
        "Printing VRRP stats on signal",
      ),
      writeJson: dump(
        "SIGJSON",
        "json",
        () =>
          dumps().writeJson(
            d().router,
            at,
            this.config,
            (n) => this.trackers?.external.processState(n),
            (n) => d().interfacesOf(n)?.vmac?.name,
          ),
        "Printing VRRP as json on signal",
      ),
      clearStats: this.faults.guard("signals", "STATS_CLEAR", () => {
        dumps().clearStats(d().router);
        this.log.info("Clearing VRRP stats on signal");
      }),
    };
  }
}

/** What loadFeatures loads: the modules of the features a configuration may not use. */
interface Features {
  dbus?: typeof import("./dbus-service");
  bfdDriver?: typeof import("./bfd-driver");
  bfdLink?: typeof import("./bfd-link");
  metrics?: typeof import("./metrics");
  ipvs?: typeof import("./ipvs-port");
}

/**
 * dumps.ts, by the first dump (SIGUSR1/SIGUSR2/SIGJSON/STATS_CLEAR, D-Bus PrintData and
 * PrintStats, the control `dump`, config_save_dir's pre/post): never at start (issue 20).
 * `require`, as their callers answer synchronously (a config_save_dir pre-reload dump must
 * be written before the reload applies).
 */
function dumps(): typeof import("./dumps") {
  return require("./dumps") as typeof import("./dumps");
}

/** sd_notify, when started by systemd (Type=notify); a failure is logged, never fatal. */
function notifySystemd(log: Logger, state: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  try {
    sdNotify(state);
  } catch (e) {
    log.warn(`sd_notify: ${(e as Error).message}`);
  }
}
