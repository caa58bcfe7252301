// keel genhash's command line and output formatting, without a network (the comparison
// with keepalived's own genhash on real pages is test/interop/genhash.test.ts).
import { describe, expect, test } from "bun:test";
import { dumpBuffer } from "../../../src/commands/genhash";
import { parseGenhashArgs, usage } from "../../../src/commands/genhash-args";

describe("genhash arguments (getopt_long, keepalived's messages)", () => {
  test("short, clustered, attached and long forms; abbreviations", () => {
    const a = parseGenhashArgs([
      "-vS",
      "-s127.0.0.1",
      "-p",
      "443",
      "--url=/x",
      "--use-v",
      "www",
      "--proto",
      "1.0c",
      "-t",
      " 3",
      "-I",
      "-m",
      "7",
    ]);
    expect(a).toEqual({
      ok: true,
      value: {
        server: "127.0.0.1",
        port: 443,
        url: "/x",
        ssl: true,
        sni: true,
        virtualhost: "www",
        verbose: true,
        protocol: "1.0C",
        timeoutS: 3,
        fwmark: 7,
      },
    });
  });
  test("defaults: HTTP/1.0, no SSL, no timeout", () => {
    expect(parseGenhashArgs(["-s", "::1", "-p", "80", "-u", "/"])).toEqual({
      ok: true,
      value: { server: "::1", port: 80, url: "/", ssl: false, sni: false, verbose: false, protocol: "1.0" },
    });
  });
  test("errors stop at the first bad value; unknown options are all reported", () => {
    expect(parseGenhashArgs(["-s", "web1", "-p", "x"])).toEqual({
      ok: false,
      messages: ["server should be an IP, not web1"],
    });
    expect(parseGenhashArgs(["-s", "10.0.0.1", "-p", "0"])).toEqual({
      ok: false,
      messages: ["invalid port number '0'"],
    });
    expect(parseGenhashArgs(["-s", "10.0.0.1", "-t", "-1"])).toEqual({ ok: false, messages: ["invalid timeout '-1'"] });
    expect(parseGenhashArgs(["-s", "10.0.0.1", "-P", "2"])).toEqual({
      ok: false,
      messages: ["invalid HTTP protocol version '2'"],
    });
    expect(parseGenhashArgs(["-q", "--verbose=1", "--port"])).toEqual({
      ok: false,
      messages: ["Unknown option -q", "Unknown option --verbose=1", "Missing parameter for option --port"],
    });
    expect(parseGenhashArgs(["-s", "10.0.0.1", "-p", "80", "-u", "/", "a", "b"])).toEqual({
      ok: false,
      messages: ["Unexpected argument(s): a b"],
    });
    // server, port and url are required; -h is a usage request; one argument is never enough
    expect(parseGenhashArgs(["-s", "10.0.0.1", "-u", "/"])).toEqual({ ok: false, messages: [] });
    expect(parseGenhashArgs(["-h", "-s", "10.0.0.1", "-p", "1", "-u", "/"])).toEqual({ ok: false, messages: [] });
    expect(parseGenhashArgs(["-v"]).ok).toBe(false);
  });
  test("usage names the form genhash was called by", () => {
    expect(usage("genhash", true)).toStartWith("Usage: genhash COMMAND [OPTIONS]\n");
    expect(usage("keel", false)).toStartWith("Usage: keel --genhash COMMAND [OPTIONS]\n");
  });
});

test("dump_buffer: keepalived's hex dump (offsets, ' -' after eight bytes even in the padding, printable ASCII)", () => {
  expect(dumpBuffer(Buffer.from("hello world\n"))).toBe(
    "0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n",
  );
  const two = dumpBuffer(Buffer.from("0123456789abcdefXY"));
  expect(two.split("\n")).toEqual([
    "0000  30 31 32 33 34 35 36 37 - 38 39 61 62 63 64 65 66   0123456789abcdef",
    "0016  58 59                   -                           XY              ",
    "",
  ]);
});
