/**
 * One node as `keel fleet` follows it: a channel (channel.ts) that subscribes to the
 * node's events and asks for its status again after each one (a transition is shown as
 * soon as its event arrives, not at the next poll), plus a poll every `pollMs` that also
 * proves the node still answers. A channel that closes, fails to open or leaves a request
 * unanswered for `timeoutMs` makes the node unreachable with the reason, and is opened
 * again after a backoff that doubles from `backoffMs` to `maxBackoffMs` (reset by an answer).
 */
import type { Event, Status } from "../control/protocol";
import { parseServerLine } from "../control/protocol";
import { type Channel, openChannel } from "./channel";
import type { NodeView } from "./flags";
import type { Target } from "./target";

export interface LinkOptions {
  pollMs: number;
  timeoutMs: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_LINK: LinkOptions = { pollMs: 1000, timeoutMs: 5000, backoffMs: 250, maxBackoffMs: 10_000 };

export class NodeLink {
  readonly view: NodeView;
  /** answers or failures so far: a one-shot snapshot waits for one of each node */
  settled = false;
  private ch?: Channel;
  private buf = "";
  /** requests sent and not answered, oldest first, with when they were sent */
  private pending: number[] = [];
  private backoff: number;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  /** bumped per channel: callbacks of an old channel are ignored */
  private generation = 0;

  constructor(
    name: string,
    target: string,
    private readonly t: Target,
    private readonly changed: () => void,
    private readonly o: LinkOptions = DEFAULT_LINK,
    /** each event the node sends (the fleet TUI's timeline) */
    private readonly onEvent?: (e: Event) => void,
  ) {
    this.view = { name, target };
    this.backoff = o.backoffMs;
  }

  start(): void {
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ch?.close();
    this.ch = undefined;
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    this.buf = "";
    this.pending = [];
    try {
      this.ch = await openChannel(this.t, {
        data: (chunk) => gen === this.generation && this.onData(chunk),
        closed: (why) => gen === this.generation && this.fail(why),
      });
    } catch (e) {
      if (gen === this.generation) this.fail((e as Error).message);
      return;
    }
    if (gen !== this.generation || this.stopped) {
      this.ch?.close();
      return;
    }
    this.send("subscribe");
    this.schedulePoll(gen);
  }

  private schedulePoll(gen: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        if (gen !== this.generation || this.stopped) return;
        const oldest = this.pending[0];
        if (oldest !== undefined && performance.now() - oldest >= this.o.timeoutMs) {
          this.fail(`no answer in ${this.o.timeoutMs / 1000} s`);
          return;
        }
        if (this.pending.length === 0) this.send("status");
        this.schedulePoll(gen);
      },
      Math.min(this.o.pollMs, this.o.timeoutMs),
    );
  }

  private send(cmd: "status" | "subscribe"): void {
    this.pending.push(performance.now());
    this.ch?.write(`${JSON.stringify({ cmd })}\n`);
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl = this.buf.indexOf("\n");
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      nl = this.buf.indexOf("\n");
      const m = parseServerLine(line);
      if (!m.ok) {
        if (m.error.code === "bad-reply") this.pending.shift();
        continue;
      }
      if ("event" in m.value) {
        this.onEvent?.(m.value.event);
        // something changed there: ask (once) for the whole status
        if (this.pending.length === 0) this.send("status");
        continue;
      }
      this.pending.shift();
      const r = m.value.reply;
      if (!r.ok) {
        this.fail(`${r.error.code}: ${r.error.message}`);
        return;
      }
      this.backoff = this.o.backoffMs;
      this.view.status = r.result as Status;
      delete this.view.error;
      this.settled = true;
      this.changed();
    }
  }

  private fail(why: string): void {
    if (this.stopped) return;
    this.generation++;
    this.ch?.close();
    this.ch = undefined;
    // the last status stays for context (what it was), marked by the error as not live
    this.view.error = why;
    this.settled = true;
    this.changed();
    clearTimeout(this.timer);
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs);
    this.timer = setTimeout(() => {
      if (!this.stopped) void this.open();
    }, wait);
  }
}
