/**
 * A `keel simulate` scenario: TOML (smol-toml) naming the hosts, the timed events and the
 * expectations. Events and expectations are one-line sentences in TOML string arrays, so
 * that every error names the scenario's file:line (smol-toml keeps no positions for
 * values: the line is found in the text, see `lineOf`). The grammar is in docs/simulate.md.
 */
import { TomlError, parse as parseToml } from "smol-toml";
import { type Expect, parseExpect } from "./expect";

export interface ScenarioHost {
  name: string;
  /** the host's configuration file (.conf or .toml), as written (relative to the scenario) */
  config: string;
  /** eth0's primary IPv4 address (the equal-priority tie-break, unicast peers); default 10.0.0.N */
  address?: string;
}

export type ScenarioEvent =
  | { kind: "script"; host: string; name: string; ok: boolean }
  | { kind: "file"; host: string; name: string; value: number }
  | { kind: "process"; host: string; name: string; up: boolean }
  | { kind: "kill" | "restart" | "stop" | "link-down" | "link-up"; host: string }
  | { kind: "reload"; host: string; config: string }
  | { kind: "priority"; host: string; instance: string; priority: number }
  | { kind: "partition"; groups: string[][] }
  | { kind: "heal" };

export interface Timed<T> {
  /** virtual ms */
  at: number;
  line: number;
  text: string;
  what: T;
}

export interface Scenario {
  file: string;
  hosts: ScenarioHost[];
  /** virtual ms; undefined = the command's --for */
  duration?: number;
  seed: number;
  events: Timed<ScenarioEvent>[];
  expects: { line: number; text: string; what: Expect }[];
}

export interface ScenarioError {
  file: string;
  line: number;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: ScenarioError[] };

