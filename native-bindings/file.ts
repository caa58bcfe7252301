/**
 * Synchronous file calls through libc, for the daemon's path to its first advert (issue 20,
 * DESIGN.md rule 6): node:fs's evaluation (node:events, validators, fs/promises, glob) was
 * 17% of a compiled daemon's start-up CPU, and the start needs only a few calls (the
 * config file and its includes, pid files, /proc and /sys reads, sysctls, the control
 * socket's path). They go through glibc's `syscall()`: one TinyCC trampoline for all of
 * them (libc.ts: ~0.6 ms of CPU per bound symbol; ten symbols cost what node:fs saved).
 *
 * Failures throw FileError, shaped as node:fs's errors (`code`, negative `errno`,
 * `syscall`, `path`; message "ENOENT: no such file or directory, open '/etc/x'"), so the
 * callers' messages stay what they were with node:fs.
 *
 * What runs only after the first advert, or only for a feature a configuration asks for,
 * takes node:fs through `nodeFs()` below: one `require` on first use, recorded so that
 * test/unit/runtime/start-imports.test.ts can tell whether a start reached it.
 */
import { errno } from "./errno";
import { libc } from "./libc";
import { stablePtr } from "./structs";

// asm/unistd.h: x86-64's table, and the generic one aarch64 uses (it has only the *at calls)
const NR =
  process.arch === "arm64"
    ? {
        read: 63,
        write: 64,
        close: 57,
        openat: 56,
        mkdirat: 34,
        fchmodat: 53,
        linkat: 37,
        unlinkat: 35,
        readlinkat: 78,
        statx: 291,
      }
    : {
        read: 0,
        write: 1,
        close: 3,
        openat: 257,
        mkdirat: 258,
        fchmodat: 268,
        linkat: 265,
        unlinkat: 263,
        readlinkat: 267,
        statx: 332,
      };

/** syscall(2): the result, or −1 with errno set (glibc's wrapper) */
function sys(nr: number, a = 0, b = 0, c = 0, d = 0, e = 0): number {
  return Number(libc.syscall(nr, a, b, c, d, e, 0));
}

// fcntl.h; the same numbers on x86-64 and aarch64 (asm-generic)
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const O_PATH = 0o10000000;
const STATX_BASIC_STATS = 0x7ff;
const S_IFMT = 0o170000;
const PATH_MAX = 4096;

/** libuv's texts (uv_strerror), which node:fs's messages carry, for the codes a file call meets */
const UV_TEXT: Record<number, [string, string]> = {
  1: ["EPERM", "operation not permitted"],
  2: ["ENOENT", "no such file or directory"],
  4: ["EINTR", "interrupted system call"],
  5: ["EIO", "i/o error"],
  6: ["ENXIO", "no such device or address"],
  9: ["EBADF", "bad file descriptor"],
  11: ["EAGAIN", "resource temporarily unavailable"],
  12: ["ENOMEM", "not enough memory"],
  13: ["EACCES", "permission denied"],
  16: ["EBUSY", "resource busy or locked"],
  17: ["EEXIST", "file already exists"],
  18: ["EXDEV", "cross-device link not permitted"],
  19: ["ENODEV", "no such device"],
  20: ["ENOTDIR", "not a directory"],
  21: ["EISDIR", "illegal operation on a directory"],
  22: ["EINVAL", "invalid argument"],
  23: ["ENFILE", "file table overflow"],
  24: ["EMFILE", "too many open files"],
  26: ["ETXTBSY", "text file is busy"],
  27: ["EFBIG", "file too large"],
  28: ["ENOSPC", "no space left on device"],
  30: ["EROFS", "read-only file system"],
  36: ["ENAMETOOLONG", "name too long"],
  39: ["ENOTEMPTY", "directory not empty"],
  40: ["ELOOP", "too many symbolic links encountered"],
  122: ["EDQUOT", "disk quota exceeded"],
};

/** A failed file call, as node:fs reports it. */
export class FileError extends Error {
  readonly code: string;
  /** negative, as node:fs's (libuv's) */
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  constructor(syscall: string, errnoValue: number, path?: string) {
    const [code, text] = UV_TEXT[errnoValue] ?? [`E${errnoValue}`, `unknown error ${errnoValue}`];
    super(`${code}: ${text}, ${syscall}${path === undefined ? "" : ` '${path}'`}`);
    this.name = "Error";
    this.code = code;
    this.errno = -errnoValue;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }
}

const enc = new TextEncoder();
/** a NUL-terminated copy of `path`; hold it until the call returns */
const cpath = (path: string) => enc.encode(`${path}\0`);

