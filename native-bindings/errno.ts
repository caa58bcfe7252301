/**
 * errno: read right after the failing call (`__errno_location()` is per thread and stale
 * after a success), and SyscallError, the one error type a failed syscall throws.
 */
import { read } from "bun:ffi";
import { libc } from "./libc";

/** Linux errno names (asm-generic/errno-base.h, errno.h) for the codes keel meets. */
const NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  28: "ENOSPC",
  32: "EPIPE",
  34: "ERANGE",
  61: "ENODATA",
  71: "EPROTO",
  74: "EBADMSG",
  75: "EOVERFLOW",
  77: "EBADFD",
  88: "ENOTSOCK",
  89: "EDESTADDRREQ",
  90: "EMSGSIZE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  94: "ESOCKTNOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  104: "ECONNRESET",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  113: "EHOSTUNREACH",
  115: "EINPROGRESS",
};

export const EAGAIN = 11;
export const EINTR = 4;

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E${errno}`;
}

export function strerror(errno: number): string {
  return String(libc.strerror(errno));
}

/** The calling thread's errno. Call it immediately after the failing syscall. */
export function errno(): number {
  const p = libc.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

export class SyscallError extends Error {
  readonly syscall: string;
  readonly errno: number;
  readonly code: string;
  constructor(syscall: string, errnoValue: number, detail?: string) {
    super(`${syscall}${detail ? ` (${detail})` : ""}: ${strerror(errnoValue)} [${errnoName(errnoValue)}]`);
    this.name = "SyscallError";
    this.syscall = syscall;
    this.errno = errnoValue;
    this.code = errnoName(errnoValue);
  }
}

/** Throw SyscallError when a syscall returned -1 (number or BigInt). */
export function check<T extends number | bigint>(syscall: string, ret: T, detail?: string): T {
  if (ret === -1 || ret === -1n) throw new SyscallError(syscall, errno(), detail);
  return ret;
}
