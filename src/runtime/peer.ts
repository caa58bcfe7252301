/**
 * Who is at the other end of a control connection: SO_PEERCRED (the kernel's record of
 * the connecting process, which the client cannot forge), with the uid resolved to a
 * user name from /etc/passwd as `id -un` would. An operation's event and log line name
 * it ("root (uid 0, pid 4242)"). Over `keel control --stdio` (ssh, exec:) the peer is the
 * bridge process, run as the user the transport logged in as.
 */
import { peerCredentials } from "../../native-bindings/unix-stream";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export interface Peer {
  uid?: number;
  pid?: number;
  user?: string;
  /** "root (uid 0, pid 4242)", or "unknown peer" when the kernel gave nothing */
  text: string;
}

/** The user name of `uid` in `passwd` (the text of /etc/passwd); undefined when not listed. */
export function userName(uid: number, passwd: string): string | undefined {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[2] === String(uid) && f[0]) return f[0];
  }
  return undefined;
}

export function peerText(p: { uid?: number; pid?: number; user?: string }): string {
  if (p.uid === undefined) return "unknown peer";
  return `${p.user ?? `uid ${p.uid}`} (uid ${p.uid}${p.pid ? `, pid ${p.pid}` : ""})`;
}

/** The peer of a connected Unix socket's fd (Bun's `socket.fd`). */
export function peerOf(fd: number | undefined): Peer {
  const cred = fd === undefined || fd < 0 ? undefined : peerCredentials(fd);
  if (!cred) return { text: "unknown peer" };
  let passwd = "";
  try {
    passwd = nodeFs().readFileSync("/etc/passwd", "utf8");
  } catch {
    // no passwd file (a container): the uid alone
  }
  const p: Peer = { uid: cred.uid, pid: cred.pid, text: "" };
  const user = userName(cred.uid, passwd);
  if (user !== undefined) p.user = user;
  p.text = peerText(p);
  return p;
}
