/**
 * IP address text <-> bytes for netlink attributes. Same rules as src/vrrp/addr.ts
 * (inet_pton(3) parsing, RFC 5952 / glibc inet_ntop(3) text), kept as a copy because
 * native-bindings/ is the bottom layer and must not import from src/ (DESIGN.md
 * "Layers"); node:net only answers isIP(). Pure functions.
 */

export function parseIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseIpv4Into(text, out) ? out : undefined;
}

function parseIpv4Into(text: string, out: Uint8Array): boolean {
  let part = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return false;
      val = val * 10 + (c - 48);
      if (val > 255) return false;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[part++] = val;
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const out = new Uint8Array(16);
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (text.startsWith("::")) {
    gap = 0;
    i = 2;
    if (i === text.length) return out;
  } else if (text[0] === ":") {
    return undefined;
  }
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    const end = colon < 0 ? text.length : colon;
    const piece = text.slice(i, end);
    if (colon < 0 && piece.includes(".")) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4Into(piece, v4)) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      break;
    }
    if (piece.length < 1 || piece.length > 4 || !/^[0-9a-fA-F]+$/.test(piece)) return undefined;
    groups.push(Number.parseInt(piece, 16));
    if (colon < 0) break;
    i = colon + 1;
    if (text[i] === ":") {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i++;
      if (i === text.length) break;
    } else if (i === text.length) {
      return undefined;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const fill = gap < 0 ? 0 : 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    const v = gap >= 0 && k >= gap && k < gap + fill ? 0 : groups[g++]!;
    out[2 * k] = v >> 8;
    out[2 * k + 1] = v & 0xff;
  }
  return out;
}

/** Text of `family` to bytes, or undefined when it is not an address of that family. */
export function parseAddress(family: 4 | 6, text: string): Uint8Array | undefined {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

export function formatIpv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let k = 0; k < 8; k++) w.push((b[2 * k]! << 8) | b[2 * k + 1]!);
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
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += formatIpv4(b.subarray(12));
      break;
    }
    s += w[k]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ":";
  return s;
}

/** 4 or 16 bytes to text; undefined for any other length. */
export function formatAddress(b: Uint8Array): string | undefined {
  return b.length === 4 ? formatIpv4(b) : b.length === 16 ? formatIpv6(b) : undefined;
}
