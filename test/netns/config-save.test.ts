/**
 * global_defs config_save_dir beside keepalived 2.2.7 (issue 16): the same configuration
 * (with an include and comments) in both, started and reloaded once. keepalived's parent
 * saves each read of the file as keepalived.conf.PID.N and its VRRP process its dump
 * before and after the reload as keepalived_vrrp.PID.1.pre/.post; keel the same files
 * (its pid for both processes). With the pids taken out the file sets are the same, the
 * concatenated copies byte for byte, and the dumps agree on the instance (keel's dump has
 * the lines of keepalived's that tools read, dumps.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { Lab, type Proc, ensureKeel, eventually, instance } from "./harness";

describe("config_save_dir, keel beside keepalived", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["k", "ka"]);
  });
  afterAll(() => lab?.destroy());

  /** the files in the directory, pids replaced by P, sorted */
  const names = (dir: string) =>
    readdirSync(dir)
      .map((f) => f.replace(/\.\d+\.(\d+)/, ".P.$1"))
      .sort();
  const file = (dir: string, re: RegExp) => {
    const f = readdirSync(dir).find((n) => re.test(n));
    if (!f) throw new Error(`no ${re} in ${dir}`);
    return readFileSync(`${dir}/${f}`, "utf8");
  };

  test("the same files at start and after a reload", async () => {
    const run = async (host: string, start: (conf: string) => Proc) => {
      const dir = `${lab.dir}/${host}-save`;
      // made by the daemon (0700), as keepalived's parent makes it; one daemon at a time: the same VRID
      const inc = lab.file(`${host}-inc.conf`, instance({ vrid: 71, priority: 100 }));
      const conf = `! saved copies\nglobal_defs {\n   router_id ${host}   # trailing comment\n  config_save_dir ${dir}/\n}\n\ninclude ${inc}\n`;
      const p = start(conf);
      await p.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
      expect(statSync(dir).isDirectory()).toBe(true);
      expect(names(dir)).toEqual(["keepalived.conf.P.0"]);
      const from = p.lines.length;
      p.kill("SIGHUP");
      await eventually(() => readdirSync(dir).length === 4, 15_000);
      await p.waitFor(/Reload|Reloading/, 10_000, from);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      return dir;
    };
    const kaDir = await run("ka", (c) => lab.keepalived("ka", c));
    const kDir = await run("k", (c) => lab.keel("k", c));

    const want = ["keepalived.conf.P.0", "keepalived.conf.P.1", "keepalived_vrrp.P.1.post", "keepalived_vrrp.P.1.pre"];
    expect(names(kaDir)).toEqual(want);
    expect(names(kDir)).toEqual(want);
    // the copies: each file's lines decommented and trimmed, `# FILE` and `!` around each
    const copy = (dir: string, n: number, host: string) =>
      file(dir, new RegExp(`^keepalived\\.conf\\.\\d+\\.${n}$`))
        .replace(/^# .*\n/, "# MAIN\n") // the harness names each daemon's file its own way
        .replaceAll(`${host}-`, "H-")
        .replaceAll(`router_id ${host}`, "router_id H");
    for (const n of [0, 1]) expect(copy(kDir, n, "k")).toBe(copy(kaDir, n, "ka"));
    expect(copy(kDir, 0, "k")).toContain("router_id H\n");
    // the dumps: the instance as it was before and after the reload
    for (const when of ["pre", "post"]) {
      const re = new RegExp(`^keepalived_vrrp\\.\\d+\\.1\\.${when}$`);
      for (const dir of [kDir, kaDir]) {
        const d = file(dir, re);
        expect(d).toContain(" VRRP Instance = VI_1\n");
        expect(d).toContain("   State = MASTER\n");
      }
    }
  });
});
