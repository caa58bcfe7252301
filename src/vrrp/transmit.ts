/**
 * A `send-advert` action as bytes on the wire, one packet per destination (the
 * multicast group, or each unicast peer). IPv4 packets include the IP header the
 * runtime sends with IP_HDRINCL (TTL 255, TOS 0xc0 as keepalived's vrrp_build_ip4, and
 * the AH header for auth_type AH); IPv6 packets are the VRRP message, the kernel adds
 * the header (hop limit 255 set on the socket).
 */
import { parseIpv4, parseIpv6 } from "../base/ip";
import { finish, IPPROTO_VRRP, pseudoHeaderSum, sum16 } from "./checksum";
import { encodeIpv4Packet } from "./ah";
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
