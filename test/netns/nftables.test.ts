/**
 * native-bindings/nftables against the real kernel, in a throwaway namespace: the
 * firewall plan's batches are taken, a table lookup answers, a refused batch names the op
 * the kernel refused and changes nothing (one transaction), and cleanup leaves no table.
 * The code under test runs in a child in the namespace (fixtures/nft-ops.ts), as the
 * rtnetlink test does; what it did is also read back with `nft`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const NS = `knft${process.pid}`;
const TABLE = "keel_t";

function sh(cmd: string[], allowFail = false): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0 && !allowFail) throw new Error(`${cmd.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

type Step = { step: string; ok: boolean; code?: string; request?: string; exists?: boolean[]; elements?: string[] };
let steps: Step[] = [];
const at = (name: string): Step => {
  const s = steps.find((x) => x.step === name);
  if (!s) throw new Error(`no step ${name} in ${JSON.stringify(steps)}`);
  return s;
};

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("test/netns/nftables.test.ts needs root (network namespaces)");
  if (!Bun.which("nft")) throw new Error("test/netns/nftables.test.ts needs nft (Debian package nftables)");
  sh(["ip", "netns", "add", NS]);
  sh(["ip", "-n", NS, "link", "set", "lo", "up"]);
  const out = sh(["ip", "netns", "exec", NS, BUN, join(import.meta.dir, "fixtures/nft-ops.ts"), TABLE]);
  steps = out
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}, 60_000);
afterAll(() => sh(["ip", "netns", "del", NS], true));

describe("nf_tables in a namespace", () => {
  test("a table lookup says absent, then present after the first VIPs, both families", () => {
    expect(at("absent")).toMatchObject({ ok: true, exists: [false, false] });
    expect(at("setup").ok).toBe(true);
    expect(at("present")).toMatchObject({ ok: true, exists: [true, true] });
  });

  test("a refused batch names the refused op and applies nothing of the batch", () => {
    expect(at("bad-set")).toMatchObject({ ok: false, code: "ENOENT", request: `add element ip ${TABLE} nope (1)` });
    expect(at("half-bad")).toMatchObject({ ok: false, code: "ENOENT", request: `add element ip ${TABLE} nope (1)` });
    // the good op before the refused one (192.0.2.7) was rolled back with it
    expect(at("after-half-bad").elements).toEqual(["192.0.2.1"]);
  });

  test("removing the VIPs empties the set; cleanup leaves no table", () => {
    expect(at("remove").ok).toBe(true);
    expect(at("after-remove").elements).toEqual([]);
    expect(at("cleanup").ok).toBe(true);
    expect(at("gone")).toMatchObject({ ok: true, exists: [false, false] });
    expect(sh(["ip", "netns", "exec", NS, "nft", "list", "ruleset"]).trim()).toBe("");
  });
});
