/**
 * Netlink wire codec: nlmsghdr framing, 4-byte alignment, fixed headers and
 * attributes (TLVs, nested TLVs), all driven by data tables (schemas.ts). Pure: no I/O,
 * no bun:ffi.
 *
 * Encoding is for requests keel builds itself; a malformed request is a programming
 * error and throws. Decoding reads what the kernel sent and never throws (DESIGN.md
 * rule 3): it returns `{ ok: true, value } | { ok: false, error: { code, message } }`.
 */
import {
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from "./constants";

export type DecodeErrorCode = "truncated" | "bad-length" | "bad-attribute" | "bad-message" | "unsupported";
export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: DecodeErrorCode, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});

/** NLMSG_ALIGN / NLA_ALIGN */
export const align4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------- fixed headers

export type FieldType = "u8" | "u16" | "u32" | "s32";
/** A C struct as a table of [field, type, offset] (host byte order, which is little endian on every target keel builds for). */
export interface StructSchema {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly (readonly [name: string, type: FieldType, offset: number])[];
}
export type StructValue = Record<string, number>;

export function encodeStruct(s: StructSchema, values: Readonly<Partial<StructValue>>): Uint8Array {
  const out = new Uint8Array(s.size);
  const dv = new DataView(out.buffer);
  for (const name of Object.keys(values)) {
    if (!s.fields.some((f) => f[0] === name)) throw new Error(`${s.name}: no field ${name}`);
  }
  for (const [name, type, off] of s.fields) {
    const v = values[name] ?? 0;
    if (type === "u8") dv.setUint8(off, v);
    else if (type === "u16") dv.setUint16(off, v, true);
    else if (type === "u32") dv.setUint32(off, v >>> 0, true);
    else dv.setInt32(off, v, true);
  }
  return out;
}

export function decodeStruct(s: StructSchema, buf: Uint8Array, off = 0): Result<StructValue> {
  if (off < 0 || buf.length - off < s.size)
    return fail("truncated", `${s.name}: need ${s.size} bytes, have ${Math.max(0, buf.length - off)}`);
  const dv = new DataView(buf.buffer, buf.byteOffset + off, s.size);
  const v: StructValue = {};
  for (const [name, type, o] of s.fields) {
    v[name] =
      type === "u8"
        ? dv.getUint8(o)
        : type === "u16"
          ? dv.getUint16(o, true)
          : type === "u32"
            ? dv.getUint32(o, true)
            : dv.getInt32(o, true);
  }
  return ok(v);
}

// ---------------------------------------------------------------- attributes

/**
 * - u8/u16/u32/s32/u64: host-order integers of exactly that size
 * - be16: a 16-bit integer in network byte order (IPVS ports)
 * - string: encoded with a trailing NUL (NLA_NUL_STRING, as iproute2 sends names), decoded up to the first NUL
 * - rawstring: encoded without a NUL (as iproute2 sends IFLA_INFO_KIND)
 * - binary: bytes as they are (addresses, MACs)
 * - nested: a nested attribute list; with `nested` it decodes by that schema, without it stays bytes
 * - flag: no payload
 */
export type AttrKind =
  | "u8"
  | "u16"
  | "be16"
  | "u32"
  | "s32"
  | "u64"
  | "string"
  | "rawstring"
  | "binary"
  | "nested"
  | "flag";
export interface AttrSpec {
  readonly type: number;
  readonly kind: AttrKind;
  readonly nested?: AttrSchema;
  /** binary attributes: accepted payload sizes when decoding (anything else is bad-attribute) */
  readonly sizes?: readonly number[];
  /** bits ORed into the type when encoding (NLA_F_NESTED, which generic netlink families such as IPVS expect) */
  readonly flags?: number;
}
export interface AttrSchema {
  readonly name: string;
  readonly attrs: Readonly<Record<string, AttrSpec>>;
}

export type AttrValue = number | bigint | string | Uint8Array | boolean | AttrList | DecodedAttrs;
/** attributes to encode, in wire order */
export type AttrList = readonly (readonly [name: string, value: AttrValue])[];
export interface DecodedAttrs {
  [name: string]: AttrValue | undefined;
}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: false });

function attrPayload(schema: AttrSchema, name: string, spec: AttrSpec, v: AttrValue): Uint8Array {
  const where = `${schema.name}.${name}`;
  const int = (size: number, set: (dv: DataView, n: number) => void): Uint8Array => {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`${where}: expected an integer`);
    const b = new Uint8Array(size);
    set(new DataView(b.buffer), v);
    return b;
  };
  switch (spec.kind) {
    case "u8":
      return int(1, (dv, n) => dv.setUint8(0, n));
    case "u16":
      return int(2, (dv, n) => dv.setUint16(0, n, true));
    case "be16":
      return int(2, (dv, n) => dv.setUint16(0, n, false));
    case "u32":
      return int(4, (dv, n) => dv.setUint32(0, n >>> 0, true));
    case "s32":
      return int(4, (dv, n) => dv.setInt32(0, n, true));
    case "u64": {
      if (typeof v !== "bigint") throw new Error(`${where}: expected a bigint`);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      return b;
    }
    case "string":
    case "rawstring": {
      if (typeof v !== "string") throw new Error(`${where}: expected a string`);
      const s = te.encode(v);
      if (spec.kind === "rawstring") return s;
      const b = new Uint8Array(s.length + 1);
      b.set(s);
      return b;
    }
    case "binary":
      if (!(v instanceof Uint8Array)) throw new Error(`${where}: expected bytes`);
      return v;
    case "flag":
      return new Uint8Array(0);
    case "nested":
      if (v instanceof Uint8Array) return v;
      if (!Array.isArray(v) || !spec.nested) throw new Error(`${where}: expected a nested attribute list`);
      return encodeAttrs(spec.nested, v as AttrList);
  }
}

