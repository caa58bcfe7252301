/**
 * fd readiness without blocking the main thread (DESIGN.md "Kernel I/O"): every watched
 * fd is non-blocking with O_ASYNC and F_SETOWN = this process, so the kernel raises
 * SIGIO when data arrives, and every watched fd is also in one epoll set. SIGIO only
 * says "something is ready"; the wake-up (one per event-loop pass, from setImmediate,
 * however many signals came) asks epoll_wait(timeout 0) which fds are, and gives only
 * those a turn: one FFI call per wake-up, none per idle fd (before, every watcher read
 * its fd on every SIGIO, most of them to learn EAGAIN). The epoll fd itself cannot raise
 * SIGIO (fs/eventpoll.c has no fasync), hence O_ASYNC on each fd.
 *
 * Signals coalesce, which is why a watcher must always drain fully: data arriving after
 * its EAGAIN raises a new SIGIO.
 *
 * Measured on this machine: p50 ≈ 12–33 µs from the kernel to the handler, and recvmsg
 * keeps the ancillary data (a Worker polling was 50–180 µs).
 *
 * A watcher may instead stop after a bounded amount of work and return true ("more is
 * queued"): another wake-up follows from setImmediate, after the event loop has run its
 * timers and other I/O, and epoll (level-triggered) names the fd again if data is still
 * queued. "More" asks for that look, it does not promise a call: a watcher that stopped
 * at its bound just as the queue emptied is called when new data raises SIGIO, so a
 * watcher must hand on everything it read before it returns (recv-batch.ts delivers
 * every datagram of its batch), never hold some back for its next call. Draining until
 * EAGAIN is unbounded under a flood (packets arrive faster than they are handled): the
 * loop never got back to its timers, and a master on the same daemon missed its adverts
 * for seconds. keepalived's vrrp_dispatcher_read bounds its read loop the same way
 * ("handle no more than one advert per VRID in order to flush socket rcvq") and goes
 * back to its scheduler.
 */
import { ptr } from "bun:ffi";
import { check, errno } from "./errno";
import { libc } from "./libc";
import { stablePtr } from "./structs";

const F_GETFL = 3;
const F_SETFL = 4;
const F_SETOWN_EX = 15;
const F_OWNER_TID = 0;
export const O_NONBLOCK = 0o4000;
const O_ASYNC = 0o20000;

/**
 * Drains its fd; returns true when it stopped early with more queued (call again
 * later). Any other result, or none, means it drained to EAGAIN.
 */
type Watcher = () => unknown;
const watchers = new Map<number, Watcher>();
/** fds epoll refused (EPERM: a regular file): they get a turn at every wake-up, as all did before */
const unpolled = new Set<number>();

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x001;
const EPOLLOUT = 0x004;
const EEXIST = 17;
/** struct epoll_event: u32 events, u64 data; packed (12 bytes) on x86-64 only (sys/epoll.h __EPOLL_PACKED) */
const EVENT_SIZE = process.arch === "x64" ? 12 : 16;
const DATA_OFFSET = process.arch === "x64" ? 4 : 8;
/** ready fds taken per epoll_wait; a full result asks for another wake-up */
const MAX_EVENTS = 64;
let epfd = -1;
const events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
const eventsView = new DataView(events.buffer);
const eventsPtr = stablePtr(events);
const ctl = new Uint8Array(16);
const ctlView = new DataView(ctl.buffer);
const ctlPtr = stablePtr(ctl);
let scheduled = false;
const owner = new Int32Array(2);
/** run after the watchers at every wake-up (onWake) */
const wakeHooks: (() => void)[] = [];

/**
 * Call `fn` at every wake-up, after the watchers: kernel-timer.ts's backstop, which looks
 * at its armed timers whenever the loop wakes for a socket, so a timer whose signal never
 * reached its listener is not lost while packets come (a master hearing its backup).
 */
export function onWake(fn: () => void): void {
  wakeHooks.push(fn);
}

