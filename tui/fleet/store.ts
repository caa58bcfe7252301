/**
 * Holds the fleet model: nodes' views and events are queued and applied at most once per
 * `flushMs` (one render per flush, as tui/store.ts does for one node), keys at once.
 */
import { type FleetAction, type FleetModel, reduceFleet } from "./model";

export class FleetStore {
  private state: FleetModel;
  private readonly listeners = new Set<() => void>();
  private queued: FleetAction[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private lastFlush = 0;

  constructor(
    init: FleetModel,
    private readonly flushMs = 250,
    private readonly now: () => number = Date.now,
  ) {
    this.state = init;
  }

  get = (): FleetModel => this.state;

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  };

  queue(a: FleetAction): void {
    this.queued.push(a);
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(this.flush, Math.max(0, this.lastFlush + this.flushMs - this.now()));
  }

  set(m: FleetModel): void {
    if (m === this.state) return;
    this.state = m;
    for (const l of this.listeners) l();
  }

  flush = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queued.length === 0) return;
    this.lastFlush = this.now();
    let m = this.state;
    for (const a of this.queued.splice(0)) m = reduceFleet(m, a);
    this.set(m);
  };

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
