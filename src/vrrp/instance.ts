/**
 * One VRRP instance's state machine, sans-I/O (DESIGN.md rule 1): every input carries
 * `now` (ms, monotonic); outputs are actions (`pollActions`) and the next deadline
 * (`pollTimeout`). It follows RFC 3768 / RFC 5798 section 6 and, where they leave room,
 * keepalived's vrrp.c (vrrp_state_backup, vrrp_state_master_rx, vrrp_state_master_tx,
 * vrrp_state_leave_master, vrrp_state_leave_fault) and vrrp_scheduler.c
 * (vrrp_init_state, try_up_instance, vrrp_dispatcher_read_timeout).
 */
import { canonicalIp, isMulticast, parseIp } from "../base/ip";
import { PRIO_OWNER, PRIO_STOP } from "../base/vrrp";
import { authPassMatches } from "./packet";
import type { InstanceParams } from "./params";
import { masterDownMs, minSkewMs, skewMs } from "./timers";
import {
  type Action,
  type AdvertOut,
  type NotifyState,
  type ReceivedAdvert,
  type TransitionReason,
  type VrrpState,
  type VrrpStats,
  zeroStats,
} from "./types";

/** answers to priority-0 / lower-priority adverts per advert interval, all peers together (answerLimited) */
export const ANSWERS_PER_INTERVAL = 4;

/** What a sync group lets its members do (vrrp_sync.c); absent for a lone instance. */
export interface SyncControl {
  /** vrrp_sync_can_goto_master: every other member wants MASTER (or the group is MASTER) */
  canGotoMaster(inst: Instance): boolean;
  /** another member is faulted, so this one stays in FAULT too */
  groupFaulted(inst: Instance): boolean;
}

type WantState = "BACKUP" | "MASTER" | "FAULT";
/** Why the backup's down timer will fire: decides the transition reason. */
type DownCause = "no-advert" | "priority-zero" | "preempt";

export class Instance {
  state: VrrpState = "INIT";
  /** the state keepalived would be in disregarding its sync group */
  wantState: WantState;
  /** priority after tracker weights (clamped 1..254; 255 for the owner) */
  effectivePriority: number;
  /** base + Σ weights, unclamped (keepalived's total_priority) */
  totalPriority: number;
  /** the master's advert interval (v3 adopts it from adverts), centiseconds */
  masterAdverIntCs: number;
  /** current Master_Down timer length, ms */
  msDownTimerMs: number;
  /** the instance's deadline: next advert (MASTER) or master down (BACKUP); Infinity when none */
  sands = Number.POSITIVE_INFINITY;
  masterAddress?: string;
  masterPriority?: number;
  /** preempt_delay deadline, 0 when not running */
  preemptTime = 0;
  /** reasons this instance is in FAULT (interface, trackers); empty = healthy */
  readonly faults = new Set<string>();
  /** VIPs are configured (keepalived's vipset) */
  vipSet = false;
  lastTransition = 0;
  readonly stats: VrrpStats = zeroStats();
  sync?: SyncControl;

  private downCause: DownCause = "no-advert";
  /** rogue address owner handling: adverts left to send, then a deadline (0 = none) */
  private rogueCounter = 0;
  private rogueUntil = 0;
  private rogueAdverIntCs = 0;
  private garpAt = Number.POSITIVE_INFINITY;
  private refreshAt = Number.POSITIVE_INFINITY;
  private lowerPrioGarpAt = Number.POSITIVE_INFINITY;
  /** when each peer was last answered (answerLimited): at most ANSWERS_PER_INTERVAL live entries */
  private readonly answeredAt = new Map<string, number>();
  /** the instance-wide answer budget: the current window's start and the answers given in it */
  private answerWindow = Number.NEGATIVE_INFINITY;
  private answersInWindow = 0;
  /** answerable adverts left unanswered since the last answer (reported with the next one) */
  private unanswered = 0;
  private out: Action[] = [];
  /** IPv4 identification of the last advert (keepalived vrrp->ip_id) */
  private ipId = 0;
  /**
   * keepalived's ipsecah_counter.seq_number: ONE counter for AH adverts sent and
   * received — a backup follows the master's sequence, so when it takes over it
   * continues above it (vrrp_build_ah, vrrp_in_chk_ipsecah).
   */
  ahSeq = 0;