/** Encode attributes in the order given; each is padded to 4 bytes (the last one too, as the kernel and iproute2 do). */
export function encodeAttrs(schema: AttrSchema, list: AttrList): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const [name, v] of list) {
    const spec = schema.attrs[name];
    if (!spec) throw new Error(`${schema.name}: no attribute ${name}`);
    const payload = attrPayload(schema, name, spec, v);
    const len = NLA_HDRLEN + payload.length;
    if (len > 0xffff) throw new Error(`${schema.name}.${name}: attribute too long (${len})`);
    const a = new Uint8Array(align4(len));
    const dv = new DataView(a.buffer);
    dv.setUint16(0, len, true);
    dv.setUint16(2, spec.type | (spec.flags ?? 0), true);
    a.set(payload, NLA_HDRLEN);
    parts.push(a);
    total += a.length;
  }
  return concat(parts, total);
}

/** One raw attribute as found on the wire. */
export interface RawAttr {
  type: number;
  payload: Uint8Array;
}

/** Split a TLV area into attributes (the type without the NESTED/BYTEORDER bits). */
export function splitAttrs(buf: Uint8Array, where: string): Result<RawAttr[]> {
  const out: RawAttr[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLA_HDRLEN)
      return fail("truncated", `${where}: ${buf.length - off} stray bytes after the attributes`);
    const len = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN) return fail("bad-length", `${where}: attribute ${type} has length ${len}`);
    if (off + len > buf.length)
      return fail(
        "truncated",
        `${where}: attribute ${type} (${len} bytes) runs past the end (${buf.length - off} left)`,
      );
    out.push({ type, payload: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return ok(out);
}

function decodeValue(schema: AttrSchema, name: string, spec: AttrSpec, p: Uint8Array): Result<AttrValue> {
  const where = `${schema.name}.${name}`;
  const need = (n: number): DecodeError | undefined =>
    p.length === n ? undefined : { code: "bad-attribute", message: `${where}: expected ${n} bytes, got ${p.length}` };
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let e: DecodeError | undefined;
  switch (spec.kind) {
    case "u8":
      e = need(1);
      return e ? { ok: false, error: e } : ok(dv.getUint8(0));
    case "u16":
      e = need(2);
      return e ? { ok: false, error: e } : ok(dv.getUint16(0, true));
    case "be16":
      e = need(2);
      return e ? { ok: false, error: e } : ok(dv.getUint16(0, false));
    case "u32":
      e = need(4);
      return e ? { ok: false, error: e } : ok(dv.getUint32(0, true));
    case "s32":
      e = need(4);
      return e ? { ok: false, error: e } : ok(dv.getInt32(0, true));
    case "u64":
      e = need(8);
      return e ? { ok: false, error: e } : ok(dv.getBigUint64(0, true));
    case "string":
    case "rawstring": {
      const nul = p.indexOf(0);
      return ok(td.decode(nul < 0 ? p : p.subarray(0, nul)));
    }
    case "binary":
      if (spec.sizes && !spec.sizes.includes(p.length))
        return fail("bad-attribute", `${where}: ${p.length} bytes (expected ${spec.sizes.join(" or ")})`);
      return ok(p.slice());
    case "flag":
      return ok(true);
    case "nested":
      return spec.nested ? decodeAttrs(spec.nested, p) : ok(p.slice());
  }
}

/** Decode a TLV area by schema. Unknown attribute types are skipped; a repeated attribute keeps its last value. */
export function decodeAttrs(schema: AttrSchema, buf: Uint8Array): Result<DecodedAttrs> {
  const raw = splitAttrs(buf, schema.name);
  if (!raw.ok) return raw;
  const byType = typeIndex(schema);
  const out: DecodedAttrs = {};
  for (const a of raw.value) {
    const hit = byType.get(a.type);
    if (!hit) continue;
    const v = decodeValue(schema, hit[0], hit[1], a.payload);
    if (!v.ok) return v;
    out[hit[0]] = v.value;
  }
  return ok(out);
}

const typeIndexes = new WeakMap<AttrSchema, Map<number, [string, AttrSpec]>>();
function typeIndex(schema: AttrSchema): Map<number, [string, AttrSpec]> {
  let m = typeIndexes.get(schema);
  if (!m) {
    m = new Map();
    for (const [name, spec] of Object.entries(schema.attrs)) m.set(spec.type, [name, spec]);
    typeIndexes.set(schema, m);
  }
  return m;
}

// ---------------------------------------------------------------- messages

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}
export interface NlMessage extends NlHeader {
  /** nlmsg_len as sent */
  len: number;
  /** the bytes after the 16-byte header, up to nlmsg_len */
  payload: Uint8Array;
}

