/**
 * All the VRRP instances of one host: the engine the runtime (and the simulator)
 * drives. It routes received packets to the instance by interface, family and VRID,
 * keeps tracker state and turns it into priorities and faults, and runs sync groups
 * (keepalived vrrp_sync.c). Sans-I/O like the instances it holds (DESIGN.md rule 1).
 */
import type { KeelConfig } from "../config/model";
import { formatIpv4, formatIpv6, parseIpv4 as ipv4Bytes } from "../base/ip";
import { IPPROTO_VRRP } from "../base/vrrp";
import { type CauseDetail, type Hold, faultKey } from "./cause";
import { Instance, NO_ACTIONS, type SyncControl } from "./instance";
import { type Before, Observer } from "./observe";
import { instanceParams } from "./params";
import { takeoverMs } from "./timers";
import { type DecodeFailure, decodeReceivedInto, isDecodeFailure, receivedRecord } from "./receive";
import { TrackerBoard, type TrackChange } from "./track-board";
import type { Action, ReceivedAdvert, VrrpState } from "./types";

/** A packet as a raw socket hands it over. */
export interface RxPacket {
  /** the interface it arrived on */
  ifname: string;
  /**
   * The socket it came through, as keepalived dispatches a packet only to its socket's
   * instances (vrrp_scheduler.c vrrp_dispatcher_read: sock->rb_vrid): "interface", one
   * bound to `ifname` (its instances on `ifname`); "address", an interfaceless unicast
   * instance's, bound to its unicast_src_ip (interfaceless instances only). Undefined (the
   * simulator's one segment): an instance on `ifname` or one without an interface.
   */
  via?: "interface" | "address";
  family: 4 | 6;
  /** IPv4: the whole IP packet (header included, as a raw socket gives it); IPv6: the VRRP message */
  data: Uint8Array;
  /**
   * IPv6: source and destination from the socket (IPv4 reads them from the header);
   * 16 bytes as recvmsg gives them, or text (the simulator)
   */
  src?: string | Uint8Array;
  dst?: string | Uint8Array;
  /** IPv6 hop limit from IPV6_HOPLIMIT; IPv4 reads the TTL from the header */
  hopLimit?: number;
  /** the wall clock at receipt, ms since the epoch: auth_hmac's time window (auth-hmac.ts) */
  wallMs?: number;
}

export interface RouterHost {
  /** the primary address of an interface, for the equal-priority tie-break */
  interfaceAddress?(ifname: string, family: 4 | 6): string | undefined;
  /** the text of an auth_hmac `file:` key (params.ts ReadKeyFile) */
  readKeyFile?(path: string): string | undefined;
  /**
   * The consumer carries out each polled send-advert before the instance's next advert
   * (the daemon's driver, which sends as it executes): the periodic advert's action and
   * AdvertOut are then the instance's own, rewritten at each advert (Instance.sendAdvert;
   * issue 20). Leave it off where actions are kept (the simulator, tests).
   */
  reuseAdverts?: boolean;
}

/** A deadline in the router's heap (VrrpRouter.touch). */
interface HeapEntry {
  t: number;
  inst: Instance;
}

/**
 * `queued`'s value for an instance with no live entry: its key stays (a delete then set per
 * advert deadline left tombstones that made the Map rebuild its table every few adverts,
 * issue 20), and no deadline is ever equal to it or after it.
 */
const NOT_QUEUED = Number.POSITIVE_INFINITY;

interface SyncGroup {
  name: string;
  members: Instance[];
  state: "BACKUP" | "MASTER" | "FAULT" | "INIT";
}

/** Counters for packets that reached no instance. */
export interface RouterStats {
  /** decode failures by error code (truncated, bad-checksum, ...) */
  dropped: Record<string, number>;
  /** adverts for a VRID we do not run on that interface (keepalived log_unknown_vrids) */
  unknown_vrid: number;
  /** the last of those: what the runtime logs under log_unknown_vrids */
  lastUnknown?: { vrid: number; ifname: string };
}

export type EngineCommand =
  /** GARP/NA for the VIPs now: `rounds` of them (default garp_master_repeat) */
  | { type: "garp"; instance: string; rounds?: number }
  | { type: "stop" }
  /** an operator's hold set (on) or released (cause.ts Hold) */
  | { type: "hold"; instance: string; hold: Hold; on: boolean }
  /** SNMP sets of KEEPALIVED-MIB's vrrpInstanceBasePriority and vrrpInstancePreempt (src/snmp/write-vrrp.ts) */
  | { type: "base-priority"; instance: string; priority: number }
  | { type: "preempt"; instance: string; on: boolean }
  /** a tracked virtual route or rule (`rule`) of the instance was deleted (netlink) */
  | { type: "route-deleted"; instance: string; what: string; rule?: boolean }
  /** a tracked VIP or eVIP of the MASTER instance was deleted by someone else (netlink RTM_DELADDR) */
  | { type: "vip-deleted"; instance: string; what: string };

