/**
 * VRRP advertisement codec (RFC 3768 VRRPv2, RFC 5798 VRRPv3) as keepalived 2.2.7 puts
 * it on the wire, plus the IPv4 header parsing a raw IPv4 socket needs (the IP header,
 * and with auth_type AH an IPsec AH header, arrive in the payload).
 *
 * Sans-I/O (DESIGN.md rule 1). Decoders never throw on any input (rule 3): they return
 * `{ok: true, value} | {ok: false, error: {code, message}}`; the codes feed counters.
 * Encoders take trusted engine data and throw RangeError on values the wire cannot carry
 * (a bug or an unvalidated config, not a peer's fault).
 * Decoded byte fields (payload, authData, icv) are views into the input, not copies.
 *
 * Wire layout (RFC 3768 5.1 / RFC 5798 5.1), 8 fixed bytes then the addresses:
 *   0: version(4 bits) | type(4 bits)    1: VRID    2: priority    3: count of addresses
 *   4: v2 auth type      | v3 rsvd(4 bits) + max adver int (12 bits, centiseconds)
 *   5: v2 adver int (s)  |
 *   6: checksum (16 bits)
 *   8: count x IPv4 (4 bytes) or IPv6 (16 bytes) addresses
 *   v2 over IPv4 only: 8 bytes of authentication data (RFC 3768 5.3.10)
 *
 * Decisions (documented here, relied on by the engine):
 * - One interval unit: `advertIntCs`, centiseconds, for both versions. v2 carries whole
 *   seconds, so v2 adverts decode to seconds * 100 and encode requires a multiple of 100
 *   (1..255 s); v3 carries 1..4095 cs. An interval of 0 is `bad-interval` in both (RFC
 *   5798 5.2.7 gives no meaning to 0; a v2 0 could never match keepalived's configured
 *   interval, which it requires of v2 adverts).
 * - VRRPv2 over IPv6 is not RFC 3768 (IPv4 only), but keepalived 2.2.7 sends it when an
 *   IPv6 instance says `version 2` without vrrp_strict (captured in vectors.json). keel
 *   decodes and encodes keepalived's layout for interoperability: the v2 header (auth
 *   type, interval in seconds), IPv6 addresses, NO authentication data, and a checksum
 *   over the IPv6 pseudo-header (the kernel's IPV6_CHECKSUM computes it for keepalived).
 *   Whether to accept it (vrrp_strict) is the engine's decision, not the codec's.
 * - v3 reserved bits (the top 4 bits of byte 4) are ignored on receive and sent as zero
 *   (RFC 5798 5.2.5; keepalived masks with 0xFFF).
 * - Order of checks: truncated, bad-version, bad-type, bad-length,
 *   address-count-mismatch, bad-checksum, then the field values bad-vrid, bad-auth-type,
 *   bad-interval. Random damage thus shows as bad-checksum (keepalived's chk_err), while a
 *   well-formed packet with an invalid field gets that field's code.
 * - Not the codec's job (needs instance state): TTL/hop limit 255, matching VRID,
 *   auth type and password, interval mismatch, AH sequence numbers, unicast peers.
 */
import { IPPROTO_AH } from "../base/vrrp";
import { parseIpv4, parseIpv6 } from "../base/ip";
import { ipv4Text, ipv6Text } from "./address-text";
import { finish, IPPROTO_VRRP, pseudoHeaderSum, sum16 } from "./checksum";

export { IPPROTO_VRRP } from "./checksum";
export { IPPROTO_AH };
/** keepalived's VRRP_AUTH_* (RFC 3768 5.3.6; AH is RFC 2338's "IP Authentication Header") */
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
/** v2 authentication data length (RFC 3768 5.3.10; keepalived VRRP_AUTH_LEN) */
export const AUTH_DATA_LEN = 8;
/** AH header length keepalived uses: 12 fixed bytes + 96-bit ICV (sizeof(ipsec_ah_t)) */
export const AH_LEN = 24;
const VRRP_HDR_LEN = 8;
const EMPTY = new Uint8Array(0);

export type Result<T, C extends string> = { ok: true; value: T } | { ok: false; error: { code: C; message: string } };

