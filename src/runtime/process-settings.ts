/**
 * keepalived's process settings (lib/process.c set_process_priorities,
 * reset_process_priorities, increment_process_priority, set_process_cpu_affinity) for one
 * of keel's processes: the daemon takes the vrrp_* settings (it is keepalived's VRRP
 * child), the checker process the checker_* ones (check_daemon.c start_check).
 *
 * As in keepalived 2.2.7:
 * - `*_rt_priority N`: SCHED_RR | SCHED_RESET_ON_FORK at N, then RLIMIT_RTTIME soft
 *   `*_rlimit_rttime`/2 (SIGXCPU, logged, as a warning) and hard `*_rlimit_rttime`
 *   (default 10000 µs). With a real-time priority `*_priority` (nice) is not applied.
 * - `*_priority N`: setpriority; `*_no_swap`: mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT);
 *   `*_cpu_affinity`: sched_setaffinity (an empty set leaves the affinity alone).
 * - `max_auto_priority [N]`: when a timer fires more than `min_auto_priority_delay` µs
 *   late, go real-time (priority 1) or one step up, to at most N. keepalived checks its
 *   earliest timer on each pass of its scheduler loop (scheduler.c); keel's timers belong
 *   to the JavaScript event loop, so a watchdog timer of our own, armed only when
 *   max_auto_priority is set, measures how late the loop runs it.
 * - reload: every setting is undone (reset_process_priorities) and the new ones applied,
 *   except the CPU affinity, which keepalived never resets: a reload that removes
 *   `*_cpu_affinity` keeps the old mask until restart, as there. RLIMIT_RTTIME also
 *   stays (see reset()).
 * A refused call (EPERM, a CPU that is not there) is logged once with its errno and the
 * process runs on. Scheduler, nice and affinity are per thread in Linux: they are set on
 * the JavaScript thread, which runs every timer and sends every advert.
 */
import type { GlobalDefs } from "../config/global/model";
import type { Logger } from "./log";
import { SyscallError } from "../../native-bindings/errno";
import * as sched from "../../native-bindings/sched";

export interface ProcessSettings {
  /** SCHED_RR priority, 1..99; undefined stays SCHED_OTHER */
  rtPriority?: number;
  /** RLIMIT_RTTIME hard limit in µs (the soft limit is half) */
  rlimitRttime: number;
  /** nice value; 0 leaves it */
  nice: number;
  noSwap: boolean;
  /** empty or undefined leaves the affinity */
  cpuAffinity?: readonly number[];
  /** max_auto_priority: 0 off, -1 keep the previous maximum */
  maxAutoPriority: number;
  /** min_auto_priority_delay in µs */
  minAutoPriorityDelay: number;
}

export type Role = "vrrp" | "checker" | "bfd";

export function settingsFor(role: Role, g: GlobalDefs): ProcessSettings {
  const common = { maxAutoPriority: g.maxAutoPriority, minAutoPriorityDelay: g.minAutoPriorityDelay };
  if (role === "bfd")
    // bfd_daemon.c start_bfd: the bfd_* settings (global_parser.c)
    return {
      ...common,
      rtPriority: g.bfdRtPriority,
      rlimitRttime: g.bfdRlimitRttime,
      nice: g.bfdPriority,
      noSwap: g.bfdNoSwap,
      cpuAffinity: g.bfdCpuAffinity,
    };
  return role === "vrrp"
    ? {
        ...common,
        rtPriority: g.vrrpRtPriority,
        rlimitRttime: g.vrrpRlimitRttime,
        nice: g.vrrpPriority,
        noSwap: g.vrrpNoSwap,
        cpuAffinity: g.vrrpCpuAffinity,
      }
    : {
        ...common,
        rtPriority: g.checkerRtPriority,
        rlimitRttime: g.checkerRlimitRttime,
        nice: g.checkerPriority,
        noSwap: g.checkerNoSwap,
        cpuAffinity: g.checkerCpuAffinity,
      };
}

