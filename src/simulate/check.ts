/**
 * A scenario's events against the hosts' configurations, before the run: an event that
 * names a vrrp_script, track_file, vrrp_track_process or instance the host does not have
 * would do nothing, silently, so it is an error at the event's line. A name counts when
 * the host's configuration or any configuration it is reloaded with has it.
 */
import type { KeelConfig } from "../config/model";
import type { Scenario, ScenarioError, ScenarioEvent, Timed } from "./scenario";

export function checkEvents(
  sc: Pick<Scenario, "file" | "events">,
  configs: Map<string, KeelConfig>,
  reloads: Map<Timed<ScenarioEvent>, KeelConfig>,
): ScenarioError[] {
  const of = new Map<string, KeelConfig[]>();
  for (const [host, c] of configs) of.set(host, [c]);
  for (const [e, c] of reloads) if ("host" in e.what) of.get(e.what.host)?.push(c);
  const errors: ScenarioError[] = [];
  for (const e of sc.events) {
    const w = e.what;
    if (!("host" in w)) continue;
    const cs = of.get(w.host) ?? [];
    const has = (what: (c: KeelConfig) => Record<string, unknown>, name: string) =>
      cs.some((c) => Object.hasOwn(what(c), name));
    const miss = (kind: string, name: string, known: (c: KeelConfig) => Record<string, unknown>) => {
      const names = [...new Set(cs.flatMap((c) => Object.keys(known(c))))];
      errors.push({
        file: sc.file,
        line: e.line,
        message: `event "${e.text}": ${w.host}'s configuration has no ${kind} '${name}' (${names.length ? `it has: ${names.join(", ")}` : "it has none"})`,
      });
    };
    if (w.kind === "script" && !has((c) => c.vrrpScripts, w.name)) miss("vrrp_script", w.name, (c) => c.vrrpScripts);
    if (w.kind === "file" && !has((c) => c.trackFiles, w.name)) miss("track_file", w.name, (c) => c.trackFiles);
    if (w.kind === "process" && !has((c) => c.vrrpTrackProcesses, w.name))
      miss("vrrp_track_process", w.name, (c) => c.vrrpTrackProcesses);
    if (w.kind === "priority" && !has((c) => c.vrrpInstances, w.instance))
      miss("vrrp_instance", w.instance, (c) => c.vrrpInstances);
  }
  return errors;
}
