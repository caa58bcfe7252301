/**
 * The AgentX protocol (RFC 2741) as keel's subagent speaks it: PDU encoding and decoding,
 * pure. Written here instead of using net-snmp's (npm `net-snmp` 3.29.2) Subagent because
 * that one
 * - connects over TCP only (`net.Socket.connect(port, host)`), while snmpd's default and
 *   keepalived's is the unix socket /var/agentx/master (RFC 2741 8.2.1);
 * - takes each `data` chunk as exactly one PDU, so two PDUs in one read, or one split over
 *   two, are lost, and a malformed one throws out of the socket's event handler (which
 *   would take the daemon down, DESIGN.md rule 3);
 * - writes an IpAddress with a call that does not exist (`buffer.writeOctetString`) and an
 *   OctetString through SmartBuffer.writeString (UTF-8), so the raw bytes of an
 *   InetAddress (KEEPALIVED-MIB's addresses) cannot be sent.
 * Answering Get/GetNext/GetBulk from sorted varbinds needs nothing of its MIB provider
 * model, so the codec below is all of AgentX keel needs.
 *
 * Encoding: every PDU keel sends is in network byte order (h.flags NETWORK_BYTE_ORDER,
 * 6.1); a received one is read in the order its flag says. Decoding never throws
 * (DESIGN.md rule 3): it returns `{ok: false, error}` for a PDU it cannot read.
 */
import { compareOids, type Oid, type SnmpType, type Varbind } from "./mib";

/** RFC 2741 6.1 h.type */
export const PduType = {
  Open: 1,
  Close: 2,
  Register: 3,
  Unregister: 4,
  Get: 5,
  GetNext: 6,
  GetBulk: 7,
  TestSet: 8,
  CommitSet: 9,
  UndoSet: 10,
  CleanupSet: 11,
  Notify: 12,
  Ping: 13,
  IndexAllocate: 14,
  IndexDeallocate: 15,
  AddAgentCaps: 16,
  RemoveAgentCaps: 17,
  Response: 18,
} as const;

const FLAG_NON_DEFAULT_CONTEXT = 0x08;
const FLAG_NETWORK_BYTE_ORDER = 0x10;
export const HEADER_LEN = 20;

/** RFC 2741 5.4 v.type */
const TYPE_CODE: Record<SnmpType, number> = {
  Integer: 2,
  OctetString: 4,
  ObjectIdentifier: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
};
const NO_SUCH_OBJECT = 128;
const END_OF_MIB_VIEW = 130;
const TYPE_NAME = new Map<number, SetVarbind["type"]>([
  ...Object.entries(TYPE_CODE).map(([name, code]) => [code, name as SnmpType] as const),
  [5, "Null"],
  [68, "Opaque"],
  [NO_SUCH_OBJECT, "noSuchObject"],
  [129, "noSuchInstance"],
  [END_OF_MIB_VIEW, "endOfMibView"],
]);

/**
 * RFC 2741 6.2.16 res.error: the SNMP errors of RFC 3416 3 that a set's phases answer with,
 * and AgentX's own.
 */
export const ResError = {
  noError: 0,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  wrongLength: 8,
  wrongEncoding: 9,
  wrongValue: 10,
  noCreation: 11,
  inconsistentValue: 12,
  resourceUnavailable: 13,
  commitFailed: 14,
  undoFailed: 15,
  notWritable: 17,
  inconsistentName: 18,
  parseError: 266,
  processingError: 268,
} as const;

/** Close reasons (6.2.2) */
export const CloseReason = { other: 1, parseError: 2, protocolError: 3, timeouts: 4, shutdown: 5 } as const;

export interface Header {
  type: number;
  flags: number;
  sessionId: number;
  transactionId: number;
  packetId: number;
}

export interface SearchRange {
  start: Oid;
  /** include: the start itself may be returned (GetNext) */
  include: boolean;
  /** empty: no upper bound */
  end: Oid;
}

export type Pdu =
  | (Header & { kind: "response"; sysUpTime: number; error: number; index: number; varbinds: ResponseVarbind[] })
  | (Header & { kind: "get" | "getnext"; ranges: SearchRange[] })
  | (Header & { kind: "getbulk"; nonRepeaters: number; maxRepetitions: number; ranges: SearchRange[] })
  | (Header & { kind: "close"; reason: number })
  /** 7.2.4.1: the varbinds a set would write */
  | (Header & { kind: "testset"; varbinds: SetVarbind[] })
  /** 7.2.4.2-4: the set's later phases name their transaction by the header's transactionID */
  | (Header & { kind: "commitset" | "undoset" | "cleanupset" })
  /** what else a master may send: answered by type only */
  | (Header & { kind: "other" });

/**
 * A varbind of a TestSet as the manager sent it (RFC 2741 5.4): any type, so a write
 * method can answer wrongType for one it does not take, as keepalived's do.
 */
