/**
 * A `send-advert` action as bytes on the wire, one packet per destination (the
 * multicast group, or each unicast peer). IPv4 packets include the IP header the
 * runtime sends with IP_HDRINCL (TTL 255, TOS 0xc0 as keepalived's vrrp_build_ip4, and
 * the AH header for auth_type AH); IPv6 packets are the VRRP message, the kernel adds
 * the header (hop limit 255 set on the socket).
 */
import { parseIpv4, parseIpv6 } from "../base/ip";
import { encodeIpv4Packet, VRRP_TTL } from "./ah";
import { finish, IPPROTO_VRRP, pseudoHeaderSum, sum16 } from "./checksum";
import { encodeAdvert } from "./packet";
import type { AdvertOut } from "./types";

export interface WirePacket {
  dst: string;
  data: Uint8Array;
}

/** `src` is the address the packet leaves from. */
/**
 * An instance's VRRP message only changes with the priority (and the addresses for the
 * v3 checksum), so it is encoded once per variant and reused. Every advert of an
 * instance carries the same `addresses` array (its version, VRID, interval and auth
 * are fixed for its lifetime), which keys this cache.
 */
interface Variant {
  priority: number;
  src: string;
  dst: string;
  /** the pseudo-header's destination when it is not `dst` (AdvertOut.checksumDst) */
  checksumDst?: string;
  payload: Uint8Array;
  src4?: Uint8Array;
  dst4?: Uint8Array;
  /**
   * The packet as sent, kept for advertPacketsShared: IPv6, the payload itself; IPv4
   * without AH, the whole IP packet, whose id, TTL and header checksum are written per
   * send (the only IP fields that change between two adverts of one variant).
   */
  wire?: WirePacket;
}
const variants = new WeakMap<string[], Variant[]>();

function variantFor(advert: AdvertOut, src: string, dst: string): Variant {
  let list = variants.get(advert.addresses);
  if (!list) {
    list = [];
    variants.set(advert.addresses, list);
  }
  for (const v of list)
    if (v.priority === advert.priority && v.src === src && v.dst === dst && v.checksumDst === advert.checksumDst)
      return v;
  const payload = encodeAdvert(
    {
      version: advert.version,
      type: 1,
      vrid: advert.vrid,
      priority: advert.priority,
      family: advert.family,
      advertIntCs: advert.advertIntCs,
      authType: advert.auth ? (advert.auth.type === "PASS" ? 1 : 2) : 0,
      addresses: advert.addresses,
    },
    {
      src,
      dst: advert.checksumDst ?? dst,
      authPass: advert.auth?.type === "PASS" ? advert.auth.pass : undefined,
      v3ChecksumAsV2: advert.checksumAsV2,
    },
  );
  const v: Variant = { priority: advert.priority, src, dst, checksumDst: advert.checksumDst, payload };
  if (advert.family === 4) {
    v.src4 = parseIpv4(src);
    v.dst4 = parseIpv4(dst);
  }
  if (list.length >= 16) list.shift(); // bounded: trackers move priorities around
  list.push(v);
  return v;
}

/** What advertPacketsShared returns: one array, rewritten by each call. */
const shared: WirePacket[] = [];

/**
 * The same packets as `advertPackets`, byte for byte, without allocating per advert (the
 * daemon's send path, issue 20): each variant keeps its packet, and an IPv4 one has
 * only the fields that change patched in place, as keepalived's vrrp_update_pkt does to
 * its one buffer per instance: the IP id (vrrp->ip_id, RFC 791) and the header checksum
 * (TTL too, it is in the header). The VRRP message itself, with its checksum (RFC 3768
 * 5.3.8 / RFC 5798 5.2.8), changes only with the priority, which is a variant of its own.
 * Valid until the next call (the array) and the next advert of the instance (the bytes):
 * send them at once, and copy what is kept. AH adverts (an ICV per sequence number) are
 * built fresh, as `advertPackets` does.
 */
