/**
 * The daemon end: connect to the control socket, `subscribe` (snapshot + events), poll
 * `status` for counters (and `explain` for the instance in detail), and reconnect when
 * the daemon goes away.
 *
 * src/control/client.ts has no close callback, so a lost daemon shows up as a failed or
 * unanswered request: every request here has a timeout, and a poll that fails or times
 * out counts as a disconnection.
 */
import type { Client } from "../src/control/client";
import { type Reply, type Request, type Status, parseExplanations } from "../src/control/protocol";
import type { Store } from "./store";

export type Connect = (path: string) => Promise<Client>;

export interface SourceOptions {
  socketPath: string;
  connect: Connect;
  /** status poll period */
  pollMs?: number;
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
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly o: SourceOptions,
    private readonly store: Store,
  ) {
    this.pollMs = o.pollMs ?? 1000;
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
      if (gen === this.gen) this.store.event(e);
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
    this.poller = setInterval(() => void this.poll(gen), this.pollMs);
  }

  private async poll(gen: number): Promise<void> {
    const c = this.client;
    if (!c || this.polling || gen !== this.gen) return;
    this.polling = true;
    const r = await requestWithTimeout(c, { cmd: "status" }, this.timeoutMs);
    this.polling = false;
    if (gen !== this.gen) return;
    if (r.ok) this.store.queue({ type: "status", status: r.result as Status, at: this.now() });
    else {
      this.down(gen, r.error.message);
      return;
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
