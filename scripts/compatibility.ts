/**
 * COMPATIBILITY.md, generated: `bun scripts/compatibility.ts` (npm run compat) writes it,
 * `--check` exits 1 when the file is stale; test/unit/config/compat.test.ts does the same.
 *
 * Inputs, none of them hand-copied into the output:
 * - keepalived's keyword paths per version, test/fixtures/compat/keywords-*.txt (made by
 *   scripts/keepalived-keywords.ts from keepalived's C sources);
 * - keel's keyword tables, reached by parsing every configuration under test/fixtures
 *   (config/ and compat/) with `Ctx.record` on: the spec of each block path, and the model
 *   fields each keyword's handler wrote;
 * - src/config/not-applied.ts, the keywords keel reads but does not act on;
 * - the run-time code (src/vrrp, src/runtime, src/check, src/lvs, src/snmp), searched for each of
 *   those model fields, and the tests, searched for each keyword;
 * - the OPTIONS table of src/args.ts with its `compat` field.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { OPTIONS } from "../src/args";
import { APPLIED_INDIRECTLY, NOT_APPLIED } from "../src/config/not-applied";
import { parseConf } from "../src/config/parse";
import type { KeywordRecord } from "../src/config/schema";

export const ROOT = join(import.meta.dir, "..");
const CATALOGUES = join(ROOT, "test/fixtures/compat");
const RUNTIME_DIRS = ["src/vrrp", "src/runtime", "src/check", "src/lvs", "src/snmp"];
/** tests that exercise behaviour; the config tests only show that a keyword parses */
const BEHAVIOUR_TESTS = ["test/netns", "test/interop", "test/sim", "test/vm", "test/tui", "test/unit"];
const PARSE_TESTS = ["test/unit/config", "test/unit/fuzz"];

export interface Catalogue {
  version: string;
  tag: string;
  commit: string;
  paths: Set<string>;
}

/** The keepalived catalogues, oldest first. */
export function catalogues(): Catalogue[] {
  return readdirSync(CATALOGUES)
    .filter((f) => /^keywords-.*\.txt$/.test(f))
    .map((f) => {
      const text = readFileSync(join(CATALOGUES, f), "utf8");
      const head = /at (\S+) \(commit ([0-9a-f]+)\)/.exec(text);
      if (!head) throw new Error(`${f}: no 'at TAG (commit ...)' provenance line`);
      const paths = new Set(text.split("\n").filter((l) => l !== "" && !l.startsWith("#")));
      return {
        version: (head[1] as string).replace(/^v/, ""),
        tag: head[1] as string,
        commit: head[2] as string,
        paths,
      };
    })
    .sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
}

