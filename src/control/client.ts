/** A control-socket client: one request, one reply (and, for subscribe, the events after it). */
import { checkClientSocket } from "../runtime/socket-path";
import type { Event, Reply, Request } from "./protocol";

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
          let v: unknown;
          try {
            v = JSON.parse(line);
          } catch {
            continue;
          }
          if (typeof v === "object" && v !== null && "event" in v) eventCb?.(v as Event);
          else waiting.shift()?.(v as Reply);
        }
      },
      close() {
        for (const w of waiting.splice(0)) w({ ok: false, error: { code: "closed", message: "the daemon closed the connection" } });
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