  /**
   * Addresses in the codec's canonical text (inet_ntop form), computed once, so the
   * receive path compares strings: received addresses arrive in that form.
   */
  readonly vipKeys: Set<string>;
  readonly peerKeys: Set<string>;
  readonly sourceKey?: string;
  /** one array for every advert, so transmit.ts can cache the encoded message by identity */
  private readonly advertAddresses: string[];

  constructor(readonly p: InstanceParams) {
    this.advertAddresses = p.vips.map((v) => v.address);
    this.vipKeys = new Set(p.vips.map((v) => canonicalIp(v.address) ?? v.address));
    this.peerKeys = new Set(p.unicastPeers.map((a) => canonicalIp(a) ?? a));
    if (p.source !== undefined) this.sourceKey = canonicalIp(p.source) ?? p.source;
    this.wantState = p.wantMaster ? "MASTER" : "BACKUP";
    this.effectivePriority = p.priority;
    this.totalPriority = p.priority;
    this.masterAdverIntCs = p.advertIntCs;
    this.msDownTimerMs = this.downTimer();
  }

  get name(): string {
    return this.p.name;
  }

  get isOwner(): boolean {
    return this.p.priority === PRIO_OWNER;
  }

  /** Skew_Time with the priority keepalived uses (255 for the owner). */
  skew(): number {
    return skewMs(this.p.version, this.masterAdverIntCs, this.isOwner ? PRIO_OWNER : this.effectivePriority);
  }

  downTimer(): number {
    return masterDownMs(
      this.p.version,
      this.masterAdverIntCs,
      this.isOwner ? PRIO_OWNER : this.effectivePriority,
      this.p.downTimerAdverts,
    );
  }

  pollActions(): Action[] {
    const a = this.out;
    this.out = [];
    return a;
  }

  pollTimeout(): number | undefined {
    const t = Math.min(this.sands, this.garpAt, this.refreshAt, this.lowerPrioGarpAt);
    return Number.isFinite(t) ? t : undefined;
  }

  // ---------------------------------------------------------------------------
  // start and stop

  /**
   * vrrp_init_state: an address owner configured MASTER becomes master at once (a 0
   * down timer); everyone else starts in BACKUP with the full Master_Down_Interval,
   * or in FAULT when a fault is already known.
   */
  start(now: number): void {
    if (this.state !== "INIT") return;
    this.masterAdverIntCs = this.p.advertIntCs;
    if (this.isFaulted()) {
      // waiting only for weight-0 scripts' first results (keepalived num_script_init) is
      // not a fault: FAULT state, but no FAULT notify, and wantstate stays as configured
      // so an owner goes straight to MASTER on the first success (try_up_instance)
      const onlyWaiting = !this.hasRealFault();
      if (!onlyWaiting) this.wantState = "FAULT";
      this.forceReleaseVips();
      this.enter("FAULT", "init", now, !onlyWaiting);
      this.sands = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.wantState === "MASTER" && this.isOwner) {
      // keepalived: "the simplest way to become master is to timeout from the backup
      // state very quickly"; the transition is reported as INIT -> MASTER
      this.downCause = "no-advert";
      this.msDownTimerMs = 0;
      this.sands = now;
      this.ownerStart = true;
      return;
    }
    // vrrp_init_state: a sync group member configured MASTER (its group starts as BACKUP)
    // waits one advert interval plus the smallest skew, "to ensure there is no other master"
    this.msDownTimerMs =
      this.sync && this.wantState === "MASTER"
        ? this.p.advertIntCs * 10 + minSkewMs(this.p.version, this.masterAdverIntCs)
        : this.downTimer();
    this.downCause = "no-advert";
    // vrrp_restore_interface(vrrp, false, true): a forced delete, so VIPs left behind
    // by a crash ("removing protocol VIPs") are gone before the first election
    this.forceReleaseVips();
    this.enter("BACKUP", "init", now);
    this.sands = now + this.msDownTimerMs;
  }

  /** set while the owner's immediate start is pending, so the transition says why */
  private ownerStart = false;

