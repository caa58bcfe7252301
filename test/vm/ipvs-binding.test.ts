/**
 * native-bindings/ipvs in a real kernel: boots the VM runner (test/vm/run-in-vm.sh) and
 * runs test/vm/guest/ipvs-binding.ts inside, which programs IPVS through generic netlink
 * and has ipvsadm read every change back. Every PASS line must come, and no FAIL.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const EXPECTED = 16;

test("the generic-netlink IPVS binding against a real kernel, checked by ipvsadm", async () => {
  const p = Bun.spawn([join(import.meta.dir, "run-in-vm.sh"), "--share", ROOT, "--timeout", "300", "--", join(ROOT, "node_modules/.bin/bun"), join(import.meta.dir, "guest/ipvs-binding.ts")], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  const lines = out.split("\n");
  const fails = lines.filter((l) => l.startsWith("FAIL:"));
  const passes = lines.filter((l) => l.startsWith("PASS:"));
  if (code !== 0 || fails.length > 0 || passes.length !== EXPECTED) console.error(`${out}\n${err}`);
  else console.log(passes.join("\n"));
  expect(fails).toEqual([]);
  expect(passes.length).toBe(EXPECTED);
  expect(code).toBe(0);
}, 400_000);
