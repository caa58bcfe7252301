/**
 * A byte channel to one node's control protocol: a Unix socket (unix:), or the stdin and
 * stdout of a process (ssh://, exec:) that runs `keel control --stdio` somewhere. The
 * process's stderr is kept for the reason when it ends (`keel control` says "no daemon on
 * ..."; ssh says "Permission denied ..."), so an unreachable node is shown with its cause.
 */
import type { Subprocess } from "bun";
import { checkClientSocket } from "../runtime/socket-path";
import { type Target, targetArgv } from "./target";

export interface Channel {
  write(line: string): void;
  close(): void;
}

export interface ChannelEvents {
  data(chunk: string): void;
  /** once, with why */
  closed(reason: string): void;
}

export async function openChannel(t: Target, on: ChannelEvents): Promise<Channel> {
  const argv = targetArgv(t);
  if (!argv) return openUnix(t.kind === "unix" ? t.path : "", on);
  return openProcess(argv, on);
}

async function openUnix(path: string, on: ChannelEvents): Promise<Channel> {
  checkClientSocket(path);
  let ended = false;
  const end = (why: string) => {
    if (!ended) on.closed(why);
    ended = true;
  };
  // Bun's message is only "Failed to connect": say where and why, as `keel control` does
  const sock = await Bun.connect({
    unix: path,
    socket: {
      data: (_s, chunk) => on.data(chunk.toString()),
      close: () => end("the daemon closed the connection"),
      error: (_s, e) => end(e.message),
    },
  }).catch((e: Error & { code?: string }) => {
    throw new Error(`no daemon on ${path}: ${e.code ? `connect ${e.code}` : e.message}`);
  });
  return {
    write: (line) => {
      sock.write(line);
    },
    close: () => {
      end("closed");
      sock.end();
    },
  };
}

function openProcess(argv: string[], on: ChannelEvents): Channel {
  const proc: Subprocess<"pipe", "pipe", "pipe"> = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let stderr = "";
  let closedByUs = false;
  const readErr = (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr) stderr = (stderr + dec.decode(c, { stream: true })).slice(-2000);
  })();
  void (async () => {
    const dec = new TextDecoder();
    try {
      for await (const c of proc.stdout) on.data(dec.decode(c, { stream: true }));
    } catch {
      // the pipe broke: the exit below says why
    }
    const code = await proc.exited;
    await readErr.catch(() => undefined);
    const last = stderr.trim().split("\n").at(-1)?.trim();
    if (closedByUs) on.closed("closed");
    else on.closed(last ? last : `'${argv.join(" ")}' exited with status ${code}`);
  })();
  return {
    write: (line) => {
      try {
        proc.stdin.write(line);
        proc.stdin.flush();
      } catch {
        // the process is gone; its exit reports it
      }
    },
    close: () => {
      closedByUs = true;
      try {
        proc.stdin.end();
      } catch {
        // already gone
      }
      proc.kill();
    },
  };
}
