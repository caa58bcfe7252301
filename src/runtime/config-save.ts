/**
 * global_defs config_save_dir: the copies keepalived 2.2.7 keeps of what it read and of
 * what it ran, for debugging a reload.
 *
 * - `keepalived.conf.PID.N` (lib/parser.c read_conf_file): the concatenated configuration
 *   (preprocess.ts `copy`) each time the parent reads it, N from 0: at start and at each
 *   reload. keel's one process is the parent.
 * - `keepalived_PROCESS.PID.N.pre` / `.post` (core/config_notify.c save_config): a
 *   process's data dump just before and just after each reload, N from 1. keel runs VRRP
 *   in its own process: `vrrp` with keel's pid and the SIGUSR1 dump (dumps.ts dataText).
 *
 * keepalived writes them with fopen_safe (0600); a file it cannot open is logged
 * ("Failed to open config_save file ...") and the daemon carries on. The directory is
 * made (0700) at start when it does not exist (global_parser.c config_save_dir_handler,
 * in the parent); one that is not a directory is a configuration error there, and nothing
 * is saved.
 */
import type { Logger } from "./log";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export class ConfigSave {
  /** conf_num: reads of the configuration so far */
  private reads = 0;
  /** save_config's reload_num */
  private reloads = 0;
  private dir?: string;

  constructor(
    private readonly log: Logger,
    private readonly pid = process.pid,
  ) {}

  /** config_save_dir as the configuration just read gives it (undefined: none). */
  configure(dir: string | undefined): void {
    this.dir = dir === undefined ? undefined : usableDir(dir, this.log);
  }

  /** The concatenated configuration of one read (start or reload). */
  saveCopy(read: () => readonly string[]): void {
    const n = this.reads++;
    if (this.dir === undefined) return;
    const lines = read();
    this.write(`${this.dir}/keepalived.conf.${this.pid}.${n}`, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  }

  /** save_config(false, ...): before a reload; counts the reload. */
  pre(process: string, dump: () => string): void {
    this.reloads++;
    this.save(process, "pre", dump);
  }

  /** save_config(true, ...): after a reload. */
  post(process: string, dump: () => string): void {
    this.save(process, "post", dump);
  }

  private save(process: string, when: "pre" | "post", dump: () => string): void {
    if (this.dir === undefined) return;
    this.write(`${this.dir}/keepalived_${process}.${this.pid}.${this.reloads}.${when}`, dump());
  }

  private write(path: string, text: string): void {
    try {
      nodeFs().writeFileSync(path, text, { mode: 0o600 });
    } catch {
      this.log.info(`Failed to open config_save file ${path}`);
    }
  }
}

/** config_save_dir_handler: a directory as it is, made when missing, else reported; no trailing '/'. */
function usableDir(dir: string, log: Logger): string | undefined {
  const name = dir.length > 1 && dir.endsWith("/") ? dir.slice(0, -1) : dir;
  try {
    if (nodeFs().statSync(dir).isDirectory()) return name;
    log.error(`config_save_dir ${dir} exists and is not a directory`);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== "ENOENT") {
      log.error(`config_save_dir ${dir} error ${Math.abs(err.errno ?? 0)} - ${err.message}`);
      return undefined;
    }
  }
  try {
    nodeFs().mkdirSync(dir, { mode: 0o700 });
    return name;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    log.error(`Unable to create config_save_dir ${dir} (error ${Math.abs(err.errno ?? 0)} - ${err.message})`);
    return undefined;
  }
}
