/**
 * `keel simulate FILE... [--scenario FILE] [--for DURATION] [--seed N] [--json]`: each
 * host's real configuration through the real engine on a simulated segment in virtual
 * time (src/simulate). A FILE is `NAME=PATH` or a PATH whose base name (without
 * extension) names the host; its config id is the host's name, so one file with `@host`
 * conditionals serves every host (as keepalived -i). The scenario (docs/simulate.md)
 * adds hosts, timed events and expectations.
 * Exit 0 when every expectation holds, 1 when one fails, 2 for usage or bad files.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join } from "node:path";
import { optValue, parseSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { renderDiagnostics } from "../config/diagnostics";
import { loadConfig } from "../config/load";
import type { KeelConfig } from "../config/model";
import { checkEvents } from "../simulate/check";
import { holderSequence, seconds } from "../simulate/expect";
import { type RunHost, type RunResult, type TimelineEntry, runScenario } from "../simulate/run";
import { type Scenario, type ScenarioEvent, type Timed, parseDuration, parseScenario } from "../simulate/scenario";

const USAGE =
  "usage: keel simulate [NAME=]FILE... [--scenario FILE] [--for DURATION] [--seed N] [--json]\n" +
  "  runs each host's configuration on a simulated segment in virtual time (docs/simulate.md)\n";

const OPTIONS: OptionSpec[] = [
  { long: "scenario", short: "s", arg: "required" },
  { long: "for", arg: "required" },
  { long: "seed", arg: "required" },
  { long: "json", arg: "none" },
  { long: "help", short: "h", arg: "none" },
];

export const DEFAULT_FOR_MS = 60_000;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** A host's config read as `keel -t -i NAME` reads it; the rendered diagnostics when it has errors. */
function readHost(name: string, path: string): { config: KeelConfig } | { errors: string[] } {
  // the config is for another machine: its interfaces are not looked up here
  const r = loadConfig(path, { configId: name, host: { interfaceExists: () => undefined } });
  if (r.diagnostics.errorCount > 0) {
    const e = r.diagnostics.errorCount;
    return {
      errors: [...renderDiagnostics(r.diagnostics), `keel: ${path}: ${e} error${e === 1 ? "" : "s"} (host ${name})`],
    };
  }
  return { config: r.config };
}

