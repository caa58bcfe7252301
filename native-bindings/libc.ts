/**
 * The libc symbol table: every foreign function keel calls, each bound the first time it
 * is used (sched.ts, netns.ts open their own, only when a process setting or namespace is
 * applied). Nothing outside native-bindings/ imports this (DESIGN.md, layer rule 2).
 *
 * Types follow the C prototypes on x86-64 and aarch64 Linux (glibc): `ssize_t`
 * returns are i64 (a BigInt in Bun), `socklen_t` is u32, pointers are `ptr`.
 *
 * Why one dlopen per symbol, on first use (issue 20): bun:ffi compiles a TinyCC trampoline
 * for every symbol it binds, ~0.6 ms of CPU each in the compiled binary on top of ~5 ms
 * for the first dlopen; binding all 35 at import cost every command that touches a socket
 * 20–25 ms of CPU, and a daemon uses 21 of them up to its first advert, `keel status` a
 * handful. A later dlopen of libc.so.6 costs no more than the symbols it binds (measured:
 * 32 dlopens of one symbol each, the same CPU as one dlopen of 32), and after the first
 * call the property is a plain value, so the hot paths pay nothing.
 */
import { dlopen, type FFIFunction, FFIType, ptr as addressOf } from "bun:ffi";

const { i32, u32, i64, u64, ptr, cstring, i64_fast } = FFIType;

/** the table as dlopen would infer it (no `as const`: its readonly tuples type `ptr` stricter than the callers) */
const table = <F extends Record<string, FFIFunction>>(f: F): F => f;

