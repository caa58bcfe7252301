/**
 * `keel lint`'s analysis (pure: it reads models that src/config's loader made): each
 * host's configuration diagnostics and single-host pitfalls (single.ts), then the
 * pitfalls between hosts (cluster.ts). `hostWarnings` is the single-host part for
 * `keel -t` and the daemon's start.
 */
import type { Diagnostics } from "../config/diagnostics";
import type { KeelConfig } from "../config/model";
import type { Origins } from "../config/origins";
import { clusterFindings } from "./cluster";
import { type Finding, fromDiagnostic, toDiagnostic } from "./finding";
import { type InstanceView, type LintHost, instanceViews } from "./host";
import { singleHostFindings } from "./single";

export type { Finding } from "./finding";
export type { LintHost } from "./host";

/**
 * Every finding for a segment of hosts: a host's own diagnostics first (a host with
 * errors is reported as `keel -t` reports it and left out of the rest), then its
 * single-host pitfalls, then those between the hosts.
 */
export function lintHosts(hosts: LintHost[]): Finding[] {
  const out: Finding[] = [];
  const views: InstanceView[] = [];
  for (const h of hosts) {
    for (const d of h.diagnostics.items) out.push(fromDiagnostic(d, h.name));
    if (h.diagnostics.errorCount > 0) continue;
    const mine = instanceViews(h);
    views.push(...mine);
    out.push(...singleHostFindings(h, mine));
  }
  out.push(...clusterFindings(views));
  return out;
}

/**
 * The single-host pitfalls of one loaded configuration, added to its diagnostics as
 * warnings (never errors: `keel -t` keeps keepalived's exit status). Nothing when the
 * configuration has errors: the model is then not what would run.
 */
export function addHostWarnings(file: string, config: KeelConfig, origins: Origins, diagnostics: Diagnostics): void {
  if (diagnostics.errorCount > 0) return;
  const host: LintHost = { name: file, file, config, origins, diagnostics };
  let found: Finding[];
  try {
    found = singleHostFindings(host, instanceViews(host));
  } catch (e) {
    // a mistake in lint must not make `keel -t` refuse what keepalived accepts: say so instead
    diagnostics.warning({ file, line: 1, col: 1 }, "lint-failed", `keel's lint checks failed: ${(e as Error).message}`);
    return;
  }
  for (const f of found) diagnostics.add({ ...toDiagnostic(f), severity: "warning" });
}
