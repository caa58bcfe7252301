/** The script runner's contract as src/check sees it (the runtime's exec.ts implements it). */
export interface RunResult {
  /** exit status, or undefined when killed by a signal */
  code?: number;
  signal?: string;
  timedOut: boolean;
  ms: number;
  /** a spawn failure (no such file, permission) */
  error?: string;
}

export interface RunOptions {
  /** extra words after the script's own (notify: INSTANCE name STATE priority) */
  args?: string[];
  timeoutMs?: number;
  /** default user when the script names none (global script_user) */
  defaultUser?: { user: string; group?: string };
  /**
   * global set_supplementary_groups: the script runs with its user's supplementary groups
   * (getgrouplist); without it keepalived leaves it only its group (setgroups(1, &gid))
   */
  supplementaryGroups?: boolean;
  /**
   * global use_symlink_paths (keepalived 2.4): the program runs by the path as written
   * (`//`, `/./`, `/../` removed) rather than by its real path (runtime/exec.ts programPath)
   */
  keepSymlinks?: boolean;
  env?: Record<string, string>;
}
