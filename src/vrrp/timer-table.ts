/**
 * An instance's timers as data (quinn-proto's TimerTable, as src/check/engine.ts does for
 * checkers): one optional deadline per kind, one "not armed" value, one loop for the next
 * timeout. The order of KINDS is the order in which timers due together fire.
 */
export const NOT_ARMED = undefined;
export type Deadline = number | typeof NOT_ARMED;

export class TimerTable<K extends string> {
  private readonly at = new Map<K, number>();

  constructor(private readonly kinds: readonly K[]) {}

  set(kind: K, t: number): void {
    this.at.set(kind, t);
  }

  stop(kind: K): void {
    this.at.delete(kind);
  }

  get(kind: K): Deadline {
    return this.at.get(kind);
  }

  /** The earliest deadline, or NOT_ARMED. */
  next(): Deadline {
    let best: Deadline = NOT_ARMED;
    for (const t of this.at.values()) if (best === NOT_ARMED || t < best) best = t;
    return best;
  }

  /** The kinds due at `now`, in KINDS order, stopped as they are returned. */
  expire(now: number): K[] {
    const due = this.kinds.filter((k) => {
      const t = this.at.get(k);
      return t !== NOT_ARMED && t <= now;
    });
    for (const k of due) this.at.delete(k);
    return due;
  }
}