  /** Shutdown (SIGTERM): a master resigns with a priority-0 advert and drops its VIPs. */
  stop(now: number): void {
    if (this.state === "STOP") return;
    if (this.state === "MASTER") {
      this.sendAdvert(PRIO_STOP);
      this.stats.pri_zero_sent++;
      this.releaseVips();
    }
    this.cancelGarps();
    this.enter("STOP", "shutdown", now);
    this.sands = Number.POSITIVE_INFINITY;
  }

  /**
   * Reload of a MASTER whose parameters changed (keepalived reload_master): it stays
   * MASTER with no transition; its VIPs are set again (the ones already there stay, so
   * nothing flaps) and its next advert goes out when it was due (or one new interval
   * from now, if that is sooner): no gap in the rhythm its backups follow.
   */
  resumeMaster(now: number, from: Instance): void {
    this.state = "MASTER";
    this.wantState = "MASTER";
    this.masterAdverIntCs = this.p.advertIntCs;
    this.stats.advert_sent = from.stats.advert_sent;
    this.stats.become_master = from.stats.become_master;
    this.ahSeq = from.ahSeq;
    this.lastTransition = from.lastTransition;
    this.vipSet = true;
    const p = this.p;
    this.out.push({
      type: "add-vips",
      instance: p.name,
      ifname: p.ifname,
      addresses: p.vips,
      excluded: p.excluded,
      routes: p.routes,
      rules: p.rules,
    });
    this.sands = Math.min(from.sands, now + p.advertIntCs * 10);
  }

  // ---------------------------------------------------------------------------
  // timers

  handleTimeout(now: number): void {
    if (this.garpAt <= now) {
      this.garpAt = Number.POSITIVE_INFINITY;
      if (this.state === "MASTER") this.garp(this.p.garpMasterRepeat);
    }
    if (this.lowerPrioGarpAt <= now) {
      this.lowerPrioGarpAt = Number.POSITIVE_INFINITY;
      if (this.state === "MASTER") this.garp(this.p.garpLowerPrioRepeat);
    }
    if (this.refreshAt <= now) {
      if (this.state === "MASTER") {
        this.garp(this.p.garpMasterRefreshRepeat);
        this.refreshAt = now + this.p.garpMasterRefreshMs;
      } else this.refreshAt = Number.POSITIVE_INFINITY;
    }
    if (this.sands > now) return;
    if (this.state === "BACKUP" || (this.state === "INIT" && this.ownerStart)) {
      const reason: TransitionReason = this.ownerStart
        ? "address-owner"
        : this.downCause === "priority-zero"
          ? "priority-zero-received"
          : this.downCause === "preempt"
            ? "preempt"
            : "master-down-timer";
      this.ownerStart = false;
      this.wantState = "MASTER";
      this.gotoMaster(now, reason);
    } else if (this.state === "MASTER") {
      this.masterTx(now);
    } else this.sands = Number.POSITIVE_INFINITY;
  }

  // ---------------------------------------------------------------------------
  // receiving

  handleAdvert(adv: ReceivedAdvert, now: number): void {
    if (this.state === "BACKUP") this.backupRx(adv, now);
    else if (this.state === "MASTER") {
      const answered = this.masterRx(adv, now);
      // vrrp_dispatcher_read: "If we have sent an advert, reset the timer". keepalived
      // re-arms a master's advert timer after every packet it read, rejected and
      // unanswered ones too, so a stream of packets with our VRID silences a keepalived
      // master and its backups take over. keel re-arms only when it did send an advert
      // (RFC 5798 6.4.3 resets the Adver_Timer only with the advert it sends).
      if (answered && this.state === "MASTER") this.sands = now + this.p.advertIntCs * 10;
    }
    // INIT, FAULT, STOP: adverts are not processed
  }

