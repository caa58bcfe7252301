/**
 * The checker process (keepalived's healthchecker child): `keel` re-executed by the
 * daemon with KEEL_CHILD=checker and the same flags. It reads the configuration itself,
 * runs every checker and programs IPVS, and reports to the VRRP process over Bun's IPC
 * channel: status snapshots (at most 4 a second) and events, which the daemon serves on
 * its control socket. Checker load therefore never delays an advert: it runs on another
 * process (bench/runtime/checker-load.ts measures it).
 *
 * Parent → child: {type: "reload"} | {type: "stop"} | {type: "rs", request} (keel rs) | {type: "bfd", name, up}
 * (a BFD session's state for BFD_CHECK, keepalived's bfd_checker_event_pipe). Child → parent: {type: "status",
 * virtualServers, lvs} | {type: "event", event} | {type: "listening"} (its message handler is in place: the
 * daemon answers with every BFD session's state, as keepalived's BFD process writes them at its start). The child stops when the channel closes
 * (the daemon died) or on SIGTERM, removing its IPVS services unless -I.
 */
import type { Logger } from "./log";
import type { Diagnostic } from "../config/diagnostics";
import type { KeelConfig } from "../config/model";
import type { Event, VirtualServerStatus } from "../control/protocol";
import { CheckerDriver } from "./checker-driver";
import { type IpvsPort, openIpvs } from "./ipvs-port";
import { openNftPort } from "./nft-port";
import { CheckerLvsGlobals } from "./lvs-globals";
import { ORIGIN_ENV, ProcessScheduling, settingsFor } from "./process-settings";
import { ProcessIdentity } from "./process-identity";
import type { RsRequest } from "./rs-names";
import { ExternalTrackers } from "./trackers";
import { netlinkBufs } from "./rx-bufs";

export type ToChild =
  | { type: "reload" }
  | { type: "stop" }
  | { type: "rs"; request: RsRequest }
  | { type: "bfd"; name: string; up: boolean };
export type FromChild =
  | { type: "status"; virtualServers: VirtualServerStatus[]; lvs: { available: boolean; error?: string } }
  | { type: "event"; event: Event }
  | { type: "listening" };

export interface CheckerChildOptions {
  config: KeelConfig;
  log: Logger;
  dontReleaseIpvs?: boolean;
  load: () => { config: KeelConfig; diagnostics: { items: Diagnostic[]; errorCount: number } };
}

export async function runCheckerChild(o: CheckerChildOptions): Promise<number> {
  const { log } = o;
  log.info("Starting Healthcheck child process");
  const { ipvs, lvs } = await openLvs(log, o.config.netNamespaceIpvs);
  let driver: CheckerDriver | undefined;
  const reporter = new Reporter(lvs, () => driver);
  // ha_suspend: which service addresses are on this host (the VIPs of a MASTER)
  const addresses = new AddressWatch(() => {
    driver?.addressChanged();
    reporter.dirty();
  });
  await addresses.watch(o.config);
  const onEvent = (event: Event) => {
    send({ type: "event", event });
    reporter.dirty();
  };
  const hasAddress = (ip: string) => addresses.has(ip);
  const d = new CheckerDriver({
    config: o.config,
    log,
    ipvs,
    dontReleaseIpvs: o.dontReleaseIpvs,
    onEvent,
    hasAddress,
    nft: openNftPort,
  });
  driver = d;
  const fileTrackers = (c: KeelConfig) =>
    new ExternalTrackers({ ...c, vrrpTrackProcesses: {} }, log, (ch) => {
      if (ch.kind === "file" && "value" in ch && typeof ch.value === "number") d.trackFile(ch.name, ch.value);
    });
  let trackers = fileTrackers(o.config);
  const globals = ipvs ? new CheckerLvsGlobals(ipvs, log) : undefined;
  globals?.apply(o.config);
  // check_daemon.c start_check: checker_rt_priority, checker_no_swap, ... on this process
  const sched = new ProcessScheduling("checker", log, process.env[ORIGIN_ENV]);
  sched.apply(settingsFor("checker", o.config.globalDefs));
  // check_daemon.c start_check: checker_process_name
  const identity = new ProcessIdentity("checker", log);
  identity.apply(o.config.globalDefs);
  d.start();
  trackers.start();
  reporter.start();

  return await new Promise<number>((resolve) => {
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      reporter.stop();
      trackers.stop();
      addresses.close();
      d.stop();
      globals?.stop();
      sched.stop();
      ipvs?.close();
      log.info("Stopped Healthcheck child process");
      resolve(0);
    };
    const reload = () => {
      const r = o.load();
      if (r.diagnostics.errorCount > 0) {
        // the daemon checked it first; a file changed in between keeps the running pool
        const n = r.diagnostics.errorCount;
        log.error(`Reload of the checkers failed: ${n} error(s); keeping the running configuration`);
        return;
      }
      o.config = r.config;
      trackers.stop();
      globals?.apply(r.config);
      sched.reset();
      sched.apply(settingsFor("checker", r.config.globalDefs));
      identity.apply(r.config.globalDefs);
      d.reload(r.config);
      trackers = fileTrackers(r.config);
      trackers.start();
      void addresses.watch(r.config);
      reporter.dirty();
    };
    process.on("message", (m: ToChild) => {
      if (m.type === "stop") stop();
      else if (m.type === "reload") reload();
      else if (m.type === "rs") {
        const err = d.operate(m.request);
        if (err) log.error(`keel rs: ${err}`);
        reporter.dirty();
      } else if (m.type === "bfd") {
        d.bfdState(m.name, m.up);
        reporter.dirty();
      }
    });
    send({ type: "listening" });
    process.on("disconnect", stop);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("SIGHUP", reload);
  });
}

