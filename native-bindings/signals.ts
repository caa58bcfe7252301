/**
 * Signals the runtime cannot name: keepalived's SIGJSON (SIGRTMIN+2) and STATS_CLEAR
 * (SIGRTMAX-1) are real-time signals, whose default action kills the process, and Bun's
 * process.on() knows none of them. The handler writes the signal number to a non-blocking
 * self-pipe (write(2) is async-signal-safe); the pipe is watched like any socket
 * (readiness.ts), so the callback runs on the main thread.
 *
 * The handler is nine machine instructions in a page of their own (signal-handler-code.ts
 * has them, per architecture). It was C compiled in-process by bun:ffi's TinyCC, which
 * cost every daemon start node:os and node:path, a temporary directory, a libc.so link,
 * seven header files under /tmp/bun-cc and the compile (issue 20). signalfd needs no code
 * but works only when every thread blocks the signal, and Bun's threads exist before
 * keel runs.
 */
import { toArrayBuffer } from "bun:ffi";
import { check } from "./errno";
import { libc } from "./libc";
import { watchReadable } from "./readiness";
import { handlerCode } from "./signal-handler-code";
import { isAddress } from "./structs";

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_PRIVATE = 2;
const MAP_ANONYMOUS = 0x20;
/** one page on every Linux page size: mmap and mprotect round the length up */
const CODE_BYTES = 4096;

let handler: number | undefined;
let readFd = -1;
const callbacks = new Map<number, () => void>();

/**
 * A user-space address, not 0 and not MAP_FAILED / SIG_ERR ((void *)-1). @types/bun 1.4
 * types a pointer return as `Pointer | bigint | null`; bun:ffi gives a number for every
 * user-space address, so a bigint is refused like any other non-address.
 */

function setup(): void {
  if (handler !== undefined) return;
  const code = handlerCode(process.arch);
  if (!code) throw new Error(`no signal handler for ${process.arch}`);
  const fds = new Int32Array(2);
  check("pipe2", libc.pipe2(fds, O_NONBLOCK | O_CLOEXEC));
  readFd = fds[0]!;
  const page = libc.mmap(null, CODE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!isAddress(page)) throw new Error("mmap of the signal handler's page failed");
  new Uint8Array(toArrayBuffer(page, 0, CODE_BYTES)).set(code(fds[1]!));
  // executable and no longer writable; on aarch64 the kernel makes the instruction cache
  // see the new page when it first maps it executable (set_pte_at → __sync_icache_dcache)
  check("mprotect", libc.mprotect(page, CODE_BYTES, PROT_READ | PROT_EXEC));
  handler = page;
  const buf = new Uint8Array(64);
  watchReadable(readFd, () => {
    for (;;) {
      const n = Number(libc.read(readFd, buf, buf.length));
      if (n <= 0) break;
      for (let i = 0; i < n; i++) callbacks.get(buf[i]!)?.();
    }
  });
}

/** Call `cb` (on the main thread) whenever signal `signum` arrives. */
export function onSignal(signum: number, cb: () => void): void {
  setup();
  callbacks.set(signum, cb);
  // glibc's signal(): BSD semantics (SA_RESTART, the handler stays installed), as the C
  // handler had. It returns the previous one: SIG_DFL (null), SIG_IGN (1), ours, or SIG_ERR
  const previous = libc.signal(signum, handler as number);
  if (previous !== null && !isAddress(previous)) throw new Error(`cannot install a handler for signal ${signum}`);
}
