// keel -t keeps the vrrp_scripts as packed columns (src/config/packed-scripts.ts): the same
// report as plain objects on every fixture and on mutated ones, the same scripts with the
// same origins, a plain record's key order, and no object alive per block.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heapStats } from "bun:jsc";
import { mulberry32 } from "../../../src/base/random";
import { valuesOf } from "../../../src/base/values";
import { renderDiagnostics } from "../../../src/config/diagnostics";
import { type ParseOptions, parseConf } from "../../../src/config/parse";
import { Origins } from "../../../src/config/origins";
import { packedScripts } from "../../../src/config/packed-scripts";
import { memorySource } from "../../../src/config/source";
import { createVrrpScript } from "../../../src/config/vrrp/model";
import { addHostWarnings } from "../../../src/lint";
import { scriptDiagnostics } from "../../../src/runtime/script-security";
import { writeBigConfig } from "../../../bench/config/big-config";
import { FIXTURES } from "./fixtures";

const host = { interfaceExists: () => true };

/** keel -t's path (src/cli.ts): parse, lint's host warnings, the script audit, the report */
function report(file: string, opts: ParseOptions) {
  const r = parseConf(file, { host, configId: "x", randomSeed: 1, ...opts });
  addHostWarnings(file, r.config, r.origins, r.diagnostics);
  scriptDiagnostics(r.config, r.origins, r.diagnostics, { file, line: 1, col: 1 });
  const scripts = [...valuesOf(r.config.vrrpScripts)].map((s) => ({
    s,
    at: r.origins.get(s),
    scriptAt: s.script && r.origins.get(s.script),
  }));
  return { text: renderDiagnostics(r.diagnostics), scripts, keys: Object.keys(r.config.vrrpScripts) };
}

function samePacked(file: string, source?: ParseOptions["source"]): void {
  const plain = report(file, { source });
  const packed = report(file, { source, packScripts: true });
  expect(packed).toEqual(plain);
}

const files = [...new Bun.Glob("**/*.conf").scanSync(FIXTURES)];

describe("packed vrrp_scripts", () => {
  test(`the same report, scripts and origins on every fixture (${files.length})`, () => {
    for (const f of files) samePacked(join(FIXTURES, f));
  });

  test("the same on 200 mutated fixtures", () => {
    const rnd = mulberry32(14);
    const texts = files.map((f) => readFileSync(join(FIXTURES, f), "utf8"));
    for (let n = 0; n < 200; n++) {
      let text = texts[n % texts.length] as string;
      // a line doubled and a run cut: duplicate names, half blocks, keywords out of place
      const lines = text.split("\n");
      lines.splice(Math.floor(rnd() * lines.length), 0, lines[Math.floor(rnd() * lines.length)] as string);
      text = lines.join("\n");
      const at = Math.floor(rnd() * text.length);
      text = text.slice(0, at) + text.slice(at + Math.floor(rnd() * 30));
      samePacked("/f.conf", memorySource({ "/f.conf": text }));
    }
  }, 60_000);

  test("a plain record's key order, updates in place, deletes, and fields it does not hold", () => {
    const origins = new Origins();
    const plain: Record<string, unknown> = Object.create(null);
    const packed = packedScripts(origins);
    const odd = { ...createVrrpScript("odd"), extra: [1] } as unknown as ReturnType<typeof createVrrpScript>;
    const put = (name: string, s = createVrrpScript(name)) => {
      plain[name] = s;
      packed[name] = s;
    };
    for (const name of ["b", "10", "a", "2", "odd", "x y", "é", "4294967295", "01"]) put(name);
    put("odd", odd);
    put("a", { ...createVrrpScript("a"), weight: -20, timeout: 0.5, script: { command: "/bin/x", user: "u" } });
    delete plain.b;
    delete packed.b;
    put("b");
    expect(Object.keys(packed)).toEqual(Object.keys(plain));
    expect([...valuesOf(packed)]).toEqual(Object.values(plain) as never);
    expect(packed.odd).toBe(odd);
    expect("b" in packed && !("c" in packed)).toBe(true);
  });

  test("no JavaScript object per block stays alive", () => {
    // as objects, 4 a block stayed (the script, its Script, the name, the command: ~285 B
    // of live heap, bench/RESULTS.md); packed, the blocks are rows of typed arrays whose
    // chunks are a handful of objects in all. Counted after a full collection, at two
    // sizes so that what does not grow with the blocks cancels out: a count, not a timing.
    const dir = mkdtempSync(join(tmpdir(), "keel-packed-"));
    try {
      const objects = () => Object.values(heapStats().objectTypeCounts).reduce((a, b) => a + b, 0);
      const live = (n: number, packScripts: boolean) => {
        const file = join(dir, `${n}.conf`);
        writeBigConfig(file, n, "lo");
        Bun.gc(true);
        const before = objects();
        const r = parseConf(file, { host, packScripts });
        Bun.gc(true);
        const after = objects();
        expect(r.diagnostics.warningCount).toBe(n);
        return after - before;
      };
      const perBlock = (pack: boolean) => (live(20_000, pack) - live(5_000, pack)) / 15_000;
      // The heap is the test process's: what an earlier file left running (a timer, a
      // socket) allocates or frees during a count. That noise only ever lowers the plain
      // count or raises the packed one, so the best of three stands for each.
      const tries = (pack: boolean) => [perBlock(pack), perBlock(pack), perBlock(pack)];
      expect(Math.max(...tries(false))).toBeGreaterThan(3);
      expect(Math.min(...tries(true))).toBeLessThan(0.05);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
