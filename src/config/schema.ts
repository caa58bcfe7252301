/**
 * The keyword-table machinery. Each block of keepalived.conf is a table from keyword
 * (keepalived's spelling: DESIGN.md rule 5 keeps those spellings here only) to a
 * handler that validates the arguments and writes camelCase fields into the model.
 * Handlers report through `Ctx`, which turns every bad value into a diagnostic at the
 * offending token and returns `undefined`, so one mistake never hides the next.
 */
import { type Diagnostics, type SourceLoc, didYouMean, formatLoc } from "./diagnostics";
import { NOT_APPLIED_WORDS, notApplied } from "./not-applied";
import { Origins } from "./origins";
import type { Node, Token } from "./tree";
import { isIP } from "../base/ip";

export type Handler<T> = (c: Ctx, n: Node, target: T) => void;

/**
 * What a keyword writes back out, for `keel convert --to conf` and TOML input (which is
 * emitted as conf and parsed, so both formats get exactly the same validation).
 * A string is one line (`keyword args...`); an object is a line that opens a block.
 */
export type Emit = string | { line: string; block: Emit[] };
export type Emitter<T> = (target: T, keyword: string, defaults: T | undefined) => Emit[];

export interface Keyword<T> {
  parse: Handler<T>;
  /** absent: the keyword is never written (an alias, or its value lives elsewhere) */
  emit?: Emitter<T>;
}

export interface BlockSpec<T> {
  /** block name for messages, e.g. "vrrp_instance" */
  name: string;
  keywords: Record<string, Keyword<T> | Handler<T>>;
  /** a fresh target with keepalived's defaults; the emitter skips fields still at default */
  create?: () => T;
  /** keywords keepalived still accepts under another name: old → current */
  aliases?: Record<string, string>;
  /** keywords keepalived accepts but ignores (obsolete); a warning names them */
  obsolete?: Record<string, string>;
  /** lines of a block that are values rather than keywords (e.g. virtual_ipaddress) */
  fallback?: Handler<T>;
  /**
   * Keywords the checks ask `Ctx.saw` about. Only these are recorded, and only for blocks
   * of specs that list some: recording every keyword of every block cost ~800 bytes a
   * block in a configuration of 200,000 vrrp_script blocks (a WeakMap entry and an array).
   */
  remember?: readonly string[];
}

/** Where model objects were declared, for cross-block checks and runtime messages (origins.ts). */
export { Origins };

export const BOOL_WORDS: Record<string, boolean> = {
  on: true,
  true: true,
  yes: true,
  off: false,
  false: false,
  no: false,
};

export class Ctx {
  /** nodes whose block a handler consumed; others with a block get `unexpected-block` */
  private consumed = new WeakSet<Node>();
  /** the `remember` keywords written in each block target, with a valid value or not (see `saw`) */
  private written = new WeakMap<object, string[]>();
  /** keepalived's names of the blocks being parsed, outermost first (`virtual_server`, `real_server`) */
  private path: string[] = [];
  /** the node whose handler runs and its keyword's current name (an alias resolved) */
  private current: Node | undefined;
  private currentName = "";
  /** `file\0path` of every not-applied keyword already reported: one warning per path and file */
  private notAppliedSeen = new Set<string>();
  /**
   * When set, what the compatibility generator (scripts/compatibility.ts) learns from a
   * parse: the spec of every block by path ("" is the top level), and the model fields
   * each keyword path wrote. Off in normal parses (it snapshots the target per keyword).
   */
  record?: KeywordRecord;
  /** deprecation warnings of the keywords inside the handler `recordKeyword` runs */
  private nestedDeprecations = 0;

  constructor(
    readonly diags: Diagnostics,
    readonly origins: Origins = new Origins(),
  ) {}

  error(at: Token | Node | SourceLoc, code: string, message: string, notes?: string[]): void {
    this.diags.error(locOf(at), code, message, notes);
  }

  warning(at: Token | Node | SourceLoc, code: string, message: string, notes?: string[]): void {
    this.diags.warning(locOf(at), code, message, notes);
  }

