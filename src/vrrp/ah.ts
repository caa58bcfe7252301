/**
 * VRRPv2 `auth_type AH` exactly as keepalived 2.2.7 does it (vrrp.c vrrp_build_ip4,
 * vrrp_build_ipsecah, vrrp_update_pkt, vrrp_in_chk_ipsecah; vrrp_ipsecah.c hmac_md5),
 * checked against captured packets (test/fixtures/vrrp/vectors.json). This is not a real
 * IPsec SA; it is RFC 2338's "IP Authentication Header" auth type, hand-rolled:
 *
 *   IPv4 header  protocol 51, TOS 0xc0, frag_off 0, TTL 255, id = per-instance counter
 *   AH (24 B)    next header 112 | payload len 4 | reserved 0 | SPI | sequence | ICV (12 B)
 *   VRRPv2       auth type 2, the 8 auth data bytes ZERO, checksum over the VRRP message
 *                only (computed before the ICV, which therefore covers it)
 *
 * - SPI = the IPv4 source address (network order), and receivers require spi == saddr.
 * - Sequence number: starts at 0 per instance and is incremented before each send, so
 *   the first advert carries 1; the priority-0 advert on shutdown increments it too.
 *   Receivers (stateful, the engine's job) accept only seq > the highest seen; a master
 *   that hears a lower-priority AH advert continues from that advert's seq + 1.
 * - ICV = the first 96 bits of HMAC-MD5 (RFC 2104; key = auth_pass's first 8 bytes,
 *   zero padded, which HMAC treats the same as the unpadded key) over:
 *     the IPv4 header with TOS, flags/fragment offset and header checksum zeroed
 *     (TTL zeroed ONLY for unicast instances: keepalived keeps TTL 255 in the multicast
 *     ICV, unlike RFC 2402 3.3.3.1.1.1 which lists TTL as mutable; the IP id, lengths,
 *     addresses and protocol are kept), then the AH header with the ICV zeroed, then the
 *     VRRP message.
 *
 * Sans-I/O: node:crypto's HMAC is computation, not I/O.
 */
import { ipv4ToNumber, parseIpv4 } from "../base/ip";
import { finish, sum16 } from "./checksum";
import {
  AH_LEN,
  type AddrInput,
  authPassBytes,
  constantTimeEqual,
  IPPROTO_AH,
  IPPROTO_VRRP,
  type Ipv4Packet,
  type Result,
} from "./packet";

/** keepalived's TOS for VRRP (IPTOS_PREC_INTERNETCONTROL, vrrp_build_ip4) */
export const VRRP_TOS = 0xc0;
/** RFC 3768 5.2.3 / RFC 5798 5.1.1.3 */
export const VRRP_TTL = 255;
const ICV_LEN = 12;

/**
 * node:crypto (HMAC-MD5) with the first AH packet, not when the engine loads: it brings
 * node:stream into every start, ~15 ms of CPU before the first advert (issue 20).
 */
let nodeCrypto: typeof import("node:crypto") | undefined;
function crypto(): typeof import("node:crypto") {
  if (!nodeCrypto) nodeCrypto = require("node:crypto") as typeof import("node:crypto");
  return nodeCrypto;
}

export interface AhOptions {
  /** a unicast instance: keepalived zeroes the TTL in the ICV input only then */
  unicast?: boolean;
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === "string" ? authPassBytes(key) : key;
}

/**
 * The 12-byte ICV for an IPv4 header, an AH header (its ICV bytes are ignored) and the
 * VRRP message. `key` is the auth_pass (first 8 bytes used) or raw key bytes.
 */
export function computeIcv(
  ipHeader: Uint8Array,
  ahHeader: Uint8Array,
  payload: Uint8Array,
  key: string | Uint8Array,
  opts: AhOptions = {},
): Uint8Array {
  const ip = Uint8Array.from(ipHeader);
  ip[1] = 0; // TOS
  ip[6] = 0; // flags + fragment offset
  ip[7] = 0;
  ip[10] = 0; // header checksum
  ip[11] = 0;
  if (opts.unicast) ip[8] = 0; // TTL
  const ah = Uint8Array.from(ahHeader.subarray(0, AH_LEN));
  ah.fill(0, 12, AH_LEN);
  const mac = crypto().createHmac("md5", keyBytes(key)).update(ip).update(ah).update(payload).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, ICV_LEN).slice();
}

export type AhErrorCode = "no-ah" | "auth-mismatch" | "bad-spi";

/**
 * keepalived's vrrp_in_chk_ipsecah minus the stateful sequence check: the ICV must match
 * (constant-time compare), then the SPI must equal the IP source address. Returns the SPI
 * and sequence number for the engine's replay check (accept only seq > highest seen).
 */
