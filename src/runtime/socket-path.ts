/**
 * Where the control socket may live, for the daemon that binds it and for the clients
 * (`keel status`, `keel attach`, the TUI) that believe what it says.
 *
 * - The directory and every directory above it must be safe as keepalived's script
 *   security defines it (notify.c check_security: owned by root, here root or our euid,
 *   and not writable by others unless sticky), and the socket's own directory must not be
 *   writable by group or others at all, sticky or not: whoever can write there can move
 *   the daemon's socket aside and serve a fake one (keepalived keeps its own sockets and
 *   FIFOs in root-only places for the same reason; keel's default /run/keel is 0700).
 * - A path that exists is replaced only when it is a socket nobody listens on (a crash
 *   left it): a regular file (a typo naming the config file), a symbolic link or a live
 *   socket (another daemon's) is refused, never removed.
 * - At stop the daemon removes the socket only if it is still the one it bound (same
 *   device and inode): a successor may have taken the path. Bun's listener.stop() unlinks
 *   the path it bound whatever is there by then (measured: it deletes a regular file put
 *   in the socket's place), so the socket is bound under a private name and hard-linked
 *   to the public one (link() fails when the path exists: no race with another daemon
 *   binding it meanwhile); Bun's unlink then only hits the private name, already gone.
 */
import { dirname, join, resolve } from "node:path";
// libc, not node:fs: the daemon binds its control socket before its first advert (DESIGN.md rule 6)
import {
  type FileStat as Stats,
  chmodFile as chmodSync,
  linkFile as linkSync,
  lstatFile as lstatSync,
  mkdirAll,
  realPath as realpathSync,
  statFile as statSync,
  unlinkFile as unlinkSync,
} from "../../native-bindings/file";
import { probeUnixStream } from "../../native-bindings/unix-stream";
import { pathPrefixes, unsafeComponent } from "./script-security";

/** sizeof(sockaddr_un.sun_path) - 1: the longest path bind() and connect() take */
const SUN_PATH_MAX = 107;

export interface SocketIdentity {
  dev: number;
  ino: number;
}

/** Owners a control socket and its directories may have: root and the effective uid. */
export function trustedOwners(): number[] {
  const euid = process.geteuid?.() ?? 0;
  return euid === 0 ? [0] : [0, euid];
}

function kind(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "a device file";
}

