/**
 * The state of every virtual server's pool and the IPVS table that follows from it,
 * after keepalived 2.2.7's ipwrapper.c: a real server is alive while none of its
 * checkers has failed (num_failed_checkers); it is in the table with its weight while
 * alive, or with weight 0 under inhibit_on_failure; the quorum (sum of live weights
 * against quorum ± hysteresis) brings in the sorry server when lost; alpha starts the
 * checkers failed. Pure: inputs are checker results and weights, outputs are events
 * (log lines, notifies) and `desired()`, the table the runtime makes the kernel match.
 */
import type { KeelConfig } from "../config/model";
import type { RealServer, SorryServer, VirtualServer } from "../config/lvs/model";
import { effectiveWeight } from "../config/lvs/model";
import type { Script } from "../config/script";
import { autoFwmarkGroup, markKey } from "./auto-fwmark";
import { destOf, formatRs, formatVs, rsDisplayName, serviceKeys, serviceParams, vsDisplayName } from "./services";
import { type Dest, type ServiceEntry, type ServiceKey, destId } from "./table";

/** include/ip_vs.h: IPVS_WEIGHT_LIMIT; a track_file weight at or below -limit-1 is a fault */
export const IPVS_WEIGHT_LIMIT = 2147483647;
export const IPVS_WEIGHT_FAULT = -IPVS_WEIGHT_LIMIT - 1;

/** check_data.h real_weight() */
export function realWeight(w: number): number {
  return w < 0 ? 0 : w > IPVS_WEIGHT_LIMIT ? IPVS_WEIGHT_LIMIT : w;
}

export interface RsState {
  rs: RealServer;
  /** FMT_RS */
  name: string;
  /** "10.0.0.2:80" */
  display: string;
  /** configured weight (keepalived's iweight) */
  weight: number;
  effectiveWeight: number;
  numFailed: number;
  alive: boolean;
  inhibit: boolean;
  /**
   * an operator's drain (weight 0: no new connections, the open ones go on) or weight
   * (keel rs); applied while the server is in the pool, dropped by a reload (a new pool)
   */
  operator?: { action: "drain" | "weight"; weight: number; by?: string; reason?: string; at: number };
}

export interface VsState {
  vs: VirtualServer;
  /** FMT_VS */
  name: string;
  display: string;
  keys: ServiceKey[];
  /** its group's nftables_ipvs fwmark (auto-fwmark.ts), when it has one */
  autoFwmark?: number;
  rss: RsState[];
  quorumUp: boolean;
  sorry?: { server: SorryServer; alive: boolean; name: string; display: string };
}

export type LvsEvent =
  | { kind: "log"; line: string }
  /**
   * notify_up/notify_down, the FIFO's "RS rs vs UP|DOWN" line, keepalived's do_rs_notifies;
   * snmpOnly: only the SNMP trap (clear_service_rs at shutdown without omega)
   */
  | { kind: "rs-notify"; vs: VsState; rs: RsState; up: boolean; script?: Script; stopping: boolean; snmpOnly?: boolean }
  /**
   * quorum_up/quorum_down, "VS vs UP|DOWN", and the smtp alert text; snmpOnly: only the
   * SNMP trap (do_vs_notifies at shutdown without omega)
   */
  | {
      kind: "vs-notify";
      vs: VsState;
      up: boolean;
      script?: Script;
      alert: string;
      stopping: boolean;
      snmpOnly?: boolean;
    }
  /** smtp_alert for a real server removed at shutdown */
  | { kind: "rs-shutdown"; vs: VsState; rs: RsState };

export class LvsPool {
  readonly vss: VsState[];
  private events: LvsEvent[] = [];

  /** `marks`: nftables_ipvs's fwmarks by markKey(group, protocol) */
  constructor(cfg: Pick<KeelConfig, "virtualServers" | "virtualServerGroups">, marks?: ReadonlyMap<string, number>) {
    this.vss = cfg.virtualServers.map((vs) => {
      const mark =
        vs.service.kind === "group" && autoFwmarkGroup(cfg, vs)
          ? marks?.get(markKey(vs.service.group, vs.protocol ?? "UDP"))
          : undefined;
      const st: VsState = {
        vs,
        name: formatVs(vs),
        display: vsDisplayName(vs),
        keys: serviceKeys(cfg, vs, mark),
        ...(mark === undefined ? {} : { autoFwmark: mark }),
        rss: vs.realServers.map((rs) => {
          const w = effectiveWeight(vs, rs);
          return {
            rs,
            name: formatRs(vs, rs),
            display: rsDisplayName(rs.ip, rs.port),
            weight: w,
            effectiveWeight: w,
            numFailed: 0,
            alive: false,
            inhibit: rs.inhibitOnFailure ?? vs.inhibitOnFailure,
          };
        }),
        quorumUp: false,
      };
      if (vs.sorryServer)
        st.sorry = {
          server: vs.sorryServer,
          alive: false,
          name: formatRs(vs, vs.sorryServer),
          display: rsDisplayName(vs.sorryServer.ip, vs.sorryServer.port),
        };
      return st;
    });
  }

