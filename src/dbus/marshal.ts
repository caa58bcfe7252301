/**
 * The D-Bus wire format (D-Bus Specification, "Message Protocol"): type signatures, the
 * marshalling of values and whole messages, pure. Written rather than taken from npm:
 * dbus-next (the maintained-looking pure-JS client) had its last release in 2021, pulls
 * in xml2js, jsbi and optional native socket modules, and a keel helper cannot install
 * into the shared node_modules; keel needs only a small, checkable subset (one service,
 * no fd passing), and decoders of bytes from a socket here never throw.
 *
 * Rules kept here:
 * - every value is aligned to its type's natural boundary (1, 2, 4 or 8 bytes) counted
 *   from the start of the message; structs and dict entries to 8
 * - a string is a u32 length, UTF-8 bytes and a NUL; a signature a u8 length and a NUL
 * - an array is a u32 byte length (padding after it not counted), then its elements
 *   aligned to the element type
 * - signatures: at most 255 bytes, 32 levels of arrays and 32 of structs; a dict entry
 *   `{kv}` only inside an array, with a basic type as key
 * - a message is the fixed 12 bytes, the header field array `a(yv)`, padding to 8, the
 *   body; at most 128 MiB (keel takes far less: MAX_MESSAGE)
 */

/** A value on the wire. Struct: an array of its fields; dict: an array of [key, value]. */
export type Value = string | number | bigint | boolean | Variant | Value[];
export interface Variant {
  sig: string;
  value: Value;
}

/** keel refuses larger messages: its own calls and answers are a few kilobytes. */
export const MAX_MESSAGE = 1 << 20;
const MAX_DEPTH = 32;

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const BASIC = "ybnqiuxtdsogh";
const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  "(": 8,
  "{": 8,
  v: 1,
};

/** The end (exclusive) of the single complete type starting at `i`, or an error. */
function completeTypeEnd(sig: string, i: number, arrays: number, structs: number): number | string {
  const c = sig[i];
  if (c === undefined) return "signature ends inside a type";
  if (BASIC.includes(c) || c === "v") return i + 1;
  if (c === "a") {
    if (arrays >= MAX_DEPTH) return "arrays nested deeper than 32";
    if (sig[i + 1] === "{") {
      const k = sig[i + 2];
      if (k === undefined || !BASIC.includes(k)) return "a dict entry's key must be a basic type";
      const vEnd = completeTypeEnd(sig, i + 3, arrays + 1, structs + 1);
      if (typeof vEnd === "string") return vEnd;
      if (sig[vEnd] !== "}") return "a dict entry has exactly two types";
      return vEnd + 1;
    }
    return completeTypeEnd(sig, i + 1, arrays + 1, structs);
  }
  if (c === "(") {
    if (structs >= MAX_DEPTH) return "structs nested deeper than 32";
    let j = i + 1;
    if (sig[j] === ")") return "empty struct";
    while (sig[j] !== ")") {
      const e = completeTypeEnd(sig, j, arrays, structs + 1);
      if (typeof e === "string") return e;
      j = e;
    }
    return j + 1;
  }
  return `unexpected '${c}' in signature`;
}

/** A signature's complete types ("sa{sv}" → ["s", "a{sv}"]). */
export function splitSignature(sig: string): Result<string[]> {
  if (sig.length > 255) return { ok: false, error: "signature longer than 255" };
  const out: string[] = [];
  let i = 0;
  while (i < sig.length) {
    const e = completeTypeEnd(sig, i, 0, 0);
    if (typeof e === "string") return { ok: false, error: `signature '${sig}': ${e}` };
    out.push(sig.slice(i, e));
    i = e;
  }
  return { ok: true, value: out };
}

/** A struct's field types ("(us)" → ["u", "s"]); the signature is already valid. */
function fieldTypes(inner: string): string[] {
  const r = splitSignature(inner);
  return r.ok ? r.value : [];
}

// ---------------------------------------------------------------------------
// writing

