// keel's own VRRP metrics (keel_vrrp_state, keel_vrrp_transitions_total, keel_vrrp_priority)
// from a real VrrpDriver on the in-memory kernel in virtual time, and the tie between the
// metrics and what users import: every metric and label that contrib/prometheus (rules and
// their promtool tests) and contrib/grafana use is one renderMetrics exports, so a rename in
// metrics.ts fails here instead of silently emptying an alert or a panel.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { VirtualServerStatus } from "../../../src/control/protocol";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { renderMetrics } from "../../../src/runtime/metrics";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

const ROOT = join(import.meta.dir, "../../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

/**
 * Host h: VI_1 (IPv4, VRID 1) and VI_6 (IPv6, VRID 1, alone: it takes over). Host x, another
 * cluster, is MASTER for VRID 1 with another VIP: VI_1 hears foreign adverts and stays BACKUP.
 */
function driver(): VrrpDriver {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const host = (name: string, ipv4: string, ...instances: string[]) =>
    new VrrpDriver({
      config: configFromText([globalDefs(3), ...instances].join("\n"), name),
      kernel: new SimKernel({ name, segment, ipv4, prefixLen: 24 }),
      log: pino({ level: "silent" }),
      now: () => time.now,
      timers: time,
      reconcileMs: 1000,
    });
  const h = host(
    "h",
    "10.0.0.1",
    vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: ["192.168.1.1/32"] }),
    vrrpInstance({ name: "VI_6", vrid: 1, family: 6, priority: 90, vips: ["2001:db8::1"] }),
  );
  const x = host("x", "10.0.0.9", vrrpInstance({ name: "OTHER", vrid: 1, priority: 200, vips: ["192.168.9.9/32"] }));
  h.start();
  x.start();
  time.runUntil(10_000, () => {});
  return h;
}

/** What the checker process reports, with IPVS's counters: every LVS line renderMetrics has. */
const LVS: VirtualServerStatus[] = [
  {
    name: "10.0.0.100:80/TCP",
    scheduler: "rr",
    method: "NAT",
    quorum: 1,
    hysteresis: 0,
    aliveWeight: 1,
    quorumUp: true,
    sorryActive: false,
    suspended: false,
    counters: { connections: 3, inPackets: 9, outPackets: 8, inBytes: 900, outBytes: 800, cps: 0, inBps: 0, outBps: 0 },
    realServers: [
      {
        address: "10.0.1.1:80",
        up: true,
        weight: 1,
        liveWeight: 1,
        checkers: [{ type: "TCP_CHECK", up: true, latencyMs: 2, retries: 0 }],
        counters: {
          connections: 3,
          inPackets: 9,
          outPackets: 8,
          inBytes: 900,
          outBytes: 800,
          cps: 0,
          inBps: 0,
          outBps: 0,
          activeConns: 1,
          inactiveConns: 0,
        },
      },
    ],
  },
];

const SCRIPTS = { status: () => false, running: () => false, names: () => ["chk"] };

/** Each match's capture groups (absent ones as ""). */
function captures(text: string, re: RegExp): string[][] {
  return [...text.matchAll(re)].map((m) => m.slice(1).map((g) => g ?? ""));
}

