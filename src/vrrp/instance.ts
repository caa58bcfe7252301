/**
 * One VRRP instance's state machine, sans-I/O (DESIGN.md rule 1): every input carries
 * `now` (ms, monotonic); outputs are actions (`pollActions`) and the next deadline
 * (`pollTimeout`). It follows RFC 3768 / RFC 5798 section 6 and, where they leave room,
 * keepalived's vrrp.c (vrrp_state_backup, vrrp_state_master_rx, vrrp_state_master_tx,
 * vrrp_state_leave_master, vrrp_state_leave_fault) and vrrp_scheduler.c
 * (vrrp_init_state, try_up_instance, vrrp_dispatcher_read_timeout).
 *
 * The machine (FRR's vrrp_change_state): the state changes only in `changeState`, which
 * runs the old state's exit and the new state's entry handler (ENTRY below) and records
 * the decision with its cause (cause.ts). The triggers:
 *
 *   INIT   → BACKUP   start (Master_Down_Interval armed)    → FAULT  start with a fault
 *   INIT   → MASTER   start of an address owner (RFC 5798 6.4.1, a 0 down timer)
 *   BACKUP → MASTER   masterDown fires: no advert, priority 0 heard (Skew_Time), preemption
 *   MASTER → BACKUP   a higher advert, or equal from a higher address (RFC 5798 6.4.3)
 *   any    → FAULT    a weight-0 tracker fails, the interface goes down, the sync group
 *   FAULT  → BACKUP   every fault cleared (an owner still wanting MASTER: MASTER)
 *   any    → STOP     shutdown (a master sends priority 0 first)
 *   MASTER → BACKUP   an operator's hold (switchover, maintenance): priority 0 first, as a stop
 *   MASTER → BACKUP   timer_expired_backup: the engine ran so late that a backup may have
 *                     taken over (keepalived 2.4 vrrp_thread_timeout_handler, timerExpired)
 *
 * Holds (cause.ts Hold): `switchover` makes a backup treat a lower-priority master as
 * nopreempt does (its adverts reset the down timer, so the timer fires only when they
 * stop); `maintenance` keeps the instance from MASTER altogether (gotoMaster refuses and
 * re-arms the down timer), and so does `standby` (the backups not chosen by a switchover
 * --to). All survive a reload (takeOver carries them).
 *
 * Timers are one table (timer-table.ts): masterDown (BACKUP, and an owner's start),
 * advert (MASTER), and the delayed and lower-priority GARP bursts (garp_master_refresh is
 * a deadline each advert compares: refreshDue).
 */
import { canonicalIp, parseIp } from "../base/ip";
import { PRIO_OWNER, PRIO_STOP } from "../base/vrrp";
import {
  type Cause,
  type CauseDetail,
  DECISIONS_KEPT,
  type Decision,
  RULES,
  type Fault,
  type Hold,
  type InstanceView,
  type PriorityShare,
  type Sender,
  type TimerShare,
  type TrackerShare,
  faultKey,
} from "./cause";
import { AddressKeys } from "./address-text";
import { AnswerBudget } from "./answer-budget";
import { HmacState } from "./auth-hmac";
import { checkAdvert } from "./check-advert";
import type { InstanceParams } from "./params";
import { TimerTable } from "./timer-table";
import { masterDownMs, minSkewMs, skewMs, takeoverMs } from "./timers";
import {
  type Action,
  type AdvertOut,
  type NotifyState,
  type ReceivedAdvert,
  type VrrpState,
  type VrrpStats,
  zeroStats,
} from "./types";

/** What a sync group lets its members do (vrrp_sync.c); absent for a lone instance. */
export interface SyncControl {
  /** the group's name (causes name it) */
  name: string;
  /** vrrp_sync_can_goto_master: every other member wants MASTER (or the group is MASTER) */
  canGotoMaster(inst: Instance): boolean;
  /** another member is faulted, so this one stays in FAULT too */
  groupFaulted(inst: Instance): boolean;
}

type WantState = "BACKUP" | "MASTER" | "FAULT";
/** Why the backup's down timer will fire: decides the transition's cause. */
type DownCause = "no-advert" | "priority-zero" | "preempt";

/** what pollActions returns when there is nothing: shared, never written */
export const NO_ACTIONS: readonly Action[] = Object.freeze([]);

/** The timers, in the order timers due together fire (GARPs before a state change). */
const TIMERS = ["garp", "lowerPrioGarp", "masterDown", "advert"] as const;
type TimerKind = (typeof TIMERS)[number];

interface ChangeOptions {
  /** run the notify of the new state (not for a start held only by scripts' first results) */
  notify?: boolean;
  /** MASTER → BACKUP by an operator's hold: the priority-0 advert a stop sends, so backups take over after Skew_Time */
  resign?: boolean;
  /** BACKUP: the Master_Down_Interval to arm (a sync group member's start uses a shorter one) */
  downMs?: number;
  /**
   * BACKUP → BACKUP: leave and enter again (keepalived vrrp_state_leave_master on a
   * backup: "Entering BACKUP STATE", a priority-0 advert, the notifies, release_master)
   */
  reenter?: boolean;
}

export class Instance {
  /** the state; changed only by changeState */
  private current: VrrpState = "INIT";
  /** the state keepalived would be in disregarding its sync group (its wantstate) */
  private want: WantState;
  /** priority after tracker weights (clamped 1..254; 255 for the owner) */
  effectivePriority: number;
  /** base + Σ weights, unclamped (keepalived's total_priority) */
  totalPriority: number;
  /** each tracker's share of the priority and faults (from the router's board) */
  private trackers: TrackerShare[] = [];
  /** the master's advert interval (v3 adopts it from adverts), centiseconds */
  masterAdverIntCs: number;
  /** current Master_Down timer length, ms */
  msDownTimerMs: number;
  masterAddress?: string;
  masterPriority?: number;
  /** when the master's last accepted advert came (BACKUP) */
  private masterHeardAt?: number;
  /** preempt_delay deadline, 0 when not running */
  preemptTime = 0;
  /** what holds this instance in FAULT (interface, trackers) by faultKey; empty = healthy */
  private readonly faultSet = new Map<string, Fault>();
  /** the operators' holds (switchover, maintenance) by kind */
  private readonly holdSet = new Map<Hold["kind"], Hold>();
  /** VIPs are configured (keepalived's vipset) */
  vipSet = false;
  /** the router removed the VIPs at the daemon's start (clearVipsAtStart) */
  private vipsCleared = false;
  /** when the state last changed (monotonic ms) */
  private sinceAt?: number;
  private decisions: Decision[] = [];
  readonly stats: VrrpStats = zeroStats();
  /**
   * the last protocol error of an advert for this instance: bad-ttl, bad-version,
   * bad-checksum or bad-vrid (keepalived's stats->proto_err_reason, RFC 6527
   * vrrpv3StatisticsProtoErrReason); undefined while there was none
   */
  lastProtoError?: string;
  sync?: SyncControl;

