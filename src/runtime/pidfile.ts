/**
 * Pid files, as keepalived keeps them (core/pidfile.c): written at start, removed at
 * exit, and a start refused while the pid in one of them is a live process ("daemon is
 * already running"). keel is one process, so the main and the VRRP pid files hold the
 * same pid; keepalived's default paths keep systemd units (PIDFile=) working unchanged.
 */
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { fileExists, readTextFile, unlinkFile, writeTextFile } from "../../native-bindings/file";

export const DEFAULT_PID_FILE = "/run/keepalived.pid";
export const DEFAULT_VRRP_PID_FILE = "/run/keepalived_vrrp.pid";
/** the checker process's (-c), written by that process as keepalived's checker child does */
export const DEFAULT_CHECKERS_PID_FILE = "/run/keepalived_checkers.pid";
/** the BFD process's (-b), written by that process as keepalived's BFD child does */
export const DEFAULT_BFD_PID_FILE = "/run/keepalived_bfd.pid";

/** A live process (not a zombie) with this pid. */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    const stat = readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export interface PidFiles {
  release(): void;
}

/** Write our pid to every path, or return why we must not start. */
export function acquirePidFiles(paths: string[]): PidFiles | { error: string } {
  for (const p of paths) {
    if (!fileExists(p)) continue;
    const pid = Number(readTextFile(p).trim());
    if (alive(pid)) return { error: `daemon is already running (pid ${pid} in ${p})` };
  }
  const written: string[] = [];
  try {
    for (const p of paths) {
      writeTextFile(p, `${process.pid}\n`, 0o644);
      written.push(p);
    }
  } catch (e) {
    for (const p of written) unlinkFile(p);
    return { error: `cannot write pid file: ${(e as Error).message}` };
  }
  return {
    release() {
      for (const p of written) {
        try {
          // only our own: a successor may already have taken the path
          if (Number(readTextFile(p).trim()) === process.pid) unlinkFile(p);
        } catch {
          // already gone
        }
      }
    },
  };
}
