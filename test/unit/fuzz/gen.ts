/**
 * Input generators shared by the fuzz targets: random bytes, and mutations of real inputs
 * (captured packets, netlink traffic, fixture configs) in the style of a coverage fuzzer's
 * havoc stage: bit flips, interesting values, inserted/deleted/duplicated runs, truncation,
 * splicing with another seed. Every edit is data, so fast-check shrinks a failing input to
 * the fewest edits.
 */
import fc from "fast-check";

type Edit =
  | { k: "flip"; at: number; bit: number }
  | { k: "set"; at: number; v: number }
  | { k: "u16"; at: number; v: number }
  | { k: "ins"; at: number; bytes: Uint8Array }
  | { k: "del"; at: number; n: number }
  | { k: "dup"; at: number; n: number; to: number }
  | { k: "cut"; at: number }
  | { k: "splice"; at: number; other: number; from: number };

/** values that sit on the edges decoders test: 0, 1, max, sign bits, lengths */
const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 15, 16, 20, 24, 0x20, 0x40, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 4, 8, 16, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

const pos = fc.nat({ max: 0xffff });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant("flip" as const), at: pos, bit: fc.nat({ max: 7 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("set" as const),
      at: pos,
      v: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant("u16" as const), at: pos, v: fc.constantFrom(...INTERESTING16) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("ins" as const),
      at: pos,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("del" as const), at: pos, n: fc.integer({ min: 1, max: 32 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant("dup" as const), at: pos, n: fc.integer({ min: 1, max: 64 }), to: pos }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("cut" as const), at: pos }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("splice" as const), at: pos, other: pos, from: pos }) },
);

function applyEdit(b: Uint8Array, e: Edit, seeds: readonly Uint8Array[]): Uint8Array {
  const at = b.length === 0 ? 0 : e.at % (b.length + 1);
  const cat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  switch (e.k) {
    case "flip":
      if (at < b.length) b[at] = b[at]! ^ (1 << e.bit);
      return b;
    case "set":
      if (at < b.length) b[at] = e.v;
      return b;
    case "u16": // both byte orders turn up in the wild: network order and netlink's host order
      if (at + 1 < b.length) {
        b[at] = e.v & 0xff;
        b[at + 1] = e.v >> 8;
      }
      return b;
    case "ins":
      return cat(b.subarray(0, at), e.bytes, b.subarray(at));
    case "del":
      return cat(b.subarray(0, at), b.subarray(at + e.n));
    case "dup": {
      const run = b.slice(at, at + e.n);
      const to = e.to % (b.length + 1);
      return cat(b.subarray(0, to), run, b.subarray(to));
    }
    case "cut":
      return b.slice(0, at);
    case "splice": {
      const other = seeds[e.other % seeds.length]!;
      return cat(b.subarray(0, at), other.subarray(e.from % (other.length + 1)));
    }
  }
}

/** a seed with 1..8 havoc edits */
export function mutated(seeds: readonly Uint8Array[], maxEdits = 8): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error("mutated() needs at least one seed");
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: maxEdits }))
    .map(([i, edits]) => edits.reduce<Uint8Array>((b, e) => applyEdit(b, e, seeds), seeds[i]!.slice()));
}

/** random bytes, mostly short (decoders' length checks live at the small end) */
export const randomBytes = (maxLength = 512): fc.Arbitrary<Uint8Array> =>
  fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength }));

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** input bytes as the text a decoder of lines or files sees (invalid UTF-8 becomes U+FFFD, as Bun reads it) */
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export const hexBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
