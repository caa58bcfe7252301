/**
 * Long-lived per-block data of a big configuration as typed-array columns in fixed-size
 * chunks. A column never grows by copying: a grown copy leaves the old buffer to the
 * allocator, which on a 200,000-block file kept the sum of every size it had been
 * (measured). Chunks of one size are allocated once each and never freed while the
 * table lives, so the short-lived parse objects around them die in whole blocks.
 */

const CHUNK = 1 << 14;

type Typed = Uint32Array | Int32Array | Float64Array;

/** One numeric column, rows 0..n in CHUNK-row pieces. */
export class Column<A extends Typed> {
  private readonly chunks: A[] = [];

  constructor(private readonly make: (n: number) => A) {}

  get(row: number): number {
    return (this.chunks[row >>> 14] as A)[row & (CHUNK - 1)] as number;
  }

  set(row: number, v: number): void {
    const k = row >>> 14;
    while (this.chunks.length <= k) this.chunks.push(this.make(CHUNK));
    (this.chunks[k] as A)[row & (CHUNK - 1)] = v;
  }
}

export const u32Column = () => new Column((n) => new Uint32Array(n));
export const i32Column = () => new Column((n) => new Int32Array(n));
export const f64Column = () => new Column((n) => new Float64Array(n));

const TEXT_CHUNK = 1 << 16;

/**
 * Strings as UTF-16 code units in 64 Ki-unit chunks: `add` returns where a string starts
 * (chunk × 2^16 + offset, so it must fit one chunk; a longer one gets a chunk of its own
 * size), `text` reads it back with its length.
 */
export class TextPool {
  private readonly chunks: Uint16Array[] = [];
  /** the same memory as bytes, for the runtime's own UTF-16 decoder */
  private readonly bytes: Buffer[] = [];
  private used = TEXT_CHUNK;

  add(s: string): number {
    const n = s.length;
    if (this.used + n > (this.chunks[this.chunks.length - 1]?.length ?? 0)) {
      const chunk = new Uint16Array(Math.max(TEXT_CHUNK, n));
      this.chunks.push(chunk);
      this.bytes.push(Buffer.from(chunk.buffer));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1] as Uint16Array;
    const at = (this.chunks.length - 1) * TEXT_CHUNK + this.used;
    for (let i = 0; i < n; i++) chunk[this.used + i] = s.charCodeAt(i);
    this.used += n;
    return at;
  }

  text(at: number, length: number): string {
    const from = 2 * (at % TEXT_CHUNK);
    return (this.bytes[Math.floor(at / TEXT_CHUNK)] as Buffer).toString("utf16le", from, from + 2 * length);
  }

  /** the code unit at `at` */
  code(at: number): number {
    return (this.chunks[Math.floor(at / TEXT_CHUNK)] as Uint16Array)[at % TEXT_CHUNK] as number;
  }

  /** whether the text at `at` equals `s`, without building a string */
  equals(at: number, length: number, s: string): boolean {
    if (s.length !== length) return false;
    const chunk = this.chunks[Math.floor(at / TEXT_CHUNK)] as Uint16Array;
    const from = at % TEXT_CHUNK;
    for (let i = 0; i < length; i++) if (chunk[from + i] !== s.charCodeAt(i)) return false;
    return true;
  }
}
