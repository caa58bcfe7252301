/**
 * nftables_ipvs's tables against the real kernel, in a throwaway namespace (no IPVS
 * needed: the marks are nf_tables only): for test/fixtures/nft-ipvs/keepalived.conf keel
 * makes the same `nft -j list ruleset` as keepalived 2.2.7 (keepalived-ruleset.json,
 * captured in the VM by test/vm/guest/nft-ipvs-reference.ts), after deleting a table of
 * the name left behind; a reload swaps one range's elements and keeps the rest; stop
 * leaves nothing. The code runs in a child in the namespace (fixtures/nft-ipvs-steps.ts).
 * test/vm/guest/lvs-e2e.ts runs the whole daemon with IPVS and traffic.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { withCounters } from "../fixtures/nft-ipvs/counters";

const ROOT = join(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const FIXTURES = join(ROOT, "test/fixtures/nft-ipvs");
const NS = `knftipvs${process.pid}`;

function sh(cmd: string[], allowFail = false): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0 && !allowFail) throw new Error(`${cmd.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

type Json = unknown;
/** `nft -j list ruleset` without what differs from run to run: the version line, handles, element order. */
export function normalise(j: { nftables: Record<string, Json>[] }): Json[] {
  const strip = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, Json>)) {
      if (k === "handle") continue;
      if (k === "counter" && x !== null && typeof x === "object") o[k] = { packets: 0, bytes: 0 };
      else if (k === "elem" && Array.isArray(x))
        o[k] = x.map(strip).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      else o[k] = strip(x);
    }
    return o;
  };
  return j.nftables.filter((o) => !("metainfo" in o)).map(strip);
}

const steps = new Map<string, { error?: string; ruleset: { nftables: Record<string, Json>[] } }>();
const step = (name: string) => {
  const s = steps.get(name);
  if (!s) throw new Error(`no step ${name} in ${[...steps.keys()]}`);
  return s;
};
/** the elements of `family`'s `map`, as nft lists them */
const elems = (name: string, family: string, map: string) =>
  step(name).ruleset.nftables.flatMap((o) => {
    const m = o.map as { family: string; name: string; elem?: Json[] } | undefined;
    return m && m.family === family && m.name === map ? (m.elem ?? []) : [];
  });

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("test/netns/nft-ipvs.test.ts needs root (network namespaces)");
  if (!Bun.which("nft")) throw new Error("test/netns/nft-ipvs.test.ts needs nft (Debian package nftables)");
  const dir = mkdtempSync(join(tmpdir(), "keel-nftipvs-"));
  const reloaded = join(dir, "reloaded.conf");
  const counters = join(dir, "counters.conf");
  writeFileSync(counters, withCounters(readFileSync(join(FIXTURES, "keepalived.conf"), "utf8")));
  // 10.10.0.210 becomes .211 in G1 (both protocols' maps); G2 (the IPv6 one) goes
  writeFileSync(
    reloaded,
    readFileSync(join(FIXTURES, "keepalived.conf"), "utf8")
      .replace("  10.10.0.210 80\n", "  10.10.0.211 80\n")
      .replace(/virtual_server group G2 \{[\s\S]*?\n\}\n/, ""),
  );
  sh(["ip", "netns", "add", NS]);
  sh(["ip", "-n", NS, "link", "set", "lo", "up"]);
  const out = sh([
    "ip",
    "netns",
    "exec",
    NS,
    BUN,
    join(import.meta.dir, "fixtures/nft-ipvs-steps.ts"),
    join(FIXTURES, "keepalived.conf"),
    reloaded,
    counters,
  ]);
  for (const l of out
    .trim()
    .split("\n")
    .filter((x) => x.startsWith("{"))) {
    const o = JSON.parse(l) as { step: string; error?: string; ruleset: { nftables: Record<string, Json>[] } };
    steps.set(o.step, o);
  }
}, 60_000);
afterAll(() => sh(["ip", "netns", "del", NS], true));

describe("nftables_ipvs in a namespace", () => {
  test("keel's tables for the fixture are keepalived's (`nft -j list ruleset`, handles aside), a stale table replaced", () => {
    expect(step("stale").error).toBeUndefined();
    expect(step("start").error).toBeUndefined();
    const keepalived = JSON.parse(readFileSync(join(FIXTURES, "keepalived-ruleset.json"), "utf8"));
    expect(normalise(step("start").ruleset)).toEqual(normalise(keepalived));
  });

  test("a reload swaps the changed range's elements in both maps; the maps, rules and the IPv6 table stay", () => {
    expect(step("reload").error).toBeUndefined();
    for (const map of ["tcp_map", "udp_map"])
      expect(JSON.stringify(elems("reload", "ip", map))).toBe(
        JSON.stringify(elems("start", "ip", map)).replace("10.10.0.210", "10.10.0.211"),
      );
    expect(elems("reload", "ip6", "tcp_map")).toEqual([]);
    const kinds = (n: string) =>
      step(n).ruleset.nftables.flatMap((o) => Object.keys(o).filter((k) => k !== "metainfo"));
    expect(kinds("reload")).toEqual(kinds("start"));
  });

  test("stop leaves no table", () => {
    expect(step("stop").error).toBeUndefined();
    expect(normalise(step("stop").ruleset)).toEqual([]);
  });

  test("with nftables_counters, keepalived's counters too (on the maps' elements and in the rules)", () => {
    expect(step("counters").error).toBeUndefined();
    const keepalived = JSON.parse(readFileSync(join(FIXTURES, "keepalived-ruleset-counters.json"), "utf8"));
    expect(normalise(step("counters").ruleset)).toEqual(normalise(keepalived));
    expect(JSON.stringify(step("counters").ruleset)).toContain('"counter"');
    expect(normalise(step("counters-stop").ruleset)).toEqual([]);
  });
});