export interface SetVarbind {
  oid: Oid;
  type: SnmpType | "Null" | "Opaque" | "noSuchObject" | "noSuchInstance" | "endOfMibView";
  /** Integer: signed; Counter32/Gauge32/TimeTicks: unsigned; Counter64: bigint; OctetString,
   * IpAddress, Opaque: bytes; ObjectIdentifier: an Oid; the rest: null */
  value: number | bigint | Uint8Array | Oid | null;
}

/** A varbind in a response: a value, or one of the three exceptions (RFC 3416 4.2.1). */
export type ResponseVarbind = Varbind | { oid: Oid; exception: "noSuchObject" | "endOfMibView" };

/**
 * `header`: a PDU whose header was read but not its body, so the agent can answer it
 * with parseError (7.1.1) instead of leaving the master to time out.
 */
export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: string; message: string; header?: Header } };

// --- encoding -------------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
  }
  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** 5.1: 1.3.6.1.X.rest with 0 < X < 256 goes as prefix X. */
function writeOid(w: Writer, oid: Oid, include = false): void {
  let prefix = 0;
  let rest: readonly number[] = oid;
  const p = oid[4];
  if (oid.length >= 5 && oid[0] === 1 && oid[1] === 3 && oid[2] === 6 && oid[3] === 1 && p !== undefined) {
    if (p > 0 && p < 256) {
      prefix = p;
      rest = oid.slice(5);
    }
  }
  w.u8(rest.length);
  w.u8(prefix);
  w.u8(include ? 1 : 0);
  w.u8(0);
  for (const n of rest) w.u32(n);
}

const utf8 = new TextEncoder();

function writeOctets(w: Writer, value: string | Uint8Array): void {
  const b = typeof value === "string" ? utf8.encode(value) : value;
  w.u32(b.length);
  w.bytes(b);
  for (let i = b.length; i % 4 !== 0; i++) w.u8(0);
}

function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255))
    throw new Error(`not an IPv4 address: ${text}`);
  return Uint8Array.from(parts);
}

function writeVarbind(w: Writer, vb: ResponseVarbind): void {
  if ("exception" in vb) {
    w.u16(vb.exception === "noSuchObject" ? NO_SUCH_OBJECT : END_OF_MIB_VIEW);
    w.u16(0);
    writeOid(w, vb.oid);
    return;
  }
  w.u16(TYPE_CODE[vb.type]);
  w.u16(0);
  writeOid(w, vb.oid);
  const v = vb.value;
  switch (vb.type) {
    case "Integer":
      w.i32(Number(v));
      break;
    case "Counter32":
    case "Gauge32":
    case "TimeTicks":
      w.u32(Number(v));
      break;
    case "Counter64":
      w.u64(BigInt(v as number | bigint));
      break;
    case "OctetString":
      writeOctets(w, v as string | Uint8Array);
      break;
    case "IpAddress":
      writeOctets(w, typeof v === "string" ? ipv4Bytes(v) : (v as Uint8Array));
      break;
    case "ObjectIdentifier":
      writeOid(w, v as Oid);
      break;
  }
}

function header(w: Writer, type: number, h: Omit<Header, "type" | "flags">, flags = 0): void {
  w.u8(1);
  w.u8(type);
  w.u8(flags | FLAG_NETWORK_BYTE_ORDER);
  w.u8(0);
  w.u32(h.sessionId);
  w.u32(h.transactionId);
  w.u32(h.packetId);
  w.u32(0); // payload length, patched
}

function finish(w: Writer): Uint8Array {
  w.patchU32(16, w.length - HEADER_LEN);
  return w.done();
}

export interface Ids {
  sessionId: number;
  transactionId: number;
  packetId: number;
}

/** 6.2.1 agentx-Open-PDU: o.timeout 0 (the master's default), o.id null, o.descr. */
export function encodeOpen(ids: Ids, descr: string): Uint8Array {
  const w = new Writer();
  header(w, PduType.Open, ids);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  writeOid(w, []);
  writeOctets(w, descr);
  return finish(w);
}

export function encodeClose(ids: Ids, reason: number): Uint8Array {
  const w = new Writer();
  header(w, PduType.Close, ids);
  w.u8(reason);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  return finish(w);
}

/** 6.2.3 agentx-Register-PDU at the default priority 127, no range. */
export function encodeRegister(ids: Ids, subtree: Oid, type: number = PduType.Register): Uint8Array {
  const w = new Writer();
  header(w, type, ids);
  w.u8(0); // r.timeout: the session's
  w.u8(127);
  w.u8(0);
  w.u8(0);
  writeOid(w, subtree);
  return finish(w);
}

export function encodeUnregister(ids: Ids, subtree: Oid): Uint8Array {
  return encodeRegister(ids, subtree, PduType.Unregister);
}