  /**
   * vrrp_check_packet: the checks of meaning, each counted under keepalived's name.
   * Returns "ok", "ko" (counted, rejected) or "drop" (ignored silently).
   */
  check(adv: ReceivedAdvert, checkVipAddr: boolean): "ok" | "ko" | "drop" {
    const p = this.p;
    const s = this.stats;
    // keepalived 2.2.7's words (vrrp_check_packet), which Debian 12 users grep for; keel
    // adds the sender, which 2.2.7 leaves out
    const ko = (stat: keyof VrrpStats, code: string, message: string): "ko" => {
      s[stat]++;
      this.out.push({
        type: "rx-error",
        instance: this.name,
        from: adv.from,
        code,
        message: `${message} (from ${adv.from})`,
      });
      return "ko";
    };
    const who = `(${this.name})`;
    // RFC 5798 7.1: TTL / hop limit must be 255, except unicast (keepalived)
    if (!p.unicast && adv.ttl !== -1 && adv.ttl !== 255)
      return ko("ip_ttl_err", "bad-ttl", `${who} invalid TTL/HL. Received ${adv.ttl} and expect 255`);
    if (adv.version !== p.version)
      return ko("vers_err", "bad-version", `${who} wrong version. Received ${adv.version} and expect ${p.version}`);
    if (p.version === 2) {
      const want = p.auth ? (p.auth.type === "PASS" ? 1 : 2) : 0;
      // keepalived checks the AH header's presence against the configured type first
      if ((adv.ah !== undefined) !== (p.auth?.type === "AH"))
        return ko(
          "authtype_mismatch",
          "auth-type-mismatch",
          adv.ah ? `${who} Received AH header but auth type not AH` : `${who} No AH header but auth type is AH`,
        );
      if (adv.authType > 2) return ko("invalid_authtype", "bad-auth-type", `${who} Invalid auth type: ${adv.authType}`);
      if (adv.authType !== want)
        return ko(
          "authtype_mismatch",
          "auth-type-mismatch",
          `${who} received a ${adv.authType} auth, expecting ${want}!`,
        );
      if (p.auth?.type === "PASS" && !authPassMatches(adv, p.auth.pass))
        return ko("auth_failure", "auth-failure", `${who} received an invalid passwd!`);
      if (p.auth?.type === "AH") {
        // ICV and SPI, then the anti-replay sequence (vrrp_in_chk_ipsecah)
        if (!adv.ah?.verify(p.auth.pass))
          return ko(
            "auth_failure",
            "auth-failure",
            `${who} IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !`,
          );
        if (adv.ah.seq <= this.ahSeq)
          return ko(
            "auth_failure",
            "auth-failure",
            `${who} IPSEC-AH : sequence number ${adv.ah.seq} already proceeded (local ${this.ahSeq})`,
          );
        this.ahSeq = adv.ah.seq;
      }
      // RFC 3768 7.1: MUST drop an advert whose interval differs (v2)
      if (adv.advertIntCs !== p.advertIntCs) {
        s.advert_interval_err++;
        this.out.push({
          type: "rx-error",
          instance: this.name,
          from: adv.from,
          code: "bad-interval",
          message: `${who} advertisement interval mismatch mine=${p.advertIntCs / 100} sec rcv'd=${adv.advertIntCs / 100} sec (from ${adv.from})`,
        });
        return "drop";
      }
    }
    // a multicast instance takes multicast adverts, a unicast one unicast adverts
    if ((adv.to === p.mcastGroup || isMulticast(adv.to)) === p.unicast)
      return ko(
        "addr_list_err",
        "wrong-destination",
        `${who} Expected ${p.unicast ? "un" : "mult"}icast packet but received ${p.unicast ? "mult" : "un"}icast packet`,
      );
    // owner_ignore_adverts (always in strict mode): the owner does not listen
    if (p.ownerIgnoreAdverts && this.effectivePriority === PRIO_OWNER) return "drop";
    s.advert_rcvd++;
    if (adv.addresses.length !== p.vips.length) s.addr_list_err++;
    else if (checkVipAddr) {
      if (!adv.addresses.every((a) => this.vipKeys.has(a))) s.addr_list_err++;
    }
    if (p.unicast && p.checkUnicastSrc && !this.peerKeys.has(adv.from)) return "ko";
    if (adv.priority === 0) s.pri_zero_rcvd++;
    return "ok";
  }

