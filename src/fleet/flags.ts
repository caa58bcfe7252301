/**
 * The fleet's snapshot from each node's `status` reply: a row per virtual router with every
 * node's view of it, and the flags raised across nodes. Pure: nodes in, snapshot out.
 *
 * A virtual router is its address family and VRID (RFC 9568 §7.3: the VRID and the family
 * identify it on a LAN); interface names may differ between nodes, so they are not part of
 * the key. Instance names are shown, not compared: nodes may name one router differently.
 */
import type { InstanceStatus, Status } from "../control/protocol";

export interface NodeView {
  name: string;
  target: string;
  /** the last status; absent while the node has never answered or does not now */
  status?: Status;
  /** why the node does not answer now; absent when it does */
  error?: string;
}

export interface NodeCell {
  node: string;
  instance: string;
  interface?: string;
  state: string;
  version: 2 | 3;
  priority: number;
  effectivePriority: number;
  master?: string;
  vips: string[];
  config?: InstanceStatus["config"];
  /** operators' holds on this node (keel switchover, keel maintenance); absent when none */
  holds?: ("switchover" | "maintenance" | "standby")[];
}

export interface Row {
  /** "4/51": family and VRID */
  key: string;
  family: 4 | 6;
  vrid: number;
  /** the instance names the nodes use, sorted */
  instances: string[];
  /** the nodes in MASTER, which hold the VIPs */
  holders: string[];
  nodes: NodeCell[];
}

export type FlagKind =
  | "split-brain"
  | "no-master"
  | "vip-mismatch"
  | "config-drift"
  | "advert-int-mismatch"
  | "version-mismatch"
  | "auth-mismatch"
  | "unreachable";

export interface Flag {
  flag: FlagKind;
  /** the row ("4/51") or absent for a node's flag */
  key?: string;
  nodes: string[];
  message: string;
}

export interface Snapshot {
  nodes: { name: string; target: string; reachable: boolean; error?: string; pid?: number; keel?: string }[];
  rows: Row[];
  flags: Flag[];
}

export function snapshot(views: readonly NodeView[]): Snapshot {
  const rows = new Map<string, Row>();
  for (const v of views) {
    // an unreachable node's last status is not live: it is in nodes[] with its error, not in the rows
    if (v.error !== undefined) continue;
    for (const i of v.status?.instances ?? []) {
      const key = `${i.family}/${i.vrid}`;
      let row = rows.get(key);
      if (!row) {
        row = { key, family: i.family, vrid: i.vrid, instances: [], holders: [], nodes: [] };
        rows.set(key, row);
      }
      if (!row.instances.includes(i.name)) row.instances.push(i.name);
      if (i.state === "MASTER") row.holders.push(v.name);
      const cell: NodeCell = {
        node: v.name,
        instance: i.name,
        state: i.state,
        version: i.version,
        priority: i.priority,
        effectivePriority: i.effectivePriority,
        vips: [...i.vips].sort(),
      };
      if (i.interface !== undefined) cell.interface = i.interface;
      if (i.master !== undefined) cell.master = i.master;
      if (i.config) cell.config = i.config;
      if (i.holds?.length) cell.holds = i.holds.map((h) => h.kind);
      row.nodes.push(cell);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.family - b.family || a.vrid - b.vrid);
  for (const r of sorted) r.instances.sort();
  const flags: Flag[] = [];
  for (const v of views)
    if (v.error !== undefined)
      flags.push({ flag: "unreachable", nodes: [v.name], message: `${v.name} does not answer: ${v.error}` });
  for (const r of sorted) flags.push(...rowFlags(r));
  const nodes = views.map((v) => {
    const n: Snapshot["nodes"][number] = { name: v.name, target: v.target, reachable: v.error === undefined };
    if (v.error !== undefined) n.error = v.error;
    if (v.status) {
      n.pid = v.status.pid;
      n.keel = v.status.keel;
    }
    return n;
  });
  return { nodes, rows: sorted, flags };
}

function rowFlags(r: Row): Flag[] {
  const flags: Flag[] = [];
  const add = (flag: FlagKind, nodes: string[], message: string) =>
    flags.push({ flag, key: r.key, nodes, message: `VRID ${r.vrid} (IPv${r.family}): ${message}` });
  if (r.holders.length > 1) add("split-brain", [...r.holders], `${r.holders.length} masters: ${r.holders.join(", ")}`);
  if (r.holders.length === 0)
    add("no-master", [], `no master (${r.nodes.map((c) => `${c.node} ${c.state}`).join(", ")})`);
  const differ = (kind: FlagKind, what: string, value: (c: NodeCell) => string | undefined) => {
    const by = new Map<string, string[]>();
    for (const c of r.nodes) {
      const v = value(c);
      if (v === undefined) continue; // an older daemon without the field: nothing to compare
      by.set(v, [...(by.get(v) ?? []), c.node]);
    }
    if (by.size > 1)
      add(
        kind,
        [...new Set(r.nodes.map((c) => c.node))],
        `${what} differ: ${[...by].map(([v, n]) => `${n.join(",")}: ${v}`).join("; ")}`,
      );
  };
  differ("vip-mismatch", "VIP sets", (c) => c.vips.join(" ") || "(none)");
  differ("config-drift", "configuration hashes", (c) => c.config?.hash);
  differ("advert-int-mismatch", "advert_int values", (c) => (c.config ? `${c.config.advertInt}s` : undefined));
  differ("version-mismatch", "VRRP versions", (c) => `v${c.version}`);
  differ("auth-mismatch", "authentication settings", (c) =>
    c.config ? (c.config.authHash ? `${c.config.auth} ${c.config.authHash.slice(0, 8)}` : c.config.auth) : undefined,
  );
  return flags;
}
