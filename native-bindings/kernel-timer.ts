/**
 * Timers with the kernel's precision for the VRRP advert and Master_Down deadlines
 * (DESIGN.md "Kernel I/O"). setTimeout counts whole milliseconds and fires on a later
 * pass of the event loop: adverts left up to 3 ms late at p99 where keepalived, which
 * sleeps in epoll_wait/pselect until its next deadline (scheduler.c), stays within 0.3 ms.
 *
 * A POSIX timer (timer_create on CLOCK_MONOTONIC) raises a signal at an absolute
 * deadline (TIMER_ABSTIME: a late wake-up never moves the next one), and the callback
 * runs straight from the signal's listener. A timerfd would be the obvious kernel timer,
 * readable through the sockets' path (readiness.ts), but it cannot raise SIGIO:
 * measured, O_ASYNC + F_SETOWN on a timerfd gives no signal (fs/timerfd.c has no
 * fasync), and the epoll fd has none either.
 *
 * The signal is SIGURG, not SIGIO: a timer then does not also wake the sockets' drain
 * (an epoll_wait that finds nothing). SIGURG's default action is to ignore it, and the
 * only other source is TCP urgent data on a socket we own, which just makes the listener
 * look at the clock. A timer fires when CLOCK_MONOTONIC has passed its deadline, and the
 * deadline is kept as the very (sec, nsec) the kernel was given, read back through the same
 * arithmetic as monotonicMs(): the kernel signals only once its clock has passed that
 * instant, so the listener, reading the same clock later, always finds the timer due.
 * Arming reuses one timer per handle and allocates nothing.
 *
 * A wake-up is never lost for good. The listener used to skip a timer while
 * performance.now() was short of a "near" hint taken in set() after the deadline's clock
 * read: a set() descheduled between the two reads (measured up to 8 ms apart under load)
 * put the hint past the deadline, the timer's one signal was ignored, and nothing looked
 * again; the VRRP driver keeps an armed timer whose deadline is early enough, so a
 * 200-instance master stopped advertising for good and its backup flapped forever
 * (bench/RESULTS.md, hstuck). One clock now decides. And against a signal the runtime
 * loses between its handler and process.on (a queue, a race), the timer repeats every
 * REPEAT_MS (it_interval) until its fire is seen: the kernel re-arms a periodic timer
 * when it delivers the signal (posixtimer_deliver_signal), so a delivered-then-lost signal
 * is followed by another. The fire's callback usually arms the same timer again (the
 * pool hands it back), which replaces the repeat; otherwise fire() disarms it. Should
 * timer signals stop reaching the listener altogether, every wake-up of the sockets'
 * drain (readiness.ts onWake) looks at the armed timers too: a master that hears its
 * backup's adverts then fires its overdue advert timer at the first one (one clock read
 * per wake-up, no wake-up of its own).
 *
 * Cost, measured under load (bench/runtime/timer-precision.ts): a fire takes 30–40 µs
 * more CPU than a setTimeout's (the signal, Bun's handler and its wake-up of the loop).
 */
import { ptr } from "bun:ffi";
import { errno } from "./errno";
import { openFile, writeFd } from "./file";
import { libc } from "./libc";
import { onWake } from "./readiness";

/**
 * KEEL_TRACE_MARKER=<tracefs instance>/trace_marker: write one line per signal and per
 * fire into the kernel's trace buffer (bench/runtime/advert-trace.ts), so the JavaScript
 * side's moments sit among the kernel's own events (hrtimer expiry, wake-up, epoll_wait,
 * sendto) on one clock. Off (one test per signal) unless the variable is set.
 */
const traceFd = ((): number | undefined => {
  const path = process.env.KEEL_TRACE_MARKER;
  if (!path) return undefined;
  return openFile(path, "w");
})();
function mark(text: string): void {
  if (traceFd === undefined) return;
  try {
    writeFd(traceFd, text);
  } catch {
    // EBADF while the tracer is off (kernel/trace/trace.c tracing_mark_write): a diagnostic only
  }
}

const CLOCK_MONOTONIC = 1;
/**
 * A timer's signal repeats this often until its fire is seen (it_interval): a wake-up the
 * runtime lost is late by at most this, under VRRPv3's shortest advert interval (10 ms,
 * RFC 5798 5.2.7). A callback on time (0.3–0.6 ms, bench/runtime/advert-trace.ts) re-arms
 * before the first repeat, so only a loop stalled longer sees one, and finds nothing due.
 */
export const REPEAT_MS = 10;
const TIMER_ABSTIME = 1;
const SIGURG = 23;
/** SIGEV_SIGNAL | SIGEV_THREAD_ID (asm-generic/siginfo.h): the signal goes to one thread */
const SIGEV_THREAD_ID = 4;

// struct timespec { time_t tv_sec; long tv_nsec } (LP64), read as 32-bit halves: no BigInt
const now = new Uint32Array(4);
const nowPtr = ptr(new Uint8Array(now.buffer));