  /** vrrp_state_backup */
  private backupRx(adv: ReceivedAdvert, now: number): void {
    const masterChange = this.masterAddress !== adv.from;
    if (this.check(adv, masterChange || !this.p.skipCheckAdvAddr) !== "ok") return; // the timer keeps running
    // an owner that backed off for a rogue owner takes 255 back once the rogue is gone
    if (this.isOwner && this.effectivePriority === PRIO_OWNER - 1 && (masterChange || adv.priority !== PRIO_OWNER)) {
      this.effectivePriority = PRIO_OWNER;
      this.totalPriority = PRIO_OWNER;
      this.out.push({ type: "priority", instance: this.name, from: PRIO_OWNER - 1, to: PRIO_OWNER });
    }
    if (adv.priority === 0) {
      // RFC 5798 6.4.2: Set the Master_Down_Timer to Skew_Time
      this.msDownTimerMs = this.skew();
      this.sands = now + this.msDownTimerMs;
      this.downCause = "priority-zero";
      return;
    }
    const preemptWait = this.p.preemptDelayMs > 0 && (this.preemptTime === 0 || this.preemptTime > now);
    if (this.p.nopreempt || adv.priority >= this.effectivePriority || preemptWait) {
      if (this.p.version === 3 && adv.advertIntCs !== this.masterAdverIntCs) this.masterAdverIntCs = adv.advertIntCs; // RFC 5798 6.4.2
      this.msDownTimerMs = this.downTimer();
      this.sands = now + this.msDownTimerMs;
      this.downCause = "no-advert";
      this.masterAddress = adv.from;
      this.masterPriority = adv.priority;
      if (this.p.preemptDelayMs > 0) {
        if (adv.priority >= this.effectivePriority) this.preemptTime = 0;
        else if (this.preemptTime === 0) this.preemptTime = now + this.p.preemptDelayMs;
      }
      this.wantState = "BACKUP";
    } else {
      // lower priority and preemption allowed: discard, and let the timer run out
      this.masterAddress = adv.from;
      this.downCause = "preempt";
    }
  }

  /**
   * vrrp_state_master_rx. Returns whether it sent an advert (so the caller re-arms the
   * advert timer). The answers to priority-0 and lower-priority adverts are limited
   * (answerLimited): keepalived answers every one, so one host flooding valid adverts
   * had keel send one advert, one GARP burst and one log line per packet received.
   */
  private masterRx(adv: ReceivedAdvert, now: number): boolean {
    if (this.check(adv, true) !== "ok") return false;
    const cmp = this.compareSource(adv.from);
    const higherThan = () =>
      adv.priority > this.effectivePriority || (adv.priority === this.effectivePriority && cmp > 0);
    if (adv.priority === 0) {
      // RFC 5798 6.4.3: on priority 0, send an advert at once (it is for the backups,
      // whose timers just went to Skew_Time: one per interval reaches them all)
      if (!this.answerLimited(adv.from, now)) return false;
      this.sendAdvert(this.effectivePriority);
      return true;
    }
    let sent = false;
    if (this.p.higherPrioSendAdvert && higherThan()) {
      // we are about to leave MASTER: one advert per transition, nothing to limit
      this.sendAdvert(this.effectivePriority);
      sent = true;
    }
    if (adv.priority === PRIO_OWNER && this.effectivePriority === PRIO_OWNER && cmp < 0) {
      // Two address owners and ours is the higher address (keepalived vrrp_state_master_rx):
      // give the rogue two of our adverts and a little more than an interval to back off;
      // if it keeps advertising after that, we back off ourselves (priority 254).
      if (this.rogueUntil > 0 && this.rogueUntil <= now) this.rogueUntil = 0; // the grace ran out quietly
      if (this.rogueUntil > 0) {
        this.rogueUntil = 0;
        this.effectivePriority = PRIO_OWNER - 1;
        this.totalPriority = PRIO_OWNER - 1;
        this.out.push({ type: "priority", instance: this.name, from: PRIO_OWNER, to: PRIO_OWNER - 1 });
      } else if (this.rogueCounter === 0) {
        this.rogueCounter = 2;
        this.rogueAdverIntCs = adv.advertIntCs;
      }
    }
    if (adv.priority < this.effectivePriority || (adv.priority === this.effectivePriority && cmp < 0)) {
      // a lower-priority master: re-assert ourselves (keepalived "forcing new election")
      // keepalived "IPSEC-AH : Syncing seq_num - Increment seq"
      if (adv.ah) this.ahSeq = adv.ah.seq + 1;
      if (!this.answerLimited(adv.from, now)) return false;
      const suppressed = this.unanswered;
      this.unanswered = 0;
      if (!this.p.lowerPrioNoAdvert) this.sendAdvert(this.effectivePriority);
      if (this.p.garpLowerPrioRepeat > 0) {
        this.garp(this.p.garpLowerPrioRepeat);
        if (this.p.garpLowerPrioDelayMs > 0) this.lowerPrioGarpAt = now + this.p.garpLowerPrioDelayMs;
      }
      const lower = { instance: this.name, from: adv.from, priority: adv.priority, suppressed };
      this.out.push({ type: "master-rx-lower-pri", ...lower });
      return !this.p.lowerPrioNoAdvert;
    }
    if (higherThan()) {
      if (this.p.version === 3) this.masterAdverIntCs = adv.advertIntCs;
      this.masterAddress = adv.from;
      this.masterPriority = adv.priority;
      this.wantState = "BACKUP";
      this.leaveMaster(
        now,
        adv.priority > this.effectivePriority ? "higher-priority-advert" : "equal-priority-higher-ip",
      );
    }
    // equal priority from our own address: nothing to do
    return sent;
  }

