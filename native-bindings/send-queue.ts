/**
 * Packets the kernel sends at a deadline by itself (DESIGN.md "Kernel I/O"): a MASTER's
 * next advert is known an advert interval ahead, so it is handed to the kernel as soon as
 * the previous one has left, as an io_uring timeout on CLOCK_MONOTONIC linked to a sendmsg
 * per destination (uring.ts). At the deadline the kernel sends it whatever the event loop
 * is doing: a collection, another instance's work, Bun's loop between the signal and its
 * listener: the causes of keel's late adverts (bench/RESULTS.md, "Advert send jitter:
 * what the late adverts are"). The VRRP driver still runs the advert's deadline in
 * JavaScript, and finds the advert sent (src/runtime/advert-queue.ts).
 *
 * One ring per process, opened on first use; none where the kernel gives none (a seccomp
 * filter, kernel.io_uring_disabled, a kernel before 5.16): then queue() answers
 * undefined and the caller sends at the deadline itself, as before.
 *
 * Each queued packet owns a slot: its msghdr, iovec, destination address and a copy of
 * the bytes, which the kernel reads when the send is issued, so a slot is free again only
 * at the send's completion. Slots are reused: nothing is allocated per advert.
 */
import { monotonicMs, writeTimespec } from "./kernel-timer";
import { stablePtr } from "./structs";
import {
  IORING_OP_NOP,
  IORING_OP_SENDMSG,
  IORING_OP_TIMEOUT,
  IORING_OP_TIMEOUT_REMOVE,
  IORING_TIMEOUT_ABS,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
  Uring,
} from "./uring";

const ECANCELED = 125;
/** entries per ring: a timeout and up to this many − 1 destinations per queued advert */
const RING_ENTRIES = 64;
/** completions: two per queued advert (the timeout's, the send's); a burst of 4,096 adverts fits */
const CQ_ENTRIES = 8192;
/**
 * Queued packets at most: past that (completions not read back, a bug) queue() refuses
 * and the driver sends itself, so the slots cannot grow without bound.
 */
const MAX_SLOTS = 65536;
/** settle()'s longest wait for a ticket's completions (they are the kernel's, run at the wait) */
const SETTLE_MS = 1000;
/** tickets whose outcome is remembered after their last completion (settle() after a reap) */
const DONE = 256;
/** msghdr (56 bytes) at 0, its iovec (16) at 56, the destination (≤ 28) at 72, the bytes at 128 */
const DATA_AT = 128;

/** a queued send's completion that failed (not a cancelled one): its ticket, destination, errno */
export type SendFailure = (ticket: number, dst: string, errnoValue: number) => void;

/**
 * What became of a ticket's sends once taken back (settle): every one sent, every one
 * cancelled before its deadline, or the errno of one that failed.
 */
export type Settled = "sent" | "cancelled" | number;

interface Slot {
  busy: boolean;
  fd: number;
  buf: Uint8Array;
  view: DataView;
  base: number;
  ticket: number;
  dst: string;
  onFailure: SendFailure | undefined;
}

// user_data: (ticket or slot) * 4 + what it is
const TIMEOUT = 0;
const SEND = 1;
const REMOVE = 2;
const PROBE = 3;

export class SendQueue {
  private readonly slots: Slot[] = [];
  /** slots in use (a send queued, its completion not yet read) */
  get inUse(): number {
    return this.slots.length - this.free.length;
  }
  private readonly free: number[] = [];
  private nextTicket = 1;
  /** the timeout's deadline as the kernel reads it: struct __kernel_timespec, copied at submission */
  private readonly ts = new Uint32Array(4);
  private readonly tsPtr = stablePtr(new Uint8Array(this.ts.buffer));
  private readonly onCqe = (userData: number, res: number) => this.completed(userData, res);

  private constructor(private readonly ring: Uring) {}

  /** The process's queue, or why there is none (the reason stays: one attempt per process). */
  static get(): SendQueue | string {
    // KEEL_SEND_QUEUE=off: the driver sends every advert itself (bench/ A/B runs)
    if (opened === undefined)
      opened = process.env.KEEL_SEND_QUEUE === "off" ? "off (KEEL_SEND_QUEUE)" : SendQueue.open();
    return opened;
  }

  private static open(): SendQueue | string {
    // not IORING_SETUP_COOP_TASKRUN: the expired timeout's task work must interrupt the
    // thread by itself, whatever it does, not wait for the deadline's timer signal to
    // (measured with it: the same CPU per advert, bench/RESULTS.md)
    const ring = Uring.open(RING_ENTRIES, CQ_ENTRIES);
    if (typeof ring === "string") return ring;
    // an expired timeout must let its link go on (IORING_TIMEOUT_ETIME_SUCCESS, 5.16):
    // a kernel that does not know the flag fails the timeout, and the linked no-op with it
    const q = new SendQueue(ring);
    const why = q.probe();
    if (why !== undefined) {
      ring.close();
      return why;
    }
    return q;
  }

