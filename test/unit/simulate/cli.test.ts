// `keel simulate` through cli.ts: output, --json, and the exit status (0 hold, 1 fail, 2 usage / bad files).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keel } from "../cli/run-keel";
import { pairConf } from "./helpers";

const FIXTURES = join(import.meta.dir, "../../fixtures/simulate");
const dir = mkdtempSync(join(tmpdir(), "keel-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const pair = file("pair.conf", pairConf());

describe("keel simulate", () => {
  test("a fixture scenario: the timeline, the holders, every expectation holds, exit 0", async () => {
    const r = await keel("simulate", "--scenario", join(FIXTURES, "nopreempt-weights.toml"));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "   3.414s  h1    VI_1 BACKUP → MASTER: no master heard for Master_Down_Interval 3.41 s; mine 150\n",
    );
    expect(r.out).toContain("       8s  h1    VI_1 priority 150 → 90\n");
    // why nothing moved, in keel explain's words, once h2 has heard h1's next advert
    expect(r.out).toContain(
      "   8.414s  h2    VI_1 stays BACKUP: 10.99.0.11 advertises priority 90 < mine 100; nopreempt is set, so I will not take over while it advertises",
    );
    expect(r.out).toContain("VIP 10.99.0.100: h1\n");
    expect(r.out).toEndWith("all 5 expectations hold\n");
  });

  test("--json: the same as data", async () => {
    const r = await keel("simulate", "--scenario", join(FIXTURES, "sigterm.toml"), "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(true);
    expect(j.durationMs).toBe(25_000);
    expect(j.hosts.map((h: { name: string }) => h.name)).toEqual(["h1", "h2", "h3"]);
    expect(j.vips).toEqual({ "10.99.0.100": ["h1", "h2", "h1"] });
    expect(j.timeline).toContainEqual({ t: 8_000, kind: "event", text: "stop h1" } as never);
    expect(
      j.timeline.find(
        (e: { kind: string; to?: string; host?: string }) =>
          e.kind === "transition" && e.host === "h2" && e.to === "MASTER",
      ),
    ).toMatchObject({
      t: 8_609.375,
      reason: "priority-zero-received",
    });
    expect(j.expectations).toHaveLength(5);
    expect(j.expectations[0]).toMatchObject({ ok: true, line: 8, text: "VIP 10.99.0.100 sequence h1 h2 h1" });
  });

  test("a failing expectation: FAIL with the scenario's line, exit 1", async () => {
    const sc = file(
      "fail.toml",
      `hosts = { h1 = "pair.conf", h2 = "pair.conf" }\nduration = "10s"\nexpect = [\n  "at 8s VIP 10.0.0.100 on h2",\n  "never two masters",\n]\n`,
    );
    const r = await keel("simulate", "--scenario", sc);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL ${sc}:4: expect at 8s VIP 10.0.0.100 on h2 (held by h1)\n`);
    expect(r.out).toContain(`ok   ${sc}:5: expect never two masters`);
    expect(r.out).toEndWith("1 of 2 expectations failed\n");
    const j = await keel("simulate", "--scenario", sc, "--json");
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out).ok).toBe(false);
  });

  test("without a scenario: the hosts run for --for, config id = host name", async () => {
    const r = await keel("simulate", `h1=${pair}`, `h2=${pair}`, "--for", "10s");
    expect(r.code).toBe(0);
    expect(r.out).toStartWith(`2 hosts (h1: ${pair}, h2: ${pair}), 10s of virtual time\n`);
    expect(r.out).toContain("h1    VI_1 BACKUP → MASTER");
    expect(r.out).toContain("VIP 10.0.0.100: h1\n");
    // named by the file: one host "pair"
    const one = await keel("simulate", pair, "--for", "5s");
    expect(one.out).toStartWith(`1 host (pair: ${pair}), 5s of virtual time\n`);
  });

  test("a host's config with errors: keel -t's file:line:col lines, exit 2", async () => {
    const bad = file("bad.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n}\n");
    const r = await keel("simulate", `h1=${bad}`);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(new RegExp(`^${bad}:3:\\d+: error\\[`, "m"));
    expect(r.err).toContain(`keel: ${bad}:`);
  });

  test("a reload's file is checked before the run", async () => {
    const bad = file("bad2.conf", "vrrp_instance VI_1 {\n  priority 999\n}\n");
    const sc = file("reload.toml", `hosts = { h1 = "pair.conf" }\nevents = ["5s reload h1 bad2.conf"]\n`);
    const r = await keel("simulate", "--scenario", sc);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${bad}:2:\\d+: error\\[`, "m"));
    expect(r.err).toContain(`(reloaded by ${sc}:2)`);
  });

  test("a bad scenario: file:line: error, exit 2", async () => {
    const sc = file("bad.toml", `hosts = { h1 = "pair.conf" }\nevents = [\n  "5s kill h2",\n]\n`);
    const r = await keel("simulate", "--scenario", sc);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${sc}:3: error: event "5s kill h2": no host 'h2' (hosts: h1)\n`);
  });

  test("usage errors exit 2; --help exits 0", async () => {
    expect((await keel("simulate")).code).toBe(2);
    expect((await keel("simulate")).err).toContain("no hosts");
    const f = await keel("simulate", pair, "--for", "soon");
    expect([f.code, f.err]).toEqual([2, "keel simulate: --for takes a duration like 60s, 5m or 1h, not 'soon'\n"]);
    expect((await keel("simulate", pair, "--bogus")).code).toBe(2);
    expect((await keel("simulate", "--scenario", join(dir, "missing.toml"))).err).toContain("cannot read scenario");
    expect((await keel("simulate", `a=${pair}`, `a=${pair}`)).err).toContain("two hosts named 'a'");
    const h = await keel("simulate", "--help");
    expect(h.code).toBe(0);
    expect(h.out).toStartWith("usage: keel simulate");
  });
});

describe("keel simulate reads hosts as keel -t does", () => {
  test("a TOML host beside a keepalived.conf host that includes another file", async () => {
    const toml = file(
      "h1.toml",
      [
        "[vrrpInstances.VI_1]",
        'interface = "eth0"',
        'state = "BACKUP"',
        "virtualRouterId = 51",
        "priority = 90",
        'virtualIpaddress = [{ address = "10.0.0.100", prefix = 24 }]',
        "",
      ].join("\n"),
    );
    file("vi.inc", pairConf({ h2: 120 }));
    const conf = file("h2.conf", "global_defs {\n  router_id h2\n}\ninclude vi.inc\n");
    const r = await keel("simulate", `h1=${toml}`, `h2=${conf}`, "--for", "10s");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    // h2 (120, from the included file) wins over h1 (90, from TOML)
    expect(r.out).toContain("h2    VI_1 BACKUP → MASTER");
    expect(r.out).toContain("VIP 10.0.0.100: h2\n");
  });
});

describe("keel simulate checks events against the hosts' configurations", () => {
  test("a script, file, process or instance the host does not have is an error at the event's line", async () => {
    const sc = file(
      "names.toml",
      [
        'hosts = { h1 = "pair.conf", h2 = "pair.conf" }',
        "events = [",
        '  "1s script h1 chk fail",',
        '  "2s file h2 tf 1",',
        '  "3s process h1 nginx down",',
        '  "4s priority h2 VI_9 50",',
        '  "5s priority h2 VI_1 50",',
        "]",
      ].join("\n"),
    );
    const r = await keel("simulate", "--scenario", sc);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      [
        `${sc}:3: error: event "1s script h1 chk fail": h1's configuration has no vrrp_script 'chk' (it has none)`,
        `${sc}:4: error: event "2s file h2 tf 1": h2's configuration has no track_file 'tf' (it has none)`,
        `${sc}:5: error: event "3s process h1 nginx down": h1's configuration has no vrrp_track_process 'nginx' (it has none)`,
        `${sc}:6: error: event "4s priority h2 VI_9 50": h2's configuration has no vrrp_instance 'VI_9' (it has: VI_1)`,
        "",
      ].join("\n"),
    );
  });

  test("a name that only a reloaded configuration has is fine", async () => {
    file("with-chk.conf", pairConf({ top: ["vrrp_script chk {", '  script "/bin/false"', "}"] }));
    const sc = file(
      "later.toml",
      'hosts = { h1 = "pair.conf" }\nevents = ["5s reload h1 with-chk.conf", "6s script h1 chk fail"]\n',
    );
    const r = await keel("simulate", "--scenario", sc, "--for", "10s");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});