function send(m: FromChild): void {
  try {
    process.send?.(m);
  } catch {
    // the daemon is gone; the disconnect handler stops us
  }
}

type LvsState = { available: boolean; error?: string };

/** IPVS through generic netlink, or one clear error: the checkers run either way. */
async function openLvs(log: Logger, netns: string | undefined): Promise<{ ipvs?: IpvsPort; lvs: LvsState }> {
  const opened = await openIpvs(netns);
  if ("port" in opened) {
    log.info(`IPVS ${opened.version} through generic netlink`);
    return { ipvs: opened.port, lvs: { available: true } };
  }
  log.error(`IPVS: ${opened.error}; the virtual servers are health-checked but not programmed (VRRP is not affected)`);
  return { lvs: { available: false, error: opened.error } };
}

/** Status snapshots to the daemon: once a second, and 250 ms after a change (at most 4 a second). */
class Reporter {
  private pending?: ReturnType<typeof setTimeout>;
  private tick?: ReturnType<typeof setInterval>;
  private countersAt = 0;

  constructor(
    private readonly lvs: LvsState,
    private readonly driver: () => CheckerDriver | undefined,
  ) {}

  start(): void {
    this.snapshot();
    this.tick = setInterval(() => this.snapshot(), 1000);
  }

  dirty(): void {
    this.pending ??= setTimeout(() => this.snapshot(), 250);
  }

  stop(): void {
    clearInterval(this.tick);
    if (this.pending) clearTimeout(this.pending);
  }

  private snapshot(): void {
    this.pending = undefined;
    const driver = this.driver();
    if (!driver) return;
    // IPVS's estimator updates every 2 s; once a second is enough to follow it
    if (performance.now() - this.countersAt >= 1000) {
      this.countersAt = performance.now();
      driver.refreshCounters();
    }
    send({ type: "status", virtualServers: driver.status(), lvs: this.lvs });
  }
}

/** The addresses on this host, followed through rtnetlink once a virtual server has ha_suspend. */
class AddressWatch {
  private addresses = new Set<string>();
  private watcher?: { close(): void };

  constructor(private readonly changed: () => void) {}

  has(ip: string): boolean {
    return this.addresses.has(ip);
  }

  async watch(config: KeelConfig): Promise<void> {
    if (this.watcher || !config.virtualServers.some((vs) => vs.haSuspend)) return;
    const { Rtnl, watchRtnl } = await import("../../native-bindings/netlink");
    // keepalived's checker process sizes its netlink sockets with lvs_netlink_*_rcv_bufs
    const bufs = netlinkBufs(config.globalDefs, "lvs");
    const resync = () => {
      const r = Rtnl.open(bufs.cmd);
      try {
        this.addresses = new Set(r.listAddresses().map((a) => a.address));
      } finally {
        r.close();
      }
    };
    resync();
    this.watcher = watchRtnl((e) => {
      if (e.type === "overrun") resync();
      else if (e.type === "addr") {
        if (e.action === "new") this.addresses.add(e.addr.address);
        else this.addresses.delete(e.addr.address);
      } else return;
      this.changed();
    }, bufs.monitor);
  }

  close(): void {
    this.watcher?.close();
  }
}