  private probe(): string | undefined {
    this.setDeadline(0); // long past: expires at once
    const timeoutFlags = IORING_TIMEOUT_ABS | IORING_TIMEOUT_ETIME_SUCCESS;
    this.ring.push(IORING_OP_TIMEOUT, IOSQE_IO_LINK, -1, 0, this.tsPtr, 1, timeoutFlags, PROBE);
    this.ring.push(IORING_OP_NOP, 0, -1, 0, 0, 0, 0, 4 + PROBE);
    const n = this.ring.submit();
    if (n !== 2) return `io_uring_enter: ${n < 0 ? `errno ${-n}` : `took ${n} of 2`}`;
    let nop: number | undefined;
    const until = monotonicMs() + 1000;
    while (nop === undefined && monotonicMs() < until) {
      this.ring.wait(1);
      this.ring.reap((u, res) => {
        if (u === 4 + PROBE) nop = res;
      });
    }
    if (nop === undefined) return "io_uring: a linked timeout's probe did not complete";
    return nop === 0 ? undefined : `io_uring: a send linked to an expired timeout does not run (${nop})`;
  }

  /**
   * Send `packets` on socket `fd` when CLOCK_MONOTONIC reaches `at` ms (kernel-timer.ts's
   * monotonicAt gives a timer's deadline the same way). `sockaddr(dst)` gives each destination's address (empty: the socket's
   * connected peer). A ticket for cancel(), or
   * undefined when nothing was queued (too many destinations, the kernel refused): then
   * the caller sends at the deadline itself.
   */
  queue(
    fd: number,
    at: number,
    packets: readonly { dst: string; data: Uint8Array }[],
    sockaddr: (dst: string) => Uint8Array,
    onFailure?: SendFailure,
  ): number | undefined {
    this.reap();
    const n = packets.length;
    if (n === 0 || n + 1 > this.ring.room() || this.slots.length - this.free.length + n > MAX_SLOTS) return undefined;
    const ticket = this.nextTicket++;
    this.setDeadline(at);
    // not IOSQE_CQE_SKIP_SUCCESS: a cancelled timeout then skips its sends' completions
    // too (REQ_F_SKIP_LINK_CQES; measured), and their slots would never be freed
    const timeoutFlags = IORING_TIMEOUT_ABS | IORING_TIMEOUT_ETIME_SUCCESS;
    this.ring.push(IORING_OP_TIMEOUT, IOSQE_IO_LINK, -1, 0, this.tsPtr, 1, timeoutFlags, ticket * 4 + TIMEOUT);
    const taken: number[] = this.taken;
    taken.length = 0;
    for (let i = 0; i < n; i++) {
      const p = packets[i]!;
      const s = this.slot(p.data.length);
      taken.push(s);
      const slot = this.slots[s]!;
      slot.busy = true;
      slot.fd = fd;
      slot.ticket = ticket;
      slot.dst = p.dst;
      slot.onFailure = onFailure;
      const sa = sockaddr(p.dst);
      slot.buf.set(sa, 72);
      slot.buf.set(p.data, DATA_AT);
      const v = slot.view;
      setU64(v, 0, sa.length > 0 ? slot.base + 72 : 0); // msg_name: none on a connected socket
      v.setUint32(8, sa.length, true); // msg_namelen
      setU64(v, 16, slot.base + 56); // msg_iov
      setU64(v, 24, 1); // msg_iovlen
      setU64(v, 56, slot.base + DATA_AT); // iov_base
      setU64(v, 64, p.data.length); // iov_len
      // the timeout's link is soft: its cancellation cancels every send after it. Between
      // two sends it is hard: one destination that fails does not keep the next (as the
      // driver's own loop over the destinations)
      const link = i + 1 < n ? IOSQE_IO_HARDLINK : 0;
      this.ring.push(IORING_OP_SENDMSG, link, fd, 0, slot.base, 1, 0, s * 4 + SEND);
    }
    const r = this.ring.submit();
    if (r === n + 1) return ticket;
    // nothing was taken (EAGAIN, EBUSY: uring.ts submit rewinds): the slots are free again
    for (const s of taken) this.release(s);
    return undefined;
  }
  private readonly taken: number[] = [];

  /** Cancel a queued send that has not left; one that has is not undone. */
  cancel(ticket: number): void {
    this.remove(ticket);
    this.reap();
  }

