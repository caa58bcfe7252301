/**
 * IP address text <-> bytes for every layer (after Go's net/netip). Parsing follows
 * inet_pton(3) (what keepalived uses: dotted quad without leading zeros, IPv6 with at most
 * one "::" and an optional trailing dotted quad, no zone id); formatting follows glibc's
 * inet_ntop(3), i.e. RFC 5952 text (lower case, longest run of two or more zero groups as
 * "::", the first run on a tie) with glibc's mixed notation for ::ffff:a.b.c.d and
 * ::a.b.c.d, so addresses read the same as in keepalived's logs.
 *
 * Hand-written because node:net only answers isIP(); it neither parses to bytes nor
 * canonicalises. src/base/ imports nothing (DESIGN.md "Layers"): pure functions.
 */

/** Dotted-quad text to 4 bytes, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseIpv4Into(text, out, 0) ? out : undefined;
}

function parseIpv4Into(text: string, out: Uint8Array, off: number): boolean {
  let part = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // virtual trailing '.'
    if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return false; // leading zero, as inet_pton
      val = val * 10 + (c - 48);
      if (val > 255) return false;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[off + part++] = val;
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** IPv6 text to 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const out = new Uint8Array(16);
  const groups: number[] = [];
  let gap = -1; // index in groups where "::" stands
  let i = 0;
  if (text.startsWith("::")) {
    gap = 0;
    i = 2;
    if (i === text.length) return out;
  } else if (text[0] === ":") {
    return undefined;
  }
  while (i < text.length) {
    // a trailing dotted quad takes the last 32 bits
    const colon = text.indexOf(":", i);
    const end = colon < 0 ? text.length : colon;
    const piece = text.slice(i, end);
    if (colon < 0 && piece.includes(".")) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4Into(piece, v4, 0)) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      i = end;
      break;
    }
    if (piece.length < 1 || piece.length > 4 || !/^[0-9a-fA-F]+$/.test(piece)) return undefined;
    groups.push(Number.parseInt(piece, 16));
    if (colon < 0) {
      i = end;
      break;
    }
    i = colon + 1;
    if (text[i] === ":") {
      if (gap >= 0) return undefined; // a second "::"
      gap = groups.length;
      i++;
      if (i === text.length) break;
    } else if (i === text.length) {
      return undefined; // trailing single ':'
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const fill = gap < 0 ? 0 : 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v = 0;
    if (gap >= 0 && k >= gap && k < gap + fill) v = 0;
    else v = groups[g++]!;
    out[2 * k] = v >> 8;
    out[2 * k + 1] = v & 0xff;
  }
  return out;
}

/** Address text of either family. */
export function parseIp(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/** Text of `family` to bytes, or undefined when it is not an address of that family. */
export function parseAddress(family: 4 | 6, text: string): Uint8Array | undefined {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

/** 4 or 16 bytes to text; undefined for any other length. */
export function formatAddress(b: Uint8Array): string | undefined {
  return b.length === 4 ? formatIpv4(b) : b.length === 16 ? formatIpv6(b) : undefined;
}

export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function formatIpv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let k = 0; k < 8; k++) w.push((b[off + 2 * k]! << 8) | b[off + 2 * k + 1]!);
  // longest run of zero groups (length >= 2), first one on a tie
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && w[k] === 0) {
      if (curBase < 0) curBase = k;
    } else if (curBase >= 0) {
      if (k - curBase > bestLen) {
        bestBase = curBase;
        bestLen = k - curBase;
      }
      curBase = -1;
    }
  }
  if (bestLen < 2) bestBase = -1;
  let s = "";
  for (let k = 0; k < 8; k++) {
    if (bestBase >= 0 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) s += ":";
      continue;
    }
    if (k > 0) s += ":";
    // glibc: IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) end in a dotted quad
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += formatIpv4(b, off + 12);
      break;
    }
    s += w[k]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ":";
  return s;
}

/** Canonical text (as formatIpv4/formatIpv6 print it), or undefined when not an address. */
export function canonicalIp(text: string): string | undefined {
  const p = parseIp(text);
  if (!p) return undefined;
  return p.family === 4 ? formatIpv4(p.bytes) : formatIpv6(p.bytes);
}

/** 4 bytes (at `off`) as an unsigned 32-bit number, network order. */
export function ipv4ToNumber(b: Uint8Array, off = 0): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** An unsigned 32-bit number as 4 bytes, network order. */
export function numberToIpv4(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** IN_MULTICAST (224.0.0.0/4) or IN6_IS_ADDR_MULTICAST (ff00::/8), from the bytes. */
export function isMulticastBytes(b: Uint8Array): boolean {
  if (b.length === 4) return (b[0]! & 0xf0) === 0xe0;
  return b.length === 16 && b[0] === 0xff;
}

/** `text` without an IPv6 zone ("fe80::1%eth0" → "fe80::1"), as netip keeps the zone apart. */
export function withoutZone(text: string): string {
  const pct = text.indexOf("%");
  return pct >= 0 && text.includes(":") ? text.slice(0, pct) : text;
}

/** Is `text` (an IPv6 zone allowed) a multicast address of either family? False for anything not an address. */
export function isMulticast(text: string): boolean {
  const p = parseIp(withoutZone(text));
  return p !== undefined && isMulticastBytes(p.bytes);
}

/** IN6_IS_ADDR_MC_LINKLOCAL: ffX2::/16, link-local scope multicast. False for anything else. */
export function isLinkLocalMulticast6(text: string): boolean {
  const b = parseIpv6(withoutZone(text));
  return b !== undefined && b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
}

/** IN6_IS_ADDR_LINKLOCAL: fe80::/10. False for anything else. */
export function isLinkLocal6(text: string): boolean {
  const b = parseIpv6(withoutZone(text));
  return b !== undefined && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/**
 * node:net's isIP(): 4, 6 or 0 (an IPv6 zone id of [0-9A-Za-z.:-] allowed, as node's). Here
 * because node:net costs a compiled start 11–18 ms of CPU (issue 20) and the config's
 * keyword tables, read at every start, asked it only this.
 */
export function isIP(text: string): 0 | 4 | 6 {
  if (parseIpv4(text)) return 4;
  const pct = text.indexOf("%");
  if (pct < 0) return parseIpv6(text) ? 6 : 0;
  return /^[0-9A-Za-z.:-]+$/.test(text.slice(pct + 1)) && parseIpv6(text.slice(0, pct)) ? 6 : 0;
}