  /** Record where a model object was declared. Returns the object. */
  origin<O extends object>(o: O, at: Token | Node | SourceLoc): O {
    this.origins.set(o, locOf(at));
    return o;
  }

  /** Parse the children of `n` against `spec`. An absent block is an error. */
  block<T>(n: Node, spec: BlockSpec<T>, target: T): void {
    this.consumed.add(n);
    if (!n.block) {
      this.error(n.keyword, "missing-block", `'${n.keyword.text}' needs a { ... } block`);
      return;
    }
    this.path.push(n === this.current ? this.currentName : n.keyword.text);
    try {
      this.run(n.block, spec, target);
    } finally {
      this.path.pop();
    }
  }

  /**
   * Whether `keyword` was written in the block that filled `target`, even with a bad
   * value. Checks use it so that "priority 300" is one error, not also "priority missing".
   * Only keywords in the target's BlockSpec `remember` list are recorded: any other is false.
   */
  saw(target: object, keyword: string): boolean {
    return this.written.get(target)?.includes(keyword) ?? false;
  }

  /** Parse a list of statements against `spec` (used for the top level too). */
  run<T>(nodes: Node[], spec: BlockSpec<T>, target: T): void {
    let written: string[] | undefined;
    const remember = spec.remember;
    if (remember && typeof target === "object" && target !== null) {
      written = this.written.get(target);
      if (!written) {
        written = [];
        this.written.set(target, written);
      }
    }
    const where = this.path.join(".");
    const record = this.record;
    record?.specs.set(where, spec as BlockSpec<unknown>);
    for (const child of nodes) {
      const word = child.keyword.text;
      // own properties only: a keyword such as "toString" or "constructor" is unknown, not
      // Object.prototype's method (fuzzing found `toString` on a line of its own threw)
      const alias = own(spec.aliases, word);
      const canonical = alias ?? word;
      let handler = handlerOf(own(spec.keywords, word));
      if (!handler && alias) handler = handlerOf(own(spec.keywords, alias));
      if (written && remember?.includes(canonical) && !written.includes(canonical)) written.push(canonical);
      if (!handler && spec.obsolete && Object.hasOwn(spec.obsolete, word)) {
        this.warning(child.keyword, "obsolete-keyword", `'${word}' is obsolete and ignored: ${spec.obsolete[word]}`);
        this.consumed.add(child);
        continue;
      }
      if (!handler && spec.fallback) handler = spec.fallback;
      if (!handler) {
        const guess = didYouMean(word, Object.keys(spec.keywords));
        this.error(
          child.keyword,
          "unknown-keyword",
          `unknown keyword '${word}' in ${spec.name}${guess ? `; did you mean '${guess}'?` : ""}`,
        );
        this.consumed.add(child);
        continue;
      }
      if (handler !== spec.fallback && NOT_APPLIED_WORDS.has(canonical))
        this.notApplied(child, where ? `${where}.${canonical}` : canonical);
      this.current = child;
      this.currentName = canonical;
      if (record)
        this.recordKeyword(record, where ? `${where}.${canonical}` : canonical, target, () =>
          handler(this, child, target),
        );
      else handler(this, child, target);
      // not kept past its handler: the parser holds no finished part of the tree
      this.current = undefined;
      if (child.block && !this.consumed.has(child))
        this.error(child.open ?? child.keyword, "unexpected-block", `'${word}' does not take a { ... } block`);
    }
  }

  /** Run one keyword's handler noting what it wrote and whether it warned that it is deprecated (`record`). */
  private recordKeyword(record: KeywordRecord, path: string, target: unknown, run: () => void): void {
    // only this handler's own warnings count: a block's handler also runs its keywords'
    const deprecations = () => this.diags.kinds.get("warning[deprecated-keyword]")?.count ?? 0;
    const warned = deprecations();
    const outer = this.nestedDeprecations;
    this.nestedDeprecations = 0;
    if (typeof target !== "object" || target === null) {
      run();
    } else {
      const t = target as Record<string, unknown>;
      const before = new Map(Object.keys(t).map((k) => [k, JSON.stringify(t[k])]));
      run();
      let fields = record.fields.get(path);
      if (!fields) {
        fields = new Set();
        record.fields.set(path, fields);
      }
      for (const k of Object.keys(t)) if (before.get(k) !== JSON.stringify(t[k])) fields.add(k);
    }
    const all = deprecations() - warned;
    if (all > this.nestedDeprecations) record.deprecated.add(path);
    this.nestedDeprecations = outer + all;
  }

