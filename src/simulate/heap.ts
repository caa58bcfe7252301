/** The simulator's event queue: a binary min-heap keyed by (virtual time, insertion sequence). */

export interface Keyed {
  t: number;
  seq: number;
}

/** Binary min-heap ordered by time, then insertion sequence (FIFO among equal times). */
export class EventHeap<E extends Keyed> {
  private readonly a: E[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): E | undefined {
    return this.a[0];
  }

  push(e: E): void {
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as E;
      if (!less(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  pop(): E | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r] as E, a[l] as E)) c = r;
      if (!less(a[c] as E, last)) break;
      a[i] = a[c] as E;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function less(x: Keyed, y: Keyed): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}
