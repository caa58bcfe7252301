/**
 * The daemon end: connect to the control socket, `subscribe` (snapshot + events), and
 * reconnect when the daemon goes away. The model is the snapshot plus the events (a delta
 * stream, issue 20): each poll asks only `counters` (what changes without an event: advert
 * and error counters, the master heard), and the whole `status` only every `resyncMs` or
 * soon after an event the model cannot apply alone (a reload, an operation, a BFD or
 * observed change, an instance it does not know). A daemon without `counters` gets the
 * whole `status` each poll, as before. The instance in detail also gets its `explain`.
 *
 * src/control/client.ts has no close callback, so a lost daemon shows up as a failed or
 * unanswered request: every request here has a timeout, and a poll that fails or times
 * out counts as a disconnection.
 */
import type { Client } from "../src/control/client";
import {
  type Event,
  type Reply,
  type Request,
  type Status,
  parseCounters,
  parseExplanations,
} from "../src/control/protocol";
import type { Store } from "./store";

export type Connect = (path: string) => Promise<Client>;

export interface SourceOptions {
  socketPath: string;
  connect: Connect;
  /** poll period (counters, or the whole status from a daemon without them) */
  pollMs?: number;
  /** the whole status at least this often in the delta stream (30 s) */
  resyncMs?: number;
  /** delay before reconnecting */
  retryMs?: number;
  /** a poll or connect without an answer in this long counts as a disconnection */
  timeoutMs?: number;
  now?: () => number;
}

const timeoutReply = (ms: number): Reply => ({
  ok: false,
  error: { code: "timeout", message: `no answer in ${ms} ms` },
});

export function requestWithTimeout(c: Client, r: Request, ms: number): Promise<Reply> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(timeoutReply(ms)), ms);
    c.request(r).then(
      (rep) => {
        clearTimeout(t);
        resolve(rep);
      },
      (e) => {
        clearTimeout(t);
        resolve({ ok: false, error: { code: "closed", message: (e as Error).message } });
      },
    );
  });
}

