// DESIGN.md rule 6 (issue 20): on a daemon's path to its first advert nothing imports
// node:fs as an ES module (its namespace's ReadStream getter loads node:stream), nor
// node:net, node:stream, node:crypto, node:child_process, node:os: each costs the compiled
// binary 5–25 ms and hundreds of page faults at every start. They come through `require`
// or `await import()` where they are used. This walks the static `import` statements
// (type-only imports are erased) from the entry point and the daemon, as the bundler's
// chunks load them, and names the module that brings one in.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");
const FORBIDDEN = ["fs", "net", "stream", "crypto", "child_process", "os", "tls", "http", "dgram", "worker_threads"];
const transpiler = new Bun.Transpiler({ loader: "ts" });

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const p of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")])
    if (existsSync(p) && p.match(/\.tsx?$/)) return p;
  return undefined;
}

/** every node: module imported statically from `entries`, with the file that imports it */
function staticNodeImports(entries: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imp of transpiler.scanImports(readFileSync(file, "utf8"))) {
      if (imp.kind !== "import-statement") continue;
      if (imp.path.startsWith(".")) {
        const next = resolveLocal(file, imp.path);
        if (next) queue.push(next);
        continue;
      }
      const name = imp.path.replace(/^node:/, "");
      if (FORBIDDEN.includes(name) && !found.has(name)) found.set(name, relative(ROOT, file));
    }
  }
  expect(seen.size).toBeGreaterThan(50); // the walk reached the daemon's modules
  return found;
}

test("the daemon's start imports no node:fs/net/stream/crypto/child_process/os module statically", () => {
  const found = staticNodeImports([
    "src/main.ts",
    "src/cli.ts",
    "src/runtime/daemon.ts",
    "src/runtime/kernel-linux.ts",
    "src/config/load.ts",
    "src/runtime/log.ts",
  ]);
  expect(Object.fromEntries(found)).toEqual({});
});
