// Every subcommand reads its command line with the one getopt (src/base/getopt.ts) and
// says the same thing about the same mistake: a missing value names the flag.
import { describe, expect, test } from "bun:test";
import { main } from "../../../src/cli";

async function keel(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

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