  /** Events since the last call, in order. */
  poll(): LvsEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  private log(line: string): void {
    this.events.push({ kind: "log", line });
  }

  /** Before init: a checker that starts failed (alpha), or a failing track_file (FILE_CHECK). */
  startFailed(v: number, r: number): void {
    const rs = this.rs(v, r);
    rs.numFailed++;
  }

  /** Before init: a track_file's contribution to the weight (FILE_CHECK). */
  startWeight(v: number, r: number, delta: number): void {
    this.rs(v, r).effectiveWeight += delta;
  }

  /**
   * init_services: every pool filled, quorum states set, the sorry server added if needed.
   * `rsInitNotifies` (global rs_init_notifies): a real server that starts alive gets its
   * notify_up / FIFO line / alert now (ipwrapper.c init_service_rs: do_rs_notifies after
   * SET_ALIVE); one a reload carried over (`reloaded`) is not added again, so not notified.
   */
  init(rsInitNotifies = false, reloaded?: (vs: VsState, rs: RsState) => boolean): void {
    for (const vs of this.vss) {
      // set_quorum_states() runs before the real servers are marked alive
      vs.quorumUp = this.liveWeight(vs) >= vs.vs.quorum + vs.vs.hysteresis;
      for (const rs of vs.rss)
        if (rs.numFailed === 0 && !rs.alive) {
          rs.alive = true;
          if (rsInitNotifies && !reloaded?.(vs, rs)) this.rsNotify(vs, rs, false);
        }
      this.updateQuorum(vs, true);
    }
  }

  /** Whether the real server's notify runs on its first result (global rs_init_notifies handled by the caller). */
  private rsNotify(vs: VsState, rs: RsState, stopping: boolean, snmpOnly = false): void {
    this.events.push({
      kind: "rs-notify",
      vs,
      rs,
      up: rs.alive,
      script: rs.alive ? rs.rs.notifyUp : rs.rs.notifyDown,
      stopping,
      ...(snmpOnly ? { snmpOnly } : {}),
    });
  }

  /**
   * update_svr_checker_state: a checker of real server (v, r) changed state, or
   * (firstNotify) reported its first result without a change.
   */
  checker(v: number, r: number, change: "up" | "down" | undefined, firstNotify: boolean): void {
    const vs = this.vss[v] as VsState;
    const rs = this.rs(v, r);
    if (!change) {
      if (firstNotify) this.rsNotify(vs, rs, false);
      return;
    }
    if (change === "up") {
      if (rs.numFailed <= 1) this.setAlive(vs, rs, true);
      if (rs.numFailed > 0) rs.numFailed--;
    } else {
      if (rs.numFailed === 0) this.setAlive(vs, rs, false);
      rs.numFailed++;
    }
  }

  /** perform_svr_state */
  private setAlive(vs: VsState, rs: RsState, alive: boolean): void {
    if (rs.alive === alive) return;
    const verb = alive ? (rs.inhibit ? "Enabl" : "Add") : rs.inhibit ? "Disabl" : "Remov";
    this.log(`${verb}ing service ${rs.name} ${rs.inhibit ? "of" : alive ? "to" : "from"} VS ${vs.name}`);
    rs.alive = alive;
    this.rsNotify(vs, rs, false);
    this.updateQuorum(vs, false);
  }

  /** update_svr_wgt: MISC_CHECK misc_dynamic or a track_file moved the weight. */
  setWeight(v: number, r: number, weight: number): void {
    const vs = this.vss[v] as VsState;
    const rs = this.rs(v, r);
    const from = realWeight(rs.effectiveWeight);
    const to = realWeight(weight);
    rs.effectiveWeight = weight;
    if (from === to) return;
    this.log(
      `Changing weight from ${from} to ${to} for ${rs.alive ? "" : "in"}active service ${rs.name} of VS ${vs.name}`,
    );
    this.updateQuorum(vs, false);
  }

  /** weigh_live_realservers */
  liveWeight(vs: VsState): number {
    let n = 0;
    for (const rs of vs.rss) if (rs.alive) n += realWeight(rs.effectiveWeight);
    return n;
  }

