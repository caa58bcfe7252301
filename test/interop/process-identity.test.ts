/**
 * Process names and umask against Debian's keepalived 2.2.7, one config run by each in
 * turn: keel's daemon is keepalived's VRRP child and parent in one, so its
 * /proc/PID/comm is what keepalived's VRRP child shows (vrrp_process_name), also after a
 * reload that renames it. `umask 0077`: a notify script inherits it, so the file it
 * touches is 0600 (with the harness's own umask it would be 0644).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

const conf = (vrrpName: string, touched: string) => `global_defs {
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
  notify_backup "/usr/bin/touch ${touched}"
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
  touchedMode: number;
}

async function run(
  start: (c: string) => Proc,
  file: string,
  touched: string,
  vrrpPid: (p: Proc) => number,
): Promise<Seen> {
  rmSync(touched, { force: true });
  const p = start(conf("kvrrp", touched));
  await p.waitFor(/\(A\) Entering BACKUP STATE/, 30_000);
  // SIGHUP is handled from here on (both log it once their handlers are in place)
  await p.waitFor(/Startup complete/, 30_000);
  const pid = vrrpPid(p);
  const vrrp = comm(pid);
  await eventually(() => existsSync(touched), 10_000);
  const touchedMode = statSync(touched).mode & 0o777;
  lab.file(file, conf("kvrrp_renamed", touched));
  p.kill("SIGHUP");
  await eventually(() => comm(pid) === "kvrrp_renamed", 20_000);
  const reloaded = comm(pid);
  p.kill("SIGTERM");
  await p.exited;
  return { vrrp, reloaded, touchedMode };
}

test("process_name, vrrp_process_name and umask: keel's daemon is keepalived's VRRP child", async () => {
  expect(process.umask() & 0o044).toBe(0); // else the 0600 below would prove nothing
  const ka = await run(
    (c) => lab.keepalived("h1", c),
    "h1-ka.conf",
    `${lab.tmpdir("h1")}/ka-touched`,
    () => Number(readFileSync(`${lab.tmpdir("h1")}/vrrp-0.pid`, "utf8")),
  );
  expect(ka).toEqual({ vrrp: "kvrrp", reloaded: "kvrrp_renamed", touchedMode: 0o600 });
  const keel = await run(
    (c) => lab.keel("h1", c),
    "h1.conf",
    `${lab.tmpdir("h1")}/keel-touched`,
    (p) => p.pid,
  );
  expect(keel).toEqual(ka);
}, 120_000);