/** 6.2.14 agentx-AddAgentCaps-PDU: the sysORTable row keepalived's register_sysORTable makes. */
export function encodeAddAgentCaps(ids: Ids, id: Oid, descr: string): Uint8Array {
  const w = new Writer();
  header(w, PduType.AddAgentCaps, ids);
  writeOid(w, id);
  writeOctets(w, descr);
  return finish(w);
}

export function encodePing(ids: Ids): Uint8Array {
  const w = new Writer();
  header(w, PduType.Ping, ids);
  return finish(w);
}

/** 6.2.10 agentx-Notify-PDU: snmpTrapOID.0 first; the master puts sysUpTime.0 in front. */
export function encodeNotify(ids: Ids, varbinds: Varbind[]): Uint8Array {
  const w = new Writer();
  header(w, PduType.Notify, ids);
  for (const vb of varbinds) writeVarbind(w, vb);
  return finish(w);
}

export function encodeResponse(
  ids: Ids,
  r: { error?: number; index?: number; varbinds?: ResponseVarbind[] },
): Uint8Array {
  const w = new Writer();
  header(w, PduType.Response, ids);
  w.u32(0); // res.sysUpTime: ignored by the master in a subagent's response
  w.u16(r.error ?? 0);
  w.u16(r.index ?? 0);
  for (const vb of r.varbinds ?? []) writeVarbind(w, vb);
  return finish(w);
}

// --- decoding -------------------------------------------------------------------------

class Reader {
  private view: DataView;
  at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.at + n > this.bytes.length) throw new Truncated();
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at, this.le);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, this.le);
    this.at += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.at, this.le);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.at, this.le);
    this.at += 8;
    return v;
  }
  octets(): Uint8Array {
    const n = this.u32();
    this.need(n + ((4 - (n % 4)) % 4));
    const b = this.bytes.slice(this.at, this.at + n);
    this.at += n + ((4 - (n % 4)) % 4);
    return b;
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
  get left(): number {
    return this.bytes.length - this.at;
  }
}

/** Internal to decoding: caught in decodePdu, never leaves this file. */
class Truncated extends Error {}
/** Internal to decoding: a field that is there but cannot be (caught in decodePdu). */
class Malformed extends Error {}

function readOid(r: Reader): { oid: Oid; include: boolean } {
  const n = r.u8();
  const prefix = r.u8();
  const include = r.u8() !== 0;
  r.u8();
  const oid: number[] = prefix !== 0 ? [1, 3, 6, 1, prefix] : [];
  for (let i = 0; i < n; i++) oid.push(r.u32());
  return { oid, include };
}

/** 5.4: v.type, reserved, v.name, v.data. */
function readVarbind(r: Reader): SetVarbind {
  const code = r.u16();
  r.u16();
  const { oid } = readOid(r);
  const type = TYPE_NAME.get(code);
  if (type === undefined) throw new Malformed(`varbind ${oid.join(".")} has unknown type ${code}`);
  switch (type) {
    case "Integer":
      return { oid, type, value: r.i32() };
    case "Counter32":
    case "Gauge32":
    case "TimeTicks":
      return { oid, type, value: r.u32() };
    case "Counter64":
      return { oid, type, value: r.u64() };
    case "OctetString":
    case "IpAddress":
    case "Opaque": {
      const value = r.octets();
      if (type === "IpAddress" && value.length !== 4)
        throw new Malformed(`varbind ${oid.join(".")}: an IpAddress of ${value.length} octets`);
      return { oid, type, value };
    }
    case "ObjectIdentifier":
      return { oid, type, value: readOid(r).oid };
    default:
      return { oid, type, value: null };
  }
}

function readRanges(r: Reader): SearchRange[] {
  const ranges: SearchRange[] = [];
  while (r.left > 0) {
    const start = readOid(r);
    const end = readOid(r);
    ranges.push({ start: start.oid, include: start.include, end: end.oid });
  }
  return ranges;
}

/** Length of the PDU at the front of `buf` once its header is there (undefined: not yet). */
export function pduLength(buf: Uint8Array): number | undefined {
  if (buf.length < HEADER_LEN) return undefined;
  const le = ((buf[2] as number) & FLAG_NETWORK_BYTE_ORDER) === 0;
  const payload = new DataView(buf.buffer, buf.byteOffset + 16, 4).getUint32(0, le);
  return HEADER_LEN + payload;
}

