// `keel lint` on the command line (in-process, test/unit/cli/run-keel.ts): the text report in
// the diagnostics format, --json, the exit statuses CI reads, and `keel -t` showing the
// single-host pitfalls as warnings without changing its own exit status.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keel } from "../cli/run-keel";

const DIR = join(import.meta.dir, "../../fixtures/lint");
const fx = (f: string) => join(DIR, f);

describe("keel lint", () => {
  test("text: file:line:col: severity[code]: host: message, a fix line, a summary; exit 1", async () => {
    const r = await keel("lint", fx("weight-too-small.conf"), "-i", "h1", "-i", "h2");
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `${fx("weight-too-small.conf")}:18:9: warning[weight-too-small]: h1: (VI_1) chk_web failing moves h1 from 110 to 100, not below h2's 100: the VIP stays on the failed host (a backup takes over only from a lower priority); the drop must be at least 11`,
    );
    expect(lines[1]).toStartWith("  fix: make |weight| larger than the gap");
    expect(lines[1]).toEndWith("; see docs/lint.md#weight-too-small");
    expect(lines.at(-1)).toBe("keel lint: 2 hosts, 0 errors, 1 warning");
  });

  test("clean: exit 0 and only the summary", async () => {
    const r = await keel("lint", fx("good.conf"), "-i", "h1", "-i", "h2");
    expect(r).toEqual({ code: 0, out: "keel lint: 2 hosts, 0 errors, 0 warnings\n", err: "" });
  });

  test("--json: an array of {code, severity, file, line, col, host, instance, message, fix}", async () => {
    const r = await keel("lint", "--json", fx("classic/h1.conf"), fx("classic/h2.conf"));
    expect(r.code).toBe(1);
    const a = JSON.parse(r.out);
    expect(a).toHaveLength(2);
    expect(a[1]).toEqual({
      code: "nopreempt-weights",
      severity: "warning",
      file: fx("classic/h2.conf"),
      line: 18,
      col: 9,
      host: "h2",
      instance: "VI_1",
      message: expect.stringContaining("nopreempt with weighted trackers (chk_nginx -2 when failing)"),
      fix: expect.stringContaining("use weight 0 on the check"),
    });
  });

  test("TOML hosts (keel convert of weight-too-small.conf): the same finding, at the file", async () => {
    const r = await keel("lint", fx("toml/h1.toml"), fx("toml/h2.toml"));
    expect(r.code).toBe(1);
    expect(r.out).toStartWith(
      `${fx("toml/h1.toml")}:1:1: warning[weight-too-small]: (VI_1) chk_web failing moves h1 from 110 to 100, not below h2's 100`,
    );
  });

  test("--fail-on error: warnings alone exit 0, an error exits 1", async () => {
    expect((await keel("lint", "--fail-on", "error", fx("weight-too-small.conf"), "-i", "h1", "-i", "h2")).code).toBe(
      0,
    );
    expect((await keel("lint", "--fail-on=error", fx("vip-mismatch.conf"), "-i", "h1", "-i", "h2")).code).toBe(1);
  });

  test("a configuration with errors is reported as keel -t reports it; exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-lint-"));
    const bad = join(dir, "bad.conf");
    writeFileSync(bad, "vrrp_instance VI_1 {\n    interface eth0\n    priority 100\n}\n");
    const r = await keel("lint", bad);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${bad}:1:15: error[missing-vrid]: (VI_1) virtual_router_id must be set`);
  });

  test("usage mistakes and unreadable files exit 2", async () => {
    expect((await keel("lint")).code).toBe(2);
    expect((await keel("lint", "--nope", fx("good.conf"))).code).toBe(2);
    expect((await keel("lint", "--fail-on", "info", fx("good.conf"))).code).toBe(2);
    const r = await keel("lint", fx("missing.conf"));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`keel lint: cannot read ${fx("missing.conf")}: ENOENT\n`);
    const h = await keel("lint", "--help");
    expect(h.code).toBe(0);
    expect(h.out).toStartWith("usage: keel lint FILE...");
  });
});

describe("keel -t shows the single-host pitfalls", () => {
  test("as warnings with lint's codes; the exit status stays 0", async () => {
    const r = await keel("-t", "-f", fx("strict-mode.conf"), "-i", "h1");
    expect(r.code).toBe(0);
    const lines = r.err.split("\n");
    expect(lines.filter((l) => /warning\[(strict-mode|strict-no-accept)\]/.test(l))).toEqual([
      expect.stringContaining(
        `${fx("strict-mode.conf")}:3:15: warning[strict-no-accept]: (VI_1) vrrp_strict without accept`,
      ),
      expect.stringContaining(
        "warning[strict-mode]: (VI_1) strict mode: state MASTER must match being the address owner",
      ),
      expect.stringContaining("warning[strict-mode]: (VI_1) strict mode requires no repeat GARPs"),
    ]);
  });

  test("the cluster-only ones do not appear: one host cannot show them", async () => {
    const r = await keel("-t", "-f", fx("weight-too-small.conf"), "-i", "h1");
    expect(r.err).not.toContain("warning[weight-too-small]");
    const n = await keel("-t", "-f", fx("nopreempt-backups.conf"), "-i", "h2");
    expect(n.err).toContain("warning[nopreempt-weights]");
  });
});
