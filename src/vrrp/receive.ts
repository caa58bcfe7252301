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
import { type DecodedAdvert, decodeAdvert, decodeIpv4Packet } from "./packet";
import type { RxPacket } from "./router";
import type { ReceivedAdvert } from "./types";

export interface DecodeFailure {
  code: string;
  message: string;
  /** the VRID byte when the VRRP header could be reached, to charge the right instance */
  vrid?: number;
}

export type Received = { ok: true; value: ReceivedAdvert } | { ok: false; error: DecodeFailure };

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
