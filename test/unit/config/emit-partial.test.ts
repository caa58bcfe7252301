/**
 * The emitters are total over partial models. TOML input is a hand-written model that
 * may leave out any field; it is emitted as keepalived.conf and parsed, so a missing
 * field must simply not be written (the parser then applies keepalived's default).
 *
 * For every fixture that parses without errors, and every object reachable in its model
 * (through arrays and records too), two kinds of partial copy are emitted strictly (an
 * emitter that throws fails the test instead of losing its keyword):
 *  - the object with one key deleted;
 *  - the object with only one key kept (e.g. a virtual_ipaddress item with only its
 *    address, an instance with only its name).
 * Neither may print "undefined", "NaN", "null" or "[object Object]" (counted against
 * the complete model's text, where a script path may well say /dev/null).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { KeelConfig } from "../../../src/config/model";
import { emitConf } from "../../../src/config/parse";
import { FIXTURES, load } from "./fixtures";

const DIRS = ["global", "vrrp", "lvs", "realworld", "language"];
const BAD = /undefined|NaN|null|\[object Object\]/g;
/** Cases per fixture at most; beyond that a deterministic stride picks them. */
const MAX_CASES = 1500;

type Path = (string | number)[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
  );
}

/** Paths of every plain object reachable from `v` (array items included, arrays themselves not). */
function objectPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => objectPaths(x, [...path, i], out));
  else if (isRecord(v)) {
    out.push(path);
    for (const [k, x] of Object.entries(v)) objectPaths(x, [...path, k], out);
  }
  return out;
}

function at(root: unknown, path: Path): Record<string, unknown> {
  let v = root;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v as Record<string, unknown>;
}

function badWords(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.match(BAD) ?? []) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

interface Case {
  what: string;
  make: (copy: KeelConfig) => void;
}

function cases(config: KeelConfig): Case[] {
  const out: Case[] = [];
  for (const path of objectPaths(config)) {
    const keys = Object.keys(at(config, path));
    const where = path.length ? path.join(".") : "(top)";
    for (const key of keys) {
      out.push({ what: `${where} without ${key}`, make: (c) => void delete at(c, path)[key] });
      if (keys.length > 1)
        out.push({
          what: `${where} with only ${key}`,
          make: (c) => {
            const o = at(c, path);
            for (const k of Object.keys(o)) if (k !== key) delete o[k];
          },
        });
    }
  }
  if (out.length <= MAX_CASES) return out;
  const stride = out.length / MAX_CASES;
  return Array.from({ length: MAX_CASES }, (_, i) => out[Math.floor(i * stride)] as Case);
}

describe("emitters write partial models without undefined fields", () => {
  for (const dir of DIRS) {
    for (const f of readdirSync(join(FIXTURES, dir)).sort()) {
      if (!f.endsWith(".conf")) continue;
      const r = load(join(FIXTURES, dir, f));
      if (r.diagnostics.errorCount > 0) continue;
      test(`${dir}/${f}`, () => {
        const full = badWords(emitConf(r.config, { strict: true }));
        const failures: string[] = [];
        for (const c of cases(r.config)) {
          const copy = structuredClone(r.config);
          c.make(copy);
          let text: string;
          try {
            text = emitConf(copy, { strict: true });
          } catch (e) {
            failures.push(`${c.what}: throws ${(e as Error).message}`);
            continue;
          }
          for (const [w, n] of badWords(text)) {
            if (n <= (full.get(w) ?? 0)) continue;
            const line = text.split("\n").find((l) => l.includes(w) && !l.includes("/dev/null"));
            failures.push(`${c.what}: prints '${w}': ${line?.trim()}`);
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }
});
