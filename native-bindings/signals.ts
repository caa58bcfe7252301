/**
 * Signals the runtime cannot name: keepalived's SIGJSON (SIGRTMIN+2) and STATS_CLEAR
 * (SIGRTMAX-1) are real-time signals, whose default action kills the process, and Bun's
 * process.on() knows none of them. A few lines of C, compiled in-process by bun:ffi's
 * TinyCC (no system headers needed), install a handler that writes the signal number to
 * a non-blocking self-pipe (write(2) is async-signal-safe); the pipe is watched like any
 * socket (readiness.ts), so the callback runs on the main thread.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cc } from "bun:ffi";
import { check } from "./errno";
import { libc } from "./libc";
import { watchReadable } from "./readiness";

const HANDLER_C = `typedef void (*sighandler_t)(int);
extern sighandler_t signal(int sig, sighandler_t handler);
extern long write(int fd, const void *buf, unsigned long n);
static int keel_wfd = -1;
static void keel_handler(int sig) { unsigned char b = (unsigned char)sig; if (keel_wfd >= 0) write(keel_wfd, &b, 1); }
int keel_catch_signal(int sig, int fd) { keel_wfd = fd; return signal(sig, keel_handler) == (sighandler_t)-1 ? -1 : 0; }
`;

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

let install: ((sig: number, fd: number) => number) | undefined;
let readFd = -1;
let writeFd = -1;
const callbacks = new Map<number, () => void>();

/**
 * The libc.so.6 this process runs with, from /proc/self/maps. bun:ffi's cc always links
 * with -lc, and TinyCC finds "libc.so" only where libc6-dev puts it: on a host without
 * compilers (a minimal Debian with keel's package, found by test/package/install.test.ts)
 * the compile failed with "library 'c' not found". A libc.so link to the libc already
 * loaded, on TinyCC's library path, serves every architecture and host layout.
 */
function loadedLibc(): string | undefined {
  return readFileSync("/proc/self/maps", "utf8").match(/\s(\/\S*\/libc\.so\.6)$/m)?.[1];
}

function setup(): void {
  if (install) return;
  // TinyCC reads the source from a real file (the compiled binary's own files are not one)
  const dir = mkdtempSync(join(tmpdir(), "keel-cc-"));
  try {
    const path = join(dir, "signals.c");
    writeFileSync(path, HANDLER_C);
    const libcPath = loadedLibc();
    if (libcPath) symlinkSync(libcPath, join(dir, "libc.so"));
    const lib = cc({
      source: path,
      symbols: { keel_catch_signal: { args: ["int", "int"], returns: "int" } },
      flags: [`-L${dir}`],
    });
    install = lib.symbols.keel_catch_signal as (sig: number, fd: number) => number;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fds = new Int32Array(2);
  check("pipe2", libc.pipe2(fds, O_NONBLOCK | O_CLOEXEC));
  readFd = fds[0]!;
  writeFd = fds[1]!;
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
  if (install?.(signum, writeFd) !== 0) throw new Error(`cannot install a handler for signal ${signum}`);
}