export interface Advert {
  version: 2 | 3;
  /** the only type defined: ADVERTISEMENT (RFC 3768 5.3.2, RFC 5798 5.2.2) */
  type: 1;
  /** 1..255 */
  vrid: number;
  /** 0..255; 0 = the master is stopping, 255 = address owner */
  priority: number;
  family: 4 | 6;
  /** centiseconds for both versions; v2 = seconds * 100 (see the module comment) */
  advertIntCs: number;
  /** v2 only (0 none, 1 PASS, 2 AH); always 0 for v3, which has no such field */
  authType: number;
  /**
   * v2 over IPv4 only: the 8 authentication data bytes. PASS: the password's first 8
   * bytes, zero padded; none and AH: keepalived sends zeros. Decoding always fills it for
   * v2/IPv4; encoding uses zeros when absent (or `authPass` for PASS).
   */
  authData?: Uint8Array;
  /** the virtual addresses, canonical text (inet_ntop form), in wire order */
  addresses: string[];
}

/** A decoded advert also reports the checksum field as received. */
export interface DecodedAdvert extends Advert {
  checksum: number;
}

export type AdvertErrorCode =
  | "truncated"
  | "bad-version"
  | "bad-type"
  | "bad-length"
  | "address-count-mismatch"
  | "bad-checksum"
  | "bad-vrid"
  | "bad-auth-type"
  | "bad-interval";

/** An address as text or as its 4/16 bytes (a socket's cmsg or a decoded IP header). */
export type AddrInput = string | Uint8Array;

export interface DecodeAdvertOptions {
  /** the socket's family: IPv4 adverts carry 4-byte addresses, IPv6 ones 16-byte */
  family: 4 | 6;
  /**
   * The unfolded 16-bit sum of source + destination (Ipv4Packet.addressSum): lets the
   * receive path check v3 checksums without building address views; `src`/`dst` are
   * then not read.
   */
  addressSum?: number;
  /** where the VRRP message starts in `bytes` (default 0) and its length (default: to the end) */
  offset?: number;
  length?: number;
  /** IP source and destination, for the v3 (and v2-over-IPv6) pseudo-header checksum */
  src?: AddrInput;
  dst?: AddrInput;
  /**
   * keepalived `v3_checksum_as_v2`: v3/IPv4 checksums without the pseudo-header (for old
   * peers). Like keepalived, the checksum of received v3/IPv4 adverts is then not checked.
   * (keepalived's `old_unicast_checksum` is a different pseudo-header destination: pass
   * the multicast group as `dst`.)
   */
  v3ChecksumAsV2?: boolean;
  /**
   * the bytes from `offset` the checksum covers when more than the message: an IPv6
   * advert with auth_hmac's trailer (the kernel's IPV6_CHECKSUM covers the whole payload)
   */
  checksumLength?: number;
}

export interface EncodeAdvertOptions {
  /** IP source and destination; required for v3 and for v2 over IPv6 (pseudo-header) */
  src?: AddrInput;
  dst?: AddrInput;
  /** v2 PASS: the configured auth_pass; only its first 8 bytes are sent, zero padded */
  authPass?: string;
  /** keepalived `v3_checksum_as_v2`: no pseudo-header for v3/IPv4 */
  v3ChecksumAsV2?: boolean;
}

function fail<C extends string>(code: C, message: string): { ok: false; error: { code: C; message: string } } {
  return { ok: false, error: { code, message } };
}

/** keepalived's auth_data: the first 8 bytes of auth_pass (UTF-8), zero padded. */
export function authPassBytes(pass: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LEN);
  out.set(new TextEncoder().encode(pass).subarray(0, AUTH_DATA_LEN));
  return out;
}

/**
 * Equal bytes, in time that depends on the length only (keepalived's memcmp_constant_time).
 * Here rather than node:crypto's timingSafeEqual: node:crypto brings node:stream into
 * every start, ~15 ms of CPU before the first advert (issue 20).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Does a v2 PASS advert carry `pass`? Constant time, as keepalived's memcmp_constant_time. */
export function authPassMatches(advert: Pick<Advert, "authData">, pass: string): boolean {
  const got = advert.authData;
  if (!got || got.length !== AUTH_DATA_LEN) return false;
  return constantTimeEqual(got, authPassBytes(pass));
}

function addrBytes(a: AddrInput, family: 4 | 6): Uint8Array | undefined {
  if (typeof a !== "string") return a.length === (family === 4 ? 4 : 16) ? a : undefined;
  return family === 4 ? parseIpv4(a) : parseIpv6(a);
}