export type OpenFlags = "r" | "r+" | "w" | "a";
const FLAGS: Record<OpenFlags, number> = {
  r: O_RDONLY,
  "r+": O_RDWR,
  w: O_WRONLY | O_CREAT | O_TRUNC,
  a: O_WRONLY | O_CREAT | O_APPEND,
};

/** open(2), close-on-exec (node:fs's descriptors are too), `mode` for a file it creates (umask applies) */
export function openFile(path: string, flags: OpenFlags = "r", mode = 0o666): number {
  for (;;) {
    const p = cpath(path);
    const fd = sys(NR.openat, AT_FDCWD, stablePtr(p), FLAGS[flags] | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    const e = errno();
    if (e !== 4) throw new FileError("open", e, path);
  }
}

export function closeFile(fd: number): void {
  // close(2) frees the descriptor even when it reports an error (EINTR included): never retry
  if (sys(NR.close, fd) < 0) throw new FileError("close", errno());
}

/** read(2) into buf[offset, offset+length) from the current position; 0 at the end */
export function readFd(fd: number, buf: Uint8Array, offset = 0, length = buf.length - offset): number {
  for (;;) {
    if (length === 0) return 0;
    const n = sys(NR.read, fd, stablePtr(buf.subarray(offset, offset + length)), length);
    if (n >= 0) return n;
    const e = errno();
    if (e !== 4) throw new FileError("read", e);
  }
}

/** write(2) all of `data` (a short write continues where it stopped) */
export function writeFd(fd: number, data: string | Uint8Array): void {
  let b = typeof data === "string" ? enc.encode(data) : data;
  while (b.length > 0) {
    const n = sys(NR.write, fd, stablePtr(b), b.length);
    if (n < 0) {
      const e = errno();
      if (e === 4) continue;
      throw new FileError("write", e);
    }
    b = b.subarray(n);
  }
}

/** The whole file as bytes: read until the end (a /proc or /sys file has no size to trust). */
export function readFileBytes(path: string): Uint8Array {
  const fd = openFile(path, "r");
  try {
    let buf = new Uint8Array(4096);
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      // a read error names no path, as node:fs's (EISDIR: a directory opens, then fails to read)
      const n = readFd(fd, buf, have);
      if (n === 0) return buf.subarray(0, have);
      have += n;
    }
  } finally {
    sys(NR.close, fd);
  }
}

const utf8 = new TextDecoder();

/** readFileSync(path, "utf8"), or "latin1" (the bytes as they are, one character each) */
export function readTextFile(path: string, encoding: "utf8" | "latin1" = "utf8"): string {
  const b = readFileBytes(path);
  return encoding === "utf8" ? utf8.decode(b) : Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
}

/** writeFileSync(path, text, {mode}): create or truncate, write all, close; `mode` only applies to a new file */
export function writeTextFile(path: string, data: string | Uint8Array, mode = 0o666): void {
  const fd = openFile(path, "w", mode);
  try {
    writeFd(fd, data);
  } catch (e) {
    sys(NR.close, fd);
    throw e instanceof FileError ? new FileError("write", -e.errno, path) : e;
  }
  closeFile(fd);
}

export function unlinkFile(path: string): void {
  const p = cpath(path);
  if (sys(NR.unlinkat, AT_FDCWD, stablePtr(p), 0) < 0) throw new FileError("unlink", errno(), path);
}

/** What statSync / lstatSync say that keel reads (`dev` encoded as glibc's makedev, as node:fs's). */
export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}

// struct statx (linux/stat.h): the same layout on every architecture, unlike struct stat
const STATX_SIZE = 256;

function statxOf(path: string, flags: number, syscall: string): FileStat | undefined {
  const b = new Uint8Array(STATX_SIZE);
  const p = cpath(path);
  if (sys(NR.statx, AT_FDCWD, stablePtr(p), flags, STATX_BASIC_STATS, stablePtr(b)) < 0) {
    const e = errno();
    if (syscall === "") return undefined;
    throw new FileError(syscall, e, path);
  }
  const v = new DataView(b.buffer);
  const mode = v.getUint16(28, true);
  const type = mode & S_IFMT;
  const major = v.getUint32(136, true);
  const minor = v.getUint32(140, true);
  return {
    mode,
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    size: Number(v.getBigUint64(40, true)),
    // glibc's makedev (sys/sysmacros.h)
    dev: ((major & 0xfff) << 8) + (minor & 0xff) + ((minor >>> 8) << 20) + (major >>> 12) * 2 ** 32,
    ino: Number(v.getBigUint64(32, true)),
    isFile: () => type === 0o100000,
    isDirectory: () => type === 0o040000,
    isSymbolicLink: () => type === 0o120000,
    isFIFO: () => type === 0o010000,
    isSocket: () => type === 0o140000,
  };
}

