/**
 * The `explain` reply's result as the client decodes it (parseExplanations in
 * src/control/protocol.ts): what `keel explain` and the TUI read from a daemon. An input is
 * the JSON text of a result. Inputs: lists of objects with the right keys and values of
 * any type, well-formed results with one field changed, any JSON, and raw bytes.
 */
import fc from "fast-check";
import { parseExplanations } from "../../../../src/control/protocol";
import { randomBytes, text, utf8 } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

const decision = { at: 1, from: "BACKUP", to: "MASTER", reason: "init", rule: "r", words: "w" };
const good = { instance: "VI_1", state: "BACKUP", since: 1, sentence: "s", wouldChange: ["x"], decisions: [decision] };
const KEYS = [...Object.keys(good), ...Object.keys(decision), "__proto__"];

const anyValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

/** a good result with one field of the explanation or its decision changed (or removed) */
const nearlyValid = fc
  .tuple(fc.constantFrom(...KEYS), fc.option(anyValue), fc.boolean())
  .map(([key, v, inDecision]) => {
    const d: Record<string, unknown> = { ...decision };
    const e: Record<string, unknown> = { ...good, decisions: [d] };
    const o = inDecision ? d : e;
    if (v === null) delete o[key];
    else o[key] = v;
    return JSON.stringify([e]);
  });

const shaped = fc
  .array(fc.dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 8 }), { maxLength: 3 })
  .map((l) => JSON.stringify(l));

export const controlExplain: Target = {
  name: "control-explain",
  budgetMs: 500,
  ciRuns: 1000,
  mustReach: ["ok", "bad-explain"],
  reached: new Map(),
  run(input) {
    let v: unknown;
    try {
      v = JSON.parse(text(input));
    } catch {
      hit(controlExplain, "not-json"); // the client's line decoder answers those (control-server-line)
      return;
    }
    const r = noThrow("parseExplanations", () => parseExplanations(v));
    if (!checkResult("parseExplanations", r, new Set(["bad-explain"]))) {
      hit(controlExplain, r.error.code);
      return;
    }
    for (const e of r.value as { sentence: unknown; decisions: { words: unknown }[] }[]) {
      expectThat(typeof e.sentence === "string", "an explanation without its sentence");
      expectThat(
        e.decisions.every((d) => typeof d.words === "string"),
        "a decision without its words",
      );
    }
    hit(controlExplain, "ok");
  },
  inputs: () =>
    fc.oneof(
      { weight: 3, arbitrary: nearlyValid.map(utf8) },
      { weight: 3, arbitrary: shaped.map(utf8) },
      { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map(utf8) },
      { weight: 1, arbitrary: randomBytes(128) },
    ),
};
