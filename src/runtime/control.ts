/**
 * The control socket server (protocol in src/control/protocol.ts): a Unix socket, mode
 * 0600, one JSON request per line, one reply per request; `subscribe` adds the
 * connection to the event stream. A bad line gets an error reply and nothing else
 * changes; a subscriber that stops reading is dropped once 1 MiB is queued for it,
 * so a stuck client can never hold the daemon's memory.
 */
import type { Socket, UnixSocketListener } from "bun";
import type { Logger } from "pino";
import { type Event, PROTOCOL_VERSION, type Reply, type Request, type Status, parseRequest } from "../control/protocol";
import { type SocketIdentity, bindSocket, releaseSocketPath } from "./socket-path";

const MAX_QUEUE = 1 << 20;

export interface ControlHandlers {
  status(): Status;
  garp(instance: string): string | undefined;
  dump(): unknown;
  reload(): { ok: boolean; errors: string[] };
}

interface Conn {
  buf: string;
  out: string;
  subscribed: boolean;
}

export class ControlServer {
  private listener?: UnixSocketListener<Conn>;
  private bound?: SocketIdentity;
  private readonly subscribers = new Set<Socket<Conn>>();

  constructor(
    private readonly path: string,
    private readonly h: ControlHandlers,
    private readonly log: Logger,
  ) {}

  /**
   * Bind the socket, or throw why not (src/runtime/socket-path.ts): an unsafe directory,
   * a path that is not a stale socket, another daemon listening there.
   */
  start(): void {
    const b = bindSocket(this.path, 0o600, (at) => this.listen(at), (l) => l.stop(true));
    this.listener = b.listener;
    this.bound = b.id;
    if (b.removedStale) this.log.info(`control: removed the stale socket ${this.path}`);
  }

  private listen(at: string): UnixSocketListener<Conn> {
    return Bun.listen<Conn>({
      unix: at,
      socket: {
        open: (s) => {
          s.data = { buf: "", out: "", subscribed: false };
        },
        data: (s, chunk) => this.onData(s, chunk),
        drain: (s) => this.flush(s),
        close: (s) => {
          this.subscribers.delete(s);
        },
        error: (s) => {
          this.subscribers.delete(s);
        },
      },
    });
  }

  stop(): void {
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
    // only the socket we bound: after a failed start there is none, and a successor may
    // have bound the path since (checked before the listener stops: see socket-path.ts)
    if (this.bound && !releaseSocketPath(this.path, this.bound)) {
      this.log.warn(`control: ${this.path} is no longer the socket we bound; not removing it`);
    }
    this.bound = undefined;
    this.listener?.stop(true);
    this.listener = undefined;
  }

  broadcast(e: Event): void {
    if (this.subscribers.size === 0) return;
    const line = `${JSON.stringify(e)}\n`;
    for (const s of this.subscribers) this.send(s, line);
  }

  private onData(s: Socket<Conn>, chunk: Buffer): void {
    s.data.buf += chunk.toString();
    if (s.data.buf.length > 128 * 1024 && !s.data.buf.includes("\n")) {
      this.reply(s, { ok: false, error: { code: "too-long", message: "request line longer than 128 KiB" } });
      s.data.buf = "";
      return;
    }
    let nl = s.data.buf.indexOf("\n");
    while (nl >= 0) {
      const line = s.data.buf.slice(0, nl).trim();
      s.data.buf = s.data.buf.slice(nl + 1);
      if (line.length > 0) this.handle(s, line);
      nl = s.data.buf.indexOf("\n");
    }
  }

  private handle(s: Socket<Conn>, line: string): void {
    const req = parseRequest(line);
    if (!req.ok) {
      this.reply(s, { ok: false, error: req.error });
      return;
    }
    const r = req.value;
    try {
      this.reply(s, this.answer(s, r));
    } catch (e) {
      this.log.error(`control: ${r.cmd} failed: ${(e as Error).message}`);
      this.reply(s, { id: r.id, ok: false, error: { code: "internal", message: (e as Error).message } });
    }
  }

  private answer(s: Socket<Conn>, r: Request): Reply {
    switch (r.cmd) {
      case "hello":
        return { id: r.id, ok: true, result: { protocol: PROTOCOL_VERSION } };
      case "status":
        return { id: r.id, ok: true, result: this.h.status() };
      case "subscribe":
        s.data.subscribed = true;
        this.subscribers.add(s);
        return { id: r.id, ok: true, result: this.h.status() };
      case "dump":
        return { id: r.id, ok: true, result: this.h.dump() };
      case "garp": {
        if (!r.instance) return { id: r.id, ok: false, error: { code: "bad-request", message: 'garp needs "instance"' } };
        const err = this.h.garp(r.instance);
        return err ? { id: r.id, ok: false, error: { code: "not-found", message: err } } : { id: r.id, ok: true, result: null };
      }
      case "reload": {
        const res = this.h.reload();
        return res.ok ? { id: r.id, ok: true, result: null } : { id: r.id, ok: false, error: { code: "config-error", message: res.errors.join("\n") } };
      }
    }
  }

  private reply(s: Socket<Conn>, r: Reply): void {
    this.send(s, `${JSON.stringify(r)}\n`);
  }

  private send(s: Socket<Conn>, line: string): void {
    if (s.data.out.length > 0) {
      s.data.out += line;
    } else {
      const n = s.write(line);
      if (n < line.length) s.data.out = line.slice(Math.max(0, n));
    }
    if (s.data.out.length > MAX_QUEUE) {
      this.log.warn("control: a subscriber stopped reading; dropped");
      this.subscribers.delete(s);
      s.data.out = "";
      s.end();
    }
  }

  private flush(s: Socket<Conn>): void {
    if (s.data.out.length === 0) return;
    const n = s.write(s.data.out);
    s.data.out = s.data.out.slice(Math.max(0, n));
  }
}
