/**
 * The line layer of keepalived.conf (keepalived lib/parser.c read_line()):
 * comments, `include`, `@id`/`@^id` conditional lines, `$NAME=value` definitions
 * (multi-line with a trailing `\`), `$NAME`/`${NAME}` substitution with keepalived's
 * built-ins, and `~SEQ(...)`/`~LST(...)` line generators. The output is a list of
 * logical lines, each still pointing at the file and line it came from.
 */
import { dirname } from "node:path";
import { readTextFile } from "../../native-bindings/file";
import { glibcRandom } from "../base/glibc-random";
import { type Diagnostics, type SourceLoc, formatLoc } from "./diagnostics";
import { type ConfigSource, SourceReadError, hasWildcards, resolveInclude } from "./source";

export interface LogicalLine {
  text: string;
  file: string;
  line: number;
  /** The physical line as written, for mapping tokens back to columns. */
  raw: string;
}

export interface PreprocessOptions {
  /** `-i/--config-id`; keepalived defaults to the host name up to the first '.' */
  configId?: string;
  /** the value of ${_INSTANCE}; defaults to the config id */
  instance?: string;
  /**
   * srandom()'s seed for ${_RANDOM}: global_defs random_seed (load.ts reads the file again
   * with it, as keepalived's children do), else the time in seconds as keepalived
   */
  randomSeed?: number;
  env?: Record<string, string | undefined>;
  /**
   * global_defs include_check as it stands when an include line is read (INCLUDE_* bits;
   * parse.ts reads the model, whose global_defs handlers have run once their block
   * closed, as keepalived's streaming parser applies it from where it is written)
   */
  includeCheck?: () => number;
  /**
   * Receives keepalived's concatenated copy of the configuration, line by line (lib/parser.c
   * conf_copy, which config_save_dir saves): `# FILE` as each file opens, each physical line
   * decommented and trimmed (an include line blank, to keep the line numbers), `!` as the
   * file closes.
   */
  copy?: (line: string) => void;
}

/** keepalived lib/parser.c include_t: which include problems are configuration errors. */
export const INCLUDE_R = 0x01; // a match that cannot be read, or is a directory
export const INCLUDE_M = 0x02; // no file matches a name without wildcards
export const INCLUDE_W = 0x04; // no file matches even with wildcards
export const INCLUDE_B = 0x08; // a brace alternative matches nothing
export const INCLUDE_CHECK_BITS: Readonly<Record<string, number>> = {
  read: INCLUDE_R,
  match: INCLUDE_M,
  wildcard_match: INCLUDE_W,
  brace_match: INCLUDE_B,
};
/** check_include: `include` checks nothing itself, includer r, includea all, ... */
const VARIANT_BITS: Readonly<Record<string, number>> = {
  "": 0,
  r: INCLUDE_R,
  a: INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B,
  w: INCLUDE_R | INCLUDE_M | INCLUDE_W,
  m: INCLUDE_R | INCLUDE_M,
  b: INCLUDE_R | INCLUDE_B,
};

interface Definition {
  name: string;
  /** multi-line definitions keep their lines separate */
  lines: string[];
  multiline: boolean;
  builtin?: (params: string[]) => string;
  minParams?: number;
  maxParams?: number;
}

const MAX_EXPANSION_DEPTH = 64;
/** keepalived reads lines into a fixed buffer; substitution that grows past this is a mistake */
const MAX_LINE = 65536;
/**
 * Lines made by ~SEQ/~LST and by expanding definitions, all counted together: guards against
 * `~SEQ(i, 1, 1, 100000000)` and against definitions that double at each level ($A1 is two
 * $A0, $A2 two $A1, ...: 30 short lines would make a billion). 50,000 is far more than any
 * config needs and parses in about a second; 5,000,000 (the old ~SEQ-only bound) took minutes.
 */
const MAX_GENERATED_LINES = 50_000;

export function defaultConfigId(): string {
  return hostname().split(".")[0] ?? "";
}

