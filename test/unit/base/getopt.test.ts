// src/base/getopt.ts: getopt_long's rules and glibc's messages, never a throw.
import { describe, expect, test } from "bun:test";
import { type OptionSpec, getopt, parseOptions } from "../../../src/base/getopt";
import { mulberry32u } from "../../../src/base/random";

const SPECS: OptionSpec[] = [
  { long: "use-file", short: "f", arg: "required" },
  { long: "dont-fork", short: "n", arg: "none" },
  { long: "dont-release", arg: "none" },
  { long: "log-console", short: "l", arg: "none" },
  { long: "config-test", short: "t", arg: "optional" },
  { long: "verbose", short: "v", arg: "none" },
];

function opts(argv: string[]): Record<string, unknown> {
  const r = parseOptions(argv, SPECS);
  if (!r.ok) throw new Error(r.error.message);
  return { ...Object.fromEntries(r.value.opts), operands: r.value.operands };
}

describe("getopt_long", () => {
  test("short options cluster and take a value attached or as the next word", () => {
    const want = { "dont-fork": true, "log-console": true, "use-file": "a.conf", operands: [] };
    expect(opts(["-nl", "-fa.conf"])).toEqual(want);
    expect(opts(["-nf", "b.conf"])).toEqual({ "dont-fork": true, "use-file": "b.conf", operands: [] });
  });

  test("long options: =value, next word, unique prefixes, an exact name beats a prefix", () => {
    expect(opts(["--use-file=x", "--verb"])).toEqual({ "use-file": "x", verbose: true, operands: [] });
    expect(opts(["--use", "y"])).toEqual({ "use-file": "y", operands: [] });
    const specs: OptionSpec[] = [
      { long: "to", arg: "required" },
      { long: "total", arg: "none" },
    ];
    expect(parseOptions(["--to", "x"], specs)).toMatchObject({ ok: true, value: { opts: new Map([["to", "x"]]) } });
  });

  test("optional values are only ever attached", () => {
    expect(opts(["-t"])).toEqual({ "config-test": true, operands: [] });
    expect(opts(["-t/tmp/r"])).toEqual({ "config-test": "/tmp/r", operands: [] });
    expect(opts(["--config-test=/tmp/r"])).toEqual({ "config-test": "/tmp/r", operands: [] });
    expect(opts(["-t", "x"])).toEqual({ "config-test": true, operands: ["x"] });
  });

  test("operands anywhere, everything after --, a lone - is an operand", () => {
    expect(opts(["a", "-n", "b", "--", "-l", "--x"])).toEqual({ "dont-fork": true, operands: ["a", "b", "-l", "--x"] });
    expect(opts(["-"])).toEqual({ operands: ["-"] });
  });

  test("a value that looks like an option is still the value", () => {
    expect(opts(["-f", "-n"])).toEqual({ "use-file": "-n", operands: [] });
    expect(opts(["--use-file", "--verbose"])).toEqual({ "use-file": "--verbose", operands: [] });
  });

  test("errors: glibc's messages, the option as written, the word, the full name", () => {
    const first = (argv: string[]) => {
      const r = parseOptions(argv, SPECS);
      return r.ok ? undefined : r.error;
    };
    expect(first(["-nZ"])).toEqual({
      code: "unknown-option",
      option: "-Z",
      word: "-nZ",
      canonical: undefined,
      message: "invalid option -- 'Z'",
    });
    expect(first(["--nope=1"])).toMatchObject({
      code: "unknown-option",
      option: "--nope",
      word: "--nope=1",
      message: "unrecognized option '--nope'",
    });
    expect(first(["--dont"])).toMatchObject({ code: "ambiguous-option", message: "option '--dont' is ambiguous" });
    expect(first(["-f"])).toMatchObject({
      code: "missing-argument",
      canonical: "-f",
      message: "option requires an argument -- 'f'",
    });
    expect(first(["--use"])).toMatchObject({
      code: "missing-argument",
      canonical: "--use-file",
      message: "option '--use-file' requires an argument",
    });
    expect(first(["--verb=1"])).toMatchObject({
      code: "unexpected-argument",
      canonical: "--verbose",
      message: "option '--verbose' doesn't allow an argument",
    });
  });

  test("getopt lists every item in order, errors included, and goes on after one", () => {
    const items = getopt(["-qn", "x", "--use-file"], SPECS);
    const said = items.map((i) =>
      i.kind === "error" ? `!${i.error.option}` : i.kind === "operand" ? i.value : i.long,
    );
    expect(said).toEqual(["!-q", "dont-fork", "x", "!--use-file"]);
  });

  test("never throws on random words", () => {
    const next = mulberry32u(7);
    const pieces = ["-", "--", "=", "f", "n", "t", "use-file", "x", "-f", "--use", "--dont", ""];
    for (let i = 0; i < 2000; i++) {
      const word = () => Array.from({ length: next() % 4 }, () => pieces[next() % pieces.length]).join("");
      const argv = Array.from({ length: next() % 5 }, word);
      expect(() => getopt(argv, SPECS)).not.toThrow();
    }
  });
});
