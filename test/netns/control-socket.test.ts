/**
 * The control socket's path between real daemons: a second keel with its own pid files
 * but the first one's --control-socket is refused and the first keeps its socket; a
 * --control-socket that names the config file (a typo) stops the start and the file
 * survives.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Status } from "../../src/control/protocol";
import { KEEL, Lab, type Proc, ensureKeel, instance, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";

/** The exit status, or a failure naming what the process said when it does not exit. */
async function exitOf(p: Proc, ms = 15_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${p.host}: still running after ${ms} ms:\n${p.text()}`)), ms);
  });
  try {
    return await Promise.race([p.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("control socket path", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("a second daemon on the same socket is refused; the first keeps its socket", async () => {
    const sock = `${lab.dir}/run/keel.sock`;
    const conf = GLOBAL + instance({ priority: 150 });
    // Lab.keel gives each daemon its own pid files; the later --control-socket wins
    const first = lab.keel("h1", conf, ["--control-socket", sock]);
    await first.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const second = lab.keel("h1", conf, ["--control-socket", sock]);
    expect(await exitOf(second)).toBe(1);
    expect(second.text()).toContain(`control socket ${sock} is in use by another keel (pid ${first.pid})`);
    const st = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", sock])) as Status;
    expect(st.pid).toBe(first.pid);
    expect(st.instances[0]).toMatchObject({ name: "VI_1", state: "MASTER" });
    first.kill("SIGTERM");
    expect(await exitOf(first)).toBe(0);
    expect(existsSync(sock)).toBe(false);
  }, 40_000);

  test("--control-socket naming the config file: the start fails and the file survives", async () => {
    const conf = GLOBAL + instance({ priority: 150 });
    const path = lab.file("typo.conf", conf);
    const k = lab.keel("h1", conf, ["--control-socket", path]);
    expect(await exitOf(k)).toBe(1);
    const why = "exists and is a regular file, not a socket; refusing to remove it";
    expect(k.text()).toContain(`control socket ${path} ${why}`);
    expect(readFileSync(path, "utf8")).toBe(conf);
  }, 30_000);
});