  private readonly timers = new TimerTable<TimerKind>(TIMERS);
  private downCause: DownCause = "no-advert";
  /** the router whose advert set downCause (priority 0, or the lower master being preempted) */
  private downSender?: Sender;
  /** set while the owner's immediate start is pending, so the transition says why */
  private ownerStart = false;
  /** vrrp_startup_delay: engine time before which no Master_Down timer fires (0: none) */
  private delayedStart = 0;
  /** rogue address owner handling: adverts left to send, then a deadline (0 = none) */
  private rogueCounter = 0;
  private rogueUntil = 0;
  private rogueAdverIntCs = 0;
  /** which priority-0 / lower-priority adverts a master answers (answer-budget.ts) */
  private readonly answers = new AnswerBudget();
  /** checkAdvert's sink for rejections, made once rather than per advert (issue 20) */
  private readonly emitRxError = (e: Action): void => this.emit(e);
  private out: Action[] = [];
  /** when the last advert went out, any priority (keepalived vrrp->last_advert_sent) */
  private lastAdvertAt?: number;
  /** IPv4 identification of the last advert (keepalived vrrp->ip_id) */
  private ipId = 0;
  /**
   * keepalived's ipsecah_counter.seq_number: ONE counter for AH adverts sent and
   * received — a backup follows the master's sequence, so when it takes over it
   * continues above it (vrrp_build_ah, vrrp_in_chk_ipsecah).
   */
  ahSeq = 0;
  /**
   * VRRPv3/IPv4 adverts are sent and checked with keepalived's old unicast checksum (the
   * multicast group as the pseudo-header's destination): from the start with
   * `old_unicast_checksum`, or since a unicast advert checked only that way (switchToOldChecksum)
   */
  oldChecksum: boolean;
  /** auth_hmac's signing and replay state (auth-hmac.ts), when configured */
  readonly hmac?: HmacState;

  /**
   * Addresses in the codec's canonical text (inet_ntop form), computed once, so the
   * receive path compares strings: received addresses arrive in that form.
   */
  readonly vipKeys: AddressKeys;
  readonly peerKeys: AddressKeys;
  sourceKey?: string;
  /** one array for every advert, so transmit.ts can cache the encoded message by identity */
  private readonly advertAddresses: string[];

  constructor(readonly p: InstanceParams) {
    this.advertAddresses = p.vips.map((v) => v.address);
    // v3_checksum_as_v2 has no pseudo-header whose destination could be old or new
    this.oldChecksum = p.family === 4 && p.version === 3 && p.checksumCompat === "old" && !p.v3ChecksumAsV2;
    this.vipKeys = new AddressKeys(p.vips.map((v) => canonicalIp(v.address) ?? v.address));
    this.peerKeys = new AddressKeys(p.unicastPeers.map((a) => canonicalIp(a) ?? a));
    if (p.source !== undefined) this.sourceKey = canonicalIp(p.source) ?? p.source;
    if (p.authHmac) this.hmac = new HmacState(p.authHmac);
    this.want = p.wantMaster ? "MASTER" : "BACKUP";
    this.effectivePriority = p.priority;
    this.totalPriority = p.priority;
    this.masterAdverIntCs = p.advertIntCs;
    this.msDownTimerMs = this.downTimer();
  }

  get name(): string {
    return this.p.name;
  }

  get state(): VrrpState {
    return this.current;
  }

  get wantState(): WantState {
    return this.want;
  }

  /**
   * vrrp_sync_master / vrrp_sync_backup: the sync group decided, so every member wants
   * that state (set on all members before any moves: canGotoMaster reads them).
   */
  followGroup(want: "MASTER" | "BACKUP"): void {
    this.want = want;
  }

