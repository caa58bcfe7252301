/**
 * Seen on the wire, not only in the config (issue 18): what received adverts tell about
 * the segment beyond the election itself. Sans-I/O like the rest of src/vrrp (rule 1):
 * inputs carry `now`, outputs are `observed` actions (types.ts `Observation`).
 *
 * Rules in this file:
 * - Foreign advert: an advert for one of our VRIDs that one of our own routers would not
 *   send. Checked in keepalived's vrrp_check_packet order, first match wins: `version`,
 *   `auth` (v2: type, password, AH ICV; any version: refused by auth_hmac), `advert-int` (v2 drops it, RFC 3768 7.1; v3
 *   adopts the master's, RFC 5798 6.4.2, so there it is reported only), `vip-set`
 *   (another VIP set: a VRID collision; names the VRIDs heard free on the interface),
 *   `unknown-router`. keepalived's counters (vrrp_stats) and drops are unchanged: this is
 *   a classification beside them.
 * - Unknown router. Unicast: a source address not in unicast_peer (keepalived drops it
 *   only with check_unicast_src). Multicast has no peer list and RFC 5798 none either:
 *   there a sender is never unknown by its address; a stranger shows itself by what it
 *   advertises (the other four reasons), and a sender whose adverts match ours is, by
 *   the protocol's own definition, a router of our virtual router.
 * - Dual master: a MASTER for at least one advert interval hears a valid, non-foreign
 *   (v3: another advert_int aside) advert of non-zero priority that loses to ours (lower priority, or equal from a lower
 *   address; RFC 5798 6.4.3). A router that can hear us never becomes master below us, so
 *   it did not hear us: a split brain. The master hearing a HIGHER advert yields at once;
 *   on its side a heal and an ordinary preemption look the same on the wire, so only the
 *   side that stays master reports the dual master; the first interval after becoming
 *   master is excluded because a preempted master's last advert (or keel's yield advert,
 *   higher_prio_send_advert) arrives then. Over when the peer sends nothing for 3 of its
 *   advert intervals (RFC 5798's own count for "gone"), or we leave MASTER.
 */
import type { AddressKeys } from "./address-text";
import { compareAddresses, NO_ACTIONS } from "./instance";
import type { InstanceParams } from "./params";
import { authPassMatches } from "./packet";
import type { Action, ForeignReason, ReceivedAdvert, VrrpState } from "./types";

/** How long a VRID heard on an interface counts as in use (ms). */
export const VRID_HEARD_MS = 10 * 60_000;
/**
 * Open dual-master episodes kept per instance: a partition heals into a few peers, not
 * more; spoofed senders beyond it are not reported (each would be a line and an event).
 */
export const MAX_EPISODES = 4;
/** Adverts a silent peer may miss before its dual master is over (RFC 5798 Master_Down's 3). */
export const SILENT_ADVERTS = 3;

/** What the classification reads of an instance. */
export interface Classifiable {
  p: Pick<InstanceParams, "version" | "auth" | "advertIntCs" | "unicast">;
  vipKeys: AddressKeys;
  peerKeys: AddressKeys;
}

/** Why this advert is not from one of our routers, or undefined when it could be. */
export function classifyAdvert(
  inst: Classifiable,
  adv: ReceivedAdvert,
): { reason: ForeignReason; detail: string } | undefined {
  const p = inst.p;
  if (adv.version !== p.version) return { reason: "version", detail: `VRRPv${adv.version}, ours v${p.version}` };
  // auth_hmac refused it (check-advert.ts): another key, a forgery or a replay, not one of ours
  if (adv.hmacFailure) return { reason: "auth", detail: `auth_hmac: ${adv.hmacFailure}` };
  if (p.version === 2) {
    const auth = authMismatch(p.auth, adv);
    if (auth) return { reason: "auth", detail: auth };
  }
  if (adv.advertIntCs !== p.advertIntCs)
    return { reason: "advert-int", detail: `advert_int ${adv.advertIntCs / 100} s, ours ${p.advertIntCs / 100} s` };
  if (adv.addresses.length !== inst.vipKeys.size || !allIn(adv.addresses, inst.vipKeys))
    return { reason: "vip-set", detail: `VIPs ${list(adv.addresses)}, ours ${list(inst.vipKeys.list)}` };
  if (p.unicast && !inst.peerKeys.has(adv.from)) return { reason: "unknown-router", detail: "not in unicast_peer" };
  return undefined;
}

