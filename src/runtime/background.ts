/**
 * Going into the background as keepalived does (lib/utils.c / core/daemon.c `xdaemon`: fork,
 * the parent exits, the child calls setsid, chdir("/") and points its standard streams at
 * /dev/null). Bun has no fork(), so the starting process runs its own executable again as a
 * detached session leader (Bun.spawn `detached` calls setsid) with cwd "/" for the
 * daemon's life (the child moves there itself once it has read its configuration) and
 * /dev/null as stdin/stdout/stderr.
 *
 * keepalived's parent exits 0 right after fork, before the daemon has even written its pid
 * file, so a `Type=forking` unit or `start-stop-daemon` can look too early and a start that
 * fails later is only in syslog. keel's starter waits instead, on a readiness pipe (fd 3 of
 * the child, named by KEEL_BACKGROUND, which is also the marker that stops the child from
 * going into the background again): the child writes `READY` where the daemon sends
 * sd_notify READY=1 (pid files written, instances started, "Startup complete"), and the
 * starter exits 0; until then the child relays its warnings and errors, so a start that
 * fails (pid file held by a live keel, socket in use, ...) ends the starter with the
 * daemon's exit status and its error text on stderr.
 */
// libc, not node:fs: the daemon's start loads this module (DESIGN.md rule 6)
import { closeFile, writeFd } from "../../native-bindings/file";
import { runtimeEnv } from "./runtime-env";

/** The marker: the readiness pipe's fd in the background process. */
export const BACKGROUND_ENV = "KEEL_BACKGROUND";
const READY_FD = 3;

/**
 * The four cases (README "Starting keel"): `-n` keeps it in the foreground (headless);
 * `--daemon` goes into the background; without either, a terminal on stdin and stdout
 * shows the TUI and anything else (an init script, a unit) goes into the background.
 */
export function startMode(o: {
  dontFork: boolean;
  daemon: boolean;
  terminal: boolean;
  /** KEEL_CHILD (the checker or BFD process) or KEEL_BACKGROUND (already in the background) */
  child: boolean;
}): "foreground" | "tui" | "background" {
  if (o.child || o.dontFork) return "foreground";
  if (o.daemon || !o.terminal) return "background";
  return "tui";
}

/**
 * The starter: run this executable again with the same arguments in its own session and
 * wait until it is ready (0) or has failed (its exit status, its errors on `io.err`).
 */
export async function startInBackground(argv: readonly string[], io: { err(s: string): void }): Promise<number> {
  // the compiled binary runs itself; under `bun src/main.ts` the script comes too
  const script = process.argv[1];
  const self = script && !script.startsWith("/$bunfs/") ? [process.execPath, script] : [process.execPath];
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([...self, ...argv], {
      env: { ...process.env, ...runtimeEnv(), [BACKGROUND_ENV]: String(READY_FD) },
      stdio: ["ignore", "ignore", "ignore", "pipe"],
      detached: true,
    });
  } catch (e) {
    io.err(`keel: cannot start the daemon in the background: ${(e as Error).message}\n`);
    return 1;
  }
  const fd = child.stdio[READY_FD];
  if (typeof fd !== "number") {
    child.kill("SIGKILL");
    io.err("keel: cannot start the daemon in the background: no readiness pipe\n");
    return 1;
  }
  // the daemon outlives us: only the pipe keeps this process waiting, not the child
  child.unref();
  const relayed: string[] = [];
  const outcome = await readUntilDone(fd, relayed);
  if (outcome.ready) return 0;
  // it failed: its own status (a FAILED line carries it; a crash only has the exit)
  if (outcome.code === undefined) child.ref();
  const code = outcome.code ?? (await child.exited);
  for (const l of relayed) io.err(l.endsWith("\n") ? l : `${l}\n`);
  if (relayed.length === 0)
    io.err(`keel: the daemon (pid ${child.pid}) exited before it was ready (status ${code ?? "?"})\n`);
  return code === 0 || code === null ? 1 : code;
}

/** Lines from the pipe: `LOG <json string>`, then `READY` or `FAILED <status>`; EOF counts as failed. */
async function readUntilDone(fd: number, relayed: string[]): Promise<{ ready: boolean; code?: number }> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of Bun.file(fd).stream()) {
    buf += dec.decode(chunk, { stream: true });
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "READY") return { ready: true };
      if (line.startsWith("FAILED ")) return { ready: false, code: Number(line.slice(7)) };
      if (line.startsWith("LOG ")) relayed.push(JSON.parse(line.slice(4)) as string);
      nl = buf.indexOf("\n");
    }
  }
  return { ready: false };
}

/** The background process's side of the pipe; undefined when this process is not one. */
export interface BackgroundChild {
  /** a warning or error line for the starter, printed if the start fails */
  relay(text: string): void;
  /** the daemon runs: the starter exits 0 */
  ready(): void;
  /** the daemon ended before it was ready: the starter exits with `code` */
  failed(code: number): void;
}

export function backgroundChild(env: NodeJS.ProcessEnv = process.env): BackgroundChild | undefined {
  if (env[BACKGROUND_ENV] === undefined) return undefined;
  const fd = Number(env[BACKGROUND_ENV]);
  // the checker process inherits our environment: the marker means nothing to it
  delete env[BACKGROUND_ENV];
  let open = Number.isInteger(fd) && fd > 2;
  const send = (line: string) => {
    if (!open) return;
    try {
      writeFd(fd, `${line}\n`);
    } catch {
      // the starter is gone (killed): nobody to tell
      open = false;
    }
  };
  const close = () => {
    if (!open) return;
    open = false;
    try {
      closeFile(fd);
    } catch {
      // already closed
    }
  };
  return {
    relay: (text) => send(`LOG ${JSON.stringify(text)}`),
    ready() {
      send("READY");
      close();
    },
    failed(code) {
      send(`FAILED ${code}`);
      close();
    },
  };
}
