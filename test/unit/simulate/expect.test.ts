// Each expectation kind, holding and failing, over a real run (h1 killed at 6 s, restarted at 15 s).
import { describe, expect, test } from "bun:test";
import { type History, holderSequence, verdict } from "../../../src/simulate/expect";
import { HOSTS, pairConf, simulateText } from "./helpers";

function verdicts(expects: string[], events = ["6s kill h1", "15s restart h1"]) {
  const text = [
    HOSTS,
    `events = [${events.map((e) => JSON.stringify(e)).join(", ")}]`,
    "expect = [",
    ...expects.map((e) => `  ${JSON.stringify(e)},`),
    "]",
  ].join("\n");
  return simulateText({ pair: pairConf() }, text).verdicts.map((v) => [v.line, v.ok, v.detail]);
}

describe("expectations over a run", () => {
  test("at T VIP ADDR on HOSTS", () => {
    expect(
      verdicts([
        "at 5s VIP 10.0.0.100 on h1",
        "at 12s VIP 10.0.0.100 on h2",
        "at 7s VIP 10.0.0.100 on nobody",
        "at 12s VIP 10.0.0.100 on h1",
        "at 1s VIP 10.0.0.100 on h1,h2",
      ]),
    ).toEqual([
      [4, true, "held by h1"],
      [5, true, "held by h2"],
      [6, true, "held by nobody"],
      [7, false, "held by h2"],
      [8, false, "held by nobody"],
    ]);
  });

  test("HOST [INSTANCE] STATE at T", () => {
    expect(
      verdicts([
        "h1 MASTER at 5s",
        "h1 VI_1 down at 12s",
        "h2 VI_1 MASTER at 12s",
        "h2 BACKUP at 12s",
        "h1 VI_9 MASTER at 5s",
      ]),
    ).toEqual([
      [4, true, "VI_1 MASTER"],
      [5, true, "VI_1 down"],
      [6, true, "VI_1 MASTER"],
      [7, false, "VI_1 MASTER"],
      [8, false, "h1 has no instance VI_9"],
    ]);
  });

  test("never two masters: a preemption's instant is no overlap; a partition is", () => {
    expect(verdicts(["never two masters"])).toEqual([[4, true, "at most one master per VRID"]]);
    expect(verdicts(["never two masters"], ["6s partition h1 | h2", "14s heal"])).toEqual([
      [4, false, "h1 and h2 both MASTER of VRID 51 at 9.023s"],
    ]);
  });

  test("VIP ADDR moves at most N times", () => {
    expect(verdicts(["VIP 10.0.0.100 moves at most 2 times", "VIP 10.0.0.100 moves at most 1 time"])).toEqual([
      [4, true, "moved 2 times"],
      [5, false, "moved 2 times"],
    ]);
  });

  test("VIP ADDR sequence", () => {
    expect(
      verdicts(["VIP 10.0.0.100 sequence h1 h2 h1", "VIP 10.0.0.100 sequence h1 h1", "VIP 10.0.0.101 sequence h1"]),
    ).toEqual([
      [4, true, "sequence h1 h2 h1"],
      [5, false, "sequence h1 h2 h1"],
      [6, false, "sequence (never held)"],
    ]);
    expect(verdicts(["VIP 10.0.0.100 sequence h1 h1+h2 h1"], ["6s partition h1 | h2", "14s heal"])).toEqual([
      [4, true, "sequence h1 h1+h2 h1"],
    ]);
  });
});

describe("holderSequence", () => {
  const h = (vips: History["vips"], end = 100): History => ({ end, vips, states: [], vridOf: new Map() });
  test("drops nobody and sets that lasted no time, merges repeats; the last set runs to the end", () => {
    const vip = "v";
    expect(
      holderSequence(
        h([
          { t: 0, vip, holders: [] },
          { t: 10, vip, holders: ["a"] },
          { t: 20, vip, holders: ["a", "b"] },
          { t: 20, vip, holders: ["b"] },
          { t: 30, vip, holders: [] },
          { t: 40, vip, holders: ["b"] },
          { t: 50, vip, holders: ["b", "a"] },
          { t: 60, vip: "w", holders: ["c"] },
        ]),
        vip,
      ),
    ).toEqual(["a", "b", "a+b"]);
  });
  test("verdict of a sequence against a hand-made history", () => {
    const hist = h([
      { t: 0, vip: "v", holders: ["a"] },
      { t: 5, vip: "v", holders: ["b"] },
    ]);
    expect(verdict({ kind: "sequence", vip: "v", hosts: ["a", "b"] }, hist)).toEqual({
      ok: true,
      detail: "sequence a b",
    });
    expect(verdict({ kind: "moves-at-most", vip: "v", n: 0 }, hist)).toEqual({ ok: false, detail: "moved 1 time" });
  });
});