/** What the process had before keel changed anything; a checker process starts from it. */
interface Origin {
  nice: number;
  cpus: number[];
}

/** The daemon hands its origin to the checker process in this variable (checker-link.ts). */
export const ORIGIN_ENV = "KEEL_SCHED_ORIGIN";

/** The minimum SCHED_RR priority on Linux (sched_get_priority_min) */
const RR_MIN = 1;

export class ProcessScheduling {
  private readonly origin: Origin;
  private curRt = 0;
  private rttimeSet = false;
  private defaultRttime = 0;
  private niceSet = false;
  private locked = false;
  private maxRt = 0;
  private minDelayUs = 1_000_000;
  private watchdog?: ReturnType<typeof setTimeout>;
  private readonly logged = new Set<string>();
  private xcpu?: () => void;

  constructor(
    private readonly role: Role,
    private readonly log: Logger,
    inherited: string | undefined = undefined,
  ) {
    this.origin = this.readOrigin();
    if (inherited !== undefined) this.startFrom(inherited);
  }

  /** For the checker process's environment: the state keepalived's children start from. */
  originEnv(): Record<string, string> {
    return { [ORIGIN_ENV]: JSON.stringify(this.origin) };
  }

  /** set_process_priorities + set_process_cpu_affinity. Never throws. */
  apply(s: ProcessSettings): void {
    if (s.maxAutoPriority !== -1) this.maxRt = s.maxAutoPriority;
    if (s.rtPriority) this.setRealtime(s.rtPriority, s.rlimitRttime);
    else {
      if (s.nice) this.setNice(s.nice);
      this.defaultRttime = s.rlimitRttime;
    }
    this.minDelayUs = s.minAutoPriorityDelay;
    if (s.noSwap && !this.locked)
      this.locked = this.attempt("mlockall", "Unable to lock process in memory", () => sched.lockMemory());
    if (s.cpuAffinity && s.cpuAffinity.length > 0) {
      const cpus = s.cpuAffinity;
      this.attempt("sched_setaffinity", `unable to set cpu affinity to ${this.role} process`, () =>
        sched.setAffinity(cpus),
      );
    }
    this.armWatchdog();
  }

  /** reset_process_priorities: before a reload applies the new settings. Never throws. */
  reset(): void {
    if (this.curRt) {
      if (this.attempt("sched_setscheduler", "cannot reset realtime scheduling", () => sched.setNormalScheduling())) {
        // RLIMIT_RTTIME stays: it counts only real-time CPU time, and raising its hard
        // limit back needs CAP_SYS_RESOURCE (keepalived "restores" a zeroed struct here,
        // which can leave the next real-time run with a hard limit of 0)
        this.curRt = 0;
        this.rttimeSet = false;
      }
    }
    if (this.niceSet) {
      if (this.attempt("setpriority", "Unable to reset process priority", () => sched.setNice(this.origin.nice)))
        this.niceSet = false;
    }
    if (this.locked) {
      this.attempt("munlockall", "Unable to unlock process memory", () => sched.unlockMemory());
      this.locked = false;
    }
  }

