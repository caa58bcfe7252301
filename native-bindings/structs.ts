/**
 * Kernel structs as bytes (x86-64 / aarch64 Linux, LP64): sockaddr_in/in6/ll, ip_mreqn,
 * ipv6_mreq, iovec, msghdr and the cmsg walk. Integers the kernel reads in host order
 * are little-endian here (both targets are); ports, protocols and addresses are network
 * order, as the headers say (linux/in.h, linux/in6.h, linux/if_packet.h, bits/socket.h).
 *
 * Pointers inside a struct are raw addresses from bun:ffi `ptr()`. The garbage
 * collector does not know about them, so every builder that stores a pointer returns an
 * object that also holds the pointed-to buffers (`keep`): hold that object for as long
 * as the kernel may read the struct (DESIGN.md "Kernel I/O").
 */
import { ptr } from "bun:ffi";

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;

/** struct sockaddr_in (linux/in.h): family u16, port be16, addr[4], zero[8] = 16 bytes. */
export const SOCKADDR_IN_SIZE = 16;
/** struct sockaddr_in6 (linux/in6.h): family, port, flowinfo u32, addr[16], scope_id u32 = 28 bytes. */
export const SOCKADDR_IN6_SIZE = 28;
/** struct sockaddr_ll (linux/if_packet.h): 20 bytes (sll_addr is 8 bytes). */
export const SOCKADDR_LL_SIZE = 20;