export class VrrpRouter {
  readonly instances = new Map<string, Instance>();
  readonly groups = new Map<string, SyncGroup>();
  readonly stats: RouterStats = { dropped: {}, unknown_vrid: 0 };
  readonly board: TrackerBoard;
  /** at a reload (takeOver): the state of the previous router's group of each name */
  private readonly groupStateBefore = new Map<string, SyncGroup["state"]>();
  /** at a reload: the changed instances that were in FAULT (restarted without a FAULT notify) */
  private readonly faultBefore = new Set<Instance>();
  private readonly byVrid = new Map<number, Instance[]>();
  private readonly groupOf = new Map<Instance, SyncGroup>();
  private out: Action[] = [];
  /**
   * How many instances queued actions since the last pollActions (Instance.onPending), and
   * the first: one is the common case (a master's advert). Whether an instance is one of
   * them is its hasActions(). No Set: clearing one per advert made a new table (~260
   * bytes; JavaScriptCore's Set.clear), issue 20.
   */
  private pendingCount = 0;
  private pendingOne: Instance | undefined;
  private readonly markPending = (inst: Instance) => {
    if (this.pendingCount++ === 0) this.pendingOne = inst;
  };
  private readonly reuseAdverts: boolean;
  private pulling = false;
  /** an instance's state before the advert it handles (handleAdvert → observer.advert) */
  private readonly beforeAdvert: Before = { state: "INIT", lastTransition: 0 };
  /**
   * Deadlines as a binary min-heap: `queued` holds each instance's live entry (NOT_QUEUED:
   * none), which may be earlier than its real deadline (see touch). A timer tick is O(log n).
   */
  private heap: HeapEntry[] = [];
  /** entries popped off the heap, for push to fill again: no object per deadline (issue 20) */
  private readonly spare: HeapEntry[] = [];
  private readonly queued = new Map<Instance, number>();
  private started = false;
  /** takeOver ran: start() is a reload's (no start-up VIP clean-up) */
  private reloading = false;
  /**
   * timer_expired_backup (keepalived 2.4 vrrp_complete_instances' vrrp_timeout_min): how
   * late the engine must run before its masters check whether they were replaced, the
   * smallest "2 advert intervals + the highest other priority's Skew_Time" of the
   * instances that set it; undefined when none does (no check at all).
   */
  private readonly lateMinMs: number | undefined;
  /** reload: instances taken over running from the previous router, and changed masters */
  private readonly adopted = new Set<Instance>();
  private readonly resumed = new Map<Instance, Instance>();
  /** at a reload: the instances running on (adopted, or resumed masters), in the old configuration's order */
  private readonly kept: Instance[] = [];
  /** at a reload: changed instances that were BACKUP (Instance.resumeBackup), by their new instance */
  private readonly backupBefore = new Map<Instance, Instance>();
  /** [wire] dual masters, foreign adverts, VRIDs heard per interface (observe.ts) */
  readonly observer = new Observer((ifname, family) =>
    [...this.instances.values()]
      .filter((i) => i.p.family === family && (i.p.ifname === undefined || i.p.ifname === ifname))
      .map((i) => i.p.vrid),
  );

  /**
   * Called with every instance that took an input (touch: after each, whatever it did), so
   * that the daemon's driver looks again at only those instances' next advert
   * (src/runtime/advert-queue.ts). An instance changes only through an input.
   */
  onTouch: ((inst: Instance) => void) | undefined;

  /** some instance has auth_hmac: the driver then stamps received packets with the wall clock */
  hmac = false;

  constructor(
    readonly config: KeelConfig,
    host: RouterHost = {},
  ) {
    this.reuseAdverts = host.reuseAdverts === true;
    for (const v of Object.values(config.vrrpInstances)) {
      const inst = new Instance(instanceParams(config, v, host.interfaceAddress, host.readKeyFile));
      if (inst.hmac) this.hmac = true;
      this.adopt(inst);
      const key = vridKey(inst.p.family, inst.p.vrid);
      this.byVrid.set(key, [...(this.byVrid.get(key) ?? []), inst]);
    }
    for (const g of Object.values(config.vrrpSyncGroups)) {
      const members = g.group
        .map((n) => this.instances.get(n))
        .filter((i): i is Instance => i !== undefined && !this.groupOf.has(i));
      if (members.length === 0) continue;
      const group: SyncGroup = { name: g.name, members, state: "INIT" };
      this.groups.set(g.name, group);
      for (const m of members) {
        this.groupOf.set(m, group);
        m.sync = this.syncControl(group);
      }
    }
    let lateMin: number | undefined;
    for (const inst of this.instances.values()) {
      const hop = inst.p.timerExpiredBackup;
      if (hop === undefined) continue;
      const t = takeoverMs(inst.p.version, inst.p.advertIntCs, hop, 2);
      if (lateMin === undefined || t < lateMin) lateMin = t;
    }
    this.lateMinMs = lateMin;
    this.board = new TrackerBoard(config, [...this.instances.values()], (name) => {
      const g = this.groupOf.get(this.instances.get(name) as Instance);
      return g ? config.vrrpSyncGroups[g.name] : undefined;
    });
    // trackers already failing at start (init_fail, interfaces down) put instances in FAULT
    for (const inst of this.instances.values()) this.applyTracking(inst, 0);
  }

  // ---------------------------------------------------------------------------
  // inputs