/** `every(a => keys.has(a))` as a loop: no closure per advert heard (issue 20) */
function allIn(addresses: readonly string[], keys: AddressKeys): boolean {
  for (let i = 0; i < addresses.length; i++) if (!keys.has(addresses[i]!)) return false;
  return true;
}

function authMismatch(auth: InstanceParams["auth"], adv: ReceivedAdvert): string | undefined {
  const want = auth ? (auth.type === "PASS" ? 1 : 2) : 0;
  const got = adv.ah ? 2 : adv.authType;
  if (got !== want) return `auth type ${got}, ours ${want}`;
  if (auth?.type === "PASS" && !authPassMatches(adv, auth.pass)) return "another auth_pass";
  if (auth?.type === "AH" && !adv.ah?.verify(auth.pass)) return "AH check failed (another auth_pass)";
  return undefined;
}

function list(a: readonly string[]): string {
  if (a.length === 0) return "none";
  return a.length > 4 ? `${a.slice(0, 4).join(" ")} (+${a.length - 4})` : a.join(" ");
}

/** VRIDs as ranges: [1,2,3,7] → "1-3,7". */
export function vridRanges(vrids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < vrids.length; ) {
    let j = i;
    while (j + 1 < vrids.length && (vrids[j + 1] as number) === (vrids[j] as number) + 1) j++;
    out.push(i === j ? `${vrids[i]}` : `${vrids[i]}-${vrids[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/**
 * Which VRIDs were heard on each interface (per family: v4 and v6 VRIDs are separate
 * spaces), from every advert that decoded, ours or not, so a VRID collision can name the
 * free ones. At most 2 × 255 entries per interface.
 */
export class SegmentVrids {
  /** interface → (family × 256 + VRID) → when: keyed without a string built per advert */
  private readonly heardAt = new Map<string, Map<number, number>>();

  heard(ifname: string, family: 4 | 6, vrid: number, now: number): void {
    let m = this.heardAt.get(ifname);
    if (!m) {
      m = new Map();
      this.heardAt.set(ifname, m);
    }
    m.set(family * 256 + vrid, now);
  }

  /** VRIDs heard within VRID_HEARD_MS, ascending. */
  inUse(ifname: string, family: 4 | 6, now: number): number[] {
    const m = this.heardAt.get(ifname);
    if (!m) return [];
    return [...m]
      .filter(([k, t]) => k >> 8 === family && now - t < VRID_HEARD_MS)
      .map(([k]) => k & 255)
      .sort((a, b) => a - b);
  }

  /** VRIDs 1..255 neither heard nor in `ours`, as ranges. */
  free(ifname: string, family: 4 | 6, ours: Iterable<number>, now: number): string {
    const taken = new Set([...this.inUse(ifname, family, now), ...ours]);
    const free: number[] = [];
    for (let v = 1; v <= 255; v++) if (!taken.has(v)) free.push(v);
    return vridRanges(free);
  }

  /** A reload keeps what was heard. */
  carryFrom(prev: SegmentVrids): void {
    for (const [k, m] of prev.heardAt) this.heardAt.set(k, new Map(m));
  }
}

/** What the observer reads of an instance (Instance satisfies it). */
export interface Observed extends Classifiable {
  readonly name: string;
  readonly state: VrrpState;
  readonly effectivePriority: number;
  readonly sourceKey?: string;
  readonly lastTransition: number;
  readonly masterAddress?: string;
  p: Classifiable["p"] & Pick<InstanceParams, "ifname" | "family" | "vrid">;
}

interface Episode {
  since: number;
  lastHeard: number;
  /** the peer's advert interval, ms */
  intervalMs: number;
}

/** The state the observer needs from before an advert was handled. */
export interface Before {
  state: VrrpState;
  lastTransition: number;
}

/**
 * The per-router observer: classifies adverts, tracks dual-master episodes and the VRIDs
 * heard per interface. `ours(ifname, family)` lists the VRIDs configured there.
 */
export class Observer {
  readonly segment = new SegmentVrids();
  private readonly episodes = new Map<string, Map<string, Episode>>();
  /** observations since the last poll: the router appends them after its instances' actions */
  private out: Action[] = [];

  constructor(private readonly ours: (ifname: string, family: 4 | 6) => number[]) {}

  poll(): readonly Action[] {
    // nothing observed (the common case): no new array per poll (issue 20)
    if (this.out.length === 0) return NO_ACTIONS;
    const a = this.out;
    this.out = [];
    return a;
  }

  /** An advert the instance handled (`before`: its state when it arrived). */
  advert(inst: Observed, adv: ReceivedAdvert, ifname: string, before: Before, now: number): void {
    if (before.state === "INIT" || before.state === "STOP") return;
    const foreign = classifyAdvert(inst, adv);
    // a v3 router adopts the master's interval (RFC 5798 6.4.2): another advert_int is
    // reported, but the sender may still be one of ours, so the dual-master check goes on
    const ours = !foreign || (foreign.reason === "advert-int" && inst.p.version === 3);
    if (foreign) {
      const observation: Extract<Action, { type: "observed" }>["observation"] = {
        kind: "foreign-advert",
        reason: foreign.reason,
        from: adv.from,
        detail: foreign.detail,
      };
      if (foreign.reason === "vip-set")
        observation.freeVrids = this.segment.free(ifname, inst.p.family, this.ours(ifname, inst.p.family), now);
      this.out.push({ type: "observed", instance: inst.name, observation });
    }
    if (!ours) return;
    if (before.state !== "MASTER") {
      // left MASTER without a timer or tracker input, e.g. pulled by its sync group
      this.settle(inst, now);
      return;
    }
    if (adv.priority === 0) return;
    const open = this.episodes.get(inst.name);
    if (inst.state !== "MASTER") {
      // we yielded to this advert: every open episode ends with it as the winner
      if (open) for (const [peer, e] of open) this.over(inst, peer, e, "we-yielded", now, adv.from);
      this.episodes.delete(inst.name);
      return;
    }
    if (!losesToUs(inst, adv)) return;
    if (now - before.lastTransition < inst.p.advertIntCs * 10) return; // a preemption's last word
    const episodes = open ?? new Map<string, Episode>();
    const e = episodes.get(adv.from);
    if (e) {
      e.lastHeard = now;
      e.intervalMs = adv.advertIntCs * 10;
      return;
    }
    if (episodes.size >= MAX_EPISODES) return;
    episodes.set(adv.from, { since: now, lastHeard: now, intervalMs: adv.advertIntCs * 10 });
    this.episodes.set(inst.name, episodes);
    this.out.push({
      type: "observed",
      instance: inst.name,
      observation: {
        kind: "dual-master",
        peer: adv.from,
        peerPriority: adv.priority,
        ourPriority: inst.effectivePriority,
      },
    });
  }

  /** After a timer or tracker input: end episodes whose peer fell silent, or all if we left MASTER. */
  settle(inst: Observed, now: number): void {
    const open = this.episodes.get(inst.name);
    if (!open) return;
    for (const [peer, e] of open) {
      if (inst.state !== "MASTER") this.over(inst, peer, e, "we-left", now);
      else if (now - e.lastHeard >= SILENT_ADVERTS * e.intervalMs) {
        this.over(inst, peer, e, "peer-silent", now, inst.sourceKey);
      } else continue;
      open.delete(peer);
    }
    if (open.size === 0) this.episodes.delete(inst.name);
  }

  /** Open episodes of an instance (peer → since), for tests and status. */
  open(instance: string): string[] {
    return [...(this.episodes.get(instance)?.keys() ?? [])];
  }

  private over(
    inst: Observed,
    peer: string,
    e: Episode,
    how: "peer-silent" | "we-yielded" | "we-left",
    now: number,
    winner?: string,
  ): void {
    const observation: Extract<Action, { type: "observed" }>["observation"] = {
      kind: "dual-master-over",
      peer,
      how,
      lastingMs: now - e.since,
    };
    if (winner !== undefined) observation.winner = winner;
    this.out.push({ type: "observed", instance: inst.name, observation });
  }
}

/** RFC 5798 6.4.3: lower priority, or equal priority from a lower primary address. */
function losesToUs(inst: Observed, adv: ReceivedAdvert): boolean {
  if (adv.priority !== inst.effectivePriority) return adv.priority < inst.effectivePriority;
  return inst.sourceKey !== undefined && compareAddresses(adv.from, inst.sourceKey) < 0;
}
