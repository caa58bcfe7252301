/**
 * Virtual time for the checker engine: a clock that jumps from deadline to deadline, and
 * servers whose answers are functions of time. Probes answer `latency` ms after they start
 * (or never: `undefined`), so every test can name the exact millisecond a checker changes.
 */
import { type Action, CheckEngine, type CheckerSpec } from "../../../src/check/engine";
import type { ProbeResult } from "../../../src/check/probe";
import type { Timing } from "../../../src/check/schedule";

/** A small seeded PRNG (mulberry32): the engine's random source in tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const OK: ProbeResult = { ok: true };
export const KO: ProbeResult = { ok: false, reason: "refused" };

/** What a server answers to one attempt: the result, how long it takes, or no answer at all. */
export type Server = (t: number, url: number) => { result: ProbeResult; ms: number } | undefined;

/** A server that is up (`up(t)`), answering after `ms`. */
export function server(up: (t: number) => boolean, ms = 5): Server {
  return (t) => ({ result: up(t) ? OK : KO, ms });
}

export function spec(id: string, timing: Partial<Timing>, extra: Partial<CheckerSpec> = {}): CheckerSpec {
  return {
    id,
    type: "TCP_CHECK",
    timing: { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 6000, warmupMs: 0, alpha: false, ...timing },
    logAllFailures: false,
    enabled: true,
    baseWeight: 1,
    ...extra,
  };
}

/** One line per action that matters, prefixed by its virtual time. */
export type Seen = string;

export class Lab {
  now = 0;
  readonly engine: CheckEngine;
  readonly seen: Seen[] = [];
  readonly actions: { t: number; a: Action }[] = [];
  private pending: { t: number; checker: string; attempt: number; result: ProbeResult }[] = [];
  private servers = new Map<string, Server>();

  constructor(seed = 1) {
    this.engine = new CheckEngine(mulberry32(seed));
  }

  add(s: CheckerSpec, srv: Server): void {
    this.servers.set(s.id, srv);
    this.engine.add(s, this.now);
    this.drain();
  }

  serve(id: string, srv: Server): void {
    this.servers.set(id, srv);
  }

  /** Run until `until` (inclusive): deliver answers, fire deadlines, in time order. */
  run(until: number): void {
    for (;;) {
      const due = this.engine.pollTimeout();
      const answer = Math.min(...this.pending.map((p) => p.t));
      const next = Math.min(due ?? Infinity, answer);
      if (next > until) break;
      if (next < this.now) throw new Error(`time went back: ${next} < ${this.now}`);
      this.now = next;
      for (const p of this.pending.filter((q) => q.t === next)) {
        this.pending.splice(this.pending.indexOf(p), 1);
        this.engine.handleResult(p.checker, p.attempt, p.result, this.now);
        this.drain();
      }
      if (due !== undefined && due <= this.now) {
        this.engine.handleTimeout(this.now);
        this.drain();
      }
    }
    this.now = Math.max(this.now, until);
  }

  /** Feed a result by hand (e.g. a late one), as the driver would. */
  result(checker: string, attempt: number, result: ProbeResult): void {
    this.engine.handleResult(checker, attempt, result, this.now);
    this.drain();
  }

  drain(): void {
    for (const a of this.engine.pollActions()) {
      this.actions.push({ t: this.now, a });
      this.seen.push(`${this.now} ${describe(a)}`);
      if (a.kind === "run-probe") this.start(a.checker, a.attempt, a.url);
      else if (a.kind === "abort-probe") this.pending = this.pending.filter((p) => p.attempt !== a.attempt);
    }
  }

  /** The lines of one kind ("probe", "up", "down", ...). */
  of(word: string): Seen[] {
    return this.seen.filter((l) => l.split(" ")[1] === word);
  }

  private start(checker: string, attempt: number, url: number): void {
    const answer = this.servers.get(checker)?.(this.now, url);
    if (answer) this.pending.push({ t: this.now + answer.ms, checker, attempt, result: answer.result });
  }
}

function describe(a: Action): string {
  switch (a.kind) {
    case "run-probe":
      return `probe ${a.checker} url=${a.url}`;
    case "abort-probe":
      return `abort ${a.checker}`;
    case "weight":
      return `weight ${a.checker} ${a.delta > 0 ? "+" : ""}${a.delta}`;
    case "checked":
      return `checked ${a.checker} ${a.result.ok ? "ok" : "ko"} ${a.up ? "up" : "down"} ${a.ms}ms`;
    case "checker-state":
      if (a.firstNotify) return `notify ${a.checker} ${a.reason.code}`;
      if (a.reason.code !== "probe-failed") return `${a.up ? "up" : "down"} ${a.checker} ${a.reason.code}`;
      return `down ${a.checker} ${a.reason.code} retries=${a.reason.retries}`;
  }
}