/** One netlink message: header + body parts (each part must already be 4-byte aligned, as every rtnetlink family header is). */
export function encodeMessage(h: NlHeader, ...body: Uint8Array[]): Uint8Array {
  const bodyLen = body.reduce((n, b) => n + b.length, 0);
  const len = NLMSG_HDRLEN + bodyLen;
  const out = new Uint8Array(align4(len));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, h.type, true);
  dv.setUint16(6, h.flags, true);
  dv.setUint32(8, h.seq >>> 0, true);
  dv.setUint32(12, h.pid >>> 0, true);
  let off = NLMSG_HDRLEN;
  for (const b of body) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

export function decodeHeader(buf: Uint8Array, off = 0): Result<NlHeader & { len: number }> {
  if (buf.length - off < NLMSG_HDRLEN)
    return fail("truncated", `nlmsghdr: need 16 bytes, have ${Math.max(0, buf.length - off)}`);
  const dv = new DataView(buf.buffer, buf.byteOffset + off, NLMSG_HDRLEN);
  return ok({
    len: dv.getUint32(0, true),
    type: dv.getUint16(4, true),
    flags: dv.getUint16(6, true),
    seq: dv.getUint32(8, true),
    pid: dv.getUint32(12, true),
  });
}

/** Split one datagram into messages (NLMSG_OK / NLMSG_NEXT). */
export function parseMessages(buf: Uint8Array): Result<NlMessage[]> {
  const out: NlMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    const h = decodeHeader(buf, off);
    if (!h.ok) return h;
    const { len } = h.value;
    if (len < NLMSG_HDRLEN)
      return fail("bad-length", `nlmsghdr at ${off}: nlmsg_len ${len} is shorter than the header`);
    if (len > buf.length - off)
      return fail("truncated", `nlmsghdr at ${off}: nlmsg_len ${len} but only ${buf.length - off} bytes left`);
    out.push({ ...h.value, payload: buf.subarray(off + NLMSG_HDRLEN, off + len) });
    off += align4(len);
  }
  return ok(out);
}

export function concat(parts: readonly Uint8Array[], total = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- ACKs (NLMSG_ERROR)

export interface NlAck {
  /** positive errno, 0 for a plain ACK */
  errno: number;
  /** the header of the request this answers (echoed by the kernel) */
  request: NlHeader & { len: number };
  /** NLMSGERR_ATTR_MSG: the kernel's extended-ACK text */
  extack?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request */
  extackOffset?: number;
  /** NLMSGERR_ATTR_MISS_TYPE: the attribute the kernel wanted and did not get */
  missingType?: number;
}

const NLMSGERR_ATTRS: AttrSchema = {
  name: "nlmsgerr",
  attrs: {
    msg: { type: NLMSGERR_ATTR_MSG, kind: "string" },
    offset: { type: NLMSGERR_ATTR_OFFS, kind: "u32" },
    missType: { type: NLMSGERR_ATTR_MISS_TYPE, kind: "u32" },
  },
};

/**
 * struct nlmsgerr { int error; struct nlmsghdr msg; } then, unless NLM_F_CAPPED, the rest
 * of the request; then, with NLM_F_ACK_TLVS, the nlmsgerr_attrs TLVs.
 */
export function decodeAck(m: NlMessage): Result<NlAck> {
  if (m.type !== NLMSG_ERROR) return fail("bad-message", `expected NLMSG_ERROR, got type ${m.type}`);
  const p = m.payload;
  if (p.length < 4 + NLMSG_HDRLEN)
    return fail("truncated", `nlmsgerr: need ${4 + NLMSG_HDRLEN} bytes, have ${p.length}`);
  const err = new DataView(p.buffer, p.byteOffset, 4).getInt32(0, true);
  if (err > 0) return fail("bad-message", `nlmsgerr: positive error ${err}`);
  const req = decodeHeader(p, 4);
  if (!req.ok) return req;
  const ack: NlAck = { errno: err === 0 ? 0 : -err, request: req.value };
  if (!(m.flags & NLM_F_ACK_TLVS)) return ok(ack);
  const echoed = m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(req.value.len);
  if (echoed < NLMSG_HDRLEN) return fail("bad-length", `nlmsgerr: echoed request length ${req.value.len}`);
  const tlvStart = 4 + echoed;
  if (tlvStart > p.length)
    return fail("truncated", `nlmsgerr: echoed request (${echoed} bytes) runs past the end (${p.length - 4})`);
  const tlv = decodeAttrs(NLMSGERR_ATTRS, p.subarray(tlvStart));
  if (!tlv.ok) return tlv;
  const t = tlv.value;
  if (typeof t.msg === "string" && t.msg !== "") ack.extack = t.msg;
  if (typeof t.offset === "number") ack.extackOffset = t.offset;
  if (typeof t.missType === "number") ack.missingType = t.missType;
  return ok(ack);
}