/** statSync(path): follows symbolic links */
export function statFile(path: string): FileStat {
  // named as Node's node:fs names it (and Bun's since 1.4; Bun 1.3's said statx)
  return statxOf(path, 0, "stat") as FileStat;
}

/** lstatSync(path): a symbolic link itself */
export function lstatFile(path: string): FileStat {
  return statxOf(path, AT_SYMLINK_NOFOLLOW, "lstat") as FileStat;
}

/** existsSync(path): anything stat(2) reaches, following symbolic links */
export function fileExists(path: string): boolean {
  return statxOf(path, 0, "") !== undefined;
}

/** chmodSync(path, mode) */
export function chmodFile(path: string, mode: number): void {
  const p = cpath(path);
  if (sys(NR.fchmodat, AT_FDCWD, stablePtr(p), mode) < 0) throw new FileError("chmod", errno(), path);
}

/** linkSync(existing, path): a hard link; EEXIST when `path` exists */
export function linkFile(existing: string, path: string): void {
  const from = cpath(existing);
  const to = cpath(path);
  if (sys(NR.linkat, AT_FDCWD, stablePtr(from), AT_FDCWD, stablePtr(to), 0) < 0) {
    const e = new FileError("link", errno(), existing);
    // node:fs names both paths: "EEXIST: file already exists, link 'a' -> 'b'"
    throw Object.assign(e, { message: `${e.message} -> '${path}'`, dest: path });
  }
}

/**
 * mkdirSync(path, {recursive: true, mode}): each missing directory made with `mode`
 * (umask applies); an existing directory is no error, an existing file is (EEXIST).
 */
export function mkdirAll(path: string, mode = 0o777): void {
  const p = cpath(path);
  if (sys(NR.mkdirat, AT_FDCWD, stablePtr(p), mode) === 0) return;
  const e = errno();
  if (e === 17 /* EEXIST */) {
    if (statxOf(path, 0, "")?.isDirectory()) return;
    throw new FileError("mkdir", e, path);
  }
  const parent = path.replace(/\/+[^/]*\/*$/, "");
  if (e !== 2 /* ENOENT */ || parent === "" || parent === path) throw new FileError("mkdir", e, path);
  mkdirAll(parent, mode);
  if (sys(NR.mkdirat, AT_FDCWD, stablePtr(p), mode) < 0) {
    const again = errno();
    if (again !== 17 || !statxOf(path, 0, "")?.isDirectory()) throw new FileError("mkdir", again, path);
  }
}

/**
 * realpathSync(path): the kernel's own resolution, the file opened with O_PATH (no read
 * permission needed) and its /proc/self/fd link read back, instead of realpath(3)'s walk.
 */
export function realPath(path: string): string {
  const p = cpath(path);
  const fd = sys(NR.openat, AT_FDCWD, stablePtr(p), O_PATH | O_CLOEXEC, 0);
  // Bun's realpathSync reports a failure as its lstat's
  if (fd < 0) throw new FileError("lstat", errno(), path);
  try {
    return readLink(`/proc/self/fd/${fd}`);
  } finally {
    sys(NR.close, fd);
  }
}

/** readlinkSync(path) */
export function readLink(path: string): string {
  const out = new Uint8Array(PATH_MAX);
  const p = cpath(path);
  const n = sys(NR.readlinkat, AT_FDCWD, stablePtr(p), stablePtr(out), out.length);
  if (n < 0) throw new FileError("readlink", errno(), path);
  return utf8.decode(out.subarray(0, n));
}

/**
 * Who took node:fs through `nodeFs()`: a count, and with `trace` on the first caller's
 * stack (test/unit/runtime/start-imports.test.ts starts a daemon and expects none before
 * its first advert).
 */
export const nodeFsUse = { calls: 0, trace: false, first: undefined as string | undefined };

/**
 * node:fs, required on first use (never imported: an import builds its namespace, whose
 * `ReadStream` getter loads node:stream). For what runs after the first advert or only for
 * a feature: watch, readdir, the dumps, FIFOs, the maintenance file's save.
 */
export function nodeFs(): typeof import("node:fs") {
  nodeFsUse.calls++;
  if (nodeFsUse.trace && nodeFsUse.first === undefined) nodeFsUse.first = new Error("node:fs required").stack;
  return require("node:fs") as typeof import("node:fs");
}