  /** IORING_OP_TIMEOUT_REMOVE of the ticket's timeout, submitted: its sends are cancelled with it. */
  private remove(ticket: number): void {
    if (this.ring.room() < 1) this.reap();
    this.ring.push(IORING_OP_TIMEOUT_REMOVE, 0, -1, 0, ticket * 4 + TIMEOUT, 0, 0, ticket * 4 + REMOVE);
    this.ring.submit();
  }

  /**
   * Take a ticket back and learn what became of it, before returning: cancelled if its
   * deadline had not come, else sent (or failed) by the kernel. A request whose answer
   * the caller must read (a netlink request queued for a takeover: rtnl.ts) needs to know
   * which; cancel() does not wait. The sends of an expired timeout run as this thread's
   * task work, which io_uring_enter's wait runs: the wait is the kernel's own work, not
   * a deadline's (bounded by SETTLE_MS all the same).
   */
  settle(ticket: number): Settled {
    // its completions are the caller's to handle: none goes to onFailure (completed)
    this.settling = ticket;
    this.reap();
    if (this.busy(ticket)) {
      this.remove(ticket);
      const until = monotonicMs() + SETTLE_MS;
      while (this.busy(ticket) && monotonicMs() < until) {
        this.ring.wait(1);
        this.reap();
      }
    }
    this.settling = 0;
    return this.outcome(ticket);
  }
  /** the ticket settle() waits for */
  private settling = 0;

  /** What a ticket's completions said (recorded as they are read); none read: cancelled. */
  private outcome(ticket: number): Settled {
    const i = ticket % DONE;
    return this.doneTicket[i] === ticket ? this.doneOutcome[i]! : "cancelled";
  }
  /** the last DONE tickets' outcomes as their last send completed (a ring: no garbage) */
  private readonly doneTicket = new Array<number>(DONE).fill(0);
  private readonly doneOutcome = new Array<Settled>(DONE).fill("cancelled");

  private busy(ticket: number): boolean {
    for (const slot of this.slots) if (slot.busy && slot.ticket === ticket) return true;
    return false;
  }

  /** Cancel every send still queued on socket `fd`, before it is closed (its number may be reused at once). */
  cancelFd(fd: number): void {
    this.reap();
    let last = 0;
    for (const slot of this.slots)
      if (slot.busy && slot.fd === fd && slot.ticket !== last) {
        last = slot.ticket;
        this.cancel(slot.ticket);
      }
    // the cancellations complete in io_uring_enter: the sends are gone before the close
    this.reap();
  }

  /** Read the completions: free the slots of sends done, report the failed ones. */
  reap(): void {
    this.ring.reap(this.onCqe);
  }

  private completed(userData: number, res: number): void {
    const what = userData % 4;
    if (what !== SEND) return; // a timeout (−ETIME: it expired; −ECANCELED), a removal
    const s = (userData - SEND) / 4;
    const slot = this.slots[s];
    if (slot === undefined) return;
    const { ticket, dst, onFailure } = slot;
    this.release(s);
    const i = ticket % DONE;
    const outcome: Settled = res >= 0 ? "sent" : res === -ECANCELED ? "cancelled" : -res;
    // a ticket's outcome is its sends' worst: one failure is the ticket's
    if (this.doneTicket[i] !== ticket || typeof this.doneOutcome[i] !== "number") {
      this.doneTicket[i] = ticket;
      this.doneOutcome[i] = outcome;
    }
    if (ticket === this.settling) return; // the caller of settle() handles its own
    if (res < 0 && res !== -ECANCELED) onFailure?.(ticket, dst, -res);
  }

  private slot(bytes: number): number {
    let s = this.free.pop();
    if (s === undefined) {
      s = this.slots.length;
      this.slots.push(newSlot(bytes));
    } else if (this.slots[s]!.buf.length < DATA_AT + bytes) this.slots[s] = newSlot(bytes);
    return s;
  }

  private release(s: number): void {
    const slot = this.slots[s]!;
    slot.busy = false;
    slot.onFailure = undefined;
    slot.dst = "";
    this.free.push(s);
  }

  private setDeadline(ms: number): void {
    writeTimespec(ms, this.ts, 0);
  }

  close(): void {
    this.ring.close();
    if (opened === this) opened = "closed";
  }
}

let opened: SendQueue | string | undefined;

function newSlot(bytes: number): Slot {
  // room for an advert of any length up to the largest seen (255 IPv6 addresses: 4 KiB)
  const buf = new Uint8Array(DATA_AT + Math.max(512, bytes));
  return {
    busy: false,
    fd: -1,
    buf,
    view: new DataView(buf.buffer),
    base: stablePtr(buf),
    ticket: 0,
    dst: "",
    onFailure: undefined,
  };
}

function setU64(d: DataView, o: number, v: number): void {
  d.setUint32(o, v % 4294967296, true);
  d.setUint32(o + 4, Math.floor(v / 4294967296), true);
}