  /**
   * `delayMs`: vrrp_startup_delay, at a daemon's start only (keepalived vrrp_daemon.c
   * start_vrrp: `!reload`): no instance becomes MASTER by timeout before now + delayMs.
   */
  start(now: number, delayMs = 0, noStartClear?: ReadonlySet<string>): void {
    if (this.started) return;
    this.started = true;
    if (delayMs > 0) for (const inst of this.instances.values()) inst.delayStart(now + delayMs);
    // keepalived vrrp_daemon.c start_vrrp, at a daemon's start (not a reload):
    // vrrp_restore_interfaces_startup removes every instance's VIPs, in configuration
    // order ("(X) removing VIPs." for each), before vrrp_init_state starts any
    // `noStartClear`: the instances whose interface did not exist before (keepalived
    // vrrp_complete_instance sets vipset only if !reload && interface_already_existed,
    // and only for an interface with an ifindex): a VMAC created now, a missing interface
    if (!this.reloading)
      for (const inst of this.instances.values()) {
        if (noStartClear?.has(inst.name)) inst.clearVipsAtStart(false);
        else inst.clearVipsAtStart();
        inst.takeActions(this.out);
      }
    // at a reload vrrp_init_state's vrrp_restore_interface(vrrp, false, false) removes only
    // the VIPs an instance had set (vipset): none for an added one or one that was not
    // MASTER (no "(X) removing VIPs."); a former master goes through resumeMaster, or
    // start()'s removal when it starts in FAULT
    else
      for (const inst of this.instances.values())
        if (!this.adopted.has(inst) && !this.resumed.has(inst)) inst.clearVipsAtStart(false);
    // vrrp_init_state starts each instance on its own; the groups are settled after
    this.pulling = true;
    for (const inst of this.instances.values()) {
      if (this.adopted.has(inst)) {
        // running on: its state, timers and counters carry over; trackers may have moved.
        // A master sets its VIPs again (keepalived clear_diff_vrrp: restore_vrrp_state,
        // after the removed instances' priority 0)
        inst.reassertVips(now);
        this.applyTracking(inst, now);
        this.touch(inst);
        continue;
      }
      const prev = this.resumed.get(inst);
      const backup = this.backupBefore.get(inst);
      if (prev && !inst.isFaulted()) this.run(inst, () => inst.resumeMaster(now, prev));
      else
        this.run(inst, () => {
          // a changed BACKUP goes on as one, silently (Instance.resumeBackup)
          if (backup && inst.resumeBackup(now, backup)) return;
          inst.start(now, this.groupInFault(inst), this.faultBefore.has(inst));
        });
    }
    this.pulling = false;
    // keepalived's order: vrrp_complete_init notifies every instance that starts in FAULT
    // (in configuration order), then vrrp_init_state the groups, then each other instance
    for (const inst of this.instances.values())
      if (inst.state === "FAULT" && !this.adopted.has(inst) && inst.hasActions()) inst.takeActions(this.out);
    // vrrp_init_state: the groups' notifies, then each instance in configuration order
    // ("(X) Entering BACKUP STATE (init)"), group members among the others. A group that
    // groupInit pulls into FAULT keeps its members' actions with it (their start, then
    // the pull).
    const pulled = new Set<Instance>();
    for (const g of this.groups.values())
      if (g.members.some((m) => m.state === "FAULT")) for (const m of g.members) pulled.add(m);
    // at a reload, clear_diff_vrrp's restore_vrrp_state sets each kept master's VIPs again
    // ("(X) setting VIPs."), in the old configuration's order, before vrrp_dispatcher_init's
    // vrrp_init_state starts the others
    if (this.reloading)
      for (const inst of this.kept) if (!pulled.has(inst) && inst.hasActions()) inst.takeActions(this.out);
    const rest: Action[] = [];
    for (const inst of this.instances.values())
      if (!this.adopted.has(inst) && !pulled.has(inst) && inst.hasActions()) inst.takeActions(rest);
    for (const g of this.groups.values()) {
      this.groupInit(g);
      for (const m of g.members) this.touch(m);
    }
    this.take(rest);
  }

  /**
   * Before start(): the tracker results another router of the same configuration got
   * (the driver's deferred start builds the router again once the kernel's tables are read).
   */
  carryTracking(prev: VrrpRouter): void {
    this.board.carryFrom(prev.board);
    for (const inst of this.instances.values()) this.applyTracking(inst, 0);
  }

  /**
   * Reload (SIGHUP), before start(): take the previous router's state. An instance with
   * the same name and the same parameters is taken over as it runs (no transition, no
   * advert gap); a changed one that was MASTER stays MASTER (keepalived reload_master);
   * anything else starts afresh. Tracker results carry over, so a script does not go
   * back to its init state. Instances that no longer exist are stopped (priority 0, VIPs
   * removed); their actions come out of this router's pollActions. Returns their names.
   */
  takeOver(prev: VrrpRouter, now: number): string[] {
    this.reloading = true;
    this.board.carryFrom(prev.board);
    this.observer.segment.carryFrom(prev.observer.segment); // [wire]
    for (const inst of this.instances.values()) this.applyTracking(inst, 0);
    const gone: string[] = [];
    for (const old of prev.instances.values()) {
      const fresh = this.instances.get(old.name);
      if (!fresh) {
        this.remove(old, prev.config.vrrpInstances[old.name]?.notifyDeleted !== undefined, now);
        gone.push(old.name);
        continue;
      }
      if (sameParams(old.p, fresh.p) && this.groupOf.has(fresh) === (old.sync !== undefined)) {
        this.replace(fresh, old);
        this.adopted.add(old);
        this.kept.push(old);
      } else {
        fresh.carryHolds(old);
        if (old.state === "FAULT") this.faultBefore.add(fresh);
        // auth_hmac: the sequence keeps growing and the replay marks stay (a mode migration is a reload)
        if (fresh.hmac && old.hmac) fresh.hmac.takeOver(old.hmac);
        if (old.state === "MASTER") {
          this.resumed.set(fresh, old);
          this.kept.push(fresh);
        }
        if (old.state === "BACKUP") this.backupBefore.set(fresh, old);
      }
    }
    for (const g of this.groups.values()) {
      const before = prev.groups.get(g.name);
      if (before) this.groupStateBefore.set(g.name, before.state);
      if (before?.members.every((m) => g.members.includes(m))) g.state = before.state;
    }
    return gone;
  }

