/**
 * Gratuitous ARP / unsolicited NA pacing: `vrrp_garp_interval`, `vrrp_gna_interval` and
 * `garp_group`, as keepalived 2.2.7 spreads its bursts. Pure: `now` comes in, sends come out.
 *
 * The rules (keepalived vrrp_arp.c send_gratuitous_arp / queue_garp, vrrp_ndisc.c the same
 * for NA, vrrp_scheduler.c vrrp_arp_thread / vrrp_arpna_send):
 * 1. An interface has at most one delay record: the first `garp_group` naming it (a group's
 *    interfaces share one record, so the spacing is across the group), else, when a global
 *    interval is set, a record of its own with the global intervals (set_default_garp_delay).
 *    A VMAC's record is its base interface's (IF_BASE_IFP); the caller passes the base.
 * 2. A record keeps one "next allowed" time per family. Sending an ARP (NA) through a record
 *    with a garp (gna) interval sets it to now + interval, now read after the frame left
 *    (send_gratuitous_arp_immediate): the caller confirms each send with `sentAt`, so a
 *    slow sendto (the first one opens the socket) never shortens the next gap.
 * 3. An address to send while now < next is queued instead: a flag per address, so a
 *    burst of `garp_master_repeat` N queues each address once, not N times (the first
 *    address goes out at once and is queued again by the second repeat).
 * 4. The queue is run at the earliest next time: instances in configuration order, each
 *    instance's addresses in its VIP list order; an address whose record allows it is
 *    sent (which moves that record's next time on, so one address per interval per
 *    record); the rest wait. An instance no longer MASTER, or an address no longer
 *    installed, drops out of the queue.
 * Without a record (or without an interval for that family) every address of every repeat
 * goes out at once, as before.
 */

export interface PaceRecord {
  /** one per garp_group, or per interface for the global default */
  key: string;
  /** ms between ARPs through this record (undefined: not paced) */
  garpMs?: number;
  /** ms between NAs through this record */
  gnaMs?: number;
}

export interface GarpItem {
  address: string;
  family: 4 | 6;
  /** the interface the frame leaves by */
  ifname: string;
  /** the delay record of its (base) interface, if any */
  record?: PaceRecord;
}

export interface GarpSend {
  instance: string;
  address: string;
  family: 4 | 6;
  ifname: string;
  record?: PaceRecord;
}

interface Queued {
  item: GarpItem;
  /** its place in the instance's VIP list (rule 4's order) */
  index: number;
}

export class GarpPacer {
  /** record key + family → the earliest time the next frame may leave (rule 2) */
  private readonly next = new Map<string, number>();
  /** instance → address → queued entry (rule 3's flag) */
  private readonly queued = new Map<string, Map<string, Queued>>();
  private wake: number | undefined;

  /** @param rank an instance's place in the configuration (rule 4's order) */
  constructor(private readonly rank: (instance: string) => number) {}

  /** A burst: `count` rounds over `items` (the instance's VIPs then excluded VIPs). */
  submit(instance: string, items: GarpItem[], count: number, now: number): GarpSend[] {
    const out: GarpSend[] = [];
    for (let round = 0; round < count; round++)
      items.forEach((item, index) => {
        const interval = intervalOf(item);
        const k = nextKey(item);
        const at = k === undefined ? undefined : this.next.get(k);
        if (interval !== undefined && at !== undefined && now < at) {
          this.enqueue(instance, item, index, now + interval);
          return;
        }
        this.sent(item, now);
        out.push(send(instance, item));
      });
    return out;
  }

