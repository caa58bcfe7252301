/**
 * The Internet checksum (RFC 1071) and the pseudo-headers VRRP puts in front of it.
 *
 * - VRRPv2 (RFC 3768 5.3.8): the 16-bit one's complement of the one's complement sum of
 *   the VRRP message only (header, addresses, authentication data). keepalived: in_csum()
 *   over vrrp_pkt_len() in vrrp_build_vrrp_v2().
 * - VRRPv3 (RFC 5798 5.2.8): the same sum over a pseudo-header followed by the VRRP
 *   message. IPv4 pseudo-header (RFC 768 style, 12 bytes): source, destination, zero,
 *   protocol 112, VRRP length. IPv6 pseudo-header (RFC 8200 8.1, 40 bytes): source,
 *   destination, upper-layer length as u32, three zero bytes, next header 112.
 *   keepalived builds the IPv4 one itself (ipv4_phdr_t) and leaves IPv6 to the kernel
 *   (IPV6_CHECKSUM at offset 6), which also covers its VRRPv2-over-IPv6 adverts.
 *
 * Pure functions over Uint8Array; nothing here allocates except the pseudo-header builders.
 */

import { IPPROTO_VRRP } from "../base/vrrp";

export { IPPROTO_VRRP };

/**
 * Internet checksum of the concatenation of `segments` (RFC 1071 4.1): the one's
 * complement of the one's complement sum of 16-bit big-endian words, the last odd byte
 * padded with zero. Segments may have odd lengths; bytes pair up across them.
 * A buffer that contains its own correct checksum yields 0.
 */
export function internetChecksum(...segments: Uint8Array[]): number {
  let sum = 0;
  let odd = false; // a high byte is waiting for its low byte
  for (const seg of segments) {
    const n = seg.length;
    let i = 0;
    if (odd && n > 0) {
      sum += seg[0]!;
      i = 1;
      odd = false;
    }
    for (; i + 1 < n; i += 2) sum += (seg[i]! << 8) | seg[i + 1]!;
    if (i < n) {
      sum += seg[i]! << 8;
      odd = true;
    }
  }
  return finish(sum);
}

/**
 * One's complement sum (unfolded) of the 16-bit words of `data[start, end)` added to
 * `acc`; `end - start` should be even except for the last piece. For hot paths that want
 * to avoid building a pseudo-header; finish with {@link finish}.
 */
export function sum16(data: Uint8Array, start = 0, end = data.length, acc = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (data[i]! << 8) | data[i + 1]!;
  if (i < end) acc += data[i]! << 8;
  return acc;
}

/** Fold an accumulated sum to 16 bits and complement it. */
export function finish(sum: number): number {
  // the accumulator stays far below 2^53; fold without 32-bit truncation first
  sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** IPv4 pseudo-header: src(4) dst(4) zero(1) protocol(1) length(2). */
export function ipv4PseudoHeader(
  src: Uint8Array,
  dst: Uint8Array,
  length: number,
  protocol = IPPROTO_VRRP,
): Uint8Array {
  const h = new Uint8Array(12);
  h.set(src.subarray(0, 4), 0);
  h.set(dst.subarray(0, 4), 4);
  h[9] = protocol;
  h[10] = (length >> 8) & 0xff;
  h[11] = length & 0xff;
  return h;
}

/** IPv6 pseudo-header: src(16) dst(16) upper-layer length(4) zero(3) next header(1). */
export function ipv6PseudoHeader(
  src: Uint8Array,
  dst: Uint8Array,
  length: number,
  nextHeader = IPPROTO_VRRP,
): Uint8Array {
  const h = new Uint8Array(40);
  h.set(src.subarray(0, 16), 0);
  h.set(dst.subarray(0, 16), 16);
  new DataView(h.buffer).setUint32(32, length >>> 0);
  h[39] = nextHeader;
  return h;
}

/** Unfolded sum of a pseudo-header for `src`/`dst` (4 or 16 bytes each), without building it. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, length: number, protocol = IPPROTO_VRRP): number {
  // length fits 16 bits for IPv4; for IPv6 it is a u32 whose high word is 0 here
  let acc = sum16(src, 0, src.length);
  acc = sum16(dst, 0, dst.length, acc);
  return acc + protocol + (length & 0xffff) + Math.floor(length / 0x10000);
}
