/**
 * The BFD process (keepalived's BFD child, bfd/bfd_daemon.c): `keel` re-executed by the
 * daemon with KEEL_CHILD=bfd and the same flags. It reads the configuration itself, runs
 * every session (src/runtime/bfd-driver.ts) with the bfd_* process settings (real-time
 * priority, nice, CPU affinity, mlockall, RLIMIT_RTTIME: start_bfd), so neither VRRP's
 * work (a MASTER's VIPs and GARPs) nor a checker can delay a packet, and tells the daemon
 * over Bun's IPC channel what keepalived writes to its event pipes.
 *
 * Parent → child: {type: "reload"} | {type: "stop"}. Child → parent: {type: "track", name,
 * up} (bfd_vrrp_event_pipe: VRRP's track_bfd), {type: "checker", name, up}
 * (bfd_checker_event_pipe: BFD_CHECK), {type: "checker-states", states} (every session's
 * state, at start and after a reload, as bfd_register_workers sends them), {type:
 * "event", event, sessions} (a transition, with the sessions as they are after it: sent
 * before the log line, so a status asked after the line has it) and {type: "status",
 * sessions, unmatched} once a second and before each "Detection time is" line. On "stop" or SIGTERM it sends AdminDown to its peers
 * (RFC 5880 6.8.16) and ends; when the channel closes without a stop (the daemon was
 * killed) it ends silently, as its host would look to the peers.
 */
import type { Diagnostic } from "../config/diagnostics";
import type { KeelConfig } from "../config/model";
import { type BfdEvent, BfdDriver, type BfdSessionStatus } from "./bfd-driver";
import type { Logger } from "./log";
import { ProcessIdentity } from "./process-identity";
import { ORIGIN_ENV, ProcessScheduling, settingsFor } from "./process-settings";

export type ToBfd = { type: "reload" } | { type: "stop" };
export type FromBfd =
  | { type: "track"; name: string; up: boolean }
  | { type: "checker"; name: string; up: boolean }
  | { type: "checker-states"; states: { name: string; up: boolean }[] }
  | { type: "event"; event: BfdEvent; sessions: BfdSessionStatus[] }
  | { type: "status"; sessions: BfdSessionStatus[]; unmatched: Record<string, number> };

export interface BfdChildOptions {
  config: KeelConfig;
  log: Logger;
  load: () => { config: KeelConfig; diagnostics: { items: Diagnostic[]; errorCount: number } };
}

function send(m: FromBfd): void {
  try {
    process.send?.(m);
  } catch {
    // the daemon is gone; the disconnect handler stops us
  }
}

export async function runBfdChild(o: BfdChildOptions): Promise<number> {
  const { log } = o;
  log.info("Starting BFD child process");
  const sched = new ProcessScheduling("bfd", log, process.env[ORIGIN_ENV]);
  sched.apply(settingsFor("bfd", o.config.globalDefs));
  const identity = new ProcessIdentity("bfd", log);
  identity.apply(o.config.globalDefs);
  const { linuxBfdNet } = await import("./bfd-net");
  let driver: BfdDriver | undefined;
  const d = new BfdDriver(o.config, {
    net: linuxBfdNet,
    log,
    report: (c) => {
      if (c.kind === "bfd") send({ type: "track", name: c.name, up: c.up });
    },
    onChecker: (name, up) => send({ type: "checker", name, up }),
    onEvent: (event) => send({ type: "event", event, sessions: driver?.status() ?? [] }),
    beforeLog: () => status(),
  });
  driver = d;
  function status(): void {
    if (driver) send({ type: "status", sessions: driver.status(), unmatched: { ...driver.unmatched } });
  }
  d.start();
  send({ type: "checker-states", states: d.checkerStates() });
  status();
  const tick = setInterval(status, 1000);

  return await new Promise<number>((resolve) => {
    let stopped = false;
    const stop = (adminDown = true) => {
      if (stopped) return;
      stopped = true;
      clearInterval(tick);
      d.stop(adminDown);
      sched.stop();
      log.info("Stopped BFD child process");
      resolve(0);
    };
    const reload = () => {
      const r = o.load();
      if (r.diagnostics.errorCount > 0) {
        // the daemon checked it first; a file changed in between keeps the running sessions
        log.error(`Reload of the BFD sessions failed: ${r.diagnostics.errorCount} error(s); keeping them`);
        return;
      }
      // reload_bfd_thread: reset_process_priorities, then the new settings
      sched.reset();
      sched.apply(settingsFor("bfd", r.config.globalDefs));
      identity.apply(r.config.globalDefs);
      d.reload(r.config);
      send({ type: "checker-states", states: d.checkerStates() });
      status();
    };
    process.on("message", (m: ToBfd) => {
      if (m.type === "stop") stop();
      else if (m.type === "reload") reload();
    });
    // the daemon died without a stop (SIGKILL, a crash): end as its host would look to the
    // peers, silent, so they detect it (keepalived's PR_SET_PDEATHSIG then stop_bfd)
    process.on("disconnect", () => stop(false));
    process.on("SIGTERM", () => stop());
    process.on("SIGINT", () => stop());
    process.on("SIGHUP", reload);
  });
}
