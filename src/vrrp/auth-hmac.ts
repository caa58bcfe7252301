/**
 * `auth_hmac`: keepalived 2.4.3's advert authentication extension (vrrp_auth_hmac.c,
 * include/vrrp_auth_hmac.h, the callers in vrrp.c), wire-compatible with it and checked
 * against adverts 2.4.3 sent (test/fixtures/vrrp/auth-hmac-2.4.3.json).
 *
 * A 28-byte trailer follows the VRRP message (after the addresses, and the v2 auth data):
 *
 *   0: ext_type (1: HMAC-SHA256 truncated to 128 bits)   1: key id   2..3: reserved, 0
 *   4: seconds (u32, UTC)   8: 1/65536 second fraction (u16)   10: counter (u16)
 *   12: HMAC (16 bytes)
 *
 * The 64-bit sequence is seconds << 32 | fraction << 16 | counter, a time-based value
 * (keepalived clock_seq/next_seq): the larger of the real-time clock and the last value + 1.
 * The HMAC (RFC 2104, SHA-256, first 16 bytes) covers a 20-byte pseudo-header (4 or 6,
 * version, VRID, 0, the sender's address zero-padded to 16 bytes), the VRRP message with
 * its checksum read as zero (the IPv6 kernel fills the checksum after signing), the first
 * 12 trailer bytes and 16 zero bytes in place of the HMAC (pdu_hmac). The IP header is
 * not covered, nor the destination: every unicast copy carries one sequence and HMAC.
 *
 * Lengths and checksums: the IPv4 total length includes the trailer, the VRRP checksum
 * (v2, and v3's pseudo-header length) covers the message only (vrrp_update_pkt); over IPv6
 * the kernel's IPV6_CHECKSUM covers the whole payload, trailer included. A receiver with
 * auth_hmac takes the trailer when the packet is exactly 28 bytes longer than its message
 * (vrrp_check_packet); one without it sees a packet too long.
 *
 * Receive (vrrp_auth_ext_verify, vrrp_auth_hmac_check), in this order: no trailer (dropped
 * in mode enforce only), ext_type/reserved, the time window (anti_replay time: the
 * sender's seconds within ±time_window of ours, before the HMAC so replayed floods cost no
 * digest), the key id (any configured key verifies: rotation), the HMAC (constant time),
 * then the replay mark: the sequence must grow (RFC 1982 serial arithmetic) per unicast
 * peer, or per multicast source in 4 least-recently-used slots filled only after the HMAC
 * verified. A mark older than the window is forgotten (a sender reset by a clock step).
 *
 * Modes (keepalived's migration): receive-only verifies a trailer when present and sends
 * none; permissive signs and still accepts adverts without one; enforce requires one.
 *
 * Sans-I/O: the wall clock comes in as `wallMs` (the driver's Date.now()); SHA-256 is
 * Bun.CryptoHasher, a global (no node:crypto on the start path, DESIGN.md rule 6).
 */

export const HMAC_TRAILER_LEN = 28;
const HMAC_LEN = 16;
const PSEUDO_LEN = 20;
/** VRRP_AUTH_HMAC_TYPE_SHA256 */
const EXT_TYPE_SHA256 = 1;
/** keepalived VRRP_AUTH_HMAC_MCAST_SENDERS */
const MCAST_SENDERS = 4;
/** keepalived VRRP_AUTH_HMAC_KEY_MIN / _MAX (bytes), VRRP_AUTH_HMAC_WINDOW_* (seconds) */
export const HMAC_KEY_MIN = 32;
export const HMAC_KEY_MAX = 64;
const WINDOW_FLOOR = 5;
const WINDOW_MAX = 300;

export type HmacMode = "enforce" | "permissive" | "receive-only";

/** What an instance signs and verifies with (InstanceParams.authHmac). */
export interface HmacParams {
  /** id 1..255 → 32..64 key bytes */
  keys: { id: number; key: Uint8Array }[];
  activeKey: number;
  /** anti_replay time (the default) rather than monotonic */
  antiReplayTime: boolean;
  /** seconds, 1..300 */
  timeWindow: number;
  mode: HmacMode;
}