  /**
   * An instance a reload removed: stopped (priority 0, VIPs removed), but notified as
   * keepalived notifies a deleted one (vrrp.c clear_diff_vrrp, vrrp_notify.c
   * send_instance_notifies): DELETED with `notify_deleted`, else FAULT ("we used to send
   * FAULT if an instance was deleted"), and nothing when it was in FAULT already.
   */
  private remove(old: Instance, notifyDeleted: boolean, now: number): void {
    const wasFault = old.state === "FAULT";
    old.stop(now);
    for (const a of old.pollActions()) {
      if (a.type !== "notify" || a.kind !== "INSTANCE" || a.name !== old.name || a.state !== "STOP") {
        this.out.push(a);
        continue;
      }
      if (notifyDeleted) this.out.push({ ...a, state: "DELETED" });
      else if (!wasFault) this.out.push({ ...a, state: "FAULT" });
    }
  }

  private replace(fresh: Instance, old: Instance): void {
    this.adopt(old);
    const key = vridKey(old.p.family, old.p.vrid);
    this.byVrid.set(
      key,
      (this.byVrid.get(key) ?? []).map((i) => (i === fresh ? old : i)),
    );
    const group = this.groupOf.get(fresh);
    old.sync = undefined;
    if (group) {
      this.groupOf.delete(fresh);
      this.groupOf.set(old, group);
      group.members = group.members.map((m) => (m === fresh ? old : m));
      old.sync = this.syncControl(group);
    }
  }

  handleAdvert(rx: RxPacket, now: number): void {
    if (this.lateMinMs !== undefined) this.checkLate(now);
    const adv = this.decode(rx);
    if (isDecodeFailure(adv)) {
      this.countDrop(rx, adv);
      return;
    }
    this.observer.segment.heard(rx.ifname, rx.family, adv.vrid, now); // [wire]
    const inst = this.onInterface(this.byVrid.get(vridKey(rx.family, adv.vrid)), rx);
    if (!inst) {
      this.stats.unknown_vrid++;
      this.stats.lastUnknown = { vrid: adv.vrid, ifname: rx.ifname };
      return;
    }
    // our own adverts come back on multicast loopback
    if (adv.from === inst.sourceKey) return;
    // one object filled per advert, read by the observer before it returns: no garbage
    const before = this.beforeAdvert; // [wire]
    before.state = inst.state;
    before.lastTransition = inst.lastTransition;
    // no closure per advert (issue 20): run() in line
    inst.handleAdvert(adv, now);
    this.ran(inst, before.state);
    this.observer.advert(inst, adv, rx.ifname, before, now); // [wire]
  }

  /**
   * The checksum as the packet's instance checks it (keepalived vrrp_check_packet, with
   * _WITH_UNICAST_CHKSUM_COMPAT_ as Debian builds it): an instance on the old unicast
   * checksum takes only that; one on the new takes the new, and a unicast advert that
   * checks only the old way switches it over (Instance.switchToOldChecksum). One with
   * v3_checksum_as_v2 checks no VRRPv3 checksum (keepalived 2.4's vrrp_check_packet).
   * Every form decodes into the router's one record: no objects per advert heard (issue 20).
   */
  private decode(rx: RxPacket): ReceivedAdvert | DecodeFailure {
    const inst = rx.family === 4 ? this.instanceOfRaw(rx) : undefined;
    // auth_hmac's trailer is looked for only by an instance that has it (vrrp_check_packet)
    const hmac = (rx.family === 4 ? inst : this.instanceOfV6(rx))?.hmac !== undefined;
    const asV2 = inst?.p.v3ChecksumAsV2 === true;
    // v3_checksum_as_v2 overrides the old checksum: vrrp_build_vrrp_v3 builds no pseudo-header at all
    const old = inst?.oldChecksum && !asV2 ? this.groupBytes(inst.p.checksumGroup4) : undefined;
    const got = decodeReceivedInto(rx, this.rxRecord, old, hmac, asV2);
    if (!isDecodeFailure(got) || got.code !== "bad-checksum" || asV2 || !inst?.wantsOldChecksumRetry()) return got;
    const group = this.groupBytes(inst.p.checksumGroup4);
    // the old pseudo-header equals the new one for a packet sent to the group itself
    if (group === undefined || sameAt(rx.data, 16, group)) return got;
    // `got` is a failure object of its own: the retry refilling the record leaves it as it is
    const retry = decodeReceivedInto(rx, this.rxRecord, group, hmac);
    if (isDecodeFailure(retry)) return got;
    inst.switchToOldChecksum(packetSource(rx));
    return retry;
  }

  /** An IPv4 multicast group's bytes, parsed once per group (the old checksum's pseudo-header) */
  private groupBytes(text: string): Uint8Array | undefined {
    let b = this.checksumGroups.get(text);
    if (b === undefined && !this.checksumGroups.has(text)) {
      b = ipv4Bytes(text);
      this.checksumGroups.set(text, b);
    }
    return b;
  }
  private readonly checksumGroups = new Map<string, Uint8Array | undefined>();
  /** what decodeReceivedInto fills, read before handleAdvert returns */
  private readonly rxRecord = receivedRecord();

