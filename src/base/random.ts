/**
 * mulberry32: a small, fast, well-mixed, seeded 32-bit PRNG, for what must repeat from a
 * seed (${_RANDOM} in configs with a given seed, simulations, fuzzing); not for anything
 * secret. src/base/ imports nothing (DESIGN.md "Layers").
 */

/** Uniform integers in [0, 2^32). */
export function mulberry32u(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const u32 = mulberry32u(seed);
  return () => u32() / 4294967296;
}
