/**
 * The kernel's tracer for the benches that split a daemon's latency (advert-trace.ts,
 * failover-trace.ts): a tracefs instance of our own, so the machine's other users keep the
 * top-level buffer, on the `mono` clock (CLOCK_MONOTONIC: the clock hrtimer deadlines
 * and keel's kernel timers count in). Root only.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from "node:fs";
import { type Lab, type Proc, sh } from "../../test/netns/harness";

export const TRACEFS = "/tmp/hjit-advert-trace-fs";
export const SYS = { sendto: 44, sendmsg: 46, epoll_wait: 232, epoll_pwait: 281, epoll_pwait2: 441 } as const;
export const EPOLL = new Set<number>([SYS.epoll_wait, SYS.epoll_pwait, SYS.epoll_pwait2]);
/** x86-64 system call names for the "what else ran" summary */
export const NAMES: Record<number, string> = {
  0: "read",
  1: "write",
  3: "close",
  7: "poll",
  9: "mmap",
  11: "munmap",
  13: "rt_sigaction",
  14: "rt_sigprocmask",
  15: "rt_sigreturn",
  16: "ioctl",
  20: "writev",
  17: "pread64",
  24: "sched_yield",
  28: "madvise",
  44: "sendto",
  45: "recvfrom",
  46: "sendmsg",
  47: "recvmsg",
  56: "clone",
  59: "execve",
  61: "wait4",
  72: "fcntl",
  202: "futex",
  223: "timer_settime",
  228: "clock_gettime",
  232: "epoll_wait",
  233: "epoll_ctl",
  281: "epoll_pwait",
  286: "timerfd_settime",
  299: "recvmmsg",
  441: "epoll_pwait2",
};

export function kallsym(name: string): string {
  const line = readFileSync("/proc/kallsyms", "utf8")
    .split("\n")
    .find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${name} not in /proc/kallsyms`);
  return `0x${line.split(" ")[0]}`;
}

/** A tracefs instance of our own (the machine's other users keep the top-level buffer). */
export class Tracer {
  readonly dir: string;
  constructor(name: string) {
    if (!existsSync(`${TRACEFS}/instances`)) {
      mkdirSync(TRACEFS, { recursive: true });
      sh(["mount", "-t", "tracefs", "nodev", TRACEFS]);
    }
    this.dir = `${TRACEFS}/instances/${name}`;
    if (existsSync(this.dir)) rmdirSync(this.dir);
    mkdirSync(this.dir);
    this.w("trace_clock", "mono");
    this.w("buffer_size_kb", "32768");
  }
  private w(file: string, v: string): void {
    writeFileSync(`${this.dir}/${file}`, v);
  }
  event(path: string, filter: string): void {
    this.w(`events/${path}/filter`, filter);
    this.w(`events/${path}/enable`, "1");
  }
  on(on: boolean): void {
    this.w("tracing_on", on ? "1" : "0");
  }
  /** empty the buffer */
  clear(): void {
    this.w("trace", "");
  }
  read(): string {
    return readFileSync(`${this.dir}/trace`, "utf8");
  }
  /** Remove the instance and its buffer; say so when the kernel keeps it (its memory is held). */
  destroy(): void {
    this.on(false);
    try {
      rmdirSync(this.dir);
    } catch (e) {
      console.error(`cannot remove ${this.dir} (${(e as Error).message}): rmdir it once nothing holds it open`);
    }
  }
}

export interface Ev {
  t: number; // ms, CLOCK_MONOTONIC
  /** the pid of the task the event ran in */
  task: number;
  kind: string;
  text: string;
}

export function parse(trace: string): Ev[] {
  const out: Ev[] = [];
  for (const line of trace.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^\s*.+?-(\d+)\s+\[\d+\].*?\s(\d+\.\d+): (\w+): (.*)$/.exec(line);
    if (!m) continue;
    out.push({ task: Number(m[1]), t: Number(m[2]) * 1000, kind: m[3]!, text: m[4]! });
  }
  return out;
}

export const field = (text: string, name: string) => new RegExp(`${name}=(\\S+)`).exec(text)?.[1];

/** Unmount our tracefs once no instance of ours is left in it. */
export function unmountIfIdle(): void {
  if (existsSync(`${TRACEFS}/instances`) && readdirSync(`${TRACEFS}/instances`).length === 0) {
    sh(["umount", TRACEFS], { allowFail: true });
    try {
      rmdirSync(TRACEFS);
    } catch {
      // still mounted (another run of these benches): it unmounts last
    }
  }
}

/**
 * The thread whose timers an advert waits on: keel's process itself, or keepalived's VRRP
 * child (the process in `host`'s namespace whose parent is in it too).
 */
export function timerThread(lab: Lab, host: string, kind: "keel" | "keepalived", p: Proc): number {
  if (kind === "keel") return p.pid;
  const pids = sh(["ip", "netns", "pids", lab.ns(host)])
    .split("\n")
    .filter(Boolean)
    .map(Number);
  const ppid = (pid: number) => {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
  };
  const child = pids.find((pid) => pids.includes(ppid(pid)));
  if (child === undefined) throw new Error(`keepalived's VRRP child not found among ${pids.join(", ")}`);
  return child;
}

/** The daemon's NETLINK_ROUTE sockets: the fds the VIP's RTM_NEWADDR can go out on. */
export function rtnetlinkFds(pid: number): Set<number> {
  const inodes = new Set(
    readFileSync(`/proc/${pid}/net/netlink`, "utf8")
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1] === "0")
      .map((c) => c[9]),
  );
  const fds = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) fds.add(Number(fd));
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}