export function verifyIpv4Ah(
  pkt: Ipv4Packet,
  key: string | Uint8Array,
  opts: AhOptions = {},
): Result<{ spi: number; seq: number }, AhErrorCode> {
  const ah = pkt.ah;
  if (!ah) return { ok: false, error: { code: "no-ah", message: "no AH header (IP protocol is not 51)" } };
  const h = pkt.headerLength;
  const icv = computeIcv(pkt.packet.subarray(0, h), pkt.packet.subarray(h, h + AH_LEN), pkt.payload, key, opts);
  if (ah.icv.length !== ICV_LEN || !constantTimeEqual(icv, ah.icv)) {
    return {
      ok: false,
      error: { code: "auth-mismatch", message: "IPSEC-AH HMAC-MD5 ICV mismatch (bad password or altered packet)" },
    };
  }
  const src = pkt.packet;
  const saddr = ipv4ToNumber(src, 12);
  if (ah.spi !== saddr) {
    return {
      ok: false,
      error: { code: "bad-spi", message: `AH SPI 0x${ah.spi.toString(16)} is not the source address` },
    };
  }
  return { ok: true, value: { spi: ah.spi, seq: ah.seq } };
}

export interface Ipv4PacketInput {
  src: AddrInput;
  dst: AddrInput;
  /** default 255 */
  ttl?: number;
  /** IP identification; keepalived counts 1, 2, ... per instance (0 would let the kernel pick) */
  id: number;
  /** default 0xc0 as keepalived */
  tos?: number;
  /** the VRRP message (encodeAdvert) */
  payload: Uint8Array;
  /** add keepalived's AH header (IP protocol 51) */
  ah?: {
    /** auth_pass (first 8 bytes used) or raw key bytes */
    key: string | Uint8Array;
    seq: number;
    /** default: the source address, as keepalived */
    spi?: number;
    unicast?: boolean;
  };
}

function v4(a: AddrInput, what: string): Uint8Array {
  const b = typeof a === "string" ? parseIpv4(a) : a.length === 4 ? a : undefined;
  if (!b) throw new RangeError(`${what} '${String(a)}' is not an IPv4 address`);
  return b;
}

/**
 * Build the whole IPv4 packet keepalived sends on its IP_HDRINCL socket: a 20-byte
 * header (no options, frag_off 0, header checksum filled in as the kernel does), keepalived's
 * AH header when `ah` is given, then the payload. Throws RangeError on bad input.
 */
export function encodeIpv4Packet(p: Ipv4PacketInput): Uint8Array {
  const src = v4(p.src, "src");
  const dst = v4(p.dst, "dst");
  const ttl = p.ttl ?? VRRP_TTL;
  const tos = p.tos ?? VRRP_TOS;
  const ahLen = p.ah ? AH_LEN : 0;
  const total = 20 + ahLen + p.payload.length;
  if (total > 0xffff) throw new RangeError(`packet of ${total} bytes`);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0xff) throw new RangeError(`ttl ${ttl} out of range`);
  if (!Number.isInteger(tos) || tos < 0 || tos > 0xff) throw new RangeError(`tos ${tos} out of range`);
  if (!Number.isInteger(p.id) || p.id < 0 || p.id > 0xffff) throw new RangeError(`id ${p.id} out of range`);
  // plain byte writes: this runs for every advert sent (a DataView costs more than the packet)
  const out = new Uint8Array(total);
  out[0] = 0x45;
  out[1] = tos;
  out[2] = total >> 8;
  out[3] = total & 0xff;
  out[4] = p.id >> 8;
  out[5] = p.id & 0xff;
  // 6..7 flags/fragment offset: 0, as keepalived (no DF)
  out[8] = ttl;
  out[9] = p.ah ? IPPROTO_AH : IPPROTO_VRRP;
  out.set(src, 12);
  out.set(dst, 16);
  const csum = finish(sum16(out, 0, 20));
  out[10] = csum >> 8;
  out[11] = csum & 0xff;
  const dv = p.ah ? new DataView(out.buffer) : undefined;
  if (p.ah) {
    const seq = p.ah.seq;
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new RangeError(`AH seq ${seq} out of range`);
    out[20] = IPPROTO_VRRP;
    out[21] = AH_LEN / 4 - 2; // RFC 2402 2.2: length in 32-bit words minus 2 (keepalived IPSEC_AH_PLEN)
    dv?.setUint32(24, p.ah.spi ?? (dv?.getUint32(12) as number));
    dv?.setUint32(28, seq);
    out.set(p.payload, 20 + AH_LEN);
    const icv = computeIcv(out.subarray(0, 20), out.subarray(20, 20 + AH_LEN), p.payload, p.ah.key, {
      unicast: p.ah.unicast,
    });
    out.set(icv, 32);
  } else {
    out.set(p.payload, 20);
  }
  return out;
}