function walk(dir: string, keep: (f: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out.sort();
}

export type Status = "applied" | "not-applied" | "obsolete" | "unknown";

export interface KeelPath {
  /** the keyword keel files it under when this spelling is an alias */
  aliasOf?: string;
  /** spec.obsolete's reason */
  obsolete?: string;
  /** keel warns that keepalived deprecates it (and applies it) */
  deprecated?: boolean;
}

/** keel's keyword paths, reached by parsing every fixture configuration with recording on. */
export function keelTables(): {
  paths: Map<string, KeelPath>;
  fields: Map<string, Set<string>>;
} {
  const record: KeywordRecord = { specs: new Map(), fields: new Map(), deprecated: new Set() };
  const files = ["test/fixtures/config", "test/fixtures/compat"].flatMap((d) =>
    walk(join(ROOT, d), (f) => f.endsWith(".conf")),
  );
  for (const f of files) parseConf(f, { record, host: { interfaceExists: () => true } });
  const paths = new Map<string, KeelPath>();
  for (const [block, spec] of record.specs) {
    const at = (k: string) => (block ? `${block}.${k}` : k);
    for (const k of Object.keys(spec.keywords)) paths.set(at(k), {});
    for (const [a, k] of Object.entries(spec.aliases ?? {})) paths.set(at(a), { aliasOf: at(k) });
    for (const [k, why] of Object.entries(spec.obsolete ?? {})) paths.set(at(k), { obsolete: why });
  }
  for (const p of record.deprecated) {
    const k = paths.get(p);
    if (k) k.deprecated = true;
  }
  return { paths, fields: record.fields };
}

export interface Row {
  path: string;
  /** the path keel files it under (differs for an alias) */
  canonical: string;
  /** keepalived versions that install it */
  in: string[];
  status: Status;
  /** why: the not-applied sentence, the obsolete reason, "alias of ..." */
  note: string;
  /** model fields its handler wrote in the fixtures */
  fields: string[];
  /** run-time files that read one of those fields */
  readers: string[];
  /** test files that mention the keyword, behaviour tests first */
  tests: string[];
}

export interface Survey {
  catalogues: Catalogue[];
  rows: Row[];
}

export function survey(): Survey {
  const cats = catalogues();
  const keel = keelTables();
  const runtime = RUNTIME_DIRS.flatMap((d) => walk(join(ROOT, d), (f) => f.endsWith(".ts"))).map((f) => ({
    file: relative(ROOT, f),
    text: readFileSync(f, "utf8"),
  }));
  const testFiles = [...BEHAVIOUR_TESTS, ...PARSE_TESTS]
    .flatMap((d) => walk(join(ROOT, d), (f) => /\.(test\.)?tsx?$/.test(f)))
    .filter((f, i, all) => all.indexOf(f) === i)
    .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, "utf8") }))
    .sort((a, b) => a.file.localeCompare(b.file));
  const all = new Set([...cats.flatMap((c) => [...c.paths]), ...keel.paths.keys()]);
  const rows: Row[] = [];
  for (const path of [...all].sort(byPath)) {
    const k = keel.paths.get(path);
    const canonical = k?.aliasOf ?? path;
    const word = canonical.slice(canonical.lastIndexOf(".") + 1);
    const fields = [...(keel.fields.get(canonical) ?? [])].sort();
    const readers = runtime.filter((r) => fields.some((f) => new RegExp(`\\b${f}\\b`).test(r.text))).map((r) => r.file);
    const wordRe = new RegExp(`(?<![\\w-])${word.replace(/[-]/g, "\\-")}(?![\\w-])`, "g");
    // behaviour tests before parse tests; within each, the files that use the keyword most
    const tests = testFiles
      .map((t) => ({ file: t.file, uses: t.text.match(wordRe)?.length ?? 0 }))
      .filter((t) => t.uses > 0)
      .sort((a, b) => parseTest(a.file) - parseTest(b.file) || b.uses - a.uses || a.file.localeCompare(b.file))
      .map((t) => t.file);
    let status: Status;
    let note = "";
    if (!k) {
      status = "unknown";
      note = "keel does not know this keyword: `keel -t` reports it as an error";
    } else if (k.obsolete !== undefined) {
      status = "obsolete";
      note = `ignored with a warning: ${k.obsolete}`;
    } else if (Object.hasOwn(NOT_APPLIED, canonical)) {
      status = "not-applied";
      note = NOT_APPLIED[canonical] as string;
    } else {
      status = "applied";
      note = [
        k.deprecated && "deprecated in keepalived: keel warns and applies it",
        k.aliasOf && `alias of \`${k.aliasOf}\``,
        APPLIED_INDIRECTLY[canonical],
      ]
        .filter(Boolean)
        .join("; ");
    }
    rows.push({
      path,
      canonical,
      in: cats.filter((c) => c.paths.has(path)).map((c) => c.version),
      status,
      note,
      fields,
      readers,
      tests,
    });
  }
  return { catalogues: cats, rows };
}

/** 1 for a test that only parses configurations, 0 for one that exercises behaviour. */
function parseTest(file: string): number {
  return PARSE_TESTS.some((d) => file.startsWith(`${d}/`)) ? 1 : 0;
}

