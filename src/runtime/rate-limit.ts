/**
 * One log line per key per window, so a flood of bad packets cannot flood the log
 * (keepalived's log_rate_limited_error does the same per instance and error kind).
 */
export class RateLimit {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly windowMs: number) {}

  /** undefined: stay quiet; a number: log now, mentioning that many suppressed lines. */
  take(key: string, now: number): number | undefined {
    const s = this.seen.get(key);
    if (s && now - s.at < this.windowMs) {
      s.suppressed++;
      return undefined;
    }
    const suppressed = s?.suppressed ?? 0;
    this.seen.set(key, { at: now, suppressed: 0 });
    if (this.seen.size > 10_000) this.seen.clear(); // keys include peers: bound the memory
    return suppressed;
  }
}