export function advertPacketsShared(advert: AdvertOut, src: string, wallMs = 0): readonly WirePacket[] {
  const id = advert.ipId;
  const ttl = advert.ttl ?? VRRP_TTL;
  // anything encodeIpv4Packet would refuse: let it refuse, with its own error
  // auth_hmac: a trailer per advert (its sequence is the time), built fresh as well
  if (
    advert.auth?.type === "AH" ||
    advert.hmac !== undefined ||
    (advert.family === 4 && !(validByte(ttl) && Number.isInteger(id) && id >= 0 && id <= 0xffff))
  )
    return advertPackets(advert, src, wallMs);
  const dsts = advert.destinations;
  shared.length = dsts.length;
  for (let i = 0; i < dsts.length; i++) {
    const dst = dsts[i]!;
    const v = variantFor(advert, src, dst);
    if (v.wire === undefined)
      v.wire = {
        dst,
        data:
          advert.family === 6
            ? v.payload
            : encodeIpv4Packet({ src: v.src4 ?? src, dst: v.dst4 ?? dst, id, ttl, payload: v.payload }),
      };
    if (advert.family === 4) {
      const d = v.wire.data;
      d[4] = id >> 8;
      d[5] = id & 0xff;
      d[8] = ttl;
      d[10] = 0;
      d[11] = 0;
      const c = finish(sum16(d, 0, 20));
      d[10] = c >> 8;
      d[11] = c & 0xff;
    }
    shared[i] = v.wire;
  }
  return shared;
}

/**
 * `advert`'s packets encoded now, for a later advertPacketsShared of the same variant to
 * find (a BACKUP's takeover advert, made ready while nothing waits on it: issue 20). Only a
 * kept variant gains from it: AH and auth_hmac adverts are built at each send, and signing
 * one ahead would spend an auth_hmac sequence number, so those are left alone.
 */
export function encodeAhead(advert: AdvertOut, src: string): void {
  if (advert.auth?.type === "AH" || advert.hmac !== undefined) return;
  advertPacketsShared(advert, src);
}

function validByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xff;
}

/**
 * `wallMs` (ms since the epoch) dates auth_hmac's sequence: with `advert.hmac` the
 * message is signed once (keepalived vrrp_auth_hmac_sign: the checksum is not covered,
 * so every destination's copy carries the same trailer) and the trailer appended.
 */
export function advertPackets(advert: AdvertOut, src: string, wallMs = 0): WirePacket[] {
  const out: WirePacket[] = [];
  let trailer: Uint8Array | undefined;
  for (const dst of advert.destinations) {
    const v = variantFor(advert, src, dst);
    let payload = v.payload;
    if (advert.hmac) {
      const srcBytes = (advert.family === 4 ? v.src4 : parseIpv6(src)) as Uint8Array;
      trailer ??= advert.hmac.sign(payload, advert.family, advert.version, advert.vrid, srcBytes, wallMs);
      payload = withTrailer(
        payload,
        trailer,
        advert.family,
        srcBytes,
        advert.family === 6 ? parseIpv6(dst) : undefined,
      );
    }
    if (advert.family === 6) {
      out.push({ dst, data: payload });
      continue;
    }
    const ah =
      advert.auth?.type === "AH" ? { key: advert.auth.pass, seq: advert.seq, unicast: advert.unicast } : undefined;
    out.push({
      dst,
      data: encodeIpv4Packet({
        src: v.src4 ?? src,
        dst: v.dst4 ?? dst,
        id: advert.ipId,
        ttl: advert.ttl,
        payload,
        ah,
      }),
    });
  }
  return out;
}

/**
 * The message and its trailer. Over IPv4 the VRRP checksum stays the message's
 * (vrrp_update_pkt); over IPv6 it covers the trailer too, as the kernel's IPV6_CHECKSUM
 * rewrites it on the way out: computed here so the bytes are the wire's.
 */
function withTrailer(
  pdu: Uint8Array,
  trailer: Uint8Array,
  family: 4 | 6,
  src: Uint8Array,
  dst: Uint8Array | undefined,
): Uint8Array {
  const out = new Uint8Array(pdu.length + trailer.length);
  out.set(pdu, 0);
  out.set(trailer, pdu.length);
  if (family === 6 && dst) {
    out[6] = 0;
    out[7] = 0;
    const c = finish(sum16(out, 0, out.length, pseudoHeaderSum(src, dst, out.length, IPPROTO_VRRP)));
    out[6] = c >> 8;
    out[7] = c & 0xff;
  }
  return out;
}
