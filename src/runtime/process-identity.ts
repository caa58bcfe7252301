/**
 * A process's name and umask from global_defs, as keepalived 2.2.7 sets them.
 *
 * Names (lib/utils.c set_process_name: prctl PR_SET_NAME, what /proc/PID/comm, ps and
 * pgrep show): keepalived's parent takes `process_name`, its VRRP child
 * `vrrp_process_name` and its checker child `checker_process_name` (`lvs_process_name`
 * before 2.2; `process_names` names the children keepalived_vrrp, keepalived_lvs); a
 * child without its own name keeps the parent's, which it was forked with. keel's daemon
 * is keepalived's parent and VRRP child in one process: it takes `vrrp_process_name`, else
 * `process_name`; keel's checker process `checker_process_name`, else `process_name`; its
 * BFD process (keepalived's BFD child) `bfd_process_name`, else `process_name`. A
 * reload that changes the name sets it again; one that removes it goes back to the name
 * the process started with (keepalived: "keepalived").
 *
 * umask (global_parser.c umask_handler): applied as the configuration is read, at start
 * and at each reload, unless `-U/--umask` gave one ("umask command line option specified,
 * ignoring config option").
 */
import type { GlobalDefs } from "../config/global/model";
import type { Logger } from "./log";
import { setThreadName } from "../../native-bindings/sched";
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { readTextFile } from "../../native-bindings/file";

export type IdentityRole = "vrrp" | "checker" | "bfd";

export function processNameFor(role: IdentityRole, g: GlobalDefs): string | undefined {
  const own = role === "vrrp" ? g.vrrpProcessName : role === "checker" ? g.checkerProcessName : g.bfdProcessName;
  return own ?? g.processName;
}

/** Environment variable: set by cli.ts when -U/--umask fixed the umask (the checker process inherits it). */
export const UMASK_FIXED_ENV = "KEEL_UMASK_FIXED";

export class ProcessIdentity {
  private readonly started: string;
  private current: string | undefined;

  constructor(
    private readonly role: IdentityRole,
    private readonly log: Logger,
  ) {
    this.started = readComm() ?? "keel";
  }

  /** At start and at each reload: the name (when it changed) and the umask. */
  apply(g: GlobalDefs): void {
    const name = processNameFor(this.role, g) ?? (this.current === undefined ? undefined : this.started);
    if (name !== undefined && name !== (this.current ?? this.started)) {
      try {
        setThreadName(name);
        this.current = name;
      } catch (e) {
        // keepalived: "Failed to set process name '%s'", and runs on
        this.log.warn(`Failed to set process name '${name}': ${(e as Error).message}`);
      }
    }
    if (g.umask !== undefined && process.env[UMASK_FIXED_ENV] === undefined) process.umask(g.umask);
  }
}

function readComm(): string | undefined {
  try {
    return readTextFile("/proc/self/comm").trimEnd();
  } catch {
    return undefined;
  }
}