const SYMBOLS = table({
  socket: { args: [i32, i32, i32], returns: i32 },
  socketpair: { args: [i32, i32, i32, ptr], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  connect: { args: [i32, ptr, u32], returns: i32 },
  close: { args: [i32], returns: i32 },
  setsockopt: { args: [i32, i32, i32, ptr, u32], returns: i32 },
  getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
  getsockname: { args: [i32, ptr, ptr], returns: i32 },
  sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64 },
  sendmsg: { args: [i32, ptr, i32], returns: i64 },
  recvmsg: { args: [i32, ptr, i32], returns: i64 },
  recvmmsg: { args: [i32, ptr, u32, i32, ptr], returns: i32 },
  recvfrom: { args: [i32, ptr, u64, i32, ptr, ptr], returns: i64 },
  fcntl: { args: [i32, i32, i64], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  epoll_create1: { args: [i32], returns: i32 },
  epoll_ctl: { args: [i32, i32, i32, ptr], returns: i32 },
  epoll_wait: { args: [i32, ptr, i32, i32], returns: i32 },
  timer_create: { args: [i32, ptr, ptr], returns: i32 },
  timer_settime: { args: [u64, i32, ptr, ptr], returns: i32 },
  clock_gettime: { args: [i32, ptr], returns: i32 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  pipe2: { args: [ptr, i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  if_nametoindex: { args: [cstring], returns: u32 },
  if_indextoname: { args: [u32, ptr], returns: ptr },
  timer_delete: { args: [u64], returns: i32 },
  getpid: { args: [], returns: i32 },
  gettid: { args: [], returns: i32 },
  setrlimit: { args: [i32, ptr], returns: i32 },
  __errno_location: { args: [], returns: ptr },
  strerror: { args: [i32], returns: cstring },
  // the log's local time (localtime.ts): glibc's tzfile instead of JavaScriptCore's ICU time zone
  localtime_r: { args: [ptr, ptr], returns: ptr },
  // the start path's file calls (file.ts): one trampoline for all of them instead of one
  // per call (~0.6 ms of CPU each). Variadic in C; glibc's implementation only moves the
  // argument registers, where both targets pass a variadic long anyway.
  syscall: { args: [i64, i64, i64, i64, i64, i64, i64], returns: i64_fast },
  // the real-time signal handler's page and its installation (signals.ts)
  mmap: { args: [ptr, u64, i32, i32, i32, i64], returns: ptr },
  mprotect: { args: [ptr, u64, i32], returns: i32 },
  signal: { args: [i32, ptr], returns: ptr },
});

type Symbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
type Name = keyof typeof SYMBOLS;

/**
 * Symbols that are thin glibc wrappers around one system call, with its number
 * (asm/unistd.h: x86-64's table; aarch64 uses the generic one). These run through the one
 * `syscall` trampoline instead of a trampoline each (issue 20: a daemon bound 19 symbols
 * before its first advert, ~0.6 ms of CPU and ~20 page faults each): same arguments, same
 * result, −1 and errno on failure. Not here: what glibc does more than the system call
 * (if_nametoindex, signal's restorer, strerror), the vDSO's clock_gettime is kept for
 * the timers' hot path, and calls aarch64 lacks (epoll_wait, poll, setrlimit).
 */
const SYSCALLS: Partial<Record<Name, number>> =
  process.arch === "arm64"
    ? {
        read: 63,
        close: 57,
        ioctl: 29,
        pipe2: 59,
        socket: 198,
        socketpair: 199,
        bind: 200,
        connect: 203,
        getsockname: 204,
        sendto: 206,
        recvfrom: 207,
        setsockopt: 208,
        getsockopt: 209,
        sendmsg: 211,
        recvmsg: 212,
        recvmmsg: 243,
        fcntl: 25,
        getpid: 172,
        gettid: 178,
        timer_create: 107,
        timer_settime: 110,
        timer_delete: 111,
        epoll_create1: 20,
        epoll_ctl: 21,
      }
    : process.arch === "x64"
      ? {
          read: 0,
          close: 3,
          ioctl: 16,
          pipe2: 293,
          socket: 41,
          socketpair: 53,
          bind: 49,
          connect: 42,
          getsockname: 51,
          sendto: 44,
          recvfrom: 45,
          setsockopt: 54,
          getsockopt: 55,
          sendmsg: 46,
          recvmsg: 47,
          recvmmsg: 299,
          fcntl: 72,
          getpid: 39,
          gettid: 186,
          timer_create: 222,
          timer_settime: 223,
          timer_delete: 226,
          epoll_create1: 291,
          epoll_ctl: 233,
        }
      : {};

/** an argument as `syscall`'s i64: a buffer's address (stable: structs.ts stablePtr), null as 0 */
function word(a: unknown): number | bigint {
  if (typeof a === "number" || typeof a === "bigint") return a;
  if (a === null || a === undefined) return 0;
  const b = a as Uint8Array;
  void b.buffer; // a fast typed array moves until its ArrayBuffer exists (structs.ts stablePtr)
  return addressOf(b);
}

/** `name` as a call through `syscall(nr, …)`, returning what its own binding would (i64 as BigInt) */
function throughSyscall(t: Symbols, name: Name, nr: number): (...args: unknown[]) => unknown {
  const sc = t.syscall as unknown as (...a: (number | bigint)[]) => number | bigint;
  const big = SYMBOLS[name].returns === i64;
  // fixed arity: no rest array per call on the hot paths (sendto, recvmsg)
  const w = word;
  const f = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, g?: unknown) => {
    const r = sc(nr, w(a), w(b), w(c), w(d), w(e), w(g));
    return big ? BigInt(r) : Number(r);
  };
  return f as (...args: unknown[]) => unknown;
}

/** A table that binds each symbol on first use; `libc` below is the process's one. */
export function lazyLibc(): Symbols {
  const lazy = {} as Symbols;
  for (const name of Object.keys(SYMBOLS) as Name[]) {
    Object.defineProperty(lazy, name, {
      configurable: true,
      enumerable: true,
      get() {
        // errno's accessor first: a later dlopen (TinyCC, mmap) between a failing call and
        // errno() would overwrite the errno it reads (errno.ts)
        if (name !== "__errno_location") void lazy.__errno_location;
        const nr = SYSCALLS[name];
        const fn =
          nr === undefined
            ? dlopen("libc.so.6", { [name]: SYMBOLS[name] }).symbols[name]
            : (throughSyscall(lazy, name, nr) as Symbols[Name]);
        // from now on a plain property: the getter runs once per symbol
        Object.defineProperty(lazy, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return lazy;
}

export const libc = lazyLibc();
