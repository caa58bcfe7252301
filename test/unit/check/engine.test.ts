// The checker engine in virtual time: keepalived's scheduling rules (check_api.c,
// check_tcp.c, check_http.c, check_misc.c) with the exact millisecond of every probe and
// every state change. No clock, no root: each test runs in milliseconds.
import { describe, expect, test } from "bun:test";
import { RELOAD_RESUME_MS } from "../../../src/check/engine";
import { BOOTSTRAP_DELAY_MS } from "../../../src/check/schedule";
import { KO, Lab, OK, mulberry32, server, spec } from "./engine-lab";

const L = 5; // every probe answers this many ms after it starts

describe("tcp_epilog in time", () => {
  const timing = { retry: 2, delayBeforeRetryMs: 1000, delayLoopMs: 6000 };

  test("delay_loop between successes, counted from each result", () => {
    const lab = new Lab();
    lab.add(
      spec("a", timing),
      server(() => true, L),
    );
    lab.run(20_000);
    // BOOTSTRAP_DELAY (warmup 0), then every delay_loop after the answer
    const want = ["1000 probe a url=0", "7005 probe a url=0", "13010 probe a url=0", "19015 probe a url=0"];
    expect(lab.of("probe")).toEqual(want);
    expect(lab.of("down")).toEqual([]);
  });

  test("a failing server is down after retry × delay_before_retry, not before", () => {
    const lab = new Lab();
    lab.add(
      spec("a", timing),
      server((t) => t < 10_000, L),
    );
    lab.run(21_025);
    // first failing probe at 13010; two retries each delay_before_retry after an answer
    const firstFail = 13_010;
    const downAt = firstFail + L + 2 * (timing.delayBeforeRetryMs + L);
    expect(downAt).toBe(15_025);
    expect(lab.of("probe")).toEqual([
      "1000 probe a url=0",
      "7005 probe a url=0",
      "13010 probe a url=0",
      "14015 probe a url=0",
      "15020 probe a url=0",
      "21025 probe a url=0",
    ]);
    expect(lab.of("down")).toEqual([`${downAt} down a probe-failed retries=2`]);
    expect(lab.engine.state("a")).toMatchObject({ up: false, retries: 0 });
  });

  test("a down checker keeps retrying (retry_it was reset) and is up at the first success", () => {
    const lab = new Lab();
    lab.add(
      spec("a", timing),
      server((t) => t < 10_000 || t >= 30_000, L),
    );
    lab.run(40_000);
    // after 15025: 21025, 22030, 23035 fail (a full round of retries), 29040 fails, 30045 passes
    expect(lab.of("probe").slice(5, 10)).toEqual([
      "21025 probe a url=0",
      "22030 probe a url=0",
      "23035 probe a url=0",
      "29040 probe a url=0",
      "30045 probe a url=0",
    ]);
    expect(lab.of("up")).toEqual(["30050 up a probe-succeeded"]);
  });

  test("a success between retries resets the count", () => {
    const lab = new Lab();
    // fails only at the 13010 probe: the retry at 14015 passes
    lab.add(
      spec("a", timing),
      server((t) => t !== 13_010, L),
    );
    lab.run(25_000);
    expect(lab.of("probe").slice(2)).toEqual(["13010 probe a url=0", "14015 probe a url=0", "20020 probe a url=0"]);
    expect(lab.engine.state("a")).toMatchObject({ up: true, retries: 0 });
  });
});

describe("ping_epilog / udp_epilog in time", () => {
  test("a down checker is not retried: it runs every delay_loop", () => {
    const lab = new Lab();
    const s = spec("p", { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 6000 }, { type: "PING_CHECK" });
    lab.add(
      s,
      server((t) => t < 5000, L),
    );
    lab.run(20_000);
    // 7005 fails, retry at 8010 fails: down at 8015; then 14015, 20020 at delay_loop
    expect(lab.of("probe")).toEqual([
      "1000 probe p url=0",
      "7005 probe p url=0",
      "8010 probe p url=0",
      "14015 probe p url=0",
    ]);
    expect(lab.of("down")).toEqual(["8015 down p probe-failed retries=1"]);
  });
});