  /**
   * Warn once per keyword path and file about a keyword keel reads but does not act on
   * (the table in not-applied.ts says what keel does instead), so that no keepalived
   * setting is dropped silently.
   */
  private notApplied(n: Node, path: string): void {
    const instead = notApplied(path);
    if (instead === undefined) return;
    const seen = `${n.keyword.loc.file}\0${path}`;
    if (this.notAppliedSeen.has(seen)) return;
    this.notAppliedSeen.add(seen);
    this.warning(n.keyword, "not-applied", `${path} is accepted but not applied: ${instead}`);
  }

  /**
   * The lines of a value block such as `virtual_ipaddress { ... }` or `track_script { ... }`:
   * each line is returned as its tokens. Nested blocks inside are errors.
   */
  lines(n: Node): Token[][] {
    this.consumed.add(n);
    if (!n.block) {
      this.error(n.keyword, "missing-block", `'${n.keyword.text}' needs a { ... } block`);
      return [];
    }
    const out: Token[][] = [];
    for (const child of n.block) {
      if (child.block)
        this.error(
          child.open ?? child.keyword,
          "unexpected-block",
          `a { ... } block is not allowed in '${n.keyword.text}'`,
        );
      out.push([child.keyword, ...child.args]);
    }
    return out;
  }

  /** Mark a node's block as handled by the caller. */
  takeBlock(n: Node): Node[] | undefined {
    this.consumed.add(n);
    return n.block;
  }

  /** Check the argument count; reports at the keyword or the first extra argument. */
  count(n: Node, min: number, max = min): boolean {
    const k = n.args.length;
    if (k < min) {
      this.error(
        n.keyword,
        "missing-argument",
        `'${n.keyword.text}' needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? "" : "s"}`,
      );
      return false;
    }
    if (k > max && max === 0) {
      // a keyword that takes nothing: keepalived's handler never reads its strvec (ha_suspend,
      // alpha, nopreempt, process_names ... in check_parser.c, vrrp_parser.c, global_parser.c),
      // so `alpha false` still turns alpha on. keel does the same and says so.
      this.warning(
        n.args[0] as Token,
        "ignored-argument",
        `'${n.keyword.text}' takes no argument; keepalived ignores '${n.args.map((t) => t.text).join(" ")}' and so does keel`,
      );
      return true;
    }
    if (k > max) {
      this.error(
        n.args[max] as Token,
        "extra-argument",
        `'${n.keyword.text}' takes ${max === 0 ? "no arguments" : `at most ${max} argument${max === 1 ? "" : "s"}`}`,
      );
      return false;
    }
    return true;
  }

