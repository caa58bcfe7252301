/**
 * Each MASTER's next periodic advert handed to the kernel ahead, to leave at its deadline
 * whatever the event loop is doing then (DESIGN.md "Kernel I/O", issue 20): Bun's loop
 * between a timer's signal and its listener, another instance's work in the same wake-up,
 * a collection. Those made keel's adverts leave up to 2–4 ms late where keepalived's
 * stay within 0.8 ms (bench/RESULTS.md, "Advert send jitter: what the late adverts are").
 *
 * The engine stays the one that decides: it still runs every advert deadline, and its
 * send-advert action is checked against what was queued (sent()): the same deadline, the
 * same record (priority, IPv4 id, source, checksum), the same socket and source address.
 * Only then is the advert taken as sent. Whatever else (an advert answering a lower
 * priority, a priority 0, one after a change the queue has not seen) cancels the queued
 * one and is sent as before. The queue follows the engine after every input to an
 * instance (VrrpRouter.onTouch → sync): a queued advert that is no longer the instance's
 * next is cancelled and the right one queued, always before its deadline, since an
 * instance changes only through an input. What the kernel has sent it cannot take back:
 * an input read after the deadline it arrived before (the loop stalled) finds the advert
 * of that deadline gone, as a master that had not yet read it would have sent it.
 */
import type { AdvertOut } from "../vrrp/types";
import type { Instance } from "../vrrp/instance";
import { advertPacketsShared } from "../vrrp/transmit";
import type { KernelError, VrrpChannel } from "./kernel";

/** What an instance's queued advert is: compared field by field, kept per instance (no garbage per advert). */
interface Entry {
  /** 0: nothing queued */
  ticket: number;
  at: number;
  ch: VrrpChannel | undefined;
  src: string;
  priority: number;
  ipId: number;
  source: string | undefined;
  checksumDst: string | undefined;
}

/** Where an instance's adverts leave: its channel and source address, or undefined (none now). */
export type AdvertRoute = (inst: Instance) => { ch: VrrpChannel; src: string } | undefined;

/** How many tickets' instances are remembered for a late failure report (a ring: no garbage) */
const RECENT = 4096;

export class AdvertQueue {
  private readonly entries = new Map<Instance, Entry>();
  private readonly touched: Instance[] = [];
  private readonly recentTicket = new Array<number>(RECENT).fill(0);
  private readonly recentName = new Array<string>(RECENT).fill("");
  /** a queued send that failed, by ticket: its instance from the ring above */
  private readonly onFailure: (ticket: number, dst: string, e: KernelError) => void;
  /** a BACKUP that never queued (one call per advert it hears) is not looked at again */
  readonly onTouch = (inst: Instance): void => {
    if (inst.state === "MASTER" || this.entries.has(inst)) this.touched.push(inst);
  };

  constructor(
    private readonly route: AdvertRoute,
    failed: (instance: string, dst: string, e: KernelError) => void,
  ) {
    this.onFailure = (ticket, dst, e) => {
      const i = ticket % RECENT;
      if (this.recentTicket[i] === ticket) failed(this.recentName[i]!, dst, e);
    };
  }

  /** Look at every instance again at the next sync (a reload's, whose router is new). */
  touchAll(instances: Iterable<Instance>): void {
    for (const inst of instances) this.touched.push(inst);
  }

  /**
   * After the engine's inputs and the driver's actions (the pump): each touched instance's
   * queued advert made its next one again. `clock`: the driver's, whose deadlines these
   * are, read only to queue (a deadline already passed is not queued).
   */
  sync(clock: () => number): void {
    const list = this.touched;
    for (let i = 0; i < list.length; i++) this.follow(list[i]!, clock);
    list.length = 0;
  }

  private follow(inst: Instance, clock: () => number): void {
    const e = this.entries.get(inst);
    const next = inst.nextAdvert();
    const r = next === undefined ? undefined : this.route(inst);
    if (next === undefined || r === undefined || r.ch.sendAt === undefined) {
      if (e !== undefined && e.ticket !== 0) this.drop(e, true);
      return;
    }
    const a = next.advert;
    if (e !== undefined && e.ticket !== 0) {
      if (e.at === next.at && e.ch === r.ch && e.src === r.src && same(e, a)) return;
      this.drop(e, true);
    }
    // a deadline already passed is the engine's to send now (runDue, the timer): not queued
    const now = clock();
    if (next.at <= now) return;
    const ticket = r.ch.sendAt(next.at, advertPacketsShared(a, r.src), this.onFailure);
    if (ticket === undefined) return;
    const entry = e ?? this.fresh(inst);
    entry.ticket = ticket;
    entry.at = next.at;
    entry.ch = r.ch;
    entry.src = r.src;
    entry.priority = a.priority;
    entry.ipId = a.ipId;
    entry.source = a.source;
    entry.checksumDst = a.checksumDst;
    const i = ticket % RECENT;
    this.recentTicket[i] = ticket;
    this.recentName[i] = inst.name;
  }

  private fresh(inst: Instance): Entry {
    const e: Entry = {
      ticket: 0,
      at: 0,
      ch: undefined,
      src: "",
      priority: 0,
      ipId: 0,
      source: undefined,
      checksumDst: undefined,
    };
    this.entries.set(inst, e);
    return e;
  }

  /**
   * The engine's send-advert of `inst` at `at` (its time in a timer's fire; −Infinity
   * outside one): true when the kernel has sent this very advert at its deadline (then
   * the driver sends nothing). Any other advert of the instance cancels what is queued.
   */
  sent(inst: Instance, advert: AdvertOut, ch: VrrpChannel, src: string, at: number): boolean {
    const e = this.entries.get(inst);
    if (e === undefined || e.ticket === 0) return false;
    if (e.at <= at && e.ch === ch && e.src === src && same(e, advert)) {
      this.drop(e, false);
      return true;
    }
    this.drop(e, true);
    return false;
  }

  /** The deadline of `inst`'s queued advert, if one is queued. */
  queuedAt(inst: Instance): number | undefined {
    const e = this.entries.get(inst);
    return e === undefined || e.ticket === 0 ? undefined : e.at;
  }

  /** Cancel everything queued (a reload, the driver's stop). */
  cancelAll(): void {
    for (const e of this.entries.values()) if (e.ticket !== 0) this.drop(e, true);
    this.entries.clear();
    this.touched.length = 0;
  }

  private drop(e: Entry, cancel: boolean): void {
    if (cancel) e.ch?.cancelSend?.(e.ticket);
    e.ticket = 0;
    e.ch = undefined;
  }
}

function same(e: Entry, a: AdvertOut): boolean {
  return e.priority === a.priority && e.ipId === a.ipId && e.source === a.source && e.checksumDst === a.checksumDst;
}
