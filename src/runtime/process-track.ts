/**
 * vrrp_track_process's bookkeeping, as keepalived's core/track_process.c keeps it: which
 * processes (by pid) each tracker counts, filled by a /proc scan (read_procs) and then
 * kept up to date by process events (check_process_fork, check_process on exec,
 * check_process_comm_change, check_process_termination). No I/O of its own: the caller
 * gives the /proc reader and the timer (process-monitor.ts feeds it from the kernel's
 * connector, or from a scan each second where there is none).
 *
 * Matching (check_process / check_params): the name is the comm (/proc/PID/stat), or
 * argv[0] with `full_command`; with parameters (or param_match) the rest of the command
 * line, NUL-separated, is compared as keepalived compares bytes: exact = equal, partial =
 * the configured parameters are the first ones, initial = as partial but the last one
 * need only start the process's parameter. A comm change affects the trackers that match
 * on comm only; a fork adds the child wherever its parent counts (threads are not
 * processes: keepalived skips tid != tgid, and so does the caller).
 *
 * Up = the count is within quorum..quorum_max. A change must last fork_delay (gaining)
 * or terminate_delay (losing) seconds before it counts, and a change back within the delay
 * cancels it (keepalived's fork/terminate timer threads); the first state after start
 * counts at once.
 */
import type { TrackProcess } from "../config/vrrp/model";
import { processQuorum } from "../config/vrrp/tracking";

/** What keel reads of a process: its comm, and its raw command line when a tracker needs it. */
export interface ProcInfo {
  comm: string;
  /** /proc/PID/cmdline as read (NUL-separated, usually NUL-terminated) */
  cmdline: string;
}

export type ReadProc = (pid: number) => ProcInfo | undefined;
/** Run `fn` after `ms`; the result cancels it. */
export type Schedule = (ms: number, fn: () => void) => () => void;
export type OnProcessChange = (p: TrackProcess, up: boolean, count: number) => void;

export class ProcessTable {
  /** pid → the names of the trackers counting it */
  private readonly pids = new Map<number, Set<string>>();
  private readonly count = new Map<string, number>();
  private readonly up = new Map<string, boolean>();
  private readonly timers = new Map<string, { up: boolean; cancel: () => void }>();
  private readonly byName = new Map<string, TrackProcess>();

  constructor(
    procs: readonly TrackProcess[],
    private readonly read: ReadProc,
    private readonly schedule: Schedule,
    private readonly onChange: OnProcessChange,
  ) {
    for (const p of procs) if (p.process) this.byName.set(p.name, p);
  }

  /** Whether any tracker needs /proc/PID/cmdline (keepalived's vrrp_use_process_cmdline). */
  get needsCmdline(): boolean {
    for (const p of this.byName.values()) if (p.fullCommand) return true;
    return false;
  }

  /**
   * Count from a full list of processes, replacing what was known (the start, a resync after
   * lost events, or the fallback's scan each second); then each tracker settles.
   */
  scan(procs: Iterable<[number, ProcInfo]>): void {
    this.pids.clear();
    for (const name of this.byName.keys()) this.count.set(name, 0);
    for (const [pid, info] of procs) {
      for (const p of this.byName.values()) if (processMatches(p, info)) this.add(pid, p.name);
    }
    for (const p of this.byName.values()) this.settle(p);
  }

  /** PROC_EVENT_FORK of a process (not a thread): the child counts wherever the parent does. */
  fork(parent: number, child: number): void {
    const of = this.pids.get(parent);
    if (!of) return;
    for (const name of [...of]) this.add(child, name);
    for (const name of of) this.settle(this.byName.get(name)!);
  }

  /** PROC_EVENT_EXEC: a new command line; the process is matched again (keepalived check_process). */
  exec(pid: number): void {
    const info = this.read(pid);
    if (!info) return; // gone already: its exit event follows
    for (const p of this.byName.values()) this.setMember(pid, p, processMatches(p, info));
  }

  /** PROC_EVENT_COMM: only trackers matching on the comm look at it (check_process_comm_change). */
  comm(pid: number, comm: string): void {
    for (const p of this.byName.values())
      if (!p.fullCommand) this.setMember(pid, p, processMatches(p, { comm, cmdline: "" }));
  }

