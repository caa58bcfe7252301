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
import { dlopen, type FFIFunction, FFIType } from "bun:ffi";

const { i32, u32, i64, u64, ptr, cstring } = FFIType;

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
  // the start path's file calls (file.ts): one trampoline for all of them instead of one
  // per call (~0.6 ms of CPU each). Variadic in C; glibc's implementation only moves the
  // argument registers, where both targets pass a variadic long anyway.
  syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 },
  // the real-time signal handler's page and its installation (signals.ts)
  mmap: { args: [ptr, u64, i32, i32, i32, i64], returns: ptr },
  mprotect: { args: [ptr, u64, i32], returns: i32 },
  signal: { args: [i32, ptr], returns: ptr },
});

type Symbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
type Name = keyof typeof SYMBOLS;

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
        const fn = dlopen("libc.so.6", { [name]: SYMBOLS[name] }).symbols[name];
        // from now on a plain property: the getter runs once per symbol
        Object.defineProperty(lazy, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return lazy;
}

export const libc = lazyLibc();
