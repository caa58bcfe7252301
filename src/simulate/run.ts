/**
 * One `keel simulate` run: the hosts' parsed configurations on one simulated segment
 * (segment.ts), the scenario's events enacted at their virtual times, and a timeline of
 * what followed. vrrp_script results come from the scenario and are fed to the engine at
 * each script's interval, as the runtime feeds a script's exit status (src/runtime/
 * scripts.ts: at start, then every interval), so the engine's own rise/fall/weight logic
 * applies them; scripts are never run. track_file values and track_process states are
 * fed when they change and again before a (re)started router starts, as the runtime
 * reads them at start.
 */
import type { KeelConfig } from "../config/model";
import type { Action, TransitionReason, VrrpState } from "../vrrp/types";
import { type Expect, type History, type Verdict, verdict } from "./expect";
import type { ScenarioEvent, Timed } from "./scenario";
import { Sim, type SimNode } from "./segment";
import { causeWords, heldWords } from "./words";

export interface RunHost {
  name: string;
  /** where the config came from (a label in the timeline) */
  file: string;
  config: KeelConfig;
  address?: string;
}

export interface RunInput {
  hosts: RunHost[];
  /** scenario events, in time order */
  events: Timed<ScenarioEvent>[];
  /** each `reload` event's configuration, read (and checked) before the run */
  reloads: Map<Timed<ScenarioEvent>, KeelConfig>;
  expects: { line: number; text: string; what: Expect }[];
  /** virtual ms */
  duration: number;
  seed: number;
  /** keep the timeline (off for the bench) */
  timeline?: boolean;
}

export type TimelineEntry =
  | { t: number; kind: "event"; text: string }
  | {
      t: number;
      kind: "transition";
      host: string;
      instance: string;
      from: VrrpState;
      to: VrrpState;
      reason: TransitionReason;
      cause: string;
    }
  | { t: number; kind: "priority"; host: string; instance: string; from: number; to: number }
  /** a backup outranks the master and stays (nopreempt): why nothing moved */
  | { t: number; kind: "held"; host: string; instance: string; cause: string }
  | { t: number; kind: "vip"; vip: string; holders: string[] };

export interface RunResult {
  timeline: TimelineEntry[];
  history: History;
  /** every VIP's successive holders (expect.ts holderSequence) */
  vips: string[];
  verdicts: Verdict[];
  /** events the simulator processed (the bench reads it) */
  steps: number;
}

/** Interfaces a host's instances use, first the first instance's (the node's eth0). */
function interfacesOf(config: KeelConfig): string[] {
  const out: string[] = [];
  for (const v of Object.values(config.vrrpInstances))
    if (v.interface && !out.includes(v.interface)) out.push(v.interface);
  return out.length > 0 ? out : ["eth0"];
}

/** Every VIP (address without prefix length) of every host, sorted. */
function allVips(hosts: RunHost[]): string[] {
  const s = new Set<string>();
  for (const h of hosts)
    for (const v of Object.values(h.config.vrrpInstances))
      for (const a of [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]) s.add(a.address);
  return [...s].sort();
}