describe("start: BOOTSTRAP_DELAY plus a random share of warmup", () => {
  test("each checker's first probe at 1000 + floor(warmup × random()), the source seeded", () => {
    const lab = new Lab(7);
    const r = mulberry32(7);
    const warmupMs = 4000;
    const at = () => BOOTSTRAP_DELAY_MS + Math.floor(warmupMs * r());
    const expected = ["a", "b", "c"].map((id) => `${at()} probe ${id} url=0`);
    for (const id of ["a", "b", "c"])
      lab.add(
        spec(id, { warmupMs }),
        server(() => true, L),
      );
    lab.run(BOOTSTRAP_DELAY_MS + warmupMs);
    expect(lab.of("probe").sort()).toEqual(expected.sort());
    // spread: no two checkers of the same real server start together
    expect(new Set(lab.of("probe").map((l) => l.split(" ")[0])).size).toBe(3);
  });

  test("warmup 0 starts exactly at BOOTSTRAP_DELAY, whatever the source", () => {
    const lab = new Lab(99);
    lab.add(
      spec("a", { warmupMs: 0 }),
      server(() => true, L),
    );
    expect(lab.engine.pollTimeout()).toBe(BOOTSTRAP_DELAY_MS);
  });

  test("a thousand checkers: each fires once, in time order, at its own deadline", () => {
    const lab = new Lab(3);
    const r = mulberry32(3);
    const want = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      want.set(`c${i}`, BOOTSTRAP_DELAY_MS + Math.floor(6000 * r()));
      lab.add(
        spec(`c${i}`, { warmupMs: 6000, delayLoopMs: 10_000 }),
        server(() => true, L),
      );
    }
    expect(lab.engine.pollTimeout()).toBe(Math.min(...want.values()));
    lab.run(7000);
    const probes = lab.actions.filter((x) => x.a.kind === "run-probe");
    expect(probes.length).toBe(1000);
    for (const p of probes) if (p.a.kind === "run-probe") expect(p.t).toBe(want.get(p.a.checker) as number);
    expect(probes.map((p) => p.t)).toEqual(probes.map((p) => p.t).sort((a, b) => a - b));
  });
});

describe("alpha and the first result", () => {
  test("non-alpha starts up: one failure is enough initially (retry_it = retry)", () => {
    const lab = new Lab();
    lab.add(
      spec("a", { retry: 3 }),
      server(() => false, L),
    );
    expect(lab.engine.state("a")?.up).toBe(true);
    lab.run(2000);
    expect(lab.of("down")).toEqual(["1005 down a probe-failed retries=0"]);
  });

  test("alpha starts down and is up at its first success", () => {
    const lab = new Lab();
    lab.add(
      spec("a", { alpha: true }),
      server(() => true, L),
    );
    expect(lab.engine.state("a")?.up).toBe(false);
    lab.run(2000);
    expect(lab.of("up")).toEqual(["1005 up a probe-succeeded"]);
  });

  test("alpha with a failing server: no change, but the real server's notify runs once", () => {
    const lab = new Lab();
    lab.add(
      spec("a", { alpha: true }),
      server(() => false, L),
    );
    lab.run(20_000);
    expect(lab.of("notify")).toEqual(["1005 notify a initial-failure"]);
    expect(lab.of("down")).toEqual([]);
    // retry_it started at retry: the first failure waits delay_loop, then retries as usual
    expect(lab.of("probe").slice(0, 3)).toEqual(["1000 probe a url=0", "7005 probe a url=0", "8010 probe a url=0"]);
  });
});

describe("HTTP_GET: one URL per attempt", () => {
  const timing = { retry: 1, delayBeforeRetryMs: 3000, delayLoopMs: 6000, urls: 3 };
  const http = { type: "HTTP_GET" as const };

  test("the URLs in turn, each delay_loop apart; a failing URL retried, down, re-checked at max(loop, dbr)", () => {
    const lab = new Lab();
    // URL 1 fails from 20 s to 41 s
    const srv = (t: number, url: number) => ({ result: url === 1 && t >= 20_000 && t < 41_000 ? KO : OK, ms: L });
    lab.add(spec("h", timing, http), srv);
    lab.run(64_060);
    const probes = lab.of("probe").map((l) => `${l.split(" ")[0]}:${l.split(" ")[3]}`);
    expect(probes).toEqual([
      "1000:url=0",
      "7005:url=1",
      "13010:url=2",
      "19015:url=0",
      "25020:url=1", // fails
      "28025:url=1", // delay_before_retry later: fails again, retry_it 2 > retry: down
      "34030:url=1", // the failed URL every max(delay_loop, delay_before_retry)
      "40035:url=1",
      "46040:url=1", // passes: every URL again from the first
      "52045:url=0",
      "58050:url=1",
      "64055:url=2",
    ]);
    expect(lab.of("down")).toEqual(["28030 down h probe-failed retries=1"]);
    expect(lab.of("up")).toEqual(["64060 up h probe-succeeded"]);
  });

  test("fast_recovery: an alpha checker checks its URLs back to back and is up a delay_loop sooner", () => {
    const slow = new Lab();
    slow.add(
      spec("h", { ...timing, urls: 2, alpha: true }, http),
      server(() => true, L),
    );
    slow.run(20_000);
    expect(slow.of("up")).toEqual(["7010 up h probe-succeeded"]);
    const fast = new Lab();
    fast.add(
      spec("h", { ...timing, urls: 2, alpha: true, fastRecovery: true }, http),
      server(() => true, L),
    );
    fast.run(20_000);
    expect(fast.of("probe").slice(0, 3)).toEqual(["1000 probe h url=0", "1005 probe h url=1", "7010 probe h url=0"]);
    expect(fast.of("up")).toEqual(["1010 up h probe-succeeded"]);
  });
});

