/**
 * The one receive loop of keel's datagram sockets (VRRP, BFD): recvmmsg(MSG_DONTWAIT)
 * into buffers allocated once per socket, so reading a burst is one FFI call per
 * `slots` datagrams and the loop itself allocates nothing (no msghdr, DataView, BigInt
 * or cmsg array per datagram). What a consumer keeps it copies (`slice`): the slots are
 * written again by the next call.
 *
 * struct mmsghdr (sys/socket.h): a msghdr (56 bytes, structs.ts MSGHDR) then
 * `unsigned int msg_len` and padding = 64 bytes. recvmmsg with MSG_DONTWAIT returns as
 * soon as the queue is empty after at least one datagram, so a short batch means
 * drained, without the extra call that learns EAGAIN.
 */
import { EAGAIN, EINTR, SyscallError, errno } from "./errno";
import { libc } from "./libc";
import { CMSG_HDR_SIZE, IOVEC_SIZE, MSGHDR, SOCKADDR_IN6_SIZE, cmsgAlign, stablePtr } from "./structs";

const MMSGHDR_SIZE = 64;
const MSG_LEN = 56;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
/** IP_PKTINFO (12) / IPV6_PKTINFO (20) + IPV6_HOPLIMIT (4) / IP_TTL (4), + SO_TIMESTAMPNS (16): room to spare */
const CONTROL_SIZE = 128;

/** `slot` is the batch index; the views of that slot hold the datagram until the next drain. */
export type Deliver = (slot: number, length: number) => void;

export class RecvBatch {
  /** datagrams longer than a slot (MSG_TRUNC), read and dropped */
  truncated = 0;
  private closed = false;
  private readonly dataBuf: Uint8Array;
  private readonly nameBuf: Uint8Array;
  private readonly controlBuf: Uint8Array;
  private readonly iovBuf: Uint8Array;
  private readonly mmsg: Uint8Array;
  private readonly mv: DataView;
  private readonly cv: DataView;
  private readonly mmsgPtr: number;
  private readonly dataViews: Uint8Array[] = [];
  private readonly nameViews: Uint8Array[] = [];

  constructor(
    private readonly fd: number,
    private readonly slots: number,
    slotSize: number,
    /** names the socket in errors (an interface, a port) */
    private readonly what: string,
  ) {
    this.dataBuf = new Uint8Array(slots * slotSize);
    this.nameBuf = new Uint8Array(slots * SOCKADDR_IN6_SIZE);
    this.controlBuf = new Uint8Array(slots * CONTROL_SIZE);
    this.iovBuf = new Uint8Array(slots * IOVEC_SIZE);
    this.mmsg = new Uint8Array(slots * MMSGHDR_SIZE);
    // every address is taken once, from storage that no longer moves (structs.ts stablePtr)
    const data = stablePtr(this.dataBuf);
    const name = stablePtr(this.nameBuf);
    const control = stablePtr(this.controlBuf);
    const iov = stablePtr(this.iovBuf);
    this.mmsgPtr = stablePtr(this.mmsg);
    const io = new DataView(this.iovBuf.buffer, this.iovBuf.byteOffset, this.iovBuf.byteLength);
    this.mv = new DataView(this.mmsg.buffer, this.mmsg.byteOffset, this.mmsg.byteLength);
    this.cv = new DataView(this.controlBuf.buffer, this.controlBuf.byteOffset, this.controlBuf.byteLength);
    for (let i = 0; i < slots; i++) {
      io.setBigUint64(i * IOVEC_SIZE, BigInt(data + i * slotSize), true);
      io.setBigUint64(i * IOVEC_SIZE + 8, BigInt(slotSize), true);
      const m = i * MMSGHDR_SIZE;
      this.mv.setBigUint64(m + MSGHDR.name, BigInt(name + i * SOCKADDR_IN6_SIZE), true);
      this.mv.setBigUint64(m + MSGHDR.iov, BigInt(iov + i * IOVEC_SIZE), true);
      this.mv.setBigUint64(m + MSGHDR.iovlen, 1n, true);
      this.mv.setBigUint64(m + MSGHDR.control, BigInt(control + i * CONTROL_SIZE), true);
      this.dataViews.push(this.dataBuf.subarray(i * slotSize, (i + 1) * slotSize));
      this.nameViews.push(this.nameBuf.subarray(i * SOCKADDR_IN6_SIZE, (i + 1) * SOCKADDR_IN6_SIZE));
    }
  }

