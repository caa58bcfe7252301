/**
 * A minimal io_uring (include/uapi/linux/io_uring.h): one submission and one completion
 * ring, mapped once, filled and read from JavaScript through the mappings. What keel asks
 * of it is one thing (send-queue.ts): a packet the kernel sends at a deadline by itself,
 * a timeout (IORING_OP_TIMEOUT, absolute, CLOCK_MONOTONIC) linked to a sendmsg.
 *
 * No SQPOLL and no DEFER_TASKRUN: an expired timeout's completion, and the linked send
 * with it, run as task work of the thread that submitted them (io_uring/timeout.c
 * io_timeout_fn → io_req_task_work_add), which the kernel runs on that thread's next way
 * back to user space and interrupts it for (TWA_SIGNAL): whatever the event loop is doing
 * then, a collection included, the send leaves within tens of µs of the deadline.
 * Measured on a 2-core KVM guest (kernel 6.18): 40–120 µs after the deadline, also while
 * the loop spun for 30 ms across it (bench/RESULTS.md, "Adverts the kernel sends").
 *
 * The kernel copies a submission (the timeout's timespec, sendmsg's msghdr) when it is
 * submitted; what msghdr points at (address, iovec, data) it reads when the send is
 * issued: the caller keeps those until the send's completion.
 */
import { toArrayBuffer } from "bun:ffi";
import { errno } from "./errno";
import { libc } from "./libc";
import { isAddress, stablePtr } from "./structs";

// asm-generic/unistd.h and x86-64's table agree on these
const SYS_io_uring_setup = 425;
const SYS_io_uring_enter = 426;

export const IORING_OP_NOP = 0;
export const IORING_OP_SENDMSG = 9;
export const IORING_OP_TIMEOUT = 11;
export const IORING_OP_TIMEOUT_REMOVE = 12;

export const IOSQE_IO_LINK = 1 << 2;
export const IOSQE_IO_HARDLINK = 1 << 3;

export const IORING_TIMEOUT_ABS = 1 << 0;
/** an expired timeout counts as a success: its links go on (kernel 5.16) */
export const IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5;

const IORING_ENTER_GETEVENTS = 1;
const IORING_SETUP_CQSIZE = 1 << 3;
/** sq_ring flags: completions wait in the kernel's overflow list (the ring was full) */
const IORING_SQ_CQ_OVERFLOW = 1 << 1;
const IORING_OFF_SQ_RING = 0;
const IORING_OFF_CQ_RING = 0x8000000;
const IORING_OFF_SQES = 0x10000000;
const IORING_FEAT_SINGLE_MMAP = 1 << 0;
const IORING_FEAT_NODROP = 1 << 1;

const PROT_READ_WRITE = 3;
const MAP_SHARED = 1;
const MAP_POPULATE = 0x8000;

const SQE_SIZE = 64;
const CQE_SIZE = 16;

export class Uring {
  private readonly sqRing: DataView;
  private readonly cqRing: DataView;
  /** the submission entries, as words and as bytes (little-endian: x86-64, aarch64) */
  private readonly sqe32: Uint32Array;
  private readonly sqe8: Uint8Array;
  private readonly sq: { head: number; tail: number; mask: number; array: number; flags: number; entries: number };
  private readonly cq: { head: number; tail: number; mask: number; cqes: number };
  private sqTail: number;
  private pending = 0;

