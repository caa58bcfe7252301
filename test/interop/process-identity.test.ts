/**
 * Process names and umask against Debian's keepalived 2.2.7, one config run by each in
 * turn: keel's daemon is keepalived's VRRP child and parent in one, so its
 * /proc/PID/comm is what keepalived's VRRP child shows (vrrp_process_name), also after a
 * reload that renames it, and keepalived's parent shows process_name. `umask 0077`: the
 * SIGUSR1 dump (keepalived.data) is created 0600 by both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

const conf = (vrrpName: string) => `global_defs {
  router_id ident
  process_name kparent
  vrrp_process_name ${vrrpName}
  umask 0077
}
vrrp_instance A {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.99.0.100/32
  }
}
`;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["h1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, "utf8").trimEnd();

interface Seen {
  vrrp: string;
  reloaded: string;
  dataMode: number;
}

async function run(start: () => Proc, file: string, vrrpPid: (p: Proc) => number): Promise<Seen> {
  const data = `${lab.tmpdir("h1")}/keepalived.data`;
  rmSync(data, { force: true });
  const p = start();
  await p.waitFor(/\(A\) Entering BACKUP STATE/, 30_000);
  const pid = vrrpPid(p);
  const vrrp = comm(pid);
  p.kill("SIGUSR1");
  await eventually(() => existsSync(data) && statSync(data).size > 0, 10_000);
  const dataMode = statSync(data).mode & 0o777;
  lab.file(file, conf("kvrrp_renamed"));
  p.kill("SIGHUP");
  await eventually(() => comm(pid) === "kvrrp_renamed", 20_000);
  const reloaded = comm(pid);
  p.kill("SIGTERM");
  await p.exited;
  return { vrrp, reloaded, dataMode };
}

test("process_name, vrrp_process_name and umask: keel's daemon is keepalived's VRRP child", async () => {
  const ka = await run(
    () => lab.keepalived("h1", conf("kvrrp")),
    "h1-ka.conf",
    () => Number(readFileSync(`${lab.tmpdir("h1")}/vrrp-0.pid`, "utf8")),
  );
  expect(ka).toEqual({ vrrp: "kvrrp", reloaded: "kvrrp_renamed", dataMode: 0o600 });
  const keel = await run(
    () => lab.keel("h1", conf("kvrrp")),
    "h1.conf",
    (p) => p.pid,
  );
  expect(keel).toEqual(ka);
}, 120_000);
