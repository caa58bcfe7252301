import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Diagnostics } from "../../../src/config/diagnostics";
import { preprocess } from "../../../src/config/preprocess";
import { type ConfigSource, SourceReadError, diskSource, memorySource } from "../../../src/config/source";

const dir = mkdtempSync(join(tmpdir(), "keel-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file read from disk (in 64 KiB pieces) and from memory (one string) gives the same lines. */
function sameLines(name: string, text: string): void {
  const file = join(dir, name);
  writeFileSync(file, text);
  const fromDisk = preprocess(file, diskSource, new Diagnostics(), { configId: "x", randomSeed: 1 });
  const fromMemory = preprocess(file, memorySource({ [file]: text }), new Diagnostics(), {
    configId: "x",
    randomSeed: 1,
  });
  expect(fromDisk.length).toBeGreaterThan(0);
  expect(fromDisk).toEqual(fromMemory);
}

describe("diskSource reads a file in pieces", () => {
  test("lines across the 64 KiB boundaries, CRLF and multi-byte characters at the cut", () => {
    let text = "";
    // line lengths that move the line ends across each boundary; "é" and "€" are 2 and 3 bytes
    for (let i = 0; text.length < 300_000; i++)
      text += `router_id r${i}${"é".repeat(i % 7)}${"€".repeat(i % 5)}${i % 3 === 0 ? "\r\n" : "\n"}`;
    sameLines("many.conf", text);
  });

  test("a line longer than a piece, and no line end after the last line", () => {
    sameLines("long.conf", `a ${"x".repeat(200_000)}\nb ${"€".repeat(70_000)}\nlast line`);
  });

  test("line numbers go on across pieces", () => {
    const file = join(dir, "numbers.conf");
    writeFileSync(file, `${"\n".repeat(100_000)}router_id here\n`);
    const lines = preprocess(file, diskSource, new Diagnostics(), { configId: "x" });
    expect(lines.map((l) => [l.line, l.text])).toEqual([[100_001, "router_id here"]]);
  });
});

describe("a read that fails part way", () => {
  /** /k.conf's first piece reads, then the disk fails; /inc.conf fails at once */
  const failing: ConfigSource = {
    read: (path) => ({
      ok: true,
      id: path,
      chunks: {
        *[Symbol.iterator]() {
          if (path === "/k.conf") yield "router_id a\ninclude /inc.conf\n";
          throw new SourceReadError("EIO");
        },
      },
    }),
    glob: (p) => [p],
  };

  test("keeps what was read and says why at the file or at the include", () => {
    const d = new Diagnostics();
    const lines = preprocess("/k.conf", failing, d, { configId: "x" });
    expect(lines.map((l) => l.text)).toEqual(["router_id a"]);
    expect(d.items.map((x) => `${x.file}:${x.line} ${x.code} ${x.message}`)).toEqual([
      "/k.conf:2 include-not-found cannot read included file '/inc.conf': EIO",
      "/k.conf:1 file-not-found cannot read configuration file: EIO",
    ]);
  });
});