export function sockaddrIn(addr: Uint8Array, port = 0): Uint8Array {
  const b = new Uint8Array(SOCKADDR_IN_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(addr.subarray(0, 4), 4);
  return b;
}

/** sockaddr_in6; scope_id = the ifindex for link-local unicast and link-scope multicast (RFC 4007 6). */
export function sockaddrIn6(addr: Uint8Array, scopeId = 0, port = 0): Uint8Array {
  const b = new Uint8Array(SOCKADDR_IN6_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  // 4..7 sin6_flowinfo: 0
  b.set(addr.subarray(0, 16), 8);
  v.setUint32(24, scopeId, true);
  return b;
}

/** Read a sockaddr_in / sockaddr_in6 the kernel filled in (recvmsg msg_name, getsockname). */
export function parseSockaddr(
  b: Uint8Array,
): { family: 4 | 6; addr: Uint8Array; port: number; scopeId: number } | undefined {
  if (b.length < 2) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = v.getUint16(0, true);
  if (family === AF_INET && b.length >= SOCKADDR_IN_SIZE)
    return { family: 4, addr: b.slice(4, 8), port: v.getUint16(2, false), scopeId: 0 };
  if (family === AF_INET6 && b.length >= SOCKADDR_IN6_SIZE) {
    return { family: 6, addr: b.slice(8, 24), port: v.getUint16(2, false), scopeId: v.getUint32(24, true) };
  }
  return undefined;
}

/**
 * struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8,
 * halen u8, addr[8]. `protocol` is given in host order (an ETH_P_* value) and stored
 * big-endian, as htons() would. hatype 1 = ARPHRD_ETHER (linux/if_arp.h).
 */
export function sockaddrLl(o: { ifindex: number; protocol: number; hatype?: number; addr?: Uint8Array }): Uint8Array {
  const b = new Uint8Array(SOCKADDR_LL_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, o.protocol, false);
  v.setInt32(4, o.ifindex, true);
  v.setUint16(8, o.hatype ?? 1, true);
  b[10] = 0; // sll_pkttype: ignored on send
  const a = o.addr ?? new Uint8Array(0);
  b[11] = Math.min(a.length, 8);
  b.set(a.subarray(0, 8), 12);
  return b;
}

/** struct ip_mreqn (linux/in.h): multiaddr[4], address[4] (any), ifindex i32 = 12 bytes. */
export function ipMreqn(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(12);
  b.set(group.subarray(0, 4), 0);
  new DataView(b.buffer).setInt32(8, ifindex, true);
  return b;
}

/** struct ipv6_mreq (linux/in6.h): multiaddr[16], ifindex i32 = 20 bytes. */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(20);
  b.set(group.subarray(0, 16), 0);
  new DataView(b.buffer).setInt32(16, ifindex, true);
  return b;
}

/** An `int` socket option value. */
export function int32(n: number): Int32Array {
  return new Int32Array([n]);
}

/** A struct that points at other buffers, and those buffers, kept alive together. */
export interface Pinned {
  readonly bytes: Uint8Array;
  readonly keep: readonly Uint8Array[];
}

/** struct iovec: base pointer u64, len u64 = 16 bytes per entry. */
export const IOVEC_SIZE = 16;

/**
 * The address of `buf`, fixed for as long as `buf` lives. JavaScriptCore keeps a small
 * typed array (under 1,000 elements) in the collector's own storage and moves it into a
 * fresh ArrayBuffer the first time anything reads its `.buffer` (a DataView over it, a
 * `subarray`): a pointer taken before that points at freed memory, where the kernel then
 * writes. Reading `.buffer` first gives the array its final storage (measured with
 * `ptr()` before and after: test/unit/native-bindings/structs.test.ts).
 */
/** A pointer libc returned that is an address (not NULL, not MAP_FAILED's −1 nor a BigInt). */
export const isAddress = (p: number | bigint | null): p is number => typeof p === "number" && p > 0 && p < 2 ** 52;

export function stablePtr(buf: Uint8Array): number {
  void buf.buffer;
  return ptr(buf);
}

export function iovec(bufs: readonly Uint8Array[]): Pinned {
  const b = new Uint8Array(IOVEC_SIZE * Math.max(1, bufs.length));
  const v = new DataView(b.buffer);
  bufs.forEach((buf, i) => {
    // ptr() of an empty buffer is not meaningful; the kernel never reads a zero-length iov
    v.setBigUint64(i * IOVEC_SIZE, buf.length > 0 ? BigInt(stablePtr(buf)) : 0n, true);
    v.setBigUint64(i * IOVEC_SIZE + 8, BigInt(buf.length), true);
  });
  return { bytes: b, keep: [...bufs] };
}

/**
 * struct msghdr (bits/socket.h, LP64): 56 bytes.
 *   0 msg_name ptr | 8 msg_namelen u32 (+4 pad) | 16 msg_iov ptr | 24 msg_iovlen u64 |
 *   32 msg_control ptr | 40 msg_controllen u64 | 48 msg_flags i32 (+4 pad)
 */
export const MSGHDR_SIZE = 56;
export const MSGHDR = { name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48 } as const;

export function msghdr(o: { name?: Uint8Array; iov: readonly Uint8Array[]; control?: Uint8Array }): Pinned {
  const io = iovec(o.iov);
  const b = new Uint8Array(MSGHDR_SIZE);
  const v = new DataView(b.buffer);
  if (o.name && o.name.length > 0) {
    v.setBigUint64(MSGHDR.name, BigInt(stablePtr(o.name)), true);
    v.setUint32(MSGHDR.namelen, o.name.length, true);
  }
  v.setBigUint64(MSGHDR.iov, BigInt(stablePtr(io.bytes)), true);
  v.setBigUint64(MSGHDR.iovlen, BigInt(o.iov.length), true);
  if (o.control && o.control.length > 0) {
    v.setBigUint64(MSGHDR.control, BigInt(stablePtr(o.control)), true);
    v.setBigUint64(MSGHDR.controllen, BigInt(o.control.length), true);
  }
  const keep = [io.bytes, ...io.keep];
  if (o.name) keep.push(o.name);
  if (o.control) keep.push(o.control);
  return { bytes: b, keep };
}

/** struct cmsghdr: cmsg_len u64 (size_t), level i32, type i32 = 16 bytes, data 8-aligned. */
export const CMSG_HDR_SIZE = 16;

/** CMSG_ALIGN: size_t alignment (8 on LP64). */
export function cmsgAlign(n: number): number {
  return (n + 7) & ~7;
}
/** CMSG_LEN: what goes in cmsg_len for `n` bytes of data. */
export function cmsgLen(n: number): number {
  return CMSG_HDR_SIZE + n;
}
/** CMSG_SPACE: the bytes one control message takes in the buffer, padding included. */
export function cmsgSpace(n: number): number {
  return CMSG_HDR_SIZE + cmsgAlign(n);
}

export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Lay out control messages for sendmsg (CMSG_FIRSTHDR / CMSG_NXTHDR, zero padding). */
export function buildCmsgs(list: readonly Cmsg[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, c) => n + cmsgSpace(c.data.length), 0));
  const v = new DataView(out.buffer);
  let off = 0;
  for (const c of list) {
    v.setBigUint64(off, BigInt(cmsgLen(c.data.length)), true);
    v.setInt32(off + 8, c.level, true);
    v.setInt32(off + 12, c.type, true);
    out.set(c.data, off + CMSG_HDR_SIZE);
    off += cmsgSpace(c.data.length);
  }
  return out;
}