  /** Required argument i as a string. */
  str(n: Node, i = 0): string | undefined {
    const t = n.args[i];
    if (!t) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs an argument`);
      return undefined;
    }
    return t.text;
  }

  /** All arguments from i joined by spaces (keepalived keywords that take the rest of the line). */
  rest(n: Node, i = 0): string | undefined {
    if (n.args.length <= i) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs an argument`);
      return undefined;
    }
    return n.args
      .slice(i)
      .map((t) => t.text)
      .join(" ");
  }

  /** An integer in [min, max] (keepalived read_int/read_unsigned ranges). */
  int(n: Node, i: number, min: number, max: number, what = n.keyword.text): number | undefined {
    const t = n.args[i];
    if (!t) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs a number`);
      return undefined;
    }
    return this.intToken(t, min, max, what);
  }

  intToken(t: Token, min: number, max: number, what: string): number | undefined {
    if (!/^[-+]?\d+$/.test(t.text)) {
      this.error(t, "bad-number", `${what}: '${t.text}' is not an integer`);
      return undefined;
    }
    const v = Number(t.text);
    if (v < min || v > max) {
      this.error(t, "out-of-range", `${what} ${v} is out of range [${min}, ${max}]`);
      return undefined;
    }
    return v;
  }

  /** A decimal number (TIMER etc.) in [min, max]. */
  num(n: Node, i: number, min: number, max: number, what = n.keyword.text): number | undefined {
    const t = n.args[i];
    if (!t) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs a number`);
      return undefined;
    }
    return this.numToken(t, min, max, what);
  }

  numToken(t: Token, min: number, max: number, what: string): number | undefined {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(t.text)) {
      this.error(t, "bad-number", `${what}: '${t.text}' is not a number`);
      return undefined;
    }
    const v = Number(t.text);
    if (v < min || v > max) {
      this.error(t, "out-of-range", `${what} ${t.text} is out of range [${min}, ${max}]`);
      return undefined;
    }
    return v;
  }

  /** An optional <BOOL> argument: absent means true (keepalived's get_value_bool). */
  bool(n: Node, i = 0): boolean | undefined {
    const t = n.args[i];
    if (!t) return true;
    const v = BOOL_WORDS[t.text.toLowerCase()];
    if (v === undefined) {
      this.error(t, "bad-bool", `'${n.keyword.text}' expects on|off|true|false|yes|no, not '${t.text}'`);
      return undefined;
    }
    if (n.args.length > i + 1)
      this.error(n.args[i + 1] as Token, "extra-argument", `'${n.keyword.text}' takes one value`);
    return v;
  }

  /** One of a fixed set of words (case-insensitive); returns the canonical spelling. */
  oneOf<W extends string>(n: Node, i: number, words: readonly W[], what = n.keyword.text): W | undefined {
    const t = n.args[i];
    if (!t) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs one of ${words.join("|")}`);
      return undefined;
    }
    return this.oneOfToken(t, words, what);
  }

  oneOfToken<W extends string>(t: Token, words: readonly W[], what: string): W | undefined {
    const w = words.find((x) => x.toLowerCase() === t.text.toLowerCase());
    if (!w) {
      const guess = didYouMean(t.text, words);
      this.error(
        t,
        "bad-value",
        `${what}: '${t.text}' is not one of ${words.join("|")}${guess ? `; did you mean '${guess}'?` : ""}`,
      );
    }
    return w;
  }

  /** An IPv4/IPv6 address (no prefix); `family` restricts it. */
  ip(n: Node, i: number, family?: 4 | 6): string | undefined {
    const t = n.args[i];
    if (!t) {
      this.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs an IP address`);
      return undefined;
    }
    return this.ipToken(t, family);
  }

  ipToken(t: Token, family?: 4 | 6): string | undefined {
    const f = isIP(t.text);
    if (f === 0) {
      this.error(t, "bad-address", `'${t.text}' is not an IP address`);
      return undefined;
    }
    if (family && f !== family) {
      this.error(t, "bad-address", `'${t.text}' is not an IPv${family} address`);
      return undefined;
    }
    return t.text;
  }
}

/** See `Ctx.record`. */
export interface KeywordRecord {
  specs: Map<string, BlockSpec<unknown>>;
  /** keyword path → the target's own properties its handler changed */
  fields: Map<string, Set<string>>;
  /** keyword paths whose handler warned `deprecated-keyword` (keepalived deprecates them; keel applies them) */
  deprecated: Set<string>;
}

function own<V>(table: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return table && Object.hasOwn(table, key) ? table[key] : undefined;
}

function handlerOf<T>(k: Keyword<T> | Handler<T> | undefined): Handler<T> | undefined {
  return typeof k === "function" ? k : k?.parse;
}

export function locOf(at: Token | Node | SourceLoc): SourceLoc {
  if ("keyword" in at) return at.keyword.loc;
  if ("loc" in at) return at.loc;
  return at;
}

export { formatLoc };

// ---------------------------------------------------------------------------
// Field keywords: one declaration gives both the parser and the emitter.

