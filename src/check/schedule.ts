/**
 * When a checker runs next and when it changes state: keepalived 2.2.7's epilog
 * functions, one per checker family, as pure code (no clock, no timers).
 *
 * Every checker starts up (is_up) unless alpha, with retry_it = retry: "for non alpha
 * mode, one failure is enough initially" (check_data.c validate_check_config). The first
 * attempt runs BOOTSTRAP_DELAY (1 s) plus a random share of warmup after start-up
 * (check_api.c register_checkers_thread). After that the families differ:
 *
 * - tcp   (check_tcp.c tcp_epilog): a failure with retries left runs again after
 *         delay_before_retry; the last one marks the checker down; then delay_loop.
 * - udp   (check_udp.c udp_epilog, check_ping.c ping_epilog): the same, but a checker that
 *         is already down is not retried: it runs every delay_loop.
 * - smtp  (check_smtp.c smtp_final): `++retry_it <= retry` retries; the failure line is
 *         logged on the last try; success resets retry_it.
 * - dns   (check_dns.c dns_final): retries only while up; the failure line gets
 *         " after N retries" on the last try.
 * - misc  (check_misc.c misc_check_child_thread): the next run is timed from the start of
 *         the last one, delay_before_retry while retrying.
 * - http  (check_http.c epilog): one URL per attempt, each delay_loop apart; a failing URL
 *         is retried (retry_it > retry marks down) and, once down, re-checked every
 *         max(delay_loop, delay_before_retry); when it passes again every URL is checked
 *         from the first before the checker goes up; fast_recovery checks at once while
 *         the checker is down without a known failed URL.
 */
import type { CheckerType } from "../config/lvs/model";

export type Flavour = "tcp" | "udp" | "smtp" | "dns" | "misc" | "http";

export function flavourOf(type: CheckerType): Flavour {
  switch (type) {
    case "UDP_CHECK":
    case "PING_CHECK":
      return "udp";
    case "SMTP_CHECK":
      return "smtp";
    case "DNS_CHECK":
      return "dns";
    case "MISC_CHECK":
      return "misc";
    case "HTTP_GET":
    case "SSL_GET":
      return "http";
    default:
      return "tcp";
  }
}

/** lib/scheduler.h BOOTSTRAP_DELAY */
export const BOOTSTRAP_DELAY_MS = 1000;

export interface Timing {
  retry: number;
  delayBeforeRetryMs: number;
  delayLoopMs: number;
  warmupMs: number;
  alpha: boolean;
  /** HTTP_GET / SSL_GET fast_recovery */
  fastRecovery?: boolean;
  /** HTTP_GET / SSL_GET: number of URLs (at least 1) */
  urls?: number;
}

/** What the caller logs, in keepalived's order, for one result. */
export type LogLine = "up" | "down" | "failure";

export interface Outcome {
  /** milliseconds until the next attempt */
  delay: number;
  /** MISC_CHECK: `delay` counts from the start of this attempt, not its end */
  fromStart: boolean;
  /** the checker changed state: the real server logic (src/lvs) must hear of it */
  change?: "up" | "down";
  /**
   * The first result agreed with the initial state and keepalived still runs the real
   * server's notify (update_svr_checker_state with !has_run: alpha, or a failure).
   */
  firstNotify: boolean;
  /** lines to log: probe.upLine / probe.downLine / the failure's own reason */
  lines: LogLine[];
  /** the number downLine prints ("failed after N retries"); 0 prints "failed." */
  retries: number;
  /** HTTP: the URL the next attempt checks */
  url: number;
}

export class CheckerTimer {
  isUp: boolean;
  hasRun = false;
  retryIt: number;
  /** HTTP url_it (undefined: past the last URL) and failed_url */
  private url: number | undefined = 0;
  private failedUrl: number | undefined;

  constructor(
    readonly flavour: Flavour,
    readonly t: Timing,
  ) {
    this.isUp = !t.alpha;
    this.retryIt = t.retry;
  }

