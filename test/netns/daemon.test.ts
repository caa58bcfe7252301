/** The process around the engine: pid files (keepalived's rules). */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, ensureKeel, instance } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";

beforeAll(() => {
  ensureKeel();
});

describe("pid files", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("written at start, a second daemon on the same file is refused, removed at exit", async () => {
    const pid = `${lab.dir}/k.pid`;
    const vpid = `${lab.dir}/k-vrrp.pid`;
    const conf = GLOBAL + instance({ priority: 100 });
    const first = lab.keel("h1", conf, ["-p", pid, "-r", vpid]);
    await first.waitFor(/Startup complete/);
    expect(readFileSync(pid, "utf8").trim()).toBe(String(first.pid));
    expect(readFileSync(vpid, "utf8").trim()).toBe(String(first.pid));
    const second = lab.keel("h1", conf, ["-p", pid, "-r", vpid]);
    expect(await second.exited).toBe(1);
    expect(second.text()).toContain(`daemon is already running (pid ${first.pid} in ${pid})`);
    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(existsSync(pid)).toBe(false);
    expect(existsSync(vpid)).toBe(false);
  }, 20_000);

  test("a pid file left by a crash (its process gone) does not stop a start", async () => {
    const pid = `${lab.dir}/crash.pid`;
    const k1 = lab.keel("h1", GLOBAL + instance({ priority: 100 }), ["-p", pid, "-r", `${lab.dir}/crash-vrrp.pid`]);
    await k1.waitFor(/Startup complete/);
    k1.kill("SIGKILL");
    await k1.exited;
    expect(existsSync(pid)).toBe(true);
    const k2 = lab.keel("h1", GLOBAL + instance({ priority: 100 }), ["-p", pid, "-r", `${lab.dir}/crash-vrrp.pid`]);
    await k2.waitFor(/Startup complete/);
    expect(readFileSync(pid, "utf8").trim()).toBe(String(k2.pid));
    k2.kill("SIGTERM");
    expect(await k2.exited).toBe(0);
  }, 20_000);
});

describe("Prometheus metrics", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("keepalived-exporter's names and labels, scraped and parsed", async () => {
    const script = 'vrrp_script chk {\n  script "/bin/true"\n  interval 1\n}\n';
    const k = lab.keel("h1", GLOBAL + script + instance({ priority: 150, extra: ["track_script {", "  chk", "}"] }), ["--metrics", "127.0.0.1:9650"]);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await Bun.sleep(1_200);
    const text = lab.exec("h1", [process.execPath, "-e", "console.log(await (await fetch('http://127.0.0.1:9650/metrics')).text())"]);
    // every sample line parses as NAME{LABELS} VALUE
    const samples = text.split("\n").filter((l) => l && !l.startsWith("#"));
    for (const l of samples) expect(l).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+(\.\d+)?$/);
    const value = (name: string) => Number(samples.find((l) => l.startsWith(name))?.split(" ").at(-1));
    expect(value("keepalived_up ")).toBe(1);
    expect(samples).toContain('keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.99.0.100/32"} 2');
    expect(value('keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"}')).toBeGreaterThan(0);
    expect(value('keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="51"}')).toBe(1);
    expect(samples).toContain('keepalived_script_status{name="chk"} 1');
    expect(samples).toContain('keel_vrrp_effective_priority{iname="VI_1",intf="eth0",vrid="51"} 150');
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 20_000);
});
