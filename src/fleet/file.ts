/**
 * fleet.toml: the nodes of a segment by name, so `keel fleet -F fleet.toml` needs no
 * targets on the command line.
 *
 *   [nodes]
 *   lb1 = "ssh://root@10.0.0.1"
 *   lb2 = "ssh://root@10.0.0.2:2222?socket=/run/keel/keel.sock"
 *   lab = "exec:ip netns exec h3 keel control --stdio"
 *
 * Errors name file:line and the reason (smol-toml's position for syntax, the key's line
 * for a bad target).
 */
import { readFileSync } from "node:fs";
import { TomlError, parse } from "smol-toml";
import { type Target, parseTarget } from "./target";

export interface FleetNode {
  name: string;
  /** as written */
  target: string;
  parsed: Target;
}

export type FleetFile = { ok: true; nodes: FleetNode[] } | { ok: false; errors: string[] };

export function readFleetFile(path: string): FleetFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ok: false, errors: [`${path}: cannot read: ${(e as Error).message}`] };
  }
  return parseFleetFile(path, text);
}

export function parseFleetFile(path: string, text: string): FleetFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (e) {
    if (e instanceof TomlError)
      return { ok: false, errors: [`${path}:${e.line}:${e.column}: ${e.message.split("\n")[0]}`] };
    throw e;
  }
  const lines = text.split("\n");
  // the line that sets `key` (after `[section]` when given): where an error about it points
  const lineOf = (key: string, section?: string) => {
    let from = 0;
    if (section)
      from = Math.max(
        0,
        lines.findIndex((l) => l.trim().replace(/\s/g, "") === `[${section}]`),
      );
    const re = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*=`);
    const i = lines.findIndex((l, n) => n >= from && re.test(l));
    return i >= 0 ? i + 1 : from + 1;
  };
  const errors: string[] = [];
  for (const k of Object.keys(doc))
    if (k !== "nodes") errors.push(`${path}:${lineOf(k)}: unknown key '${k}' (a fleet file has a [nodes] table)`);
  const table = doc.nodes;
  const nodes: FleetNode[] = [];
  if (table === undefined) errors.push(`${path}:1: no [nodes] table`);
  else if (typeof table !== "object" || table === null || Array.isArray(table))
    errors.push(`${path}:${lineOf("nodes")}: 'nodes' must be a table of name = "target"`);
  else
    for (const [name, value] of Object.entries(table)) {
      const at = `${path}:${lineOf(name, "nodes")}`;
      if (typeof value !== "string") {
        errors.push(`${at}: node '${name}': the target must be a string`);
        continue;
      }
      const t = parseTarget(value);
      if (t.ok) nodes.push({ name, target: value, parsed: t.value });
      else errors.push(`${at}: node '${name}': ${t.error}`);
    }
  if (errors.length === 0 && nodes.length === 0) errors.push(`${path}:1: [nodes] names no node`);
  return errors.length ? { ok: false, errors } : { ok: true, nodes };
}
