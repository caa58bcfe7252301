/**
 * IPVS for real: boots the project's VM runner (test/vm/run-in-vm.sh: Debian's kernel,
 * which has IPVS, under QEMU) and runs test/vm/guest/lvs-e2e.ts inside: keel as a NAT
 * load balancer with three real servers, a client through the VIP, a stopped server out
 * of the table within delay_loop + retries, the sorry server on quorum loss, the service
 * removed on SIGTERM. The guest script prints PASS/FAIL lines; every one must pass.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ensureKeel } from "../netns/harness";

const ROOT = join(import.meta.dir, "../..");

test("keel programs IPVS in a real kernel: NAT through the VIP, failures, sorry server, clean stop", async () => {
  ensureKeel();
  const p = Bun.spawn([join(import.meta.dir, "run-in-vm.sh"), "--share", ROOT, "--timeout", "500", "--", join(ROOT, "node_modules/.bin/bun"), join(import.meta.dir, "guest/lvs-e2e.ts")], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  const lines = out.split("\n");
  const fails = lines.filter((l) => l.startsWith("FAIL:"));
  const passes = lines.filter((l) => l.startsWith("PASS:"));
  if (code !== 0 || fails.length > 0) console.error(`${out}\n${err}`);
  else console.log(passes.join("\n"));
  expect(fails).toEqual([]);
  expect(passes.length).toBe(15);
  expect(code).toBe(0);
}, 600_000);
