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
 * The client side of the line protocol, whatever carries it (this socket, a fleet target's
 * channel): replies answer the oldest waiting request, events go to the listener.
 */
export class ReplyRouter {
  private buf = "";
  private readonly waiting: ((r: Reply) => void)[] = [];
  private eventCb: ((e: Event) => void) | undefined;

  /** A request was sent: its reply resolves the promise. */
  expect(): Promise<Reply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  onEvent(cb: (e: Event) => void): void {
    this.eventCb = cb;
  }

  feed(chunk: string): void {
    // the lines of a chunk are cut by index, the rest kept once (not the rest re-cut per line)
    const text = this.buf + chunk;
    let start = 0;
    let nl = text.indexOf("\n", this.buf.length);
    this.buf = "";
    while (nl >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      nl = text.indexOf("\n", start);
      const m = parseServerLine(line);
      if (m.ok) {
        if ("event" in m.value) this.eventCb?.(m.value.event);
        else this.waiting.shift()?.(m.value.reply);
      } else if (m.error.code === "bad-reply") {
        // JSON that is neither an event nor a well-formed reply still answers the oldest request
        this.waiting.shift()?.({ ok: false, error: m.error });
      }
      // not JSON, or an event this client does not know: skipped
    }
    this.buf = text.slice(start);
  }

  /** The connection ended: every waiting request gets a "closed" reply. */
  fail(message: string): void {
    for (const w of this.waiting.splice(0)) w({ ok: false, error: { code: "closed", message } });
  }
}

/**
 * Connect to the daemon at `path`. Throws UnsafeSocketError (src/runtime/socket-path.ts)
 * for a socket in a directory another user can write or owned by someone we do not
 * trust: root would otherwise show (and act on) whatever a fake server says.
 */
export async function connect(path: string): Promise<Client> {
  checkClientSocket(path);
  const router = new ReplyRouter();
  const sock = await Bun.connect({
    unix: path,
    socket: {
      data(_s, chunk) {
        router.feed(chunk.toString());
      },
      close() {
        router.fail("the daemon closed the connection");
      },
    },
  });
  return {
    request(r) {
      const reply = router.expect();
      sock.write(`${JSON.stringify(r)}\n`);
      return reply;
    },
    onEvent(cb) {
      router.onEvent(cb);
    },
    close() {
      sock.end();
    },
  };
}
