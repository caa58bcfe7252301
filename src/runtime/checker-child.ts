/**
 * The checker process (keepalived's healthchecker child): `keel` re-executed by the
 * daemon with KEEL_CHILD=checker and the same flags. It reads the configuration itself,
 * runs every checker and programs IPVS, and reports to the VRRP process over Bun's IPC
 * channel: status snapshots (at most 4 a second) and events, which the daemon serves on
 * its control socket. Checker load therefore never delays an advert: it runs on another
 * process (bench/runtime/checker-load.ts measures it).
 *
 * Parent → child: {type: "reload"} | {type: "stop"}. Child → parent: {type: "status",
 * virtualServers, lvs} | {type: "event", event}. The child stops when the channel closes
 * (the daemon died) or on SIGTERM, removing its IPVS services unless -I.
 */
import type { Logger } from "pino";
import type { Diagnostic } from "../config/diagnostics";
import type { KeelConfig } from "../config/model";
import type { Event, VirtualServerStatus } from "../control/protocol";
import { CheckerDriver } from "./checker-driver";
import { openIpvs } from "./ipvs-port";
import { CheckerLvsGlobals } from "./lvs-globals";
import { ExternalTrackers } from "./trackers";

export type ToChild = { type: "reload" } | { type: "stop" };
export type FromChild =
  | { type: "status"; virtualServers: VirtualServerStatus[]; lvs: { available: boolean; error?: string } }
  | { type: "event"; event: Event };

export interface CheckerChildOptions {
  config: KeelConfig;
  log: Logger;
  dontReleaseIpvs?: boolean;
  load: () => { config: KeelConfig; diagnostics: { items: Diagnostic[]; errorCount: number } };
}

export async function runCheckerChild(o: CheckerChildOptions): Promise<number> {
  const send = (m: FromChild) => {
    try {
      process.send?.(m);
    } catch {
      // the daemon is gone; the disconnect handler stops us
    }
  };
  const { log } = o;
  log.info("Starting Healthcheck child process");
  const opened = await openIpvs();
  const lvs = "port" in opened ? { available: true } : { available: false, error: opened.error };
  if ("version" in opened) log.info(`IPVS ${opened.version} through generic netlink`);
  else log.error(`IPVS: ${opened.error}; the virtual servers are health-checked but not programmed (VRRP is not affected)`);
  const ipvs = "port" in opened ? opened.port : undefined;

  // ha_suspend: which service addresses are on this host (the VIPs of a MASTER)
  let addresses = new Set<string>();
  let watcher: { close(): void } | undefined;
  let driver: CheckerDriver;
  const wantsAddresses = (c: KeelConfig) => c.virtualServers.some((vs) => vs.haSuspend);
  const watchAddresses = async () => {
    if (watcher || !wantsAddresses(o.config)) return;
    const { Rtnl, watchRtnl } = await import("../../native-bindings/netlink");
    const resync = () => {
      const r = Rtnl.open();
      try {
        addresses = new Set(r.listAddresses().map((a) => a.address));
      } finally {
        r.close();
      }
    };
    resync();
    watcher = watchRtnl((e) => {
      if (e.type === "overrun") resync();
      else if (e.type === "addr") {
        if (e.action === "new") addresses.add(e.addr.address);
        else addresses.delete(e.addr.address);
      } else return;
      driver?.addressChanged();
      dirty();
    });
  };
  await watchAddresses();

  let pending: ReturnType<typeof setTimeout> | undefined;
  let countersAt = 0;
  const snapshot = () => {
    pending = undefined;
    // IPVS's estimator updates every 2 s; once a second is enough to follow it
    if (performance.now() - countersAt >= 1000) {
      countersAt = performance.now();
      driver.refreshCounters();
    }
    send({ type: "status", virtualServers: driver.status(), lvs });
  };
  const dirty = () => {
    pending ??= setTimeout(snapshot, 250);
  };
  const onEvent = (event: Event) => {
    send({ type: "event", event });
    dirty();
  };
  driver = new CheckerDriver({ config: o.config, log, ipvs, dontReleaseIpvs: o.dontReleaseIpvs, onEvent, hasAddress: (ip) => addresses.has(ip) });
  const fileTrackers = (c: KeelConfig) =>
    new ExternalTrackers({ ...c, vrrpTrackProcesses: {} }, log, (ch) => {
      if (ch.kind === "file" && "value" in ch && typeof ch.value === "number") driver.trackFile(ch.name, ch.value);
    });
  let trackers = fileTrackers(o.config);
  const globals = ipvs ? new CheckerLvsGlobals(ipvs, log) : undefined;
  globals?.apply(o.config);
  driver.start();
  trackers.start();
  snapshot();
  const tick = setInterval(snapshot, 1000);

  return await new Promise<number>((resolve) => {
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(tick);
      if (pending) clearTimeout(pending);
      trackers.stop();
      watcher?.close();
      driver.stop();
      globals?.stop();
      ipvs?.close();
      log.info("Stopped Healthcheck child process");
      resolve(0);
    };
    const reload = () => {
      const r = o.load();
      if (r.diagnostics.errorCount > 0) {
        // the daemon checked it first; a file changed in between keeps the running pool
        log.error(`Reload of the checkers failed: ${r.diagnostics.errorCount} error(s); keeping the running configuration`);
        return;
      }
      o.config = r.config;
      trackers.stop();
      globals?.apply(r.config);
      driver.reload(r.config);
      trackers = fileTrackers(r.config);
      trackers.start();
      void watchAddresses();
      dirty();
    };
    process.on("message", (m: ToChild) => {
      if (m.type === "stop") stop();
      else if (m.type === "reload") reload();
    });
    process.on("disconnect", stop);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("SIGHUP", reload);
  });
}