  /**
   * May the master answer this priority-0 or lower-priority advert now? keepalived
   * (vrrp_state_master_rx) answers every one; its only brake is vrrp_dispatcher_read
   * going back to the scheduler after the second advert for a VRID in one read. keel
   * answers each peer at most once per advert interval: the answer goes to the whole
   * group (or every unicast peer), and the periodic advert follows within the interval
   * anyway, so a second answer in the same interval tells nobody anything new. Senders
   * with ever new addresses share an instance-wide budget of ANSWERS_PER_INTERVAL
   * answers per interval (a partition that heals can leave a few lower masters, each
   * owed its answer, GARPs and log line). Unanswered adverts are counted and reported
   * with the next answer.
   */
  private answerLimited(from: string, now: number): boolean {
    const interval = this.p.advertIntCs * 10;
    const last = this.answeredAt.get(from);
    if (now - this.answerWindow >= interval) {
      this.answerWindow = now;
      this.answersInWindow = 0;
    }
    if ((last !== undefined && now - last < interval) || this.answersInWindow >= ANSWERS_PER_INTERVAL) {
      this.unanswered++;
      return false;
    }
    this.answersInWindow++;
    // only peers answered within the last interval matter: at most the budget of them
    if (this.answeredAt.size >= 2 * ANSWERS_PER_INTERVAL)
      for (const [peer, t] of this.answeredAt) if (now - t >= interval) this.answeredAt.delete(peer);
    this.answeredAt.set(from, now);
    return true;
  }

  /** keepalived vrrp_saddr_cmp: the advert's source against our primary address. */
  private compareSource(from: string): number {
    if (this.sourceKey === undefined) return 0;
    return compareAddresses(from, this.sourceKey);
  }

  // ---------------------------------------------------------------------------
  // transitions

  /** vrrp_state_goto_master (+ vrrp_sync_can_goto_master) */
  gotoMaster(now: number, reason: TransitionReason): void {
    if (this.sync && !this.sync.canGotoMaster(this)) {
      this.wantState = "MASTER";
      this.msDownTimerMs = this.downTimer();
      this.sands = now + this.msDownTimerMs;
      return;
    }
    this.wantState = "MASTER";
    const from = this.state;
    this.state = "MASTER";
    this.sands = now + this.p.advertIntCs * 10;
    // keepalived sends the advert before taking the VIPs, so the old master lets go first
    this.sendAdvert(this.effectivePriority);
    this.stats.become_master++;
    this.transition(from, "MASTER", reason, now);
    this.takeVips(now);
  }

  /** vrrp_state_master_tx: the periodic advert. */
  private masterTx(now: number): void {
    this.sendAdvert(this.effectivePriority);
    if (!this.vipSet) this.takeVips(now);
    else if (this.isOwner && this.rogueCounter > 0 && --this.rogueCounter === 0) {
      // "a bit more than" max(ours, the rogue's interval): 1.2 times
      this.rogueUntil = now + Math.max(this.rogueAdverIntCs, this.p.advertIntCs) * 10 * 1.2;
    }
    if (this.rogueUntil > 0 && this.rogueUntil <= now) this.rogueUntil = 0; // the rogue stopped
    this.sands = now + this.p.advertIntCs * 10;
  }

