/**
 * An instance's timers as data (quinn-proto's TimerTable, as src/check/engine.ts does for
 * checkers): one optional deadline per kind, one "not armed" value, one loop for the next
 * timeout. The order of KINDS is the order in which timers due together fire.
 */
export const NOT_ARMED = undefined;
export type Deadline = number | typeof NOT_ARMED;

export class TimerTable<K extends string> {
  /**
   * The deadline of `kinds[i]` at [i], NaN when not armed: a few doubles in one array,
   * where a Map kept a hash table's storage (~360 bytes in JavaScriptCore) per instance
   * for at most five entries (bench/RESULTS.md "Memory per instance", issue 20).
   */
  private readonly at: number[];

  constructor(private readonly kinds: readonly K[]) {
    this.at = kinds.map(() => Number.NaN);
  }

  private index(kind: K): number {
    const i = this.kinds.indexOf(kind);
    if (i < 0) throw new Error(`no timer ${kind}`);
    return i;
  }

  set(kind: K, t: number): void {
    this.at[this.index(kind)] = t;
  }

  stop(kind: K): void {
    this.at[this.index(kind)] = Number.NaN;
  }

  get(kind: K): Deadline {
    const t = this.at[this.index(kind)]!;
    return Number.isNaN(t) ? NOT_ARMED : t;
  }

  /** The earliest deadline, or NOT_ARMED. */
  next(): Deadline {
    // an indexed loop: next() runs for every advert heard (the router's touch and the
    // driver's arm), and for-of makes an iterator object in JSC's lower tiers (issue 20)
    let best: Deadline = NOT_ARMED;
    for (let i = 0; i < this.at.length; i++) {
      const t = this.at[i]!;
      if (!Number.isNaN(t) && (best === NOT_ARMED || t < best)) best = t;
    }
    return best;
  }

  /** The kinds due at `now`, in KINDS order, stopped as they are returned. */
  expire(now: number): K[] {
    const mask = this.expireMask(now);
    return this.kinds.filter((_, i) => (mask & (1 << i)) !== 0);
  }

  /**
   * `expire` as a bit set (bit i: `kinds[i]` was due and is stopped), for the advert
   * path, which runs once per advert_int per instance and should leave no garbage (issue 20).
   */
  expireMask(now: number): number {
    let mask = 0;
    for (let i = 0; i < this.at.length; i++) {
      // NaN <= now is false: a timer not armed is never due
      if (this.at[i]! <= now) {
        mask |= 1 << i;
        this.at[i] = Number.NaN;
      }
    }
    return mask;
  }

  /** The kind of bit `i` of expireMask. */
  kind(i: number): K {
    return this.kinds[i]!;
  }

  get size(): number {
    return this.kinds.length;
  }
}