/**
 * uname's nodename, as os.hostname() has it, read from /proc/sys/kernel/hostname (the
 * same UTS namespace's): node:os costs every start that reads a config ~4 ms (issue 20).
 */
function hostname(): string {
  try {
    return readTextFile("/proc/sys/kernel/hostname").trim();
  } catch {
    return (require("node:os") as typeof import("node:os")).hostname();
  }
}

/**
 * decomment(): strip leading/trailing blanks and a comment that starts with `#` or `!`
 * outside double quotes; `\#` and `\!` escape the comment characters. A trailing `\`
 * is kept (it continues a definition).
 */
export function decomment(s: string, diags?: Diagnostics, loc?: SourceLoc): string {
  // Most lines have nothing to strip but blanks; slicing instead of adding characters one
  // at a time also keeps the result a slice of the file text rather than a new string.
  if (!COMMENT_OR_QUOTE.test(s)) return s.trim();
  let out = "";
  let quote = false;
  let i = s.length - s.trimStart().length;
  let from = i;
  for (; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '"') quote = !quote;
    else if (ch === "\\" && i + 1 < s.length) {
      const next = s[i + 1] as string;
      if (!quote && (next === "#" || next === "!")) {
        out += s.slice(from, i) + next;
        from = i + 2;
      }
      i++;
    } else if (!quote && (ch === "#" || ch === "!")) break;
  }
  out += s.slice(from, i);
  if (quote && diags && loc) diags.error(loc, "unterminated-quote", "unterminated quote");
  return out.trimEnd();
}

