// contrib/prometheus through Prometheus' own tool (Debian's `prometheus` package ships
// promtool; test/run.ts's "contrib" layer installs it): the rules load, and each alert fires
// on its story and stays quiet on its look-alike (keel-alerts.test.yml). That the rules read
// only metrics keel exports is test/unit/runtime/metrics-contrib.test.ts.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DIR = join(import.meta.dir, "../../contrib/prometheus");

function promtool(...args: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(["promtool", ...args], { cwd: DIR, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: `${p.stdout.toString()}${p.stderr.toString()}` };
}

describe("promtool", () => {
  test("check rules: keel-alerts.yml is valid and has every alert", () => {
    const r = promtool("check", "rules", "keel-alerts.yml");
    expect(r.out).toContain("SUCCESS: 10 rules found");
    expect(r.code).toBe(0);
  });

  test("test rules: keel-alerts.test.yml passes", () => {
    const r = promtool("test", "rules", "keel-alerts.test.yml");
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  test("the Grafana dashboard's queries are PromQL Prometheus parses", () => {
    const dash = JSON.parse(readFileSync(join(DIR, "../grafana/keel.json"), "utf8")) as {
      panels: { targets?: { expr: string }[] }[];
      templating: { list: { type: string; definition?: string }[] };
    };
    // Grafana's variables as Prometheus would receive them with "All" picked
    const promql = (e: string) =>
      e.replaceAll("$__rate_interval", "1m").replaceAll("$job", ".+").replaceAll("$instance", ".+");
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => promql(t.expr)));
    // label_values(METRIC, LABEL) is Grafana's: its selector is the PromQL part
    for (const v of dash.templating.list)
      if (v.type === "query") exprs.push(promql(v.definition?.match(/^label_values\((.*), \w+\)$/)?.[1] ?? "?"));
    const dir = mkdtempSync(join(tmpdir(), "keel-dashboard-"));
    try {
      const rules = exprs.map((expr, i) => ({ record: `keel:dashboard_query_${i}`, expr }));
      writeFileSync(join(dir, "queries.yml"), JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
      const r = promtool("check", "rules", join(dir, "queries.yml"));
      expect(r.out).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every alert is tested firing and not firing", async () => {
    const rules = Bun.YAML.parse(await Bun.file(join(DIR, "keel-alerts.yml")).text()) as {
      groups: { rules: { alert: string }[] }[];
    };
    const tests = Bun.YAML.parse(await Bun.file(join(DIR, "keel-alerts.test.yml")).text()) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    const untested = rules.groups
      .flatMap((g) => g.rules.map((r) => r.alert))
      .flatMap((a) => [
        ...(cases.some((c) => c.alertname === a && c.exp_alerts.length > 0) ? [] : [`${a} firing`]),
        ...(cases.some((c) => c.alertname === a && c.exp_alerts.length === 0) ? [] : [`${a} not firing`]),
      ]);
    expect(untested).toEqual([]);
  });
});
