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
import { type Socket, createConnection } from "node:net";
import { optValue, readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
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
  const sock = createConnection(path);
  const connected = await new Promise<Error | undefined>((resolve) => {
    sock.once("connect", () => resolve(undefined));
    sock.once("error", (e) => resolve(e));
  });
  if (connected) {
    io.err(`keel control: no daemon on ${path}: ${connected.message}\n`);
    return 1;
  }
  return bridge(sock, streams.stdin, streams.stdout);
}

/**
 * Pipe both ways with backpressure (stream.pipe). The end of our input half-closes the
 * socket, so replies to the last requests still come back; the daemon's end ends us.
 */
function bridge(sock: Socket, stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolve) => {
    stdin.pipe(sock);
    sock.pipe(stdout, { end: false });
    // the reader of our stdout went away (ssh dropped): nobody listens, stop
    stdout.on("error", () => sock.destroy());
    const done = () => {
      stdin.unpipe(sock);
      // stdin may be a pipe that never ends (the transport keeps it open): do not wait for it
      (stdin as NodeJS.ReadStream).pause?.();
      resolve(0);
    };
    sock.once("close", done);
    sock.once("error", () => sock.destroy());
  });
}
