/**
 * Kernel structs as bytes (x86-64 / aarch64 Linux, LP64): sockaddr_in/in6/ll, ip_mreqn,
 * ipv6_mreq, iovec, msghdr and the cmsg walk. Pointers inside a struct are raw
 * addresses from bun:ffi `ptr()`: whoever builds one keeps the pointed-to buffers alive
 * for as long as the struct is used (see MsgBuffers).
 */
import { ptr } from "bun:ffi";

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;

/** struct sockaddr_in (netinet/in.h): 16 bytes. */
export function sockaddrIn(addr: Uint8Array, port = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(addr.subarray(0, 4), 4);
  return b;
}

/** struct sockaddr_in6: 28 bytes; scope_id = ifindex for link-local destinations. */
export function sockaddrIn6(addr: Uint8Array, scopeId = 0, port = 0): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  b.set(addr.subarray(0, 16), 8);
  v.setUint32(24, scopeId, true);
  return b;
}

/** struct sockaddr_ll (linux/if_packet.h): 20 bytes. `protocol` in host order. */
export function sockaddrLl(o: { ifindex: number; protocol: number; hatype?: number; addr?: Uint8Array }): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, o.protocol, false);
  v.setInt32(4, o.ifindex, true);
  v.setUint16(8, o.hatype ?? 1, true);
  b[10] = 0; // sll_pkttype
  const a = o.addr ?? new Uint8Array(0);
  b[11] = a.length;
  b.set(a.subarray(0, 8), 12);
  return b;
}

/** struct ip_mreqn: group, local address (any), ifindex: 12 bytes. */
export function ipMreqn(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(12);
  b.set(group.subarray(0, 4), 0);
  new DataView(b.buffer).setInt32(8, ifindex, true);
  return b;
}

/** struct ipv6_mreq: group, ifindex: 20 bytes. */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(20);
  b.set(group.subarray(0, 16), 0);
  new DataView(b.buffer).setUint32(16, ifindex, true);
  return b;
}

export function int32(n: number): Int32Array {
  return new Int32Array([n]);
}

export const MSGHDR_SIZE = 56;
const CMSG_HDR = 16;

export function cmsgAlign(n: number): number {
  return (n + 7) & ~7;
}

/**
 * One recvmsg's worth of buffers, allocated once per socket: the datagram, the source
 * sockaddr, the control area, and the iovec + msghdr pointing at them.
 */
export class MsgBuffers {
  readonly data: Uint8Array;
  readonly name = new Uint8Array(28);
  readonly control = new Uint8Array(256);
  readonly iov = new Uint8Array(16);
  readonly msg = new Uint8Array(MSGHDR_SIZE);
  private readonly mv = new DataView(this.msg.buffer);

  constructor(size = 65536) {
    this.data = new Uint8Array(size);
    const iv = new DataView(this.iov.buffer);
    iv.setBigUint64(0, BigInt(ptr(this.data)), true);
    iv.setBigUint64(8, BigInt(this.data.length), true);
    this.mv.setBigUint64(0, BigInt(ptr(this.name)), true);
    this.mv.setBigUint64(16, BigInt(ptr(this.iov)), true);
    this.mv.setBigUint64(24, 1n, true);
    this.mv.setBigUint64(32, BigInt(ptr(this.control)), true);
    this.reset();
  }

  /** recvmsg rewrites msg_namelen and msg_controllen: restore them before every call. */
  reset(): void {
    this.mv.setUint32(8, this.name.length, true);
    this.mv.setBigUint64(40, BigInt(this.control.length), true);
    this.mv.setInt32(48, 0, true);
  }

  get flags(): number {
    return this.mv.getInt32(48, true);
  }

  get controlLength(): number {
    return Number(this.mv.getBigUint64(40, true));
  }
}

export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Walk the control messages of a received msghdr (CMSG_FIRSTHDR / CMSG_NXTHDR). */
export function cmsgs(control: Uint8Array, length: number): Cmsg[] {
  const out: Cmsg[] = [];
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  let off = 0;
  while (off + CMSG_HDR <= length) {
    const len = Number(v.getBigUint64(off, true));
    if (len < CMSG_HDR || off + len > length) break;
    out.push({ level: v.getInt32(off + 8, true), type: v.getInt32(off + 12, true), data: control.subarray(off + CMSG_HDR, off + len) });
    off += cmsgAlign(len);
  }
  return out;
}
