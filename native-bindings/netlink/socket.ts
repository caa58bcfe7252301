/**
 * A netlink socket (NETLINK_ROUTE, or NETLINK_GENERIC for IPVS): sequence numbers,
 * request/ACK, batches, dumps.
 *
 * Requests are synchronous without blocking the main thread: rtnetlink and generic
 * netlink handle a request inside sendmsg (under the RTNL / genl lock), so by the time
 * sendmsg returns the ACK (or the first part of a dump) is already queued on the socket, and recvmsg(MSG_DONTWAIT)
 * reads it. Should a reply not be there (EAGAIN: a kernel that defers the work, or a
 * dump whose next part is being built), the fallback is poll() on this one fd for at
 * most 1 s, then ETIMEDOUT; in practice the fallback never waits.
 *
 * Every socket asks for NETLINK_EXT_ACK (the kernel's error text comes back as
 * NLMSGERR_ATTR_MSG) and NETLINK_CAP_ACK (error replies echo only the request's
 * header, not the whole request).
 */
import { EINTR, errno, SyscallError } from "../errno";
import { libc } from "../libc";
import { NetlinkReceiver } from "../netlink-recv";
import { decodeAck, type NlMessage, parseMessages } from "./codec";
import * as K from "./constants";
import { EBADMSG, EMSGSIZE, ETIMEDOUT, NetlinkError } from "./error";

const RECV_BUF = 1 << 20; // larger than any single rtnetlink datagram (dump parts are ≤ 32 KiB)
const POLLIN = 0x1;
const WAIT_MS = 1000;

export interface OpenOptions {
  /** NETLINK_ROUTE (the default) or NETLINK_GENERIC */
  protocol?: number;
  /** legacy RTMGRP_* bits to bind to (a monitor socket) */
  groups?: number;
  /** SO_RCVBUF(FORCE) in bytes */
  rcvbuf?: number;
  /**
   * true: SO_RCVBUFFORCE (past net.core.rmem_max; needs CAP_NET_ADMIN), else SO_RCVBUF;
   * false: SO_RCVBUF only (capped at rmem_max), as keepalived without `*_rcv_bufs_force`
   */
  rcvbufForce?: boolean;
}

/** A socket receive buffer as keepalived's `*_rcv_bufs` / `*_rcv_bufs_force` set it. */
export interface RcvBuf {
  bytes: number;
  force: boolean;
}

/** How one request ended: errno 0 = ACK; `extack` is the kernel's text, `detail` keel's own. */
export interface AckOutcome {
  errno: number;
  extack?: string;
  detail?: string;
}

export class NetlinkSocket {
  readonly fd: number;
  /** the port id the kernel assigned (nl_pid) */
  readonly portId: number;
  private seq: number;
  private closed = false;
  private readonly rx: NetlinkReceiver;
  private readonly pollfd = Buffer.alloc(8);
  private readonly kernel = Buffer.alloc(12);

  private constructor(fd: number, portId: number) {
    this.fd = fd;
    this.portId = portId;
    this.seq = Math.floor(Date.now() / 1000) >>> 0;
    this.kernel.writeUInt16LE(K.AF_NETLINK, 0); // sockaddr_nl { AF_NETLINK, 0, pid 0 (kernel), groups 0 }
    this.rx = new NetlinkReceiver(fd, RECV_BUF, "recvmsg(AF_NETLINK)");
    this.pollfd.writeInt32LE(fd, 0);
    this.pollfd.writeInt16LE(POLLIN, 4);
  }

