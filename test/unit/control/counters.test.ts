// The `counters` reply as the client decodes it (parseCounters): a daemon's reply passes as
// it is; anything else is `bad-counters` naming the entry, never a throw.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Counters, parseCounters, parseServerLine } from "../../../src/control/protocol";

const good: Counters = {
  at: 1_780_000_000_000,
  instances: [
    ["VI_1", 10, 0, 2, "10.0.0.2"],
    ["VI_2", 0, 5, 0, null],
  ],
  bfd: [["bfd_a", 100, 99]],
};

const why = (v: unknown) => {
  const r = parseCounters(v);
  return r.ok ? "ok" : `${r.error.code}: ${r.error.message}`;
};

describe("parseCounters", () => {
  test("a daemon's reply round-trips through JSON unchanged (bfd optional)", () => {
    const r = parseCounters(JSON.parse(JSON.stringify(good)));
    expect(r.ok && r.value).toEqual(good);
    expect(why({ at: 1, instances: [] })).toBe("ok");
  });

  test("each wrong part is named", () => {
    expect(why(null)).toBe("bad-counters: the result is not an object");
    expect(why({ instances: [] })).toBe("bad-counters: at is not a number");
    expect(why({ at: 1, instances: {} })).toBe("bad-counters: instances is not a list");
    expect(why({ at: 1, instances: [["VI_1", 1, 2, 3]] })).toBe(
      "bad-counters: instances[0] is not [name, rx, tx, errors, master]",
    );
    expect(why({ at: 1, instances: [["VI_1", 1, "2", 3, null]] })).toBe(
      "bad-counters: instances[0] is not [name, rx, tx, errors, master]",
    );
    expect(why({ at: 1, instances: [], bfd: [["b", 1]] })).toBe("bad-counters: bfd[0] is not [name, rx, tx]");
  });

  test("never throws on any JSON value (fixed seed)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        parseCounters(v);
        parseCounters({ at: 1, instances: v });
      }),
      { seed: 20, numRuns: 500 },
    );
  });

  test("a transition event's faults must be a list of strings", () => {
    const line = (faults: unknown) =>
      parseServerLine(
        JSON.stringify({
          event: "transition",
          at: 1,
          instance: "VI_1",
          from: "MASTER",
          to: "FAULT",
          reason: "x",
          faults,
        }),
      );
    expect(line(["interface eth0"]).ok).toBe(true);
    expect(line(undefined).ok).toBe(true);
    expect(line("eth0")).toMatchObject({ ok: false, error: { code: "unknown-event" } });
  });
});
