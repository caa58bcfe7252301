// Fuzz targets for the configuration readers: keepalived.conf from memory and from a directory
// tree with includes, and TOML (see targets/config.ts and harness.ts).
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { CORPUS, fuzzTest } from "./harness";
import { configConf, configToml, configTree } from "./targets/config";

fuzzTest(test, configConf);
fuzzTest(test, configTree);
fuzzTest(test, configToml);

test("names that are also Object.prototype's are names like any other", () => {
  // fuzzing found `toString` on a line throwing, `track_script { constructor }` taken for an
  // existing vrrp_script, and `vrrp_script __proto__` reported as a duplicate and dropped
  const text = readFileSync(join(CORPUS, "config-conf/prototype-names.conf"), "utf8");
  const host = { interfaceExists: () => true, userExists: () => true, groupExists: () => true };
  const r = parseConf("/k.conf", { source: memorySource({ "/k.conf": text }), host, configId: "x", randomSeed: 1 });
  const diags = r.diagnostics.items.map((d) => `${d.line}: ${d.code}`);
  expect(diags).toContain("15: unknown-track-script");
  expect(diags).not.toContain("16: unknown-track-script");
  expect(diags.filter((d) => d.includes("duplicate-name"))).toEqual([]);
  expect(Object.keys(r.config.vrrpScripts).sort()).toEqual(["__proto__", "constructor"]);
  const name: string = "constructor"; // typed as a string, not as Object's constructor
  expect(r.config.vrrpScripts[name]?.script).toBeDefined();
  const keyword = parseConf("/t.conf", {
    source: memorySource({ "/t.conf": "global_defs {\n toString 1\n}\n" }),
    host,
  });
  expect(keyword.diagnostics.items.map((d) => d.code)).toEqual(["unknown-keyword"]);
});

test("include with ** is glob(3)'s: one directory level, and a symlink loop below does not stop it", () => {
  // Bun.Glob's ** recursed through conf.d/a/up -> .. for seconds and then matched nothing
  const dir = mkdtempSync(join(tmpdir(), "keel-glob-"));
  try {
    mkdirSync(join(dir, "conf.d/a/deeper"), { recursive: true });
    writeFileSync(join(dir, "keepalived.conf"), "include conf.d/**/*.conf\n");
    writeFileSync(join(dir, "conf.d/a/x.conf"), "global_defs {\n  router_id x\n}\n");
    writeFileSync(join(dir, "conf.d/a/deeper/y.conf"), "global_defs {\n  router_id y\n}\n");
    symlinkSync("..", join(dir, "conf.d/a/up"));
    symlinkSync("../..", join(dir, "conf.d/a/up2"));
    const r = parseConf(join(dir, "keepalived.conf"), { host: { interfaceExists: () => true }, configId: "x" });
    expect(r.diagnostics.items.map((d) => d.code)).toEqual([]);
    expect(r.config.globalDefs.routerId).toBe("x");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