  static open(o: OpenOptions = {}): NetlinkSocket {
    const fd = libc.socket(K.AF_NETLINK, K.SOCK_RAW | K.SOCK_CLOEXEC, o.protocol ?? K.NETLINK_ROUTE);
    if (fd < 0) throw new SyscallError("socket(AF_NETLINK)", errno());
    try {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1, 0);
      // best effort: both exist since Linux 4.12 / 4.3; without them errors just carry less detail
      libc.setsockopt(fd, K.SOL_NETLINK, K.NETLINK_EXT_ACK, one, 4);
      libc.setsockopt(fd, K.SOL_NETLINK, K.NETLINK_CAP_ACK, one, 4);
      if (o.rcvbuf) {
        const v = Buffer.alloc(4);
        v.writeInt32LE(o.rcvbuf, 0);
        // FORCE needs CAP_NET_ADMIN (which every rtnetlink change needs anyway); else the capped one
        if (o.rcvbufForce === false || libc.setsockopt(fd, K.SOL_SOCKET, K.SO_RCVBUFFORCE, v, 4) !== 0)
          libc.setsockopt(fd, K.SOL_SOCKET, K.SO_RCVBUF, v, 4);
      }
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(K.AF_NETLINK, 0);
      sa.writeUInt32LE(o.groups ?? 0, 8);
      if (libc.bind(fd, sa, 12) !== 0) throw new SyscallError("bind(AF_NETLINK)", errno());
      const len = Buffer.alloc(4);
      len.writeUInt32LE(12, 0);
      if (libc.getsockname(fd, sa, len) !== 0) throw new SyscallError("getsockname(AF_NETLINK)", errno());
      return new NetlinkSocket(fd, sa.readUInt32LE(4));
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  /** Send one buffer (one or more messages) to the kernel. */
  send(bytes: Uint8Array): void {
    this.assertOpen();
    for (;;) {
      const n = libc.sendto(this.fd, bytes, bytes.length, 0, this.kernel, 12);
      if (n >= 0n) {
        if (Number(n) !== bytes.length)
          throw new SyscallError("sendto(AF_NETLINK)", EMSGSIZE, `short send ${n}/${bytes.length}`);
        return;
      }
      const e = errno();
      if (e !== EINTR) throw new SyscallError("sendto(AF_NETLINK)", e);
    }
  }

  /**
   * One datagram from the kernel, or undefined when none is queued (EAGAIN). Datagrams
   * from anyone but the kernel (nl_pid != 0) are dropped. Throws SyscallError (ENOBUFS:
   * the receive queue overflowed and messages were lost).
   */
  recv(): Uint8Array | undefined {
    this.assertOpen();
    const d = this.rx.recv();
    if (d !== undefined && this.rx.truncated)
      throw new SyscallError("recvmsg(AF_NETLINK)", EMSGSIZE, "datagram larger than the receive buffer");
    return d;
  }

  /** poll() this fd for readability, at most `ms`; true when readable. */
  waitReadable(ms: number): boolean {
    const deadline = Date.now() + ms;
    for (;;) {
      this.pollfd.writeInt16LE(0, 6);
      const left = Math.max(0, deadline - Date.now());
      const r = libc.poll(this.pollfd, 1, left);
      if (r > 0) return true;
      if (r === 0) return false;
      const e = errno();
      if (e !== EINTR) throw new SyscallError("poll", e);
    }
  }

  /** Next datagram, waiting up to 1 s (see the header comment); undefined on timeout. */
  private recvWait(): Uint8Array | undefined {
    const d = this.recv();
    if (d !== undefined) return d;
    if (!this.waitReadable(WAIT_MS)) return undefined;
    return this.recv();
  }

  /**
   * Send `requests` (each one message carrying NLM_F_ACK and its own seq) in one
   * sendmsg, then collect an ACK for each. Returns the ACK per seq; a request without
   * an ACK after the wait gets ETIMEDOUT. Messages for other seqs (stale replies) are
   * skipped.
   *
   * `ackLastOnly` clears NLM_F_ACK on all but the last request: the kernel still answers
   * every failure (net/netlink/af_netlink.c netlink_rcv_skb acks `if (flags & NLM_F_ACK
   * || err)`), handles the messages of one sendmsg in order and queues its answers in
   * order, so the last one's ACK means every request before it without an error reply
   * succeeded, and those get no entry. For 1,000 VIPs that is 8 ACK datagrams instead of
   * 1,000 for the kernel to build and keel to read.
   */
  transact(
    requests: readonly { seq: number; bytes: Uint8Array }[],
    o: { ackLastOnly?: boolean } = {},
  ): Map<number, AckOutcome> {
    if (requests.length === 0) return new Map();
    const total = requests.reduce((n, r) => n + r.bytes.length, 0);
    const batch = new Uint8Array(total);
    const view = new DataView(batch.buffer);
    let off = 0;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      batch.set(r.bytes, off);
      // nlmsg_flags: u16 at byte 6 of the header, host order
      if (o.ackLastOnly && i < requests.length - 1)
        view.setUint16(off + 6, view.getUint16(off + 6, true) & ~K.NLM_F_ACK, true);
      off += r.bytes.length;
    }
    return this.transactLaidOut(
      batch,
      requests.map((r) => r.seq),
      o.ackLastOnly,
    );
  }

