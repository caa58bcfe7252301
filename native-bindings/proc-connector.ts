/**
 * The process events connector socket (NETLINK_CONNECTOR bound to CN_IDX_PROC), as
 * keepalived's core/track_process.c opens it (nl_connect, set_proc_ev_listen): datagram
 * socket, non-blocking, the receive buffer from `process_monitor_rcv_bufs` (SO_RCVBUFFORCE
 * with `process_monitor_rcv_bufs_force`, else SO_RCVBUF), then LISTEN.
 *
 * The connector exists in the initial network namespace only (the kernel creates its
 * socket in init_net), so in any other namespace the LISTEN send fails with ECONNREFUSED:
 * keepalived's "Failed to set/clear process event listen - errno 111". A socket opened in
 * the initial namespace keeps working after the thread moves (setns), which is why the
 * daemon opens this before it enters `net_namespace`.
 *
 * open() waits (poll, at most 1 s) for the kernel's ack of LISTEN, which cn_proc sends from
 * inside the send; no ack means a kernel without CONFIG_PROC_EVENTS (keepalived: "the
 * kernel does not support proc events").
 */
import { EINTR, errno, SyscallError } from "./errno";
import { libc } from "./libc";
import { NetlinkReceiver } from "./netlink-recv";
import {
  CN_IDX_PROC,
  decodeProcEvents,
  encodeMcastOp,
  NETLINK_CONNECTOR,
  PROC_CN_MCAST_IGNORE,
  PROC_CN_MCAST_LISTEN,
  type ProcEvent,
} from "./proc-connector-codec";

const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const POLLIN = 0x1;
const ETIMEDOUT = 110;
const BUF = 4096; // one event is 16 + 20 + 40 bytes; the kernel sends one per datagram

export interface RcvBufOption {
  bytes: number;
  force: boolean;
}

export class ProcConnector {
  private closed = false;
  private readonly rx: NetlinkReceiver;

  private constructor(
    readonly fd: number,
    readonly portId: number,
  ) {
    this.rx = new NetlinkReceiver(fd, BUF, "recvmsg(NETLINK_CONNECTOR)");
  }

  /**
   * Open, subscribe and wait for the ack. Throws SyscallError (errno 111 outside the initial
   * netns). The buffer size is the caller's (setRcvBuf): keepalived only logs its failure.
   */
  static open(): ProcConnector {
    const fd = libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) throw new SyscallError("socket(NETLINK_CONNECTOR)", errno());
    let c: ProcConnector | undefined;
    try {
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(AF_NETLINK, 0);
      sa.writeUInt32LE(CN_IDX_PROC, 8); // nl_groups; nl_pid 0: the kernel assigns the port id
      if (libc.bind(fd, sa, 12) !== 0) throw new SyscallError("bind(NETLINK_CONNECTOR)", errno());
      const len = Buffer.alloc(4);
      len.writeUInt32LE(12, 0);
      if (libc.getsockname(fd, sa, len) !== 0) throw new SyscallError("getsockname(NETLINK_CONNECTOR)", errno());
      c = new ProcConnector(fd, sa.readUInt32LE(4));
      c.send(encodeMcastOp(PROC_CN_MCAST_LISTEN, c.portId), "process event listen");
      c.awaitAck();
      return c;
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  /** The receive buffer the kernel reports (SO_RCVBUF: twice what was set, for its overhead). */
  rcvBuf(): number {
    const v = Buffer.alloc(4);
    const l = Buffer.alloc(4);
    l.writeUInt32LE(4, 0);
    if (libc.getsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, v, l) !== 0)
      throw new SyscallError("getsockopt(SO_RCVBUF)", errno());
    return v.readInt32LE(0);
  }

  setRcvBuf(o: RcvBufOption): void {
    setRcvBuf(this.fd, o);
  }

  /**
   * The events of the next datagram from the kernel; undefined when none is queued.
   * Throws SyscallError: ENOBUFS when the kernel dropped events (the queue overflowed).
   */
  recv(): ProcEvent[] | undefined {
    const d = this.rx.recv();
    return d === undefined ? undefined : decodeProcEvents(d);
  }

  /** Unsubscribe (best effort, as keepalived's end_process_monitor) and close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.send(encodeMcastOp(PROC_CN_MCAST_IGNORE, this.portId), "process event ignore");
    } catch {
      // closing anyway
    }
    libc.close(this.fd);
  }

  private send(b: Uint8Array, what: string): void {
    const sa = Buffer.alloc(12);
    sa.writeUInt16LE(AF_NETLINK, 0);
    for (;;) {
      const n = libc.sendto(this.fd, b, b.length, 0, sa, 12);
      if (n >= 0n) return;
      const e = errno();
      if (e !== EINTR) throw new SyscallError(what, e);
    }
  }

  /** Drop everything until the kernel's ack of LISTEN (what = NONE); 1 s at most. */
  private awaitAck(): void {
    const deadline = Date.now() + 1000;
    const pfd = Buffer.alloc(8);
    pfd.writeInt32LE(this.fd, 0);
    pfd.writeInt16LE(POLLIN, 4);
    for (;;) {
      let evs: ProcEvent[] | undefined;
      try {
        evs = this.recv();
      } catch (e) {
        // events lost before the ack: irrelevant, the caller scans /proc after opening
        if (!(e instanceof SyscallError) || e.errno !== 105) throw e;
        continue;
      }
      if (evs) {
        const ack = evs.find((e) => e.kind === "ack");
        if (ack && ack.kind === "ack") {
          if (ack.err !== 0) throw new SyscallError("process event listen", ack.err, "refused by the kernel");
          return;
        }
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SyscallError("process event listen", ETIMEDOUT, "no answer: is CONFIG_PROC_EVENTS enabled?");
      pfd.writeInt16LE(0, 6);
      libc.poll(pfd, 1, left);
    }
  }
}

function setRcvBuf(fd: number, o: RcvBufOption): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(o.bytes, 0);
  if (libc.setsockopt(fd, SOL_SOCKET, o.force ? SO_RCVBUFFORCE : SO_RCVBUF, v, 4) !== 0)
    throw new SyscallError(o.force ? "setsockopt(SO_RCVBUFFORCE)" : "setsockopt(SO_RCVBUF)", errno());
}
