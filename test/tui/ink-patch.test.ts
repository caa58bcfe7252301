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
