// The code table and docs/lint.md agree: every code has its section (with a fix), and the
// page documents no code the table lacks.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LINT_CODES } from "../../../src/lint/codes";

const doc = readFileSync(join(import.meta.dir, "../../../docs/lint.md"), "utf8");

test("docs/lint.md has one section with a fix per code, in the table's order", () => {
  const sections = [...doc.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
  expect(sections).toEqual(Object.keys(LINT_CODES));
  for (const part of doc.split(/^## /m).slice(1)) expect(part).toContain("**Fix:**");
});