const enc = new TextEncoder();

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u32At(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  num(type: string, v: number | bigint): void {
    this.align(ALIGN[type] ?? 1);
    const size =
      type === "y" ? 1 : type === "n" || type === "q" ? 2 : type === "x" || type === "t" || type === "d" ? 8 : 4;
    this.room(size);
    const at = this.length;
    const d = this.view;
    switch (type) {
      case "y":
        d.setUint8(at, Number(v));
        break;
      case "n":
        d.setInt16(at, Number(v), true);
        break;
      case "q":
        d.setUint16(at, Number(v), true);
        break;
      case "i":
        d.setInt32(at, Number(v), true);
        break;
      case "x":
        d.setBigInt64(at, BigInt(v), true);
        break;
      case "t":
        d.setBigUint64(at, BigInt(v), true);
        break;
      case "d":
        d.setFloat64(at, Number(v), true);
        break;
      default:
        d.setUint32(at, Number(v), true);
    }
    this.length += size;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeValue(w: Writer, type: string, v: Value): void {
  const c = type[0];
  switch (c) {
    case "s":
    case "o": {
      const b = enc.encode(String(v));
      w.num("u", b.length);
      w.bytes(b);
      w.u8(0);
      return;
    }
    case "g": {
      const b = enc.encode(String(v));
      w.u8(b.length);
      w.bytes(b);
      w.u8(0);
      return;
    }
    case "b":
      w.num("u", v ? 1 : 0);
      return;
    case "v": {
      const variant = v as Variant;
      writeValue(w, "g", variant.sig);
      writeValue(w, variant.sig, variant.value);
      return;
    }
    case "a": {
      const elem = type.slice(1);
      w.align(4);
      const lenAt = w.length;
      w.num("u", 0);
      w.align(ALIGN[elem[0] as string] ?? 1);
      const start = w.length;
      for (const e of v as Value[]) writeValue(w, elem, e);
      w.u32At(lenAt, w.length - start);
      return;
    }
    case "(":
    case "{": {
      w.align(8);
      const types = fieldTypes(type.slice(1, -1));
      const fields = v as Value[];
      types.forEach((t, k) => writeValue(w, t, fields[k] as Value));
      return;
    }
    default:
      w.num(c as string, v as number | bigint);
  }
}

/** Values of a signature's types, marshalled from offset 0 (a body starts 8-aligned). */
export function marshal(sig: string, values: readonly Value[]): Uint8Array {
  const w = new Writer();
  const types = fieldTypes(sig);
  types.forEach((t, k) => writeValue(w, t, values[k] as Value));
  return w.done();
}

// ---------------------------------------------------------------------------
// reading

const dec = new TextDecoder("utf-8", { fatal: true });

class Bad extends Error {}

class Reader {
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly le: boolean,
    private readonly end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.need(pad);
    for (let k = 0; k < pad; k++) if (this.buf[this.pos + k] !== 0) throw new Bad("non-zero padding");
    this.pos += pad;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new Bad("message ends inside a value");
  }

  num(type: string): number | bigint {
    this.align(ALIGN[type] ?? 1);
    const d = this.view;
    const at = this.pos;
    const le = this.le;
    const size =
      type === "y" ? 1 : type === "n" || type === "q" ? 2 : type === "x" || type === "t" || type === "d" ? 8 : 4;
    this.need(size);
    this.pos += size;
    switch (type) {
      case "y":
        return d.getUint8(at);
      case "n":
        return d.getInt16(at, le);
      case "q":
        return d.getUint16(at, le);
      case "i":
        return d.getInt32(at, le);
      case "x":
        return d.getBigInt64(at, le);
      case "t":
        return d.getBigUint64(at, le);
      case "d":
        return d.getFloat64(at, le);
      default:
        return d.getUint32(at, le);
    }
  }

  text(len: number): string {
    this.need(len + 1);
    if (this.buf[this.pos + len] !== 0) throw new Bad("string without its NUL");
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    if (bytes.includes(0)) throw new Bad("NUL inside a string");
    let s: string;
    try {
      s = dec.decode(bytes);
    } catch {
      throw new Bad("string is not UTF-8");
    }
    this.pos += len + 1;
    return s;
  }
}

function readValue(r: Reader, type: string, depth: number): Value {
  if (depth > 64) throw new Bad("values nested deeper than 64");
  const c = type[0];
  switch (c) {
    case "s":
      return r.text(r.num("u") as number);
    case "o": {
      const p = r.text(r.num("u") as number);
      if (!validPath(p)) throw new Bad(`'${p}' is not an object path`);
      return p;
    }
    case "g": {
      const s = r.text(r.num("y") as number);
      if (!splitSignature(s).ok) throw new Bad(`'${s}' is not a signature`);
      return s;
    }
    case "b": {
      const b = r.num("u");
      if (b !== 0 && b !== 1) throw new Bad("boolean other than 0 or 1");
      return b === 1;
    }
    case "v": {
      const sig = readValue(r, "g", depth) as string;
      const parts = splitSignature(sig);
      if (!parts.ok || parts.value.length !== 1) throw new Bad(`variant signature '${sig}' is not one type`);
      return { sig, value: readValue(r, sig, depth + 1) };
    }
    case "a": {
      const len = r.num("u") as number;
      if (len > 1 << 26) throw new Bad("array longer than 64 MiB");
      const elem = type.slice(1);
      r.align(ALIGN[elem[0] as string] ?? 1);
      const end = r.pos + len;
      r.need(len);
      const out: Value[] = [];
      while (r.pos < end) out.push(readValue(r, elem, depth + 1));
      if (r.pos !== end) throw new Bad("array elements overrun its length");
      return out;
    }
    case "(":
    case "{": {
      r.align(8);
      return fieldTypes(type.slice(1, -1)).map((t) => readValue(r, t, depth + 1));
    }
    default:
      return r.num(c as string);
  }
}

/** The body's values, from a body that starts 8-aligned. Never throws. */
export function unmarshal(sig: string, body: Uint8Array, littleEndian = true): Result<Value[]> {
  const types = splitSignature(sig);
  if (!types.ok) return types;
  const r = new Reader(body, 0, littleEndian);
  try {
    const values = types.value.map((t) => readValue(r, t, 0));
    if (r.pos !== body.length) return { ok: false, error: `${body.length - r.pos} bytes after the body's values` };
    return { ok: true, value: values };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    throw e;
  }
}

/** An object path: "/" or "/" and elements of [A-Za-z0-9_], no empty element, no trailing "/". */
export function validPath(p: string): boolean {
  return p === "/" || /^(\/[A-Za-z0-9_]+)+$/.test(p);
}

// ---------------------------------------------------------------------------
// messages

export const MessageType = { call: 1, return: 2, error: 3, signal: 4 } as const;
export type MessageKind = keyof typeof MessageType;
/** flags: the caller wants no answer */
export const NO_REPLY_EXPECTED = 0x1;

export interface Message {
  type: MessageKind;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: Value[];
}

const FIELDS: [keyof Message, number, string][] = [
  ["path", 1, "o"],
  ["interface", 2, "s"],
  ["member", 3, "s"],
  ["errorName", 4, "s"],
  ["replySerial", 5, "u"],
  ["destination", 6, "s"],
  ["sender", 7, "s"],
];

/** A whole message, little-endian. */
export function encodeMessage(m: Message): Uint8Array {
  const body = marshal(m.signature, m.body);
  const fields: Value[] = [];
  for (const [key, code, sig] of FIELDS) {
    const v = m[key];
    if (v !== undefined) fields.push([code, { sig, value: v as Value }]);
  }
  if (m.signature !== "") fields.push([8, { sig: "g", value: m.signature }]);
  const head = marshal("yyyyuua(yv)", [
    "l".charCodeAt(0),
    MessageType[m.type],
    m.flags,
    1,
    body.length,
    m.serial,
    fields,
  ]);
  const pad = (8 - (head.length % 8)) % 8;
  const out = new Uint8Array(head.length + pad + body.length);
  out.set(head, 0);
  out.set(body, head.length + pad);
  return out;
}

/**
 * How many bytes the message at the start of `buf` takes: 0 while fewer than 16 bytes
 * have come (not yet known), an error when the fixed header is impossible (the stream
 * cannot be resynchronised after that).
 */
export function messageLength(buf: Uint8Array): Result<number> {
  if (buf.length < 16) return { ok: true, value: 0 };
  const e = buf[0];
  if (e !== 0x6c && e !== 0x42) return { ok: false, error: `byte order mark 0x${(e ?? 0).toString(16)}` };
  if (buf[3] !== 1) return { ok: false, error: `protocol version ${buf[3]}` };
  const v = new DataView(buf.buffer, buf.byteOffset, 16);
  const le = e === 0x6c;
  const bodyLen = v.getUint32(4, le);
  const fieldsLen = v.getUint32(12, le);
  const total = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8) + bodyLen;
  if (total > MAX_MESSAGE) return { ok: false, error: `message of ${total} bytes (keel takes ${MAX_MESSAGE})` };
  return { ok: true, value: total };
}