  /** The instance an IPv4 packet's VRRP header names, read before decoding (v3: no AH header). */
  private instanceOfRaw(rx: RxPacket): Instance | undefined {
    const d = rx.data;
    if (d.length < 20 || d[9] !== IPPROTO_VRRP) return undefined;
    const vrid = d[((d[0] ?? 0) & 0x0f) * 4 + 1];
    if (vrid === undefined) return undefined;
    return this.onInterface(this.byVrid.get(vridKey(4, vrid)), rx);
  }

  /** The instance an IPv6 packet's VRRP header names, read before decoding. */
  private instanceOfV6(rx: RxPacket): Instance | undefined {
    const vrid = rx.data[1];
    return vrid === undefined ? undefined : this.onInterface(this.byVrid.get(vridKey(6, vrid)), rx);
  }

  /** The first of `candidates` (one VRID and family) that takes `rx`; a loop, not a closure per packet. */
  private onInterface(candidates: readonly Instance[] | undefined, rx: RxPacket): Instance | undefined {
    if (candidates) for (const c of candidates) if (takes(c, rx)) return c;
    return undefined;
  }

  /**
   * keepalived 2.4's scheduler (lib/scheduler.c thread_fetch_next_queue): after each wait
   * it compares the clock with the timer it waited for, and when it woke at least
   * vrrp_timeout_min late it calls vrrp_thread_timeout_handler before anything it woke
   * for runs (so a late master does not first answer the advert of the backup that
   * replaced it). The timer waited for is this router's earliest deadline; an input that
   * comes before it says nothing. In a sync group the instance moves alone, as 2.4.3's
   * handler calls vrrp_state_leave_master with no VRRP_TSM_HANDLE after it: the other
   * members stay MASTER and so does the group's state (no vrrp_sync_backup, no group
   * notify), so the instance may become MASTER again by its own Master_Down timer
   * (vrrp_sync_can_goto_master: the group is MASTER).
   */
  private checkLate(now: number): void {
    const due = this.pollTimeout();
    if (due === undefined || this.lateMinMs === undefined || now - due < this.lateMinMs) return;
    const lateMs = now - due;
    for (const inst of this.instances.values()) {
      if (inst.p.timerExpiredBackup === undefined || inst.state !== "MASTER") continue;
      inst.timerExpired(now, lateMs);
      this.touch(inst);
    }
  }

  handleTimeout(now: number): void {
    if (this.lateMinMs !== undefined) this.checkLate(now);
    // one list kept across calls, filled from 0 (a new array per advert deadline was
    // garbage, issue 20); nothing an instance does calls back into handleTimeout
    const due = this.due;
    let n = 0;
    for (let top = this.heap[0]; top !== undefined && top.t <= now; top = this.heap[0]) {
      this.pop();
      if (this.queued.get(top.inst) !== top.t) continue; // superseded
      this.queued.set(top.inst, NOT_QUEUED);
      due[n++] = top.inst;
    }
    for (let i = 0; i < n; i++) {
      const inst = due[i]!;
      due[i] = undefined;
      const t = inst.pollTimeout();
      if (t !== undefined && t <= now) {
        const before = inst.state;
        inst.handleTimeout(now);
        this.ran(inst, before);
      } else this.touch(inst);
      this.observer.settle(inst, now); // [wire]
    }
  }
  private readonly due: (Instance | undefined)[] = [];

  /** A tracker's new result (script exit, file value, interface link, process count, BFD). */
  handleTrack(change: TrackChange, now: number): void {
    if (this.lateMinMs !== undefined) this.checkLate(now);
    // keepalived walks the tracker's list (e.g. process_if_status_change over
    // ifp->tracking_vrrp) and each instance's move, its group's pull included, is done
    // before the next: the actions come out in that order
    for (const name of this.board.update(change, now)) {
      const inst = this.instances.get(name);
      if (!inst) continue;
      this.applyTracking(inst, now);
      inst.takeActions(this.out);
    }
    for (const inst of this.instances.values()) this.observer.settle(inst, now); // [wire]
  }

  /**
   * The address an instance sends from, learned from its interface at run time (no
   * unicast_src_ip / mcast_src_ip): keepalived netlink_if_address_filter copies a new
   * address into a missing saddr and tries the instance up, and downs it when its saddr
   * goes. `undefined`: none usable now, with `detail` saying why (FAULT until one is).
   */
  handleSource(instance: string, source: string | undefined, detail: string | undefined, now: number): void {
    const inst = this.instances.get(instance);
    if (!inst) return;
    this.run(inst, () => inst.setSource(source, detail, now));
    this.observer.settle(inst, now); // [wire]
  }

