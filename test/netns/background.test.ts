/**
 * `keel -f FILE` without a terminal and without -n goes into the background as keepalived
 * does (src/runtime/background.ts): the command returns once the daemon runs, the pid file
 * names the background process (a session leader in /), SIGTERM stops it cleanly; a start
 * that fails returns non-zero with the reason on stderr. Lab.destroy kills whatever still
 * runs in the namespace, the background daemon included, if a test fails half-way.
 */
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Status } from "../../src/control/protocol";
import { runtimeEnv } from "../../src/runtime/runtime-env";
import { KEEL, Lab, ensureKeel, eventually, instance, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";
const VIP = "10.99.0.100";

/** A live process (a zombie is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** /proc/PID/stat field 6: the session id */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

describe("background start (no terminal, no -n)", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("returns once the daemon runs; the pid file names it; SIGTERM stops it cleanly", async () => {
    const dir = lab.tmpdir("h1");
    const files = { pid: `${dir}/bg.pid`, vpid: `${dir}/bg-vrrp.pid`, sock: `${dir}/bg.sock`, log: `${dir}/bg.log` };
    const conf = lab.file("bg.conf", GLOBAL + instance({ state: "MASTER", priority: 150, vips: [`${VIP}/32`] }));
    const args = [
      "-d",
      "-G",
      `-g${files.log}`,
      "-f",
      conf,
      "-p",
      files.pid,
      "-r",
      files.vpid,
      "--control-socket",
      files.sock,
    ];
    const starter = lab.spawn("h1", [KEEL, ...args]);
    expect(await starter.exited).toBe(0);
    expect(starter.text()).toBe("");

    // the starter returned only once the daemon was ready: no waiting for any of this
    const pid = Number(readFileSync(files.pid, "utf8").trim());
    expect(pid).not.toBe(starter.pid);
    expect(alive(pid)).toBe(true);
    expect(readFileSync(files.vpid, "utf8").trim()).toBe(String(pid));
    const log = readFileSync(files.log, "utf8");
    expect(log).toContain("Startup complete");
    // -d: keepalived's dump text in the log, before the daemon counts as ready, and it runs on
    expect(log).toMatch(/: {2}VRRP Instance = VI_1\n.*: {4}Virtual Router ID = 51\n/s);
    const st = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", files.sock])) as Status;
    expect(st.pid).toBe(pid);
    expect(st.instances.map((i) => i.name)).toEqual(["VI_1"]);

    // keepalived's xdaemon: its own session, cwd /, standard streams on /dev/null
    expect(sessionOf(pid)).toBe(pid);
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");
    for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe("/dev/null");
    // the runtime settings Bun reads only at its start (src/runtime/runtime-env.ts), which the
    // starter's environment (this test's) lacks: the starter gave them to the daemon
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    for (const [k, v] of Object.entries(runtimeEnv(process.env))) expect(environ).toContain(`${k}=${v}`);

    await eventually(() => lab.hasAddr("h1", VIP), 20_000);
    process.kill(pid, "SIGTERM");
    await eventually(() => !alive(pid), 20_000);
    expect(existsSync(files.pid)).toBe(false);
    expect(existsSync(files.vpid)).toBe(false);
    expect(lab.hasAddr("h1", VIP)).toBe(false);
    expect(readFileSync(files.log, "utf8")).toContain("Stopped Keel");
  }, 60_000);

  test("a start that fails returns its status with the reason: pid file held, configuration error", async () => {
    const dir = lab.tmpdir("h1");
    const pid = `${dir}/held.pid`;
    const text = GLOBAL + instance({ priority: 100 });
    const conf = lab.file("held.conf", text);
    const first = lab.keel("h1", text, ["-p", pid, "-r", `${dir}/held-vrrp.pid`]);
    await first.waitFor(/Startup complete/);

    const second = lab.spawn("h1", [KEEL, "-G", "-f", conf, "-p", pid, "-r", `${dir}/held2-vrrp.pid`]);
    expect(await second.exited).toBe(1);
    expect(second.text()).toContain(`daemon is already running (pid ${first.pid} in ${pid})`);

    const bad = lab.file("bad.conf", `${GLOBAL}vrrp_instance VI_1 {\n  priority 300\n}\n`);
    const third = lab.spawn("h1", [KEEL, "-G", "-f", bad, "-p", `${dir}/bad.pid`, "-r", `${dir}/bad-vrrp.pid`]);
    // KEEPALIVED_EXIT_NO_CONFIG; the configuration is read before going into the background
    expect(await third.exited).toBe(6);
    expect(third.text()).toContain("priority 300 is out of range");
    expect(existsSync(`${dir}/bad.pid`)).toBe(false);

    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  }, 60_000);
});

describe("the checker process's options", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("--all starts it without virtual_server; -c names its pid file, removed when it stops", async () => {
    const dir = lab.tmpdir("h1");
    const conf = GLOBAL + instance({ priority: 100 });
    // the checker process starts before "Startup complete": without --all there is none
    const plain = lab.keel("h1", conf, ["-c", `${dir}/plain-checkers.pid`]);
    await plain.waitFor(/Startup complete/);
    expect(plain.text()).not.toContain("Starting Healthcheck child process");
    plain.kill("SIGTERM");
    expect(await plain.exited).toBe(0);

    const cpid = `${dir}/checkers.pid`;
    const k = lab.keel("h1", conf, ["--all", "-c", cpid]);
    const line = await k.waitFor(/Starting Healthcheck child process, pid=\d+/);
    const child = Number(/pid=(\d+)/.exec(line.text)?.[1]);
    await eventually(() => existsSync(cpid) && readFileSync(cpid, "utf8").trim() === String(child), 20_000);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    await eventually(() => !alive(child), 20_000);
    expect(existsSync(cpid)).toBe(false);
  }, 60_000);
});
