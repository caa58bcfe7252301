/** A control-socket client: one request, one reply (and, for subscribe, the events after it). */
import { checkClientSocket } from "../runtime/socket-path";
import { type Event, parseServerLine, type Reply, type Request } from "./protocol";

export interface Client {
  request(r: Request): Promise<Reply>;
  /** events after a successful subscribe */
  onEvent(cb: (e: Event) => void): void;
  close(): void;
}

/**
 * Connect to the daemon at `path`. Throws UnsafeSocketError (src/runtime/socket-path.ts)
 * for a socket in a directory another user can write or owned by someone we do not
 * trust: root would otherwise show (and act on) whatever a fake server says.
 */
export async function connect(path: string): Promise<Client> {
  checkClientSocket(path);
  let buf = "";
  const waiting: ((r: Reply) => void)[] = [];
  let eventCb: ((e: Event) => void) | undefined;
  const sock = await Bun.connect({
    unix: path,
    socket: {
      data(_s, chunk) {
        buf += chunk.toString();
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          const m = parseServerLine(line);
          if (m.ok) {
            if ("event" in m.value) eventCb?.(m.value.event);
            else waiting.shift()?.(m.value.reply);
          } else if (m.error.code === "bad-reply") {
            // JSON that is neither an event nor a well-formed reply still answers the oldest request
            waiting.shift()?.({ ok: false, error: m.error });
          }
          // not JSON, or an event this client does not know: skipped
        }
      },
      close() {
        for (const w of waiting.splice(0))
          w({ ok: false, error: { code: "closed", message: "the daemon closed the connection" } });
      },
    },
  });
  return {
    request(r) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        sock.write(`${JSON.stringify(r)}\n`);
      });
    },
    onEvent(cb) {
      eventCb = cb;
    },
    close() {
      sock.end();
    },
  };
}
