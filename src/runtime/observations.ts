/**
 * The engine's `observed` actions (src/vrrp/observe.ts) as the daemon shows them: a
 * status record per instance (status.ts `observed`), counters (metrics.ts
 * keel_vrrp_dual_master_total, keel_vrrp_foreign_adverts_total), a control-socket event
 * and a log line. Dual masters are rare and each is logged and sent; foreign adverts can
 * come once per packet, so their line and event go out once per (instance, reason,
 * sender) per window, the event carrying how many adverts it stands for.
 */
import type { DualMasterStatus, Event, ForeignAdvertStatus, ObservedStatus } from "../control/protocol";
import type { Action, ForeignReason } from "../vrrp/types";
import { RateLimit } from "./rate-limit";

type Observed = Extract<Action, { type: "observed" }>;
export type ObservedEvent = Extract<Event, { event: "observed" }>;

/** Foreign adverts kept per instance in the status. */
export const FOREIGN_KEPT = 8;
/** One log line and one event per foreign kind per window (ms). */
export const FOREIGN_WINDOW_MS = 10_000;

export interface ObservationOut {
  event?: ObservedEvent;
  /** "info" for a dual master's end, "warn" otherwise */
  log?: { level: "info" | "warn"; line: string; fields: Record<string, unknown> };
}

export class Observations {
  private readonly byInstance = new Map<string, ObservedStatus>();
  /** foreign adverts by instance and reason (keel_vrrp_foreign_adverts_total) */
  readonly foreignTotals = new Map<string, Map<ForeignReason, number>>();
  private readonly limit = new RateLimit(FOREIGN_WINDOW_MS);

  /** The instance's record, absent while nothing was seen. */
  status(instance: string): ObservedStatus | undefined {
    return this.byInstance.get(instance);
  }

  dualMasters(instance: string): number {
    return this.byInstance.get(instance)?.dualMasters ?? 0;
  }

  /** One action: update the record and counters; say what to log and send. */
  take(a: Observed, at: number, now: number): ObservationOut {
    const o = a.observation;
    const rec = this.record(a.instance);
    const who = `(${a.instance})`;
    if (o.kind === "dual-master") {
      rec.dualMasters++;
      const dm: DualMasterStatus = {
        peer: o.peer,
        peerPriority: o.peerPriority,
        ourPriority: o.ourPriority,
        since: at,
      };
      rec.dualMaster = dm;
      const line =
        `${who} dual master: ${o.peer} is MASTER too with priority ${o.peerPriority}, ours ${o.ourPriority}` +
        " (it did not hear us: split brain)";
      return {
        event: { event: "observed", at, instance: a.instance, kind: o.kind, from: o.peer, line },
        log: { level: "warn", line, fields: { instance: a.instance, event: "dual-master", from: o.peer } },
      };
    }
    if (o.kind === "dual-master-over") {
      const dm: DualMasterStatus = rec.dualMaster?.peer === o.peer ? rec.dualMaster : unknownStart(o.peer, at);
      dm.over = { at, how: o.how };
      if (o.winner !== undefined) dm.over.winner = o.winner;
      rec.dualMaster = dm;
      const after = `after ${(o.lastingMs / 1000).toFixed(1)} s`;
      const end =
        o.how === "peer-silent"
          ? `${o.peer} fell silent, we stay MASTER`
          : o.how === "we-yielded"
            ? `we yielded to ${o.winner}`
            : "we left MASTER";
      const line = `${who} dual master with ${o.peer} over ${after}: ${end}`;
      return {
        event: { event: "observed", at, instance: a.instance, kind: o.kind, from: o.peer, line },
        log: {
          level: "info",
          line,
          fields: { instance: a.instance, event: "dual-master-over", from: o.peer, how: o.how },
        },
      };
    }
    const totals = this.foreignTotals.get(a.instance) ?? new Map<ForeignReason, number>();
    this.foreignTotals.set(a.instance, totals);
    totals.set(o.reason, (totals.get(o.reason) ?? 0) + 1);
    const f = this.foreign(rec, o.reason, o.from);
    f.detail = o.detail;
    f.at = at;
    f.count++;
    if (o.freeVrids !== undefined) f.freeVrids = o.freeVrids;
    const suppressed = this.limit.take(`${a.instance}|${o.reason}|${o.from}`, now);
    if (suppressed === undefined) return {};
    const free = o.freeVrids !== undefined ? `; VRIDs heard free here: ${o.freeVrids || "none"}` : "";
    const more = suppressed > 0 ? ` (${suppressed} more since the last line)` : "";
    const line = `${who} foreign advert from ${o.from}: ${o.reason} (${o.detail})${free}${more}`;
    const event: ObservedEvent = {
      event: "observed",
      at,
      instance: a.instance,
      kind: "foreign-advert",
      from: o.from,
      reason: o.reason,
      line,
    };
    if (suppressed > 0) event.count = suppressed + 1;
    return {
      event,
      log: {
        level: "warn",
        line,
        fields: { instance: a.instance, event: "foreign-advert", reason: o.reason, from: o.from },
      },
    };
  }

  private record(instance: string): ObservedStatus {
    let r = this.byInstance.get(instance);
    if (!r) {
      r = { dualMasters: 0 };
      this.byInstance.set(instance, r);
    }
    return r;
  }

  /** The (reason, sender) entry, moved to the front; the oldest beyond FOREIGN_KEPT go. */
  private foreign(rec: ObservedStatus, reason: ForeignReason, from: string): ForeignAdvertStatus {
    const list = rec.foreign ?? [];
    const i = list.findIndex((x) => x.reason === reason && x.from === from);
    const f = i >= 0 ? (list.splice(i, 1)[0] as ForeignAdvertStatus) : { reason, from, detail: "", at: 0, count: 0 };
    list.unshift(f);
    if (list.length > FOREIGN_KEPT) list.length = FOREIGN_KEPT;
    rec.foreign = list;
    return f;
  }
}

/** An end whose start this record never saw (a reload in between). */
function unknownStart(peer: string, at: number): DualMasterStatus {
  return { peer, peerPriority: 0, ourPriority: 0, since: at };
}

/**
 * What the wire told about an instance, in `keel explain`'s words (its `seen` lines):
 * the open or last dual master and the latest foreign adverts. `timeOf` shows an epoch ms.
 */
export function observedWords(o: ObservedStatus | undefined, timeOf: (epochMs: number) => string): string[] {
  if (!o) return [];
  const out: string[] = [];
  const dm = o.dualMaster;
  if (dm && !dm.over)
    out.push(
      `dual master since ${timeOf(dm.since)}: ${dm.peer} is MASTER too with priority ${dm.peerPriority}, ours ${dm.ourPriority}; ` +
        "the two do not hear each other (split brain)",
    );
  else if (dm?.over) {
    const end =
      dm.over.how === "peer-silent"
        ? `${dm.peer} fell silent and I stayed MASTER`
        : dm.over.how === "we-yielded"
          ? `I yielded to ${dm.over.winner ?? "a higher-priority master"}`
          : "I left MASTER";
    out.push(`last dual master: with ${dm.peer} from ${timeOf(dm.since)} to ${timeOf(dm.over.at)}; ${end}`);
  }
  for (const f of o.foreign ?? []) {
    const free = f.freeVrids !== undefined ? `; VRIDs heard free here: ${f.freeVrids || "none"}` : "";
    const times = f.count === 1 ? "once" : `${f.count} times`;
    out.push(`foreign adverts from ${f.from}: ${f.reason} (${f.detail}), ${times}, last at ${timeOf(f.at)}${free}`);
  }
  return out;
}
