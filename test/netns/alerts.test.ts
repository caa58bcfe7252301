/**
 * contrib/prometheus/keel-alerts.yml on a real Prometheus scraping real keel daemons (the
 * promtool tests, test/contrib, feed the rules made-up series; this feeds them keel's own
 * exposition): two keel hosts and a monitoring host on one bridge, Prometheus in the
 * monitoring host scraping both every second and evaluating the rules every second.
 *
 * - healthy: one master for VRID 51, every rule evaluated, no alert; the Grafana dashboard's
 *   queries answer, its VRRP panels with both nodes (the state panel: h1 2, MASTER; h2 1);
 * - h2 deaf to VRRP (an nft rule drops protocol 112 on its input only): h2 becomes MASTER
 *   too while h1 hears it, so KeelSplitBrain (across the two scrapes) is pending and
 *   KeelDualMaster (h1's own counter) fires;
 * - h2's keel stopped: its scrape fails and KeelNodeDown is pending for it.
 *
 * Each step waits for what proves it (a log line, an alert in Prometheus' API); the `for:`
 * durations themselves are the promtool tests' business, so no step waits them out.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, eventually, instance, masterFirst } from "./harness";

const RULES = join(import.meta.dir, "../../contrib/prometheus/keel-alerts.yml");
const DASHBOARD = join(import.meta.dir, "../../contrib/grafana/keel.json");
const GLOBAL = "global_defs {\n  router_id test\n}\n";
const PROM = "127.0.0.1:9090";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  for (const [cmd, pkg] of Object.entries({ nft: "nftables", prometheus: "prometheus" }))
    if (!Bun.which(cmd)) throw new Error(`${cmd} (Debian package ${pkg}) is needed`);
  lab = Lab.create(["h1", "h2", "mon"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

/** GET Prometheus' HTTP API from inside the monitoring host; `data` of the answer. */
function api<T>(path: string): T {
  const js = `const r = await fetch(${JSON.stringify(`http://${PROM}${path}`)}); console.log(await r.text())`;
  const body = JSON.parse(lab.exec("mon", [process.execPath, "-e", js])) as { status: string; data: T };
  expect(body.status).toBe("success");
  return body.data;
}

type Sample = { metric: Record<string, string>; value: [number, string] };

/** Instant queries, all from one process in the monitoring host: each query's samples. */
function queries(exprs: string[]): Sample[][] {
  const urls = exprs.map((e) => `http://${PROM}/api/v1/query?query=${encodeURIComponent(e)}`);
  const js = `const out = []; for (const u of ${JSON.stringify(urls)}) out.push(await (await fetch(u)).json()); console.log(JSON.stringify(out))`;
  const answers = JSON.parse(lab.exec("mon", [process.execPath, "-e", js])) as {
    status: string;
    error?: string;
    data: { result: Sample[] };
  }[];
  expect(answers.filter((a) => a.status !== "success").map((a) => a.error)).toEqual([]);
  return answers.map((a) => a.data.result);
}