  /** when the state last changed (monotonic ms; 0 before the first change) */
  get lastTransition(): number {
    return this.sinceAt ?? 0;
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

  /**
   * Called when the first action since the last poll is queued: the router polls only the
   * instances that have some (issue 20: polling every instance after each advert made a
   * 1,000-instance backup do a million polls a second, each allocating an empty array).
   */
  onPending: ((inst: Instance) => void) | undefined;

  pollActions(): readonly Action[] {
    if (this.out.length === 0) return NO_ACTIONS;
    const a = this.out;
    this.out = [];
    return a;
  }

  /**
   * pollActions for the router, which copies the actions into its own list: this one
   * is emptied and kept, not replaced (a new array per advert was garbage, issue 20).
   */
  takeActions(into: Action[]): void {
    const a = this.out;
    for (let i = 0; i < a.length; i++) into.push(a[i]!);
    a.length = 0;
    // the router hands these out now (its collect): the kept advert may be rewritten after.
    // Not so in pollActions, which the router also uses to move actions into its own list
    // (sync groups, removal): the next periodic advert then takes fresh records.
    this.keptQueued = false;
  }

  hasActions(): boolean {
    return this.out.length > 0;
  }

  private emit(a: Action): void {
    if (this.out.length === 0) this.onPending?.(this);
    this.out.push(a);
  }

  pollTimeout(): number | undefined {
    return this.timers.next();
  }

  // ---------------------------------------------------------------------------
  // start and stop

  /**
   * vrrp_init_state: an address owner configured MASTER becomes master at once (a 0
   * down timer); everyone else starts in BACKUP with the full Master_Down_Interval,
   * or in FAULT when a fault is already known. `group`: its sync group has a member in
   * FAULT (vrrp.c vrrp_complete_init sets every member of a group in FAULT to FAULT, with
   * its FAULT notify, before vrrp_init_state: it never goes through BACKUP). `wasFault`:
   * a reload restarts it and it was in FAULT before: keepalived sends no FAULT notify again
   * (vrrp_complete_init skips it, vrrp_init_state sees no change).
   */
  start(now: number, group?: string, wasFault = false): void {
    if (this.current !== "INIT") return;
    this.masterAdverIntCs = this.p.advertIntCs;
    if (group !== undefined && !this.hasRealFault()) {
      this.want = "FAULT";
      this.releaseAtStart();
      const faults: Fault[] = [{ kind: "sync-group", name: group }];
      this.changeState("FAULT", { reason: "init", faults }, now, { notify: !wasFault });
      return;
    }
    if (this.isFaulted()) {
      // waiting only for weight-0 scripts' first results (keepalived num_script_init) is
      // not a fault: FAULT state, but no FAULT notify, and wantstate stays as configured
      // so an owner goes straight to MASTER on the first success (try_up_instance)
      const onlyWaiting = !this.hasRealFault();
      if (!onlyWaiting) this.want = "FAULT";
      this.releaseAtStart();
      this.changeState("FAULT", { reason: "init", faults: this.faultList() }, now, {
        notify: !onlyWaiting && !wasFault,
      });
      return;
    }
    if (this.want === "MASTER" && this.isOwner) {
      // keepalived: "the simplest way to become master is to timeout from the backup
      // state very quickly"; the transition is reported as INIT -> MASTER
      this.downCause = "no-advert";
      this.msDownTimerMs = 0;
      this.timers.set("masterDown", this.downFrom(now));
      this.ownerStart = true;
      return;
    }
    // vrrp_init_state: a sync group member configured MASTER (its group starts as BACKUP)
    // waits one advert interval plus the smallest skew, "to ensure there is no other master"
    const downMs =
      this.sync && this.want === "MASTER"
        ? this.p.advertIntCs * 10 + minSkewMs(this.p.version, this.masterAdverIntCs)
        : this.downTimer();
    // vrrp_restore_interface(vrrp, false, true): a forced delete, so VIPs left behind
    // by a crash ("removing protocol VIPs") are gone before the first election
    this.releaseAtStart();
    this.changeState("BACKUP", { reason: "init", faults: [], downMs }, now, { downMs });
  }

  /** Shutdown (SIGTERM): a master resigns with a priority-0 advert and drops its VIPs. */
  stop(now: number): void {
    this.cancelGarps();
    this.changeState("STOP", { reason: "shutdown" }, now);
  }

  /**
   * Reload of a MASTER taken over unchanged (the router adopts it as it runs): keepalived
   * restore_vrrp_state sets its VIPs, eVIPs, routes and rules again ("(X) setting VIPs.";
   * the addresses already there stay, so nothing flaps). No transition; the advert and
   * the GARPs as after any reload (reloaded).
   */
  reassertVips(now: number): void {
    if (this.current !== "MASTER" || !this.vipSet) return;
    this.emitVips("add-vips");
    this.reloaded(now, false);
  }

  /**
   * A master going on through a reload (reassertVips, resumeMaster), as keepalived 2.2.7's
   * (seen live, test/interop/reload-garp.test.ts). Its advert goes out at once and the
   * interval counts from there (vrrp_scheduler.c vrrp_init_instance_sands: a reload_master's
   * sands is time_now). Every timer thread was cancelled (vrrp_daemon.c reload_vrrp_thread →
   * thread_cleanup_master), so a garp_master_delay or garp_lower_prio_delay burst still
   * pending does not come; the new vrrp_t's garp_refresh_timer is unset, so with
   * garp_master_refresh that advert sends the refresh frames (vrrp.c vrrp_state_master_tx).
   * When the reload added addresses (restore_vrrp_state's added_ip_addr), clear_diff_vrrp
   * sends a burst for all of them before it, and the refresh counts from then.
   */
  private reloaded(now: number, added: boolean): void {
    this.cancelGarps();
    if (added) this.garp(this.p.garpMasterRepeat);
    if (this.p.garpMasterRefreshMs > 0) this.refreshDue = added ? now + this.p.garpMasterRefreshMs : 0;
    this.timers.set("advert", now);
  }

  /**
   * keepalived's garp_refresh_timer: garp_master_refresh's frames go with the first advert
   * at or after it (vrrp.c vrrp_state_master_tx compares at each advert; set on becoming
   * MASTER, vrrp_state_become_master). 0: with the next advert; undefined: none.
   * keepalived's `>` is taken as `>=`: its clock has moved on by the time it compares, the
   * engine's (virtual in the tests) may stand exactly on the deadline.
   */
  private refreshDue: number | undefined;

  /**
   * Reload of a MASTER whose parameters changed (keepalived reload_master): it stays
   * MASTER with no transition; its VIPs are set again (the ones already there stay, so
   * nothing flaps), its advert goes out at once (reloaded). Not a state change: this
   * instance takes over the running one's state and history.
   */
  resumeMaster(now: number, from: Instance): void {
    this.current = "MASTER";
    this.want = "MASTER";
    this.masterAdverIntCs = this.p.advertIntCs;
    this.stats.advert_sent = from.stats.advert_sent;
    this.stats.become_master = from.stats.become_master;
    this.ahSeq = from.ahSeq;
    this.sinceAt = from.sinceAt;
    this.decisions = [...from.decisions];
    this.vipSet = true;
    const p = this.p;
    this.emitVips("add-vips");
    // an address the kernel had not: a VIP or eVIP new to the instance (its address, prefix or interface)
    const key = (v: InstanceParams["vips"][number]) => `${v.address}/${v.prefix}%${v.dev ?? ""}`;
    const had = new Set([...from.p.vips, ...from.p.excluded].map(key));
    this.reloaded(
      now,
      [...p.vips, ...p.excluded].some((v) => !had.has(key(v))),
    );
  }

  /**
   * Reload of a BACKUP whose parameters changed: keepalived's clear_diff_vrrp
   * (restore_vrrp_state) copies its state, so vrrp_init_state writes no "(init)" line and
   * sends no notify (its state does not change) and arms a new Master_Down timer
   * (vrrp_init_instance_sands). false, and nothing done, when it cannot go on as a BACKUP
   * here: faulted now, an address owner wanting MASTER (that start is quick), or a sync
   * group's member (its group's start decides); then start().
   */
  resumeBackup(now: number, from: Instance): boolean {
    if (this.current !== "INIT" || this.isFaulted() || this.sync !== undefined) return false;
    if (this.want === "MASTER" && this.isOwner) return false;
    this.current = "BACKUP";
    this.masterAdverIntCs = this.p.advertIntCs;
    this.sinceAt = from.sinceAt;
    this.decisions = [...from.decisions];
    this.stats.become_master = from.stats.become_master;
    this.stats.release_master = from.stats.release_master;
    this.enterBackup(now, this.downTimer());
    return true;
  }

  // ---------------------------------------------------------------------------
  // timers

  handleTimeout(now: number): void {
    const due = this.timers.expireMask(now);
    for (let i = 0; i < this.timers.size; i++) {
      if ((due & (1 << i)) === 0) continue;
      switch (this.timers.kind(i)) {
        case "garp":
          if (this.current === "MASTER") this.garp(this.p.garpMasterRepeat);
          break;
        case "lowerPrioGarp":
          if (this.current === "MASTER") this.garp(this.p.garpLowerPrioRepeat);
          break;
        case "masterDown":
          if (this.current === "BACKUP" || (this.current === "INIT" && this.ownerStart)) {
            const cause = this.downDetail();
            this.ownerStart = false;
            this.want = "MASTER";
            this.gotoMaster(now, cause);
          }
          break;
        case "advert":
          if (this.current === "MASTER") this.masterTx(now);
          break;
      }
    }
  }

  /** Why the master-down timer fired, from what the backup last heard. */
  private downDetail(): CauseDetail {
    if (this.ownerStart) return { reason: "address-owner" };
    const sender = this.downSender ?? { address: this.masterAddress ?? "?", priority: this.masterPriority ?? 0 };
    if (this.downCause === "priority-zero") return { reason: "priority-zero-received", sender };
    if (this.downCause === "preempt") return { reason: "preempt", sender };
    return this.masterAddress !== undefined
      ? {
          reason: "master-down-timer",
          lastHeard: { address: this.masterAddress, priority: this.masterPriority ?? 0 },
        }
      : { reason: "master-down-timer" };
  }

  // ---------------------------------------------------------------------------
  // receiving

  handleAdvert(adv: ReceivedAdvert, now: number): void {
    if (this.current === "BACKUP") this.backupRx(adv, now);
    else if (this.current === "MASTER") {
      const answered = this.masterRx(adv, now);
      // vrrp_dispatcher_read: "If we have sent an advert, reset the timer". keepalived
      // re-arms a master's advert timer after every packet it read, rejected and
      // unanswered ones too, so a stream of packets with our VRID silences a keepalived
      // master and its backups take over. keel re-arms only when it did send an advert
      // (RFC 5798 6.4.3 resets the Adver_Timer only with the advert it sends).
      if (answered && this.current === "MASTER") this.timers.set("advert", now + this.p.advertIntCs * 10);
    }
    // INIT, FAULT, STOP: adverts are not processed
  }

  /** vrrp_check_packet (check-advert.ts) */
  check(adv: ReceivedAdvert, checkVipAddr: boolean): "ok" | "ko" | "drop" {
    return checkAdvert(this, adv, checkVipAddr, this.emitRxError);
  }

  /** vrrp_state_backup */
  private backupRx(adv: ReceivedAdvert, now: number): void {
    const masterChange = this.masterAddress !== adv.from;
    if (this.check(adv, masterChange || !this.p.skipCheckAdvAddr) !== "ok") return; // the timer keeps running
    // an owner that backed off for a rogue owner takes 255 back once the rogue is gone
    if (this.isOwner && this.effectivePriority === PRIO_OWNER - 1 && (masterChange || adv.priority !== PRIO_OWNER)) {
      this.effectivePriority = PRIO_OWNER;
      this.totalPriority = PRIO_OWNER;
      this.emit({ type: "priority", instance: this.name, from: PRIO_OWNER - 1, to: PRIO_OWNER });
    }
    if (adv.priority === 0) {
      // RFC 5798 6.4.2: Set the Master_Down_Timer to Skew_Time
      this.msDownTimerMs = this.skew();
      this.timers.set("masterDown", this.downFrom(now) + this.msDownTimerMs);
      this.downCause = "priority-zero";
      this.downSender = { address: adv.from, priority: 0 };
      return;
    }
    const preemptWait = this.p.preemptDelayMs > 0 && (this.preemptTime === 0 || this.preemptTime > now);
    if (this.p.nopreempt || this.holdSet.size > 0 || adv.priority >= this.effectivePriority || preemptWait) {
      this.learnAdverInt(adv.advertIntCs);
      this.msDownTimerMs = this.downTimer();
      this.timers.set("masterDown", this.downFrom(now) + this.msDownTimerMs);
      this.downCause = "no-advert";
      this.downSender = undefined;
      this.masterAddress = adv.from;
      this.masterPriority = adv.priority;
      this.masterHeardAt = now;
      if (this.p.preemptDelayMs > 0) {
        if (adv.priority >= this.effectivePriority) this.preemptTime = 0;
        else if (this.preemptTime === 0) this.preemptTime = now + this.p.preemptDelayMs;
      }
      this.want = "BACKUP";
    } else {
      // lower priority and preemption allowed: discard, and let the timer run out
      this.masterAddress = adv.from;
      this.masterPriority = adv.priority;
      this.masterHeardAt = now;
      this.downCause = "preempt";
      this.downSender = { address: adv.from, priority: adv.priority };
    }
  }

  /**
   * vrrp_state_master_rx. Returns whether it sent an advert (so the caller re-arms the
   * advert timer). The answers to priority-0 and lower-priority adverts are limited
   * (answer-budget.ts): keepalived answers every one, so one host flooding valid adverts
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
      if (!this.answers.allow(adv.from, now, this.p.advertIntCs * 10)) return false;
      this.sendAdvert(this.effectivePriority, now);
      return true;
    }
    let sent = false;
    if (this.p.higherPrioSendAdvert && higherThan()) {
      // we are about to leave MASTER: one advert per transition, nothing to limit
      this.sendAdvert(this.effectivePriority, now);
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
        this.emit({ type: "priority", instance: this.name, from: PRIO_OWNER, to: PRIO_OWNER - 1 });
      } else if (this.rogueCounter === 0) {
        this.rogueCounter = 2;
        this.rogueAdverIntCs = adv.advertIntCs;
      }
    }
    if (adv.priority < this.effectivePriority || (adv.priority === this.effectivePriority && cmp < 0)) {
      // a lower-priority master: re-assert ourselves (keepalived "forcing new election")
      // keepalived "IPSEC-AH : Syncing seq_num - Increment seq"
      if (adv.ah) this.ahSeq = adv.ah.seq + 1;
      if (!this.answers.allow(adv.from, now, this.p.advertIntCs * 10)) return false;
      const suppressed = this.answers.takeUnanswered();
      if (!this.p.lowerPrioNoAdvert) this.sendAdvert(this.effectivePriority, now);
      if (this.p.garpLowerPrioRepeat > 0) {
        this.garp(this.p.garpLowerPrioRepeat);
        if (this.p.garpLowerPrioDelayMs > 0) this.timers.set("lowerPrioGarp", now + this.p.garpLowerPrioDelayMs);
      }
      const lower = { instance: this.name, from: adv.from, priority: adv.priority, ours: this.effectivePriority };
      this.emit({ type: "master-rx-lower-pri", ...lower, suppressed });
      return !this.p.lowerPrioNoAdvert;
    }
    if (higherThan()) {
      this.learnAdverInt(adv.advertIntCs);
      this.masterAddress = adv.from;
      this.masterPriority = adv.priority;
      this.masterHeardAt = now;
      this.want = "BACKUP";
      const sender = { address: adv.from, priority: adv.priority };
      this.leaveMaster(now, {
        reason: adv.priority > this.effectivePriority ? "higher-priority-advert" : "equal-priority-higher-ip",
        sender,
      });
    }
    // equal priority from our own address: nothing to do
    return sent;
  }

  /** keepalived vrrp_saddr_cmp: the advert's source against our primary address. */
  private compareSource(from: string): number {
    if (this.sourceKey === undefined) return 0;
    return compareAddresses(from, this.sourceKey);
  }

  // ---------------------------------------------------------------------------
  // the one place the state changes

  /**
   * FRR's vrrp_change_state: nothing when the state stays; else the old state's exit,
   * the transition (with its cause, computed before anything moved), the decision kept,
   * and the new state's entry handler.
   */
  private changeState(to: VrrpState, detail: CauseDetail, now: number, o: ChangeOptions = {}): void {
    const from = this.current;
    if (from === to && !o.reenter) return;
    const cause = this.cause(detail);
    if (from === "MASTER") this.exitMaster(to, o.resign === true, now);
    else if (o.reenter) {
      this.sendAdvert(PRIO_STOP, now);
      this.stats.pri_zero_sent++;
      this.stats.release_master++;
    }
    this.timers.stop("masterDown");
    this.timers.stop("advert");
    if (to === "MASTER") {
      // keepalived sends the advert before taking the VIPs, so the old master lets go first
      this.sendAdvert(this.effectivePriority, now);
      this.stats.become_master++;
    }
    this.current = to;
    this.sinceAt = now;
    this.decisions.push({ at: now, from, to, cause });
    if (this.decisions.length > DECISIONS_KEPT) this.decisions.shift();
    this.emit({ type: "transition", instance: this.name, from, to, reason: detail.reason, cause });
    const notify = o.notify ?? true;
    switch (to) {
      case "MASTER":
        this.enterMaster(now);
        break;
      case "BACKUP":
        this.enterBackup(now, o.downMs ?? this.downTimer());
        if (notify) this.notify("BACKUP");
        break;
      case "FAULT":
      case "STOP":
        if (notify) this.notify(to);
        break;
      case "INIT":
        break;
    }
  }

  /** vrrp_state_leave_master's side: to FAULT or STOP a priority-0 advert first; the VIPs go. */
  private exitMaster(to: VrrpState, resign: boolean, now: number): void {
    if (to !== "BACKUP" || resign) {
      this.sendAdvert(PRIO_STOP, now);
      this.stats.pri_zero_sent++;
    }
    this.releaseVips();
    this.cancelGarps();
    if (to !== "STOP") this.stats.release_master++;
  }

  /** MASTER entry: advertise every interval, take the VIPs, announce them (takeVips). */
  private enterMaster(now: number): void {
    this.timers.set("advert", now + this.p.advertIntCs * 10);
    this.takeVips(now);
  }

  /** BACKUP entry: no preemption pending, the Master_Down timer armed. */
  private enterBackup(now: number, downMs: number): void {
    this.preemptTime = 0;
    this.armDown(now, downMs);
  }

  private armDown(now: number, downMs: number): void {
    this.msDownTimerMs = downMs;
    this.downCause = "no-advert";
    this.downSender = undefined;
    this.timers.set("masterDown", this.downFrom(now) + downMs);
  }

  /**
   * vrrp_startup_delay (keepalived vrrp_scheduler.c vrrp_init_instance_sands): until the
   * delayed start, a backup's Master_Down timer counts from the delayed start, not from now.
   */
  private downFrom(now: number): number {
    return now < this.delayedStart ? this.delayedStart : now;
  }

  /** The start of a daemon (not a reload) with vrrp_startup_delay: no MASTER by timeout before `at`. */
  delayStart(at: number): void {
    this.delayedStart = at;
  }

  /** The cause of a decision: the rule and the numbers as they are now. */
  private cause(detail: CauseDetail): Cause {
    const c: Cause = {
      ...detail,
      rule: RULES[detail.reason],
      priority: this.priorityShare(),
      timers: this.timerShare(),
      preempt: { nopreempt: this.p.nopreempt, delayMs: this.p.preemptDelayMs },
    };
    if (this.p.source !== undefined) c.source = this.p.source;
    return c;
  }

  private priorityShare(): PriorityShare {
    return { base: this.p.priority, effective: this.effectivePriority, trackers: this.trackers };
  }

  private timerShare(): TimerShare {
    return { advertIntMs: this.masterAdverIntCs * 10, masterDownMs: this.downTimer(), skewMs: this.skew() };
  }

  /** What explains the standing state (explain.ts renders it). */
  view(): InstanceView {
    const p = this.p;
    const v: InstanceView = {
      name: p.name,
      state: this.current,
      version: p.version,
      vrid: p.vrid,
      vips: p.vips.map((a) => `${a.address}/${a.prefix}`),
      unicast: p.unicast,
      priority: this.priorityShare(),
      timers: { ...this.timerShare(), masterDownMs: this.msDownTimerMs },
      preempt: { nopreempt: p.nopreempt, delayMs: p.preemptDelayMs },
      faults: this.heldBy(),
      holds: this.holds(),
      preempting: this.current === "BACKUP" && this.downCause === "preempt",
      decisions: [...this.decisions],
    };
    if (this.sinceAt !== undefined) v.since = this.sinceAt;
    if (p.ifname !== undefined) v.ifname = p.ifname;
    if (p.source !== undefined) v.source = p.source;
    if (this.sync) v.group = this.sync.name;
    if (this.current === "BACKUP" && this.masterAddress !== undefined) {
      v.master = { address: this.masterAddress, priority: this.masterPriority ?? 0 };
      if (this.masterHeardAt !== undefined) v.master.heardAt = this.masterHeardAt;
    }
    if (this.current === "BACKUP" || this.ownerStart) {
      const t = this.timers.get("masterDown");
      if (t !== undefined) v.masterDownAt = t;
    }
    const adv = this.timers.get("advert");
    if (adv !== undefined) v.advertAt = adv;
    if (this.current === "BACKUP" && this.preemptTime > 0) v.preemptAt = this.preemptTime;
    return v;
  }

  // ---------------------------------------------------------------------------
  // transitions

  /** vrrp_state_goto_master (+ vrrp_sync_can_goto_master) */
  gotoMaster(now: number, detail: CauseDetail): void {
    const maintenance = this.holdSet.get("maintenance") ?? this.holdSet.get("standby");
    if (maintenance) {
      // held BACKUP: the timer runs on, so the instance keeps following who is master
      this.want = "BACKUP";
      this.ownerStart = false;
      if (this.current === "BACKUP") this.armDown(now, this.downTimer());
      else this.changeState("BACKUP", { reason: "hold", hold: maintenance }, now);
      return;
    }
    this.want = "MASTER";
    if (this.sync && !this.sync.canGotoMaster(this)) {
      this.msDownTimerMs = this.downTimer();
      this.timers.set("masterDown", this.downFrom(now) + this.msDownTimerMs);
      return;
    }
    this.changeState("MASTER", detail, now);
  }

  /**
   * keepalived 2.4 vrrp_thread_timeout_handler (timer_expired_backup): the engine ran
   * `lateMs` late (the router saw it, VrrpRouter.checkLate). A MASTER with the keyword
   * whose last advert is at least 3 advert intervals + the Skew_Time of the highest
   * other priority old may have been replaced by a backup meanwhile; being nopreempt, it
   * goes back to BACKUP (no priority-0 advert: vrrp_state_leave_master(vrrp, false)) and
   * follows the new master rather than preempting it with its next advert.
   */
  timerExpired(now: number, lateMs: number): void {
    const hop = this.p.timerExpiredBackup;
    if (hop === undefined || this.current !== "MASTER" || this.lastAdvertAt === undefined) return;
    const takeover = takeoverMs(this.p.version, this.p.advertIntCs, hop, 3);
    const sinceAdvertMs = now - this.lastAdvertAt;
    if (sinceAdvertMs < takeover) return;
    this.want = "BACKUP";
    const detail: CauseDetail = {
      reason: "timer-expired-backup",
      lateMs,
      sinceAdvertMs,
      takeoverMs: takeover,
      highestOther: hop,
    };
    this.changeState("BACKUP", detail, now);
  }

  /** vrrp_state_master_tx: the periodic advert. */
  private masterTx(now: number): void {
    this.sendAdvert(this.effectivePriority, now, true);
    if (!this.vipSet) this.takeVips(now);
    else {
      if (this.isOwner && this.rogueCounter > 0 && --this.rogueCounter === 0) {
        // "a bit more than" max(ours, the rogue's interval): 1.2 times
        this.rogueUntil = now + Math.max(this.rogueAdverIntCs, this.p.advertIntCs) * 10 * 1.2;
      }
      // garp_master_refresh, looked at with each advert (refreshDue)
      if (this.refreshDue !== undefined && now >= this.refreshDue) {
        this.garp(this.p.garpMasterRefreshRepeat);
        this.refreshDue = now + this.p.garpMasterRefreshMs;
      }
    }
    if (this.rogueUntil > 0 && this.rogueUntil <= now) this.rogueUntil = 0; // the rogue stopped
    this.timers.set("advert", now + this.p.advertIntCs * 10);
  }

  private takeVips(now: number): void {
    this.vipSet = true;
    const p = this.p;
    this.emitVips("add-vips");
    this.garp(p.garpMasterRepeat);
    if (p.garpMasterDelayMs > 0) this.timers.set("garp", now + p.garpMasterDelayMs);
    else this.timers.stop("garp");
    this.refreshDue = p.garpMasterRefreshMs > 0 ? now + p.garpMasterRefreshMs : undefined;
    this.notify("MASTER");
  }

  private forceReleaseVips(): void {
    this.vipSet = true;
    this.releaseVips();
  }

  /**
   * keepalived vrrp_restore_interfaces_startup (a daemon's start, every instance, the
   * router calls it in configuration order before any starts): a forced removal of the
   * VIPs a crash may have left. start() then removes nothing more. `remove` false: an
   * instance whose interface did not exist before (a VMAC created now): nothing to remove.
   */
  clearVipsAtStart(remove = true): void {
    if (remove) this.forceReleaseVips();
    this.vipsCleared = true;
  }

  /** start()'s forced removal, unless clearVipsAtStart did it (a reload's fresh instance). */
  private releaseAtStart(): void {
    if (!this.vipsCleared) this.forceReleaseVips();
  }

  private releaseVips(): void {
    if (!this.vipSet) return;
    this.vipSet = false;
    this.emitVips("del-vips");
  }

  /** The VIPs, eVIPs, routes and rules set (add) or removed (del) together, as keepalived's vrrp_handle_ipaddress/iproutes/iprules do. */
  private emitVips(type: "add-vips" | "del-vips"): void {
    const p = this.p;
    this.emit({
      type,
      instance: p.name,
      ifname: p.ifname,
      addresses: p.vips,
      excluded: p.excluded,
      routes: p.routes,
      rules: p.rules,
    });
  }

  /** vrrp_state_leave_master: to BACKUP (higher advert, sync group) or FAULT (priority-0 advert first). */
  leaveMaster(now: number, detail: CauseDetail): void {
    if (this.current !== "MASTER") return;
    this.changeState(this.want === "FAULT" ? "FAULT" : "BACKUP", detail, now);
  }

  /**
   * RFC 5798 6.4.2 / 6.4.3: a VRRPv3 instance that accepts a master's advert takes its
   * interval as Master_Adver_Interval; a change is said (keepalived update_master_adver_int),
   * since the runtime cuts interface_up_down_delays against a shorter one.
   */
  private learnAdverInt(cs: number): void {
    if (this.p.version !== 3 || cs === this.masterAdverIntCs) return;
    this.emit({ type: "master-adver-int", instance: this.name, from: this.masterAdverIntCs, to: cs });
    this.masterAdverIntCs = cs;
  }

  /**
   * keepalived set_vrrp_backup, when a tracked virtual route or rule is deleted: a MASTER
   * goes to BACKUP (a priority-0 advert, as vrrp_state_leave_master(vrrp, true) sends; the
   * VIPs, routes and rules go), with a Master_Down of the skew time only, so that without
   * another master it is MASTER again (and puts them back) at once. keepalived_netlink.c
   * netlink_route_filter acts only under MASTER; netlink_rule_filter checks no state, so a
   * BACKUP whose rule is deleted leaves and enters BACKUP again (its log line, the
   * priority-0 advert that makes the master advertise at once, the notifies) with the same
   * short Master_Down. (Under FAULT, keepalived 2.2.7 does the same: BACKUP, then MASTER
   * after the skew time with its tracked interface still down, as a netns run shows; keel
   * keeps FAULT, since its fault has not gone.) set_vrrp_backup sets wantstate BACKUP, which
   * a sync group reads (vrrp_sync_can_goto_master). `notify` false: its sync group is
   * already in BACKUP (send_instance_notifies sends nothing then). Returns whether it left.
   * `reason` vip-deleted: netlink_if_address_filter's call for a VIP or eVIP deleted under
   * MASTER (address_is_ours matches only a MASTER's), the same step as a route's.
   */
  routeDeleted(
    what: string,
    now: number,
    rule = false,
    notify = true,
    reason: "route-deleted" | "vip-deleted" = "route-deleted",
  ): boolean {
    const detail: CauseDetail = { reason, what };
    if (this.current === "MASTER") this.resignQuickly(detail, now, notify);
    else if (rule && this.current === "BACKUP") {
      this.want = "BACKUP";
      this.changeState("BACKUP", detail, now, { downMs: this.skew(), reenter: true, notify });
    } else return false;
    return true;
  }

  /**
   * set_vrrp_backup's step for a MASTER (the instance whose route or rule went, and each
   * other MASTER of its sync group): wantstate BACKUP, vrrp_state_leave_master(vrrp, true),
   * then `ms_down_timer = VRRP_TIMER_SKEW(vrrp)` "for a quick transition back to master".
   */
  resignQuickly(detail: CauseDetail, now: number, notify = true): void {
    if (this.current !== "MASTER") return;
    this.want = "BACKUP";
    this.changeState("BACKUP", detail, now, { downMs: this.skew(), resign: true, notify });
  }

  /** vrrp_state_leave_fault: out of FAULT/INIT into wantState. */
  leaveFault(now: number, detail: CauseDetail): void {
    this.masterAdverIntCs = this.p.advertIntCs;
    if (this.want === "MASTER") {
      this.gotoMaster(now, detail);
      return;
    }
    if (this.want === "FAULT" && this.current === "MASTER") {
      this.leaveMaster(now, detail);
      return;
    }
    if (this.current !== this.want) this.changeState(this.want, detail, now);
    else if (this.current === "BACKUP") this.enterBackup(now, this.downTimer());
  }

  // ---------------------------------------------------------------------------
  // faults and priority

  isFaulted(): boolean {
    return this.faultSet.size > 0;
  }

  hasFault(f: Fault): boolean {
    return this.faultSet.has(faultKey(f));
  }

  /** What holds the instance in FAULT now. */
  faultList(): Fault[] {
    return [...this.faultSet.values()];
  }

  /** What holds it in FAULT: its own faults, or else its sync group's (another member is faulted). */
  private heldBy(): Fault[] {
    const own = this.faultList();
    if (own.length > 0 || this.current !== "FAULT" || !this.sync?.groupFaulted(this)) return own;
    return [{ kind: "sync-group", name: this.sync.name }];
  }

  /** A fault other than waiting for a weight-0 script's first result. */
  private hasRealFault(): boolean {
    for (const f of this.faultSet.values()) if (f.kind !== "init") return true;
    return false;
  }

  /**
   * down_instance / try_up_instance: set or clear one fault. Entering FAULT from MASTER
   * sends a priority-0 advert and drops the VIPs.
   */
  setFault(fault: Fault, faulted: boolean, now: number): void {
    const had = this.isFaulted();
    const hadReal = this.hasRealFault();
    if (faulted) this.faultSet.set(faultKey(fault), fault);
    else this.faultSet.delete(faultKey(fault));
    if (this.current === "INIT" || this.current === "STOP") return;
    const faults = this.faultList();
    const iface = fault.kind === "interface";
    if (!had && this.isFaulted())
      this.goFault(now, { reason: iface ? "interface-down" : "track-fault", fault, faults });
    else if (faulted && !hadReal && this.current === "FAULT" && fault.kind !== "init") {
      // keepalived down_instance during the init wait: num_script_init is no fault flag,
      // so the first failure is a new fault; the state is already FAULT, the notify is not
      this.want = "FAULT";
      this.notify("FAULT");
    } else if (had && !this.isFaulted() && !this.sync?.groupFaulted(this))
      this.recover(now, { reason: iface ? "interface-up" : "track-recovered", fault, faults });
  }

  /**
   * A learned source address (router.handleSource): taken while there is one, a fault
   * `address` on the interface while there is none. A configured source never calls this.
   */
  setSource(source: string | undefined, detail: string | undefined, now: number): void {
    const fault: Fault = { kind: "address", name: this.p.ifname ?? "", detail };
    if (source !== undefined) {
      this.p.source = source;
      this.sourceKey = canonicalIp(source) ?? source;
    }
    const had = this.faultSet.get(faultKey(fault));
    if (source === undefined && had) {
      // a tentative link-local that failed DAD: the same fault, new words (a copy: past causes keep theirs)
      this.faultSet.set(faultKey(fault), fault);
      return;
    }
    if ((source === undefined) !== (had !== undefined)) this.setFault(fault, source === undefined, now);
  }

  /** Enter FAULT (also used by a sync group pulling its members along). */
  goFault(now: number, detail: CauseDetail): void {
    if (this.current === "FAULT" || this.current === "STOP" || this.current === "INIT") return;
    this.want = "FAULT";
    if (this.current === "MASTER") this.leaveMaster(now, detail);
    else this.leaveFault(now, detail);
  }

  /**
   * try_up_instance: all faults cleared. An owner still wanting MASTER (it was only
   * waiting for its scripts' first results) is master at once; anyone else, the owner
   * after a real fault included (down_instance set wantstate FAULT), comes back as BACKUP
   * with the full Master_Down_Interval (vrrp_state_leave_fault resets ms_down_timer).
   */
  recover(now: number, detail: CauseDetail): void {
    if (this.current !== "FAULT") return;
    this.masterAdverIntCs = this.p.advertIntCs;
    if (!(this.want === "MASTER" && this.isOwner)) this.want = "BACKUP";
    this.leaveFault(now, detail);
  }

  /**
   * An SNMP set of vrrpInstanceBasePriority (keepalived vrrp_snmp_instance_priority): the
   * base priority the trackers' total starts from, and with it ownership (255), as
   * keepalived's base_priority. The caller moves the total (VrrpRouter applyTracking). A
   * reload takes the configured priority again (the params then differ: a changed instance).
   */
  setBasePriority(priority: number): void {
    this.p.priority = priority;
  }

  /** An SNMP set of vrrpInstancePreempt (vrrp_snmp_instance_preempt): VRRP_FLAG_NOPREEMPT. */
  setPreempt(on: boolean): void {
    this.p.nopreempt = !on;
  }

  /**
   * vrrp_set_effective_priority: trackers moved the total; the owner never changes,
   * everyone else is clamped to 1..254. A backup's running timer moves with its skew.
   * `trackers` is each tracker's share, kept for the causes of later decisions.
   */
  setTotalPriority(total: number, trackers?: TrackerShare[]): void {
    if (trackers) this.trackers = trackers;
    this.totalPriority = total;
    if (this.isOwner) return;
    const next = Math.min(PRIO_OWNER - 1, Math.max(1, total));
    if (next === this.effectivePriority) return;
    const before = this.effectivePriority;
    const oldDown = this.msDownTimerMs;
    this.effectivePriority = next;
    this.msDownTimerMs = this.downTimer();
    const down = this.timers.get("masterDown");
    if (this.current === "BACKUP" && down !== undefined)
      this.timers.set("masterDown", down + this.msDownTimerMs - oldDown);
    this.emit({ type: "priority", instance: this.name, from: before, to: next });
  }

  // ---------------------------------------------------------------------------
  // operators' holds

  /** The holds in force, maintenance first. */
  holds(): Hold[] {
    return [...this.holdSet.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }

  isHeld(kind: Hold["kind"]): boolean {
    return this.holdSet.has(kind);
  }

  /**
   * Set or release an operator's hold. Set on a MASTER, it resigns at once: a priority-0
   * advert (the backups' Master_Down timers drop to Skew_Time, RFC 5798 6.4.2), the VIPs
   * go, and it waits in BACKUP with the full Master_Down_Interval, so a backup wins.
   * Released, nothing moves by itself: the next lower-priority advert starts preemption
   * again (if configured), and a maintenance hold's re-armed down timer may now fire.
   */
  setHold(hold: Hold, on: boolean, now: number): void {
    if (!on) {
      this.holdSet.delete(hold.kind);
      return;
    }
    this.holdSet.set(hold.kind, hold);
    if (this.current !== "MASTER") return;
    this.want = "BACKUP";
    this.changeState("BACKUP", { reason: "hold", hold }, now, { resign: true });
  }

  /** Reload: a changed instance (a new object) keeps the holds of the one it replaces. */
  carryHolds(from: Instance): void {
    for (const h of from.holdSet.values()) this.holdSet.set(h.kind, h);
  }

  /**
   * keepalived vrrp.c vrrp_check_packet (CHKSUM_COMPATIBILITY_NONE → AUTO): a unicast
   * VRRPv3 advert whose checksum is only right over the old pseudo-header switches the
   * instance to it, for what it sends and checks from now on. Not with
   * `old_unicast_checksum never`; the router asks (wantsOldChecksumRetry) before retrying.
   */
  switchToOldChecksum(from: string): void {
    if (this.oldChecksum) return;
    this.oldChecksum = true;
    this.emit({ type: "old-checksum", instance: this.p.name, from });
  }

  /** May an advert that failed the checksum be checked again over the old pseudo-header? */
  wantsOldChecksumRetry(): boolean {
    const p = this.p;
    return !this.oldChecksum && p.family === 4 && p.version === 3 && p.unicast && p.checksumCompat === "new";
  }

  /**
   * `garp INSTANCE` from the control socket: refresh neighbours now (master only), a
   * garp_master_repeat burst; D-Bus SendGarp asks for one round, as keepalived's
   * vrrp_dbus.c does (vrrp_send_link_update(vrrp, 1)).
   */
  sendGarpNow(rounds = this.p.garpMasterRepeat): void {
    if (this.current === "MASTER") this.garp(rounds);
  }

  // ---------------------------------------------------------------------------
  // outputs

  /**
   * `periodic`: the advert timer's (masterTx). With `reuseAdverts` set (the daemon's driver,
   * which sends each advert as it executes the action) that one is the instance's own
   * action and AdvertOut, rewritten at its next periodic advert, instead of two objects
   * per advert (~450 bytes of garbage a second per master: JavaScriptCore's collection
   * cycle, hence the 1,000-instance master's RSS sawtooth; issue 20). keepalived likewise
   * rewrites one buffer per instance (vrrp_update_pkt). The fields that move are the
   * priority, the IPv4 id, the AH sequence and the old-checksum destination; the rest are
   * the instance's for its lifetime (its params), but for a learned source. Not reused while the last one is still
   * queued here (not yet polled): every queued action keeps its own contents.
   */
  private sendAdvert(priority: number, now: number, periodic = false): void {
    const p = this.p;
    this.lastAdvertAt = now;
    const kept = this.keptAdvert;
    if (periodic && kept !== undefined && !this.keptQueued) {
      const a = kept.advert;
      a.priority = priority;
      a.ipId = this.nextIpId();
      a.seq = p.auth?.type === "AH" ? this.nextAhSeq() : 0;
      this.refreshRecord(a);
      this.stats.advert_sent++;
      this.keptQueued = true;
      this.emit(kept);
      return;
    }
    const ipId = this.nextIpId();
    const advert = this.advertRecord(priority, ipId, p.auth?.type === "AH" ? this.nextAhSeq() : 0);
    this.stats.advert_sent++;
    const action = { type: "send-advert" as const, advert };
    if (periodic && this.reuseAdverts) {
      this.keptAdvert = action;
      this.keptQueued = true;
    }
    this.emit(action);
  }
  private advertRecord(priority: number, ipId: number, seq: number): AdvertOut {
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
      destinations: p.unicast ? p.unicastPeers : this.multicastTo(),
      unicast: p.unicast,
      ipId,
      seq,
    };
    if (p.auth) advert.auth = p.auth;
    if (p.source !== undefined) advert.source = p.source;
    if (p.unicastTtl !== undefined) advert.ttl = p.unicastTtl;
    if (this.oldChecksum) advert.checksumDst = p.checksumGroup4;
    if (this.hmac?.signs) advert.hmac = this.hmac;
    if (p.v3ChecksumAsV2) advert.checksumAsV2 = true;
    return advert;
  }

  /**
   * The advert becoming MASTER now would send (changeState), neither sent nor counted, its
   * IPv4 id and AH sequence 0: the driver encodes it at the pre-wake before a Master_Down
   * deadline, so the takeover finds its packet already encoded (transmit.ts keeps one per
   * priority and addresses; issue 20).
   */
  takeoverAdvert(): AdvertOut {
    return this.advertRecord(this.effectivePriority, 0, 0);
  }

  /**
   * The Master_Down deadline at which this BACKUP, with no other input before it, becomes
   * MASTER and adds its VIPs (handleTimeout → gotoMaster → takeVips): the daemon's driver
   * hands that request to the kernel ahead, to be sent at the deadline whatever the event
   * loop is doing (src/runtime/takeover-queue.ts). Undefined when the deadline is not
   * simply that: not BACKUP, an operator's hold (gotoMaster keeps it BACKUP), a sync group
   * (whose other members decide: canGotoMaster).
   */
  takeoverAt(): number | undefined {
    if (this.current !== "BACKUP" || this.holdSet.size > 0 || this.sync !== undefined) return undefined;
    return this.timers.get("masterDown");
  }

  /**
   * The periodic advert this MASTER's advert timer will send (masterTx) and its deadline,
   * the record as sendAdvert will write it then (the same priority, the next IPv4 id):
   * the daemon's driver hands it to the kernel ahead, to leave at the deadline whatever
   * the event loop is doing (src/runtime/advert-queue.ts). Neither sent nor counted; one
   * record per instance, rewritten by each call. Undefined when the deadline is not
   * simply that advert: not MASTER, AH or auth_hmac (a sequence or a signature per
   * send), timer_expired_backup (a late engine may leave MASTER at that deadline first).
   */
  nextAdvert(): { at: number; advert: AdvertOut } | undefined {
    const p = this.p;
    if (this.current !== "MASTER" || p.auth?.type === "AH" || this.hmac?.signs || p.timerExpiredBackup !== undefined)
      return undefined;
    const at = this.timers.get("advert");
    if (at === undefined) return undefined;
    const id = (this.ipId + 1) & 0xffff; // nextIpId's, not taken
    const n = this.peeked;
    if (n === undefined) {
      this.peeked = { at, advert: this.advertRecord(this.effectivePriority, id === 0 ? 1 : id, 0) };
      return this.peeked;
    }
    const a = n.advert;
    n.at = at;
    a.priority = this.effectivePriority;
    a.ipId = id === 0 ? 1 : id;
    this.refreshRecord(a);
    return n;
  }
  private peeked: { at: number; advert: AdvertOut } | undefined;

  /** A kept advert record's fields that move between two adverts, but the priority and ids. */
  private refreshRecord(a: AdvertOut): void {
    const p = this.p;
    // a learned source moves with the interface's addresses (setSource): the record says
    // the one this advert goes from, as a fresh one would
    if (a.source !== p.source) {
      if (p.source === undefined) delete a.source;
      else a.source = p.source;
    }
    // switchToOldChecksum may have moved it since the last advert
    const dst = this.oldChecksum ? p.checksumGroup4 : undefined;
    if (a.checksumDst !== dst) {
      if (dst === undefined) delete a.checksumDst;
      else a.checksumDst = dst;
    }
  }

  /**
   * The daemon's driver sends every advert before the instance's next one (it executes
   * the actions as it polls them): the periodic advert's records may then be kept
   * (sendAdvert). Off for the simulator and the tests, which keep the actions they poll.
   */
  reuseAdverts = false;
  private keptAdvert: { type: "send-advert"; advert: AdvertOut } | undefined;
  /** the kept advert is queued, not yet handed out (takeActions): the next one takes fresh records */
  private keptQueued = false;

  /** [the group], made once: a new array per advert was garbage (issue 20) */
  private multicastTo(): string[] {
    const g = this.p.mcastGroup;
    if (this.mcastTo?.[0] !== g) this.mcastTo = [g];
    return this.mcastTo;
  }
  private mcastTo: string[] | undefined;

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
      this.emit({ type: "send-garp", instance: this.name, ifname: this.p.ifname, addresses, count });
  }

  private cancelGarps(): void {
    this.timers.stop("garp");
    this.timers.stop("lowerPrioGarp");
    this.refreshDue = undefined;
  }

  private notify(state: NotifyState): void {
    this.emit({ type: "notify", kind: "INSTANCE", name: this.name, state, priority: this.effectivePriority });
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