  private takeVips(now: number): void {
    this.vipSet = true;
    const p = this.p;
    this.out.push({
      type: "add-vips",
      instance: p.name,
      ifname: p.ifname,
      addresses: p.vips,
      excluded: p.excluded,
      routes: p.routes,
      rules: p.rules,
    });
    this.garp(p.garpMasterRepeat);
    this.garpAt = p.garpMasterDelayMs > 0 ? now + p.garpMasterDelayMs : Number.POSITIVE_INFINITY;
    this.refreshAt = p.garpMasterRefreshMs > 0 ? now + p.garpMasterRefreshMs : Number.POSITIVE_INFINITY;
    this.notify("MASTER");
  }

  private forceReleaseVips(): void {
    this.vipSet = true;
    this.releaseVips();
  }

  private releaseVips(): void {
    if (!this.vipSet) return;
    const p = this.p;
    this.vipSet = false;
    this.out.push({
      type: "del-vips",
      instance: p.name,
      ifname: p.ifname,
      addresses: p.vips,
      excluded: p.excluded,
      routes: p.routes,
      rules: p.rules,
    });
  }

  /** vrrp_state_leave_master: to BACKUP (higher advert, sync group) or FAULT (priority-0 advert first). */
  leaveMaster(now: number, reason: TransitionReason): void {
    if (this.state !== "MASTER") return;
    const to = this.wantState === "FAULT" ? "FAULT" : "BACKUP";
    if (to === "FAULT") {
      this.sendAdvert(PRIO_STOP);
      this.stats.pri_zero_sent++;
    } else this.preemptTime = 0;
    this.releaseVips();
    this.cancelGarps();
    this.state = to;
    this.stats.release_master++;
    this.transition("MASTER", to, reason, now);
    this.notify(to);
    this.msDownTimerMs = this.downTimer();
    this.downCause = "no-advert";
    this.sands = to === "BACKUP" ? now + this.msDownTimerMs : Number.POSITIVE_INFINITY;
  }

  /** vrrp_state_leave_fault: out of FAULT/INIT into wantState. */
  leaveFault(now: number, reason: TransitionReason): void {
    this.masterAdverIntCs = this.p.advertIntCs;
    if (this.wantState === "MASTER") {
      this.gotoMaster(now, reason);
      return;
    }
    const from = this.state;
    if (this.wantState === "FAULT" && from === "MASTER") {
      this.leaveMaster(now, reason);
      return;
    }
    this.state = this.wantState;
    if (from !== this.state) {
      this.transition(from, this.state, reason, now);
      this.notify(this.state as NotifyState);
    }
    if (this.state === "BACKUP") this.preemptTime = 0;
    this.msDownTimerMs = this.downTimer();
    this.downCause = "no-advert";
    this.sands = this.state === "BACKUP" ? now + this.msDownTimerMs : Number.POSITIVE_INFINITY;
  }

  // ---------------------------------------------------------------------------
  // faults and priority

  isFaulted(): boolean {
    return this.faults.size > 0;
  }

  /** A fault other than waiting for a weight-0 script's first result. */
  private hasRealFault(): boolean {
    for (const f of this.faults) if (!f.startsWith("init:")) return true;
    return false;
  }

  /**
   * down_instance / try_up_instance: set or clear one fault reason. Entering FAULT
   * from MASTER sends a priority-0 advert and drops the VIPs.
   */
  setFault(flag: string, faulted: boolean, now: number, reason: TransitionReason): void {
    const had = this.isFaulted();
    const hadReal = this.hasRealFault();
    if (faulted) this.faults.add(flag);
    else this.faults.delete(flag);
    if (this.state === "INIT" || this.state === "STOP") return;
    if (!had && this.isFaulted()) this.goFault(now, reason);
    else if (faulted && !hadReal && this.state === "FAULT" && !flag.startsWith("init:")) {
      // keepalived down_instance during the init wait: num_script_init is no fault flag,
      // so the first failure is a new fault; the state is already FAULT, the notify is not
      this.wantState = "FAULT";
      this.notify("FAULT");
    } else if (had && !this.isFaulted() && !this.sync?.groupFaulted(this)) this.recover(now, reason);
  }

  /** Enter FAULT (also used by a sync group pulling its members along). */
  goFault(now: number, reason: TransitionReason): void {
    if (this.state === "FAULT" || this.state === "STOP" || this.state === "INIT") return;
    this.wantState = "FAULT";
    if (this.state === "MASTER") this.leaveMaster(now, reason);
    else this.leaveFault(now, reason);
  }

