/**
 * The reload transaction (SIGHUP, `keel reload`), in the manner of systemd's unit reload
 * and nginx's config test before swap, and of keepalived's reload (read and check
 * everything first; with any error keep running the old configuration untouched):
 *
 *  1. read: load and check the configuration; any error diagnostic refuses the reload.
 *     Past it, keepalived's VRRP child's "Reloading" (reload_vrrp_thread).
 *  2. prepare: build every new part (the VRRP driver's plan, the script runner, the
 *     trackers) without touching a running one. A throw refuses the reload.
 *  3. commit the VRRP driver: its fallible kernel steps (new VMACs, new sockets) run
 *     first and are undone if one fails: the reload is refused and the old instances,
 *     scripts and trackers run on. A throw later, inside its swap, leaves the engine in
 *     a state nobody can vouch for: the `vrrp` part's policy (stop, exit status 70).
 *  4. swap the rest (scripts, trackers, notify, checkers, sync daemon), each on its own:
 *     the new configuration is running; what failed is reported.
 *
 * Every outcome is logged in full, returned to the `reload` command, kept for `status`
 * and sent to subscribers as a `reload` event (the daemon does those last two).
 */
import type { Logger } from "./log";
import type { ReloadStatus } from "../control/protocol";
import type { KeelConfig } from "../config/model";
import { type Faults, stackOf } from "./daemon-faults";
import type { ReloadResult } from "./vrrp-driver";

export interface ReloadSteps<P> {
  /** load and check; every diagnostic is logged; errors refuse the reload */
  read(): { config: KeelConfig } | { errors: string[] };
  /** build the new parts; starts nothing, touches nothing running */
  prepare(config: KeelConfig): P;
  /** VrrpDriver.commitReload */
  commitDriver(p: P): ReloadResult;
  /** swap in the other parts; returns what failed (each already logged) */
  swapRest(p: P): string[];
}

export function reloadTransaction<P>(steps: ReloadSteps<P>, log: Logger, faults: Faults): ReloadStatus {
  const at = Date.now();
  const refused = (errors: string[]): ReloadStatus => ({ at, ok: false, applied: false, errors });
  let prepared: P;
  try {
    const read = steps.read();
    if ("errors" in read) return refused(read.errors);
    // keepalived 2.2.7 vrrp_daemon.c reload_vrrp_thread: the VRRP child's "Reloading", once
    // the parent has read the new configuration and signalled it (main.c do_reload), before
    // the child's own set-up lines (script security, "Assigned address", FAULT causes)
    log.info("Reloading");
    prepared = steps.prepare(read.config);
  } catch (e) {
    // the loader and the builders report problems as data: a throw is a bug
    faults.count("reload", "reading and preparing the new configuration", e, "keeping the running configuration");
    log.error("Reload failed: internal error; keeping the running configuration");
    return refused([`internal error: ${stackOf(e)}`]);
  }
  let driver: ReloadResult;
  try {
    driver = steps.commitDriver(prepared);
  } catch (e) {
    faults.report("vrrp", "reload: swapping in the new VRRP instances", e);
    return {
      at,
      ok: false,
      applied: false,
      errors: [`internal error while swapping in the VRRP instances; keel stops: ${stackOf(e)}`],
    };
  }
  if (!driver.applied) {
    // the kernel refused a step (a VMAC, a socket): environment, not a bug; all undone
    log.error(`Reload failed: ${driver.error.message}; keeping the running configuration\n${stackOf(driver.error)}`);
    return refused([driver.error.message]);
  }
  const errors = [...driver.errors, ...steps.swapRest(prepared)];
  if (errors.length > 0) log.error(`Reload complete with ${errors.length} error(s): ${errors.join("; ")}`);
  else log.info("Reload complete");
  return { at, ok: errors.length === 0, applied: true, errors };
}
