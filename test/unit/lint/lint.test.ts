// Each pitfall of src/lint on small fixtures (test/fixtures/lint): a case that shows it and
// a near miss that must not. Findings are compared as the exact list of (host, code) for
// the codes lint documents, so a deleted or over-eager rule fails here.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import { LINT_CODES } from "../../../src/lint/codes";
import { type LintHost, lintHosts } from "../../../src/lint/index";

const DIR = join(import.meta.dir, "../../fixtures/lint");

function hosts(files: string[], ids: string[] = []): LintHost[] {
  const out: LintHost[] = [];
  for (const f of files)
    for (const id of ids.length ? ids : [undefined]) {
      const file = join(DIR, f);
      const r = loadConfig(file, { configId: id, host: { interfaceExists: () => undefined } });
      out.push({ name: id ?? f, file, ...r });
    }
  return out;
}

function codes(files: string[], ids = ["h1", "h2"]): string[] {
  return lintHosts(hosts(files, ids))
    .filter((f) => f.code in LINT_CODES)
    .map((f) => `${f.host} ${f.code}`)
    .sort();
}

const H12 = ["h1", "h2"];

describe("lint: one file per case, read as h1 and h2 (@h1 / @h2 lines)", () => {
  const cases: [string, string[], string[]?][] = [
    ["good.conf", []],
    ["weight-too-small.conf", ["h1 weight-too-small"]],
    ["weight-enough.conf", []],
    ["weight-always-flips.conf", ["h2 weight-always-flips"]],
    ["state-master-low.conf", []],
    ["nopreempt-fault.conf", []],
    ["nopreempt-master.conf", ["h1 nopreempt-master", "h1 nopreempt-weights", "h2 nopreempt-weights"]],
    [
      "nopreempt-backups.conf",
      ["h1 nopreempt-weights", "h2 nopreempt-weights", "h3 nopreempt-weights"],
      ["h1", "h2", "h3"],
    ],
    ["strict-no-accept.conf", ["h1 strict-no-accept", "h2 strict-no-accept"]],
    ["strict-accept.conf", []],
    [
      "strict-mode.conf",
      ["h1 strict-mode", "h1 strict-mode", "h1 strict-no-accept", "h2 strict-mode", "h2 strict-no-accept"],
    ],
    ["advert-int-mismatch.conf", ["h2 advert-int-mismatch"]],
    ["advert-int-v3.conf", ["h2 advert-int-mismatch"]],
    ["version-mismatch.conf", ["h2 version-mismatch"]],
    ["auth-mismatch.conf", ["h2 auth-mismatch"]],
    ["checksum-mismatch.conf", ["h2 checksum-mismatch"]],
    ["checksum-same.conf", []],
    ["auth-same-8.conf", []],
    ["vip-mismatch.conf", ["h2 vip-mismatch"]],
    ["vrid-mismatch.conf", ["h2 vrid-mismatch"]],
    ["priority-tie.conf", ["h2 priority-tie"]],
    ["slow-script.conf", ["h1 slow-script-failover", "h2 slow-script-failover"]],
    ["fast-script.conf", []],
    ["unicast-peers.conf", ["h1 unicast-peers", "h1 unicast-peers"]],
    ["unicast-good.conf", []],
    ["sync-group.conf", []],
    ["sync-group-weights.conf", ["h1 nopreempt-weights", "h2 nopreempt-weights"]],
  ];
  for (const [file, want, ids] of cases)
    test(`${file}: ${want.length ? want.join(", ") : "nothing"}`, () => {
      expect(codes([file], ids ?? H12)).toEqual(want);
    });
});

describe("lint: one file per host", () => {
  test("the classic: nopreempt on both hosts with a -2 check (nothing ever moves)", () => {
    const f = lintHosts(hosts(["classic/h1.conf", "classic/h2.conf"]));
    expect(f.map((x) => `${x.host} ${x.code} ${x.line}:${x.col}`)).toEqual([
      "classic/h1.conf nopreempt-weights 18:9",
      "classic/h2.conf nopreempt-weights 18:9",
    ]);
    expect(f[0]?.message).toContain("(chk_nginx -2 when failing)");
  });

  test("two virtual routers with one VRID on the segment", () => {
    const f = lintHosts(hosts(["duplicate-vrid/web.conf", "duplicate-vrid/db.conf"]));
    expect(f.map((x) => `${x.code} ${x.severity} ${x.instance}`)).toEqual(["duplicate-vrid error VI_db"]);
    expect(f[0]?.message).toContain("also used by VI_web");
  });

  test("without -i neither @h1 nor @h2 line applies: both hosts run at 100 and tie", () => {
    expect(codes(["good.conf", "good.conf"], [])).toEqual(["good.conf priority-tie"]);
  });
});

describe("lint: the numbers in the messages", () => {
  const one = (file: string, code: string, ids = H12) =>
    lintHosts(hosts([file], ids)).find((f) => f.code === code)?.message ?? "";

  test("weight-too-small names the priorities and the drop needed", () => {
    expect(one("weight-too-small.conf", "weight-too-small")).toContain("moves h1 from 110 to 100, not below h2's 100");
    expect(one("weight-too-small.conf", "weight-too-small")).toContain("the drop must be at least 11");
  });

  test("slow-script-failover computes the worst case", () => {
    expect(one("slow-script.conf", "slow-script-failover")).toContain(
      "only after up to 21 s (fall 3 × interval 5 s + timeout 5 s + advert_int 1 s)",
    );
  });

  test("advert-int-mismatch: two masters under VRRPv2 (an error), a changing interval under v3 (a warning)", () => {
    const sev = (file: string) => lintHosts(hosts([file], H12)).find((f) => f.code === "advert-int-mismatch")?.severity;
    expect(sev("advert-int-mismatch.conf")).toBe("error");
    expect(sev("advert-int-v3.conf")).toBe("warning");
  });

  test("priority-tie says which host wins", () => {
    expect(one("priority-tie.conf", "priority-tie")).toContain("h2 wins (10.0.0.2 is the higher address)");
  });

  test("weight-always-flips shows where the priorities come from", () => {
    expect(one("weight-always-flips.conf", "weight-always-flips")).toContain(
      "h2 runs at 110 (base 90, +20 from trackers) and h1 at 100",
    );
  });
});