/** vrrp_auth_hmac_result_t, as the stat each failure counts under (keepalived vrrp.h) */
export type HmacFailure =
  | "auth_ext_missing"
  | "auth_ext_malformed"
  | "auth_ext_unknown_key"
  | "auth_ext_invalid_hmac"
  | "auth_ext_stale"
  | "auth_ext_replay";

export type HmacCheck =
  | { ok: true; skew: number }
  | { ok: false; failure: HmacFailure; skew: number; keyId?: number }
  /** unicast: the source is not a configured peer, so no replay slot anchors it */
  | { ok: false; failure: "unknown-peer"; skew: number };

/**
 * The window keepalived derives when time_window is not set (vrrp_complete_instance):
 * 3 × the advert interval in whole seconds, at least 5, at most 300.
 */
export function defaultWindow(advertIntCs: number): number {
  return Math.min(WINDOW_MAX, Math.max(WINDOW_FLOOR, 3 * Math.floor(advertIntCs / 100)));
}

/**
 * A configured key's bytes (vrrp_auth_hmac_decode_key): `hex:` carries raw bytes,
 * anything else is the ASCII (UTF-8) string itself. `file:` is resolved by the caller.
 */
export function decodeKey(text: string): Uint8Array | undefined {
  if (!text.startsWith("hex:")) return new TextEncoder().encode(text);
  const hex = text.slice(4);
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- sequence numbers (keepalived clock_seq, next_seq, seq_after) ---------------------

const M64 = (1n << 64n) - 1n;

/** The real-time clock as a sequence: seconds << 32 | (1/65536 s) << 16, counter 0. */
export function clockSeq(wallMs: number): bigint {
  const sec = Math.floor(wallMs / 1000);
  const nsec = Math.min(999_999_999, Math.floor((wallMs - sec * 1000) * 1e6));
  const subsec = Math.floor((nsec * 65536) / 1e9);
  return (BigInt(sec >>> 0) << 32n) | (BigInt(subsec) << 16n);
}

/** RFC 1982 serial number arithmetic over 64 bits: a after b */
function seqAfter(a: bigint, b: bigint): boolean {
  return BigInt.asIntN(64, a - b) > 0n;
}

function seqSeconds(seq: bigint): number {
  return Number(seq >> 32n);
}

/** (int32)(a - b) on two u32 second counts, as keepalived compares them */
function secDelta(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

interface Replay {
  valid: boolean;
  seq: bigint;
}

interface McastSlot {
  addr: string;
  replay: Replay;
  /** LRU rank, 0 = empty */
  lastUsed: number;
}

// ---- the trailer ------------------------------------------------------------------------

/** The 20-byte pseudo-header (build_pseudo): family, version, VRID, 0, source address. */
function pseudoHeader(family: 4 | 6, version: number, vrid: number, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(PSEUDO_LEN);
  out[0] = family;
  out[1] = version;
  out[2] = vrid;
  out.set(src.subarray(0, family === 4 ? 4 : 16), 4);
  return out;
}

/**
 * The 16-byte HMAC of `pdu` (the VRRP message) and the trailer's first 12 bytes
 * (pdu_hmac): checksum and HMAC fields read as zero.
 */
export function trailerHmac(key: Uint8Array, pseudo: Uint8Array, pdu: Uint8Array, trailerHead: Uint8Array): Uint8Array {
  const input = new Uint8Array(PSEUDO_LEN + pdu.length + HMAC_TRAILER_LEN);
  input.set(pseudo, 0);
  input.set(pdu, PSEUDO_LEN);
  input[PSEUDO_LEN + 6] = 0;
  input[PSEUDO_LEN + 7] = 0;
  input.set(trailerHead.subarray(0, HMAC_TRAILER_LEN - HMAC_LEN), PSEUDO_LEN + pdu.length);
  const h = new Bun.CryptoHasher("sha256", key);
  h.update(input);
  return Uint8Array.from((h.digest() as Uint8Array).subarray(0, HMAC_LEN));
}

/** The trailer for `pdu` signed with `key` under sequence `seq` (vrrp_auth_hmac_sign). */
export function encodeTrailer(
  pdu: Uint8Array,
  opts: { family: 4 | 6; version: number; vrid: number; src: Uint8Array; keyId: number; key: Uint8Array; seq: bigint },
): Uint8Array {
  const tr = new Uint8Array(HMAC_TRAILER_LEN);
  const dv = new DataView(tr.buffer);
  tr[0] = EXT_TYPE_SHA256;
  tr[1] = opts.keyId;
  dv.setUint32(4, Number((opts.seq >> 32n) & 0xffffffffn));
  dv.setUint16(8, Number((opts.seq >> 16n) & 0xffffn));
  dv.setUint16(10, Number(opts.seq & 0xffffn));
  tr.set(trailerHmac(opts.key, pseudoHeader(opts.family, opts.version, opts.vrid, opts.src), pdu, tr), 12);
  return tr;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** The trailer a receiver found (receive.ts): views into the packet, read before the handler returns. */
export interface ReceivedTrailer {
  /** the VRRP message without the trailer */
  pdu: Uint8Array;
  trailer: Uint8Array;
  /** the IP source address, 4 or 16 bytes */
  src: Uint8Array;
  /** the wall clock at receipt (ms since the epoch), undefined when the driver gave none */
  wallMs?: number;
}

/**
 * One instance's signing and replay state (keepalived vrrp_auth_hmac_t): the last
 * sequence sent, the unicast peers' and the multicast senders' marks.
 */
export class HmacState {
  private sendSeq = 0n;
  private readonly peers = new Map<string, Replay>();
  private readonly mcast: McastSlot[] = [];
  private lru = 0;
  private readonly keys = new Map<number, Uint8Array>();

  constructor(readonly p: HmacParams) {
    for (const k of p.keys) this.keys.set(k.id, k.key);
  }

  /** receive-only sends no trailer (vrrp_auth_hmac_trailer_len) */
  get signs(): boolean {
    return this.p.mode !== "receive-only";
  }

  /** next_seq: the clock, or the last value + 1 when the clock has not moved past it. */
  nextSeq(wallMs: number): bigint {
    const clk = clockSeq(wallMs);
    if (seqAfter(clk, this.sendSeq)) {
      this.sendSeq = clk;
      return clk;
    }
    // a clock stepped back past the window: time mode restarts from the clock, which
    // receivers accept once their mark ages out; monotonic keeps strict growth
    const ahead = secDelta(seqSeconds(this.sendSeq), seqSeconds(clk));
    this.sendSeq = this.p.antiReplayTime && ahead > this.p.timeWindow ? clk : (this.sendSeq + 1n) & M64;
    return this.sendSeq;
  }

  /**
   * The trailer for one logical advert; every copy (each unicast peer) carries it.
   * `pdu` is the VRRP message (its checksum is not covered), `src` our address's bytes.
   */
  sign(pdu: Uint8Array, family: 4 | 6, version: number, vrid: number, src: Uint8Array, wallMs: number): Uint8Array {
    const keyId = this.p.activeKey;
    const key = this.keys.get(keyId) as Uint8Array; // params guarantee the active key exists
    return encodeTrailer(pdu, { family, version, vrid, src, keyId, key, seq: this.nextSeq(wallMs) });
  }

  /**
   * vrrp_auth_ext_verify + vrrp_auth_hmac_check for an advert from `from` (canonical
   * text). `peers`: the unicast peers (canonical text), undefined for multicast.
   */
  verify(
    rx: ReceivedTrailer | undefined,
    family: 4 | 6,
    version: number,
    vrid: number,
    from: string,
    peers: { has(address: string): boolean } | undefined,
  ): HmacCheck | undefined {
    if (!rx) return this.p.mode === "enforce" ? { ok: false, failure: "auth_ext_missing", skew: 0 } : undefined;
    let replay: Replay | undefined;
    if (peers) {
      if (!peers.has(from)) return { ok: false, failure: "unknown-peer", skew: 0 };
      replay = this.peers.get(from);
      if (!replay) {
        replay = { valid: false, seq: 0n };
        this.peers.set(from, replay);
      }
    }
    const tr = rx.trailer;
    if (tr[0] !== EXT_TYPE_SHA256 || tr[2] !== 0 || tr[3] !== 0)
      return { ok: false, failure: "auth_ext_malformed", skew: 0 };
    const dv = new DataView(tr.buffer, tr.byteOffset, tr.byteLength);
    const sec = dv.getUint32(4);
    const seq = (BigInt(sec) << 32n) | (BigInt(dv.getUint16(8)) << 16n) | BigInt(dv.getUint16(10));
    const nowSec = Math.floor((rx.wallMs ?? 0) / 1000);
    let skew = 0;
    // the window before the HMAC: a flood of replayed captures costs no digest; it only
    // rejects, the replay mark moves only on verified data
    if (this.p.antiReplayTime) {
      skew = secDelta(nowSec, sec);
      if (skew > this.p.timeWindow || skew < -this.p.timeWindow) return { ok: false, failure: "auth_ext_stale", skew };
    }
    const keyId = tr[1] as number;
    const key = this.keys.get(keyId);
    if (!key) return { ok: false, failure: "auth_ext_unknown_key", skew, keyId };
    const mac = trailerHmac(key, pseudoHeader(family, version, vrid, rx.src), rx.pdu, tr);
    if (!sameBytes(mac, tr.subarray(12, 12 + HMAC_LEN))) return { ok: false, failure: "auth_ext_invalid_hmac", skew };
    if (!this.replayOk(replay ?? this.mcastSlot(from), seq, nowSec))
      return { ok: false, failure: "auth_ext_replay", skew };
    return { ok: true, skew };
  }

  /** replay_ok: a mark outside the window is forgotten, then the sequence must grow. */
  private replayOk(state: Replay, seq: bigint, nowSec: number): boolean {
    if (state.valid && this.p.antiReplayTime) {
      const age = secDelta(nowSec, seqSeconds(state.seq));
      if (age > this.p.timeWindow || age < -this.p.timeWindow) state.valid = false;
    }
    if (state.valid && !seqAfter(seq, state.seq)) return false;
    state.valid = true;
    state.seq = seq;
    return true;
  }

  /** mcast_state: the source's slot, else the least recently used one, reset */
  private mcastSlot(addr: string): Replay {
    this.lru = (this.lru + 1) >>> 0 || 1;
    let victim: McastSlot | undefined;
    for (const s of this.mcast) {
      if (s.addr === addr) {
        s.lastUsed = this.lru;
        return s.replay;
      }
      if (!victim || s.lastUsed < victim.lastUsed) victim = s;
    }
    if (this.mcast.length < MCAST_SENDERS) {
      const s: McastSlot = { addr, replay: { valid: false, seq: 0n }, lastUsed: this.lru };
      this.mcast.push(s);
      return s.replay;
    }
    const v = victim as McastSlot;
    v.addr = addr;
    v.replay = { valid: false, seq: 0n };
    v.lastUsed = this.lru;
    return v.replay;
  }

  /** A reload keeps the sequence and the replay marks (the instance's identity is unchanged). */
  takeOver(from: HmacState): void {
    this.sendSeq = from.sendSeq;
    for (const [k, v] of from.peers) this.peers.set(k, v);
    this.mcast.push(...from.mcast);
    this.lru = from.lru;
  }
}

/** keepalived's log line for a rejected advert (vrrp_auth_ext_verify), by failure. */
export function hmacFailureWords(
  name: string,
  from: string,
  check: Extract<HmacCheck, { ok: false }>,
  window: number,
): string {
  switch (check.failure) {
    case "auth_ext_missing":
      return `(${name}) missing authentication trailer from ${from}`;
    case "auth_ext_malformed":
      return `(${name}) malformed authentication trailer from ${from}`;
    case "auth_ext_unknown_key":
      return `(${name}) unknown authentication key id ${check.keyId} from ${from}`;
    case "auth_ext_invalid_hmac":
      return `(${name}) invalid authentication HMAC from ${from}`;
    case "auth_ext_stale":
      return `(${name}) stale authentication trailer from ${from}, clock skew ${check.skew} sec exceeds window ${window} sec`;
    case "auth_ext_replay":
      return `(${name}) replayed authentication trailer from ${from}`;
    case "unknown-peer":
      return `(${name}) unicast source address ${from} not a unicast peer`;
  }
}