  /** The delay before the first attempt; `rand` in [0, 1) (keepalived: random()/RAND_MAX). */
  startDelay(rand: number): number {
    return BOOTSTRAP_DELAY_MS + Math.floor(this.t.warmupMs * rand);
  }

  /** The URL the next HTTP attempt checks. */
  get currentUrl(): number {
    return this.url ?? 0;
  }

  /** One attempt finished. `logAll`: log_all_failures (checker or global). */
  result(ok: boolean, logAll: boolean): Outcome {
    switch (this.flavour) {
      case "tcp":
        return this.tcp(ok, logAll);
      case "udp":
        return this.udp(ok, logAll);
      case "smtp":
        return this.smtp(ok, logAll);
      case "dns":
        return this.dns(ok, logAll);
      case "misc":
        return this.misc(ok, logAll);
      case "http":
        return this.http(ok, logAll);
    }
  }

  /**
   * Reload: keep the state of an unchanged checker, as ipwrapper.c migrate_checkers does.
   * A checker that is down needs one more failure only (retry_it = retry + 1); an HTTP
   * checker that is down keeps its failed URL and starts again at the first
   * (check_http.c migrate_http_check).
   */
  carryFrom(old: CheckerTimer): void {
    if (old.hasRun) this.isUp = old.isUp;
    this.hasRun = old.hasRun;
    if (!this.isUp) this.retryIt = this.t.retry + 1;
    else this.retryIt = Math.min(old.retryIt, this.t.retry);
    if (!this.isUp) this.failedUrl = old.failedUrl;
  }

  private out(delay: number, lines: LogLine[] = [], fromStart = false): Outcome {
    return { delay, fromStart, firstNotify: false, lines, retries: 0, url: this.currentUrl };
  }

  /** update_svr_checker_state: a change, or the first result's notify. */
  private report(o: Outcome, alive: boolean): Outcome {
    if (this.isUp === alive) {
      if (!this.hasRun && (this.t.alpha || !alive)) o.firstNotify = true;
    } else {
      o.change = alive ? "up" : "down";
      this.isUp = alive;
    }
    this.hasRun = true;
    return o;
  }

  /** The final verdict of tcp_epilog / udp_epilog: up or down, logged, once per change. */
  private settle(o: Outcome, ok: boolean): void {
    if (ok && (!this.isUp || !this.hasRun)) {
      o.lines.push("up");
      this.report(o, true);
    } else if (!ok && (this.isUp || !this.hasRun)) {
      o.lines.push("down");
      o.retries = this.t.retry && this.hasRun ? this.t.retry : 0;
      this.report(o, false);
    }
  }

  private tcp(ok: boolean, logAll: boolean): Outcome {
    const lines: LogLine[] = !ok && this.isUp && logAll ? ["failure"] : [];
    let o: Outcome;
    if (ok || this.retryIt >= this.t.retry) {
      o = this.out(this.t.delayLoopMs, lines);
      this.retryIt = 0;
      this.settle(o, ok);
    } else {
      o = this.out(this.t.delayBeforeRetryMs, lines);
      this.retryIt++;
    }
    this.hasRun = true;
    return o;
  }

  private udp(ok: boolean, logAll: boolean): Outcome {
    const lines: LogLine[] = !ok && this.isUp && logAll ? ["failure"] : [];
    const o = this.out(this.t.delayLoopMs, lines);
    if (ok || ((this.isUp || !this.hasRun) && this.retryIt >= this.t.retry)) {
      this.retryIt = 0;
      this.settle(o, ok);
    } else if (this.isUp) {
      o.delay = this.t.delayBeforeRetryMs;
      this.retryIt++;
    }
    this.hasRun = true;
    return o;
  }

