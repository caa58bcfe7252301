/**
 * `keel -n -f FILE` / `keel --daemon`: the headless daemon. Loads nothing itself (the
 * CLI hands over a checked config), starts the VRRP driver on the Linux kernel, and
 * handles keepalived's signals: TERM/INT stop (priority-0 adverts, VIPs removed, exit 0).
 */
import type { Logger } from "pino";
import { sdNotify } from "../../native-bindings/unix-dgram";
import pkg from "../../package.json";
import type { KeelConfig } from "../config/model";
import { type Diagnostic, formatDiagnostic } from "../config/diagnostics";
import type { Kernel } from "./kernel";
import { clearStats, statsJson, writeData, writeJson, writeStats } from "./dumps";
import { onSignal } from "../../native-bindings/signals";
import { SIGNUMS } from "../args";
import { ControlServer } from "./control";
import { type TrackResults, statusOf } from "./status";
import { secureScripts } from "./script-security";
import { ExternalTrackers } from "./trackers";
import type { TrackChange } from "../vrrp/track-board";
import { renderMetrics, serveMetrics } from "./metrics";
import { DEFAULT_CONTROL_SOCKET, type Event } from "../control/protocol";
import { DEFAULT_PID_FILE, DEFAULT_VRRP_PID_FILE, acquirePidFiles } from "./pidfile";
import { Notifier } from "./notify";
import { VrrpScriptRunner } from "./scripts";
import { VrrpDriver } from "./vrrp-driver";
import { CheckerLink } from "./checker-link";
import type { Ipvs } from "../../native-bindings/ipvs";
import { openIpvsControl } from "./ipvs-port";
import { VrrpSyncDaemon } from "./lvs-globals";

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
  /** --control-socket (default /run/keel/keel.sock) */
  controlSocket?: string;
  /** --metrics ADDR:PORT (off by default) */
  metrics?: string;
  /** -P: VRRP only (no checker process); -C: checkers only (no VRRP instance runs) */
  vrrpOnly?: boolean;
  checkOnly?: boolean;
  /** -R: a dead checker process is not started again */
  dontRespawn?: boolean;
  /** read and check the configuration again (SIGHUP) */
  load?: () => { config: KeelConfig; diagnostics: { items: Diagnostic[]; errorCount: number } };
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