/** Metric name → the labels its samples carry, from the exposition text. */
function exported(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [name = ""] of captures(text, /^# TYPE (\S+) /gm)) out.set(name, new Set());
  for (const [name = "", body = ""] of captures(text, /^([a-z_]+)\{(.*)\} /gm))
    for (const [l = ""] of captures(body, /([a-z_]+)="/g)) out.get(name)?.add(l);
  return out;
}

describe("keel's VRRP metrics", () => {
  const text = renderMetrics(driver(), undefined);
  const lines = text.split("\n");

  test("keel_vrrp_state: one series per state, 1 for the current one, with the family", () => {
    const state = lines.filter((l) => l.startsWith("keel_vrrp_state{"));
    expect(state.length).toBe(10);
    expect(state.filter((l) => l.endsWith(" 1"))).toEqual([
      'keel_vrrp_state{iname="VI_1",intf="eth0",vrid="1",family="inet",state="BACKUP"} 1',
      'keel_vrrp_state{iname="VI_6",intf="eth0",vrid="1",family="inet6",state="MASTER"} 1',
    ]);
    expect(lines).toContain('keel_vrrp_state{iname="VI_6",intf="eth0",vrid="1",family="inet6",state="BACKUP"} 0');
  });

  test("keel_vrrp_transitions_total: every transition by new state and the cause's reason", () => {
    const t = lines.filter((l) => l.startsWith("keel_vrrp_transitions_total{"));
    expect(t.sort()).toEqual([
      'keel_vrrp_transitions_total{iname="VI_1",intf="eth0",vrid="1",to="BACKUP",reason="init"} 1',
      'keel_vrrp_transitions_total{iname="VI_6",intf="eth0",vrid="1",to="BACKUP",reason="init"} 1',
      'keel_vrrp_transitions_total{iname="VI_6",intf="eth0",vrid="1",to="MASTER",reason="master-down-timer"} 1',
    ]);
  });

  test("keel_vrrp_priority: the configured priority beside the effective one", () => {
    expect(lines).toContain('keel_vrrp_priority{iname="VI_1",intf="eth0",vrid="1"} 100');
    expect(lines).toContain('keel_vrrp_priority{iname="VI_6",intf="eth0",vrid="1"} 90');
    expect(lines).toContain('keel_vrrp_effective_priority{iname="VI_6",intf="eth0",vrid="1"} 90');
  });
});

interface Dashboard {
  uid: string;
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
  panels: {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }[];
}

/** contrib/grafana/keel.json, parsed (a JSON error fails the test that reads it). */
function dashboard(): Dashboard {
  return JSON.parse(read("contrib/grafana/keel.json")) as Dashboard;
}

describe("contrib/grafana/keel.json", () => {
  const dash = dashboard();
  test("every panel and query reads the data source the user picks ($datasource), ids are unique", () => {
    expect(dash.templating.list.find((v) => v.name === "datasource")).toMatchObject({
      type: "datasource",
      query: "prometheus",
    });
    const data = dash.panels.filter((p) => p.type !== "row");
    expect(data.filter((p) => p.datasource?.uid !== "${datasource}").map((p) => p.title)).toEqual([]);
    const targets = data.flatMap((p) => p.targets ?? []);
    expect(targets.filter((t) => t.datasource?.uid !== "${datasource}")).toEqual([]);
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
  });

  test("every query is filtered by the job variable (one cluster at a time)", () => {
    const data = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(data.filter((e) => !e.includes('job=~"$job"'))).toEqual([]);
  });
});

describe("contrib/ uses only what keel exports", () => {
  const metrics = exported(renderMetrics(driver(), SCRIPTS, LVS, { vrrp: 0 }));
  // `up` is Prometheus' own result of a scrape; job and instance it adds to every series
  metrics.set("up", new Set());
  const scrape = new Set(["job", "instance"]);
  const hasLabel = (name: string, label: string) => scrape.has(label) || (metrics.get(name)?.has(label) ?? false);
  /** Every metric name in a PromQL expression (keel's all start with keel_ or keepalived_; and `up`). */
  const names = (expr: string) => captures(expr, /\b((?:keel|keepalived)_[a-z_]+|up)\b(?!\s*\()/g).map(([n = ""]) => n);

  /** What is wrong with an expression: a metric keel does not export, a label none of its metrics has. */
  function problems(where: string, expr: string): string[] {
    const bad: string[] = [];
    const used = names(expr);
    if (used.length === 0) bad.push(`${where}: reads no metric`);
    for (const n of used) if (!metrics.has(n)) bad.push(`${where}: ${n} is not exported`);
    for (const [name = "", body = ""] of captures(expr, /\b((?:keel|keepalived)_[a-z_]+|up)\{([^}]*)\}/g))
      for (const [l = ""] of captures(body, /([a-z_]+)\s*(?:=~|!~|!=|=)/g))
        if (!hasLabel(name, l)) bad.push(`${where}: ${name} has no label ${l}`);
    const clauses = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
    for (const [list = ""] of captures(expr, clauses))
      for (const l of list.split(",").map((x) => x.trim()))
        if (l && !used.some((n) => hasLabel(n, l))) bad.push(`${where}: no metric of "${expr}" has label ${l}`);
    return bad;
  }

  test("the rules: every expression reads keel's metrics, with their labels", () => {
    const rules = Bun.YAML.parse(read("contrib/prometheus/keel-alerts.yml")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBe(10);
    expect(all.flatMap((r) => problems(r.alert, r.expr))).toEqual([]);
  });

  test("the promtool tests feed the rules series keel exports, with their labels", () => {
    const t = Bun.YAML.parse(read("contrib/prometheus/keel-alerts.test.yml")) as {
      tests: { input_series: { series: string }[] }[];
    };
    const series = t.tests.flatMap((g) => g.input_series.map((i) => i.series));
    expect(series.length).toBeGreaterThan(20);
    expect(series.flatMap((x) => problems(x, x))).toEqual([]);
  });

  test("the Grafana dashboard: every panel and variable reads keel's metrics, with their labels", () => {
    const dash = dashboard();
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(20);
    const vars = dash.templating.list.filter((v) => v.type === "query");
    expect(vars.map((v) => v.name)).toEqual(["job", "instance"]);
    const all = [...exprs, ...vars.map((v) => ({ where: `$${v.name}`, expr: v.definition ?? "" }))];
    expect(all.flatMap((e) => problems(e.where, e.expr))).toEqual([]);
  });

  test("a metric keel does not export, or a label it does not carry, is caught", () => {
    expect(problems("r", "keel_vrrp_states == 1")).toEqual(["r: keel_vrrp_states is not exported"]);
    expect(problems("r", 'count by (vrid, interface) (keel_vrrp_state{role="MASTER"})')).toEqual([
      "r: keel_vrrp_state has no label role",
      'r: no metric of "count by (vrid, interface) (keel_vrrp_state{role="MASTER"})" has label interface',
    ]);
    expect(problems("r", "vector(1)")).toEqual(["r: reads no metric"]);
  });
});