/** CLOCK_MONOTONIC in milliseconds (a double keeps 10 ns resolution past 100 days of uptime). */
export function monotonicMs(): number {
  libc.clock_gettime(CLOCK_MONOTONIC, nowPtr);
  return (now[0]! + now[1]! * 4294967296) * 1000 + now[2]! / 1e6;
}

/**
 * `ms` as a struct timespec (tv_sec, tv_nsec as 64-bit, LP64) in `out` from word `at`,
 * rounded up to the nanosecond (never early; 1e9 carries into the next second). Returns
 * what monotonicMs() computes when the clock reads that (sec, nsec): that arithmetic is
 * monotonic, so any reading at or after the kernel's expiry is >= it. The timers here and
 * the send queue's timeouts (send-queue.ts) both build their deadlines with it, so one
 * instant gives both the same expiry.
 */
export function writeTimespec(ms: number, out: Uint32Array, at: number): number {
  let sec = Math.floor(ms / 1000);
  let nsec = Math.ceil((ms - sec * 1000) * 1e6);
  if (nsec >= 1e9) {
    sec += 1;
    nsec = 0;
  }
  out[at] = sec % 4294967296;
  out[at + 1] = Math.floor(sec / 4294967296);
  out[at + 2] = nsec;
  out[at + 3] = 0;
  return sec * 1000 + nsec / 1e6;
}

/** CLOCK_MONOTONIC − performance.now(), read once (monotonicAt) */
let perfOffset: number | undefined;

/**
 * CLOCK_MONOTONIC (ms) at performance.now() = `perfMs`, by one offset read once: the same
 * instant always maps to the same deadline, so a timer and a queued send for one VRRP
 * deadline (send-queue.ts) expire together, in one hrtimer interrupt: one wake-up of the
 * loop's thread, not two a few µs apart.
 */
export function monotonicAt(perfMs: number): number {
  if (perfOffset === undefined) {
    const a = performance.now();
    const m = monotonicMs();
    const b = performance.now();
    perfOffset = m - (a + b) / 2;
  }
  return perfMs + perfOffset;
}

const armed = new Set<KernelTimer>();
let listening = false;
/**
 * Keeps the event loop alive while a timer is armed, as a pending setTimeout does (a
 * signal handler does not): ref'd and unref'd, never re-created, so arming allocates
 * nothing. Measured: with nothing else alive Bun's loop spins in user space instead of
 * sleeping in epoll_wait, and a signal then waits for the next scheduler tick (p50 3 ms
 * late, against 0.1 ms with the loop asleep).
 */
let keepAlive: ReturnType<typeof setInterval> | undefined;

function track(t: KernelTimer, on: boolean): void {
  const before = armed.size;
  if (on) armed.add(t);
  else armed.delete(t);
  if (before === 0 && armed.size > 0) keepAlive?.ref();
  else if (before > 0 && armed.size === 0) keepAlive?.unref();
}

/** the timers one signal found due, reused: fired in deadline order, not in the order they were armed */
const due: KernelTimer[] = [];
const byDeadline = (a: KernelTimer, b: KernelTimer) => a.deadline - b.deadline;

function onSignal(): void {
  if (traceFd !== undefined) mark(`keel signal armed=${armed.size}`);
  fireDue();
}

/** Fire every armed timer whose deadline has passed: at a signal, and at every socket wake-up (readiness.ts onWake). */
function fireDue(): void {
  if (armed.size === 0) return;
  // the kernel's own clock, never a second one: a signal from a timer's expiry always
  // finds that timer due (see the header)
  const mono = monotonicMs();
  for (const t of armed) if (mono >= t.deadline) due.push(t);
  // a signal read late (a loaded machine) finds several due: the earliest deadline first,
  // as setTimeout runs them
  if (due.length > 1) due.sort(byDeadline);
  try {
    for (const t of due) {
      // an earlier callback of this signal may have cleared or re-armed it
      if (armed.has(t) && mono >= t.deadline) t.fire();
    }
  } finally {
    due.length = 0;
  }
}

export class KernelTimer {
  /** the CLOCK_MONOTONIC deadline, ms: exactly monotonicMs() at the kernel's expiry */
  deadline = 0;
  private fn: (() => void) | undefined;
  /** called when the timer fires, before its callback (the pool takes it back) */
  onFire: (() => void) | undefined;
  // struct itimerspec { it_interval, it_value }: 32 bytes; it_interval is REPEAT_MS while armed
  private readonly spec = new Uint32Array(8);
  private readonly specPtr = ptr(new Uint8Array(this.spec.buffer));

  private constructor(private readonly id: number) {}

