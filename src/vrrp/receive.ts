/**
 * From what a raw socket hands over to what an instance checks: IPv4 packets carry
 * their IP header (and keepalived's AH header for auth_type AH); IPv6 sockets give the
 * VRRP message with source, destination and hop limit from cmsgs. Structural errors
 * come back as codes (never thrown) so the router can count them (DESIGN.md rule 3).
 */
import { parseIpv6 } from "../base/ip";
import { ipv6Text } from "./address-text";
import { verifyIpv4Ah } from "./ah";
import { HMAC_TRAILER_LEN } from "./auth-hmac";
import { sum16 } from "./checksum";
import { IPPROTO_AH } from "../base/vrrp";
import {
  type DecodeAdvertOptions,
  type DecodedAdvert,
  decodeAdvert,
  decodeAdvertInto,
  decodeIpv4Into,
  decodeIpv4Packet,
  Ipv4View,
} from "./packet";
import type { RxPacket } from "./router";
import type { ReceivedAdvert } from "./types";

export interface DecodeFailure {
  code: string;
  message: string;
  /** the VRID byte when the VRRP header could be reached, to charge the right instance */
  vrid?: number;
}

export type Received = { ok: true; value: ReceivedAdvert } | { ok: false; error: DecodeFailure };

const ipv4Options: DecodeAdvertOptions & {
  addressSum: number;
  offset: number;
  length: number;
  v3ChecksumAsV2: boolean;
} = {
  family: 4,
  addressSum: 0,
  offset: 0,
  length: 0,
  v3ChecksumAsV2: false,
};

/**
 * `checksumDst4`: for a VRRPv3/IPv4 advert, the destination its checksum's pseudo-header
 * holds instead of the packet's own (keepalived's old unicast checksum: the multicast group).
 * `v3ChecksumAsV2`: the instance's `v3_checksum_as_v2`, whose VRRPv3/IPv4 checksums are
 * not checked (params.ts).
 */
export function decodeReceived(
  rx: RxPacket,
  checksumDst4?: Uint8Array,
  hmac = false,
  v3ChecksumAsV2 = false,
): Received {
  if (rx.family === 4) {
    const ip = decodeIpv4Packet(rx.data);
    if (!ip.ok) return { ok: false, error: ip.error };
    const pkt = ip.value;
    const at = pkt.payloadOffset;
    const total = pkt.totalLength - at;
    const length = hmac ? withoutTrailer(pkt.packet, at, total, 4) : total;
    const adv = decodeAdvert(pkt.packet, {
      family: 4,
      addressSum: checksumDst4 === undefined ? pkt.addressSum : sum16(pkt.srcBytes, 0, 4, sum16(checksumDst4, 0, 4)),
      offset: at,
      length,
      v3ChecksumAsV2,
    });
    if (!adv.ok) return { ok: false, error: { ...adv.error, vrid: pkt.packet[at + 1] } };
    const value = received(adv.value, pkt.src, pkt.dst, pkt.ttl);
    if (length !== total)
      value.hmac = {
        pdu: pkt.packet.subarray(at, at + length),
        trailer: pkt.packet.subarray(at + length, at + total),
        src: pkt.srcBytes,
        wallMs: rx.wallMs,
      };
    if (pkt.ah) {
      const first = pkt.packet[16] ?? 0;
      const unicast = first < 224 || first > 239;
      // memoized: the instance's check and the observer's classification (observe.ts) both ask
      let asked: [string, boolean] | undefined;
      const verify = (pass: string) => {
        if (asked?.[0] !== pass) asked = [pass, verifyIpv4Ah(pkt, pass, { unicast }).ok];
        return asked[1];
      };
      value.ah = { seq: pkt.ah.seq, verify };
    }
    return { ok: true, value };
  }
  if (rx.src === undefined || rx.dst === undefined)
    return {
      ok: false,
      error: {
        code: "no-address",
        message: "IPv6 packet without source or destination (cmsg missing)",
        vrid: rx.data[1],
      },
    };
  // each address is parsed or formatted once: bytes for the checksum pseudo-header, text
  // (inet_ntop form) for the engine's comparisons
  const src = typeof rx.src === "string" ? parseIpv6(rx.src) : rx.src;
  const dst = typeof rx.dst === "string" ? parseIpv6(rx.dst) : rx.dst;
  if (src?.length !== 16 || dst?.length !== 16)
    return {
      ok: false,
      error: {
        code: "no-address",
        message: "IPv6 packet with a source or destination that is not an IPv6 address",
        vrid: rx.data[1],
      },
    };
  const total = rx.data.length;
  const length = hmac ? withoutTrailer(rx.data, 0, total, 6) : total;
  const adv = decodeAdvert(rx.data, { family: 6, src, dst, length, checksumLength: total });
  if (!adv.ok) return { ok: false, error: { ...adv.error, vrid: rx.data[1] } };
  const value = received(adv.value, ipv6Text(src, 0), ipv6Text(dst, 0), rx.hopLimit ?? -1);
  if (length !== total)
    value.hmac = { pdu: rx.data.subarray(0, length), trailer: rx.data.subarray(length), src, wallMs: rx.wallMs };
  return { ok: true, value };
}

/**
 * The VRRP message's length when auth_hmac's trailer follows it: the packet is exactly
 * the trailer longer than its header says (keepalived vrrp_check_packet: "padding cannot
 * reach this size"); else `total`, and a longer packet fails as too long.
 */
function withoutTrailer(bytes: Uint8Array, at: number, total: number, family: 4 | 6): number {
  if (total < 8 + HMAC_TRAILER_LEN) return total;
  const version = (bytes[at] ?? 0) >> 4;
  const count = bytes[at + 3] ?? 0;
  const expected = 8 + count * (family === 4 ? 4 : 16) + (version === 2 && family === 4 ? 8 : 0);
  return total === expected + HMAC_TRAILER_LEN ? expected : total;
}

