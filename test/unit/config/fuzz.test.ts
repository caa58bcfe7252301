// Malformed input never crashes the parser: random and truncated versions of every
// fixture produce a model and diagnostics, never an exception or a hang.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../../../src/base/random";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { FIXTURES } from "./fixtures";

const corpus = [...new Bun.Glob("**/*.conf").scanSync(FIXTURES)].map((f) => readFileSync(join(FIXTURES, f), "utf8"));
const noise = [
  "{",
  "}",
  '"',
  "\\",
  "$X",
  "${",
  "~SEQ(i,1,3) ",
  "~LST(a,1) ",
  "@x ",
  "@^x ",
  "#",
  "!",
  "\n",
  " 999999999999",
  " -1",
  " ::",
  "\0",
  "é",
];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  let s = text;
  const edits = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 4)) {
      case 0: // truncate
        s = s.slice(0, at);
        break;
      case 1: // delete a run
        s = s.slice(0, at) + s.slice(at + Math.floor(rnd() * 40));
        break;
      case 2: // insert syntax noise
        s = s.slice(0, at) + pick(noise) + s.slice(at);
        break;
      default: {
        // duplicate a line elsewhere (keywords in the wrong block)
        const lines = s.split("\n");
        lines.splice(Math.floor(rnd() * lines.length), 0, pick(lines));
        s = lines.join("\n");
      }
    }
  }
  return s;
}

test(`3000 mutated configurations parse without throwing (${corpus.length} seeds)`, () => {
  const rnd = mulberry32(2026);
  const host = { interfaceExists: () => true };
  let withDiagnostics = 0;
  for (let n = 0; n < 3000; n++) {
    const text = mutate(corpus[n % corpus.length] as string, rnd);
    const r = parseConf("/f.conf", { source: memorySource({ "/f.conf": text }), host, configId: "x", randomSeed: 1 });
    if (r.diagnostics.items.length > 0) withDiagnostics++;
    for (const d of r.diagnostics.items) expect(d.line).toBeGreaterThan(0);
  }
  // the mutations are real mistakes: most of them must be reported
  expect(withDiagnostics).toBeGreaterThan(2000);
  // about 2 s of CPU: on a loaded machine bun's default 5 s timeout cut it short
}, 60_000);
