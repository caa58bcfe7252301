/** The process around the engine: pid files (keepalived's rules). */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, ensureKeel, eventually, instance } from "./harness";

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
    const k = lab.keel("h1", GLOBAL + script + instance({ priority: 150, extra: ["track_script {", "  chk", "}"] }), [
      "--metrics",
      "127.0.0.1:9650",
    ]);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    // the script's first result (interval 1) is what the scrape waits for
    const scrape = () =>
      lab.exec("h1", [
        process.execPath,
        "-e",
        "console.log(await (await fetch('http://127.0.0.1:9650/metrics')).text())",
      ]);
    const text = await eventually(
      () => {
        const t = scrape();
        return t.includes('keepalived_script_status{name="chk"} 1') && t;
      },
      10_000,
      200,
    );
    // every sample line parses as NAME{LABELS} VALUE
    const samples = text.split("\n").filter((l) => l && !l.startsWith("#"));
    for (const l of samples) expect(l).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+(\.\d+)?$/);
    const value = (name: string) =>
      Number(
        samples
          .find((l) => l.startsWith(name))
          ?.split(" ")
          .at(-1),
      );
    expect(value("keepalived_up ")).toBe(1);
    expect(samples).toContain(
      'keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.99.0.100/32"} 2',
    );
    expect(value('keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"}')).toBeGreaterThan(0);
    expect(value('keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="51"}')).toBe(1);
    expect(samples).toContain('keepalived_script_status{name="chk"} 1');
    expect(samples).toContain('keel_vrrp_effective_priority{iname="VI_1",intf="eth0",vrid="51"} 150');
    // keel's own (contrib/prometheus/keel-alerts.yml reads them)
    expect(samples).toContain('keel_vrrp_state{iname="VI_1",intf="eth0",vrid="51",family="inet",state="MASTER"} 1');
    expect(samples).toContain('keel_vrrp_state{iname="VI_1",intf="eth0",vrid="51",family="inet",state="BACKUP"} 0');
    expect(samples).toContain(
      'keel_vrrp_transitions_total{iname="VI_1",intf="eth0",vrid="51",to="MASTER",reason="master-down-timer"} 1',
    );
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 20_000);
});

describe("systemd (Type=notify)", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("READY=1 once started, RELOADING=1 then READY=1 around a reload, STOPPING=1 on SIGTERM", async () => {
    const { listenDatagrams } = await import("../../native-bindings/unix-dgram");
    const path = `${lab.dir}/notify.sock`;
    const sd = listenDatagrams(path);
    try {
      process.env.NOTIFY_SOCKET = path;
      const k = lab.keel("h1", GLOBAL + instance({ priority: 100 }));
      delete process.env.NOTIFY_SOCKET;
      await k.waitFor(/Startup complete/);
      // each datagram is sent after the log line that announces it: wait for it
      const got: string[] = [];
      await eventually(() => got.push(...sd.receive()) >= 1);
      expect(got).toEqual([`READY=1\nSTATUS=1 VRRP instance(s)\nMAINPID=${k.pid}`]);
      k.kill("SIGHUP");
      await k.waitFor(/Reload complete/);
      const reload: string[] = [];
      await eventually(() => reload.push(...sd.receive()) >= 2);
      expect(reload.length).toBe(2);
      expect(reload[0]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
      expect(reload[1]).toBe("READY=1");
      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
      expect(sd.receive()).toEqual(["STOPPING=1"]);
    } finally {
      delete process.env.NOTIFY_SOCKET;
      sd.close();
    }
  }, 20_000);

  test("the unit file is what the README says: Type=notify, ExecReload sends HUP", async () => {
    const unit = await Bun.file(`${import.meta.dir}/../../systemd/keel.service`).text();
    expect(unit).toContain("Type=notify");
    expect(unit).toContain("ExecReload=/bin/kill -HUP $MAINPID");
    expect(unit).toMatch(/ExecStart=\/usr\/sbin\/keel --dont-fork .*-f \/etc\/keepalived\/keepalived\.conf/);
  });
});

describe("logging", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("syslog with the -S facility (RFC 3164 framing), -g log file, --log-format json", async () => {
    const { listenDatagrams } = await import("../../native-bindings/unix-dgram");
    const sock = `${lab.dir}/log.sock`;
    const sys = listenDatagrams(sock);
    try {
      const file = `${lab.dir}/keel.log`;
      const k = lab.keel("h1", GLOBAL + instance({ priority: 100 }), ["-S", "3", `-g${file}`], { syslog: sock });
      await k.waitFor(/\(VI_1\) Entering BACKUP STATE \(init\)/);
      const grams: string[] = [];
      await eventually(
        () => grams.push(...sys.receive()) >= 0 && grams.some((g) => g.endsWith("(VI_1) Entering BACKUP STATE (init)")),
      );
      // local3 = 19; info = 6: <158>
      expect(grams.find((g) => g.endsWith("(VI_1) Entering BACKUP STATE (init)"))).toMatch(
        new RegExp(
          `^<158>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d keel\\[${k.pid}\\]: \\(VI_1\\) Entering BACKUP STATE \\(init\\)$`,
        ),
      );
      expect(await Bun.file(file).text()).toMatch(
        /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: \(VI_1\) Entering BACKUP STATE \(init\)$/m,
      );
      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
      const j = lab.keel("h1", GLOBAL + instance({ priority: 100 }), ["--log-format", "json"]);
      const line = await j.waitFor(/Entering BACKUP STATE \(init\)/);
      expect(JSON.parse(line.text)).toMatchObject({
        level: "info",
        instance: "VI_1",
        event: "transition",
        from: "INIT",
        to: "BACKUP",
        reason: "init",
        msg: "(VI_1) Entering BACKUP STATE (init)",
      });
      j.kill("SIGTERM");
      await j.exited;
    } finally {
      sys.close();
    }
  }, 20_000);
});
