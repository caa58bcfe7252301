import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../../src/args";

function opts(argv: string[]) {
  const r = parseArgs(argv);
  if (!r.ok) throw new Error(r.error);
  return Object.fromEntries(r.value.opts);
}

describe("keepalived's command line", () => {
  test("long options with = and with a separate value, and prefixes", () => {
    expect(opts(["--use-file=/a", "--pid", "/p", "--dont-f"])).toEqual({
      "use-file": "/a",
      pid: "/p",
      "dont-fork": true,
    });
  });
  test("bundled short flags and attached values", () => {
    expect(opts(["-nlD", "-f/etc/k.conf", "-i", "h1"])).toEqual({
      "dont-fork": true,
      "log-console": true,
      "log-detail": true,
      "use-file": "/etc/k.conf",
      "config-id": "h1",
    });
  });
  test("optional arguments: -t, -t/file, --config-test=file", () => {
    expect(opts(["-t"])).toEqual({ "config-test": true });
    expect(opts(["-t/tmp/log"])).toEqual({ "config-test": "/tmp/log" });
    expect(opts(["--config-test=/tmp/log", "-f", "x"])).toEqual({ "config-test": "/tmp/log", "use-file": "x" });
    // like getopt, a separate word is not the optional argument
    expect(parseArgs(["-t", "x"])).toMatchObject({ ok: true, value: { positionals: ["x"] } });
  });
  test("errors name the option", () => {
    expect(parseArgs(["-Z"])).toEqual({ ok: false, error: "invalid option -- 'Z'" });
    expect(parseArgs(["--nope"])).toEqual({ ok: false, error: "unrecognized option '--nope'" });
    expect(parseArgs(["-f"])).toEqual({ ok: false, error: "option requires an argument -- 'f'" });
    expect(parseArgs(["--d"])).toEqual({ ok: false, error: "option '--d' is ambiguous" });
  });
});
