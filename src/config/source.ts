/**
 * Where config text comes from. The preprocessor asks this interface for files and
 * globs so tests can run it on an in-memory tree; `diskSource` is the real one.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { closeFile, openFile, readFd, realPath, statFile } from "../../native-bindings/file";

export interface ConfigSource {
  /**
   * The file's text as pieces that each end at a line end (but the last), read as they are
   * iterated, or an error message if it cannot be read. Iterating throws a SourceReadError
   * saying why when the file cannot be opened or read after all.
   */
  read(path: string): { ok: true; chunks: Iterable<string>; id: string } | { ok: false; error: string };
  /** Absolute paths matching a glob (csh braces allowed), sorted like glob(3). */
  glob(pattern: string): string[];
}

export function hasWildcards(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/**
 * glob(3), which keepalived uses, has no `**`: a run of stars is one star within a path
 * segment. Bun.Glob's `**` recurses, and following symlinks (needed for conf.d links) a
 * symlink loop under it never ended (found by fuzzing includes); so the runs are collapsed.
 */
function singleStars(pattern: string): string {
  return pattern.replace(/(^|[^\\])\*{2,}/g, "$1*"); // `\*` is a literal star, not part of a run
}

export function resolveInclude(pattern: string, includingFile: string): string {
  // keepalived chdir()s to the including file's directory, so relative paths are relative to it.
  return isAbsolute(pattern) ? pattern : join(dirname(includingFile), pattern);
}

export const diskSource: ConfigSource = {
  read(path) {
    try {
      const st = statFile(path);
      if (st.isDirectory()) return { ok: false, error: "is a directory" };
      // a device or a FIFO never ends (/dev/zero) or blocks the daemon (a FIFO with no writer):
      // found by fuzzing includes. /dev/null, the usual way to include nothing, reads as empty.
      if (!st.isFile()) {
        if (realPath(path) === "/dev/null") return { ok: true, chunks: [], id: "/dev/null" };
        return { ok: false, error: "not a regular file" };
      }
      // realpath is the identity used for include-cycle detection
      const id = realPath(path);
      // opened when iterated, so a file never read (an include cycle) holds no descriptor
      return { ok: true, chunks: { [Symbol.iterator]: () => readChunks(path) }, id };
    } catch (e) {
      return { ok: false, error: errorText(e) };
    }
  },
  glob(pattern) {
    if (!hasWildcards(pattern)) return [pattern];
    // Split off the literal directory prefix so Bun.Glob scans only what it must.
    const parts = pattern.split("/");
    const firstWild = parts.findIndex((p) => hasWildcards(p));
    const base = parts.slice(0, firstWild).join("/") || "/";
    const rest = singleStars(parts.slice(firstWild).join("/"));
    try {
      const g = new Bun.Glob(rest);
      return [...g.scanSync({ cwd: base, onlyFiles: true, followSymlinks: true })].map((p) => resolve(base, p)).sort();
    } catch {
      return [];
    }
  },
};

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === "ENOENT" ? "no such file" : (err.code ?? String(e));
}

/** Reading a file failed once its pieces were asked for (the message is the reason, e.g. EACCES). */
export class SourceReadError extends Error {}

/**
 * A file read 64 KiB at a time and decoded as UTF-8 up to the last line end read (a line
 * end byte is never inside a multi-byte character); a longer line grows the buffer. Read
 * whole, a configuration of 200,000 blocks was one 13 MB string for the whole parse, which
 * the collector also counts as heap to grow from (measured: 16 MB less peak RSS streamed).
 */
function* readChunks(path: string): Generator<string> {
  let fd: number;
  try {
    fd = openFile(path, "r");
  } catch (e) {
    throw new SourceReadError(errorText(e));
  }
  let buf = Buffer.allocUnsafe(1 << 16);
  let have = 0;
  try {
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = readFd(fd, buf, have, buf.length - have);
      } catch (e) {
        throw new SourceReadError(errorText(e));
      }
      if (got === 0) {
        if (have > 0) yield buf.toString("utf8", 0, have);
        return;
      }
      have += got;
      const nl = buf.lastIndexOf(10, have - 1);
      if (nl < 0) continue;
      yield buf.toString("utf8", 0, nl + 1);
      buf.copy(buf, 0, nl + 1, have);
      have -= nl + 1;
    }
  } finally {
    closeFile(fd);
  }
}

/** An in-memory tree of files, for tests and for `keel convert` from stdin. */
export function memorySource(files: Record<string, string>): ConfigSource {
  return {
    read(path) {
      const text = files[path];
      return text === undefined ? { ok: false, error: "no such file" } : { ok: true, chunks: [text], id: path };
    },
    glob(pattern) {
      if (!hasWildcards(pattern)) return [pattern];
      const g = new Bun.Glob(singleStars(pattern));
      return Object.keys(files)
        .filter((p) => g.match(p))
        .sort();
    },
  };
}
