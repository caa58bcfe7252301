/**
 * Fixture runner shared by the config tests. For every NAME.conf (or NAME.toml) under a
 * fixtures folder: NAME.json holds the expected model (or the part of it the test
 * picks), NAME.diag the expected diagnostics, one per line, paths relative to the
 * fixtures root. `UPDATE=1 bun test ...` rewrites them from the current output —
 * review every rewritten file by eye before committing it.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import { loadConfig } from "../../../src/config/load";
import type { KeelConfig } from "../../../src/config/model";

export const FIXTURES = join(import.meta.dir, "../../fixtures/config");
const update = process.env.UPDATE === "1";

export function load(file: string) {
  // every interface exists; `lo` is the loopback (vrf lo: config/vrrp/check.ts)
  const host = { interfaceExists: () => true, isLoopback: (name: string) => name === "lo" };
  return loadConfig(file, { host, configId: "test", randomSeed: 7 });
}

export function diagText(file: string): string {
  return load(file)
    .diagnostics.items.map((d) => formatDiagnostic({ ...d, file: relative(FIXTURES, d.file) }))
    .join("\n")
    .replaceAll(`${FIXTURES}/`, "");
}

/** One test per fixture in `dir`; `pick` selects the part of the model compared with NAME.json. */
export function fixtureTests(dir: string, pick: (c: KeelConfig) => unknown = (c) => c): void {
  const root = join(FIXTURES, dir);
  for (const f of readdirSync(root).sort()) {
    if (!f.endsWith(".conf") && !f.endsWith(".toml")) continue;
    const base = join(root, f.replace(/\.(conf|toml)$/, ""));
    test(`${dir}/${f}`, () => {
      const file = join(root, f);
      const diags = diagText(file);
      const diagFile = `${base}.diag`;
      const jsonFile = `${base}.json`;
      if (update) {
        if (diags !== "" || existsSync(diagFile)) writeFileSync(diagFile, diags === "" ? "" : `${diags}\n`);
        if (diags === "" || existsSync(jsonFile))
          writeFileSync(jsonFile, `${JSON.stringify(pick(load(file).config), null, 2)}\n`);
      }
      if (!existsSync(diagFile) && !existsSync(jsonFile))
        throw new Error(`${f}: no ${base}.json or .diag; run with UPDATE=1 and review`);
      expect(diags).toBe(existsSync(diagFile) ? readFileSync(diagFile, "utf8").trimEnd() : "");
      if (existsSync(jsonFile))
        expect(JSON.parse(JSON.stringify(pick(load(file).config)))).toEqual(JSON.parse(readFileSync(jsonFile, "utf8")));
    });
  }
}