export async function simulate(argv: string[], io: Io): Promise<number> {
  // any number of host files (readSubcommand allows none)
  const args = parseSubcommand("simulate", argv, OPTIONS, Number.POSITIVE_INFINITY);
  if (!args.ok) {
    io.err(`${args.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (args.opts.has("help")) {
    io.out(USAGE);
    return 0;
  }
  const fail = (msg: string) => {
    io.err(`keel simulate: ${msg}\n`);
    return EXIT_USAGE;
  };
  const json = args.opts.has("json");
  const forText = optValue(args.opts.get("for"));
  const forMs = forText === undefined ? undefined : parseDuration(forText);
  if (forText !== undefined && (forMs === undefined || forMs <= 0))
    return fail(`--for takes a duration like 60s, 5m or 1h, not '${forText}'`);
  const seedText = optValue(args.opts.get("seed"));
  if (seedText !== undefined && !/^\d+$/.test(seedText)) return fail(`--seed takes an integer, not '${seedText}'`);

  let scenario: Scenario | undefined;
  const scenarioPath = optValue(args.opts.get("scenario"));
  if (scenarioPath !== undefined) {
    let text: string;
    try {
      text = readFileSync(scenarioPath, "utf8");
    } catch (e) {
      return fail(`cannot read scenario ${scenarioPath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const p = parseScenario(scenarioPath, text);
    if (!p.ok) {
      io.err(p.errors.map((e) => `${e.file}:${e.line}: error: ${e.message}\n`).join(""));
      return EXIT_USAGE;
    }
    scenario = p.value;
  }

  // hosts: the scenario's (files relative to it), then the operands
  const specs: { name: string; path: string; address?: string }[] = [];
  const base = scenarioPath === undefined ? "." : dirname(scenarioPath);
  // relative to the scenario, and shown as the user wrote the scenario's path
  const rel = (p: string) => (isAbsolute(p) ? p : join(base, p));
  for (const h of scenario?.hosts ?? []) specs.push({ name: h.name, path: rel(h.config), address: h.address });
  for (const op of args.operands) {
    const eq = op.indexOf("=");
    const name = eq > 0 ? op.slice(0, eq) : basename(op, extname(op));
    const path = eq > 0 ? op.slice(eq + 1) : op;
    if (specs.some((s) => s.name === name)) return fail(`two hosts named '${name}' (name them: NAME=FILE)`);
    specs.push({ name, path });
  }
  if (specs.length === 0)
    return fail(`no hosts: name each host's config file, or list them in the scenario\n${USAGE.trimEnd()}`);

  const hosts: RunHost[] = [];
  const errors: string[] = [];
  for (const s of specs) {
    const r = readHost(s.name, s.path);
    if ("errors" in r) errors.push(...r.errors);
    else hosts.push({ name: s.name, file: s.path, config: r.config, address: s.address });
  }
  const reloads = new Map<Timed<ScenarioEvent>, KeelConfig>();
  for (const e of scenario?.events ?? []) {
    if (e.what.kind !== "reload") continue;
    const r = readHost(e.what.host, rel(e.what.config));
    if ("errors" in r) errors.push(...r.errors, `  (reloaded by ${scenarioPath}:${e.line})`);
    else reloads.set(e, r.config);
  }
  if (errors.length > 0) {
    io.err(errors.map((l) => `${l}\n`).join(""));
    return EXIT_USAGE;
  }
  if (scenario) {
    const bad = checkEvents(scenario, new Map(hosts.map((h) => [h.name, h.config])), reloads);
    if (bad.length > 0) {
      io.err(bad.map((e) => `${e.file}:${e.line}: error: ${e.message}\n`).join(""));
      return EXIT_USAGE;
    }
  }

  const duration = forMs ?? scenario?.duration ?? DEFAULT_FOR_MS;
  const result = runScenario({
    hosts,
    events: scenario?.events ?? [],
    reloads,
    expects: scenario?.expects ?? [],
    duration,
    seed: seedText === undefined ? (scenario?.seed ?? 1) : Number(seedText),
  });
  const ok = result.verdicts.every((v) => v.ok);
  if (json) io.out(`${JSON.stringify(toJson(hosts, duration, result, scenarioPath, ok), null, 2)}\n`);
  else io.out(formatRun(hosts, duration, result, scenarioPath));
  return ok ? 0 : EXIT_FAILED;
}

function toJson(hosts: RunHost[], duration: number, r: RunResult, scenario: string | undefined, ok: boolean) {
  return {
    hosts: hosts.map((h) => ({ name: h.name, config: h.file, ...(h.address ? { address: h.address } : {}) })),
    durationMs: duration,
    timeline: r.timeline.map((e) => ({ ...e, t: Number(e.t.toFixed(3)) })),
    vips: Object.fromEntries(r.vips.map((v) => [v, sequenceOf(r, v)])),
    expectations: r.verdicts.map((v) => ({
      ...v,
      where: scenario === undefined ? undefined : `${scenario}:${v.line}`,
    })),
    ok,
  };
}

function sequenceOf(r: RunResult, vip: string): string[] {
  return holderSequence(r.history, vip);
}

/** The timeline as text: one line per event, transition, priority change and VIP move. */
export function formatRun(hosts: RunHost[], duration: number, r: RunResult, scenario?: string): string {
  const lines: string[] = [];
  lines.push(
    `${hosts.length} host${hosts.length === 1 ? "" : "s"} (${hosts.map((h) => `${h.name}: ${h.file}`).join(", ")}), ${seconds(duration)} of virtual time`,
  );
  const hw = Math.max(4, ...hosts.map((h) => h.name.length));
  for (const e of r.timeline) lines.push(`${seconds(e.t).padStart(9)}  ${entryText(e, hw)}`);
  for (const vip of r.vips) {
    const seq = holderSequence(r.history, vip);
    lines.push(`VIP ${vip}: ${seq.length ? seq.join(" → ") : "never held"}`);
  }
  for (const v of r.verdicts)
    lines.push(`${v.ok ? "ok  " : "FAIL"} ${scenario ?? ""}:${v.line}: expect ${v.text} (${v.detail})`);
  const failed = r.verdicts.filter((v) => !v.ok).length;
  if (r.verdicts.length > 0)
    lines.push(
      failed === 0
        ? `all ${r.verdicts.length} expectations hold`
        : `${failed} of ${r.verdicts.length} expectations failed`,
    );
  return `${lines.join("\n")}\n`;
}

function entryText(e: TimelineEntry, hw: number): string {
  switch (e.kind) {
    case "event":
      return `${"*".padEnd(hw)}  ${e.text}`;
    case "transition":
      return `${e.host.padEnd(hw)}  ${e.instance} ${e.from} → ${e.to}: ${e.cause}`;
    case "priority":
      return `${e.host.padEnd(hw)}  ${e.instance} priority ${e.from} → ${e.to}`;
    case "held":
      return `${e.host.padEnd(hw)}  ${e.instance} ${e.cause}`;
    case "vip":
      return `${"VIP".padEnd(hw)}  ${e.vip} on ${e.holders.length ? e.holders.join(", ") : "nobody"}`;
  }
}