  /** PROC_EVENT_EXIT of a process: it counts nowhere any more. */
  exit(pid: number): void {
    const of = this.pids.get(pid);
    if (!of) return;
    this.pids.delete(pid);
    for (const name of of) {
      this.count.set(name, (this.count.get(name) ?? 1) - 1);
      this.settle(this.byName.get(name)!);
    }
  }

  state(name: string): { count: number; up: boolean; forkPending: boolean; terminatePending: boolean } {
    const t = this.timers.get(name);
    return {
      count: this.count.get(name) ?? 0,
      up: this.up.get(name) ?? false,
      forkPending: t?.up === true,
      terminatePending: t?.up === false,
    };
  }

  /** The pids a tracker counts (the JSON dump, tests). */
  pidsOf(name: string): number[] {
    return [...this.pids].filter(([, s]) => s.has(name)).map(([pid]) => pid);
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  private setMember(pid: number, p: TrackProcess, member: boolean): void {
    const has = this.pids.get(pid)?.has(p.name) === true;
    if (member === has) return;
    if (member) this.add(pid, p.name);
    else {
      const s = this.pids.get(pid)!;
      s.delete(p.name);
      if (s.size === 0) this.pids.delete(pid);
      this.count.set(p.name, (this.count.get(p.name) ?? 1) - 1);
    }
    this.settle(p);
  }

  private add(pid: number, name: string): void {
    let s = this.pids.get(pid);
    if (!s) {
      s = new Set();
      this.pids.set(pid, s);
    }
    if (s.has(name)) return; // a fork event for a child the scan already counted
    s.add(name);
    this.count.set(name, (this.count.get(name) ?? 0) + 1);
  }

  private settle(p: TrackProcess): void {
    const count = this.count.get(p.name) ?? 0;
    const want = inQuorum(p, count);
    const was = this.up.get(p.name);
    const pending = this.timers.get(p.name);
    if (was === want) {
      // back within the delay: the change never counted (keepalived cancels the timer)
      pending?.cancel();
      this.timers.delete(p.name);
      return;
    }
    if (pending?.up === want) return;
    pending?.cancel();
    this.timers.delete(p.name);
    const delayS = was === undefined ? 0 : want ? (p.forkDelay ?? 0) : (p.terminateDelay ?? 0);
    if (delayS > 0) {
      const cancel = this.schedule(delayS * 1000, () => {
        this.timers.delete(p.name);
        this.set(p, inQuorum(p, this.count.get(p.name) ?? 0));
      });
      this.timers.set(p.name, { up: want, cancel });
      return;
    }
    this.set(p, want);
  }

  private set(p: TrackProcess, up: boolean): void {
    if (this.up.get(p.name) === up) return;
    this.up.set(p.name, up);
    this.onChange(p, up, this.count.get(p.name) ?? 0);
  }
}

export function inQuorum(p: TrackProcess, count: number): boolean {
  return count >= processQuorum(p) && (p.quorumMax === undefined || count <= p.quorumMax);
}

/** keepalived's match of one process against one tracker (check_process, check_params). */
export function processMatches(p: TrackProcess, info: ProcInfo): boolean {
  if (!p.process) return false;
  let name: string;
  let args = "";
  if (p.fullCommand) {
    const nul = info.cmdline.indexOf("\0");
    name = nul < 0 ? info.cmdline : info.cmdline.slice(0, nul);
    args = nul < 0 ? "" : info.cmdline.slice(nul + 1);
    if (name !== p.process) return false;
    // track_process.c read_procs/check_process: strcmp(comm, process_path), the whole name.
    // The kernel keeps 15 bytes of comm (TASK_COMM_LEN), so a longer name never matches
    // without full_command (keel -t warns, src/config/vrrp/tracking.ts)
  } else if (info.comm !== p.process) return false;
  if (p.paramMatch === undefined) return true;
  const want = (p.params ?? []).map((x) => `${x}\0`).join("");
  if (p.paramMatch === "exact") return args === want;
  if (args.length < want.length) return false;
  if (want === "") return true;
  if (p.paramMatch === "partial") return args.startsWith(want);
  // initial: the last parameter may be the start of the process's one
  return want.length === 1 || args.startsWith(want.slice(0, -1));
}
