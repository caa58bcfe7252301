/**
 * Address helpers for the LVS tables: families, canonical forms, and the address
 * ranges of virtual_server_group (keepalived check_data.c alloc_vsg_entry and
 * lib/utils.c inet_stor).
 */
import {
  formatIpv4,
  formatIpv6,
  ipv4ToNumber,
  isIP,
  numberToIpv4,
  parseIpv4,
  parseIpv6,
  withoutZone,
} from "../../base/ip";

export type Family = 4 | 6;

export function familyOf(ip: string): Family | undefined {
  const f = isIP(ip);
  return f === 4 || f === 6 ? f : undefined;
}

/** The eight 16-bit groups of an IPv6 address (which must be valid; a zone is ignored). */
function v6Groups(ip: string): number[] {
  const b = parseIpv6(withoutZone(ip)) ?? new Uint8Array(16);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  return g;
}

/** RFC 5952 / inet_ntop text of eight groups. */
function v6Format(groups: number[]): string {
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return formatIpv6(b);
}

function v4Number(ip: string): number {
  const b = parseIpv4(ip);
  return b ? ipv4ToNumber(b) : 0;
}

function v4Format(n: number): string {
  return formatIpv4(numberToIpv4(n));
}

/** Canonical text of a valid address (so `::1` and `0::1` compare equal). */
export function canonicalIp(ip: string): string {
  const f = familyOf(ip);
  if (f === 6) return v6Format(v6Groups(ip));
  if (f === 4) return v4Format(v4Number(ip));
  return ip;
}

/** Compare two addresses of the same family: <0, 0, >0. */
function compare(a: string, b: string): number {
  if (familyOf(a) === 4) return v4Number(a) - v4Number(b);
  const x = v6Groups(a);
  const y = v6Groups(b);
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return 0;
}

export type RangeResult = { ok: true; first: string; last: string; family: Family } | { ok: false; message: string };

/**
 * `A.B.C.D`, `A.B.C.D-E` (last octet), `A.B.C.D-E.F.G.H`, `A.B.C.D/N` and the IPv6
 * equivalents (`-XXXX` replaces the last group, hex). As in keepalived, a short range end
 * must be greater than the start, a full one must not be less, and a prefix must have
 * no host bits set.
 */
export function parseRange(text: string): RangeResult {
  const slash = text.indexOf("/");
  const dash = text.indexOf("-");
  const cut = slash >= 0 ? slash : dash;
  const start = cut >= 0 ? text.slice(0, cut) : text;
  const family = familyOf(start);
  if (!family) return { ok: false, message: `'${start}' is not an IP address` };
  const first = canonicalIp(start);
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    const bits = family === 4 ? 32 : 128;
    if (!/^\d+$/.test(p) || Number(p) === 0 || Number(p) > bits)
      return { ok: false, message: `invalid prefix length '/${p}' (must be 1..${bits})` };
    const prefix = Number(p);
    if (family === 4) {
      const host = 2 ** (32 - prefix);
      const n = v4Number(start);
      if (n % host !== 0) return { ok: false, message: `'${text}' has host bits set after the /${prefix} mask` };
      return { ok: true, first, last: v4Format(n + host - 1), family };
    }
    const g = v6Groups(start);
    const last = g.slice();
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(16, prefix - i * 16));
      const hostMask = keep >= 16 ? 0 : 0xffff >> keep;
      if (((g[i] as number) & hostMask) !== 0)
        return { ok: false, message: `'${text}' has host bits set after the /${prefix} mask` };
      last[i] = (g[i] as number) | hostMask;
    }
    return { ok: true, first, last: v6Format(last), family };
  }
  if (dash < 0) return { ok: true, first, last: first, family };
  const endText = text.slice(dash + 1);
  if ((family === 4 && endText.includes(".")) || (family === 6 && endText.includes(":"))) {
    const endFamily = familyOf(endText);
    if (!endFamily) return { ok: false, message: `invalid range end '${endText}'` };
    if (endFamily !== family) return { ok: false, message: `range '${text}' mixes address families` };
    if (compare(endText, start) < 0)
      return { ok: false, message: `range end ${endText} is less than range start ${start}` };
    return { ok: true, first, last: canonicalIp(endText), family };
  }
  const re = family === 4 ? /^\d+$/ : /^[0-9a-fA-F]+$/;
  if (!re.test(endText)) return { ok: false, message: `invalid range end '${endText}'` };
  const end = Number.parseInt(endText, family === 4 ? 10 : 16);
  if (end > (family === 4 ? 255 : 0xffff))
    return { ok: false, message: `range end '${endText}' is too large (max ${family === 4 ? 255 : "ffff"})` };
  if (family === 4) {
    const n = v4Number(start);
    if (n % 256 >= end)
      return { ok: false, message: `range end ${end} is not greater than the start's last octet ${n % 256}` };
    return { ok: true, first, last: v4Format(n - (n % 256) + end), family };
  }
  const g = v6Groups(start);
  if ((g[7] as number) >= end)
    return {
      ok: false,
      message: `range end ${endText} is not greater than the start's last group ${(g[7] as number).toString(16)}`,
    };
  g[7] = end;
  return { ok: true, first, last: v6Format(g), family };
}

/** The text keepalived.conf uses for a range from the model. */
export function formatRange(first: string, last: string): string {
  return first === last ? first : `${first}-${last}`;
}
