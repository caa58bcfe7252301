/**
 * An instance's timers as data (quinn-proto's TimerTable, as src/check/engine.ts does for
 * checkers): one optional deadline per kind, one "not armed" value, one loop for the next
 * timeout. The order of KINDS is the order in which timers due together fire.
 */
export const NOT_ARMED = undefined;
export type Deadline = number | typeof NOT_ARMED;

export class TimerTable<K extends string> {
  /**
   * The deadline of kinds[i] at [i]. An array, not a Map: next() runs for every advert
   * heard (the router's touch and the driver's arm), and iterating a Map's values made an
   * iterator object each time (issue 20).
   */
  private readonly at: Deadline[];
  private readonly index = new Map<K, number>();

  constructor(private readonly kinds: readonly K[]) {
    this.at = kinds.map(() => NOT_ARMED);
    kinds.forEach((k, i) => this.index.set(k, i));
  }

  private slot(kind: K): number {
    const i = this.index.get(kind);
    if (i === undefined) throw new Error(`timer kind ${kind} is not in the table`);
    return i;
  }

  set(kind: K, t: number): void {
    this.at[this.slot(kind)] = t;
  }

  stop(kind: K): void {
    this.at[this.slot(kind)] = NOT_ARMED;
  }

  get(kind: K): Deadline {
    return this.at[this.slot(kind)];
  }

  /** The earliest deadline, or NOT_ARMED. */
  next(): Deadline {
    let best: Deadline = NOT_ARMED;
    for (let i = 0; i < this.at.length; i++) {
      const t = this.at[i];
      if (t !== NOT_ARMED && (best === NOT_ARMED || t < best)) best = t;
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
      const t = this.at[i];
      if (t !== NOT_ARMED && t <= now) {
        mask |= 1 << i;
        this.at[i] = NOT_ARMED;
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
