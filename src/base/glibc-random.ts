/**
 * glibc's random() after srandom(seed) (stdlib/random_r.c, TYPE_3: the additive feedback
 * generator x[i] = x[i-3] + x[i-31] over 34 words seeded by 16807 × x mod 2^31-1, its
 * first 310 outputs discarded, each output the sum shifted right by one). keepalived
 * takes ${_RANDOM} from random() and seeds it with `random_seed` (lib/parser.c), so the
 * same seed gives keel the same values as keepalived. Pure (DESIGN.md "Layers").
 */

const DEG = 31;
const SEP = 3;

/** random()'s successive values, 0 .. 2^31-1, after srandom(seed). */
export function glibcRandom(seed: number): () => number {
  const s = new Int32Array(DEG);
  // glibc keeps the seed in an int32_t: one past 2^31 starts negative
  let word = (seed >>> 0 || 1) | 0;
  s[0] = word;
  for (let i = 1; i < DEG; i++) {
    // Schrage's method for 16807 * word % 2147483647 without overflow, as glibc computes it
    const hi = Math.trunc(word / 127773);
    const lo = word % 127773;
    word = 16807 * lo - 2836 * hi;
    if (word < 0) word += 2147483647;
    s[i] = word;
  }
  let f = SEP;
  let r = 0;
  const next = (): number => {
    const val = ((s[f] as number) + (s[r] as number)) | 0;
    s[f] = val;
    f = (f + 1) % DEG;
    r = (r + 1) % DEG;
    return (val >>> 0) >>> 1;
  };
  for (let i = 0; i < DEG * 10; i++) next();
  return next;
}
