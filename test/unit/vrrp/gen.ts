/**
 * Seeded generators for VRRP codec tests and bench/vrrp/codec.ts: random valid adverts,
 * random addresses, and mutations of valid packets. Deterministic for a given seed.
 */
import { formatIpv4, formatIpv6 } from "../../../src/base/ip";
import { mulberry32u } from "../../../src/base/random";
import type { Advert } from "../../../src/vrrp/packet";

export type Rng = {
  /** uniform integer in [0, 2^32) */
  u32(): number;
  /** uniform integer in [lo, hi] */
  int(lo: number, hi: number): number;
  bool(p?: number): boolean;
  bytes(n: number): Uint8Array;
  pick<T>(xs: readonly T[]): T;
};

/** mulberry32: small, fast, good enough for fuzzing; not for anything secret. */
export function rng(seed: number): Rng {
  const u32 = mulberry32u(seed);
  const int = (lo: number, hi: number) => lo + (u32() % (hi - lo + 1));
  return {
    u32,
    int,
    bool: (p = 0.5) => u32() / 2 ** 32 < p,
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = u32() & 0xff;
      return b;
    },
    pick: (xs) => xs[int(0, xs.length - 1)]!,
  };
}

export function randomAddress(r: Rng, family: 4 | 6): string {
  return family === 4 ? formatIpv4(r.bytes(4)) : formatIpv6(sparse(r, 16));
}

/** bytes with runs of zeros, so IPv6 text exercises "::" compression */
function sparse(r: Rng, n: number): Uint8Array {
  const b = r.bytes(n);
  for (let i = 0; i < n; i += 2) {
    if (r.bool(0.4)) {
      b[i] = 0;
      b[i + 1] = 0;
    }
  }
  return b;
}

export interface GeneratedAdvert {
  advert: Advert;
  src: string;
  dst: string;
  authPass?: string;
}

/** A random advert the encoder accepts, with addresses for the pseudo-header. */
export function randomAdvert(r: Rng, maxAddresses = 12): GeneratedAdvert {
  const version = r.pick([2, 3] as const);
  const family = r.pick([4, 6] as const);
  const n = r.bool(0.02) ? 255 : r.int(0, maxAddresses);
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) addresses.push(randomAddress(r, family));
  const authType = version === 2 ? r.int(0, 2) : 0;
  const advert: Advert = {
    version,
    type: 1,
    vrid: r.int(1, 255),
    priority: r.int(0, 255),
    family,
    advertIntCs: version === 2 ? r.int(1, 255) * 100 : r.int(1, 4095),
    authType,
    addresses,
  };
  let authPass: string | undefined;
  if (version === 2 && family === 4) {
    if (authType === 1) {
      authPass = r.pick(["secret12", "kp", "a", "exactly8", "longer-than-8"]);
    } else if (r.bool(0.3)) {
      advert.authData = r.bytes(8); // arbitrary bytes survive a round trip
    }
  }
  const dst =
    family === 4 ? (r.bool() ? "224.0.0.18" : randomAddress(r, 4)) : r.bool() ? "ff02::12" : randomAddress(r, 6);
  return { advert, src: randomAddress(r, family), dst, authPass };
}

/** Damage a packet: bit flips, byte sets, truncation, extension, splices. */
export function mutate(r: Rng, input: Uint8Array): Uint8Array {
  let b = Uint8Array.from(input);
  const rounds = r.int(1, 4);
  for (let k = 0; k < rounds; k++) {
    switch (r.int(0, 6)) {
      case 0: // flip a bit
        if (b.length) b[r.int(0, b.length - 1)]! ^= 1 << r.int(0, 7);
        break;
      case 1: // set a byte to an interesting value
        if (b.length) b[r.int(0, b.length - 1)] = r.pick([0, 1, 2, 3, 0x0f, 0x10, 0x21, 0x31, 0x45, 0x7f, 0x80, 0xff]);
        break;
      case 2: // truncate
        b = b.subarray(0, r.int(0, b.length));
        break;
      case 3: {
        // extend with random bytes
        const ext = new Uint8Array(b.length + r.int(1, 40));
        ext.set(b);
        ext.set(r.bytes(ext.length - b.length), b.length);
        b = ext;
        break;
      }
      case 4: // random byte anywhere in the first 48 (headers)
        if (b.length) b[r.int(0, Math.min(47, b.length - 1))] = r.u32() & 0xff;
        break;
      case 5: {
        // overwrite a 16-bit field (lengths, checksums)
        if (b.length >= 2) {
          const i = r.int(0, b.length - 2);
          b[i] = r.u32() & 0xff;
          b[i + 1] = r.u32() & 0xff;
        }
        break;
      }
      default: {
        // drop a slice from the middle
        if (b.length > 2) {
          const i = r.int(0, b.length - 1);
          const j = r.int(i, b.length);
          const cut = new Uint8Array(b.length - (j - i));
          cut.set(b.subarray(0, i));
          cut.set(b.subarray(j), i);
          b = cut;
        }
      }
    }
  }
  return b;
}
