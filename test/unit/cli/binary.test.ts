// The compiled executable starts and answers: guards build.ts (plugins, entry points).
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../../package.json";

const root = join(import.meta.dir, "../../..");
const keel = join(root, "dist/keel");

beforeAll(() => {
  const b = Bun.spawnSync([process.execPath, "build.ts"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
}, 120_000);

test("dist/keel --version and -t run from another directory", () => {
  const v = Bun.spawnSync([keel, "--version"], { cwd: "/" });
  // the version is compiled in (build.ts `define`), not read from package.json at run time
  expect(v.stdout.toString()).toStartWith(`Keel v${pkg.version} (`);
  const fixture = join(root, "test/fixtures/config/language/misspelled.conf");
  const t = Bun.spawnSync([keel, "-t", "-f", fixture], { cwd: "/" });
  expect(t.exitCode).toBe(5);
  expect(t.stderr.toString()).toContain(
    "misspelled.conf:4:5: error[unknown-keyword]: unknown keyword 'prority' in vrrp_instance; did you mean 'priority'?",
  );
});