/** "30s", "1.5s", "500ms", "2m", "1h", "1m30s"; a bare number is seconds. Virtual ms or undefined. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    end = re.lastIndex;
  }
  return end === t.length && end > 0 ? Math.round(total) : undefined;
}

const HOST_NAME = /^[A-Za-z0-9_.-]+$/;
const KNOWN_KEYS = new Set(["hosts", "duration", "seed", "events", "expect"]);

export function parseScenario(file: string, text: string): Parsed<Scenario> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0] ?? e.message;
      return {
        ok: false,
        errors: [{ file, line: e.line, message: `TOML: ${first.replace(/^Invalid TOML document: /, "")}` }],
      };
    }
    throw e;
  }
  const errors: ScenarioError[] = [];
  const err = (line: number, message: string) => errors.push({ file, line, message });
  // a key's line: `key = ...` or a `[key]` / `[key.x]` table header; the first line when not found
  const keyLine = (key: string) => lineOf(text, new RegExp(`^\\s*(\\[\\s*)?${key}\\b`)) || 1;
  for (const k of Object.keys(doc))
    if (!KNOWN_KEYS.has(k)) err(keyLine(k), `unknown key '${k}' (known: ${[...KNOWN_KEYS].join(", ")})`);

  const hosts = parseHosts(text, doc.hosts, keyLine, err);
  const names = new Set(hosts.map((h) => h.name));
  let duration: number | undefined;
  if (doc.duration !== undefined) {
    duration = typeof doc.duration === "string" ? parseDuration(doc.duration) : undefined;
    if (duration === undefined || duration <= 0)
      err(keyLine("duration"), `duration must be a time like "60s" or "5m", not ${JSON.stringify(doc.duration)}`);
  }
  let seed = 1;
  if (doc.seed !== undefined) {
    if (typeof doc.seed === "bigint" || (typeof doc.seed === "number" && Number.isInteger(doc.seed)))
      seed = Number(doc.seed);
    else err(keyLine("seed"), "seed must be an integer");
  }

  const events: Timed<ScenarioEvent>[] = [];
  for (const { text: line, at: lineNo } of sentences(text, doc.events, "events", keyLine, err)) {
    const r = parseEvent(line, names);
    if (typeof r === "string") err(lineNo, `event "${line}": ${r}`);
    else events.push({ ...r, line: lineNo, text: line });
  }
  // stable: events at one time happen in the order written
  events.sort((a, b) => a.at - b.at);

  const expects: Scenario["expects"] = [];
  for (const { text: line, at: lineNo } of sentences(text, doc.expect, "expect", keyLine, err)) {
    const r = parseExpect(line, names);
    if (typeof r === "string") err(lineNo, `expect "${line}": ${r}`);
    else expects.push({ line: lineNo, text: line, what: r });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { file, hosts, duration, seed, events, expects } };
}

function parseHosts(
  text: string,
  v: unknown,
  keyLine: (key: string) => number,
  err: (line: number, message: string) => void,
): ScenarioHost[] {
  const line = keyLine("hosts");
  if (v === undefined) return [];
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    err(line, 'hosts must be a table: hosts = { h1 = "h1.conf", h2 = "h2.conf" }');
    return [];
  }
  const out: ScenarioHost[] = [];
  for (const [name, spec] of Object.entries(v)) {
    // a host's own line when it has one (`h1 = ...` or `[hosts.h1]`), else the `hosts` key's
    const own = lineOf(text, new RegExp(`^\\s*(${escapeRe(name)}\\s*=|\\[\\s*hosts\\.${escapeRe(name)}\\s*\\])`));
    const at = own || line;
    if (!HOST_NAME.test(name)) err(at, `host name '${name}' may hold only letters, digits, '_', '.', '-'`);
    if (typeof spec === "string") out.push({ name, config: spec });
    else if (typeof spec === "object" && spec !== null && typeof (spec as { config?: unknown }).config === "string") {
      const s = spec as { config: string; address?: unknown };
      for (const k of Object.keys(s))
        if (k !== "config" && k !== "address") err(at, `host ${name}: unknown key '${k}' (known: config, address)`);
      if (s.address !== undefined && (typeof s.address !== "string" || !/^\d+\.\d+\.\d+\.\d+$/.test(s.address)))
        err(at, `host ${name}: address must be an IPv4 address like "10.0.0.1"`);
      out.push({ name, config: s.config, address: typeof s.address === "string" ? s.address : undefined });
    } else err(at, `host ${name} must be a file name or { config = "FILE", address = "A.B.C.D" }`);
  }
  return out;
}

/** The strings of a TOML string array, each with the line it is written on. */
function sentences(
  text: string,
  v: unknown,
  key: string,
  keyLine: (key: string) => number,
  err: (line: number, message: string) => void,
): { text: string; at: number }[] {
  if (v === undefined) return [];
  const start = keyLine(key);
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    err(start, `${key} must be an array of strings: ${key} = ["...", "..."]`);
    return [];
  }
  const lines = text.split("\n");
  const out: { text: string; at: number }[] = [];
  let from = Math.max(0, start - 1);
  for (const s of v as string[]) {
    // the next line at or after the previous one that holds this string (quoted either way)
    let at = start;
    for (let i = from; i < lines.length; i++) {
      const l = lines[i] as string;
      if (l.includes(JSON.stringify(s)) || l.includes(`'${s}'`)) {
        at = i + 1;
        from = i;
        break;
      }
    }
    out.push({ text: s.trim(), at });
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** 1-based line of the first line matching `re`, or 0 when none does. */
function lineOf(text: string, re: RegExp): number {
  return text.split("\n").findIndex((l) => re.test(l)) + 1;
}

/** "AT VERB ARGS...", or an error message. */
export function parseEvent(line: string, hosts: Set<string>): { at: number; what: ScenarioEvent } | string {
  const w = line.split(/\s+/).filter((x) => x !== "");
  const [atText, verb, ...args] = w;
  const at = atText === undefined ? undefined : parseDuration(atText);
  if (at === undefined) return `starts with a time like "10s" (got '${atText ?? ""}')`;
  if (verb === undefined)
    return "a verb follows the time (script, file, process, kill, restart, stop, reload, link-down, link-up, partition, heal, priority)";
  const host = (i = 0): string | undefined => args[i];
  const needHost = (): string | undefined => {
    const h = host();
    if (h === undefined) return `${verb} needs a host`;
    if (!hosts.has(h)) return `no host '${h}' (hosts: ${[...hosts].join(", ")})`;
    return undefined;
  };
  const arity = (n: number, usage: string): string | undefined =>
    args.length === n ? undefined : `usage: AT ${verb} ${usage}`;
  switch (verb) {
    case "script": {
      const bad = arity(3, "HOST SCRIPT ok|fail") ?? needHost();
      if (bad) return bad;
      const r = args[2];
      if (r !== "ok" && r !== "fail") return `a script's result is ok or fail, not '${r}'`;
      return { at, what: { kind: "script", host: args[0]!, name: args[1]!, ok: r === "ok" } };
    }
    case "file": {
      const bad = arity(3, "HOST TRACK_FILE VALUE") ?? needHost();
      if (bad) return bad;
      const value = Number(args[2]);
      if (!/^-?\d+$/.test(args[2]!)) return `a track_file value is an integer, not '${args[2]}'`;
      return { at, what: { kind: "file", host: args[0]!, name: args[1]!, value } };
    }
    case "process": {
      const bad = arity(3, "HOST TRACK_PROCESS up|down") ?? needHost();
      if (bad) return bad;
      if (args[2] !== "up" && args[2] !== "down") return `a process is up or down, not '${args[2]}'`;
      return { at, what: { kind: "process", host: args[0]!, name: args[1]!, up: args[2] === "up" } };
    }
    case "kill":
    case "restart":
    case "stop":
    case "link-down":
    case "link-up": {
      const bad = arity(1, "HOST") ?? needHost();
      if (bad) return bad;
      return { at, what: { kind: verb, host: args[0]! } };
    }
    case "reload": {
      const bad = arity(2, "HOST CONFIG_FILE") ?? needHost();
      if (bad) return bad;
      return { at, what: { kind: "reload", host: args[0]!, config: args[1]! } };
    }
    case "priority": {
      const bad = arity(3, "HOST INSTANCE PRIORITY") ?? needHost();
      if (bad) return bad;
      const p = Number(args[2]);
      if (!/^\d+$/.test(args[2]!) || p < 1 || p > 255) return `a priority is 1..255, not '${args[2]}'`;
      return { at, what: { kind: "priority", host: args[0]!, instance: args[1]!, priority: p } };
    }
    case "partition": {
      const groups = args
        .join(" ")
        .split("|")
        .map((g) => g.split(/\s+/).filter((x) => x !== ""));
      if (groups.length < 2 || groups.some((g) => g.length === 0))
        return "usage: AT partition H1 [H2...] | H3 [H4...] [| ...]";
      const seen = new Set<string>();
      for (const h of groups.flat()) {
        if (!hosts.has(h)) return `no host '${h}' (hosts: ${[...hosts].join(", ")})`;
        if (seen.has(h)) return `host '${h}' is in two groups`;
        seen.add(h);
      }
      return { at, what: { kind: "partition", groups } };
    }
    case "heal": {
      const bad = arity(0, "");
      if (bad) return "usage: AT heal";
      return { at, what: { kind: "heal" } };
    }
    default:
      return `unknown verb '${verb}' (script, file, process, kill, restart, stop, reload, link-down, link-up, partition, heal, priority)`;
  }
}
