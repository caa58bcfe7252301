// Runs a scenario text over keepalived.conf texts, as `keel simulate` does but without files.
import type { KeelConfig } from "../../../src/config/model";
import { type RunResult, runScenario } from "../../../src/simulate/run";
import { type ScenarioEvent, type Timed, parseScenario } from "../../../src/simulate/scenario";
import { configFromText } from "../../../src/simulate/segment";

/** Two hosts' config (one text, `@h1`/`@h2` lines) and a scenario whose hosts name texts in `confs`. */
export function simulateText(confs: Record<string, string>, scenario: string, duration = 30_000): RunResult {
  const p = parseScenario("/t/scenario.toml", scenario);
  if (!p.ok) throw new Error(p.errors.map((e) => `${e.line}: ${e.message}`).join("\n"));
  const text = (name: string) => {
    const t = confs[name];
    if (t === undefined) throw new Error(`no config text ${name}`);
    return t;
  };
  const reloads = new Map<Timed<ScenarioEvent>, KeelConfig>();
  for (const e of p.value.events)
    if (e.what.kind === "reload") reloads.set(e, configFromText(text(e.what.config), e.what.host));
  return runScenario({
    hosts: p.value.hosts.map((h) => ({
      name: h.name,
      file: h.config,
      config: configFromText(text(h.config), h.name),
      address: h.address,
    })),
    events: p.value.events,
    reloads,
    expects: p.value.expects,
    duration: p.value.duration ?? duration,
    seed: p.value.seed,
  });
}

/** A two-host keepalived.conf: h1 priority 150, h2 100, VIP 10.0.0.100; `extra` lines in the instance, `top` before it. */
export function pairConf(o: { extra?: string[]; top?: string[]; h1?: number; h2?: number } = {}): string {
  return [
    ...(o.top ?? []),
    "vrrp_instance VI_1 {",
    "  interface eth0",
    "  state BACKUP",
    "  virtual_router_id 51",
    `@h1  priority ${o.h1 ?? 150}`,
    `@h2  priority ${o.h2 ?? 100}`,
    "  advert_int 1",
    ...(o.extra ?? []).map((l) => `  ${l}`),
    "  virtual_ipaddress {",
    "    10.0.0.100/24",
    "  }",
    "}",
  ].join("\n");
}

export const HOSTS = 'hosts = { h1 = "pair", h2 = "pair" }';

/** When each VIP holder set began: [t, "h1"] pairs (nobody as "-"), t in whole µs as the engine keeps time. */
export function moves(r: RunResult, vip = "10.0.0.100"): [number, string][] {
  return r.history.vips
    .filter((v) => v.vip === vip)
    .map((v) => [Math.round(v.t * 1000) / 1000, v.holders.join("+") || "-"]);
}
