// patches/ink@8.0.0.patch is applied to the installed Ink (npm ci's postinstall), and the
// patched Output draws what it is given whatever it drew before: its caches outlive a frame
// and a row reuses the previous frame's string only while its cells are the same.
import { expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");

test("the installed Ink carries keel's patch", () => {
  const r = Bun.spawnSync([process.execPath, join(root, "scripts/apply-patches.mjs"), "--check"], { cwd: root });
  expect(`${r.stdout}${r.stderr}`).toContain("ink@8.0.0: 0 hunks applied");
  expect(r.exitCode).toBe(0);
});

test("frames drawn in any order come out the same as drawn alone", async () => {
  const Output = (await import(join(root, "node_modules/ink/build/output.js"))).default;
  const draw = (rows: string[], width = 30) => {
    const o = new Output({ width, height: rows.length + 1 });
    o.clip({ x1: 0, x2: width, y1: 0, y2: rows.length + 1 });
    rows.forEach((r, y) => o.write(1, y, r, { transformers: [] }));
    o.unclip();
    return o.get().output as string;
  };
  const a = ["\x1b[32mMASTER\x1b[39m vi_1", "plain line that is longer than thirty columns", "wide 漢字 \u200b x"];
  const b = ["\x1b[31mFAULT\x1b[39m  vi_1", "plain line that is longer than thirty columns", "wide 漢字 \u200b y"];
  const first = draw(a);
  expect(first.split("\n")[0]).toBe(" \x1b[32mMASTER\x1b[39m vi_1");
  expect(first.split("\n")[1]).toBe(" plain line that is longer tha");
  expect(first.split("\n")[2]).toBe(" wide 漢字  x"); // the zero-width space takes no cell
  const second = draw(b);
  expect(second).not.toBe(first);
  for (let n = 0; n < 3; n++) {
    expect(draw(a)).toBe(first);
    expect(draw(b)).toBe(second);
  }
  // a narrower frame after a wider one: rows of other lengths are drawn again
  expect(draw(a, 12).split("\n")[1]).toBe(" plain line");
});

test("a line of ASCII and SGR sequences (the patch's fast path) has the tokenizer's cells", async () => {
  const Output = (await import(join(root, "node_modules/ink/build/output.js"))).default;
  const { styledCharsFromTokens, styledCharsToString, tokenize } = await import("@alcalzone/ansi-tokenize");
  // Unpatched Ink: the cells of each line from the tokenizer, blank cells to the width, one string per row.
  type Cell = { type: "char"; value: string; fullWidth: boolean; styles: unknown[] };
  const blank: Cell = { type: "char", value: " ", fullWidth: false, styles: [] };
  const reference = (text: string, width: number) => {
    const lines: Cell[][] = [[]];
    for (const c of styledCharsFromTokens(tokenize(text)) as Cell[])
      if (c.value === "\n") lines.push([]);
      else lines.at(-1)?.push(c);
    return lines
      .map((l) => styledCharsToString([...l, ...Array(Math.max(0, width - l.length)).fill(blank)]).trimEnd())
      .join("\n");
  };
  const parts = [
    "vi_1 ",
    "MASTER",
    " 10.0.0.1/24 ",
    "x",
    "\n",
    "\x1b[1m",
    "\x1b[22m",
    "\x1b[2m",
    "\x1b[32m",
    "\x1b[31m",
    "\x1b[39m",
    "\x1b[7m",
    "\x1b[27m",
    "\x1b[4m",
    "\x1b[24m",
    "\x1b[0m",
    "\x1b[m",
    "\x1b[1;31m",
    "\x1b[38;5;208m",
    "\x1b[48;2;1;2;3m",
    "\x1b[49m",
  ];
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const width = 60;
  for (let n = 0; n < 400; n++) {
    let text = "";
    for (let k = next() % 12; k >= 0; k--) text += parts[next() % parts.length];
    const lines = text.split("\n").length;
    const o = new Output({ width, height: lines });
    o.write(0, 0, text, { transformers: [] });
    const got = o.get().output as string;
    expect({ text, got }).toEqual({ text, got: reference(text, width) });
  }
});
