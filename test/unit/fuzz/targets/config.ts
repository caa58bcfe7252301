/**
 * The configuration readers (src/config/preprocess.ts, tree.ts, parse.ts, source.ts, toml.ts):
 * they must return a model and diagnostics, never throw, and finish quickly whatever the text
 * (recursive $VARs, include loops, huge ~SEQ ranges, definitions that double at each level).
 * - config-conf: one keepalived.conf, read from memory (it may include itself: a cycle);
 * - config-tree: several files written to a temp dir and read from disk, so includes with
 *   globs, braces, relative paths, directories and cycles go through the real diskSource.
 *   A corpus file holds the files one after the other, each starting with a line
 *   `#==> NAME` (NAME relative to the dir; the first file is the entry);
 * - config-toml: one TOML config (parseTomlConfig).
 * Inputs: the fixture configs mutated, random text, and configs built from a grammar that
 * knows keepalived's blocks, keywords, values and every preprocessor construct.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize } from "node:path";
import fc from "fast-check";
import { type ParseResult, parseConf } from "../../../../src/config/parse";
import { diskSource, memorySource } from "../../../../src/config/source";
import { parseTomlConfig } from "../../../../src/config/toml";
import { mutated, randomBytes, text, utf8 } from "../gen";
import { type Target, expectThat, hit, noThrow } from "../harness";

const FIXTURES = join(import.meta.dir, "../../../fixtures/config");
const fixtures = (ext: string) =>
  [...new Bun.Glob(`**/*.${ext}`).scanSync(FIXTURES)].sort().map((f) => readFileSync(join(FIXTURES, f), "utf8"));

// the host is fixed: no /sys or /etc/passwd lookups, so a run depends only on its input
const host = {
  interfaceExists: (n: string) => n === "eth0" || n === "lo",
  userExists: () => true,
  groupExists: () => true,
};
const opts = { host, configId: "lb1", randomSeed: 1, env: { HOME: "/root", EMPTY: "" } };

/** files the input consists of, by name, so a diagnostic's line can be checked against them */
function checkParse(what: string, r: ParseResult, t: Target, files: Record<string, string> = {}): void {
  expectThat(typeof r.config === "object" && r.config !== null, `${what}: no config`);
  for (const d of r.diagnostics.items) {
    expectThat(typeof d.file === "string" && d.file.length > 0, `${what}: a diagnostic without a file`);
    expectThat(
      Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.col) && d.col >= 1,
      `${what}: a diagnostic at ${d.line}:${d.col}`,
    );
    expectThat(
      /^[a-z0-9-]+$/.test(d.code) && d.message.length > 0,
      `${what}: diagnostic code '${d.code}' or empty message`,
    );
    hit(t, d.severity);
    // a location is for a person (or an editor) to go to: it must exist in the file it names
    const f = files[d.file];
    if (f !== undefined)
      expectThat(d.line <= f.split("\n").length, `${what}: ${d.code} at line ${d.line} of ${d.file}`);
  }
  if (r.diagnostics.items.length === 0) hit(t, "clean");
  // names from the input (block names, TOML keys such as __proto__) must not reach shared prototypes
  for (const proto of [Object.prototype, Array.prototype]) {
    const own = Object.getOwnPropertyNames(proto).filter((k) => !PRISTINE.get(proto)!.has(k));
    expectThat(own.length === 0, `${what}: the input added ${own.join(", ")} to a built-in prototype`);
  }
}

const PRISTINE = new Map<object, Set<string>>(
  [Object.prototype, Array.prototype].map((p) => [p, new Set(Object.getOwnPropertyNames(p))]),
);

// ---------------------------------------------------------------- the grammar

/** first words of the fixtures' lines: keepalived's real keywords and block names */
function vocabulary(texts: string[]): string[] {
  const words = new Set<string>();
  for (const t of texts)
    for (const l of t.split("\n")) {
      const w = /^\s*([a-z_][a-z0-9_]*)/.exec(l)?.[1];
      if (w) words.add(w);
    }
  return [...words].sort();
}
/** names that are also Object.prototype's: a keyword or block name must not find the prototype */
const PROTO_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

const BLOCKS = [
  "global_defs",
  "vrrp_instance VI_1",
  "vrrp_sync_group G",
  "virtual_server 10.0.0.1 80",
  "real_server 10.0.0.2 80",
  "vrrp_script chk",
  "vrrp_track_file tf",
  "virtual_ipaddress",
  "track_interface",
  "authentication",
  "HTTP_GET",
  "url",
  "TCP_CHECK",
  "unicast_peer",
  "track_script",
  "virtual_server_group VSG",
  "static_ipaddress",
  "virtual_routes",
  "vrrp_track_process p",
  "vrrp_script constructor",
  "vrrp_script __proto__",
  "vrrp_track_file toString",
  "bfd_instance __proto__",
];

const value = fc.oneof(
  fc.constantFrom(...PROTO_NAMES, "chk", "tf", "p", "VI_1", "G"),
  fc.constantFrom("0", "1", "-1", "255", "256", "65535", "4294967296", "1e309", "0x10", "010", "3.5", "NaN", ""),
  fc.constantFrom(
    "10.0.0.1",
    "10.0.0.1/24",
    "::1",
    "fe80::1%eth0",
    "2001:db8::/129",
    "224.0.0.18",
    "999.1.1.1",
    "10.0.0.1-5",
  ),
  fc.constantFrom(
    "eth0",
    "MASTER",
    "BACKUP",
    "PASS",
    "AH",
    "dev",
    "label",
    "brd",
    "scope",
    "weight",
    "reverse",
    "on",
    "off",
  ),
  fc.constantFrom(
    '"quoted string"',
    '"unterminated',
    '"a # not a comment"',
    "\\#",
    "'single'",
    "{",
    "}",
    "{}",
    "é",
    "\t",
  ),
  fc.constantFrom(
    "$VAR",
    "${VAR}",
    "$NOPE",
    "${NOPE}",
    "${_RANDOM}",
    "${_RANDOM 1 5}",
    "${_RANDOM x}",
    "${_ENV HOME}",
    "${_ENV}",
    "${_INSTANCE}",
    "${_PWD}",
    "${_HASH}",
    "${_BANG}",
    "$",
    "${",
    "${VAR x y}",
    "$M",
    "$SEQV",
  ),
  fc.string({ maxLength: 8 }),
);

const keyword = (vocab: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...vocab) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );

const seqArgs = fc.oneof(
  fc.tuple(fc.integer({ min: -5, max: 40 })).map(([a]) => `${a}`),
  fc.tuple(fc.integer({ min: -5, max: 40 }), fc.integer({ min: -5, max: 40 })).map(([a, b]) => `${a}, ${b}`),
  fc
    .tuple(fc.integer({ min: -5, max: 40 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -5, max: 40 }))
    .map((x) => x.join(",")),
  // past the generated-lines limit, and numbers JavaScript cannot hold exactly
  fc.constantFrom(
    "1, 50001",
    "0x7fffffffffffffff",
    "1, 1e3",
    "1, 0, 5",
    "-9007199254740993, 9007199254740993",
    "$N",
    "a, b",
  ),
);

/** preprocessor lines: definitions, conditionals, generators, includes, comments, continuations */
function directive(line: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const name = fc.constantFrom("VAR", "M", "N", "SEQV", "_RANDOM", "_HASH", "A", "B");
  return fc.oneof(
    fc.tuple(name, value).map(([n, v]) => `$${n}=${v}`),
    fc.tuple(name, fc.array(line, { minLength: 1, maxLength: 3 })).map(([n, ls]) => `$${n}=\\\n${ls.join(" \\\n")}\n`),
    fc.tuple(name, fc.constantFrom("$A $A", "${A}${A}", "$B", "$M\\", "${M}")).map(([n, v]) => `$${n}=${v}`),
    fc.tuple(fc.constantFrom("@lb1 ", "@lb2 ", "@^lb1 ", "@^lb2 ", "@", "@^ "), line).map(([c, l]) => c + l),
    fc
      .tuple(fc.constantFrom("~SEQ", "~SEQx", "~SEQ "), fc.constantFrom("i", "SEQV", "1x", ""), seqArgs, line)
      .map(([k, v, a, l]) => `${k}(${v}, ${a}) ${l}`),
    fc
      .tuple(
        fc.constantFrom("~LST(i, a, b, c)", "~LST({a, b}, {1, 2}, {3})", "~LST({a}, {1, 2, 3})", "~LST(", "~LST(i)"),
        line,
      )
      .map(([k, l]) => `${k} ${l}`),
    fc.constantFrom(
      "include keepalived.conf",
      "include conf.d/*.conf",
      "includer missing/*.conf",
      'include "a b.conf"',
      "include {a,b}.conf",
      "include ../*",
      "include /dev/null",
      "include .",
      "include [",
      "include **/*.conf",
    ),
    fc.constantFrom("# comment", "! comment", "   ", "\\", "}", "{", "\r", "\0"),
  );
}

function confText(vocab: string[]): fc.Arbitrary<string> {
  const line = fc.tuple(keyword(vocab), fc.array(value, { maxLength: 4 })).map(([k, vs]) => [k, ...vs].join(" "));
  const { block } = fc.letrec((tie) => ({
    block: fc
      .tuple(fc.constantFrom(...BLOCKS), tie("body"), fc.boolean())
      .map(([h, b, closed]) => `${h} {\n${b}${closed ? "}\n" : ""}`),
    item: fc.oneof(
      { depthSize: "small" },
      { weight: 5, arbitrary: line.map((l) => `${l}\n`) },
      { weight: 3, arbitrary: directive(line).map((l) => `${l}\n`) },
      { weight: 2, arbitrary: tie("block") },
    ),
    body: fc.array(tie("item"), { maxLength: 10, size: "medium" }).map((xs) => (xs as string[]).join("")),
  }));
  // a config is mostly blocks at the top, with preprocessor lines and strays between them
  const top = fc.oneof(
    { weight: 4, arbitrary: block as fc.Arbitrary<string> },
    { weight: 2, arbitrary: directive(line).map((l) => `${l}\n`) },
    { weight: 1, arbitrary: line.map((l) => `${l}\n`) },
  );
  return fc.array(top, { minLength: 1, maxLength: 12, size: "medium" }).map((xs) => xs.join(""));
}

// ---------------------------------------------------------------- config-conf

const CONF_PATH = "/etc/keepalived/keepalived.conf";

export const configConf: Target = {
  name: "config-conf",
  budgetMs: 4000,
  ciRuns: 200,
  mustReach: ["error", "warning", "clean"],
  reached: new Map(),
  run(input) {
    const files = { [CONF_PATH]: text(input) };
    const r = noThrow("parseConf", () => parseConf(CONF_PATH, { ...opts, source: memorySource(files) }));
    checkParse("parseConf", r, configConf, files);
  },
  inputs() {
    const texts = fixtures("conf");
    const seeds = texts.map(utf8);
    return fc.oneof(
      { weight: 4, arbitrary: confText(vocabulary(texts)).map(utf8) },
      { weight: 4, arbitrary: mutated(seeds) },
      { weight: 1, arbitrary: randomBytes(300) },
    );
  },
};

// ---------------------------------------------------------------- config-tree (on disk)

/** keep a path from the input inside the temp dir */
const inside = (raw: string): string => {
  const name = normalize(raw.replace(/\0/g, "")).replace(/^(\.\.\/|\/)+/, "");
  return name === "." || name.startsWith("..") ? "" : name;
};

/**
 * `#==> NAME` lines split a corpus file into files; `#==> NAME -> TARGET` makes NAME a
 * symlink to TARGET (relative to NAME's directory, and kept inside the temp dir).
 */
export function splitTree(input: string): { name: string; text: string; link?: string }[] {
  const files: { name: string; text: string; link?: string }[] = [];
  for (const part of input.split(/^#==> /m)) {
    if (part === "" && files.length === 0) continue;
    const nl = part.indexOf("\n");
    const [raw = "", to] = (nl < 0 ? part : part.slice(0, nl)).split(" -> ").map((x) => x.trim());
    const name = inside(raw);
    if (name === "") continue;
    const escapes = to !== undefined && (isAbsolute(to) || normalize(join(dirname(name), to)).startsWith(".."));
    const link = escapes ? undefined : to;
    files.push({ name, text: nl < 0 ? "" : part.slice(nl + 1), link });
  }
  return files;
}

let treeBase: string | undefined;

export const configTree: Target = {
  name: "config-tree",
  budgetMs: 4000,
  ciRuns: 60,
  mustReach: ["error", "warning", "include-cycle", "include-no-match", "included"],
  reached: new Map(),
  run(input) {
    treeBase ??= mkdtempSync(join(tmpdir(), "keel-fuzz-tree-"));
    const dir = mkdtempSync(join(treeBase, "t-"));
    try {
      const files = splitTree(text(input));
      const entry = join(dir, files[0]?.name ?? "keepalived.conf");
      for (const f of files) {
        const p = join(dir, f.name);
        try {
          mkdirSync(dirname(p), { recursive: true });
          if (f.link !== undefined) symlinkSync(f.link, p);
          else writeFileSync(p, f.text);
        } catch {
          // a name that is also a directory: that file is absent, which the reader must report
        }
      }
      const r = noThrow("parseConf(disk)", () => parseConf(entry, { ...opts, source: diskSource }));
      checkParse("parseConf(disk)", r, configTree);
      for (const d of r.diagnostics.items) {
        expectThat(
          !d.file.startsWith("/") || d.file.startsWith(dir) || d.file.startsWith("/dev/"),
          `a diagnostic outside the tree: ${d.file}`,
        );
        if (d.code.startsWith("include")) hit(configTree, d.code);
        if (d.file !== entry) hit(configTree, "included");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  inputs() {
    const texts = fixtures("conf");
    const vocab = vocabulary(texts);
    const name = fc.constantFrom(
      "a.conf",
      "b.conf",
      "conf.d/x.conf",
      "conf.d/y.conf",
      "conf.d/sub/z.conf",
      "a b.conf",
      "conf.d",
    );
    const file = fc.tuple(name, confText(vocab)).map(([n, t]) => `#==> ${n}\n${t}`);
    // symlinks as conf.d setups have them, loops included
    const link = fc
      .tuple(
        fc.constantFrom("conf.d/link.conf", "conf.d/sub/up", "conf.d/loop", "conf.d/sub/l.conf", "c.conf"),
        fc.constantFrom("..", ".", "../a.conf", "../..", "a.conf", "conf.d", "missing.conf", "link.conf"),
      )
      .map(([n, to]) => `#==> ${n} -> ${to}\n`);
    const includes = fc.array(
      fc.constantFrom(
        "include a.conf",
        "include b.conf",
        "include conf.d/*.conf",
        "include conf.d/*/*.conf",
        "include conf.d/**/*.conf",
        "include /dev/zero",
        "include /dev/null",
        "include {a,b}.conf",
        "includer nowhere/*.conf",
        "include keepalived.conf",
        "include conf.d",
        "include ../keepalived.conf",
        "include *.conf",
      ),
      { minLength: 1, maxLength: 3 },
    );
    return fc
      .tuple(includes, confText(vocab), fc.array(fc.oneof(file, file, link), { maxLength: 5 }))
      .map(([inc, main, rest]) => utf8(`#==> keepalived.conf\n${inc.join("\n")}\n${main}${rest.join("")}`));
  },
};

// ---------------------------------------------------------------- config-toml

export const configToml: Target = {
  name: "config-toml",
  budgetMs: 4000,
  ciRuns: 300,
  mustReach: ["error", "clean"],
  reached: new Map(),
  run(input) {
    const toml = text(input);
    const r = noThrow("parseTomlConfig", () => parseTomlConfig("/etc/keel/keel.toml", toml, opts));
    checkParse("parseTomlConfig", r, configToml, { "/etc/keel/keel.toml": toml });
  },
  inputs() {
    const seeds = fixtures("toml").map(utf8);
    const key = fc.constantFrom(
      "router_id",
      "state",
      "interface",
      "virtual_router_id",
      "priority",
      "advert_int",
      "auth_pass",
      "virtual_ipaddress",
      "name",
      "delay_loop",
      "lb_algo",
      "weight",
      "unknown_key",
      "__proto__",
      "constructor",
      "script",
      "1",
    );
    const tomlValue = fc.oneof(
      fc.constantFrom(
        '"x"',
        "1",
        "-1",
        "1e400",
        "true",
        "[]",
        '["10.0.0.1/24"]',
        "{}",
        "nan",
        "inf",
        "1979-05-27",
        '"""\nmulti\n"""',
        '[1, "a"]',
        '"${VAR}"',
        '"a\\u0000b"',
      ),
    );
    const table = fc.constantFrom(
      "[global_defs]",
      "[vrrp_instance.VI_1]",
      "[[virtual_server]]",
      "[virtual_server.x.real_server]",
      "[vrrp_instance]",
      "[vrrp_instance.VI_1.authentication]",
      "[a.b.c]",
      "[[vrrp_instance.VI_1.track_script]]",
      "[",
    );
    const doc = fc
      .array(
        fc.oneof(
          table,
          fc.tuple(key, tomlValue).map(([k, v]) => `${k} = ${v}`),
        ),
        { maxLength: 12 },
      )
      .map((ls) => utf8(ls.join("\n")));
    return fc.oneof(
      { weight: 4, arbitrary: doc },
      { weight: 4, arbitrary: mutated(seeds) },
      { weight: 1, arbitrary: randomBytes(200) },
    );
  },
};