  handleCommand(cmd: EngineCommand, now: number): void {
    if (cmd.type === "stop") {
      // keepalived restore_vrrp_interfaces: each master's priority 0 and "(X) removing
      // VIPs." in configuration order, group members among the others; notify_shutdown
      // then the instances' notifies before the groups'
      for (const inst of this.instances.values()) {
        this.run(inst, () => inst.stop(now));
        inst.takeActions(this.out);
      }
      for (const g of this.groups.values()) this.setGroupState(g, "INIT", "STOP");
      return;
    }
    const inst = this.instances.get(cmd.instance);
    if (!inst) return;
    if (cmd.type === "hold") this.run(inst, () => inst.setHold(cmd.hold, cmd.on, now));
    else if (cmd.type === "base-priority") {
      // keepalived: total_priority moves by the difference, then vrrp_set_effective_priority
      inst.setBasePriority(cmd.priority);
      this.applyTracking(inst, now);
    } else if (cmd.type === "preempt") inst.setPreempt(cmd.on);
    else if (cmd.type === "route-deleted") this.routeDeleted(inst, cmd.what, cmd.rule === true, now);
    else if (cmd.type === "vip-deleted") this.routeDeleted(inst, cmd.what, false, now, "vip-deleted");
    else inst.sendGarpNow(cmd.rounds);
  }

  // ---------------------------------------------------------------------------
  // outputs