  /**
   * try_up_instance: all faults cleared. An owner still wanting MASTER (it was only
   * waiting for its scripts' first results) is master at once; anyone else, the owner
   * after a real fault included (down_instance set wantstate FAULT), comes back as BACKUP
   * with the full Master_Down_Interval (vrrp_state_leave_fault resets ms_down_timer).
   */
  recover(now: number, reason: TransitionReason): void {
    if (this.state !== "FAULT") return;
    this.masterAdverIntCs = this.p.advertIntCs;
    if (!(this.wantState === "MASTER" && this.isOwner)) this.wantState = "BACKUP";
    this.leaveFault(now, reason);
  }

  /**
   * vrrp_set_effective_priority: trackers moved the total; the owner never changes,
   * everyone else is clamped to 1..254. A backup's running timer moves with its skew.
   */
  setTotalPriority(total: number): void {
    this.totalPriority = total;
    if (this.isOwner) return;
    const next = Math.min(PRIO_OWNER - 1, Math.max(1, total));
    if (next === this.effectivePriority) return;
    const before = this.effectivePriority;
    const oldDown = this.msDownTimerMs;
    this.effectivePriority = next;
    this.msDownTimerMs = this.downTimer();
    if (this.state === "BACKUP" && Number.isFinite(this.sands)) this.sands += this.msDownTimerMs - oldDown;
    this.out.push({ type: "priority", instance: this.name, from: before, to: next });
  }

  /** `garp INSTANCE` from the control socket: refresh neighbours now (master only). */
  sendGarpNow(): void {
    if (this.state === "MASTER") this.garp(this.p.garpMasterRepeat);
  }

  // ---------------------------------------------------------------------------
  // outputs

  private sendAdvert(priority: number): void {
    const p = this.p;
    const advert: AdvertOut = {
      instance: p.name,
      ifname: p.ifname,
      family: p.family,
      version: p.version,
      vrid: p.vrid,
      priority,
      advertIntCs: p.advertIntCs,
      addresses: this.advertAddresses,
      destinations: p.unicast ? p.unicastPeers : [p.mcastGroup],
      unicast: p.unicast,
      ipId: this.nextIpId(),
      seq: p.auth?.type === "AH" ? this.nextAhSeq() : 0,
    };
    if (p.auth) advert.auth = p.auth;
    if (p.source !== undefined) advert.source = p.source;
    this.stats.advert_sent++;
    this.out.push({ type: "send-advert", advert });
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    if (this.ipId === 0) this.ipId = 1; // the kernel would fill in an id of 0
    return this.ipId;
  }

  private nextAhSeq(): number {
    // past 0xfffffffd keepalived stops counting (its "cycle" flag); 136 years at 1 s
    if (this.ahSeq <= 0xfffffffd) this.ahSeq++;
    return this.ahSeq;
  }

  private garp(count: number): void {
    if (count <= 0) return;
    const addresses = [...this.p.vips, ...this.p.excluded].map((v) => v.address);
    if (addresses.length > 0)
      this.out.push({ type: "send-garp", instance: this.name, ifname: this.p.ifname, addresses, count });
  }

  private cancelGarps(): void {
    this.garpAt = Number.POSITIVE_INFINITY;
    this.refreshAt = Number.POSITIVE_INFINITY;
    this.lowerPrioGarpAt = Number.POSITIVE_INFINITY;
  }

  private transition(from: VrrpState, to: VrrpState, reason: TransitionReason, now: number): void {
    this.lastTransition = now;
    this.out.push({ type: "transition", instance: this.name, from, to, reason });
  }

  private enter(to: VrrpState, reason: TransitionReason, now: number, notify = true): void {
    const from = this.state;
    this.state = to;
    this.transition(from, to, reason, now);
    if (notify && to !== "INIT") this.notify(to as NotifyState);
  }

  private notify(state: NotifyState): void {
    this.out.push({ type: "notify", kind: "INSTANCE", name: this.name, state, priority: this.effectivePriority });
  }
}

/** Addresses as unsigned byte strings (keepalived compares them with memcmp). */
export function compareAddresses(a: string, b: string): number {
  const x = parseIp(a)?.bytes ?? new Uint8Array();
  const y = parseIp(b)?.bytes ?? new Uint8Array();
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return 0;
}