export function runScenario(input: RunInput): RunResult {
  const keep = input.timeline ?? true;
  const sim = new Sim({ seed: input.seed });
  sim.recordAdverts = false;
  sim.recordActions = false;
  const timeline: TimelineEntry[] = [];
  const states: History["states"] = [];
  const vipChanges: History["vips"] = [];
  const vridOf = new Map<string, string>();
  const vips = allVips(input.hosts);

  // what the scenario says each host's trackers report (they outlive a restart)
  const scriptOk = new Map<string, Map<string, boolean>>();
  const files = new Map<string, Map<string, number>>();
  const processes = new Map<string, Map<string, boolean>>();
  const of = <V>(m: Map<string, Map<string, V>>, host: string) => {
    const x = m.get(host) ?? new Map<string, V>();
    m.set(host, x);
    return x;
  };
  /** node → the generation its script timers belong to (a restart or reload starts new ones) */
  const generation = new Map<SimNode, number>();

  const lastHolders = new Map<string, string>();
  const noteVips = () => {
    for (const vip of vips) {
      const holders = sim.nodes
        .filter((n) => {
          if (!n.alive || !n.router) return false;
          for (const [inst, set] of n.vips) if (set.has(vip) && n.state(inst) === "MASTER") return true;
          return false;
        })
        .map((n) => n.name);
      const key = holders.join(",");
      if (lastHolders.get(vip) === key) continue;
      const first = !lastHolders.has(vip);
      lastHolders.set(vip, key);
      vipChanges.push({ t: sim.now, vip, holders });
      // nobody holds a VIP before the first election: not worth a line
      if (keep && !(first && holders.length === 0)) timeline.push({ t: sim.now, kind: "vip", vip, holders });
    }
  };
  const noteDown = (node: SimNode) => {
    for (const inst of Object.keys(node.config.vrrpInstances))
      states.push({ t: sim.now, host: node.name, instance: inst, state: "down" });
  };

  sim.onAction = (node: SimNode, a: Action) => {
    if (a.type === "transition") {
      states.push({ t: sim.now, host: node.name, instance: a.instance, state: a.to });
      if (keep) {
        const cause = causeWords(a.cause);
        timeline.push({ t: sim.now, kind: "transition", host: node.name, instance: a.instance, ...pick(a), cause });
      }
      // VIPs are added/removed by actions right after the transition: settle after the drain
      pendingVips = true;
      pendingHeld = true;
    } else if (a.type === "priority" && keep) {
      timeline.push({ t: sim.now, kind: "priority", host: node.name, instance: a.instance, from: a.from, to: a.to });
      pendingHeld = true;
    } else if (a.type === "add-vips" || a.type === "del-vips") pendingVips = true;
  };
  let pendingVips = false;
  let pendingHeld = false;
  sim.onStep = () => {
    if (pendingVips) {
      pendingVips = false;
      noteVips();
    }
    // a held backup is told once it has heard the master's new priority (its own view),
    // so the check runs again after each step until every such backup has
    if (pendingHeld && keep) pendingHeld = noteHeld();
  };

  /** backup instance → the situation last explained, so each is told once */
  const held = new Map<string, string>();
  /** returns true while a backup that outranks the master has not yet heard its new priority */
  const noteHeld = (): boolean => {
    let waiting = false;
    const masters = new Map<string, { host: string; priority: number }>();
    for (const n of sim.nodes)
      for (const inst of n.router?.instances.values() ?? [])
        if (inst.state === "MASTER")
          masters.set(`${inst.p.family}/${inst.p.vrid}`, { host: n.name, priority: inst.effectivePriority });
    for (const n of sim.nodes)
      for (const inst of n.router?.instances.values() ?? []) {
        const m = masters.get(`${inst.p.family}/${inst.p.vrid}`);
        const key = `${n.name}/${inst.name}`;
        if (inst.state !== "BACKUP" || !inst.p.nopreempt || !m || m.priority >= inst.effectivePriority) {
          held.delete(key);
          continue;
        }
        const situation = `${m.host}/${m.priority}/${inst.effectivePriority}`;
        if (held.get(key) === situation) continue;
        if (inst.view().master?.priority !== m.priority) {
          waiting = true;
          continue;
        }
        held.set(key, situation);
        const cause = heldWords(inst, sim.now);
        timeline.push({ t: sim.now, kind: "held", host: n.name, instance: inst.name, cause });
      }
    return waiting;
  };
  sim.beforeStart = (node) => {
    for (const [name, value] of of(files, node.name)) node.router?.handleTrack({ kind: "file", name, value }, sim.now);
    for (const [name, up] of of(processes, node.name)) node.router?.handleTrack({ kind: "process", name, up }, sim.now);
  };

  const startScripts = (node: SimNode) => {
    const gen = (generation.get(node) ?? 0) + 1;
    generation.set(node, gen);
    for (const s of Object.values(node.config.vrrpScripts)) {
      const every = Math.max(10, s.interval * 1000);
      const tick = () => {
        if (generation.get(node) !== gen || !node.alive || !node.router) return;
        const ok = of(scriptOk, node.name).get(s.name) ?? true;
        sim.track(node, { kind: "script", name: s.name, ok });
        sim.at(sim.now + every, tick);
      };
      sim.at(sim.now, tick);
    }
  };

  for (const h of input.hosts) {
    const node = sim.add({
      name: h.name,
      conf: h.file,
      config: h.config,
      ipv4: h.address,
      interfaces: interfacesOf(h.config),
    });
    startScripts(node);
    for (const inst of node.router?.instances.values() ?? []) vridOf.set(inst.name, `${inst.p.family}/${inst.p.vrid}`);
  }
  noteVips();

  for (const e of input.events) {
    sim.at(e.at, () => {
      const entry = { t: sim.now, kind: "event" as const, text: e.text.replace(/^\S+\s+/, "") };
      if (keep) timeline.push(entry);
      const idle = enact(e);
      // an event that cannot act says so, rather than vanish from the timeline
      if (idle) entry.text += ` (${idle}: no effect)`;
      noteVips();
    });
  }

  /** A reload; an instance taken over with new parameters changes priority silently, so say it. */
  const reloadNode = (n: SimNode, label: string, config: KeelConfig) => {
    const before = new Map([...(n.router?.instances.values() ?? [])].map((i) => [i.name, i.effectivePriority]));
    sim.reload(n, label, config);
    startScripts(n);
    if (!keep) return;
    for (const inst of n.router?.instances.values() ?? []) {
      const was = before.get(inst.name);
      if (was !== undefined && was !== inst.effectivePriority)
        timeline.push({
          t: sim.now,
          kind: "priority",
          host: n.name,
          instance: inst.name,
          from: was,
          to: inst.effectivePriority,
        });
    }
    pendingHeld = true;
  };

  /** Act out one event; a reason when it cannot act (its host is not running, ...). */
  const enact = (e: Timed<ScenarioEvent>): string | undefined => {
    const w = e.what;
    switch (w.kind) {
      case "script":
        of(scriptOk, w.host).set(w.name, w.ok);
        return; // the next run of the script (its interval) reports it
      case "file": {
        of(files, w.host).set(w.name, w.value);
        const n = sim.node(w.host);
        if (n.alive) sim.track(n, { kind: "file", name: w.name, value: w.value });
        return;
      }
      case "process": {
        of(processes, w.host).set(w.name, w.up);
        const n = sim.node(w.host);
        if (n.alive) sim.track(n, { kind: "process", name: w.name, up: w.up });
        return;
      }
      case "kill":
      case "stop": {
        const n = sim.node(w.host);
        if (!n.alive) return `${w.host} is not running`;
        if (w.kind === "kill") sim.kill(n);
        else sim.stop(n);
        noteDown(n);
        return;
      }
      case "restart": {
        const n = sim.node(w.host);
        if (n.alive) {
          // a restart of a running daemon: systemctl restart is a stop, then a start
          sim.stop(n);
          noteDown(n);
        }
        sim.start(n);
        startScripts(n);
        return;
      }
      case "reload": {
        const n = sim.node(w.host);
        const config = input.reloads.get(e);
        if (!n.alive) return `${w.host} is not running`;
        if (!config) return `${w.config} was not read`;
        reloadNode(n, w.config, config);
        return;
      }
      case "priority": {
        // the engine has no priority command: a reload with the instance's priority changed
        const n = sim.node(w.host);
        if (!n.alive) return `${w.host} is not running`;
        const config = structuredClone(n.config);
        const inst = config.vrrpInstances[w.instance];
        if (!inst) return `${w.host}'s running configuration has no ${w.instance}`;
        inst.priority = w.priority;
        reloadNode(n, `${n.conf} (priority ${w.instance} ${w.priority})`, config);
        return;
      }
      case "link-down":
        sim.linkDown(w.host);
        return;
      case "link-up":
        sim.linkUp(w.host);
        return;
      case "partition":
        sim.partition(...w.groups);
        return;
      case "heal":
        sim.heal();
        return;
    }
  };

  sim.runUntil(input.duration);
  let steps = 0;
  for (const c of Object.values(sim.counts)) steps += c;
  const history: History = { end: input.duration, vips: vipChanges, states, vridOf };
  const verdicts = input.expects.map((x) => ({ line: x.line, text: x.text, ...verdict(x.what, history) }));
  return { timeline, history, vips, verdicts, steps };
}

function pick(a: { from: VrrpState; to: VrrpState; reason: TransitionReason }) {
  return { from: a.from, to: a.to, reason: a.reason };
}
