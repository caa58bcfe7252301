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

/** Lists longer than this get a Set; shorter ones are searched in order. */
const SMALL = 8;

/**
 * A fixed set of address texts (an instance's VIPs, its unicast peers), asked per advert
 * with has(). A short list is the array itself, searched in order: a Set's hash table is
 * ~300 bytes even for one entry, and nearly every instance has one VIP and at most a peer
 * or two (heap snapshots, bench/RESULTS.md "Memory per instance": ~800 bytes an instance
 * with the driver's devOf Map; issue 20). A long list (1,000 VIPs) keeps a Set.
 */
export class AddressKeys {
  /** the distinct addresses, in the order given */
  readonly list: readonly string[];
  private readonly set: Set<string> | undefined;

  constructor(keys: readonly string[]) {
    const set = new Set(keys);
    this.list = [...set];
    this.set = set.size > SMALL ? set : undefined;
  }

  get size(): number {
    return this.list.length;
  }

  has(key: string): boolean {
    if (this.set !== undefined) return this.set.has(key);
    const l = this.list;
    for (let i = 0; i < l.length; i++) if (l[i] === key) return true;
    return false;
  }
}