  pollActions(): readonly Action[] {
    this.collect();
    // nothing to do (most polls): the shared empty list, no new array (issue 20)
    if (this.out.length === 0) return NO_ACTIONS;
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * pollActions into the caller's list (appended), this router's own kept: the daemon's
   * driver empties and refills one list per pump instead of taking a new array per advert
   * deadline (issue 20). The actions are the same objects pollActions would return.
   */
  drainActions(into: Action[]): void {
    this.collect();
    const out = this.out;
    for (let i = 0; i < out.length; i++) into.push(out[i]!);
    out.length = 0;
  }

  private collect(): void {
    // in the instances' order, as when every instance was polled; one is the common case
    const n = this.pendingCount;
    const one = this.pendingOne;
    this.pendingCount = 0;
    this.pendingOne = undefined;
    if (n === 1 && one !== undefined) {
      if (this.instances.get(one.name) === one) one.takeActions(this.out);
    } else if (n > 1) for (const inst of this.instances.values()) if (inst.hasActions()) inst.takeActions(this.out);
    this.take(this.observer.poll()); // [wire] after the actions they explain
  }

  /** Append without spreading: `push(...list)` copies the list into an arguments array. */
  private take(list: readonly Action[]): void {
    for (let i = 0; i < list.length; i++) this.out.push(list[i]!);
  }

  /** An instance joins this router: its actions come out of pollActions. */
  private adopt(inst: Instance): void {
    this.instances.set(inst.name, inst);
    inst.onPending = this.markPending;
    inst.reuseAdverts = this.reuseAdverts;
    if (inst.hasActions()) this.markPending(inst);
  }

  pollTimeout(): number | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.queued.get(top.inst) === top.t) return top.t;
      this.pop();
    }
    return undefined;
  }

  /**
   * Whether pollTimeout's deadline is a BACKUP's (its Master_Down timer: a BACKUP arms no
   * other), read right after pollTimeout. The driver wakes a little before such a deadline
   * (vrrp-driver.ts arm): it is the one deadline that ends in a transition.
   */
  /**
   * Queue again the first deadlines that adverts moved later (touch keeps an earlier
   * entry rather than push one per advert): called at the driver's pre-wake, so that the
   * next one aims at a deadline that still is one. A backup hearing its master then wakes
   * once per Master_Down_Interval, as before the pre-wake, not twice (2 ms apart).
   */
  requeueMoved(): void {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.queued.get(top.inst) !== top.t) {
        this.pop(); // superseded
        continue;
      }
      const t = top.inst.pollTimeout();
      if (t !== undefined && t <= top.t) return;
      this.pop();
      this.queued.set(top.inst, NOT_QUEUED);
      this.touch(top.inst);
    }
  }

  /** The instance whose deadline pollTimeout gives (the earliest), if any. */
  nextDue(): Instance | undefined {
    return this.pollTimeout() === undefined ? undefined : this.heap[0]?.inst;
  }

  nextMasterDown(): Instance | undefined {
    const top = this.heap[0];
    return top !== undefined && top.inst.state === "BACKUP" ? top.inst : undefined;
  }

  /**
   * Queue an instance's deadline. A deadline that moved later keeps its earlier entry:
   * the instance wakes early once and is queued again (handleTimeout), which costs far
   * less than a heap push for every advert that resets a timer.
   */
  private touch(inst: Instance): void {
    this.onTouch?.(inst);
    const t = inst.pollTimeout();
    if (t === undefined) return;
    const q = this.queued.get(inst);
    if (q !== undefined && q <= t) return;
    this.queued.set(inst, t);
    this.push(t, inst);
  }

  private push(t: number, inst: Instance): void {
    const e = this.spare.pop() ?? { t, inst };
    e.t = t;
    e.inst = inst;
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as HeapEntry;
      if (p.t <= e.t) break;
      h[i] = p;
      i = parent;
    }
    h[i] = e;
  }

  /**
   * Remove the earliest entry. It goes to `spare`, to be filled by a later push: a caller
   * may read the entry it just popped (handleTimeout, requeueMoved) until its next push.
   */
  private pop(): void {
    const h = this.heap;
    const top = h[0];
    if (top !== undefined) this.spare.push(top);
    const last = h.pop();
    if (h.length === 0 || !last) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && (h[r] as { t: number }).t < (h[l] as { t: number }).t ? r : l;
      const child = h[c] as HeapEntry;
      if (child.t >= last.t) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }

  // ---------------------------------------------------------------------------
  // tracking

  private applyTracking(inst: Instance, now: number): void {
    const { delta, faults, shares } = this.board.evaluate(inst.name);
    const keys = new Set(faults.map(faultKey));
    this.run(inst, () => {
      inst.setTotalPriority(inst.p.priority + delta, shares);
      // new faults first: a script's first failure replacing its init wait must not pass
      // through an unfaulted moment (a transient BACKUP)
      for (const f of faults) if (!inst.hasFault(f)) inst.setFault(f, true, now);
      for (const f of inst.faultList())
        if (f.kind !== "address" && !keys.has(faultKey(f))) inst.setFault(f, false, now);
    });
  }

  // ---------------------------------------------------------------------------
  // sync groups (keepalived vrrp_sync.c)

  private syncControl(group: SyncGroup): SyncControl {
    return {
      name: group.name,
      canGotoMaster: (inst) =>
        group.state === "MASTER" || group.members.every((m) => m === inst || m.wantState === "MASTER"),
      groupFaulted: (inst) => group.members.some((m) => m !== inst && m.isFaulted()),
    };
  }

  /** Run one instance input, then let its sync group follow a state change (VRRP_TSM_HANDLE). */
  private run(inst: Instance, f: () => void): void {
    const before = inst.state;
    f();
    this.ran(inst, before);
  }

  /** After an input to `inst` (run, or the advert and timer paths without a closure). */
  private ran(inst: Instance, before: VrrpState): void {
    this.touch(inst);
    const group = this.groupOf.get(inst);
    if (!group || this.pulling || inst.state === before) return;
    // vrrp_sync_master / _backup / _fault run after the instance's own move: its lines first
    inst.takeActions(this.out);
    this.pulling = true;
    try {
      if (inst.state === "MASTER") this.syncMaster(group, inst);
      else if (inst.state === "BACKUP") this.syncBackup(group, inst);
      else if (inst.state === "FAULT") this.syncFault(group, inst);
    } finally {
      this.pulling = false;
      for (const m of group.members) this.touch(m);
    }
  }

  private syncMaster(group: SyncGroup, from: Instance): void {
    if (group.state === "MASTER") return;
    this.out.push({ type: "group-sync", group: group.name, state: "MASTER" });
    // `from` only became master because every member wanted to (canGotoMaster)
    for (const m of group.members) m.followGroup("MASTER");
    const now = from.lastTransition;
    for (const m of group.members) {
      if (m === from || m.state === "MASTER") continue;
      const why = pulled(group, from);
      if (m.state === "FAULT" || m.state === "INIT") m.leaveFault(now, why);
      else m.gotoMaster(now, why);
    }
    this.setGroupState(group, "MASTER", "MASTER");
  }

  private syncBackup(group: SyncGroup, from: Instance): void {
    if (group.state === "BACKUP") return;
    this.out.push({ type: "group-sync", group: group.name, state: "BACKUP" });
    const now = from.lastTransition;
    for (const m of group.members) {
      if (m === from || m.state === "BACKUP") continue;
      m.followGroup("BACKUP");
      const why = pulled(group, from);
      if (m.state === "FAULT" || m.state === "INIT") m.leaveFault(now, why);
      else m.leaveMaster(now, why);
    }
    this.setGroupState(group, "BACKUP", "BACKUP");
  }

  private syncFault(group: SyncGroup, from: Instance): void {
    if (group.state === "FAULT") return;
    this.out.push({ type: "group-sync", group: group.name, state: "FAULT" });
    for (const m of group.members) if (m !== from) m.goFault(from.lastTransition, pulled(group, from));
    this.setGroupState(group, "FAULT", "FAULT");
  }

  /**
   * keepalived_netlink.c set_vrrp_backup (2.2.7, and 2.4.3 alike), for a tracked virtual
   * route or rule deleted, or (`reason` vip-deleted: netlink_if_address_filter) a VIP or
   * eVIP of a MASTER: the instance leaves (Instance.routeDeleted); in a sync group,
   * every other member in MASTER leaves too, with a priority-0 advert and its own skew time
   * as Master_Down, and the group is set to BACKUP without vrrp_sync_backup (no "Syncing
   * instances" line, no group notify). Members' notifies go only while the group was not
   * yet BACKUP (vrrp_notify.c send_instance_notifies). With every member wanting BACKUP,
   * the first whose skew time ends waits for the others (vrrp_sync_can_goto_master) and
   * the last takes the group back to MASTER. Actions in keepalived's order: the instance,
   * then the members.
   */
  private routeDeleted(
    inst: Instance,
    what: string,
    rule: boolean,
    now: number,
    reason: "route-deleted" | "vip-deleted" = "route-deleted",
  ): void {
    const group = this.groupOf.get(inst);
    if (!group) {
      this.run(inst, () => inst.routeDeleted(what, now, rule, true, reason));
      return;
    }
    const notify = group.state !== "BACKUP";
    this.pulling = true;
    try {
      if (!inst.routeDeleted(what, now, rule, notify, reason)) return;
      this.take(inst.pollActions());
      for (const m of group.members) {
        if (m === inst || m.state !== "MASTER") continue;
        m.resignQuickly(pulled(group, inst), now, notify);
        this.take(m.pollActions());
      }
      group.state = "BACKUP";
    } finally {
      this.pulling = false;
      for (const m of group.members) this.touch(m);
    }
  }

  /** vrrp_init_state: a group starts in FAULT if any member is, else BACKUP. */
  /**
   * The name of inst's sync group when another member starts with a fault (not only
   * waiting for its scripts' first results): keepalived initialise_tracking_priorities
   * ("VRRP_Group(%s): Syncing %s to FAULT state") then vrrp_complete_init put the whole
   * group in FAULT before any member starts.
   */
  private groupInFault(inst: Instance): string | undefined {
    const group = this.groupOf.get(inst);
    const real = (m: Instance) => m.faultList().some((f) => f.kind !== "init");
    return group?.members.some((m) => m !== inst && real(m)) ? group.name : undefined;
  }

  /** A reload left the group of this name in the state it had (keepalived state_same_at_reload). */
  sameStateAtReload(group: SyncGroup): boolean {
    return this.groupStateBefore.get(group.name) === group.state;
  }

  private groupInit(group: SyncGroup): void {
    const state = group.members.some((m) => m.state === "FAULT")
      ? "FAULT"
      : group.members.every((m) => m.state === "MASTER")
        ? "MASTER"
        : "BACKUP";
    const faulted = group.members.find((m) => m.state === "FAULT");
    if (faulted) for (const m of group.members) m.goFault(m.lastTransition, pulled(group, faulted));
    // vrrp_init_state: no group notify when a reload left the group (by name) in the same
    // state (vrrp.c vrrp_complete_init state_same_at_reload); fifo_write_vrrp_states_on_reload
    // writes its line to the FIFOs instead (notify.ts reloadStates)
    if (this.groupStateBefore.get(group.name) === state) {
      group.state = state;
      for (const m of group.members) this.out.push(...m.pollActions());
      return;
    }
    this.setGroupState(group, state, state);
  }

  private setGroupState(
    group: SyncGroup,
    state: SyncGroup["state"],
    notify: "MASTER" | "BACKUP" | "FAULT" | "STOP",
  ): void {
    group.state = state;
    // members' own actions first, so the order reads: instances moved, then the group
    for (const m of group.members) this.out.push(...m.pollActions());
    this.out.push({ type: "notify", kind: "GROUP", name: group.name, state: notify, priority: 0 });
  }

  // ---------------------------------------------------------------------------

  private countDrop(rx: RxPacket, error: DecodeFailure): void {
    // attribute the failure to the instance when the VRID can be read (per-instance stats)
    const inst =
      error.vrid !== undefined ? this.byVrid.get(vridKey(rx.family, error.vrid))?.find((i) => takes(i, rx)) : undefined;
    const from = packetSource(rx);
    this.out.push({
      type: "rx-error",
      instance: inst?.name,
      from,
      code: error.code,
      message: `${dropWords(inst?.name, inst?.p.version, error)} (from ${from} on ${rx.ifname})`,
    });
    if (inst) {
      const s = inst.stats;
      if (isProtoError(error.code)) inst.lastProtoError = error.code;
      if (error.code === "bad-checksum") s.chk_err++;
      else if (error.code === "bad-version") s.vers_err++;
      else if (error.code === "bad-type") s.invalid_type_rcvd++;
      else if (error.code === "bad-ttl") s.ip_ttl_err++;
      else s.packet_len_err++;
      return;
    }
    this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1;
  }
}

