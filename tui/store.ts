/**
 * Holds the model and coalesces data: status snapshots and events are queued and applied
 * at most once per `flushMs` (one render per flush), keys are applied at once. A flush
 * whose frame key (tui/frame.ts, set by the app for its size) equals the last drawn one
 * updates the model without a render: Ink would redraw the same screen.
 */
import type { Event } from "../src/control/protocol";
import { type FrameKey, sameFrame } from "./frame";
import { type Action, type Model, reduce } from "./model";

export class Store {
  private state: Model;
  private readonly listeners = new Set<() => void>();
  private queued: Action[] = [];
  private events: Event[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private lastFlush = 0;
  private keyOf: ((m: Model) => FrameKey | undefined) | undefined;
  private drawn: FrameKey | undefined;
  /** flushes that drew nothing new (the bench reports them) */
  skipped = 0;

  constructor(
    init: Model,
    private readonly flushMs = 250,
    private readonly now: () => number = Date.now,
  ) {
    this.state = init;
  }

  get = (): Model => this.state;

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  };

  /** Data from the daemon: applied at the next flush. */
  queue(a: Action): void {
    if (a.type === "events") for (const e of a.events) this.events.push(e);
    else this.queued.push(a);
    this.arm();
  }

  event(e: Event): void {
    this.events.push(e);
    this.arm();
  }

  /** What a frame of a model shows (the app sets it for its size; tui/frame.ts). */
  setFrameKey(f: ((m: Model) => FrameKey | undefined) | undefined): void {
    this.keyOf = f;
    this.drawn = undefined;
  }

  /** A model computed from the current one (keys): replaces it and renders now. */
  set(m: Model): void {
    if (m === this.state) return;
    this.state = m;
    this.emit();
  }

  dispatch(a: Action): void {
    this.set(reduce(this.state, a));
  }

  /** Apply everything queued (one batch of events) and render once. */
  flush = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queued.length === 0 && this.events.length === 0) return;
    let m = this.state;
    const at = this.now();
    this.lastFlush = at;
    // Events that arrived before a snapshot still apply to the snapshot before it; keep
    // order: queued actions carry their own time, the event batch goes in after them.
    for (const a of this.queued.splice(0)) m = reduce(m, a);
    if (this.events.length > 0) m = reduce(m, { type: "events", events: this.events.splice(0), at });
    this.state = m;
    const key = this.keyOf?.(m);
    if (sameFrame(key, this.drawn)) {
      this.skipped++;
      return;
    }
    this.emit();
  };

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    // one flush per flushMs while data flows (not flushMs after the first item of a batch)
    this.timer = setTimeout(this.flush, Math.max(0, this.lastFlush + this.flushMs - this.now()));
  }

  private emit(): void {
    this.drawn = this.keyOf?.(this.state);
    for (const l of this.listeners) l();
  }
}
