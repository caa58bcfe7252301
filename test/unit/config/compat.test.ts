/**
 * COMPATIBILITY.md, the not-applied table and the parser's warnings agree: the file is
 * what the generator makes now, its "not applied" rows are the table keyword for keyword,
 * `keel -t` warns about exactly those, and the audit behind "applied" holds (each applied
 * keyword's model fields are read at run time, or the table says how they are reached).
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APPLIED_INDIRECTLY, NOT_APPLIED } from "../../../src/config/not-applied";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { OUTPUT, ROOT, catalogues, keelTables, notApplied, render, survey } from "../../../scripts/compatibility";

const FIXTURES = join(ROOT, "test/fixtures/compat");
/** every not-applied keyword, split so that each file stays under the 100 diagnostics of a kind that are kept */
const NOT_APPLIED_FILES = ["not-applied-global.conf", "not-applied.conf"].map((f) => join(FIXTURES, f));
const s = survey();

describe("COMPATIBILITY.md", () => {
  test("is up to date (regenerate with `bun scripts/compatibility.ts`)", () => {
    expect(readFileSync(OUTPUT, "utf8")).toBe(render(s));
  });

  test("its not-applied rows are the table in src/config/not-applied.ts, keyword for keyword", () => {
    const canonical = new Set(s.rows.filter((r) => r.status === "not-applied").map((r) => r.canonical));
    expect([...canonical].sort()).toEqual(Object.keys(NOT_APPLIED).sort());
    const count = /\| `warning\[not-applied\]` keyword paths [^|]*\| (\d+) \|/.exec(readFileSync(OUTPUT, "utf8"));
    expect(Number(count?.[1])).toBe(Object.keys(NOT_APPLIED).length);
    expect(notApplied(s)).toBe(Object.keys(NOT_APPLIED).length);
  });

  test("every not-applied and indirectly applied keyword is one keel's tables know", () => {
    const keel = keelTables().paths;
    for (const p of [...Object.keys(NOT_APPLIED), ...Object.keys(APPLIED_INDIRECTLY)]) {
      expect({ p, known: keel.has(p) && keel.get(p)?.aliasOf === undefined }).toEqual({ p, known: true });
    }
  });

  test("an applied keyword's model fields are read at run time, or APPLIED_INDIRECTLY says how", () => {
    const unread = s.rows
      .filter((r) => r.status === "applied" && r.fields.length > 0 && r.readers.length === 0)
      .map((r) => r.canonical);
    expect([...new Set(unread)].sort()).toEqual(Object.keys(APPLIED_INDIRECTLY).sort());
  });

  test("the fixtures reach every block keepalived has, so each keyword is classified", () => {
    const keel = keelTables().paths;
    const blocks = new Set(
      catalogues().flatMap((c) => [...c.paths].flatMap((p) => p.split(".").map((_, i, a) => a.slice(0, i).join(".")))),
    );
    blocks.delete("");
    for (const b of blocks) expect({ b, known: keel.has(b) }).toEqual({ b, known: true });
  });
});

describe("warning[not-applied]", () => {
  const host = { interfaceExists: () => true };

  test("keel -t's parser warns about exactly the table's keywords, each once, at its token", () => {
    const warned: string[] = [];
    for (const f of NOT_APPLIED_FILES) {
      const r = parseConf(f, { host });
      const kind = r.diagnostics.kinds.get("warning[not-applied]");
      const items = r.diagnostics.items.filter((d) => d.code === "not-applied");
      // all of them kept, so this list is complete
      expect(items.length).toBe(kind?.count ?? 0);
      for (const d of items) {
        const m = /^(\S+) is accepted but not applied: (.+)$/.exec(d.message);
        if (!m) throw new Error(`unexpected message: ${d.message}`);
        const path = m[1] as string;
        warned.push(path);
        expect(m[2]).toBe(NOT_APPLIED[path] as string);
        // at the keyword: the line in the file starts with the keyword as written
        const line = readFileSync(f, "utf8").split("\n")[d.line - 1] as string;
        expect(line.slice(d.col - 1).split(/\s/)[0]).toBe(path.split(".").at(-1) as string);
      }
    }
    expect(warned.sort()).toEqual(Object.keys(NOT_APPLIED).sort());
  });

  test("once per keyword path and file", () => {
    // every vrrp_instance keyword is applied now: global_defs blocks (keepalived reads
    // several) with vrrp_iptables, which keel answers with nftables
    const block = "global_defs {\n  router_id r\n  vrrp_iptables\n}\n";
    const r = parseConf("/a.conf", {
      host,
      source: memorySource({
        "/a.conf": `${block}${block}include /b.conf\n`,
        "/b.conf": `${block}${block}`,
      }),
    });
    const at = r.diagnostics.items.filter((d) => d.code === "not-applied").map((d) => `${d.file}:${d.line}:${d.col}`);
    expect(at).toEqual(["/a.conf:3:3", "/b.conf:3:3"]);
  });

  test("`keel -t` prints them (ten at most, then the count of the rest) and exits 0", () => {
    for (const f of NOT_APPLIED_FILES) {
      const r = spawnSync(process.execPath, [join(ROOT, "src/main.ts"), "-t", "-f", f], { encoding: "utf8" });
      const total = parseConf(f, { host: { interfaceExists: () => true } }).diagnostics.kinds.get(
        "warning[not-applied]",
      )?.count as number;
      // as keywords become applied a fixture may fall to ten or fewer: then all of them, and no count line
      expect(r.stderr.split("\n").filter((l) => l.includes("warning[not-applied]: ")).length).toBe(Math.min(total, 10));
      if (total > 10) expect(r.stderr).toContain(`... and ${total - 10} more warning[not-applied] like this`);
      else expect(r.stderr).not.toContain("more warning[not-applied] like this");
      expect(r.status).toBe(0);
    }
  });
});
