/**
 * Scheduling and memory of the calling process (keepalived lib/process.c):
 * sched_setscheduler, RLIMIT_RTTIME, setpriority, mlockall and sched_setaffinity.
 * Each call acts on the calling thread where Linux makes it per thread (scheduler,
 * nice, affinity: pid 0 is the caller), as keepalived's single-threaded processes do;
 * keel calls them from the JavaScript thread, which runs the timers and sends adverts.
 * A refusal throws SyscallError with the errno; the caller logs it and runs on.
 */
import { ptr } from "bun:ffi";
import { check } from "./errno";
import { libc } from "./libc";

const SCHED_OTHER = 0;
const SCHED_RR = 2;
/** children (scripts, the checker process) start back at SCHED_OTHER (sched(7)) */
const SCHED_RESET_ON_FORK = 0x40000000;
const RLIMIT_RTTIME = 15;
const PRIO_PROCESS = 0;
const MCL_CURRENT = 1;
const MCL_FUTURE = 2;
/** since Linux 4.4: lock pages as they are touched, not the whole reserved address space */
const MCL_ONFAULT = 4;
/** CPU_SETSIZE: glibc's cpu_set_t is 1024 bits */
export const CPU_SETSIZE = 1024;
/** RLIM_INFINITY is (rlim_t)-1 on x86-64 and aarch64 */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** SCHED_RR | SCHED_RESET_ON_FORK at `priority` (1..99), as keepalived sets it. */
export function setRoundRobin(priority: number): void {
  const sp = new Int32Array([priority]);
  check(
    "sched_setscheduler",
    libc.sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, ptr(sp)),
    `SCHED_RR ${priority}`,
  );
}

/** Back to SCHED_OTHER (keepalived reset_process_priorities). */
export function setNormalScheduling(): void {
  const sp = new Int32Array([0]);
  check("sched_setscheduler", libc.sched_setscheduler(0, SCHED_OTHER, ptr(sp)), "SCHED_OTHER");
}

/** The calling thread's policy (without the reset-on-fork flag) and real-time priority. */
export function getScheduling(): { policy: "other" | "rr" | "fifo" | number; priority: number } {
  const raw = check("sched_getscheduler", libc.sched_getscheduler(0)) & ~SCHED_RESET_ON_FORK;
  const sp = new Int32Array(1);
  check("sched_getparam", libc.sched_getparam(0, ptr(sp)));
  const policy = raw === SCHED_OTHER ? "other" : raw === SCHED_RR ? "rr" : raw === 1 ? "fifo" : raw;
  return { policy, priority: sp[0] ?? 0 };
}

export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

export function getRttimeLimit(): Rlimit {
  const rl = new BigUint64Array(2);
  check("getrlimit", libc.getrlimit(RLIMIT_RTTIME, ptr(rl)), "RLIMIT_RTTIME");
  return { soft: rl[0] ?? RLIM_INFINITY, hard: rl[1] ?? RLIM_INFINITY };
}

export function setRttimeLimit(l: Rlimit): void {
  const rl = new BigUint64Array([l.soft, l.hard]);
  check("setrlimit", libc.setrlimit(RLIMIT_RTTIME, ptr(rl)), `RLIMIT_RTTIME ${l.soft}:${l.hard}`);
}

/** The calling thread's nice value (it cannot fail for PRIO_PROCESS 0, so -1 is a value). */
export function getNice(): number {
  return libc.getpriority(PRIO_PROCESS, 0);
}

export function setNice(nice: number): void {
  check("setpriority", libc.setpriority(PRIO_PROCESS, 0, nice), `nice ${nice}`);
}

/** mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), keepalived set_process_dont_swap. */
export function lockMemory(): void {
  check("mlockall", libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT));
}

export function unlockMemory(): void {
  check("munlockall", libc.munlockall());
}

/** cpu_set_t for `cpus` (CPU_SET: bit i%8 of byte i/8); ids outside the set are an error. */
export function cpuMask(cpus: readonly number[]): Uint8Array {
  const mask = new Uint8Array(CPU_SETSIZE / 8);
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0 || c >= CPU_SETSIZE)
      throw new RangeError(`cpu ${c} is not in 0..${CPU_SETSIZE - 1}`);
    mask[c >> 3] = (mask[c >> 3] ?? 0) | (1 << (c & 7));
  }
  return mask;
}

/** The CPUs set in a cpu_set_t, ascending. */
export function cpusOf(mask: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length * 8; i++) if (((mask[i >> 3] ?? 0) >> (i & 7)) & 1) out.push(i);
  return out;
}

export function setAffinity(cpus: readonly number[]): void {
  const mask = cpuMask(cpus);
  check("sched_setaffinity", libc.sched_setaffinity(0, mask.length, ptr(mask)), `cpus ${cpus.join(",")}`);
}

export function getAffinity(): number[] {
  const mask = new Uint8Array(CPU_SETSIZE / 8);
  check("sched_getaffinity", libc.sched_getaffinity(0, mask.length, ptr(mask)));
  return cpusOf(mask);
}