  /** At stop: no timer of ours keeps the process alive. */
  stop(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.xcpu) process.off("SIGXCPU", this.xcpu);
    this.xcpu = undefined;
  }

  private setRealtime(priority: number, rlimitUs: number): boolean {
    if (!this.attempt("sched_setscheduler", "cannot raise priority", () => sched.setRoundRobin(priority))) return false;
    this.curRt = priority;
    if (rlimitUs) {
      this.onSigxcpu();
      const soft = BigInt(Math.floor(rlimitUs / 2));
      const ok = this.attempt("setrlimit", "cannot set realtime rlimit", () =>
        sched.setRttimeLimit({ soft, hard: BigInt(rlimitUs) }),
      );
      if (ok) this.rttimeSet = true;
    }
    return true;
  }

  private setNice(nice: number): void {
    if (this.attempt("setpriority", `Unable to set process priority to ${nice}`, () => sched.setNice(nice)))
      this.niceSet = true;
  }

  /** signals.c log_sigxcpu: the soft RLIMIT_RTTIME was crossed; the hard one kills. */
  private onSigxcpu(): void {
    if (this.xcpu) return;
    const who = this.role === "vrrp" ? "VRRP" : this.role === "bfd" ? "BFD" : "Checker";
    this.xcpu = () =>
      this.log.warn(`${who} process has used too much CPU time, ${this.role}_rlimit_rttime may need to be increased`);
    process.on("SIGXCPU", this.xcpu);
  }

  /** scheduler.c: a timer more than min_auto_priority_delay late raises the priority. */
  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.maxRt <= 0) return;
    // often enough to see a stall of min_auto_priority_delay, at most 4 wake-ups a second
    const periodMs = Math.max(10, Math.min(250, this.minDelayUs / 2000));
    const tick = (due: number) => {
      const lateUs = (performance.now() - due) * 1000;
      if (lateUs > this.minDelayUs) {
        this.log.info(`A thread timer expired ${(lateUs / 1e6).toFixed(6)} seconds ago`);
        this.increment();
      }
      this.schedule(tick, periodMs);
    };
    this.schedule(tick, periodMs);
  }

  private schedule(tick: (due: number) => void, ms: number): void {
    const due = performance.now() + ms;
    this.watchdog = setTimeout(() => tick(due), ms);
    this.watchdog.unref?.();
  }

  /** increment_process_priority */
  private increment(): void {
    if (this.curRt >= this.maxRt) return;
    const next = this.curRt ? this.curRt + 1 : RR_MIN;
    if (this.setRealtime(next, this.rttimeSet ? 0 : this.defaultRttime)) this.log.info(`Set realtime priority ${next}`);
  }

  /**
   * Run one call; a refusal is logged once per call and reason (keepalived logs each
   * time it tries, which is at start and reload; keel's watchdog may retry often).
   */
  private attempt(call: string, what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      // a SyscallError carries its errno; anything else (libc not loadable) is logged too:
      // a process setting never stops the daemon, as in keepalived
      const code = e instanceof SyscallError ? e.code : (e as Error).name;
      const key = `${call} ${code}`;
      if (!this.logged.has(key)) {
        this.logged.add(key);
        this.log.warn(`${this.role} process: ${what} - ${(e as Error).message}`);
      }
      return false;
    }
  }

  private readOrigin(): Origin {
    try {
      return sched.ownScheduling();
    } catch (e) {
      // no /proc: nothing to start a checker process from; its settings still apply
      this.log.warn(`${this.role} process: cannot read its scheduling from /proc - ${(e as Error).message}`);
      return { nice: 0, cpus: [] };
    }
  }

  /**
   * A checker process inherits the daemon's nice and affinity (the real-time policy is
   * reset by SCHED_RESET_ON_FORK; RLIMIT_RTTIME is inherited too, and matters only once
   * checker_rt_priority sets its own); keepalived's checker child is forked from the
   * untouched parent, so start from the daemon's origin instead.
   */
  private startFrom(json: string): void {
    let o: Origin;
    try {
      o = JSON.parse(json) as Origin;
    } catch {
      return;
    }
    // set by our own daemon (checker-link.ts); anything else in it is not ours to act on
    if (typeof o?.nice !== "number" || !Array.isArray(o.cpus)) return;
    if (o.nice !== this.origin.nice)
      this.attempt("setpriority", "Unable to reset process priority", () => sched.setNice(o.nice));
    const same = o.cpus.length === this.origin.cpus.length && o.cpus.every((c, i) => c === this.origin.cpus[i]);
    if (!same && o.cpus.length > 0)
      this.attempt("sched_setaffinity", `unable to reset cpu affinity of ${this.role} process`, () =>
        sched.setAffinity(o.cpus),
      );
    Object.assign(this.origin, o);
  }
}
