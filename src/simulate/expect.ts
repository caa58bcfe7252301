/**
 * `expect` sentences of a scenario (docs/simulate.md) and their verdicts over a run's
 * history. Pure: the history is data (src/simulate/run.ts records it).
 */
import { parseDuration } from "./scenario";

export type Expect =
  /** at T VIP ADDR on HOST[,HOST...] | at T VIP ADDR on nobody */
  | { kind: "vip-at"; at: number; vip: string; hosts: string[] }
  /** HOST [INSTANCE] STATE at T (STATE: MASTER, BACKUP, FAULT, STOP, down) */
  | { kind: "state-at"; at: number; host: string; instance?: string; state: string }
  /** never two masters */
  | { kind: "never-two-masters" }
  /** VIP ADDR moves at most N times */
  | { kind: "moves-at-most"; vip: string; n: number }
  /** VIP ADDR sequence H1 H2 ... (the successive holders, see `holderSequence`) */
  | { kind: "sequence"; vip: string; hosts: string[] };

const STATES = new Set(["MASTER", "BACKUP", "FAULT", "STOP", "INIT", "down"]);

export function parseExpect(line: string, hosts: Set<string>): Expect | string {
  const w = line.split(/\s+/).filter((x) => x !== "");
  const unknownHost = (h: string) => (hosts.has(h) ? undefined : `no host '${h}' (hosts: ${[...hosts].join(", ")})`);
  if (w.join(" ") === "never two masters") return { kind: "never-two-masters" };
  if (w[0] === "at") {
    const at = parseDuration(w[1] ?? "");
    if (at === undefined) return `a time like "30s" follows 'at' (got '${w[1] ?? ""}')`;
    if (w[2] !== "VIP" || w[4] !== "on" || w.length !== 6) return "usage: at T VIP ADDR on HOST[,HOST...]|nobody";
    const list = w[5] === "nobody" ? [] : (w[5] as string).split(",");
    for (const h of list) {
      const bad = unknownHost(h);
      if (bad) return bad;
    }
    return { kind: "vip-at", at, vip: w[3] as string, hosts: list.sort() };
  }
  if (w[0] === "VIP") {
    const vip = w[1];
    if (vip === undefined) return "usage: VIP ADDR moves at most N times | VIP ADDR sequence H1 H2 ...";
    if (w[2] === "moves") {
      if (
        w.length !== 7 ||
        w[3] !== "at" ||
        w[4] !== "most" ||
        !/^\d+$/.test(w[5] ?? "") ||
        !/^times?$/.test(w[6] ?? "")
      )
        return "usage: VIP ADDR moves at most N times";
      return { kind: "moves-at-most", vip, n: Number(w[5]) };
    }
    if (w[2] === "sequence") {
      const seq = w.slice(3);
      if (seq.length === 0) return "usage: VIP ADDR sequence H1 H2 ... (a holder set is written H1+H2, nobody as -)";
      for (const s of seq)
        for (const h of s.split("+")) {
          const bad = s === "-" ? undefined : unknownHost(h);
          if (bad) return bad;
        }
      return { kind: "sequence", vip, hosts: seq.map(normalSet) };
    }
    return "usage: VIP ADDR moves at most N times | VIP ADDR sequence H1 H2 ...";
  }
  // HOST [INSTANCE] STATE at T
  const atIdx = w.indexOf("at");
  if (atIdx === 2 || atIdx === 3) {
    const host = w[0] as string;
    const bad = unknownHost(host);
    if (bad) return bad;
    const state = w[atIdx - 1] as string;
    if (!STATES.has(state)) return `a state is MASTER, BACKUP, FAULT, STOP, INIT or down, not '${state}'`;
    const at = parseDuration(w[atIdx + 1] ?? "");
    if (at === undefined || w.length !== atIdx + 2) return "usage: HOST [INSTANCE] STATE at T";
    return { kind: "state-at", at, host, instance: atIdx === 3 ? w[1] : undefined, state };
  }
  return "unknown expectation (at T VIP ADDR on HOST | HOST [INSTANCE] STATE at T | never two masters | VIP ADDR moves at most N times | VIP ADDR sequence H1 H2 ...)";
}

