/**
 * Is anyone listening on an AF_UNIX stream socket path? The control socket asks before it
 * replaces a socket file (src/runtime/socket-path.ts): only a socket that refuses a
 * connection (ECONNREFUSED: bound by a process that is gone) is stale. Synchronous on
 * purpose: a non-blocking connect() to a Unix socket never waits (the kernel either
 * queues it on the listener, says EAGAIN when the backlog is full, or refuses it), so
 * the daemon's start-up can decide in one step, and SO_PEERCRED names the listener's pid.
 */
import { errno, errnoName } from "./errno";
import { libc } from "./libc";
import { sockaddrUn } from "./unix-dgram";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const ECONNREFUSED = 111;
const EAGAIN = 11;

export type UnixProbe =
  /** something accepted (or queued) the connection; pid/uid from SO_PEERCRED when the kernel gave them */
  | { state: "live"; pid?: number; uid?: number }
  /** a socket file nobody listens on */
  | { state: "refused" }
  /** anything else (ENOENT, EACCES, ENOTSOCK, ...): not ours to judge */
  | { state: "error"; code: string };

export function probeUnixStream(path: string): UnixProbe {
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return { state: "error", code: errnoName(errno()) };
  try {
    const { addr, len } = sockaddrUn(path);
    if (libc.connect(fd, addr, len) !== 0) {
      const e = errno();
      if (e === ECONNREFUSED) return { state: "refused" };
      // the listener's backlog is full: it is alive, only busy
      if (e === EAGAIN) return { state: "live" };
      return { state: "error", code: errnoName(e) };
    }
    // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
    const cred = new Uint8Array(12);
    const credLen = new Uint32Array([12]);
    if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, credLen) !== 0) return { state: "live" };
    const v = new DataView(cred.buffer);
    return { state: "live", pid: v.getInt32(0, true), uid: v.getUint32(4, true) };
  } finally {
    libc.close(fd);
  }
}

/** The process at the other end of a connected AF_UNIX socket (SO_PEERCRED, taken at connect time). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** SO_PEERCRED of a connected socket; undefined when the kernel refuses it (not a Unix socket). */
export function peerCredentials(fd: number): PeerCredentials | undefined {
  // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
  const cred = new Uint8Array(12);
  const credLen = new Uint32Array([12]);
  if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, credLen) !== 0) return undefined;
  const v = new DataView(cred.buffer);
  return { pid: v.getInt32(0, true), uid: v.getUint32(4, true), gid: v.getUint32(8, true) };
}