  /**
   * transact for requests already laid out in one buffer (Rtnl's address batches write
   * theirs straight into a reused one): `seqs` are theirs in order; with `ackLastOnly`
   * only the last one carries NLM_F_ACK (the caller cleared it on the others). No
   * `batch`: sent already (collect).
   */
  transactLaidOut(
    batch: Uint8Array | undefined,
    seqs: readonly number[],
    ackLastOnly?: boolean,
  ): Map<number, AckOutcome> {
    const out = new Map<number, AckOutcome>();
    if (seqs.length === 0) return out;
    const all = new Set(seqs);
    const wanted = ackLastOnly ? new Set([seqs[seqs.length - 1]!]) : new Set(all);
    // what the wait gives up with goes to every request whose outcome is not known
    const unknown = (outcome: AckOutcome) => {
      for (const s of all) if (!out.has(s)) out.set(s, outcome);
      return out;
    };
    if (batch !== undefined) this.send(batch);
    // the answers of requests the kernel sent by itself (expectLater), read before this
    if (this.later.size > 0)
      for (const s of all) {
        const kept = this.later.get(s);
        if (kept === undefined) continue;
        this.later.delete(s);
        if (kept === null) continue;
        out.set(s, kept);
        wanted.delete(s);
      }
    while (wanted.size > 0) {
      let d: Uint8Array | undefined;
      try {
        d = this.recvWait();
      } catch (e) {
        if (e instanceof SyscallError)
          return unknown({ errno: e.errno, detail: `${e.syscall} while waiting for the ACK` });
        throw e;
      }
      if (d === undefined) return unknown({ errno: ETIMEDOUT, detail: `no ACK within ${WAIT_MS} ms` });
      const msgs = parseMessages(d);
      if (!msgs.ok) return unknown({ errno: EBADMSG, detail: msgs.error.message });
      for (const m of msgs.value) {
        if (m.type !== K.NLMSG_ERROR) continue;
        if (!all.has(m.seq)) {
          this.keep(m);
          continue;
        }
        out.set(m.seq, ackOutcome(m));
        wanted.delete(m.seq);
      }
    }
    return out;
  }

  /**
   * The ACKs of requests sent without this socket's knowing when (a takeover's VIPs the
   * kernel sends at a deadline by itself: rtnl.ts queueAddresses): kept when another
   * request's wait reads them, for collect() to find. forget() when they will not come.
   */
  expectLater(seqs: readonly number[]): void {
    for (const s of seqs) this.later.set(s, null);
  }

  forget(seqs: readonly number[]): void {
    for (const s of seqs) this.later.delete(s);
  }

  /** The ACKs of requests already sent (expectLater), as transactLaidOut collects its own. */
  collect(seqs: readonly number[], ackLastOnly?: boolean): Map<number, AckOutcome> {
    return this.transactLaidOut(undefined, seqs, ackLastOnly);
  }

  /** seq → its ACK once read, null until then (expectLater) */
  private readonly later = new Map<number, AckOutcome | null>();

  private keep(m: NlMessage): void {
    if (this.later.get(m.seq) === null) this.later.set(m.seq, ackOutcome(m));
  }

  /**
   * A dump request (NLM_F_DUMP) → every message of the reply up to NLMSG_DONE. Throws
   * NetlinkError on an error reply, a malformed reply, or a timeout. `interrupted` is
   * true when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR): redo it.
   */
  dump(request: string, seq: number, bytes: Uint8Array): { messages: NlMessage[]; interrupted: boolean } {
    this.send(bytes);
    const messages: NlMessage[] = [];
    let interrupted = false;
    for (;;) {
      let d: Uint8Array | undefined;
      try {
        d = this.recvWait();
      } catch (e) {
        if (e instanceof SyscallError) throw new NetlinkError(e.errno, request, undefined, e.syscall);
        throw e;
      }
      if (d === undefined)
        throw new NetlinkError(ETIMEDOUT, request, undefined, `dump not finished within ${WAIT_MS} ms`);
      const msgs = parseMessages(d);
      if (!msgs.ok) throw new NetlinkError(EBADMSG, request, undefined, msgs.error.message);
      for (const m of msgs.value) {
        if (m.seq !== seq) {
          if (m.type === K.NLMSG_ERROR) this.keep(m);
          continue;
        }
        if (m.flags & K.NLM_F_DUMP_INTR) interrupted = true;
        if (m.type === K.NLMSG_DONE) return { messages, interrupted };
        if (m.type === K.NLMSG_ERROR) {
          const ack = decodeAck(m);
          if (!ack.ok) throw new NetlinkError(EBADMSG, request, undefined, ack.error.message);
          if (ack.value.errno === 0) return { messages, interrupted };
          throw new NetlinkError(ack.value.errno, request, ack.value.extack);
        }
        if (m.type === K.NLMSG_NOOP) continue;
        if (m.type === K.NLMSG_OVERRUN) throw new NetlinkError(EBADMSG, request, undefined, "NLMSG_OVERRUN");
        messages.push(m);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }

  private assertOpen(): void {
    if (this.closed) throw new SyscallError("netlink", 9, "socket closed");
  }
}

function ackOutcome(m: NlMessage): AckOutcome {
  const ack = decodeAck(m);
  return ack.ok ? { errno: ack.value.errno, extack: ack.value.extack } : { errno: EBADMSG, detail: ack.error.message };
}
