/**
 * The text of an address read from a packet, without making a new string per packet:
 * the engine compares addresses as text (inet_ntop form), and formatting a source,
 * a destination and each VIP of every advert was most of the receive path's garbage
 * (bench/runtime/advert-alloc.ts; issue 20: every allocation arms the collector's timers).
 * A small table per family remembers the last text made for each address; a peer that
 * sends from many addresses only makes the table start over (bounded, never wrong).
 */
import { formatIpv4, formatIpv6 } from "../base/ip";

/**
 * Entries per family before the table starts over: above the addresses a large
 * configuration hears (1,000 instances' VIPs, sources and groups), so a steady daemon
 * never refills it; ~0.5 MB at worst, and only for addresses actually heard.
 */
const LIMIT = 8192;
const v4 = new Map<number, string>();

/** `b[off..off+4]` as dotted quad text; the same string object for the same address. */
export function ipv4Text(b: Uint8Array, off: number): string {
  const key = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  const hit = v4.get(key);
  if (hit !== undefined) return hit;
  if (v4.size >= LIMIT) v4.clear();
  const text = formatIpv4(b, off);
  v4.set(key, text);
  return text;
}

interface V6Entry {
  bytes: Uint8Array;
  text: string;
}
const v6 = new Map<number, V6Entry>();

/** `b[off..off+16]` as RFC 5952 text; the same string object for the same address. */
export function ipv6Text(b: Uint8Array, off: number): string {
  // FNV-1a over the 16 bytes picks the slot; the bytes themselves decide a hit
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[off + i]!, 0x01000193);
  const hit = v6.get(h);
  if (hit !== undefined) {
    let same = true;
    for (let i = 0; i < 16 && same; i++) same = hit.bytes[i] === b[off + i];
    if (same) return hit.text;
  }
  if (v6.size >= LIMIT) v6.clear();
  const text = formatIpv6(b, off);
  v6.set(h, { bytes: b.slice(off, off + 16), text });
  return text;
}
