// The kept corpus: every input in test/fixtures/fuzz/<target>/ once broke a decoder (or is a
// seed worth keeping: a limit, a deep nest). Each is decoded again, with the same checks and
// time budget as the fuzzing itself (harness.ts), so a fixed bug stays fixed.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CORPUS, check, corpusOf } from "./harness";
import { TARGETS } from "./targets";

test("every corpus directory belongs to a target", () => {
  const dirs = existsSync(CORPUS)
    ? readdirSync(CORPUS, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
  expect(dirs.filter((d) => !TARGETS.some((t) => t.name === d))).toEqual([]);
});

for (const t of TARGETS) {
  const inputs = corpusOf(t.name);
  if (inputs.length === 0) continue;
  describe(`corpus ${t.name}`, () => {
    for (const { file, bytes } of inputs) {
      test(join(t.name, file.slice(file.lastIndexOf("/") + 1)), () => check(t, bytes), 60_000);
    }
  });
}
