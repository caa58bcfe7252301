/**
 * Start-up in a network namespace (keepalived core/main.c, keepalived_main after the
 * configuration is read): `-s NS` overrides `net_namespace` ("Overriding config
 * net_namespace ..."), the process enters /run/netns/NS before it opens any socket,
 * and the run paths (run-paths.ts) follow the namespace and `instance`. The daemon and
 * its checker process both call this first, as keepalived's children inherit it.
 */
import type { KeelConfig } from "../config/model";
import type { Logger } from "./log";
import { type RunPaths, runPaths, validNamespaceName } from "./run-paths";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export interface NamespaceStart {
  /** the namespace entered, if any */
  netNamespace?: string;
  paths: RunPaths;
}

/** The namespace and paths a configuration (and -s) asks for; no system call. */
export function plannedRun(config: KeelConfig, cliNamespace: string | undefined): NamespaceStart {
  const netNamespace = cliNamespace ?? config.netNamespace;
  return {
    netNamespace,
    paths: runPaths({ netNamespace, instance: config.instance, usePidDir: config.usePidDir }),
  };
}

/**
 * Enter the namespace and create the pid directory. A string is why it failed
 * (keepalived: "Unable to set network namespace NS - exiting").
 */
export async function enterPlannedRun(
  config: KeelConfig,
  cliNamespace: string | undefined,
  log: Logger,
): Promise<NamespaceStart | string> {
  const plan = plannedRun(config, cliNamespace);
  if (cliNamespace !== undefined && config.netNamespace !== undefined && config.netNamespace !== cliNamespace)
    log.info(`Overriding config net_namespace '${config.netNamespace}' with command line namespace '${cliNamespace}'`);
  const ns = plan.netNamespace;
  if (ns !== undefined) {
    if (!validNamespaceName(ns)) return `Unable to set network namespace '${ns}' - not a namespace name`;
    try {
      // the process events connector exists in the initial namespace only: open it here,
      // before setns, and keep it (keepalived main.c: open_track_processes before set_namespaces)
      // (the daemon's only: its checker and BFD children, which come through here too, track none)
      if (process.env.KEEL_CHILD === undefined && Object.keys(config.vrrpTrackProcesses).length > 0)
        (await import("./process-monitor")).preopenProcConnector(config);
      const { enterNetNamespace } = await import("../../native-bindings/netns");
      enterNetNamespace(ns);
    } catch (e) {
      return `Unable to set network namespace ${ns} - ${(e as Error).message}`;
    }
    log.info(`Running in network namespace ${ns}`);
  }
  try {
    // rwxr-xr-x, as keepalived's create_pid_dir / set_run_mount
    if (plan.paths.pidDir) nodeFs().mkdirSync(plan.paths.pidDir, { recursive: true, mode: 0o755 });
  } catch (e) {
    log.warn(`Unable to create directory ${plan.paths.pidDir}: ${(e as Error).message}`);
  }
  return plan;
}

/**
 * What a reload cannot change (keepalived reload_config: "Cannot change network namespace
 * at a reload - please restart keepalived", the same for net_namespace_ipvs, instance and
 * nftables_ipvs's table;
 * it then runs on with the old configuration). -s still overrides the new file.
 */
export function unsupportedReloadChanges(
  running: KeelConfig,
  next: KeelConfig,
  cliNamespace: string | undefined,
): string[] {
  const out: string[] = [];
  if ((cliNamespace ?? running.netNamespace) !== (cliNamespace ?? next.netNamespace))
    out.push("Cannot change network namespace at a reload - please restart keel");
  if (running.netNamespaceIpvs !== next.netNamespaceIpvs)
    out.push("Cannot change IPVS network namespace at a reload - please restart keel");
  if (running.instance !== next.instance) out.push("Cannot change instance name at a reload - please restart keel");
  // main.c reload_config: nftables_ipvs's table (added or removed, too)
  if (running.globalDefs.nftablesIpvs !== next.globalDefs.nftablesIpvs)
    out.push("Cannot change IPVS nftables table name at a reload - please restart keel");
  // main.c reload_config: the sysctl is set at start and restored at stop only
  if (running.globalDefs.disableLocalIgmp !== next.globalDefs.disableLocalIgmp)
    out.push("Cannot change disable_local_igmp at a reload - please restart keel");
  return out;
}