function normalSet(s: string): string {
  return s === "-" ? "-" : s.split("+").sort().join("+");
}

/** What a run recorded, as the verdicts need it. */
export interface History {
  /** virtual end of the run */
  end: number;
  /** every change of a VIP's holder set (the first entry per VIP at time 0) */
  vips: { t: number; vip: string; holders: string[] }[];
  /** every change of an instance's state on a host; "down" while the host is not running */
  states: { t: number; host: string; instance: string; state: string }[];
  /** instance → "family/vrid" (which instances compete) */
  vridOf: Map<string, string>;
}

export interface Verdict {
  line: number;
  text: string;
  ok: boolean;
  /** what was seen, in words */
  detail: string;
}

function setText(hosts: string[]): string {
  return hosts.length === 0 ? "-" : [...hosts].sort().join("+");
}

/**
 * The successive holder sets of a VIP, as a namespace test can observe them: a set that
 * lasted no virtual time (the instant between one master's takeover and the other's
 * yielding, or a handover's gap) is left out, and so is "nobody", then repeats merge.
 */
export function holderSequence(h: History, vip: string): string[] {
  const changes = h.vips.filter((c) => c.vip === vip);
  const out: string[] = [];
  changes.forEach((c, i) => {
    const until = changes[i + 1]?.t ?? h.end;
    if (until <= c.t || c.holders.length === 0) return;
    const s = setText(c.holders);
    if (out[out.length - 1] !== s) out.push(s);
  });
  return out;
}

function holdersAt(h: History, vip: string, t: number): string[] {
  let cur: string[] = [];
  for (const c of h.vips) if (c.vip === vip && c.t <= t) cur = c.holders;
  return cur;
}

function stateAt(h: History, host: string, instance: string, t: number): string | undefined {
  let cur: string | undefined;
  for (const s of h.states) if (s.host === host && s.instance === instance && s.t <= t) cur = s.state;
  return cur;
}

export function verdict(e: Expect, h: History): { ok: boolean; detail: string } {
  switch (e.kind) {
    case "vip-at": {
      const seen = holdersAt(h, e.vip, e.at);
      const ok = setText(seen) === setText(e.hosts);
      return { ok, detail: `held by ${seen.length ? seen.join(", ") : "nobody"}` };
    }
    case "state-at": {
      const instances = [...h.vridOf.keys()].filter((i) => (e.instance === undefined ? true : i === e.instance));
      const seen = instances.map((i) => [i, stateAt(h, e.host, i, e.at)] as const).filter(([, s]) => s !== undefined);
      if (seen.length === 0) return { ok: false, detail: `${e.host} has no instance ${e.instance ?? ""}`.trim() };
      const ok = seen.every(([, s]) => s === e.state);
      return { ok, detail: seen.map(([i, s]) => `${i} ${s}`).join(", ") };
    }
    case "never-two-masters": {
      const masters = new Map<string, Set<string>>();
      let worst: string | undefined;
      h.states.forEach((s, i) => {
        const key = h.vridOf.get(s.instance);
        if (key === undefined) return;
        const set = masters.get(key) ?? new Set();
        masters.set(key, set);
        if (s.state === "MASTER") set.add(s.host);
        else set.delete(s.host);
        // an overlap that lasts no virtual time is a handover in progress, not two masters
        const next = h.states[i + 1]?.t ?? h.end;
        if (next <= s.t || worst !== undefined) return;
        for (const [k, both] of masters)
          if (both.size > 1) {
            worst = `${[...both].sort().join(" and ")} both MASTER of VRID ${k.split("/")[1]} at ${seconds(s.t)}`;
            break;
          }
      });
      return { ok: worst === undefined, detail: worst ?? "at most one master per VRID" };
    }
    case "moves-at-most": {
      const moves = Math.max(0, holderSequence(h, e.vip).length - 1);
      return { ok: moves <= e.n, detail: `moved ${moves} time${moves === 1 ? "" : "s"}` };
    }
    case "sequence": {
      const seq = holderSequence(h, e.vip);
      return { ok: seq.join(" ") === e.hosts.join(" "), detail: `sequence ${seq.join(" ") || "(never held)"}` };
    }
  }
}

/** Virtual ms as "12.345s" (trailing zeros dropped). */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
