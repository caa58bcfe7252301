/** `keel fleet` without --json: the nodes, a row per virtual router, the flags. */
import type { Snapshot } from "./flags";
import { textTable as table } from "../base/table";

export function formatFleet(s: Snapshot): string {
  const nodeRows = s.nodes.map((n) => [
    n.name,
    n.reachable ? "up" : "UNREACHABLE",
    n.reachable ? `keel ${n.keel ?? "?"} pid ${n.pid ?? "?"}` : (n.error ?? ""),
  ]);
  let out = table(["NODE", "STATE", "DETAIL"], nodeRows);
  const names = s.nodes.map((n) => n.name);
  const rows = s.rows.map((r) => [
    r.key,
    r.instances.join(","),
    r.holders.join(",") || "-",
    ...names.map((node) => {
      const c = r.nodes.filter((x) => x.node === node);
      return (
        c
          .map(
            (x) =>
              (x.priority === x.effectivePriority
                ? `${x.state} ${x.priority}`
                : `${x.state} ${x.priority}->${x.effectivePriority}`) + (x.holds ? ` (${x.holds.join(",")})` : ""),
          )
          .join(" ") || "-"
      );
    }),
    // the VIPs as the holder (else the first node) has them; a difference is a flag below
    (r.nodes.find((x) => x.node === r.holders[0]) ?? r.nodes[0])?.vips.join(",") || "-",
  ]);
  out += `\n${table(["VRID", "INSTANCE", "MASTER", ...names, "VIPS"], rows)}`;
  out += s.flags.length ? `\n${s.flags.map((f) => `FLAG ${f.flag}: ${f.message}\n`).join("")}` : "\nno flags\n";
  return out;
}
