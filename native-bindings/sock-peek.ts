/**
 * Another process's socket option, read through a copy of its descriptor
 * (pidfd_open + pidfd_getfd, Linux 5.6; needs PTRACE_MODE_ATTACH, i.e. root): how the
 * tests see the receive buffers keel and keepalived set, since `ss -m` shows none for raw
 * sockets and no owner for netlink ones. Opens its own libc handle: nothing at run time
 * loads this file.
 */
import { dlopen, FFIType } from "bun:ffi";
import { SyscallError, errno } from "./errno";

const { i32, i64, ptr } = FFIType;
const lib = dlopen("libc.so.6", {
  syscall: { args: [i64, i64, i64, i64], returns: i64 },
  getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
  close: { args: [i32], returns: i32 },
}).symbols;

/** the same number on x86-64 and aarch64 (the unified table from Linux 5.1 on) */
const SYS_PIDFD_OPEN = 434n;
const SYS_PIDFD_GETFD = 438n;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/** SO_RCVBUF of descriptor `fd` of process `pid` (what the kernel holds: twice what was set). */
export function peerRcvbuf(pid: number, fd: number): number {
  const pidfd = Number(lib.syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n));
  if (pidfd < 0) throw new SyscallError("pidfd_open", errno(), String(pid));
  try {
    const copy = Number(lib.syscall(SYS_PIDFD_GETFD, BigInt(pidfd), BigInt(fd), 0n));
    if (copy < 0) throw new SyscallError("pidfd_getfd", errno(), `${pid}/${fd}`);
    try {
      const v = new Int32Array(1);
      const len = new Uint32Array([4]);
      if (lib.getsockopt(copy, SOL_SOCKET, SO_RCVBUF, v, len) !== 0)
        throw new SyscallError("getsockopt(SO_RCVBUF)", errno(), `${pid}/${fd}`);
      return v[0] as number;
    } finally {
      lib.close(copy);
    }
  } finally {
    lib.close(pidfd);
  }
}