/** Block paths sort before the keywords inside them; otherwise alphabetical. */
function byPath(a: string, b: string): number {
  return a.localeCompare(b);
}

const LABEL: Record<Status, string> = {
  applied: "applied",
  "not-applied": "**not applied**",
  obsolete: "deprecated in keepalived",
  unknown: "**unknown to keel**",
};

/** At most three files, then how many more. */
function shortList(files: string[]): string {
  const shown = files
    .slice(0, 3)
    .map((f) => `\`${f}\``)
    .join(", ");
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}

function cell(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The distinct keywords `keel -t` warns not-applied about. */
export function notApplied(s: Survey): number {
  return new Set(s.rows.filter((r) => r.status === "not-applied").map((r) => r.canonical)).size;
}

export function render(s: Survey = survey()): string {
  const vs = s.catalogues.map((c) => c.version);
  const kaRows = s.rows.filter((r) => r.in.length > 0);
  const keelOnly = s.rows.filter((r) => r.in.length === 0);
  const count = (rows: Row[], st: Status) => rows.filter((r) => r.status === st).length;
  const out: string[] = [];
  out.push(
    "# Compatibility with keepalived",
    "",
    "<!-- generated by `bun scripts/compatibility.ts` (npm run compat); do not edit by hand:",
    "     test/unit/config/compat.test.ts fails when this file is stale -->",
    "",
    "keel reads keepalived's configuration language and command line. This page lists every",
    "keyword path keepalived's parsers install and every keepalived command-line option, with",
    "what keel does with it. A keyword is **applied** when keel's run-time code reads what it",
    "sets; a keyword keel reads but does not act on is **not applied**, and `keel -t` and the",
    "daemon's start say so with `warning[not-applied]` at its first use in each file, naming",
    "what keel does instead (the table is `src/config/not-applied.ts`).",
    "",
    "## Counts",
    "",
    "| | count |",
    "| --- | ---: |",
    ...s.catalogues.map(
      (c) => `| keyword paths in keepalived ${c.version} (\`${c.tag}\`, ${c.commit.slice(0, 12)}) | ${c.paths.size} |`,
    ),
    `| keyword paths in any of them | ${kaRows.length} |`,
    `| applied by keel | ${count(kaRows, "applied")} |`,
    `| of those, deprecated in keepalived (keel warns) | ${kaRows.filter((r) => r.status === "applied" && r.note.startsWith("deprecated")).length} |`,
    `| accepted but not applied | ${count(kaRows, "not-applied")} |`,
    `| deprecated in keepalived and ignored (with a warning) | ${count(kaRows, "obsolete")} |`,
    `| unknown to keel | ${count(kaRows, "unknown")} |`,
    `| keel-only keyword paths (applied / not applied) | ${keelOnly.length} (${count(keelOnly, "applied")} / ${count(keelOnly, "not-applied")}) |`,
    `| \`warning[not-applied]\` keyword paths (\`src/config/not-applied.ts\`; an alias counts with its keyword) | ${notApplied(s)} |`,
    "",
    "How the columns are made: keepalived's paths come from its C sources",
    "(`scripts/keepalived-keywords.ts`, `test/fixtures/compat/keywords-*.txt`); keel's from its",
    "keyword tables, reached by parsing every configuration under `test/fixtures`; *model",
    "fields* are the fields a keyword's handler wrote there, *read at run time by* the files of",
    `${RUNTIME_DIRS.map((d) => `\`${d}\``).join(", ")} that name one of them, and *tests* the test files that`,
    "mention the keyword (behaviour tests first, then those that mention it most; two shown). These are searches, not",
    "proofs; the `not applied` verdicts and their sentences are the reviewed part.",
    "",
  );
  out.push(
    "## Defaults that differ from keepalived's",
    "",
    "Where keel's default behaviour differs on purpose; each row names the keyword that restores keepalived's.",
    "",
    "| keyword | keepalived 2.2.7 | keel | why | keepalived's behaviour with |",
    "| --- | --- | --- | --- | --- |",
    ...BEHAVIOUR_NOTES.map(
      (n) => `| \`${n.keyword}\` | ${cell(n.keepalived)} | ${cell(n.keel)} | ${cell(n.why)} | \`${n.restore}\` |`,
    ),
    "",
  );
  const blocks = new Map<string, Row[]>();
  for (const r of s.rows) {
    const top = r.path.split(".")[0] as string;
    const key = r.path.includes(".") ? top : "(top level)";
    const list = blocks.get(key) ?? [];
    list.push(r);
    blocks.set(key, list);
  }
  const order = [...blocks.keys()].sort((a, b) =>
    a === "(top level)" ? -1 : b === "(top level)" ? 1 : a.localeCompare(b),
  );
  for (const b of order) {
    const rows = blocks.get(b) as Row[];
    out.push(`## ${b === "(top level)" ? "Top-level keywords" : `\`${b}\``}`, "");
    out.push(`| path | ${vs.join(" | ")} | keel | model fields → read at run time by | tests |`);
    out.push(`| --- | ${vs.map(() => ":---:").join(" | ")} | --- | --- | --- |`);
    for (const r of rows) {
      const status = `${LABEL[r.status]}${r.note ? `: ${r.note}` : ""}`;
      const fields =
        r.fields.length === 0
          ? ""
          : `${r.fields.map((f) => `\`${f}\``).join(", ")} → ${r.readers.length ? shortList(r.readers) : "none"}`;
      const tests = r.tests
        .slice(0, 2)
        .map((t) => `\`${t}\``)
        .join(", ");
      out.push(
        `| \`${r.path}\` | ${vs.map((v) => (r.in.includes(v) ? "✓" : "")).join(" | ")} | ${cell(status)} | ${cell(fields)} | ${tests} |`,
      );
    }
    out.push("");
  }
  out.push(
    "## Command-line options",
    "",
    "From the `OPTIONS` table of `src/args.ts`: *applied* works as in keepalived 2.2.7,",
    "*refused* stops keel with a message saying why, *keel-only* is keel's own.",
    "",
    "| option | keel | note |",
    "| --- | --- | --- |",
  );
  for (const o of OPTIONS) {
    const name = `\`--${o.long}\`${o.short ? ` / \`-${o.short}\`` : ""}`;
    const status = o.compat ? o.compat.status : "not yet classified";
    out.push(`| ${name} | ${status} | ${cell(o.compat?.note ?? o.help)} |`);
  }
  out.push("");
  return out.join("\n");
}

/** Defaults keel changed on purpose (reviewed by hand, like the not-applied sentences). */
const BEHAVIOUR_NOTES: { keyword: string; keepalived: string; keel: string; why: string; restore: string }[] = [
  {
    keyword: "vrrp_higher_prio_send_advert / vrrp_instance.higher_prio_send_advert",
    keepalived: "off: a master hearing a higher-priority advert leaves MASTER silently",
    keel: "on (except in strict mode, as keepalived requires): it sends one advert at its own priority as it yields",
    why: "when a split brain heals and the loser hears the winner first, the winner never hears a lower-priority master, so it sends no GARP / unsolicited NA and neighbours keep the loser's MAC (issue 18: 1 heal in 3). With the advert the winner answers it with garp_lower_prio_repeat (default: garp_master_repeat) now and after garp_lower_prio_delay, as keepalived itself does; a keepalived winner answers keel's advert the same way (test/interop/split-brain.test.ts)",
    restore: "vrrp_higher_prio_send_advert false",
  },
];

export const OUTPUT = join(ROOT, "COMPATIBILITY.md");

if (import.meta.main) {
  const text = render();
  if (process.argv.includes("--check")) {
    const now = readFileSync(OUTPUT, "utf8");
    if (now !== text) {
      console.error("COMPATIBILITY.md is stale: run `bun scripts/compatibility.ts`");
      process.exit(1);
    }
  } else writeFileSync(OUTPUT, text);
}
