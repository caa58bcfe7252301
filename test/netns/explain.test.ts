/**
 * `keel explain` on real daemons: two keels on one segment, the backup's check failing
 * with a weight and nopreempt set. The backup's explanation names the master's address
 * and priority, its own priority with the check's share, and its Master_Down_Interval; an
 * unknown instance and a missing daemon exit 1 with a message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Explanation } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually, instance, masterFirst, sh } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";
const CHECK = 'vrrp_script chk_nginx {\n  script "/bin/false"\n  interval 1\n  weight -2\n  fall 1\n  rise 1\n}\n';

function explainJson(sock: string, name?: string): Explanation[] {
  return JSON.parse(sh([KEEL, "explain", ...(name ? [name] : []), "--json", "--control-socket", sock]));
}

describe("keel explain", () => {
  let lab: Lab;
  let h2: Proc;
  let sock2: string;
  let sock1: string;
  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
    sock1 = `${lab.dir}/h1.sock`;
    sock2 = `${lab.dir}/h2.sock`;
    ({ backup: h2 } = await masterFirst(
      () => lab.keel("h1", GLOBAL + instance({ state: "MASTER", priority: 150 }), ["--control-socket", sock1]),
      () =>
        lab.keel(
          "h2",
          GLOBAL + CHECK + instance({ priority: 100, nopreempt: true, extra: ["track_script {", "  chk_nginx", "}"] }),
          ["--control-socket", sock2],
        ),
    ));
    await h2.waitFor(/\(VI_1\) Changing effective priority from 100 to 98/);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab?.destroy());

  test("the backup names the master's address and priority, its own share and the master-down time", async () => {
    // the first advert after the priority change is what the sentence is about
    const [e] = await eventually(() => {
      const got = explainJson(sock2, "VI_1");
      return got[0]?.sentence.includes("priority 150 > mine 98") ? got : false;
    });
    expect(e?.state).toBe("BACKUP");
    expect(e?.sentence).toMatch(
      /^BACKUP since \d\d:\d\d:\d\d: 10\.99\.0\.11 advertises priority 150 > mine 98 \(base 100, chk_nginx failed \u22122\); nopreempt is set, so I will not take over while it advertises; I become MASTER if its adverts stop for 3\.61 s$/,
    );
    expect(e?.wouldChange).toContain("10.99.0.11's adverts stopping for 3.61 s makes me MASTER");
    expect(e?.decisions.map((d) => `${d.from}->${d.to}:${d.reason}`)).toEqual(["INIT->BACKUP:init"]);
    expect(Math.abs((e?.since ?? 0) - Date.now())).toBeLessThan(120_000);
    // the text form: the sentence, then what would change it and the decisions
    const text = sh([KEEL, "explain", "--control-socket", sock2]);
    expect(text).toContain(`VI_1: ${e?.sentence}`);
    expect(text).toContain("  what would change it:\n    - 10.99.0.11's adverts stopping for 3.61 s makes me MASTER");
    expect(text).toMatch(/ {2}decisions:\n {4}\d\d:\d\d:\d\d {2}INIT -> BACKUP \(init\): started as BACKUP/);
  });

  test("the master says why it is master and what would make it yield", () => {
    const [e] = explainJson(sock1);
    expect(e?.state).toBe("MASTER");
    expect(e?.sentence).toMatch(
      /^MASTER since \d\d:\d\d:\d\d: no master heard for Master_Down_Interval 3\.\d+ s; mine 150; I advertise priority 150 every 1 s$/,
    );
    expect(e?.wouldChange[0]).toBe(
      "an advert with priority above 150 (or 150 from an address above 10.99.0.11) makes me BACKUP (RFC 5798 6.4.3)",
    );
  });

  test("an unknown instance, or no daemon, exits 1 with a message", () => {
    const unknown = Bun.spawnSync([KEEL, "explain", "NOPE", "--control-socket", sock2]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.toString()).toBe("keel explain: no instance NOPE\n");
    const none = Bun.spawnSync([KEEL, "explain", "--control-socket", `${lab.dir}/nobody.sock`]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr.toString()).toStartWith(`keel explain: no daemon on ${lab.dir}/nobody.sock: `);
  });
});