  /** A timer raising SIGURG, or undefined when the kernel gives none (then use setTimeout). */
  static create(): KernelTimer | undefined {
    // struct sigevent: sigev_value (8), sigev_signo i32, sigev_notify i32, then a 48-byte
    // union whose first int is the thread id. To the event loop's own thread: a signal
    // to the process may wake another thread first, which then wakes the loop (two
    // scheduler hops; under load the p50 went from 0.03 to 3–5 ms)
    const ev = new Int32Array(16);
    ev[2] = SIGURG;
    ev[3] = SIGEV_THREAD_ID;
    ev[4] = libc.gettid();
    const id = new Uint32Array(2); // timer_t: glibc keeps the kernel's timer id in a pointer
    if (libc.timer_create(CLOCK_MONOTONIC, ev, id) !== 0) return undefined;
    if (!listening) {
      // for good, as readiness.ts's SIGIO handler: a timer may fire after the last clear
      process.on("SIGURG", onSignal);
      // the backstop beside the repeat (see the header): a loop woken for a socket looks too
      onWake(fireDue);
      keepAlive = setInterval(() => {}, 1 << 30);
      keepAlive.unref();
      listening = true;
    }
    return new KernelTimer(id[0]! + id[1]! * 4294967296);
  }

  /** Call `fn` once `ms` from now (replacing what was armed). */
  set(fn: () => void, ms: number): void {
    this.setAt(fn, monotonicMs() + Math.max(0, ms));
  }

  /** Call `fn` once CLOCK_MONOTONIC reaches `at` ms (replacing what was armed); a past `at` fires at once. */
  setAt(fn: () => void, at: number): void {
    this.deadline = writeTimespec(at, this.spec, 4);
    this.spec[0] = 0;
    this.spec[1] = 0;
    this.spec[2] = REPEAT_MS * 1e6;
    this.spec[3] = 0;
    this.fn = fn;
    track(this, true);
    if (libc.timer_settime(this.id, TIMER_ABSTIME, this.specPtr, null) !== 0) {
      // EINVAL only for a bad timespec, which the arithmetic above never builds
      track(this, false);
      throw new Error(`timer_settime: errno ${errno()}`);
    }
  }

  /** Disarm; false when it was not armed (it fired, or was never set). */
  clear(): boolean {
    if (!armed.has(this)) return false;
    track(this, false);
    this.fn = undefined;
    this.disarm();
    return true;
  }

  private disarm(): void {
    this.spec.fill(0);
    libc.timer_settime(this.id, 0, this.specPtr, null);
  }

  /** @internal the signal handler's: the deadline has passed */
  fire(): void {
    if (traceFd !== undefined) mark(`keel fire deadline=${this.deadline.toFixed(3)}`);
    const fn = this.fn;
    track(this, false);
    this.fn = undefined;
    try {
      this.onFire?.();
      fn?.();
    } finally {
      // its repeat is for a lost signal, and this fire was seen: stop it, unless the
      // callback armed this timer again (the VRRP driver's usually does), which replaced it
      if (!armed.has(this)) this.disarm();
    }
  }

  close(): void {
    this.clear();
    libc.timer_delete(this.id);
  }
}

/** Timers the pool hands out at most; past that, setTimeout (a daemon needs a handful). */
const POOL_MAX = 4096;

/**
 * setTimeout / clearTimeout's shape (src/runtime/vrrp-driver.ts Timers) over a pool of
 * kernel timers, for the daemon's VRRP driver. A handle is a number, the pool index plus
 * a generation, so arming allocates nothing and clearing a handle that already fired
 * (its timer since reused by another caller) does nothing. Falls back to setTimeout
 * when the kernel gives no timer.
 */
export function kernelTimers(): {
  set(fn: () => void, ms: number): unknown;
  /** at performance.now() = `t`, through monotonicAt */
  setAtTime(fn: () => void, t: number): unknown;
  clear(handle: unknown): void;
} {
  const pool: KernelTimer[] = [];
  const generation: number[] = [];
  const free: number[] = [];
  const take = (): number | undefined => {
    const i = free.pop();
    if (i !== undefined || pool.length >= POOL_MAX) return i;
    const t = KernelTimer.create();
    if (!t) return undefined;
    const n = pool.length;
    t.onFire = () => free.push(n);
    pool.push(t);
    generation.push(0);
    return n;
  };
  return {
    set(fn, ms) {
      const i = take();
      if (i === undefined) return setTimeout(fn, ms);
      const g = generation[i]! + 1;
      generation[i] = g;
      pool[i]!.set(fn, ms);
      return g * POOL_MAX + i;
    },
    setAtTime(fn, t) {
      const i = take();
      if (i === undefined) return setTimeout(fn, Math.max(0, t - performance.now()));
      const g = generation[i]! + 1;
      generation[i] = g;
      pool[i]!.setAt(fn, monotonicAt(t));
      return g * POOL_MAX + i;
    },
    clear(handle) {
      if (typeof handle !== "number") {
        clearTimeout(handle as ReturnType<typeof setTimeout>);
        return;
      }
      const i = handle % POOL_MAX;
      if (generation[i] !== Math.floor(handle / POOL_MAX)) return;
      if (pool[i]!.clear()) free.push(i);
    },
  };
}
