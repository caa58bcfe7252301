import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keel } from "./run-keel";

const dir = mkdtempSync(join(tmpdir(), "keel-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `global_defs {
    router_id lb1
}
vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`;

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("keel -t (config test)", () => {
  test("a clean file exits 0", async () => {
    const r = await keel("-t", "-f", write("good.conf", GOOD));
    expect(r.err).toContain("0 errors");
    expect(r.code).toBe(0);
  });
  test("errors are printed as FILE:LINE:COL and exit 5, like keepalived -t", async () => {
    const f = write("bad.conf", GOOD.replace("priority 150", "priority 300"));
    const r = await keel("-t", "-f", f);
    expect(r.code).toBe(5);
    expect(r.err).toContain(`${f}:8:14: error[out-of-range]: priority 300 is out of range [1, 255]`);
  });
  test("-tFILE writes the report to FILE", async () => {
    const log = join(dir, "t.log");
    const r = await keel(`-t${log}`, "-f", write("bad2.conf", "vrrp_instanse X {\n}\n"));
    expect(r.code).toBe(5);
    expect(readFileSync(log, "utf8")).toContain("did you mean 'vrrp_instance'?");
  });
  test("a missing file is an error that names it", async () => {
    const r = await keel("-t", "-f", join(dir, "nope.conf"));
    expect(r.code).toBe(5);
    expect(r.err).toContain("nope.conf:1:1: error[file-not-found]");
  });
});

describe("keel config dump and convert", () => {
  test("config dump prints the resolved model as JSON with defaults", async () => {
    const r = await keel("config", "dump", "-f", write("d.conf", GOOD));
    const model = JSON.parse(r.out);
    expect(model.vrrpInstances.VI_1.priority).toBe(150);
    expect(model.vrrpInstances.VI_1.virtualRouterId).toBe(51);
  });
  test("conf → toml → conf round-trips to the same model", async () => {
    const conf = write("rt.conf", GOOD);
    const toml = join(dir, "rt.toml");
    expect((await keel("convert", conf, "--to", "toml", "-o", toml)).code).toBe(0);
    const back = await keel("convert", toml, "--to", "conf");
    expect(back.code).toBe(0);
    const again = write("rt2.conf", back.out);
    const a = JSON.parse((await keel("config", "dump", "-f", conf)).out);
    const b = JSON.parse((await keel("config", "dump", "-f", toml)).out);
    const c = JSON.parse((await keel("config", "dump", "-f", again)).out);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });
  test("a TOML mistake names the TOML line", async () => {
    const toml = join(dir, "bad.toml");
    await keel("convert", write("b.conf", GOOD), "--to", "toml", "-o", toml);
    writeFileSync(
      toml,
      readFileSync(toml, "utf8")
        .replace("priority = 150", "priority = 999")
        .replace("virtualRouterId = 51", "virtualRouterID = 51"),
    );
    const r = await keel("-t", "-f", toml);
    expect(r.code).toBe(5);
    const lines = readFileSync(toml, "utf8").split("\n");
    const prioLine = lines.findIndex((l) => l.startsWith("priority = 999")) + 1;
    expect(r.err).toContain(`${toml}:${prioLine}:`);
    expect(r.err).toContain("priority 999 is out of range [1, 255]");
    expect(r.err).toContain("did you mean 'virtualRouterId'?");
  });
});

describe("misc flags", () => {
  test("--signum prints keepalived's numbers", async () => {
    expect((await keel("--signum=RELOAD")).out).toBe("1\n");
    expect((await keel("--signum=JSON")).out).toBe("36\n");
    expect((await keel("--signum=NOPE")).code).toBe(1);
  });
  test("a bad flag names it", async () => {
    const r = await keel("-Z");
    expect(r.code).toBe(1);
    expect(r.err).toContain("invalid option -- 'Z'");
  });
});

// Every subcommand reads its command line with the one getopt (src/base/getopt.ts) and
// says the same thing about the same mistake: a missing value names the flag.
describe("subcommand arguments", () => {
  test("a missing value is an error naming the flag, in status and attach alike", async () => {
    for (const sub of ["status", "attach"]) {
      const r = await keel(sub, "--control-socket");
      expect(r.code).toBe(1);
      expect(r.err).toStartWith(`keel ${sub}: --control-socket needs a value\nusage: keel ${sub} `);
    }
    const c = await keel("convert", "a.conf", "--to");
    expect(c.code).toBe(1);
    expect(c.err).toStartWith("keel convert: --to needs a value\n");
  });

  test("unknown options and operands are an unknown argument (the word as written)", async () => {
    expect((await keel("status", "--nope=1")).err).toStartWith("keel status: unknown argument '--nope=1'\n");
    expect((await keel("attach", "extra")).err).toStartWith("keel attach: unknown argument 'extra'\n");
    expect((await keel("demo", "--simulate", "x")).err).toStartWith("keel demo: unknown argument 'x'\n");
    expect((await keel("status", "--json=yes")).err).toStartWith("keel status: --json takes no value\n");
    expect((await keel("convert", "a.conf", "b.conf")).err).toStartWith("keel convert: unknown argument 'b.conf'\n");
  });

  test("--help prints the usage and exits 0", async () => {
    for (const sub of ["status", "attach", "demo"]) {
      const r = await keel(sub, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toStartWith(`usage: keel ${sub}`);
    }
  });

  test("convert with no file prints its usage", async () => {
    const r = await keel("convert");
    expect(r.code).toBe(1);
    expect(r.err).toBe("usage: keel convert FILE [--to toml|conf] [-o OUT]\n");
  });
});