/**
 * SIGIO: one wake-up on the next pass of the event loop, however many signals arrive
 * before it. Under a flood each datagram raises one, and a loop slowed down (a loaded
 * machine) found dozens of them queued per pass; draining on each one multiplied the
 * work per pass until the daemon answered nothing else for seconds.
 */
function dispatch(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(wake);
}

function wake(): void {
  scheduled = false;
  const n = libc.epoll_wait(epfd, eventsPtr, MAX_EVENTS, 0);
  // the fds are read from the array before any watcher runs: a watcher may open or
  // close fds, but never calls epoll_wait, so the array stays as the kernel wrote it
  for (let i = 0; i < n; i++) run(eventsView.getInt32(i * EVENT_SIZE + DATA_OFFSET, true));
  for (const fd of unpolled) run(fd);
  if (n === MAX_EVENTS) dispatch();
  for (const h of wakeHooks) h();
}

function run(fd: number): void {
  const w = watchers.get(fd);
  if (!w) return;
  let more: unknown;
  try {
    more = w();
  } catch (e) {
    // a watcher must never take the loop down; it reports through its own channel
    queueMicrotask(() => {
      throw Object.assign(e instanceof Error ? e : new Error(String(e)), { fd });
    });
  }
  // no new SIGIO comes for data already queued: go on after the loop's other work
  if (more === true) dispatch();
}

function epollCtl(op: number, fd: number, mask: number): number {
  ctlView.setUint32(0, mask, true);
  ctlView.setInt32(DATA_OFFSET, fd, true);
  ctlView.setInt32(DATA_OFFSET + 4, 0, true);
  return libc.epoll_ctl(epfd, op, fd, ctlPtr) === 0 ? 0 : errno();
}

export function setNonBlocking(fd: number, async = false): void {
  const fl = check("fcntl(F_GETFL)", libc.fcntl(fd, F_GETFL, 0));
  check("fcntl(F_SETFL)", libc.fcntl(fd, F_SETFL, fl | O_NONBLOCK | (async ? O_ASYNC : 0)));
}

/**
 * Call `onReadable` whenever `fd` may have data (and once now, for anything already
 * queued), and again on a later turn of the event loop while it returns true and the
 * fd is still readable (epoll says which).
 * Returns a function that stops watching (it does not close the fd).
 */
export function watchReadable(fd: number, onReadable: Watcher, o: { writable?: boolean } = {}): () => void {
  if (epfd < 0) {
    epfd = check("epoll_create1", libc.epoll_create1(EPOLL_CLOEXEC));
    process.on("SIGIO", dispatch);
  }
  // SIGIO to the event loop's own thread (struct f_owner_ex { type, pid }): signalled
  // to the process, another thread may take it and wake the loop itself, one more
  // scheduler hop (kernel-timer.ts measured it for its timer signal)
  owner[0] = F_OWNER_TID;
  owner[1] = libc.gettid();
  check("fcntl(F_SETOWN_EX)", libc.fcntl(fd, F_SETOWN_EX, ptr(owner)));
  setNonBlocking(fd, true);
  // EPOLLERR and EPOLLHUP are always reported; `writable` is for a connect in progress
  const mask = EPOLLIN | (o.writable ? EPOLLOUT : 0);
  let e = epollCtl(EPOLL_CTL_ADD, fd, mask);
  // a closed fd leaves the set by itself, but one still open under another watcher's
  // number (a dup) may linger: take it over
  if (e === EEXIST) e = epollCtl(EPOLL_CTL_MOD, fd, mask);
  if (e !== 0) unpolled.add(fd);
  watchers.set(fd, onReadable);
  queueMicrotask(() => run(fd));
  // the handler stays installed for good: SIGIO's default action terminates the process,
  // and an O_ASYNC fd closed a moment later can still raise one
  return () => {
    if (watchers.get(fd) !== onReadable) return;
    watchers.delete(fd);
    unpolled.delete(fd);
    // EBADF when the fd was closed first: it left the set then
    epollCtl(EPOLL_CTL_DEL, fd, 0);
  };
}