/** keepalived 2.2.7's words for the checks it shares with the decoder, else the decoder's. */
function dropWords(name: string | undefined, version: 2 | 3 | undefined, error: DecodeFailure): string {
  const who = name ? `(${name}) ` : "";
  if (error.code === "bad-checksum" && version) return `${who}Invalid VRRPv${version} checksum`;
  if (error.code === "bad-type")
    return `${who}Invalid packet type. ${error.message.match(/type (\d+)/)?.[1] ?? "?"} and expect 1`;
  return `${who}${error.message}`;
}

/** The sender of a packet that may not even decode, for the log line. */
function packetSource(rx: RxPacket): string {
  if (rx.family === 4) return rx.data.length >= 16 ? formatIpv4(rx.data, 12) : "?";
  if (rx.src === undefined) return "?";
  return typeof rx.src === "string" ? rx.src : rx.src.length === 16 ? formatIpv6(rx.src) : "?";
}

/** Instance parameters compare by value (they are plain data built from the config). */
function sameParams(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function vridKey(family: 4 | 6, vrid: number): number {
  return family * 256 + vrid;
}

/** The cause of a member pulled along by `by` (vrrp_sync.c). */
function pulled(group: SyncGroup, by: Instance): CauseDetail {
  return { reason: "sync-group", group: group.name, member: by.name, memberState: by.state };
}

/** The errors keepalived records as stats->proto_err_reason (vrrp.c vrrp_check_packet). */
function isProtoError(code: string): boolean {
  return code === "bad-ttl" || code === "bad-version" || code === "bad-checksum" || code === "bad-vrid";
}

/** Whether an instance takes a packet that came in as `rx` says (RxPacket.via). */
/**
 * Whether `data` holds `bytes` at `offset`. A loop, not `subarray().every(closure)`: a
 * closure over `group` made decode() allocate a scope object for every advert heard,
 * the retry path taken or not (issue 20).
 */
function sameAt(data: Uint8Array, offset: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (data[offset + i] !== bytes[i]) return false;
  return true;
}

function takes(i: Instance, rx: RxPacket): boolean {
  if (rx.via === "address") return i.p.ifname === undefined;
  if (rx.via === "interface") return i.p.ifname === rx.ifname;
  return i.p.ifname === undefined || i.p.ifname === rx.ifname;
}
