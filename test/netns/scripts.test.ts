/**
 * vrrp_script and notify on real processes: a script's weight moves the master, a
 * hanging script times out and counts as a failure, notify scripts get keepalived's
 * arguments and the notify FIFO gets keepalived's lines.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KEEL, Lab, ensureKeel, eventually, instance, masterFirst, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";
const VIP = "10.99.0.100";

beforeAll(() => {
  ensureKeel();
});

describe("vrrp_script", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("a failing script with weight -60 hands the VIP to the backup; success brings it back", async () => {
    const flag = lab.file("h1-ok", "");
    const script = `vrrp_script chk {\n  script "/bin/sh -c 'test -f ${flag}'"\n  interval 1\n  weight -60\n  fall 1\n  rise 1\n}\n`;
    const { master: h1, backup: h2 } = await masterFirst(
      () => lab.keel("h1", GLOBAL + script + instance({ priority: 150, extra: ["track_script {", "  chk", "}"] })),
      () => lab.keel("h2", GLOBAL + instance({ priority: 100 })),
    );
    const m1 = h1.lines.length;
    const m2 = h2.lines.length;
    rmSync(flag);
    await h1.waitFor(/Script `chk` now returning 1/, 5_000, m1);
    await h1.waitFor(/\(VI_1\) Changing effective priority from 150 to 90/, 5_000, m1);
    await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 6_000, m2);
    await h1.waitFor(/\(VI_1\) Entering BACKUP STATE/, 3_000, m1);
    expect(lab.hasAddr("h2", VIP)).toBe(true);
    writeFileSync(flag, "");
    await h1.waitFor(/\(VI_1\) Changing effective priority from 90 to 150/, 5_000, m1);
    await h1.waitFor(/\(VI_1\) Entering MASTER STATE/, 6_000, m1);
    expect(lab.hasAddr("h1", VIP)).toBe(true);
  }, 40_000);

  test("a script that hangs past its timeout is ended and counts as a failure (weight 0: FAULT)", async () => {
    const script = 'vrrp_script hang {\n  script "/bin/sleep 30"\n  interval 1\n  timeout 1\n  fall 1\n}\n';
    const k = lab.keel(
      "h2",
      GLOBAL +
        script +
        instance({ vrid: 60, priority: 100, vips: ["10.99.0.160/32"], extra: ["track_script {", "  hang", "}"] }),
    );
    await k.waitFor(/Process \[hang\] timed out/, 5_000);
    // in FAULT from the start (waiting for the script's first result), still there after
    // the failure: keepalived writes no state line for either (seen live: start-fault.test.ts)
    const sock = `${lab.tmpdir("h2")}/keel-${lab.keels.indexOf(k)}.sock`;
    const inst = () => JSON.parse(sh([KEEL, "status", "--json", "--control-socket", sock])).instances[0];
    // the wait ("init:hang") became a failure ("script:hang")
    await eventually(() => inst().faults.includes("script:hang"));
    expect(inst().state).toBe("FAULT");
    expect(k.text()).not.toMatch(/\(VI_1\) Entering \w+ STATE/);
    // the sleeps were ended: none outlives its timeout by more than SIGTERM's moment (one
    // may be running now, started by the latest interval)
    const sleeps = () => Number(lab.exec("h2", ["sh", "-c", "ps -eo args | grep -c '^/bin/sleep 30' || true"]).trim());
    await eventually(() => sleeps() <= 1);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 20_000);
});

describe("notify", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("notify_master, the generic notify (INSTANCE name STATE priority) and the FIFO lines", async () => {
    const out = lab.file("notify.out", "");
    const generic = lab.file("notify.sh", `#!/bin/sh\necho "generic $*" >> ${out}\n`);
    const master = lab.file("master.sh", `#!/bin/sh\necho "master $*" >> ${out}\n`);
    chmodSync(generic, 0o755);
    chmodSync(master, 0o755);
    const fifo = `${lab.dir}/notify.fifo`;
    const conf = `global_defs {\n  router_id test\n  vrrp_notify_fifo ${fifo}\n}\n${instance({ priority: 150, extra: [`notify_master ${master}`, `notify ${generic}`] })}`;
    const k = lab.keel("h1", conf);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await eventually(() => existsSync(fifo));
    // keel created the FIFO and holds it open read-write; the lines wait in it for a reader
    // (a FIFO's data lives only while someone holds it open: read before keel stops)
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const buf = Buffer.alloc(4096);
    // the lines wait in the FIFO: read until MASTER's is there, then again after the stop
    const read = () => {
      try {
        return buf.subarray(0, readSync(fd, buf)).toString();
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return "";
        throw e;
      }
    };
    let fifoText = "";
    try {
      await eventually(() => {
        fifoText += read();
        return fifoText.includes("MASTER");
      });
      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
      fifoText += read();
    } finally {
      closeSync(fd);
    }
    expect(fifoText).toBe('INSTANCE "VI_1" BACKUP 150\nINSTANCE "VI_1" MASTER 150\nINSTANCE "VI_1" STOP 150\n');
    // the scripts run on their own and may finish after keel has exited
    const lines = await eventually(() => {
      const l = readFileSync(out, "utf8").trim().split("\n");
      return l.filter((x) => x.startsWith("generic")).length >= 3 && l.some((x) => x.startsWith("master")) && l;
    });
    // the generic script in order; notify_master once, with no arguments (scripts run concurrently)
    expect(lines.filter((l) => l.startsWith("generic"))).toEqual([
      "generic INSTANCE VI_1 BACKUP 150",
      "generic INSTANCE VI_1 MASTER 150",
      "generic INSTANCE VI_1 STOP 150",
    ]);
    expect(lines.filter((l) => l.startsWith("master"))).toEqual(["master "]);
  }, 20_000);
});

describe("track_file and vrrp_track_process", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("a track_file value times its weight moves the master; a tracked process's quorum puts it in FAULT", async () => {
    const file = lab.file("tf.value", "0\n");
    const name = `kp${process.pid.toString(36)}`.slice(0, 12);
    const bin = `${lab.dir}/${name}`;
    Bun.spawnSync(["cp", "/bin/sleep", bin]);
    const sleeper = Bun.spawn([bin, "600"], { stdio: ["ignore", "ignore", "ignore"] });
    try {
      const trackers = `vrrp_track_file tf {\n  file ${file}\n  weight -1\n}\nvrrp_track_process tp {\n  process ${name}\n  quorum 1\n}\n`;
      const tracked = ["track_file {", "  tf", "}", "track_process {", "  tp", "}"];
      const { master: h1, backup: h2 } = await masterFirst(
        () => lab.keel("h1", GLOBAL + trackers + instance({ priority: 150, extra: tracked })),
        () => lab.keel("h2", GLOBAL + instance({ priority: 100 })),
      );
      const m1 = h1.lines.length;
      const m2 = h2.lines.length;
      writeFileSync(file, "60\n");
      await h1.waitFor(/\(VI_1\) Changing effective priority from 150 to 90/, 3_000, m1);
      await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 6_000, m2);
      // h1 must have heard h2's advert and stepped down first: reset too early, h1 is back
      // at 150 before it does and stays MASTER, and never enters MASTER again below
      await h1.waitFor(/\(VI_1\) Entering BACKUP STATE/, 6_000, m1);
      writeFileSync(file, "0\n");
      await h1.waitFor(/\(VI_1\) Entering MASTER STATE/, 8_000, m1);
      const m3 = h1.lines.length;
      sleeper.kill("SIGKILL");
      await h1.waitFor(/Track process tp quorum lost/, 3_000, m3);
      await h1.waitFor(/\(VI_1\) Entering FAULT STATE/, 3_000, m3);
    } finally {
      sleeper.kill("SIGKILL");
    }
  }, 40_000);
});

describe("SMTP alerts", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1", "mail"]);
  });
  afterAll(() => lab?.destroy());

  test("keepalived's subject and body for each state, to every address, through a real SMTP server", async () => {
    const sink = lab.spawn("mail", [process.execPath, `${import.meta.dir}/fixtures/smtp-sink.ts`, "2525"]);
    await sink.waitFor(/^listening 2525/);
    const conf = [
      "global_defs {",
      "  router_id lb-test",
      "  notification_email {",
      "    ops@example.org",
      "    noc@example.org",
      "  }",
      "  notification_email_from keel@example.org",
      `  smtp_server ${lab.ip("mail")} 2525`,
      "  smtp_helo_name keel-test",
      "}",
      "",
    ].join("\n");
    const k = lab.keel("h1", conf + instance({ priority: 150, extra: ["smtp_alert"] }));
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const mails = async (n: number) => {
      for (let i = 0; i < 100 && sink.lines.filter((l) => l.text.startsWith("{")).length < n; i++) await Bun.sleep(50);
      return sink.lines
        .filter((l) => l.text.startsWith("{"))
        .map((l) => JSON.parse(l.text) as { from: string; to: string[]; helo: string; data: string });
    };
    const got = await mails(2);
    expect(got.length).toBe(2);
    const [backup, master] = got;
    expect(master).toMatchObject({
      from: "keel@example.org",
      to: ["ops@example.org", "noc@example.org"],
      helo: "keel-test",
    });
    expect(backup!.data).toMatch(/^Subject: \[lb-test\] VRRP Instance VI_1 - Entering BACKUP state$/m);
    expect(backup!.data).toContain("=> VRRP Instance is no longer owning VRRP VIPs <=");
    expect(master!.data).toMatch(/^Subject: \[lb-test\] VRRP Instance VI_1 - Entering MASTER state$/m);
    expect(master!.data).toContain("=> VRRP Instance is now owning VRRP VIPs <=");
    expect(k.text()).toContain("SMTP alert successfully sent.");
    k.kill("SIGTERM");
    await k.exited;
  }, 30_000);
});

describe("sync group notify, notify_fifo_script, script users", () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create(["h1"]);
  });
  afterAll(() => lab?.destroy());

  test("GROUP notify arguments, the FIFO script reading keepalived's lines, a script run as nobody", async () => {
    const out = lab.file("group.out", "");
    const fifoOut = lab.file("fifo.out", "");
    const idOut = lab.file("id.out", "");
    const generic = lab.file("group.sh", `#!/bin/sh\necho "$*" >> ${out}\n`);
    // keepalived's notify_fifo_script gets the FIFO's path and reads lines from it
    const reader = lab.file("reader.sh", `#!/bin/sh\nwhile read -r line; do echo "$line" >> ${fifoOut}; done < "$1"\n`);
    const who = lab.file("who.sh", `#!/bin/sh\nid -u > ${idOut}\n`);
    for (const f of [generic, reader, who]) chmodSync(f, 0o755);
    chmodSync(idOut, 0o666);
    chmodSync(lab.dir, 0o755);
    const fifo = `${lab.dir}/keel.fifo`;
    const conf = [
      "global_defs {",
      "  router_id test",
      `  notify_fifo ${fifo}`,
      `  notify_fifo_script ${reader}`,
      "}",
      "vrrp_sync_group G1 {",
      "  group {",
      "    VI_1",
      "  }",
      `  notify ${generic}`,
      "}",
      instance({ priority: 150, extra: [`notify_master "${who}" nobody`] }),
    ].join("\n");
    const k = lab.keel("h1", conf);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    // scripts and the FIFO reader run on their own: wait for what they write
    const text = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
    await eventually(
      () =>
        text(out).split("\n").length > 2 && text(fifoOut).includes('GROUP "G1" MASTER') && text(idOut).trim() !== "",
    );
    expect(text(out).trim().split("\n")).toEqual(["GROUP G1 BACKUP 0", "GROUP G1 MASTER 0"]);
    // the order between the group's and the instance's lines is the engine's; each is there once
    const lines = text(fifoOut).trim().split("\n");
    expect(lines).toContain('INSTANCE "VI_1" MASTER 150');
    expect(lines).toContain('GROUP "G1" MASTER 0');
    expect((await Bun.file(idOut).text()).trim()).toBe("65534");
    k.kill("SIGTERM");
    await k.exited;
  }, 30_000);
});