  private constructor(
    readonly fd: number,
    params: DataView,
  ) {
    const entries = params.getUint32(0, true);
    const cqEntries = params.getUint32(4, true);
    const features = params.getUint32(20, true);
    const so = (o: number) => params.getUint32(40 + o, true);
    const co = (o: number) => params.getUint32(80 + o, true);
    const sqBytes = so(24) + entries * 4;
    const cqBytes = co(20) + cqEntries * CQE_SIZE;
    const map = (bytes: number, offset: number): DataView => {
      const p = libc.mmap(null, bytes, PROT_READ_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
      if (!isAddress(p)) throw new Error(`mmap of an io_uring ring: errno ${errno()}`);
      return new DataView(toArrayBuffer(p, 0, bytes));
    };
    // one mapping holds both rings since kernel 5.4
    if (features & IORING_FEAT_SINGLE_MMAP) {
      this.sqRing = map(Math.max(sqBytes, cqBytes), IORING_OFF_SQ_RING);
      this.cqRing = this.sqRing;
    } else {
      this.sqRing = map(sqBytes, IORING_OFF_SQ_RING);
      this.cqRing = map(cqBytes, IORING_OFF_CQ_RING);
    }
    const sqes = map(entries * SQE_SIZE, IORING_OFF_SQES);
    this.sqe32 = new Uint32Array(sqes.buffer);
    this.sqe8 = new Uint8Array(sqes.buffer);
    this.sq = {
      head: so(0),
      tail: so(4),
      mask: this.sqRing.getUint32(so(8), true),
      array: so(24),
      flags: so(16),
      entries,
    };
    this.cq = { head: co(0), tail: co(4), mask: this.cqRing.getUint32(co(8), true), cqes: co(20) };
    this.sqTail = this.sqRing.getUint32(this.sq.tail, true);
    // completions are never dropped when the ring is full (kernel 5.5): they wait in a list
    if (!(features & IORING_FEAT_NODROP)) throw new Error("io_uring without IORING_FEAT_NODROP");
  }

  /** A ring of `entries` submissions (and twice as many completions), or the reason there is none. */
  static open(entries: number, cqEntries = 2 * entries): Uring | string {
    const params = new Uint8Array(120);
    // IORING_SETUP_CQSIZE: room for the completions of a burst (a thousand masters whose
    // deadlines fall together post two each before the loop reads them)
    const p = new DataView(params.buffer);
    p.setUint32(8, IORING_SETUP_CQSIZE, true);
    p.setUint32(4, cqEntries, true);
    const fd = Number(libc.syscall(SYS_io_uring_setup, entries, stablePtr(params), 0, 0, 0, 0));
    // ENOSYS (no io_uring), EPERM (kernel.io_uring_disabled, a seccomp filter: containers)
    if (fd < 0) return `io_uring_setup: errno ${errno()}`;
    try {
      return new Uring(fd, new DataView(params.buffer));
    } catch (e) {
      libc.close(fd);
      return (e as Error).message;
    }
  }

  /** Room for `n` more entries before submit(). */
  room(): number {
    const head = this.sqRing.getUint32(this.sq.head, true);
    return this.sq.entries - ((this.sqTail - head) >>> 0);
  }

  /**
   * Fill the next submission entry (struct io_uring_sqe; submit() hands them to the
   * kernel): `off` is also addr2, `opFlags` the opcode's flags word (msg_flags,
   * timeout_flags); the other fields are zero. Positional: no object per entry.
   */
  push(
    opcode: number,
    flags: number,
    fd: number,
    off: number,
    addr: number,
    len: number,
    opFlags: number,
    userData: number,
  ): void {
    const i = this.sqTail & this.sq.mask;
    const w = i * (SQE_SIZE / 4);
    const d = this.sqe32;
    d.fill(0, w, w + SQE_SIZE / 4);
    this.sqe8[i * SQE_SIZE] = opcode;
    this.sqe8[i * SQE_SIZE + 1] = flags;
    d[w + 1] = fd; // −1 as 0xffffffff: the same bits
    d[w + 2] = off % 4294967296;
    d[w + 3] = Math.floor(off / 4294967296);
    d[w + 4] = addr % 4294967296;
    d[w + 5] = Math.floor(addr / 4294967296);
    d[w + 6] = len;
    d[w + 7] = opFlags;
    d[w + 8] = userData % 4294967296;
    d[w + 9] = Math.floor(userData / 4294967296);
    this.sqRing.setUint32(this.sq.array + i * 4, i, true);
    this.sqTail = (this.sqTail + 1) >>> 0;
    this.pending++;
  }

  /**
   * Hand the pushed entries to the kernel (io_uring_enter). The tail is published first;
   * the system call orders it before the kernel's read. Returns how many it took, or −errno.
   */
  submit(): number {
    if (this.pending === 0) return 0;
    this.sqRing.setUint32(this.sq.tail, this.sqTail, true);
    const n = this.pending;
    for (;;) {
      const r = Number(libc.syscall(SYS_io_uring_enter, this.fd, n, 0, 0, 0, 0));
      if (r >= 0) {
        this.pending -= r;
        return r;
      }
      const e = errno();
      if (e === 4) continue; // EINTR: again
      // EAGAIN, EBUSY (completions waiting for room): the kernel took none of them; taken
      // back, so that a later submit does not send what the caller has given up
      this.sqTail = (this.sqTail - n) >>> 0;
      this.sqRing.setUint32(this.sq.tail, this.sqTail, true);
      this.pending = 0;
      return -e;
    }
  }

  /** Wait until at least `n` completions are posted (or a signal comes). */
  wait(n: number): void {
    libc.syscall(SYS_io_uring_enter, this.fd, 0, n, IORING_ENTER_GETEVENTS, 0, 0);
  }

  /** Every completion posted since the last call, oldest first: (user_data, res, flags). */
  reap(onCqe: (userData: number, res: number) => void): number {
    let n = this.reapRing(onCqe);
    // a full ring's completions wait in the kernel's list until an enter asks for them
    // (io_uring.c io_cqring_overflow_flush): without this they, and what they free, are lost
    while (this.sqRing.getUint32(this.sq.flags, true) & IORING_SQ_CQ_OVERFLOW) {
      libc.syscall(SYS_io_uring_enter, this.fd, 0, 0, IORING_ENTER_GETEVENTS, 0, 0);
      const more = this.reapRing(onCqe);
      n += more;
      if (more === 0) break;
    }
    return n;
  }

  private reapRing(onCqe: (userData: number, res: number) => void): number {
    const r = this.cqRing;
    let head = r.getUint32(this.cq.head, true);
    const tail = r.getUint32(this.cq.tail, true);
    let n = 0;
    while (head !== tail) {
      const o = this.cq.cqes + (head & this.cq.mask) * CQE_SIZE;
      const userData = r.getUint32(o, true) + r.getUint32(o + 4, true) * 4294967296;
      const res = r.getInt32(o + 8, true);
      head = (head + 1) >>> 0;
      // released before the callback: it may submit (and so let the kernel post) more
      r.setUint32(this.cq.head, head, true);
      n++;
      onCqe(userData, res);
    }
    return n;
  }

  close(): void {
    // closing the ring cancels what is still queued (io_uring/io_uring.c io_ring_exit_work)
    libc.close(this.fd);
  }
}
