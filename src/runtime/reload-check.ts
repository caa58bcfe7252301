/**
 * `reload_check_config [LOG_FILE]` and `reload_file [PATH]` at a reload, as keepalived
 * 2.2.7 applies them (core/main.c start_validate_reload_conf_child, reload_check_child_thread,
 * create_reload_file, remove_reload_file):
 *
 * - with reload_check_config (of the running configuration), the new configuration is
 *   checked before anything changes: keepalived runs itself with `--config-test=LOG_FILE`
 *   (the file truncated first, /dev/null without an argument) and on a failed check logs
 *   "New config failed validation, see LOG_FILE for details" and keeps running the old
 *   one. keel reads the file in its own process (the same read a reload does) and writes
 *   `keel -t LOG_FILE`'s report to the file;
 * - while that check reads the files, the running configuration's reload_file exists
 *   (mode 0644 whatever the umask), so a tool that edits the configuration can wait for
 *   it to go. keepalived creates it only around the check: without reload_check_config
 *   its create runs before the new reload_file is known and does nothing;
 * - after each read (start or reload) the new configuration's own reload_file PATH is
 *   removed, if one is left over (the default path is not, keepalived's unresolved
 *   sentinel there).
 */
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import type { Origins } from "../config/origins";
import { type Diagnostic, formatDiagnostic } from "../config/diagnostics";
import { runPaths } from "./run-paths";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

/**
 * The reload_file of a configuration: its PATH, else keepalived's default beside the pid
 * file (global_data.c init_global_data): keepalived_INSTANCE.reload or keepalived.reload
 * in /run/keepalived (in the namespace's directory with net_namespace), or
 * /run/keepalived.reload.
 */
export function reloadFilePath(config: KeelConfig, netNamespace?: string): string | undefined {
  const rf = config.globalDefs.reloadFile;
  if (rf === undefined) return undefined;
  if (rf.path !== undefined) return rf.path;
  const p = runPaths({
    netNamespace: netNamespace ?? config.netNamespace,
    instance: config.instance,
    usePidDir: config.usePidDir,
  });
  return p.pidFile.replace(/\.pid$/, ".reload");
}

/** create_reload_file: rw-r--r-- whatever the umask; a failure is logged and the read goes on. */
export function createReloadFile(path: string, log: Logger): void {
  try {
    nodeFs().writeFileSync(path, "", { mode: 0o644 });
    nodeFs().chmodSync(path, 0o644);
  } catch (e) {
    log.info(`Failed to create reload file (${path}) ${(e as Error).message}`);
  }
}

export function removeReloadFile(path: string): void {
  nodeFs().rmSync(path, { force: true });
}

export interface CheckedRead {
  config: KeelConfig;
  diagnostics: { items: Diagnostic[]; errorCount: number };
  /** where its objects were declared (passed through) */
  origins?: Origins;
}

/**
 * One read of the new configuration under the running one's reload_check_config and
 * reload_file. `failed` is the line to log when the check refuses the reload.
 */
export function checkedRead(
  running: KeelConfig,
  netNamespace: string | undefined,
  configFile: string,
  load: () => CheckedRead,
  log: Logger,
): { read: CheckedRead; failed?: string } {
  const checkLog = running.globalDefs.reloadCheckConfig;
  const marker = checkLog === undefined ? undefined : reloadFilePath(running, netNamespace);
  if (marker !== undefined) createReloadFile(marker, log);
  let read: CheckedRead;
  try {
    read = load();
  } finally {
    if (marker !== undefined) removeReloadFile(marker);
  }
  removeStaleReloadFile(read.config);
  if (checkLog === undefined) return { read };
  writeCheckLog(checkLog, configFile, read.diagnostics, log);
  return read.diagnostics.errorCount === 0
    ? { read }
    : { read, failed: `New config failed validation, see ${checkLog} for details` };
}

/** remove_reload_file after a read: the configuration's own reload_file PATH, if left over. */
export function removeStaleReloadFile(config: KeelConfig): void {
  const path = config.globalDefs.reloadFile?.path;
  if (path !== undefined) removeReloadFile(path);
}

/** `keel -t LOG_FILE`'s report: every diagnostic, then the counts (src/cli.ts). */
function writeCheckLog(
  file: string,
  configFile: string,
  diagnostics: { items: Diagnostic[]; errorCount: number },
  log: Logger,
): void {
  const e = diagnostics.errorCount;
  const w = diagnostics.items.filter((d) => d.severity !== "error").length;
  const text =
    diagnostics.items.map((d) => `${formatDiagnostic(d)}\n`).join("") +
    `keel: ${configFile}: ${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}\n`;
  try {
    nodeFs().writeFileSync(file, text, { mode: 0o644 });
  } catch (err) {
    log.info(`truncate of config check log ${file} failed - ${(err as Error).message}`);
  }
}
