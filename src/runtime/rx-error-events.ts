/**
 * rx-error events for the control socket, aggregated: the first packet of a kind
 * (instance, error code, sender) goes out at once with count 1; more of the same within
 * a window are counted and go out as one event with their count when the window ends.
 * A flood of bad packets had the daemon send one event per packet (17-19k to one
 * subscriber), which filled the subscriber's queue and got it dropped as "stopped
 * reading", so it missed the transition that followed. The log lines for the same
 * packets are rate-limited separately (rate-limit.ts, keepalived's
 * log_rate_limited_error); the per-instance counters count every packet.
 */
import type { Event } from "../control/protocol";

export type RxErrorEvent = Extract<Event, { event: "rx-error" }>;

interface Open {
  instance?: string;
  from: string;
  code: string;
  /** when the window started (monotonic ms) */
  start: number;
  /** packets not yet reported */
  pending: number;
}

export class RxErrorEvents {
  private readonly open = new Map<string, Open>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly emit: (e: RxErrorEvent) => void,
    private readonly now: () => number,
    /** one event per kind per window */
    private readonly windowMs = 1_000,
    /**
     * kinds tracked at once: senders with ever new (spoofed) addresses fold into one
     * kind per instance and code, reported with from "*"
     */
    private readonly maxKinds = 256,
  ) {}

  add(e: { instance?: string; from: string; code: string }): void {
    let key = `${e.instance ?? ""}|${e.code}|${e.from}`;
    let from = e.from;
    if (!this.open.has(key) && this.open.size >= this.maxKinds) {
      key = `${e.instance ?? ""}|${e.code}|*`;
      from = "*";
    }
    const o = this.open.get(key);
    if (o) {
      o.pending++;
      return;
    }
    this.open.set(key, { instance: e.instance, from, code: e.code, start: this.now(), pending: 0 });
    this.send(e.instance, from, e.code, 1);
    this.arm();
  }

  /** Report every pending count now (shutdown). */
  flush(): void {
    for (const o of this.open.values()) if (o.pending > 0) this.send(o.instance, o.from, o.code, o.pending);
    this.open.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    for (const [key, o] of this.open) {
      if (now - o.start < this.windowMs) continue;
      if (o.pending === 0) {
        this.open.delete(key); // quiet for a whole window: the next one goes out at once
        continue;
      }
      this.send(o.instance, o.from, o.code, o.pending);
      o.pending = 0;
      o.start = now;
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.open.size === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const o of this.open.values()) first = Math.min(first, o.start);
    this.timer = setTimeout(() => this.tick(), Math.max(0, first + this.windowMs - this.now()));
    // pending counts never keep a stopping daemon alive
    this.timer.unref?.();
  }

  private send(instance: string | undefined, from: string, code: string, count: number): void {
    const e: RxErrorEvent = { event: "rx-error", at: Date.now(), from, code, count };
    if (instance !== undefined) e.instance = instance;
    this.emit(e);
  }
}