describe("a slow probe", () => {
  test("one attempt at a time: the next is delay_loop after the answer, however late", () => {
    const lab = new Lab();
    // HTTP restarts connect_timeout at every read: 7 s is a slow but legal answer, no watchdog
    lab.add(
      spec("h", { delayLoopMs: 6000 }, { type: "HTTP_GET" }),
      server(() => true, 7000),
    );
    lab.run(20_000);
    expect(lab.of("probe")).toEqual(["1000 probe h url=0", "14000 probe h url=0"]);
    expect(lab.of("checked")).toEqual(["8000 checked h ok up 7000ms"]);
  });

  test("a probe that never answers fails at its watchdog, is aborted, and its late answer is dropped", () => {
    const lab = new Lab();
    const s = spec("a", { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 6000 }, { watchdogMs: 3000 });
    lab.add(s, (t) => (t < 5000 ? { result: OK, ms: L } : undefined));
    lab.run(7005);
    const silent = lab.actions.at(-1)?.a;
    expect(silent).toMatchObject({ kind: "run-probe", checker: "a" });
    lab.run(20_005);
    // 7005 + 3000: timeout; retry 1000 later; 11005 + 3000: down
    expect(lab.of("abort")).toEqual(["10005 abort a", "14005 abort a"]);
    expect(lab.of("probe").slice(1)).toEqual(["7005 probe a url=0", "11005 probe a url=0", "20005 probe a url=0"]);
    expect(lab.of("down")).toEqual(["14005 down a probe-failed retries=1"]);
    const timedOut = lab.actions.find((x) => x.t === 10_005 && x.a.kind === "checked")?.a;
    expect(timedOut).toMatchObject({ ms: 3000, result: { ok: false, timeout: true } });
    const before = lab.seen.length;
    if (silent?.kind === "run-probe") lab.result("a", silent.attempt, OK);
    expect(lab.seen.length).toBe(before);
    expect(lab.engine.state("a")?.up).toBe(false);
  });

  test("MISC_CHECK times its next run from the last start, and at least 1 ms after a long script", () => {
    const lab = new Lab();
    lab.add(
      spec("m", { retry: 0, delayLoopMs: 6000 }, { type: "MISC_CHECK" }),
      server(() => true, 2500),
    );
    lab.run(14_000);
    expect(lab.of("probe")).toEqual(["1000 probe m url=0", "7000 probe m url=0", "13000 probe m url=0"]);
    const slow = new Lab();
    slow.add(
      spec("m", { retry: 0, delayLoopMs: 6000 }, { type: "MISC_CHECK" }),
      server(() => true, 7000),
    );
    slow.run(15_000);
    expect(slow.of("probe")).toEqual(["1000 probe m url=0", "8001 probe m url=0"]);
  });
});

describe("misc_dynamic weights", () => {
  test("a new exit status moves the weight once; the final failure takes it back", () => {
    const lab = new Lab();
    const answers = [5, 5, 3];
    let n = 0;
    const srv = () => {
      const w = answers[n++];
      return { result: w === undefined ? KO : { ok: true as const, weight: w }, ms: L };
    };
    lab.add(spec("m", { retry: 0, delayLoopMs: 6000 }, { type: "MISC_CHECK", baseWeight: 1 }), srv);
    lab.run(20_000);
    expect(lab.seen.filter((l) => ["weight", "down"].includes(l.split(" ")[1] ?? ""))).toEqual([
      "1005 weight m +4",
      "13005 weight m -2",
      "19005 weight m -2",
      "19005 down m probe-failed retries=0",
    ]);
    expect(lab.engine.state("m")?.curWeight).toBe(0);
  });
});

describe("ha_suspend", () => {
  test("a suspended checker keeps its rhythm without probing", () => {
    const lab = new Lab();
    lab.add(
      spec("a", { delayLoopMs: 6000 }),
      server(() => true, L),
    );
    lab.run(2000);
    expect(lab.engine.setEnabled("a", false)).toBe(true);
    expect(lab.engine.setEnabled("a", false)).toBe(false);
    lab.run(14_000);
    expect(lab.engine.setEnabled("a", true)).toBe(true);
    lab.run(20_000);
    // 7005 and 13005 pass without a probe (re-armed every delay_loop)
    expect(lab.of("probe")).toEqual(["1000 probe a url=0", "19005 probe a url=0"]);
  });
});