  /** update_quorum_state */
  private updateQuorum(vs: VsState, init: boolean): void {
    const sum = this.liveWeight(vs);
    const q = vs.vs.quorum;
    const h = vs.vs.hysteresis;
    const threshold = q + (vs.quorumUp ? -1 : 1) * h;
    if (!vs.quorumUp && sum >= threshold) {
      vs.quorumUp = true;
      this.log(`Gained quorum ${q}+${h}=${threshold} <= ${sum} for VS ${vs.name}`);
      if (vs.sorry?.alive) {
        this.log(
          `${vs.sorry.server.inhibit ? "Disabling" : "Removing"} sorry server ${vs.sorry.name} from VS ${vs.name}`,
        );
        vs.sorry.alive = false;
        this.log(`Adding alive servers to the pool for VS ${vs.name}`);
      }
      this.vsNotify(vs, init, threshold, sum);
    } else if ((vs.quorumUp && (!sum || sum < threshold)) || (init && !vs.quorumUp && vs.sorry && !vs.sorry.alive)) {
      vs.quorumUp = false;
      this.log(
        `${init ? "Starting with quorum down" : "Lost quorum"} ${q}-${h}=${threshold} > ${sum} for VS ${vs.name}`,
      );
      if (vs.sorry && !vs.sorry.alive) {
        this.log(`${vs.sorry.server.inhibit ? "Enabling" : "Adding"} sorry server ${vs.sorry.name} to VS ${vs.name}`);
        this.log(`Removing alive servers from the pool for VS ${vs.name}`);
        vs.sorry.alive = true;
      }
      this.vsNotify(vs, init, threshold, sum);
    }
  }

  /** do_vs_notifies (the smtp text is keepalived's) */
  private vsNotify(vs: VsState, init: boolean, threshold: number, sum: number): void {
    const up = vs.quorumUp;
    const what = up
      ? init
        ? "Starting with quorum up"
        : "Gained quorum"
      : init
        ? "Starting with quorum down"
        : "Lost quorum";
    this.events.push({
      kind: "vs-notify",
      vs,
      up,
      script: up ? vs.vs.quorumUp : vs.vs.quorumDown,
      alert: `=> ${what} ${vs.vs.quorum}+${vs.vs.hysteresis}=${threshold} <= ${sum} <=`,
      stopping: false,
    });
  }

  /**
   * clear_services at shutdown (ipwrapper.c), as `release` says the checker process leaves
   * IPVS: "services" removes each real server, then the service (clear_service_vs); "flush"
   * (lvs_flush_on_stop) leaves the real servers alive and only takes the quorum down
   * (update_vs_notifies); "keep" (-I, --dont-release-ipvs) skips clear_services, so nothing
   * is logged or notified. Every live real server is logged as shut down and marked down,
   * and the quorum goes down with the service. keepalived always sends the SNMP traps
   * (check_snmp_rs_trap with the real server down, check_snmp_quorum_trap with
   * virtualServerQuorumStatus stopping(3)); the scripts, FIFO lines and smtp alerts only
   * under omega, so without omega the events are snmpOnly.
   */
  stop(release: "services" | "flush" | "keep" = "services"): void {
    if (release === "keep") return;
    for (const vs of this.vss) {
      const omega = vs.vs.omega;
      if (vs.sorry) vs.sorry.alive = false;
      if (release === "services")
        for (const rs of vs.rss) {
          this.log(
            `Shutting down ${rs.inhibit && !rs.alive ? "(inhibited) " : ""}service ${rs.name} from VS ${vs.name}`,
          );
          if (!rs.alive) continue;
          rs.alive = false;
          this.rsNotify(vs, rs, true, !omega);
          if (omega && (rs.rs.smtpAlert ?? vs.vs.smtpAlert)) this.events.push({ kind: "rs-shutdown", vs, rs });
        }
      vs.quorumUp = false;
      this.events.push({
        kind: "vs-notify",
        vs,
        up: false,
        script: vs.vs.quorumDown,
        alert: "=> Shutting down <=",
        stopping: true,
        ...(omega ? {} : { snmpOnly: true }),
      });
    }
  }

  /** The table the kernel should hold now. */
  desired(): ServiceEntry[] {
    const out: ServiceEntry[] = [];
    for (const vs of this.vss) {
      const sorryActive = vs.sorry?.alive === true;
      const dests = new Map<string, Dest>();
      for (const rs of vs.rss) {
        const inPool = rs.alive && !sorryActive;
        if (inPool || rs.inhibit) {
          const weight = rs.operator ? rs.operator.weight : realWeight(rs.effectiveWeight);
          const d = destOf(vs.vs, rs.rs, inPool ? weight : 0, vs.autoFwmark !== undefined);
          dests.set(destId(d), d);
        }
      }
      if (vs.sorry && (sorryActive || vs.sorry.server.inhibit)) {
        const d = destOf(vs.vs, vs.sorry.server, sorryActive ? 1 : 0, vs.autoFwmark !== undefined);
        // a sorry server that is also a real server is that real server (s_svr_duplicates_rs)
        if (!dests.has(destId(d))) dests.set(destId(d), d);
      }
      for (const key of vs.keys) {
        const params = serviceParams(vs.vs, key.family);
        // an IPv4 real server of an IPv6 service only works tunnelled; the family tells IPVS
        const ds = [...dests.values()].map((d) => ({ ...d }));
        out.push({ service: { ...key, ...params }, dests: ds });
      }
    }
    return out;
  }

  private rs(v: number, r: number): RsState {
    const rs = this.vss[v]?.rss[r];
    if (!rs) throw new RangeError(`no real server ${v}/${r}`);
    return rs;
  }
}
