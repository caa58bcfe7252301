/**
 * The libc symbol table: every foreign function keel calls at every start, in one dlopen
 * (sched.ts opens its own, only when a process setting is applied). Nothing outside
 * native-bindings/ imports this (DESIGN.md, layer rule 2).
 *
 * Types follow the C prototypes on x86-64 and aarch64 Linux (glibc): `ssize_t`
 * returns are i64 (a BigInt in Bun), `socklen_t` is u32, pointers are `ptr`.
 */
import { dlopen, FFIType } from "bun:ffi";

const { i32, u32, i64, u64, ptr, cstring } = FFIType;

export const libc = dlopen("libc.so.6", {
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
}).symbols;