/** One whole PDU (pduLength bytes) from the master agent. */
export function decodePdu(bytes: Uint8Array): Decoded<Pdu> {
  if (bytes.length < HEADER_LEN) return { ok: false, error: { code: "truncated", message: "short AgentX header" } };
  if (bytes[0] !== 1)
    return { ok: false, error: { code: "bad-version", message: `AgentX version ${bytes[0]}, expected 1` } };
  const flags = bytes[2] as number;
  const r = new Reader(bytes, (flags & FLAG_NETWORK_BYTE_ORDER) === 0);
  r.skip(4);
  const h: Header = { type: bytes[1] as number, flags, sessionId: r.u32(), transactionId: r.u32(), packetId: r.u32() };
  const payload = r.u32();
  if (bytes.length < HEADER_LEN + payload)
    return { ok: false, error: { code: "truncated", message: `AgentX PDU type ${h.type} ends early`, header: h } };
  try {
    // 6.1.1: a non-default context is named first; keel registers in the default one only
    if (flags & FLAG_NON_DEFAULT_CONTEXT && h.type !== PduType.Response) r.skip(4 * Math.ceil(r.u32() / 4));
    // the body is read up to the header's payload length, not into a following PDU
    return { ok: true, value: decodeBody(h, new Reader(bytes.subarray(r.at, HEADER_LEN + payload), r.le)) };
  } catch (e) {
    if (e instanceof Truncated)
      return { ok: false, error: { code: "truncated", message: `AgentX PDU type ${h.type} ends early`, header: h } };
    if (e instanceof Malformed)
      return { ok: false, error: { code: "malformed", message: `AgentX PDU type ${h.type}: ${e.message}`, header: h } };
    throw e;
  }
}

function decodeBody(h: Header, r: Reader): Pdu {
  switch (h.type) {
    case PduType.Response: {
      const sysUpTime = r.u32();
      const error = r.u16();
      const index = r.u16();
      return { ...h, kind: "response", sysUpTime, error, index, varbinds: [] };
    }
    case PduType.Get:
      return { ...h, kind: "get", ranges: readRanges(r) };
    case PduType.GetNext:
      return { ...h, kind: "getnext", ranges: readRanges(r) };
    case PduType.GetBulk: {
      const nonRepeaters = r.u16();
      const maxRepetitions = r.u16();
      return { ...h, kind: "getbulk", nonRepeaters, maxRepetitions, ranges: readRanges(r) };
    }
    case PduType.Close:
      return { ...h, kind: "close", reason: r.u8() };
    case PduType.TestSet: {
      const varbinds: SetVarbind[] = [];
      while (r.left > 0) varbinds.push(readVarbind(r));
      return { ...h, kind: "testset", varbinds };
    }
    case PduType.CommitSet:
      return { ...h, kind: "commitset" };
    case PduType.UndoSet:
      return { ...h, kind: "undoset" };
    case PduType.CleanupSet:
      return { ...h, kind: "cleanupset" };
    default:
      return { ...h, kind: "other" };
  }
}

// --- answering ------------------------------------------------------------------------

/** First index i with list[i].oid >= oid (include) or > oid. */
function lowerBound(list: readonly Varbind[], oid: Oid, include: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareOids((list[mid] as Varbind).oid, oid);
    if (c < 0 || (c === 0 && !include)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** 7.2.3.1 Get: the exact OID or noSuchObject. */
export function answerGet(list: readonly Varbind[], range: SearchRange): ResponseVarbind {
  const i = lowerBound(list, range.start, true);
  const vb = list[i];
  if (vb !== undefined && compareOids(vb.oid, range.start) === 0) return vb;
  return { oid: range.start, exception: "noSuchObject" };
}

/** 7.2.3.2 GetNext: the first OID after start (or at it, when include) and before end. */
export function answerNext(list: readonly Varbind[], range: SearchRange): ResponseVarbind {
  const vb = list[lowerBound(list, range.start, range.include)];
  if (vb !== undefined && (range.end.length === 0 || compareOids(vb.oid, range.end) < 0)) return vb;
  return { oid: range.start, exception: "endOfMibView" };
}

/**
 * 7.2.3.3 GetBulk: the first nonRepeaters ranges once, then up to maxRepetitions rounds over
 * the others, each round going on from the last round's names; rounds stop when every
 * repeater has reached endOfMibView.
 */
export function answerBulk(
  list: readonly Varbind[],
  nonRepeaters: number,
  maxRepetitions: number,
  ranges: readonly SearchRange[],
): ResponseVarbind[] {
  const n = Math.min(nonRepeaters, ranges.length);
  const out: ResponseVarbind[] = ranges.slice(0, n).map((r) => answerNext(list, r));
  let current = ranges.slice(n).map((r) => ({ ...r }));
  for (let round = 0; round < maxRepetitions && current.length > 0; round++) {
    let ended = 0;
    const next: SearchRange[] = [];
    for (const r of current) {
      const vb = answerNext(list, r);
      out.push(vb);
      if ("exception" in vb) ended++;
      next.push({ start: vb.oid, include: false, end: r.end });
    }
    if (ended === current.length) break;
    current = next;
  }
  return out;
}