  /** The queue's turn (rule 4). `live` says whether an address may still be announced. */
  handleTimeout(now: number, live: (instance: string, address: string) => boolean): GarpSend[] {
    if (this.wake === undefined || now < this.wake) return [];
    const out: GarpSend[] = [];
    let wake: number | undefined;
    const instances = [...this.queued.keys()].sort((a, b) => this.rank(a) - this.rank(b));
    for (const instance of instances) {
      const q = this.queued.get(instance) as Map<string, Queued>;
      for (const e of [...q.values()].sort((a, b) => a.index - b.index)) {
        if (!live(instance, e.item.address)) {
          q.delete(e.item.address);
          continue;
        }
        const at = this.next.get(nextKey(e.item) as string) ?? 0;
        if (now >= at) {
          this.sent(e.item, now);
          out.push(send(instance, e.item));
          q.delete(e.item.address);
        } else wake = wake === undefined ? at : Math.min(wake, at);
      }
      if (q.size === 0) this.queued.delete(instance);
    }
    this.wake = wake;
    return out;
  }

  /** A frame left at `now` (after its sendto): the record's next time counts from here (rule 2). */
  sentAt(s: GarpSend, now: number): void {
    this.sent(s, now);
    // the queue's turn moves with it: waking before that would find nothing due
    let wake: number | undefined;
    for (const q of this.queued.values())
      for (const e of q.values()) {
        const at = this.next.get(nextKey(e.item) as string) ?? 0;
        wake = wake === undefined ? at : Math.min(wake, at);
      }
    this.wake = wake;
  }

  /** When handleTimeout has work (undefined: nothing queued). */
  pollTimeout(): number | undefined {
    return this.wake;
  }

  /** How many addresses wait (status, tests). */
  get pending(): number {
    let n = 0;
    for (const q of this.queued.values()) n += q.size;
    return n;
  }

  private enqueue(instance: string, item: GarpItem, index: number, at: number): void {
    const q = this.queued.get(instance) ?? new Map<string, Queued>();
    this.queued.set(instance, q);
    // rule 3: already queued stays where it is
    if (!q.has(item.address)) q.set(item.address, { item, index });
    // queue_garp: the thread moves earlier, never later
    if (this.wake === undefined || at < this.wake) this.wake = at;
  }

  private sent(item: { family: 4 | 6; record?: PaceRecord }, now: number): void {
    const interval = intervalOf(item);
    const k = nextKey(item);
    if (interval !== undefined && k !== undefined) this.next.set(k, now + interval);
  }
}

function intervalOf(item: { family: 4 | 6; record?: PaceRecord }): number | undefined {
  const ms = item.family === 4 ? item.record?.garpMs : item.record?.gnaMs;
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function nextKey(item: { family: 4 | 6; record?: PaceRecord }): string | undefined {
  return item.record ? `${item.record.key}|${item.family}` : undefined;
}

function send(instance: string, item: GarpItem): GarpSend {
  return { instance, address: item.address, family: item.family, ifname: item.ifname, record: item.record };
}

/**
 * Rule 1: the delay record of each interface, from `garp_group` blocks (first one naming
 * an interface wins, as keepalived's "garp_group already specified for IF - ignoring") and
 * the global intervals (seconds). `undefined`: the interface is not paced.
 */
export function paceRecords(
  groups: readonly { garpInterval?: number; gnaInterval?: number; interface?: string; interfaces?: string[] }[],
  global: { garpInterval: number; gnaInterval: number },
): (ifname: string) => PaceRecord | undefined {
  const byIf = new Map<string, PaceRecord>();
  groups.forEach((g, i) => {
    const r: PaceRecord = { key: `group:${i}`, garpMs: ms(g.garpInterval), gnaMs: ms(g.gnaInterval) };
    for (const name of [g.interface, ...(g.interfaces ?? [])])
      if (name !== undefined && !byIf.has(name)) byIf.set(name, r);
  });
  const paced = global.garpInterval > 0 || global.gnaInterval > 0;
  return (ifname) => {
    const r = byIf.get(ifname);
    if (r || !paced) return r;
    const own: PaceRecord = { key: `if:${ifname}`, garpMs: ms(global.garpInterval), gnaMs: ms(global.gnaInterval) };
    byIf.set(ifname, own);
    return own;
  };
}

function ms(seconds: number | undefined): number | undefined {
  return seconds !== undefined && seconds > 0 ? seconds * 1000 : undefined;
}