const KINDS: Record<number, MessageKind> = { 1: "call", 2: "return", 3: "error", 4: "signal" };

/**
 * One whole message (exactly messageLength bytes). Never throws. A message whose header
 * is readable but whose body is not comes back with `header` so that a call can still be
 * answered with an error.
 */
export function decodeMessage(
  buf: Uint8Array,
): { ok: true; value: Message } | { ok: false; error: string; header?: Omit<Message, "body"> } {
  const len = messageLength(buf);
  if (!len.ok) return len;
  if (len.value === 0 || len.value !== buf.length) return { ok: false, error: "not one whole message" };
  const le = buf[0] === 0x6c;
  const r = new Reader(buf, 0, le);
  let header: Omit<Message, "body">;
  try {
    const [, type, flags, , bodyLen, serial, fields] = [
      r.num("y"),
      r.num("y"),
      r.num("y"),
      r.num("y"),
      r.num("u"),
      r.num("u"),
      readValue(r, "a(yv)", 0),
    ] as [number, number, number, number, number, number, [number, Variant][]];
    const kind = KINDS[type];
    if (kind === undefined) return { ok: false, error: `message type ${type}` };
    if (serial === 0) return { ok: false, error: "serial 0" };
    header = { type: kind, flags, serial, signature: "" };
    for (const [code, v] of fields) {
      if (code === 8) {
        if (v.sig !== "g") return { ok: false, error: "SIGNATURE field is not a signature" };
        header.signature = v.value as string;
        continue;
      }
      const f = FIELDS.find((x) => x[1] === code);
      if (!f) continue; // unknown fields are ignored (the specification says so); UNIX_FDS too
      if (v.sig !== f[2]) return { ok: false, error: `header field ${code} has type '${v.sig}', not '${f[2]}'` };
      (header as unknown as Record<string, Value>)[f[0]] = v.value;
    }
    const missing = checkRequired(header);
    if (missing) return { ok: false, error: missing };
    r.align(8);
    if (buf.length - r.pos !== bodyLen) return { ok: false, error: "body length does not match" };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: `header: ${e.message}` };
    throw e;
  }
  const body = unmarshal(header.signature, buf.subarray(r.pos), le);
  if (!body.ok) return { ok: false, error: `body: ${body.error}`, header };
  return { ok: true, value: { ...header, body: body.value } };
}

/** The header fields each type of message must have (specification: "Message Types"). */
function checkRequired(h: Omit<Message, "body">): string | undefined {
  if (h.type === "call" && (h.path === undefined || h.member === undefined))
    return "method call without PATH or MEMBER";
  if (h.type === "signal" && (h.path === undefined || h.member === undefined || h.interface === undefined))
    return "signal without PATH, INTERFACE or MEMBER";
  if (h.type === "error" && (h.errorName === undefined || h.replySerial === undefined))
    return "error without ERROR_NAME or REPLY_SERIAL";
  if (h.type === "return" && h.replySerial === undefined) return "method return without REPLY_SERIAL";
  return undefined;
}
