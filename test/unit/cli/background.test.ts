// The starter's side of a background start without root: the daemon it starts fails at its
// first step (the pid file), and the starter exits with the daemon's status and its reason.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "keel-bg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../../src/main.ts");

const CONF = `vrrp_instance VI_1 {
    interface lo
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.10/32
    }
}
`;

test("a daemon that cannot start: the starter exits with its status and prints its error", async () => {
  const conf = join(dir, "k.conf");
  writeFileSync(conf, CONF);
  const pid = join(dir, "no-such-dir", "k.pid");
  // stdin and stdout are not a terminal and there is no -n: the background start
  const p = Bun.spawn(
    [process.execPath, MAIN, "-G", "-f", conf, "-p", pid, "-r", join(dir, "v.pid"), "--control-socket", join(dir, "s")],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  expect({ code, out }).toEqual({ code: 1, out: "" });
  expect(err).toContain(`cannot write pid file: ENOENT`);
  expect(err).toContain(pid);
});