/**
 * Walk the control messages of a received msghdr, as glibc's CMSG_FIRSTHDR /
 * CMSG_NXTHDR: stop at a header that does not fit in `length` (msg_controllen after
 * recvmsg) or claims less than a header. `data` is a view into `control`: copy what
 * outlives the next recvmsg.
 */
export function cmsgs(control: Uint8Array, length: number): Cmsg[] {
  const out: Cmsg[] = [];
  const end = Math.min(length, control.length);
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  let off = 0;
  while (off + CMSG_HDR_SIZE <= end) {
    const len = Number(v.getBigUint64(off, true));
    if (len < CMSG_HDR_SIZE || off + len > end) break;
    out.push({
      level: v.getInt32(off + 8, true),
      type: v.getInt32(off + 12, true),
      data: control.subarray(off + CMSG_HDR_SIZE, off + len),
    });
    off += cmsgAlign(len);
  }
  return out;
}

/**
 * One recvmsg's worth of buffers, allocated once per socket and reused for every
 * datagram: the data, the source sockaddr (room for sockaddr_in6), the control area,
 * and the iovec + msghdr pointing at them. The fields hold every buffer the msghdr
 * points to, so the addresses stay valid as long as this object lives.
 */
export class MsgBuffers {
  readonly data: Uint8Array;
  readonly name = new Uint8Array(SOCKADDR_IN6_SIZE);
  /** IP_PKTINFO (12) / IPV6_PKTINFO (20) + IPV6_HOPLIMIT (4): three CMSG_SPACEs fit many times over */
  readonly control = new Uint8Array(256);
  private readonly pinned: Pinned;
  private readonly mv: DataView;

  constructor(size = 65536) {
    this.data = new Uint8Array(size);
    this.pinned = msghdr({ name: this.name, iov: [this.data], control: this.control });
    this.mv = new DataView(this.pinned.bytes.buffer);
  }

  /** The msghdr to pass to recvmsg. */
  get msg(): Uint8Array {
    return this.pinned.bytes;
  }

  /** recvmsg rewrites msg_namelen, msg_controllen and msg_flags: restore them before every call. */
  reset(): void {
    this.mv.setUint32(MSGHDR.namelen, this.name.length, true);
    this.mv.setBigUint64(MSGHDR.controllen, BigInt(this.control.length), true);
    this.mv.setInt32(MSGHDR.flags, 0, true);
  }

  get flags(): number {
    return this.mv.getInt32(MSGHDR.flags, true);
  }

  get nameLength(): number {
    return this.mv.getUint32(MSGHDR.namelen, true);
  }

  get controlLength(): number {
    return Number(this.mv.getBigUint64(MSGHDR.controllen, true));
  }
}