const COMMENT_OR_QUOTE = /["#!\\]/;

export function preprocess(
  entry: string,
  source: ConfigSource,
  diags: Diagnostics,
  opts: PreprocessOptions = {},
): LogicalLine[] {
  const out: LogicalLine[] = [];
  preprocessTo(entry, source, diags, opts, (l) => out.push(l));
  return out;
}

/**
 * The same, handing each logical line to `sink` as soon as it is read, so that a big
 * configuration is never held as a list of lines (the parser builds its tree from them).
 */
export function preprocessTo(
  entry: string,
  source: ConfigSource,
  diags: Diagnostics,
  opts: PreprocessOptions,
  sink: (line: LogicalLine) => void,
): void {
  const defs = new Map<string, Definition>();
  const configId = opts.configId ?? defaultConfigId();
  const random = glibcRandom(opts.randomSeed ?? Math.floor(Date.now() / 1000));
  const env = opts.env ?? process.env;
  const includeStack: { id: string; file: string; loc?: SourceLoc }[] = [];
  let generated = 0;
  /** the generated-lines limit was hit (reported once) */
  let tooMany = false;
  /**
   * Count `n` more lines that are in no file. Only generators and multi-line definitions
   * multiply lines (a one-line substitution replaces its line), so they are counted there:
   * fuzzing found 17 lines of doubling multi-line definitions taking seconds; 30 never ended.
   */
  const generate = (n: number, loc: SourceLoc): boolean => {
    generated += n;
    if (generated <= MAX_GENERATED_LINES) return true;
    const why = `generators and definitions produced more than ${MAX_GENERATED_LINES} lines`;
    if (!tooMany) diags.error(loc, "seq-too-long", why);
    tooMany = true;
    return false;
  };
  let currentFile = entry;

  const builtin = (name: string, fn: (p: string[]) => string, min = 0, max = 0) =>
    defs.set(name, { name, lines: [], multiline: false, builtin: fn, minParams: min, maxParams: max });
  builtin("_PWD", () => dirname(currentFile));
  // keepalived: "the instance name (as defined by the -i option, defaults to hostname)"
  builtin("_INSTANCE", () => opts.instance ?? configId);
  builtin(
    "_RANDOM",
    (p) => {
      // ${_RANDOM [MIN [MAX]]}: defaults MIN=0, MAX=32767; random() % (MAX - MIN + 1) + MIN
      // (keepalived lib/parser.c get_random: a single parameter is MIN)
      const lo = p.length >= 1 ? Number(p[0]) : 0;
      const hi = p.length === 2 ? Number(p[1]) : 32767;
      // MAX < MIN: the unsigned span wraps, so random() is used whole
      const span = hi - lo + 1;
      const r = random();
      return String((span > 0 ? r % span : r) + lo);
    },
    0,
    2,
  );
  builtin("_ENV", (p) => env[p[0] ?? ""] ?? "", 1, 1);
  // Escaped, so that decommenting the substituted line keeps them as literal characters.
  defs.set("_HASH", { name: "_HASH", lines: ["\\#"], multiline: false });
  defs.set("_BANG", { name: "_BANG", lines: ["\\!"], multiline: false });

  /** `$NAME=value`; returns the definition, or undefined if the line is not one. */
  const parseDefinition = (text: string): Definition | undefined => {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(text);
    if (!m) return undefined;
    let value = m[2] as string;
    let multiline = false;
    if (value.endsWith("\\")) {
      multiline = true;
      value = value.slice(0, -1).trimEnd();
    }
    const def: Definition = { name: m[1] as string, lines: value === "" ? [] : [value], multiline };
    defs.set(def.name, def); // redefining (even a built-in) replaces it, as keepalived does
    return def;
  };

  /**
   * Substitute every `$NAME` (followed by a blank, `,`, `)` or end of line) and
   * `${NAME}` / `${NAME params}`. Returns the resulting lines (more than one when
   * a multi-line definition is expanded), or undefined if nothing was substituted.
   */
  /** set by substitute() when it expanded a multi-line definition */
  let multilineName: string | undefined;
  /** multi-line definitions being expanded: one that names itself would never end */
  const expanding = new Set<string>();

  const substitute = (text: string, loc: SourceLoc): string[] | undefined => {
    let found = false;
    let result = "";
    let tail: string[] = [];
    multilineName = undefined;
    let i = 0;
    while (i < text.length) {
      const dollar = text.indexOf("$", i);
      if (dollar < 0 || dollar === text.length - 1) break;
      result += text.slice(i, dollar);
      let name: string;
      let params: string[] = [];
      let end: number;
      if (text[dollar + 1] === "{") {
        const close = text.indexOf("}", dollar + 2);
        const m =
          close < 0 ? null : /^([A-Za-z_][A-Za-z0-9_]*)((?:[ \t]+[A-Za-z0-9_]+)*)$/.exec(text.slice(dollar + 2, close));
        if (!m) {
          result += "$";
          i = dollar + 1;
          continue;
        }
        name = m[1] as string;
        params = (m[2] as string)
          .trim()
          .split(/[ \t]+/)
          .filter(Boolean);
        end = close + 1;
      } else {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1));
        const after = m ? text[dollar + 1 + m[0].length] : undefined;
        if (!m || (after !== undefined && !" \t,)".includes(after))) {
          result += "$";
          i = dollar + 1;
          continue;
        }
        name = m[0];
        end = dollar + 1 + m[0].length;
      }
      const def = defs.get(name);
      if (!def) {
        if (text[dollar + 1] === "{")
          diags.warning(
            loc,
            "undefined-variable",
            `\${${name}} is not defined; left as written, as one word (keepalived splits it at its braces)`,
          );
        result += text.slice(dollar, end);
        i = end;
        continue;
      }
      if (params.length > 0 && (def.maxParams ?? 0) === 0) {
        diags.error(loc, "bad-variable-params", `definition ${name} takes no parameters`);
      } else if (def.builtin && (params.length < (def.minParams ?? 0) || params.length > (def.maxParams ?? 0))) {
        diags.error(
          loc,
          "bad-variable-params",
          `definition ${name} requires between ${def.minParams} and ${def.maxParams} parameters, ${params.length} specified`,
        );
      }
      found = true;
      if (def.builtin) {
        result += def.builtin(params);
      } else if (def.multiline) {
        // keepalived: the first line replaces the reference, the rest follow as lines of their own
        if (end !== text.length && text.slice(end).trim() !== "")
          diags.error(loc, "multiline-variable", `multi-line definition $${name} must end its line`);
        result += def.lines[0] ?? "";
        tail = def.lines.slice(1);
        multilineName = def.name;
        i = text.length;
        break;
      } else {
        result += def.lines[0] ?? "";
      }
      i = end;
    }
    if (!found) return undefined;
    result += text.slice(i);
    return [result, ...tail];
  };

  const parseSeq = (text: string, loc: SourceLoc): { sets: Record<string, string>[]; rest: string } | undefined => {
    const hex = text.startsWith("~SEQx");
    const m = /^~SEQx?[ \t]*\(([^)]*)\)[ \t]*(.*)$/.exec(text);
    if (!m) {
      diags.error(
        loc,
        "bad-seq",
        `invalid ~SEQ specification '${text}' (expected ~SEQ(var, [start,] [step,] end) TEXT)`,
      );
      return undefined;
    }
    let args = (m[1] as string).split(",").map((s) => s.trim());
    const expanded = substitute(args.join(","), loc);
    if (expanded) args = (expanded[0] as string).split(",").map((s) => s.trim());
    const name = args[0] ?? "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || args.length < 2 || args.length > 4) {
      diags.error(loc, "bad-seq", `invalid ~SEQ definition '${text}'`);
      return undefined;
    }
    const nums = args
      .slice(1)
      .map((s) =>
        /^[-+]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(s)
          ? Number.parseInt(s, s.toLowerCase().includes("0x") ? 16 : /^[-+]?0[0-7]/.test(s) ? 8 : 10)
          : Number.NaN,
      );
    if (nums.some((n) => Number.isNaN(n))) {
      diags.error(loc, "bad-seq", `invalid ~SEQ values '${text}' (numbers expected)`);
      return undefined;
    }
    let start: number;
    let step: number;
    let last: number;
    if (nums.length === 1) {
      last = nums[0] as number;
      step = last < 1 ? -1 : 1;
      start = last < 0 ? -1 : 1;
    } else if (nums.length === 2) {
      [start, last] = nums as [number, number];
      step = start <= last ? 1 : -1;
    } else {
      [start, step, last] = nums as [number, number, number];
      if (step === 0 || (start < last && step < 0) || (start > last && step > 0)) {
        diags.error(loc, "bad-seq", `invalid ~SEQ values '${text}' (the step never reaches the end)`);
        return undefined;
      }
    }
    if (hex && (start < 0 || last < 0)) {
      diags.error(loc, "bad-seq", `~SEQx is only valid for positive numbers '${text}'`);
      return undefined;
    }
    const count = Math.floor((last - start) / step) + 1;
    if (count > MAX_GENERATED_LINES) {
      diags.error(loc, "seq-too-long", `~SEQ would generate ${count} lines (limit ${MAX_GENERATED_LINES})`);
      return undefined;
    }
    const sets: Record<string, string>[] = [];
    for (let v = start; step > 0 ? v <= last : v >= last; v += step)
      sets.push({ [name]: hex ? v.toString(16) : String(v) });
    return { sets, rest: m[2] as string };
  };

  /** ~LST(var, v1, v2, ...) or ~LST({a, b}, {1, 2}, {3, 4}) TEXT */
  const parseLst = (text: string, loc: SourceLoc): { sets: Record<string, string>[]; rest: string } | undefined => {
    const bad = (why: string) => {
      diags.error(loc, "bad-lst", `invalid ~LST specification '${text}': ${why}`);
      return undefined;
    };
    const open = text.indexOf("(");
    if (!/^~LST[ \t]*\(/.test(text)) return bad("expected ~LST(");
    // find the matching ')' at depth 0 of the parenthesis, braces group tuples
    let depth = 0;
    let close = -1;
    for (let i = open; i < text.length; i++) {
      if (text[i] === "(") depth++;
      else if (text[i] === ")" && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) return bad("missing ')'");
    const body = text.slice(open + 1, close);
    const groups: string[][] = [];
    const re = /\{([^}]*)\}|([^,{}]+)/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      if (m[1] !== undefined) groups.push(m[1].split(",").map((s) => s.trim()));
      else if ((m[2] as string).trim() !== "") groups.push([(m[2] as string).trim()]);
    }
    const params = groups.shift();
    if (!params || groups.length === 0) return bad("needs variables and at least one value");
    if (!params.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return bad("variable names must be identifiers");
    const sets: Record<string, string>[] = [];
    for (const g of groups) {
      if (g.length > params.length) return bad("a value set has more values than variables");
      // no prototype: `~LST(__proto__, a) ...` defines $__proto__ like any other name
      const set: Record<string, string> = Object.create(null);
      params.forEach((p, i) => {
        set[p] = g[i] ?? "";
      });
      sets.push(set);
    }
    return { sets, rest: text.slice(close + 1).trim() };
  };

  /** One line after decommenting: conditionals, definitions, generators, substitution, include. */
  const handle = (text: string, loc: SourceLoc, raw: string, depth: number): void => {
    if (depth > MAX_EXPANSION_DEPTH) {
      diags.error(loc, "recursive-definition", "definitions expand recursively (more than 64 levels)");
      return;
    }
    if (text === "") return;
    if (text[0] === "@") {
      const rev = text[1] === "^";
      const m = /^@\^?(\S*)[ \t]+(.*)$/.exec(text);
      if (!m) return; // keepalived ignores an '@id' with nothing after it
      if ((m[1] === configId) === rev) return;
      text = m[2] as string;
    }
    if (text[0] === "$") {
      const def = parseDefinition(text);
      if (def) {
        pendingDef = def.multiline ? def : undefined;
        return;
      }
    }
    if (text.startsWith("~SEQ") || text.startsWith("~LST")) {
      const gen = text.startsWith("~SEQ") ? parseSeq(text, loc) : parseLst(text, loc);
      if (!gen) return;
      for (const set of gen.sets) {
        if (!generate(1, loc)) return;
        for (const [k, v] of Object.entries(set)) defs.set(k, { name: k, lines: [v], multiline: false });
        handle(gen.rest, loc, raw, depth + 1);
      }
      return;
    }
    if (text.includes("$")) {
      const lines = substitute(text, loc);
      if (lines) {
        const name = multilineName;
        if (name !== undefined && expanding.has(name)) {
          diags.error(loc, "recursive-definition", `multi-line definition $${name} expands itself`);
          return;
        }
        if (lines.some((l) => l.length > MAX_LINE)) {
          diags.error(
            loc,
            "line-too-long",
            `a line grows beyond ${MAX_LINE} characters when definitions are substituted`,
          );
          return;
        }
        if (!generate(lines.length - 1, loc)) return;
        if (name !== undefined) expanding.add(name);
        for (const l of lines) handle(decomment(l), loc, raw, depth + 1);
        if (name !== undefined) expanding.delete(name);
        return;
      }
    }
    const inc = text.startsWith("include") ? /^include([ramwb]?)[ \t]+(.+)$/.exec(text) : null;
    if (inc) {
      include(inc[1] as string, unquote((inc[2] as string).trim()), loc);
      return;
    }
    sink({ text, file: loc.file, line: loc.line, raw });
  };

  let pendingDef: Definition | undefined;

  /**
   * keepalived's file_config_error: an include problem of kind `bit` is a configuration
   * error when global_defs include_check or the include's own variant checks it, else it
   * is only said (keepalived logs it and goes on).
   */
  const includeProblem = (bits: number, bit: number, loc: SourceLoc, code: string, message: string) => {
    if (((opts.includeCheck?.() ?? 0) | bits) & bit) diags.error(loc, code, message);
    else diags.warning(loc, code, message);
  };

  const include = (variant: string, pattern: string, loc: SourceLoc) => {
    const bits = VARIANT_BITS[variant] ?? 0;
    const path = resolveInclude(pattern, loc.file);
    const matches = source.glob(path);
    if (matches.length === 0) {
      // `includer` tolerates no match of a wildcard (optional conf.d), unless checked
      const quiet = variant === "r" && hasWildcards(path);
      // open_and_check_glob: a brace pattern is brace_match, a plain name match, a wildcard wildcard_match
      const bit = path.includes("{") ? INCLUDE_B : hasWildcards(path) ? INCLUDE_W : INCLUDE_M;
      if (!quiet || ((opts.includeCheck?.() ?? 0) | bits) & bit)
        includeProblem(bits, bit, loc, "include-no-match", `include '${pattern}' matches no file`);
      return;
    }
    for (const file of matches) readFile(file, loc, variant === "r" && hasWildcards(path), bits);
  };

  const readFile = (file: string, from: SourceLoc | undefined, quietMissing = false, bits = 0) => {
    const cannotRead = (why: string) => {
      if (from) {
        // a plain name glob(3) finds nothing for is keepalived's `match` ("Config files
        // missing"); one that is there but cannot be read is `read`
        const bit = why === "no such file" ? INCLUDE_M : INCLUDE_R;
        if (!quietMissing)
          includeProblem(bits, bit, from, "include-not-found", `cannot read included file '${file}': ${why}`);
      } else diags.error({ file, line: 1, col: 1 }, "file-not-found", `cannot read configuration file: ${why}`);
    };
    const got = source.read(file);
    if (!got.ok) {
      cannotRead(got.error);
      return;
    }
    const cycle = includeStack.findIndex((f) => f.id === got.id);
    if (cycle >= 0) {
      const chain = includeStack.slice(cycle).map((f) => f.file);
      diags.error(
        from ?? { file, line: 1, col: 1 },
        "include-cycle",
        `include cycle: ${[...chain, file].join(" -> ")}`,
      );
      return;
    }
    includeStack.push({ id: got.id, file, loc: from });
    const saved = currentFile;
    currentFile = file;
    opts.copy?.(`# ${file}`);
    try {
      readLines(file, got.chunks);
    } catch (e) {
      // it could not be opened, or failed part way through: what was read stands
      if (!(e instanceof SourceReadError)) throw e;
      cannotRead(e.message);
    }
    opts.copy?.("!");
    pendingDef = undefined;
    currentFile = saved;
    includeStack.pop();
  };

  /**
   * The lines of a file's pieces (each ends at a line end but the last), walked by line
   * ends rather than split: no array of every line, and no string of the whole file. An
   * empty piece after the last line end is no line (an empty line would do nothing).
   */
  const readLines = (file: string, chunks: Iterable<string>) => {
    let n = 0;
    for (const whole of chunks)
      for (let start = 0; start < whole.length; n++) {
        let end = whole.indexOf("\n", start);
        if (end < 0) end = whole.length;
        let cut = end;
        while (cut > start && whole.charCodeAt(cut - 1) === 13) cut--; // CRLF files
        const raw = whole.slice(start, cut);
        start = end + 1;
        readLine(file, n + 1, raw);
      }
  };

  /** One physical line: decommented, then a definition's continuation or `handle`d. */
  const readLine = (file: string, line: number, raw: string) => {
    const loc = { file, line, col: 1 };
    if (raw.includes("\0")) {
      diags.error(loc, "embedded-nul", "line contains a NUL byte; ignored");
      return;
    }
    const text = decomment(raw, diags, loc);
    // lib/parser.c read_line: is_include() lines go in blank
    if (opts.copy) opts.copy(/^include[ramwb]?[ \t]/.test(text) ? "" : text);
    if (pendingDef) {
      // continuation lines of a multi-line `$NAME=... \` definition. An empty line ends
      // it; a comment line (or one of blanks) is skipped and the definition goes on, as in
      // keepalived's read_line (lib/parser.c: only `len == 0` before decomment() ends it,
      // a line decomment() empties is read past)
      if (raw === "") {
        pendingDef = undefined;
        return;
      }
      if (text === "") return;
      const more = text.endsWith("\\");
      const body = more ? text.slice(0, -1).trimEnd() : text;
      if (body !== "") pendingDef.lines.push(body);
      if (!more) pendingDef = undefined;
      return;
    }
    handle(text, loc, raw, 0);
  };

  readFile(entry, undefined);
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

export { formatLoc };