function mode(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Why a control socket in `dir` could be replaced by another user, or undefined when it
 * cannot. Both the path as written and its real path are walked: a symbolic link on the
 * way (/var/run → /run) is safe only if the directory holding it and its target are.
 */
export function unsafeSocketDir(dir: string, owners: readonly number[] = trustedOwners()): string | undefined {
  const abs = resolve(dir);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (e) {
    return `${abs}: ${(e as Error).message}`;
  }
  for (const top of abs === real ? [abs] : [abs, real]) {
    for (const p of [...pathPrefixes(top), top]) {
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch (e) {
        return `${p}: ${(e as Error).message}`;
      }
      if (!st.isDirectory() && !st.isSymbolicLink()) return `${p} is ${kind(st)}, not a directory`;
      if (unsafeComponent(st, owners)) {
        return owners.includes(st.uid)
          ? `${p} is writable by group or others (mode ${mode(st)}, gid ${st.gid})`
          : `${p} is owned by uid ${st.uid}, not by ${owners.map((u) => (u === 0 ? "root" : `uid ${u}`)).join(" or ")}`;
      }
    }
    // the socket's own directory (followed, when it is a link): no sticky-bit or group exception
    const st = statSync(top);
    if ((st.mode & 0o022) !== 0) return `${top} is writable by group or others (mode ${mode(st)})`;
  }
  return undefined;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Make `path` free for the daemon to bind, or throw why not: the directory is created
 * (0700) when missing and must be safe; an existing path is removed only when it is a
 * socket that refuses connections. Returns what it removed, for the log.
 */
export function claimSocketPath(path: string): { removedStale: boolean } {
  const bytes = Buffer.byteLength(path);
  if (bytes > SUN_PATH_MAX) {
    throw new Error(`control socket path ${path} is ${bytes} bytes; a Unix socket path holds at most ${SUN_PATH_MAX}`);
  }
  const dir = dirname(resolve(path));
  mkdirAll(dir, 0o700);
  const unsafe = unsafeSocketDir(dir);
  if (unsafe) {
    throw new Error(`control socket ${path}: unsafe directory: ${unsafe}; another user could replace the socket`);
  }
  const st = lstatOrUndefined(path);
  if (!st) return { removedStale: false };
  if (!st.isSocket()) {
    throw new Error(`control socket ${path} exists and is ${kind(st)}, not a socket; refusing to remove it`);
  }
  const probe = probeUnixStream(path);
  if (probe.state === "live") {
    const who = probe.pid ? ` (pid ${probe.pid})` : "";
    throw new Error(`control socket ${path} is in use by another keel${who}`);
  }
  if (probe.state === "error") {
    const why = `cannot tell whether it is in use (connect: ${probe.code})`;
    throw new Error(`control socket ${path}: ${why}; refusing to remove it`);
  }
  // ECONNREFUSED: bound by a process that is gone
  unlinkSync(path);
  return { removedStale: true };
}

/**
 * Claim `path` (claimSocketPath), bind with `listen` under a private name in the same
 * directory, set `mode` and publish the socket at `path`. On failure the listener is
 * closed with `close` and the error thrown.
 */
export function bindSocket<L>(
  path: string,
  mode: number,
  listen: (at: string) => L,
  close: (l: L) => void,
): { listener: L; id: SocketIdentity; removedStale: boolean } {
  const { removedStale } = claimSocketPath(path);
  const dir = dirname(resolve(path));
  const priv = join(dir, `.keel-${process.pid}.bind`);
  // bind() under the public name when the private one would not fit in sun_path
  if (Buffer.byteLength(priv) > SUN_PATH_MAX) {
    const listener = listen(path);
    chmodSync(path, mode);
    return { listener, id: identity(path), removedStale };
  }
  // a socket a dead process with our pid left there (the directory is ours alone)
  if (lstatOrUndefined(priv)?.isSocket()) unlinkSync(priv);
  const listener = listen(priv);
  try {
    chmodSync(priv, mode);
    try {
      linkSync(priv, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const msg = `control socket ${path} appeared while this daemon was starting (another keel?); not replacing it`;
      throw new Error(msg);
    }
    return { listener, id: identity(path), removedStale };
  } catch (e) {
    close(listener);
    throw e;
  } finally {
    try {
      unlinkSync(priv);
    } catch {
      // close() may have removed it already
    }
  }
}

function identity(path: string): SocketIdentity {
  const st = lstatSync(path);
  return { dev: st.dev, ino: st.ino };
}

/** Remove the socket at `path` if it is still `id`; true when removed. */
export function releaseSocketPath(path: string, id: SocketIdentity): boolean {
  const st = lstatOrUndefined(path);
  if (!st?.isSocket() || st.dev !== id.dev || st.ino !== id.ino) return false;
  unlinkSync(path);
  return true;
}

/**
 * What a client checks before it believes a control socket: a safe directory and a
 * socket owned by root or by us. Throws UnsafeSocketError; a missing path passes (the
 * connect then reports that nobody is there; nobody else can create it in a safe directory).
 */
export function checkClientSocket(path: string): void {
  const dir = dirname(resolve(path));
  // no directory, no daemon: connect() says so in its own words
  if (!lstatOrUndefined(dir)) return;
  const unsafe = unsafeSocketDir(dir);
  if (unsafe) throw new UnsafeSocketError(`refusing control socket ${path}: unsafe directory: ${unsafe}`);
  const st = lstatOrUndefined(path);
  if (!st) return;
  if (!st.isSocket()) throw new UnsafeSocketError(`refusing control socket ${path}: it is ${kind(st)}, not a socket`);
  const owners = trustedOwners();
  if (!owners.includes(st.uid))
    throw new UnsafeSocketError(
      `refusing control socket ${path}: owned by uid ${st.uid}, not by a daemon we trust (uid ${owners.join(" or ")})`,
    );
}

export class UnsafeSocketError extends Error {
  override name = "UnsafeSocketError";
}