describe("reload", () => {
  const timing = { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 6000 };

  test("an unchanged checker keeps its state; down, it needs one more failure only (migrate_checkers)", () => {
    const lab = new Lab();
    const a = spec("a", timing);
    lab.add(
      a,
      server(() => false, L),
    );
    lab.run(2000); // down at 1005, retry_it reset to 0
    expect(lab.engine.state("a")).toMatchObject({ up: false, retries: 0 });
    lab.engine.reload([a, spec("b", timing)], lab.now);
    lab.serve(
      "b",
      server(() => false, L),
    );
    lab.drain();
    expect(lab.engine.state("a")).toMatchObject({ up: false, retries: timing.retry + 1 });
    lab.run(17_000);
    // within min(delay_loop, 1 s); that failure waits delay_loop (no retry), then the usual round
    expect(lab.of("probe").filter((l) => l.includes(" a "))).toEqual([
      "1000 probe a url=0",
      `${2000 + RELOAD_RESUME_MS} probe a url=0`,
      "9005 probe a url=0",
      "10010 probe a url=0",
      "16015 probe a url=0",
    ]);
    // a was already down: no second down; b is new: BOOTSTRAP_DELAY, and one failure is enough
    expect(lab.of("down")).toEqual(["1005 down a probe-failed retries=0", "3005 down b probe-failed retries=0"]);
  });

  test("an unchanged checker that is up keeps its retry count", () => {
    const lab = new Lab();
    const a = spec("a", { ...timing, retry: 2 });
    lab.add(
      a,
      server((t) => t < 5000, L),
    );
    lab.run(7500); // 7005 failed: retry_it 1, retry due at 8010
    expect(lab.engine.state("a")).toMatchObject({ up: true, retries: 1 });
    lab.engine.reload([a], lab.now);
    lab.drain();
    lab.run(10_000);
    // 8500 fails: retry_it 2; 9505 fails: down
    expect(lab.of("down")).toEqual(["9510 down a probe-failed retries=2"]);
  });

  test("a down HTTP checker keeps its failed URL: every URL from the first before it is up", () => {
    const lab = new Lab();
    const h = spec("h", { retry: 0, delayBeforeRetryMs: 3000, delayLoopMs: 6000, urls: 2 }, { type: "HTTP_GET" });
    lab.add(h, (t, url) => ({ result: url === 1 && t < 10_000 ? KO : OK, ms: L }));
    lab.run(7500); // url 0 ok at 1005, url 1 fails at 7010: down, failed URL 1
    expect(lab.of("down")).toEqual(["7010 down h probe-failed retries=0"]);
    lab.engine.reload([h], lab.now);
    lab.drain();
    lab.run(20_515);
    // 8500 url 0 passes with a failed URL known: start again; 14505 url 0, 20510 url 1: up
    expect(lab.of("probe").slice(2)).toEqual(["8500 probe h url=0", "14505 probe h url=0", "20510 probe h url=1"]);
    expect(lab.of("up")).toEqual(["20515 up h probe-succeeded"]);
  });

  test("a changed checker starts afresh; every attempt in flight is aborted and its answer dropped", () => {
    const lab = new Lab();
    lab.add(
      spec("a", timing),
      server(() => true, 2000),
    );
    lab.add(
      spec("gone", timing),
      server(() => true, 2000),
    );
    lab.run(1500);
    const inFlight = lab.actions.filter((x) => x.a.kind === "run-probe").map((x) => x.a);
    expect(inFlight.length).toBe(2);
    lab.engine.reload([spec("a", timing), spec("a2", { ...timing, alpha: true })], lab.now);
    lab.serve(
      "a2",
      server(() => true, L),
    );
    lab.drain();
    expect(lab.of("abort")).toEqual(["1500 abort a", "1500 abort gone"]);
    const before = lab.seen.length;
    for (const p of inFlight) if (p.kind === "run-probe") lab.result(p.checker, p.attempt, KO);
    expect(lab.seen.length).toBe(before);
    expect(lab.engine.state("gone")).toBeUndefined();
    expect(lab.engine.state("a2")?.up).toBe(false);
    lab.run(5000);
    expect(lab.of("probe").slice(2)).toEqual(["2500 probe a url=0", "2500 probe a2 url=0"]);
    expect(lab.of("up")).toEqual(["2505 up a2 probe-succeeded"]);
  });

  test("remove and clear abort what is in flight and leave no deadline", () => {
    const lab = new Lab();
    lab.add(
      spec("a", timing),
      server(() => true, 2000),
    );
    lab.add(
      spec("b", timing),
      server(() => true, 2000),
    );
    lab.run(1500);
    lab.engine.remove("a");
    lab.engine.clear();
    lab.drain();
    expect(lab.of("abort")).toEqual(["1500 abort a", "1500 abort b"]);
    expect(lab.engine.pollTimeout()).toBeUndefined();
  });
});
