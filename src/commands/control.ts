/**
 * `keel control --stdio [--control-socket PATH]`: standard input and output bridged to the
 * local control socket, byte for byte, so any transport that carries a process's stdio
 * (ssh, `kubectl exec`, `ip netns exec`) carries the control protocol (src/control/protocol.ts)
 * without a network listener of keel's own: whoever may run this command on the host may
 * already connect to the socket (mode 0600, root).
 *
 * The socket is checked as every client checks it (runtime/socket-path.ts): a fake one in a
 * directory others can write is refused. Exit 0 when either side closes; 1 when there is
 * no daemon or the socket is not trusted, with the reason on stderr (fleet shows it).
 */
import { Socket } from "node:net";
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { DEFAULT_CONTROL_SOCKET, parseServerLine } from "../control/protocol";
import { UnsafeSocketError, checkClientSocket } from "../runtime/socket-path";

const USAGE = "usage: keel control --stdio [--control-socket PATH]\n";

const OPTIONS: OptionSpec[] = [
  { long: "stdio", arg: "none" },
  { long: "control-socket", arg: "required" },
  { long: "help", short: "h", arg: "none" },
];

export async function control(
  argv: string[],
  io: Io,
  streams: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream } = process,
): Promise<number> {
  const args = readSubcommand("control", argv, OPTIONS, USAGE, io);
  if (typeof args === "number") return args;
  if (!args.opts.has("stdio")) {
    io.err(`keel control: --stdio is the only mode\n${USAGE}`);
    return 1;
  }
  const path = optValue(args.opts.get("control-socket")) ?? DEFAULT_CONTROL_SOCKET;
  try {
    checkClientSocket(path);
  } catch (e) {
    if (!(e instanceof UnsafeSocketError)) throw e;
    io.err(`keel control: ${e.message}\n`);
    return 1;
  }
  // the handlers first: Bun's node:net reports a missing path before connect() returns
  const sock = new Socket();
  const failed = await new Promise<Error | undefined>((resolve) => {
    sock.once("connect", () => resolve(undefined));
    sock.once("error", (e) => resolve(e));
    sock.connect(path);
  });
  if (failed) {
    io.err(`keel control: no daemon on ${path}: ${failed.message}\n`);
    return 1;
  }
  return bridge(sock, streams.stdin, streams.stdout);
}

/**
 * Copy both ways with backpressure. The end of our input does not half-close the socket at
 * once: the daemon (a Bun listener) drops what arrives together with the FIN unanswered
 * (measured: `printf '{"cmd":"hello"}\n' | keel control --stdio` got no reply). So the
 * bridge counts request lines out and reply lines back (events are not replies; the
 * protocol answers every request with exactly one reply, in order) and ends the socket
 * once every request it carried has its reply. The daemon's end ends us.
 */
function bridge(sock: Socket, stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolve) => {
    let requests = 0;
    let replies = 0;
    let inputEnded = false;
    let fromDaemon = "";
    const endWhenAnswered = () => {
      if (inputEnded && replies >= requests) sock.end();
    };
    stdin.on("data", (chunk: Buffer | string) => {
      const text = chunk.toString();
      // a blank line is no request (the daemon skips it)
      requests += text
        .split("\n")
        .slice(0, -1)
        .filter((l) => l.trim().length > 0).length;
      // a partial line without its newline is carried as is: the daemon waits for the rest
      if (!sock.write(chunk)) stdin.pause();
    });
    sock.on("drain", () => stdin.resume());
    stdin.on("end", () => {
      inputEnded = true;
      endWhenAnswered();
    });
    sock.on("data", (chunk: Buffer) => {
      if (!stdout.write(chunk)) sock.pause();
      fromDaemon += chunk.toString();
      let nl = fromDaemon.indexOf("\n");
      while (nl >= 0) {
        const m = parseServerLine(fromDaemon.slice(0, nl));
        if (!(m.ok && "event" in m.value) && !(!m.ok && m.error.code === "unknown-event")) replies++;
        fromDaemon = fromDaemon.slice(nl + 1);
        nl = fromDaemon.indexOf("\n");
      }
      endWhenAnswered();
    });
    stdout.on("drain", () => sock.resume());
    // the reader of our stdout went away (ssh dropped): nobody listens, stop
    stdout.on("error", () => sock.destroy());
    sock.once("error", () => sock.destroy());
    sock.once("close", () => {
      // stdin may be a pipe that never ends (the transport keeps it open): do not wait for it
      (stdin as NodeJS.ReadStream).pause?.();
      (stdin as NodeJS.ReadStream).destroy?.();
      resolve(0);
    });
  });
}
