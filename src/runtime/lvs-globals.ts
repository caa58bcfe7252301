/**
 * global_defs lvs_timeouts and lvs_sync_daemon, applied as keepalived 2.2.7 applies them:
 *
 * - lvs_timeouts (check_daemon.c start_check, ipvswrapper.c ipvs_set_timeouts): the checker
 *   process sets them at start and on reload; the values IPVS had before keel first
 *   changed them come back at stop, or on a reload that drops lvs_timeouts.
 * - lvs_sync_daemon without a vrrp_instance (checker_ipvs_syncd_needed): the checker
 *   process runs both the master and the backup daemon, restarted when the settings change,
 *   stopped at exit.
 * - lvs_sync_daemon with a vrrp_instance (vrrp.c, vrrp_scheduler.c): the VRRP side runs the
 *   daemon whose role matches the instance: backup from the start, master on becoming
 *   MASTER (the backup one stopped first), backup again on leaving MASTER, stopped at exit.
 *   syncid defaults to the instance's VRID.
 */
import type { Logger } from "./log";
import type { IpvsSyncDaemon, IpvsTimeouts } from "../../native-bindings/ipvs";
import type { LvsSyncDaemon, LvsTimeouts } from "../config/global/model";
import type { KeelConfig } from "../config/model";
import { lvsSyncDaemonOf } from "../config/vrrp/lvs-syncd";

/** What these need from IPVS (native-bindings/ipvs's Ipvs has it). */
export interface IpvsControl {
  setTimeouts(t: IpvsTimeouts): void;
  timeouts(): IpvsTimeouts;
  startDaemon(d: IpvsSyncDaemon): void;
  stopDaemon(state: IpvsSyncDaemon["state"]): void;
}

type Role = IpvsSyncDaemon["state"];

export function syncDaemonOf(c: LvsSyncDaemon, state: Role, syncId: number): IpvsSyncDaemon {
  const d: IpvsSyncDaemon = { state, interface: c.interface, syncId: c.syncId ?? syncId };
  if (c.maxLen !== undefined) d.maxLen = c.maxLen;
  if (c.port !== undefined) d.port = c.port;
  if (c.ttl !== undefined) d.ttl = c.ttl;
  if (c.group !== undefined) d.group = c.group;
  return d;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The checker process's part: timeouts, and the sync daemons when no instance drives them. */
export class CheckerLvsGlobals {
  private original: IpvsTimeouts | undefined;
  private syncd: LvsSyncDaemon | undefined;

  constructor(
    private readonly ipvs: IpvsControl,
    private readonly log: Logger,
  ) {}

  apply(config: KeelConfig): void {
    this.timeouts(config.globalDefs.lvsTimeouts);
    const syncd = lvsSyncDaemonOf(config);
    const want = syncd && !syncd.vrrpInstance ? syncd : undefined;
    if (same(want, this.syncd)) return;
    // keepalived stops whatever may run (a previous keepalived that died, or the old settings) before starting
    this.stopDaemons(true);
    this.syncd = want;
    if (!want) return;
    for (const role of ["master", "backup"] as const)
      this.call(`start the ${role} sync daemon`, () => this.ipvs.startDaemon(syncDaemonOf(want, role, 0)));
  }

  stop(): void {
    if (this.syncd) this.stopDaemons(true);
    this.syncd = undefined;
    this.timeouts(undefined);
  }

  private timeouts(t: LvsTimeouts | undefined): void {
    if (t && (t.tcp || t.tcpFin || t.udp)) {
      if (!this.original) {
        try {
          this.original = this.ipvs.timeouts();
        } catch (e) {
          this.log.error(`IPVS: cannot read the timeouts: ${(e as Error).message}`);
        }
      }
      this.call(
        "set the timeouts",
        () => this.ipvs.setTimeouts({ tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 }),
        "Failed to set ipvs timeouts",
      );
    } else if (this.original) {
      const o = this.original;
      this.original = undefined;
      this.call("restore the timeouts", () => this.ipvs.setTimeouts(o), "Failed to set ipvs timeouts");
    }
  }

  private stopDaemons(quiet: boolean): void {
    for (const role of ["master", "backup"] as const)
      this.call(`stop the ${role} sync daemon`, () => this.ipvs.stopDaemon(role), undefined, quiet);
  }

  private call(what: string, f: () => void, line?: string, quiet = false): void {
    try {
      f();
    } catch (e) {
      if (!quiet)
        this.log.error(line ? `${line}: ${(e as Error).message}` : `IPVS: cannot ${what}: ${(e as Error).message}`);
    }
  }
}

/** The VRRP side's part: the sync daemon's role follows one instance. */
export class VrrpSyncDaemon {
  private running: Role | undefined;
  private cfg: { syncd: LvsSyncDaemon; vrid: number } | undefined;
  private state = "INIT";
  private stopped = false;

  constructor(
    private readonly ipvs: IpvsControl,
    private readonly log: Logger,
    config: KeelConfig,
  ) {
    this.cfg = VrrpSyncDaemon.wanted(config);
  }

  /** lvs_sync_daemon names an instance this config has (else keepalived clears it, with a warning at parse time) */
  static wanted(config: KeelConfig): { syncd: LvsSyncDaemon; vrid: number } | undefined {
    const s = lvsSyncDaemonOf(config);
    const inst = s?.vrrpInstance ? config.vrrpInstances[s.vrrpInstance] : undefined;
    return s && inst ? { syncd: s, vrid: inst.virtualRouterId } : undefined;
  }

  /** A state change of any instance (the daemon's transition events). */
  transition(instance: string, to: string): void {
    // after stop: the instances' own shutdown transitions must not start a daemon again
    if (this.stopped || !this.cfg || instance !== this.cfg.syncd.vrrpInstance) return;
    const was = this.state;
    this.state = to;
    if (to === "MASTER") this.become("master");
    else if (was === "MASTER" || this.running === undefined) this.become("backup");
  }

  reload(config: KeelConfig): void {
    const want = VrrpSyncDaemon.wanted(config);
    if (same(want, this.cfg)) return;
    if (this.cfg?.syncd.vrrpInstance !== want?.syncd.vrrpInstance) this.state = "INIT";
    this.stop(false);
    this.cfg = want;
    if (want && this.state !== "INIT") this.become(this.state === "MASTER" ? "master" : "backup");
  }

  /** At exit (final) or before a reload applies new settings. */
  stop(final = true): void {
    if (this.running)
      this.call(() => this.ipvs.stopDaemon(this.running as Role), `stop the ${this.running} sync daemon`);
    this.running = undefined;
    if (final) this.stopped = true;
  }

  private become(role: Role): void {
    if (!this.cfg || this.running === role) return;
    const cfg = this.cfg;
    if (this.running)
      this.call(() => this.ipvs.stopDaemon(this.running as Role), `stop the ${this.running} sync daemon`);
    this.running = role;
    const d = syncDaemonOf(cfg.syncd, role, cfg.vrid);
    this.call(() => {
      try {
        this.ipvs.startDaemon(d);
      } catch (e) {
        // EEXIST: one is left from a keel or keepalived that did not stop it; take it over
        if ((e as { errno?: number }).errno !== 17) throw e;
        this.ipvs.stopDaemon(role);
        this.ipvs.startDaemon(d);
      }
    }, `start the ${role} sync daemon`);
  }

  private call(f: () => void, what: string): void {
    try {
      f();
    } catch (e) {
      this.log.error(`IPVS: cannot ${what}: ${(e as Error).message}`);
    }
  }
}
