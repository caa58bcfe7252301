/**
 * Where `keel fleet` reaches a node: `unix:PATH` (a control socket on this host),
 * `ssh://[user@]host[:port][?socket=PATH]` (the system's ssh runs `keel control --stdio`
 * there: keys, known_hosts and jump hosts stay the user's own), or `exec:COMMAND`
 * (`sh -c COMMAND`, whose stdin/stdout carry the protocol: `ip netns exec h1 keel control
 * --stdio`, `kubectl exec -i pod -- keel control --stdio`). Pure: parsing and argv only.
 */

export type Target =
  | { kind: "unix"; path: string }
  | { kind: "ssh"; user?: string; host: string; port?: number; socket?: string }
  | { kind: "exec"; command: string };

export type ParsedTarget = { ok: true; value: Target } | { ok: false; error: string };

export function parseTarget(text: string): ParsedTarget {
  const fail = (why: string): ParsedTarget => ({ ok: false, error: `target '${text}': ${why}` });
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    return path ? { ok: true, value: { kind: "unix", path } } : fail("unix: needs a socket path");
  }
  if (text.startsWith("exec:")) {
    const command = text.slice(5).trim();
    return command ? { ok: true, value: { kind: "exec", command } } : fail("exec: needs a command");
  }
  if (text.startsWith("ssh://")) {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return fail("not an ssh://[user@]host[:port][?socket=PATH] address");
    }
    if (!u.hostname) return fail("ssh:// needs a host");
    if (u.password) return fail("ssh:// takes no password (ssh runs with BatchMode: use keys)");
    if (u.pathname && u.pathname !== "/") return fail(`ssh:// takes no path ('${u.pathname}'); use ?socket=PATH`);
    for (const k of u.searchParams.keys()) if (k !== "socket") return fail(`unknown parameter '${k}' (known: socket)`);
    const t: Target = { kind: "ssh", host: u.hostname.replace(/^\[(.*)\]$/, "$1") };
    if (u.username) t.user = decodeURIComponent(u.username);
    if (u.port) t.port = Number(u.port);
    const socket = u.searchParams.get("socket");
    if (socket !== null) {
      if (!socket.startsWith("/")) return fail("socket= must be an absolute path");
      t.socket = socket;
    }
    // one argument each: a host or user starting with "-" would be read by ssh as an option
    if (t.host.startsWith("-") || t.user?.startsWith("-")) return fail("host and user may not start with '-'");
    return { ok: true, value: t };
  }
  return fail("not unix:PATH, ssh://[user@]host[:port][?socket=PATH] or exec:COMMAND");
}

/** A short name for output: the host, the socket path, or the command. */
export function targetName(t: Target): string {
  if (t.kind === "unix") return t.path;
  if (t.kind === "ssh") return t.host;
  return t.command;
}

/** The process that carries the protocol (none for unix:, which is connected to directly). */
export function targetArgv(t: Target): string[] | undefined {
  if (t.kind === "unix") return undefined;
  if (t.kind === "exec") return ["sh", "-c", t.command];
  const remote = ["keel", "control", "--stdio"];
  // the remote side is a shell command line: quote the path
  if (t.socket) remote.push("--control-socket", `'${t.socket.replaceAll("'", "'\\''")}'`);
  return [
    "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "ServerAliveInterval=5",
    ...(t.port ? ["-p", String(t.port)] : []),
    ...(t.user ? ["-l", t.user] : []),
    "--",
    t.host,
    ...remote,
  ];
}