export class Source {
  private client: Client | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private polling = false;
  private stopped = false;
  /** bumped on every (re)connection; stale callbacks compare and drop out */
  private gen = 0;
  private readonly pollMs: number;
  private readonly resyncMs: number;
  /** the daemon answers `counters`: the delta stream (else the whole status each poll) */
  private delta = false;
  /** when the last whole status came (performance.now ms) */
  private statusAt = 0;
  /** an event asked for the whole status at the next poll */
  private resyncWanted = false;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly o: SourceOptions,
    private readonly store: Store,
  ) {
    this.pollMs = o.pollMs ?? 1000;
    this.resyncMs = o.resyncMs ?? 30_000;
    this.retryMs = o.retryMs ?? 1000;
    this.timeoutMs = o.timeoutMs ?? 3000;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.clearTimers();
    this.client?.close();
    this.client = undefined;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** A command for the daemon (reload, garp); fails at once when not connected. */
  async command(r: Request, timeoutMs = 30_000): Promise<Reply> {
    const c = this.client;
    if (!c) return { ok: false, error: { code: "disconnected", message: `not connected to ${this.o.socketPath}` } };
    return requestWithTimeout(c, r, timeoutMs);
  }

  private clearTimers(): void {
    if (this.poller) clearInterval(this.poller);
    if (this.retry) clearTimeout(this.retry);
    this.poller = undefined;
    this.retry = undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.gen;
    this.store.queue({ type: "connecting", at: this.now() });
    let c: Client;
    let guard: ReturnType<typeof setTimeout> | undefined;
    try {
      c = await Promise.race([
        this.o.connect(this.o.socketPath),
        new Promise<never>((_, rej) => {
          guard = setTimeout(() => rej(new Error("connect timed out")), this.timeoutMs);
        }),
      ]);
    } catch (e) {
      if (gen === this.gen) this.down(gen, (e as Error).message);
      return;
    } finally {
      // a pending guard would keep the process alive that long after the user quit
      clearTimeout(guard);
    }
    if (gen !== this.gen) {
      c.close();
      return;
    }
    c.onEvent((e) => {
      if (gen !== this.gen) return;
      this.store.event(e);
      if (this.needsStatus(e)) this.resyncWanted = true;
    });
    const r = await requestWithTimeout(c, { cmd: "subscribe" }, this.timeoutMs);
    if (gen !== this.gen) {
      c.close();
      return;
    }
    if (!r.ok) {
      c.close();
      this.down(gen, r.error.message);
      return;
    }
    this.client = c;
    this.store.queue({ type: "connected", status: r.result as Status, at: this.now() });
    this.statusAt = performance.now();
    this.resyncWanted = false;
    // a daemon that knows `counters` (an older one answers unknown-command) streams deltas
    const k = await requestWithTimeout(c, { cmd: "counters" }, this.timeoutMs);
    if (gen !== this.gen) return;
    const counters = k.ok ? parseCounters(k.result) : undefined;
    this.delta = counters?.ok === true;
    if (counters?.ok) this.store.queue({ type: "counters", counters: counters.value, at: this.now() });
    // Polls at the turn of the clock's second (for a 1 s period): the counters it brings
    // change every row (RX/TX) as the second's tick does (the clock, IN STATE), so both
    // land in one frame rather than two redraws of the whole table a second (issue 20).
    this.poller = setTimeout(
      () => {
        if (gen !== this.gen) return;
        void this.poll(gen);
        this.poller = setInterval(() => void this.poll(gen), this.pollMs);
      },
      this.pollMs - (Date.now() % this.pollMs),
    );
  }

  /**
   * An event the model cannot apply from its fields alone: what it changes is only in the
   * whole status (a reload's new configuration, an operation's holds, a BFD session's
   * negotiated timers, an observation's details), or it names an instance the model lacks.
   */
  private needsStatus(e: Event): boolean {
    switch (e.event) {
      case "reload":
      case "operation":
      case "observed":
      case "bfd":
        return true;
      case "transition":
      case "priority": {
        const m = this.store.get();
        return m.status !== undefined && !m.index.has(e.instance);
      }
      default:
        return false;
    }
  }

  private async poll(gen: number): Promise<void> {
    const c = this.client;
    if (!c || this.polling || gen !== this.gen) return;
    this.polling = true;
    const whole = !this.delta || this.resyncWanted || performance.now() - this.statusAt >= this.resyncMs;
    const r = await requestWithTimeout(c, { cmd: whole ? "status" : "counters" }, this.timeoutMs);
    this.polling = false;
    if (gen !== this.gen) return;
    if (!r.ok) {
      this.down(gen, r.error.message);
      return;
    }
    if (whole) {
      this.resyncWanted = false;
      this.statusAt = performance.now();
      this.store.queue({ type: "status", status: r.result as Status, at: this.now(), resync: this.delta });
    } else {
      const k = parseCounters(r.result);
      if (k.ok) this.store.queue({ type: "counters", counters: k.value, at: this.now() });
      else this.resyncWanted = true;
    }
    const m = this.store.get();
    if (m.mode === "detail" && m.detail !== undefined) await this.explain(c, gen, m.detail);
  }

  /** The instance in detail: why it is in its state (a daemon without `explain` says so once). */
  private async explain(c: Client, gen: number, instance: string): Promise<void> {
    this.polling = true;
    const r = await requestWithTimeout(c, { cmd: "explain", instance }, this.timeoutMs);
    this.polling = false;
    if (gen !== this.gen) return;
    const got = r.ok ? parseExplanations(r.result) : r;
    if (got.ok && got.value[0]) this.store.queue({ type: "explanation", instance, value: got.value[0] });
    else this.store.queue({ type: "explanation", instance, error: got.ok ? "no explanation" : got.error.message });
  }

  private down(gen: number, error: string): void {
    if (this.stopped || gen !== this.gen) return;
    this.gen++;
    this.clearTimers();
    this.polling = false;
    this.client?.close();
    this.client = undefined;
    this.store.queue({ type: "disconnected", error, at: this.now() });
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
  }
}
