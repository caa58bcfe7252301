// src/base/ serves every layer (native-bindings/ and tui/ too), so it imports nothing.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dir, "../../../src/base");

describe("src/base", () => {
  test("no file imports anything", () => {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const text = readFileSync(join(dir, f), "utf8");
      const imports = /^\s*(import|export)\s[^;]*\sfrom\s/m.test(text) || /\brequire\(|\bimport\(/.test(text);
      expect(`${f}: ${imports}`).toBe(`${f}: false`);
    }
  });
});
