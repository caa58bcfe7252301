// The `explain` reply as the client decodes it (parseExplanations): what a daemon sends
// passes as it is; anything else is `bad-explain` naming the field, never a throw.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Explanation, parseExplanations, parseRequest } from "../../../src/control/protocol";
import { fuzzTest } from "../fuzz/harness";
import { controlExplain } from "../fuzz/targets/explain";

fuzzTest(test, controlExplain);

const good: Explanation = {
  instance: "VI_1",
  state: "BACKUP",
  since: 1_780_000_000_000,
  sentence: "BACKUP since 10:04:12: 10.0.0.12 advertises priority 150 > mine 100",
  wouldChange: ["10.0.0.12's adverts stopping for 3.6 s makes me MASTER"],
  decisions: [
    {
      at: 1_780_000_000_000,
      from: "INIT",
      to: "BACKUP",
      reason: "init",
      rule: "keepalived vrrp_init_state",
      words: "started as BACKUP",
    },
  ],
};

describe("parseExplanations", () => {
  test("a daemon's reply round-trips through JSON unchanged", () => {
    const r = parseExplanations(JSON.parse(JSON.stringify([good, { ...good, since: undefined, instance: "VI_2" }])));
    expect(r.ok).toBe(true);
    expect(r.ok && r.value[0]).toEqual(good);
    expect(r.ok && "since" in (r.value[1] as object)).toBe(false);
  });

  test("each wrong field is named", () => {
    const bad = (over: Record<string, unknown>) => {
      const r = parseExplanations([{ ...good, ...over }]);
      return r.ok ? "ok" : `${r.error.code}: ${r.error.message}`;
    };
    expect(bad({ sentence: 3 })).toBe("bad-explain: [0].sentence is not a string");
    expect(bad({ since: "now" })).toBe("bad-explain: [0].since is not a number");
    expect(bad({ wouldChange: [1] })).toBe("bad-explain: [0].wouldChange is not a list of strings");
    expect(bad({ decisions: [{ ...good.decisions[0], rule: null }] })).toBe(
      "bad-explain: [0].decisions[0].rule is missing or of the wrong type",
    );
    expect(bad({ seen: ["x", 2] })).toBe("bad-explain: [0].seen is not a list of strings");
    expect(bad({ seen: ["dual master since 10:00:00"] })).toBe("ok");
    expect(bad({ decisions: [null] })).toBe("bad-explain: [0].decisions[0].from is missing or of the wrong type");
    const notList = parseExplanations({ instance: "VI_1" });
    expect(notList.ok ? "ok" : notList.error.message).toBe("the result is not a list");
  });

  test("never throws on any JSON value (fixed seed)", () => {
    const shaped = fc.array(
      fc.dictionary(
        fc.constantFrom("instance", "state", "since", "sentence", "wouldChange", "decisions", "__proto__"),
        fc.jsonValue({ maxDepth: 3 }),
      ),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), shaped), (v) => {
        const r = parseExplanations(v);
        expect(r.ok || r.error.code === "bad-explain").toBe(true);
      }),
      { seed: 18, numRuns: 2000 },
    );
  });

  test("`explain` is a request the daemon accepts, with or without an instance", () => {
    expect(parseRequest('{"cmd":"explain"}')).toEqual({
      ok: true,
      value: { id: undefined, cmd: "explain", instance: undefined },
    });
    expect(parseRequest('{"id":3,"cmd":"explain","instance":"VI_1"}').ok).toBe(true);
    expect(parseRequest('{"cmd":"explain","instance":7}').ok).toBe(false);
  });
});