  private smtp(ok: boolean, logAll: boolean): Outcome {
    if (!ok) {
      const lines: LogLine[] =
        (this.isUp || !this.hasRun) && (logAll || this.retryIt >= this.t.retry) ? ["failure"] : [];
      if (++this.retryIt <= this.t.retry) return this.out(this.t.delayBeforeRetryMs, lines);
      const o = this.out(this.t.delayLoopMs, lines);
      if (this.isUp || !this.hasRun) this.report(o, false);
      return o;
    }
    this.retryIt = 0;
    const o = this.out(this.t.delayLoopMs);
    if (!this.isUp || !this.hasRun) {
      o.lines.push("up");
      this.report(o, true);
    }
    this.hasRun = true;
    return o;
  }

  private dns(ok: boolean, logAll: boolean): Outcome {
    if (!ok) {
      if (this.isUp || !this.hasRun) {
        const last = this.retryIt >= this.t.retry;
        const lines: LogLine[] = logAll || last ? ["failure"] : [];
        if (!last) {
          this.retryIt++;
          this.hasRun = true;
          return this.out(this.t.delayBeforeRetryMs, lines);
        }
        const o = this.out(this.t.delayLoopMs, lines);
        o.retries = this.hasRun ? this.t.retry : 0;
        this.report(o, false);
        this.retryIt = 0;
        return o;
      }
      this.retryIt = 0;
      return this.out(this.t.delayLoopMs);
    }
    const o = this.out(this.t.delayLoopMs);
    if (!this.isUp || !this.hasRun) this.report(o, true);
    this.retryIt = 0;
    return o;
  }

  private misc(ok: boolean, logAll: boolean): Outcome {
    const o = this.out(0, [], true);
    if (ok) {
      if (!this.isUp || !this.hasRun) {
        o.lines.push("up");
        this.report(o, true);
      }
      this.retryIt = 0;
    } else if (this.isUp || !this.hasRun) {
      if (this.retryIt < this.t.retry) {
        this.retryIt++;
        if (logAll) o.lines.push("failure");
      } else {
        this.retryIt = 0;
        o.lines.push("down");
        o.retries = this.t.retry;
        this.report(o, false);
      }
    }
    o.delay = this.retryIt ? this.t.delayBeforeRetryMs : this.t.delayLoopMs;
    this.hasRun = true;
    return o;
  }

  private http(ok: boolean, logAll: boolean): Outcome {
    const n = Math.max(1, this.t.urls ?? 1);
    const o = this.out(0);
    let method: "new" | "retry" | "failed";
    if (ok) method = "new";
    else if (this.isUp || !this.hasRun) {
      // timeout_epilog: the failure is logged only with log_all_failures
      if (logAll) o.lines.push("failure");
      this.hasRun = true;
      method = "retry";
    } else method = "failed";

    if (method === "new") {
      this.url = this.url === undefined || this.url + 1 >= n ? undefined : this.url + 1;
      this.retryIt = 0;
    } else if (method === "retry") this.retryIt++;

    if (method === "new" && this.url === undefined && this.failedUrl === undefined) {
      // every URL passed
      if (!this.isUp || !this.hasRun) {
        o.lines.push("up");
        this.report(o, true);
      }
      this.url = 0;
      this.retryIt = 0;
    } else if (method === "retry" && this.retryIt > this.t.retry) {
      if (this.isUp || !this.hasRun) {
        o.lines.push("down");
        o.retries = this.hasRun && this.t.retry ? this.retryIt - 1 : 0;
        this.report(o, false);
      }
      this.failedUrl = this.url ?? 0;
    } else if (method === "new" && this.failedUrl !== undefined) {
      // the failed URL passes again: check them all from the first
      this.failedUrl = undefined;
      this.url = 0;
      this.retryIt = 0;
    }

    if (method === "new") {
      o.delay = this.t.delayLoopMs;
      if (!this.hasRun) this.retryIt = this.t.retry;
    } else if (this.failedUrl !== undefined) o.delay = Math.max(this.t.delayBeforeRetryMs, this.t.delayLoopMs);
    else o.delay = this.t.delayBeforeRetryMs;

    if (this.t.fastRecovery && (!this.hasRun || (!this.isUp && this.failedUrl === undefined))) o.delay = 0;
    if (this.url === undefined) this.url = 0;
    o.url = this.url;
    return o;
  }
}