/** Checksum over the pseudo-header (when `pseudo`) and `msg`; 0 when msg holds a correct checksum. */
function advertChecksum(msg: Uint8Array, pseudo: { src: Uint8Array; dst: Uint8Array } | undefined): number {
  const acc = pseudo ? pseudoHeaderSum(pseudo.src, pseudo.dst, msg.length, IPPROTO_VRRP) : 0;
  return finish(sum16(msg, 0, msg.length, acc));
}

/**
 * Decode one VRRP message (no IP header: an IPv6 raw socket's payload, or
 * `decodeIpv4Packet(...).value.payload`). Never throws.
 */
export function decodeAdvert(bytes: Uint8Array, opts: DecodeAdvertOptions): Result<DecodedAdvert, AdvertErrorCode> {
  const r = decodeAdvertTo(bytes, opts, undefined);
  return "error" in r ? r : { ok: true, value: r };
}

type Failure<C extends string> = { ok: false; error: { code: C; message: string } };

/**
 * `decodeAdvert` for the receive path (issue 20): the same checks in the same order, but
 * a success is written into `out`, a record the caller keeps and refills per advert (its
 * `addresses` array too, when the count is the same: the address texts come from
 * address-text.ts's table), and no result object is made. Returns `out`, or the failure.
 * What reads `out` must be done with it before the next call.
 */
export function decodeAdvertInto(
  bytes: Uint8Array,
  opts: DecodeAdvertOptions,
  out: DecodedAdvert,
): DecodedAdvert | Failure<AdvertErrorCode> {
  return decodeAdvertTo(bytes, opts, out);
}

function decodeAdvertTo(
  bytes: Uint8Array,
  opts: DecodeAdvertOptions,
  out: DecodedAdvert | undefined,
): DecodedAdvert | Failure<AdvertErrorCode> {
  // the message may sit inside a larger buffer (an IPv4 packet): no view is made for it
  const o = opts.offset ?? 0;
  const len = opts.length ?? bytes.length - o;
  if (len < VRRP_HDR_LEN) return fail("truncated", `${len} bytes, a VRRP header needs ${VRRP_HDR_LEN}`);
  const b0 = bytes[o + 0]!;
  const version = b0 >> 4;
  if (version !== 2 && version !== 3) return fail("bad-version", `version ${version}, expected 2 or 3`);
  const type = b0 & 0x0f;
  if (type !== 1) return fail("bad-type", `type ${type}, only 1 (advertisement) is defined`);
  const family = opts.family;
  const addrLen = family === 4 ? 4 : 16;
  const authLen = version === 2 && family === 4 ? AUTH_DATA_LEN : 0;
  const count = bytes[o + 3]!;
  const body = len - VRRP_HDR_LEN - authLen;
  if (body < 0) return fail("truncated", `${len} bytes, a v${version} advert needs at least ${VRRP_HDR_LEN + authLen}`);
  if (body % addrLen !== 0) {
    return fail("bad-length", `${len} bytes is not a whole number of IPv${family} addresses after the header`);
  }
  if (body / addrLen !== count) {
    return fail("address-count-mismatch", `count field says ${count} address(es), the packet holds ${body / addrLen}`);
  }

  const checksum = (bytes[o + 6]! << 8) | bytes[o + 7]!;
  const usePseudo = family === 6 || (version === 3 && !opts.v3ChecksumAsV2);
  if (!(version === 3 && family === 4 && opts.v3ChecksumAsV2)) {
    let acc = 0;
    const covered = opts.checksumLength ?? len;
    if (usePseudo) {
      if (opts.addressSum !== undefined) acc = opts.addressSum + IPPROTO_VRRP + covered;
      else {
        const src = opts.src === undefined ? undefined : addrBytes(opts.src, family);
        const dst = opts.dst === undefined ? undefined : addrBytes(opts.dst, family);
        if (!src || !dst)
          return fail("bad-checksum", `cannot check: source/destination is not an IPv${family} address`);
        acc = pseudoHeaderSum(src, dst, covered, IPPROTO_VRRP);
      }
    }
    const c = finish(sum16(bytes, o, o + covered, acc));
    if (c !== 0) {
      return fail(
        "bad-checksum",
        `checksum 0x${checksum.toString(16).padStart(4, "0")} is wrong (sum 0x${c.toString(16)})`,
      );
    }
  }

  const vrid = bytes[o + 1]!;
  if (vrid === 0) return fail("bad-vrid", "VRID 0 (valid VRIDs are 1..255)");
  let authType = 0;
  let advertIntCs: number;
  if (version === 2) {
    authType = bytes[o + 4]!;
    if (authType > AUTH_AH)
      return fail("bad-auth-type", `auth type ${authType}, expected 0 (none), 1 (PASS) or 2 (AH)`);
    advertIntCs = bytes[o + 5]! * 100;
  } else {
    advertIntCs = ((bytes[o + 4]! << 8) | bytes[o + 5]!) & 0x0fff;
  }
  if (advertIntCs === 0) return fail("bad-interval", "advertisement interval 0");

  const addresses: string[] = out !== undefined && out.addresses.length === count ? out.addresses : new Array(count);
  let off = VRRP_HDR_LEN;
  for (let i = 0; i < count; i++, off += addrLen) {
    addresses[i] = family === 4 ? ipv4Text(bytes, o + off) : ipv6Text(bytes, o + off);
  }
  if (out !== undefined) {
    out.version = version;
    out.vrid = vrid;
    out.priority = bytes[o + 2]!;
    out.family = family;
    out.advertIntCs = advertIntCs;
    out.authType = authType;
    out.addresses = addresses;
    out.checksum = checksum;
    out.authData = authLen ? bytes.subarray(o + off, o + off + AUTH_DATA_LEN) : undefined;
    return out;
  }
  const value: DecodedAdvert = {
    version,
    type: 1,
    vrid,
    priority: bytes[o + 2]!,
    family,
    advertIntCs,
    authType,
    addresses,
    checksum,
  };
  if (authLen) value.authData = bytes.subarray(o + off, o + off + AUTH_DATA_LEN);
  return value;
}