/** Runs until a stop signal; resolves with the exit status. */
export async function runDaemon(given: DaemonOptions): Promise<number> {
  const { log } = given;
  // enable_script_security / script_user: insecure scripts are taken out before anything runs
  const o = { ...given, config: secureScripts(given.config, log) };
  // -C: keepalived runs no VRRP child; keel keeps one process and gives it no instance
  const vrrpPart = (c: KeelConfig): KeelConfig => (o.checkOnly ? { ...c, vrrpInstances: {}, vrrpSyncGroups: {} } : c);
  log.info(`Starting Keel v${pkg.version}`);
  log.info(`Command line: ${o.argv.map((a) => `'${a}'`).join(" ")}`);
  log.info(`Configuration file ${o.configFile}`);
  // a stop signal during start-up is kept and acted on once the daemon can stop cleanly
  // (their default action would kill it with the VIPs half set up)
  let earlyStop: string | undefined;
  const early = (sig: string) => () => {
    earlyStop ??= sig;
  };
  const earlyTerm = early("SIGTERM");
  const earlyInt = early("SIGINT");
  process.on("SIGTERM", earlyTerm);
  process.on("SIGINT", earlyInt);
  const pids = acquirePidFiles([o.pidFile ?? DEFAULT_PID_FILE, o.vrrpPidFile ?? DEFAULT_VRRP_PID_FILE]);
  if ("error" in pids) {
    log.error(pids.error);
    return 1;
  }

  let kernel: Kernel;
  try {
    kernel = o.kernel ?? new (await import("./kernel-linux")).LinuxKernel();
  } catch (e) {
    log.error(`cannot open the kernel interfaces (netlink): ${(e as Error).message}`);
    pids.release();
    return 1;
  }
  let driver: VrrpDriver;
  let checkers: CheckerLink | undefined;
  let scripts: VrrpScriptRunner | undefined;
  let trackers: ExternalTrackers | undefined;
  const trackReport = (c: TrackChange) => {
    controlEvent({ event: "track", at: Date.now(), kind: c.kind, name: c.name, ok: "up" in c ? c.up : undefined, value: "value" in c ? c.value : undefined });
    trackResults.set(`${c.kind}:${c.name}`, { ok: "up" in c ? c.up : undefined, value: "value" in c ? c.value : undefined, at: Date.now() });
    driver.track(c);
  };
  let control: ControlServer | undefined;
  let controlEvent: (e: Event) => void = () => {};
  let reloadImpl: () => { ok: boolean; errors: string[] } = () => ({ ok: false, errors: ["not started"] });
  const reload = () => reloadImpl();
  const startedAt = Date.now();
  let currentConfig = o.config;
  const lastTransition = new Map<string, { at: number; from: string; to: string; reason: string }>();
  const trackResults: TrackResults = new Map();
  const notifier = new Notifier(o.config, log);
  // lvs_sync_daemon tied to a vrrp_instance: the sync daemon's role follows that instance
  let syncd: VrrpSyncDaemon | undefined;
  let syncdIpvs: Ipvs | undefined;
  const ensureSyncd = (c: KeelConfig) => {
    if (syncd) return syncd.reload(c);
    if (o.checkOnly || !VrrpSyncDaemon.wanted(c)) return;
    try {
      syncdIpvs = openIpvsControl();
      syncd = new VrrpSyncDaemon(syncdIpvs, log, c);
    } catch (e) {
      log.error(`IPVS: lvs_sync_daemon: ${(e as Error).message}; the connection sync daemon is not started (VRRP is not affected)`);
    }
  };
  try {
    notifier.start();
    ensureSyncd(o.config);
    const onEvent = (e: Event) => {
      if (e.event === "transition") {
        lastTransition.set(e.instance, { at: e.at, from: e.from, to: e.to, reason: e.reason });
        syncd?.transition(e.instance, e.to);
      }
      if (e.event === "track" && e.kind === "script") trackResults.set(`script:${e.name}`, { ok: e.ok, code: e.code, ms: e.ms, at: e.at });
      control?.broadcast(e);
    };
    controlEvent = onEvent;
    driver = new VrrpDriver({ config: vrrpPart(o.config), kernel, log, dontReleaseVrrp: o.dontReleaseVrrp, onNotify: (n) => notifier.notify(n), onEvent });
    const d = driver;
    control = new ControlServer(
      o.controlSocket ?? DEFAULT_CONTROL_SOCKET,
      {
        status: () => {
          const st = statusOf(d, o.configFile, startedAt, lastTransition, trackResults);
          if (checkers) {
            st.virtualServers = checkers.virtualServers;
            st.lvs = checkers.lvs ?? { available: false, error: "the checker process has not reported yet" };
          }
          return st;
        },
        garp: (name) => {
          if (!d.router.instances.has(name)) return `no instance ${name}`;
          d.sendGarp(name);
          return undefined;
        },
        dump: () => JSON.parse(statsJson(d.router, d.dropped)),
        reload: () => reload(),
      },
      log,
    );
    control.start();
    driver.start();
    if (!o.vrrpOnly && o.config.virtualServers.length > 0) {
      checkers = new CheckerLink({ argv: o.argv.slice(1), log, onEvent, dontRespawn: o.dontRespawn });
      checkers.start();
    }
    scripts = new VrrpScriptRunner(o.config, log, (r) => {
      onEvent({ event: "track", at: Date.now(), kind: "script", name: r.name, ok: r.ok, code: r.code, ms: r.ms });
      d.track({ kind: "script", name: r.name, ok: r.ok });
    });
    scripts.start();
    trackers = new ExternalTrackers(o.config, log, trackReport);
    trackers.start();
  } catch (e) {
    const err = e as Error & { code?: string };
    const hint = err.code === "EPERM" ? " (raw sockets and netlink changes need root or CAP_NET_RAW + CAP_NET_ADMIN)" : "";
    log.error(`cannot start: ${err.message}${hint}`);
    control?.stop();
    kernel.close();
    pids.release();
    return 1;
  }
  let metrics: { stop(): void } | undefined;
  if (o.metrics) {
    try {
      metrics = serveMetrics(o.metrics, () =>
        renderMetrics(
          driver,
          scripts && { status: (n) => scripts?.status(n), running: (n) => scripts?.isRunning(n) ?? false, names: () => scripts?.tracked().map((x) => x.name) ?? [] },
          checkers?.virtualServers,
        ),
      );
      log.info(`Serving metrics on http://${o.metrics}/metrics`);
    } catch (e) {
      log.error(`cannot serve metrics on ${o.metrics}: ${(e as Error).message}`);
    }
  }

  /**
   * keepalived's reload: read and check everything first; with any error, log every
   * diagnostic and keep running the old configuration untouched.
   */
  reloadImpl = (): { ok: boolean; errors: string[] } => {
    log.info("Reloading ...");
    // systemd: RELOADING=1 with the monotonic time, READY=1 when done (either way)
    notifySystemd(log, `RELOADING=1\nMONOTONIC_USEC=${Math.round(Number(process.hrtime.bigint() / 1000n))}`);
    const res = reloadConfig();
    notifySystemd(log, "READY=1");
    return res;
  };
  const reloadConfig = (): { ok: boolean; errors: string[] } => {
    if (!o.load) {
      log.error("Reload failed: no configuration source");
      return { ok: false, errors: ["no configuration source"] };
    }
    const r = o.load();
    for (const d of r.diagnostics.items) log[d.severity === "error" ? "error" : "warn"](formatDiagnostic(d));
    if (r.diagnostics.errorCount > 0) {
      log.error(`Reload failed: ${r.diagnostics.errorCount} error(s) in ${o.configFile}; keeping the running configuration`);
      return { ok: false, errors: r.diagnostics.items.filter((d) => d.severity === "error").map(formatDiagnostic) };
    }
    scripts?.stop();
    r.config = secureScripts(r.config, log);
    notifier.setConfig(r.config);
    ensureSyncd(r.config);
    driver.reload(vrrpPart(r.config));
    if (checkers) checkers.reload();
    else if (!o.vrrpOnly && r.config.virtualServers.length > 0) {
      checkers = new CheckerLink({ argv: o.argv.slice(1), log, onEvent: controlEvent, dontRespawn: o.dontRespawn });
      checkers.start();
    }
    currentConfig = r.config;
    const d = driver;
    scripts = new VrrpScriptRunner(r.config, log, (res) => {
      controlEvent({ event: "track", at: Date.now(), kind: "script", name: res.name, ok: res.ok, code: res.code, ms: res.ms });
      d.track({ kind: "script", name: res.name, ok: res.ok });
    });
    scripts.start();
    trackers?.stop();
    trackers = new ExternalTrackers(r.config, log, trackReport);
    trackers.start();
    log.info("Reload complete");
    return { ok: true, errors: [] };
  };

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      notifySystemd(log, "STOPPING=1");
      log.info({ event: "stop", signal }, "Stopping");
      // the checker process stops in parallel with VRRP (it removes its IPVS services)
      const checkersDone = checkers?.stop() ?? Promise.resolve();
      try {
        scripts?.stop();
        trackers?.stop();
        metrics?.stop();
        syncd?.stop();
        syncdIpvs?.close();
        driver.stop();
        control?.stop();
      } finally {
        kernel.close();
        notifier.stop();
        pids.release();
      }
      const u = process.cpuUsage();
      log.info(`Stopped - used ${(u.user / 1e6).toFixed(6)} user time, ${(u.system / 1e6).toFixed(6)} system time`);
      log.info(`Stopped Keel v${pkg.version}`);
      for (const s of handled) process.off(s, handlers[s] as () => void);
      void checkersDone.then(() => resolve(0));
    };
    // keepalived's signals; the ones the daemon issue gives meaning to (HUP reload, USR1
    // data, USR2 stats) must not kill the process meanwhile (their default action)
    const handlers: Record<string, () => void> = {
      SIGTERM: () => stop("SIGTERM"),
      SIGINT: () => stop("SIGINT"),
      SIGHUP: () => {
        reload();
      },
      SIGUSR1: () => {
        try {
          writeData(driver.router, (n) => lastTransition.get(n)?.at, currentConfig);
          log.info("Printing VRRP data on signal");
        } catch (e) {
          log.error(`cannot write the data file: ${(e as Error).message}`);
        }
      },
      SIGUSR2: () => {
        // the file is complete before the line that announces it (tests and tools wait on it)
        try {
          writeStats(driver.router, driver.dropped);
          log.info("Printing VRRP stats on signal");
        } catch (e) {
          log.error(`cannot write the stats file: ${(e as Error).message}`);
        }
      },
    };
    // keepalived's real-time signals: JSON dump (SIGRTMIN+2) and STATS_CLEAR (SIGRTMAX-1)
    try {
      onSignal(SIGNUMS.JSON as number, () => {
        try {
          writeJson(driver.router, (n) => lastTransition.get(n)?.at, currentConfig);
          log.info("Printing VRRP as json on signal");
        } catch (e) {
          log.error(`cannot write the json file: ${(e as Error).message}`);
        }
      });
      onSignal(SIGNUMS.STATS_CLEAR as number, () => {
        clearStats(driver.router);
        log.info("Clearing VRRP stats on signal");
      });
    } catch (e) {
      log.warn(`the JSON and STATS_CLEAR signals are not available: ${(e as Error).message}`);
    }
    const handled = Object.keys(handlers) as NodeJS.Signals[];
    for (const s of handled) process.on(s, handlers[s] as () => void);
    process.off("SIGTERM", earlyTerm);
    process.off("SIGINT", earlyInt);
    // only now, with every handler in place: a SIGTERM right after this line is a clean stop
    log.info("Startup complete");
    notifySystemd(log, `READY=1\nSTATUS=${Object.keys(o.config.vrrpInstances).length} VRRP instance(s)\nMAINPID=${process.pid}`);
    if (earlyStop) stop(earlyStop);
  });
}