const alerts = () => api<{ alerts: Alert[] }>("/api/v1/alerts").alerts;
const alert = (name: string, labels: Record<string, string>) =>
  alerts().find((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

test("the alerting rules on a real scrape: quiet when healthy, split brain and dual master, a node down", async () => {
  const target = (h: string) => `${lab.ip(h)}:9650`;
  const { backup: h2 } = await masterFirst(
    () => lab.keel("h1", GLOBAL + instance({ priority: 150 }), ["--metrics", target("h1")]),
    () => lab.keel("h2", GLOBAL + instance({ priority: 100 }), ["--metrics", target("h2")]),
  );
  const conf = lab.file(
    "prometheus.yml",
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "rule_files:",
      `  - ${RULES}`,
      "scrape_configs:",
      "  - job_name: keel",
      "    static_configs:",
      `      - targets: ["${target("h1")}", "${target("h2")}"]`,
      "",
    ].join("\n"),
  );
  const prom = lab.spawn("mon", [
    "prometheus",
    `--config.file=${conf}`,
    `--storage.tsdb.path=${join(lab.dir, "tsdb")}`,
    `--web.listen-address=${PROM}`,
  ]);
  await prom.waitFor(/Server is ready to receive web requests/, 30_000);

  // healthy: both scraped, one master for the virtual router, every rule evaluated since, no alert
  const masters = 'count by (job, vrid, intf, family) (keel_vrrp_state{state="MASTER"} == 1)';
  const seen = await eventually(
    () => {
      const r = api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(masters)}`,
      ).result;
      const up = api<{ result: { value: [number, string] }[] }>("/api/v1/query?query=up").result;
      return r.length === 1 && up.length === 2 && up.every((u) => u.value[1] === "1") && r;
    },
    20_000,
    250,
  );
  expect(seen[0]?.metric).toEqual({ job: "keel", vrid: "51", intf: "eth0", family: "inet" });
  expect(seen[0]?.value[1]).toBe("1");
  const since = Date.now();
  await eventually(
    () => {
      const groups = api<{ groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] }>(
        "/api/v1/rules",
      ).groups;
      const rules = groups.flatMap((g) => g.rules);
      expect(rules.length).toBe(10);
      expect(rules.filter((r) => r.health !== "ok")).toEqual([]);
      return rules.every((r) => Date.parse(r.lastEvaluation) > since);
    },
    20_000,
    250,
  );
  expect(alerts()).toEqual([]);

  // the Grafana dashboard's queries on the same data, its variables as "All" picks them: the
  // VRRP panels show both nodes, the state panel in its own numbers (2 MASTER, 1 BACKUP)
  const dash = JSON.parse(await Bun.file(DASHBOARD).text()) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  const panels = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
  const promql = (e: string) =>
    e.replaceAll("$__rate_interval", "1m").replaceAll("$job", ".+").replaceAll("$instance", ".+");
  // rate() and increase() need two scrapes in their window: wait until every VRRP panel has data
  const vrrp = ["Instance state", "Masters per virtual router", "Priority", "Transitions", "Adverts sent and received"];
  const results = await eventually(
    () => {
      const r = queries(panels.map((p) => promql(p.expr)));
      const shown = new Set(panels.filter((_, i) => (r[i]?.length ?? 0) > 0).map((p) => p.title));
      return [...vrrp, "Scraped"].every((t) => shown.has(t)) && r;
    },
    20_000,
    250,
  );
  const state = results[panels.findIndex((p) => p.title === "Instance state")] ?? [];
  expect(Object.fromEntries(state.map((r) => [r.metric.instance, r.value[1]]))).toEqual({
    [target("h1")]: "2",
    [target("h2")]: "1",
  });

  // h2 hears no VRRP: MASTER too; h1 hears h2's adverts and counts a dual master
  const from = h2.lines.length;
  lab.nft(
    "h2",
    "table inet keeldeaf {\n  chain in { type filter hook input priority 0; policy accept; ip protocol 112 drop; }\n}\n",
  );
  await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, from);
  await lab.keelOf("h1").waitFor(/\(VI_1\) dual master: /, 15_000);
  await eventually(
    () => alert("KeelSplitBrain", { job: "keel", vrid: "51", intf: "eth0", family: "inet" }) !== undefined,
    20_000,
    250,
  );
  const dual = await eventually(
    () => alert("KeelDualMaster", { instance: target("h1"), iname: "VI_1" }) ?? false,
    20_000,
    250,
  );
  expect(dual.state).toBe("firing");

  // h2's keel stops: its scrape fails
  h2.kill("SIGTERM");
  expect(await h2.exited).toBe(0);
  const down = await eventually(() => alert("KeelNodeDown", { instance: target("h2") }) ?? false, 20_000, 250);
  expect(down.state).toBe("pending");
  expect(alerts().filter((a) => a.labels.instance === target("h1") && a.labels.alertname === "KeelNodeDown")).toEqual(
    [],
  );
  prom.kill("SIGTERM");
  lab.keelOf("h1").kill("SIGTERM");
  expect(await lab.keelOf("h1").exited).toBe(0);
  await prom.exited;
}, 120_000);
