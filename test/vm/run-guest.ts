/**
 * Boot the VM runner (test/vm/run-in-vm.sh) with the repository shared and run one guest
 * script in it; every line it prints as "PASS: ..." counts, any "FAIL: ..." fails the test.
 */
import { expect } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
/** node_modules when it lies outside the repository (a git worktree's symlink): shared too, or bun is missing in the guest */
const MODULES = realpathSync(join(ROOT, "node_modules"));
const EXTRA_SHARES = MODULES.startsWith(`${realpathSync(ROOT)}/`) ? [] : ["--share", MODULES];

/** `modules`: kernel modules to preload beyond the runner's own (run-in-vm.sh --module). */
export async function runGuest(
  script: string,
  expectedPasses: number,
  timeoutS: number,
  modules: string[] = [],
): Promise<void> {
  const p = Bun.spawn(
    [
      join(import.meta.dir, "run-in-vm.sh"),
      "--share",
      ROOT,
      ...EXTRA_SHARES,
      "--timeout",
      String(timeoutS),
      ...modules.flatMap((m) => ["--module", m]),
      "--",
      join(ROOT, "node_modules/.bin/bun"),
      join(import.meta.dir, "guest", script),
    ],
    {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  const lines = out.split("\n");
  const fails = lines.filter((l) => l.startsWith("FAIL:"));
  const passes = lines.filter((l) => l.startsWith("PASS:"));
  if (code !== 0 || fails.length > 0 || passes.length !== expectedPasses) console.error(`${out}\n${err}`);
  else console.log(passes.join("\n"));
  expect(fails).toEqual([]);
  expect(passes.length).toBe(expectedPasses);
  expect(code).toBe(0);
}
