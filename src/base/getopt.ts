/**
 * A getopt_long(3) for every command line keel reads (keepalived's flags, genhash, the
 * subcommands), so they all agree: short options cluster (`-nlD`) and take a value
 * attached or as the next word (`-fFILE`, `-f FILE`); long options take `--opt=value` or
 * `--opt value` and may be shortened to a unique prefix (an exact name always wins);
 * OPTIONAL values are only ever attached (`-t[FILE]`, `--config-test[=FILE]`); operands
 * may stand anywhere (GNU permutation) and everything after `--` is an operand; a lone
 * `-` is an operand. A missing value is always an error that names the option.
 *
 * It never throws: `getopt` returns every option, operand and error in the order
 * getopt_long would meet them (a caller that reports all errors, like genhash, walks the
 * list); `parseOptions` folds that into the options and operands, or the first error.
 * Messages are glibc's. src/base/ imports nothing (DESIGN.md "Layers").
 */

export type ArgKind = "none" | "required" | "optional";

export interface OptionSpec {
  /** the long name (without "--"); also the option's key in results */
  long: string;
  /** one character, without "-" */
  short?: string;
  arg: ArgKind;
}

export type GetoptErrorCode = "unknown-option" | "ambiguous-option" | "missing-argument" | "unexpected-argument";

export interface GetoptError {
  code: GetoptErrorCode;
  /** the option as written, without any "=value": "-Z", "--nope", "--verb" */
  option: string;
  /** the whole word of argv it came from: "--verbose=1", "-qv" */
  word: string;
  /** the option's full spelling when it is known: "--port" for "--po", "-p" for "-p" */
  canonical?: string;
  /** glibc getopt_long's message, without the program name */
  message: string;
}

export type GetoptItem =
  /** value: the argument; undefined for a flag or an absent optional value */
  | { kind: "option"; long: string; value: string | undefined; spelled: string }
  | { kind: "operand"; value: string }
  | { kind: "error"; error: GetoptError };

/** Every option, operand and error of `argv` (the words after the program or subcommand). */
export function getopt(argv: readonly string[], specs: readonly OptionSpec[]): GetoptItem[] {
  const items: GetoptItem[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      for (const rest of argv.slice(i + 1)) items.push({ kind: "operand", value: rest });
      break;
    }
    if (word.startsWith("--")) i = longOption(argv, i, specs, items);
    else if (word.startsWith("-") && word.length > 1) i = shortOptions(argv, i, specs, items);
    else items.push({ kind: "operand", value: word });
  }
  return items;
}

/** One `--name[=value]` word (and its value word); returns the index of the last word used. */
function longOption(argv: readonly string[], i: number, specs: readonly OptionSpec[], items: GetoptItem[]): number {
  const word = argv[i]!;
  const eq = word.indexOf("=");
  const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
  const option = `--${name}`;
  const fail = (code: GetoptErrorCode, message: string, canonical?: string) =>
    items.push({ kind: "error", error: { code, option, word, canonical, message } });
  let spec = specs.find((s) => s.long === name);
  if (!spec) {
    const matches = specs.filter((s) => s.long.startsWith(name));
    if (matches.length > 1) {
      fail("ambiguous-option", `option '${option}' is ambiguous`);
      return i;
    }
    spec = matches[0];
  }
  if (!spec) {
    fail("unknown-option", `unrecognized option '${option}'`);
    return i;
  }
  const canonical = `--${spec.long}`;
  if (spec.arg === "none") {
    if (eq >= 0) fail("unexpected-argument", `option '${canonical}' doesn't allow an argument`, canonical);
    else items.push({ kind: "option", long: spec.long, value: undefined, spelled: option });
    return i;
  }
  if (eq >= 0 || spec.arg === "optional") {
    items.push({ kind: "option", long: spec.long, value: eq >= 0 ? word.slice(eq + 1) : undefined, spelled: option });
    return i;
  }
  const value = argv[i + 1];
  if (value === undefined) fail("missing-argument", `option '${canonical}' requires an argument`, canonical);
  else items.push({ kind: "option", long: spec.long, value, spelled: option });
  return i + 1;
}

/** One `-abc` cluster (and a value word); returns the index of the last word used. */
function shortOptions(argv: readonly string[], i: number, specs: readonly OptionSpec[], items: GetoptItem[]): number {
  const word = argv[i]!;
  for (let j = 1; j < word.length; j++) {
    const ch = word[j]!;
    const option = `-${ch}`;
    const spec = specs.find((s) => s.short === ch);
    if (!spec) {
      const message = `invalid option -- '${ch}'`;
      items.push({ kind: "error", error: { code: "unknown-option", option, word, message } });
      continue;
    }
    if (spec.arg === "none") {
      items.push({ kind: "option", long: spec.long, value: undefined, spelled: option });
      continue;
    }
    const attached = word.slice(j + 1);
    if (attached !== "" || spec.arg === "optional") {
      items.push({ kind: "option", long: spec.long, value: attached === "" ? undefined : attached, spelled: option });
      return i;
    }
    const value = argv[i + 1];
    if (value === undefined) {
      const message = `option requires an argument -- '${ch}'`;
      items.push({ kind: "error", error: { code: "missing-argument", option, word, canonical: option, message } });
      return i;
    }
    items.push({ kind: "option", long: spec.long, value, spelled: option });
    return i + 1;
  }
  return i;
}

export interface ParsedOptions {
  /** long name → value (true for flags and absent optional values); a repeated option keeps the last */
  opts: Map<string, string | true>;
  operands: string[];
}

export type ParseOptionsResult = { ok: true; value: ParsedOptions } | { ok: false; error: GetoptError };

/** The options and operands of `argv`, or the first error. */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParseOptionsResult {
  const opts = new Map<string, string | true>();
  const operands: string[] = [];
  for (const it of getopt(argv, specs)) {
    if (it.kind === "error") return { ok: false, error: it.error };
    if (it.kind === "operand") operands.push(it.value);
    else opts.set(it.long, it.value ?? true);
  }
  return { ok: true, value: { opts, operands } };
}