/** Quote a value for keepalived.conf when it would not survive as one bare word. */
export function quote(v: string): string {
  return v === "" || /[\s"#!{}]/.test(v) ? `"${v}"` : v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type KeysOfType<T, V> = { [K in keyof T]-?: NonNullable<T[K]> extends V ? K : never }[keyof T];

/** Emit `keyword value` unless the value is undefined or still the default. */
export function emitScalar<T>(key: keyof T, show: (v: never) => string = (v) => quote(String(v))): Emitter<T> {
  return (t, kw, d) => {
    const v = t[key];
    if (v === undefined || (d != null && deepEqual(v, d[key]))) return [];
    return [`${kw} ${show(v as never)}`];
  };
}

export function intField<T>(key: KeysOfType<T, number>, min: number, max: number): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, min, max);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

/** A decimal (TIMER, seconds with fractions). */
export function numField<T>(key: KeysOfType<T, number>, min: number, max: number): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.num(n, 0, min, max);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

/** A single word or quoted string. */
export function strField<T>(key: KeysOfType<T, string>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      (t as Record<keyof T, unknown>)[key] = n.args[0]?.text;
    },
    emit: emitScalar<T>(key),
  };
}

/** `keyword [<BOOL>]`: absent value means true. */
export function boolField<T>(key: KeysOfType<T, boolean>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      const v = c.bool(n, 0);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: (t, kw, d) => {
      const v = t[key] as boolean | undefined;
      if (v === undefined || (d != null && v === d[key])) return [];
      return [v ? kw : `${kw} false`];
    },
  };
}

/** A keyword with no argument that sets a flag (e.g. `nopreempt`). */
export function flagField<T>(key: KeysOfType<T, boolean>, value = true): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (c.count(n, 0)) (t as Record<keyof T, unknown>)[key] = value;
    },
    emit: (t, kw) => (t[key] === value && value !== undefined ? [kw] : []),
  };
}

export function enumField<T, W extends string>(key: KeysOfType<T, string>, words: readonly W[]): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.oneOf(n, 0, words);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

export function ipField<T>(key: KeysOfType<T, string>, family?: 4 | 6): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.ip(n, 0, family);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

/**
 * `keyword { line... }` for a list field, or nothing when no line is written. Emitters
 * are total over partial models (TOML input is a hand-written model): a missing list is
 * empty, and an item missing the part that identifies it (`line` gives undefined) is left
 * out. For a complete model this is `keyword { items.map(line) }`.
 */
export function emitList<X>(kw: string, items: readonly X[] | undefined, line: (x: X) => string | undefined): Emit[] {
  const block = (items ?? []).flatMap((x) => line(x) ?? []);
  return block.length ? [{ line: kw, block }] : [];
}

/**
 * Set while `emitStrict` runs. Emitters are meant to be total over partial objects (a
 * hand-written TOML model may leave out any field), so a throw is a bug; tests run the
 * emitters strictly to find one instead of losing the keyword silently.
 */
let strictEmit = false;

/** Run `fn` with every `emitBlock` inside it (nested ones too) rethrowing emitter errors. */
export function emitStrict<R>(fn: () => R): R {
  const was = strictEmit;
  strictEmit = true;
  try {
    return fn();
  } finally {
    strictEmit = was;
  }
}

/** Emit a whole block of `spec` for `target` (used by `keel convert --to conf`). */
export function emitBlock<T>(spec: BlockSpec<T>, target: T): Emit[] {
  const defaults = spec.create?.();
  const out: Emit[] = [];
  for (const [kw, k] of Object.entries(spec.keywords)) {
    if (typeof k === "function" || !k.emit) continue;
    try {
      out.push(...k.emit(target, kw, defaults));
    } catch (e) {
      // A last resort: every emitter skips missing fields itself, but should one still
      // throw on a malformed hand-written value, the keyword is left out, so the conf
      // parser applies keepalived's default (or reports the field missing).
      if (strictEmit) throw new Error(`emitting '${kw}' in ${spec.name}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

/** Render emitted lines as keepalived.conf text with keepalived's customary indentation. */
export function renderEmit(lines: Emit[], indent = ""): string {
  let s = "";
  for (const l of lines) {
    if (typeof l === "string") s += `${indent}${l}\n`;
    else s += `${indent}${l.line} {\n${renderEmit(l.block, `${indent}    `)}${indent}}\n`;
  }
  return s;
}