function received(a: DecodedAdvert, from: string, to: string, ttl: number): ReceivedAdvert {
  const value: ReceivedAdvert = {
    version: a.version,
    vrid: a.vrid,
    priority: a.priority,
    advertIntCs: a.advertIntCs,
    authType: a.authType,
    addresses: a.addresses,
    from,
    to,
    ttl,
  };
  if (a.authData) value.authData = a.authData;
  return value;
}

/** The record decodeReceivedInto fills: both the decoded advert and what the engine reads. */
export type ReceivedRecord = DecodedAdvert & ReceivedAdvert;

/** A record for decodeReceivedInto, with every field present (one shape for the JIT). */
export function receivedRecord(): ReceivedRecord {
  return {
    version: 3,
    type: 1,
    vrid: 0,
    priority: 0,
    family: 4,
    advertIntCs: 0,
    authType: 0,
    authData: undefined,
    addresses: [],
    checksum: 0,
    from: "",
    to: "",
    ttl: -1,
    ah: undefined,
    hmac: undefined,
    hmacFailure: undefined,
  };
}

export function isDecodeFailure(r: ReceivedAdvert | DecodeFailure): r is DecodeFailure {
  return "code" in r;
}

const view = new Ipv4View();
const ipv6Options: DecodeAdvertOptions & { src: Uint8Array; dst: Uint8Array; length: number; checksumLength: number } =
  {
    family: 6,
    src: new Uint8Array(16),
    dst: new Uint8Array(16),
    length: 0,
    checksumLength: 0,
  };

/**
 * `decodeReceived` for the router's hot path (issue 20): the same checks, failures and
 * values, but the advert is written into `out` (kept by the router, refilled per packet)
 * and no result, view or options object is made for it. Returns `out` or the failure;
 * `out` is good until the next call. An AH packet (its `ah.verify` keeps the packet) and
 * any packet whose addresses arrive as text take decodeReceived's path and return its
 * fresh advert instead. The arguments after `out` are decodeReceived's: the old
 * checksum's pseudo-header destination, auth_hmac's trailer (split off into `out.hmac`:
 * views of `rx.data`, good as long as it is) and v3_checksum_as_v2.
 */
export function decodeReceivedInto(
  rx: RxPacket,
  out: ReceivedRecord,
  checksumDst4?: Uint8Array,
  hmac = false,
  v3ChecksumAsV2 = false,
): ReceivedAdvert | DecodeFailure {
  if (rx.family === 4) {
    if (rx.data.length >= 20 && rx.data[9] === IPPROTO_AH) return fresh(rx, checksumDst4, hmac, v3ChecksumAsV2);
    const ip = decodeIpv4Into(rx.data, view);
    if ("error" in ip) return { ...ip.error };
    const at = ip.payloadOffset;
    const total = ip.totalLength - at;
    const length = hmac ? withoutTrailer(ip.packet, at, total, 4) : total;
    const o = ipv4Options;
    o.addressSum = checksumDst4 === undefined ? ip.addressSum : sum16(ip.srcBytes, 0, 4, sum16(checksumDst4, 0, 4));
    o.offset = at;
    o.length = length;
    o.v3ChecksumAsV2 = v3ChecksumAsV2;
    const adv = decodeAdvertInto(ip.packet, o, out);
    if ("error" in adv) return { ...adv.error, vrid: ip.packet[at + 1] };
    out.from = ip.src;
    out.to = ip.dst;
    out.ttl = ip.ttl;
    out.ah = undefined;
    out.hmacFailure = undefined;
    out.hmac =
      length === total
        ? undefined
        : {
            pdu: ip.packet.subarray(at, at + length),
            trailer: ip.packet.subarray(at + length, at + total),
            src: ip.srcBytes,
            wallMs: rx.wallMs,
          };
    return out;
  }
  const src = rx.src;
  const dst = rx.dst;
  if (src === undefined || dst === undefined)
    return {
      code: "no-address",
      message: "IPv6 packet without source or destination (cmsg missing)",
      vrid: rx.data[1],
    };
  if (typeof src === "string" || typeof dst === "string") return fresh(rx, checksumDst4, hmac, v3ChecksumAsV2);
  if (src.length !== 16 || dst.length !== 16)
    return {
      code: "no-address",
      message: "IPv6 packet with a source or destination that is not an IPv6 address",
      vrid: rx.data[1],
    };
  const total = rx.data.length;
  const length = hmac ? withoutTrailer(rx.data, 0, total, 6) : total;
  const o = ipv6Options;
  o.src = src;
  o.dst = dst;
  o.length = length;
  // the kernel's IPV6_CHECKSUM covers the whole payload, a trailer too
  o.checksumLength = total;
  const adv = decodeAdvertInto(rx.data, o, out);
  if ("error" in adv) return { ...adv.error, vrid: rx.data[1] };
  out.from = ipv6Text(src, 0);
  out.to = ipv6Text(dst, 0);
  out.ttl = rx.hopLimit ?? -1;
  out.ah = undefined;
  out.hmacFailure = undefined;
  out.hmac =
    length === total
      ? undefined
      : { pdu: rx.data.subarray(0, length), trailer: rx.data.subarray(length), src, wallMs: rx.wallMs };
  return out;
}

function fresh(
  rx: RxPacket,
  checksumDst4: Uint8Array | undefined,
  hmac: boolean,
  v3ChecksumAsV2: boolean,
): ReceivedAdvert | DecodeFailure {
  const r = decodeReceived(rx, checksumDst4, hmac, v3ChecksumAsV2);
  return r.ok ? r.value : r.error;
}
