/**
 * Scheduling and memory of the calling process (keepalived lib/process.c):
 * sched_setscheduler, RLIMIT_RTTIME, setpriority, mlockall and sched_setaffinity.
 * Each call acts on the calling thread where Linux makes it per thread (scheduler,
 * nice, affinity: pid 0 is the caller), as keepalived's single-threaded processes do;
 * keel calls them from the JavaScript thread, which runs the timers and sends adverts.
 * A refusal throws SyscallError with the errno; the caller logs it and runs on.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { check } from "./errno";
// libc file calls, not node:fs (DESIGN.md rule 6)
import { readTextFile } from "./file";

const { i32, u32, u64 } = FFIType;

/**
 * Its own dlopen, made at the first call: bun:ffi compiles a trampoline per symbol when
 * the table is opened (~0.4 ms each: bench/RESULTS.md, "Start-up"), and most configurations set
 * none of these, so libc.ts's table, which every start opens, does not carry them.
 * errno is still read through libc.ts's __errno_location: the same libc, the same thread.
 */
const SYMBOLS = {
  setrlimit: { args: [i32, FFIType.ptr], returns: i32 },
  sched_setscheduler: { args: [i32, i32, FFIType.ptr], returns: i32 },
  sched_setaffinity: { args: [i32, u64, FFIType.ptr], returns: i32 },
  sched_getaffinity: { args: [i32, u64, FFIType.ptr], returns: i32 },
  setpriority: { args: [i32, u32, i32], returns: i32 },
  mlockall: { args: [i32], returns: i32 },
  munlockall: { args: [], returns: i32 },
  prctl: { args: [i32, FFIType.ptr, u64, u64, u64], returns: i32 },
} as const;
let opened: ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"] | undefined;
function lib() {
  opened ??= dlopen("libc.so.6", SYMBOLS).symbols;
  return opened;
}

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

/** SCHED_RR | SCHED_RESET_ON_FORK at `priority` (1..99), as keepalived sets it. */
export function setRoundRobin(priority: number): void {
  const sp = new Int32Array([priority]);
  check(
    "sched_setscheduler",
    lib().sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, ptr(sp)),
    `SCHED_RR ${priority}`,
  );
}

/** Back to SCHED_OTHER (keepalived reset_process_priorities). */
export function setNormalScheduling(): void {
  const sp = new Int32Array([0]);
  check("sched_setscheduler", lib().sched_setscheduler(0, SCHED_OTHER, ptr(sp)), "SCHED_OTHER");
}

export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

export function setRttimeLimit(l: Rlimit): void {
  const rl = new BigUint64Array([l.soft, l.hard]);
  check("setrlimit", lib().setrlimit(RLIMIT_RTTIME, ptr(rl)), `RLIMIT_RTTIME ${l.soft}:${l.hard}`);
}

export function setNice(nice: number): void {
  check("setpriority", lib().setpriority(PRIO_PROCESS, 0, nice), `nice ${nice}`);
}

/** mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), keepalived set_process_dont_swap. */
export function lockMemory(): void {
  check("mlockall", lib().mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT));
}

export function unlockMemory(): void {
  check("munlockall", lib().munlockall());
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
  check("sched_setaffinity", lib().sched_setaffinity(0, mask.length, ptr(mask)), `cpus ${cpus.join(",")}`);
}

export function getAffinity(): number[] {
  const mask = new Uint8Array(CPU_SETSIZE / 8);
  check("sched_getaffinity", lib().sched_getaffinity(0, mask.length, ptr(mask)));
  return cpusOf(mask);
}

/** /proc/PID/status Cpus_allowed_list ("0-3,8,10-11") → the CPUs, ascending. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a CPU list: '${text}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/**
 * The main thread's nice value and CPUs, from /proc (no foreign call, so a start that sets
 * nothing never opens the table above). The main thread is the JavaScript thread.
 */
export function ownScheduling(): { nice: number; cpus: number[] } {
  const stat = readTextFile("/proc/self/stat");
  // field 19, counted after the parenthesised command name (which may hold spaces)
  const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(readTextFile("/proc/self/status"))?.[1] ?? "";
  return { nice, cpus: parseCpuList(list) };
}

const PR_SET_NAME = 15;
/** TASK_COMM_LEN: the kernel keeps 15 bytes and a NUL */
export const TASK_COMM_LEN = 16;

/**
 * The calling thread's name (prctl PR_SET_NAME, as keepalived's set_process_name): on the
 * main thread it is the process's /proc/PID/comm, what ps and pgrep show. The kernel cuts
 * it to 15 bytes.
 */
export function setThreadName(name: string): void {
  const b = new Uint8Array(TASK_COMM_LEN);
  b.set(new TextEncoder().encode(name).subarray(0, TASK_COMM_LEN - 1));
  check("prctl(PR_SET_NAME)", lib().prctl(PR_SET_NAME, ptr(b), 0n, 0n, 0n), name);
}