  /**
   * Read up to `max` datagrams, `slots` per recvmmsg, until the queue is empty; calls
   * `deliver` for each one that fit its slot. Returns how many were read (truncated ones
   * included): `max` means more may be queued (readiness.ts). EINTR retries; any other
   * error but EAGAIN throws SyscallError. Stops at once when `close()` is called from
   * `deliver`.
   */
  drain(max: number, deliver: Deliver): number {
    let n = 0;
    while (!this.closed && n < max) {
      const want = Math.min(this.slots, max - n);
      for (let i = 0; i < want; i++) {
        // recvmmsg rewrites these: restore them before every call (upper halves stay 0)
        const m = i * MMSGHDR_SIZE;
        this.mv.setUint32(m + MSGHDR.namelen, SOCKADDR_IN6_SIZE, true);
        this.mv.setUint32(m + MSGHDR.controllen, CONTROL_SIZE, true);
        this.mv.setInt32(m + MSGHDR.flags, 0, true);
      }
      const r = libc.recvmmsg(this.fd, this.mmsgPtr, want, MSG_DONTWAIT, null);
      if (r < 0) {
        const e = errno();
        if (e === EAGAIN) break;
        if (e === EINTR) continue;
        throw new SyscallError("recvmmsg", e, this.what);
      }
      n += r;
      for (let i = 0; i < r && !this.closed; i++) {
        const m = i * MMSGHDR_SIZE;
        if (this.mv.getInt32(m + MSGHDR.flags, true) & MSG_TRUNC) this.truncated++;
        else deliver(i, this.mv.getUint32(m + MSG_LEN, true));
      }
      if (r < want) break;
    }
    return n;
  }

  /** The whole data slot; the datagram is its first `length` bytes. */
  data(slot: number): Uint8Array {
    return this.dataViews[slot]!;
  }

  private readonly exactViews: (Uint8Array | undefined)[] = [];
  /**
   * The datagram of `slot`, `length` bytes, as a view of the slot (no copy), rewritten by
   * the next drain. The view is kept per slot and made again only when the length
   * changes: a segment's adverts all have one length, so a steady stream reads without
   * a new typed array per datagram (issue 20).
   */
  view(slot: number, length: number): Uint8Array {
    const v = this.exactViews[slot];
    if (v !== undefined && v.length === length) return v;
    const fresh = this.dataViews[slot]!.subarray(0, length);
    this.exactViews[slot] = fresh;
    return fresh;
  }

  /** The source sockaddr slot (room for a sockaddr_in6); its length is nameLength(slot). */
  name(slot: number): Uint8Array {
    return this.nameViews[slot]!;
  }

  nameLength(slot: number): number {
    return this.mv.getUint32(slot * MMSGHDR_SIZE + MSGHDR.namelen, true);
  }

  /**
   * Where the data of control message (level, type) of `slot` starts in the control
   * area (for controlInt32 / controlBytes), or -1 when there is none with at least
   * `minLength` bytes: glibc's CMSG_FIRSTHDR / CMSG_NXTHDR walk, without allocating.
   */
  cmsg(slot: number, level: number, type: number, minLength: number): number {
    const base = slot * CONTROL_SIZE;
    const end = base + Math.min(CONTROL_SIZE, this.mv.getUint32(slot * MMSGHDR_SIZE + MSGHDR.controllen, true));
    let off = base;
    while (off + CMSG_HDR_SIZE <= end) {
      // cmsg_len is a size_t; a control area of 128 bytes never needs its upper half
      const len = this.cv.getUint32(off, true);
      if (len < CMSG_HDR_SIZE || off + len > end) return -1;
      if (
        this.cv.getInt32(off + 8, true) === level &&
        this.cv.getInt32(off + 12, true) === type &&
        len - CMSG_HDR_SIZE >= minLength
      )
        return off + CMSG_HDR_SIZE;
      off += cmsgAlign(len);
    }
    return -1;
  }

  controlInt32(offset: number): number {
    return this.cv.getInt32(offset, true);
  }

  /** A copy: the control area is rewritten by the next drain. */
  controlBytes(offset: number, length: number): Uint8Array {
    return this.controlBuf.slice(offset, offset + length);
  }

  /** Stop delivering (the socket is being closed); closing the fd is the owner's. */
  close(): void {
    this.closed = true;
  }
}