/** Length of the VRRP message for `advert` (what IP total length / payload length covers). */
export function advertLength(advert: Pick<Advert, "version" | "family" | "addresses">): number {
  const addrLen = advert.family === 4 ? 4 : 16;
  const authLen = advert.version === 2 && advert.family === 4 ? AUTH_DATA_LEN : 0;
  return VRRP_HDR_LEN + advert.addresses.length * addrLen + authLen;
}

function intRange(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} ${v} out of range ${lo}..${hi}`);
}

/**
 * Encode the VRRP message (no IP header) with its checksum, as keepalived's
 * vrrp_build_vrrp_v2/_v3 + vrrp_update_pkt produce it. Throws RangeError on values the
 * wire cannot carry or on missing src/dst where the checksum needs them.
 */
export function encodeAdvert(advert: Advert, opts: EncodeAdvertOptions = {}): Uint8Array {
  const { version, family } = advert;
  if (version !== 2 && version !== 3) throw new RangeError(`version ${version}`);
  if (family !== 4 && family !== 6) throw new RangeError(`family ${family}`);
  if (advert.type !== 1) throw new RangeError(`type ${advert.type}`);
  intRange("vrid", advert.vrid, 1, 255);
  intRange("priority", advert.priority, 0, 255);
  intRange("address count", advert.addresses.length, 0, 255);
  const out = new Uint8Array(advertLength(advert));
  out[0] = (version << 4) | 1;
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = advert.addresses.length;
  if (version === 2) {
    intRange("v2 auth type", advert.authType, 0, 2);
    if (advert.advertIntCs % 100 !== 0)
      throw new RangeError(`v2 interval ${advert.advertIntCs} cs is not whole seconds`);
    intRange("v2 interval (s)", advert.advertIntCs / 100, 1, 255);
    out[4] = advert.authType;
    out[5] = advert.advertIntCs / 100;
  } else {
    if (advert.authType !== 0) throw new RangeError("v3 has no authentication");
    intRange("v3 interval (cs)", advert.advertIntCs, 1, 0x0fff);
    out[4] = advert.advertIntCs >> 8;
    out[5] = advert.advertIntCs & 0xff;
  }
  const addrLen = family === 4 ? 4 : 16;
  let off = VRRP_HDR_LEN;
  for (const a of advert.addresses) {
    const b = addrBytes(a, family);
    if (!b) throw new RangeError(`'${a}' is not an IPv${family} address`);
    out.set(b, off);
    off += addrLen;
  }
  if (version === 2 && family === 4) {
    // keepalived copies auth_data only for PASS (vrrp_build_vrrp_v2); none and AH send zeros
    const auth =
      advert.authType === AUTH_PASS && opts.authPass !== undefined ? authPassBytes(opts.authPass) : advert.authData;
    if (auth) {
      if (auth.length !== AUTH_DATA_LEN) throw new RangeError(`authData must be ${AUTH_DATA_LEN} bytes`);
      out.set(auth, off);
    }
  }
  let pseudo: { src: Uint8Array; dst: Uint8Array } | undefined;
  if (family === 6 || (version === 3 && !opts.v3ChecksumAsV2)) {
    const src = opts.src === undefined ? undefined : addrBytes(opts.src, family);
    const dst = opts.dst === undefined ? undefined : addrBytes(opts.dst, family);
    if (!src || !dst) throw new RangeError(`v${version}/IPv${family} checksum needs IPv${family} src and dst`);
    pseudo = { src, dst };
  }
  const c = advertChecksum(out, pseudo);
  out[6] = c >> 8;
  out[7] = c & 0xff;
  return out;
}

// ---- IPv4 (raw socket payload: IP header [+ AH] + VRRP) ----------------------------------

export type Ipv4ErrorCode = "truncated" | "bad-ip-header" | "bad-ip-checksum" | "not-vrrp" | "bad-ah-header";

/** IPsec AH header (RFC 2402 2) as keepalived fills it (ipsec_ah_t). */
export interface AhHeader {
  /** 112 (VRRP) */
  nextHeader: number;
  /** AH length in 32-bit words minus 2: 4 for keepalived's 24 bytes */
  payloadLen: number;
  reserved: number;
  /** keepalived: the sender's IPv4 source address as a u32 (network order) */
  spi: number;
  seq: number;
  /** the 96-bit HMAC-MD5 ICV (view into the packet) */
  icv: Uint8Array;
}

export interface Ipv4Packet {
  /** header length in bytes (IHL * 4) */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** flags (3 bits) and fragment offset, as the 16-bit field */
  fragment: number;
  ttl: number;
  /** 112, or 51 when an AH header precedes the VRRP message */
  protocol: number;
  headerChecksum: number;
  src: string;
  dst: string;
  /** the same addresses as 4-byte views (made on first use) */
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
  /** unfolded 16-bit sum of source + destination, for decodeAdvert's `addressSum` */
  addressSum: number;
  /** the packet trimmed to its total length (link padding removed); AH verification needs it */
  packet: Uint8Array;
  /** the VRRP message (after the IP header and any AH header), made on first use */
  readonly payload: Uint8Array;
  /** where the VRRP message starts in `packet` (decodeAdvert's `offset`) */
  payloadOffset: number;
  ah?: AhHeader;
}

/**
 * One decoded IPv4 header. A class, not an object literal: the views (srcBytes,
 * dstBytes, payload) are made on demand by getters on the prototype, where getters in a
 * literal were three new closures per packet (issue 20, bench/runtime/advert-alloc.ts).
 */
export class Ipv4View implements Ipv4Packet {
  tos = 0;
  id = 0;
  ttl = 0;
  headerChecksum = 0;
  src = "";
  dst = "";
  addressSum = 0;
  payloadOffset = 0;
  ah?: AhHeader = undefined;
  private bytes: Uint8Array = EMPTY;
  packet: Uint8Array = EMPTY;
  headerLength = 0;
  totalLength = 0;
  fragment = 0;
  protocol = 0;
  /** (re)fill from a checked header: decodeIpv4Packet makes one per packet, the receive path keeps one */
  fill(
    bytes: Uint8Array,
    packet: Uint8Array,
    headerLength: number,
    totalLength: number,
    fragment: number,
    protocol: number,
  ): this {
    this.bytes = bytes;
    this.packet = packet;
    this.headerLength = headerLength;
    this.totalLength = totalLength;
    this.fragment = fragment;
    this.protocol = protocol;
    this.tos = bytes[1]!;
    this.id = (bytes[4]! << 8) | bytes[5]!;
    this.ttl = bytes[8]!;
    this.headerChecksum = (bytes[10]! << 8) | bytes[11]!;
    this.src = ipv4Text(bytes, 12);
    this.dst = ipv4Text(bytes, 16);
    this.addressSum = sum16(bytes, 12, 20);
    this.payloadOffset = headerLength;
    this.ah = undefined;
    return this;
  }
  get srcBytes(): Uint8Array {
    return this.bytes.subarray(12, 16);
  }
  get dstBytes(): Uint8Array {
    return this.bytes.subarray(16, 20);
  }
  get payload(): Uint8Array {
    return this.packet.subarray(this.payloadOffset);
  }
}

/**
 * Parse what an IPv4 raw socket (protocol 112 or 51) returns: the IPv4 header, an
 * optional AH header and the VRRP message. Checks the IP header (version, IHL, lengths,
 * checksum, no fragment) and, for protocol 51, that the AH header is keepalived's
 * 24-byte HMAC-MD5-96 one protecting VRRP (next header 112). Never throws.
 * Bytes beyond the IP total length are link padding (as keepalived allows) and dropped.
 */
export function decodeIpv4Packet(bytes: Uint8Array): Result<Ipv4Packet, Ipv4ErrorCode> {
  const r = decodeIpv4To(bytes, new Ipv4View());
  return "error" in r ? r : { ok: true, value: r };
}

/**
 * `decodeIpv4Packet` into `view`, a record the caller keeps (the receive path, issue 20):
 * the same checks, no result object. Returns `view`, or the failure. Only for packets
 * whose view is not kept past the next call (an AH packet's is: receive.ts decodes those
 * with decodeIpv4Packet).
 */
export function decodeIpv4Into(bytes: Uint8Array, view: Ipv4View): Ipv4View | Failure<Ipv4ErrorCode> {
  return decodeIpv4To(bytes, view);
}

function decodeIpv4To(bytes: Uint8Array, view: Ipv4View): Ipv4View | Failure<Ipv4ErrorCode> {
  const len = bytes.length;
  if (len < 20) return fail("truncated", `${len} bytes, an IPv4 header needs 20`);
  const version = bytes[0]! >> 4;
  if (version !== 4) return fail("bad-ip-header", `IP version ${version}, expected 4`);
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < 20) return fail("bad-ip-header", `IHL ${headerLength / 4} < 5`);
  if (len < headerLength) return fail("truncated", `${len} bytes, the IP header says ${headerLength}`);
  const totalLength = (bytes[2]! << 8) | bytes[3]!;
  if (totalLength < headerLength)
    return fail("bad-ip-header", `total length ${totalLength} < header length ${headerLength}`);
  if (len < totalLength) return fail("truncated", `${len} bytes, the IP total length says ${totalLength}`);
  if (finish(sum16(bytes, 0, headerLength)) !== 0) return fail("bad-ip-checksum", "IPv4 header checksum is wrong");
  const fragment = (bytes[6]! << 8) | bytes[7]!;
  // MF set or a non-zero offset: a fragment (the kernel reassembles before raw delivery)
  if ((fragment & 0x3fff) !== 0) return fail("bad-ip-header", "IPv4 fragment");
  const protocol = bytes[9]!;
  const packet = len === totalLength ? bytes : bytes.subarray(0, totalLength);
  const value = view.fill(bytes, packet, headerLength, totalLength, fragment, protocol);
  if (protocol === IPPROTO_VRRP) return value;
  if (protocol !== IPPROTO_AH) return fail("not-vrrp", `IP protocol ${protocol}, expected 112 (VRRP) or 51 (AH)`);

  // RFC 2402 2: next header, payload len (32-bit words - 2), reserved, SPI, sequence, ICV
  const h = headerLength;
  if (totalLength < h + 12) return fail("truncated", "AH header truncated");
  const nextHeader = bytes[h]!;
  const payloadLen = bytes[h + 1]!;
  const ahLen = (payloadLen + 2) * 4;
  if (totalLength < h + ahLen) return fail("truncated", `AH header says ${ahLen} bytes, ${totalLength - h} present`);
  if (nextHeader !== IPPROTO_VRRP) return fail("not-vrrp", `AH next header ${nextHeader}, expected 112 (VRRP)`);
  if (ahLen !== AH_LEN) {
    return fail("bad-ah-header", `AH length ${ahLen} bytes, keepalived's HMAC-MD5-96 AH is ${AH_LEN}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  value.ah = {
    nextHeader,
    payloadLen,
    reserved: dv.getUint16(h + 2),
    spi: dv.getUint32(h + 4),
    seq: dv.getUint32(h + 8),
    icv: bytes.subarray(h + 12, h + AH_LEN),
  };
  value.payloadOffset = h + AH_LEN;
  return value;
}
