// The checker epilogs against keepalived 2.2.7's (check_tcp.c, check_udp.c, check_smtp.c,
// check_dns.c, check_misc.c, check_http.c): delays, retries and state changes step by step.
import { describe, expect, test } from "bun:test";
import { CheckerTimer, type Flavour, flavourOf } from "../../../src/check/schedule";

const T = { retry: 2, delayBeforeRetryMs: 100, delayLoopMs: 1000, warmupMs: 500, alpha: false };

function run(f: Flavour, results: boolean[], t = T) {
  const c = new CheckerTimer(f, t);
  return results.map((ok) => {
    const o = c.result(ok, false);
    return `${ok ? "ok" : "ko"}:${o.delay}${o.change ? `:${o.change}` : ""}${o.firstNotify ? ":notify" : ""}`;
  });
}

describe("flavours", () => {
  test("every checker type maps to its epilog", () => {
    expect(flavourOf("TCP_CHECK")).toBe("tcp");
    expect(flavourOf("PING_CHECK")).toBe("udp");
    expect(flavourOf("UDP_CHECK")).toBe("udp");
    expect(flavourOf("SSL_GET")).toBe("http");
    expect(flavourOf("MISC_CHECK")).toBe("misc");
    expect(flavourOf("DNS_CHECK")).toBe("dns");
    expect(flavourOf("SMTP_CHECK")).toBe("smtp");
  });
  test("first attempt after BOOTSTRAP_DELAY plus a random share of warmup", () => {
    const c = new CheckerTimer("tcp", T);
    expect(c.startDelay(0)).toBe(1000);
    expect(c.startDelay(0.5)).toBe(1250);
  });
});

describe("tcp_epilog", () => {
  test("one failure is enough initially; then retries before going down", () => {
    // start: retry_it = retry, so the first failure marks down at once
    expect(run("tcp", [false])).toEqual(["ko:1000:down"]);
    // up, then fail: two retries at delay_before_retry, the third failure goes down
    // a down checker retries too (retry_it was reset): delay_before_retry again
    expect(run("tcp", [true, false, false, false, false, true])).toEqual([
      "ok:1000",
      "ko:100",
      "ko:100",
      "ko:1000:down",
      "ko:100",
      "ok:1000:up",
    ]);
  });
  test("a success between retries resets the count", () => {
    expect(run("tcp", [true, false, true, false, false, false])).toEqual([
      "ok:1000",
      "ko:100",
      "ok:1000",
      "ko:100",
      "ko:100",
      "ko:1000:down",
    ]);
  });
  test("alpha starts down: the first success brings it up, a first failure only notifies", () => {
    expect(run("tcp", [true], { ...T, alpha: true })).toEqual(["ok:1000:up"]);
    expect(run("tcp", [false, false], { ...T, alpha: true })).toEqual(["ko:1000:notify", "ko:100"]);
  });
  test("down-line retries: 'failed after N retries' only once the checker has run", () => {
    const c = new CheckerTimer("tcp", T);
    expect(c.result(false, false).retries).toBe(0);
    const d = new CheckerTimer("tcp", T);
    d.result(true, false);
    d.result(false, false);
    d.result(false, false);
    const o = d.result(false, false);
    expect(o.lines).toEqual(["down"]);
    expect(o.retries).toBe(2);
  });
  test("log_all_failures logs each failure while up", () => {
    const c = new CheckerTimer("tcp", T);
    c.result(true, true);
    expect(c.result(false, true).lines).toEqual(["failure"]);
  });
});

describe("udp_epilog / ping_epilog", () => {
  test("a checker that is down is not retried: every delay_loop", () => {
    expect(run("udp", [true, false, false, false, false, false])).toEqual([
      "ok:1000",
      "ko:100",
      "ko:100",
      "ko:1000:down",
      "ko:1000",
      "ko:1000",
    ]);
  });
});

describe("smtp_final", () => {
  test("++retry_it <= retry retries; success resets", () => {
    expect(run("smtp", [true, false, false, false, true])).toEqual([
      "ok:1000",
      "ko:100",
      "ko:100",
      "ko:1000:down",
      "ok:1000:up",
    ]);
  });
  test("the failure line is logged on the last try only", () => {
    const c = new CheckerTimer("smtp", T);
    c.result(true, false);
    expect(c.result(false, false).lines).toEqual([]);
    expect(c.result(false, false).lines).toEqual([]);
    expect(c.result(false, false).lines).toEqual(["failure"]);
  });
});

describe("dns_final", () => {
  test("retries while up; down checker runs every delay_loop", () => {
    expect(run("dns", [true, false, false, false, false, true])).toEqual([
      "ok:1000",
      "ko:100",
      "ko:100",
      "ko:1000:down",
      "ko:1000",
      "ok:1000:up",
    ]);
  });
});

describe("misc", () => {
  test("delay counts from the start; delay_before_retry while retrying", () => {
    const c = new CheckerTimer("misc", T);
    expect(c.result(true, false)).toMatchObject({ fromStart: true, delay: 1000 });
    expect(c.result(false, false)).toMatchObject({ delay: 100 });
    expect(c.result(false, false)).toMatchObject({ delay: 100 });
    expect(c.result(false, false)).toMatchObject({ delay: 1000, change: "down", retries: 2 });
  });
});

describe("http epilog", () => {
  const H = { ...T, retry: 1, delayBeforeRetryMs: 3000, delayLoopMs: 1000, urls: 2 };
  test("one URL per attempt, each delay_loop apart; up after the last", () => {
    const c = new CheckerTimer("http", { ...H, alpha: true });
    expect(c.currentUrl).toBe(0);
    expect(c.result(true, false)).toMatchObject({ delay: 1000, url: 1 });
    expect(c.result(true, false)).toMatchObject({ delay: 1000, url: 0, change: "up" });
  });
  test("a failing URL is retried, goes down, and is re-checked at max(loop, dbr); recovery re-checks all URLs", () => {
    const c = new CheckerTimer("http", H);
    c.result(true, false); // url 0 ok
    c.result(true, false); // url 1 ok: complete, no change (was up), has_run
    expect(c.result(true, false)).toMatchObject({ url: 1 }); // url 0 ok
    expect(c.result(false, false)).toMatchObject({ delay: 3000, url: 1 }); // url 1 fails: retry
    expect(c.result(false, false)).toMatchObject({ delay: 3000, url: 1, change: "down", retries: 1 });
    expect(c.result(false, false)).toMatchObject({ delay: 3000, url: 1 }); // already down: FAILED
    expect(c.result(true, false)).toMatchObject({ delay: 1000, url: 0 }); // failed URL passes: restart
    expect(c.result(true, false)).toMatchObject({ url: 1 });
    expect(c.result(true, false)).toMatchObject({ url: 0, change: "up" });
  });
  test("fast_recovery checks at once while down with no known failed URL", () => {
    const c = new CheckerTimer("http", { ...H, alpha: true, fastRecovery: true });
    expect(c.result(true, false).delay).toBe(0);
  });
});
