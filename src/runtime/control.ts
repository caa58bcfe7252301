/**
 * The control socket server (protocol in src/control/protocol.ts): a Unix socket, mode
 * 0600, one JSON request per line, one reply per request; `subscribe` adds the
 * connection to the event stream. A bad line gets an error reply and nothing else
 * changes. A subscriber that stops reading is dropped (a stuck client must not hold the
 * daemon's memory), and only one that stopped: more than 1 MiB queued for it and not a
 * byte taken for STALL_MS, or a queue past HARD_QUEUE however it reads. A burst (the
 * events of a flood, or a loop busy for a moment) fills any socket buffer before the
 * client gets a turn to read; dropping it then lost the transition that followed.
 */
import type { Socket, UnixSocketListener } from "bun";
import type { Logger } from "./log";
import {
  type Counters,
  type Event,
  type Explanation,
  PROTOCOL_VERSION,
  type Reply,
  type Request,
  type Status,
  parseRequest,
} from "../control/protocol";
import { type Peer, peerOf } from "./peer";
import { type SocketIdentity, bindSocket, releaseSocketPath } from "./socket-path";

/** a subscriber with this much queued must be taking bytes (STALL_MS) to stay */
const MAX_QUEUE = 1 << 20;
/** ...and with this much it goes, even if it still reads (slower than events come) */
const HARD_QUEUE = 16 << 20;
/** how long a subscriber with MAX_QUEUE queued may take no byte at all */
const STALL_MS = 30_000;

export interface ControlHandlers {
  status(): Status;
  /** what changes without an event (absent: a server with no engine; the client polls status) */
  counters?(): Counters;
  garp(instance: string): string | undefined;
  dump(): unknown;
  reload(): { ok: boolean; errors: string[] };
  /** every instance's explanation, or one's; undefined for an unknown instance (absent: a server with no engine) */
  explain?(instance?: string): Explanation[] | undefined;
  /** switchover, maintenance, rs: done or refused, with who asked (absent: a server with no engine) */
  operate?(r: Request, who: Peer): { ok: true; result: unknown } | { ok: false; code: string; message: string };
}

interface Conn {
  buf: string;
  /** lines the socket has not taken yet, from `head` on; `queued` counts their characters */
  out: string[];
  head: number;
  queued: number;
  subscribed: boolean;
  /** when the socket last took bytes from a non-empty queue (or the queue began) */
  progressAt: number;
  /** who connected (SO_PEERCRED, fixed at connect), read at the first operation: operations name it */
  peer?: Peer;
}

/** bytes handed to the socket per write when it drains */
const CHUNK = 64 * 1024;

export class ControlServer {
  private listener?: UnixSocketListener<Conn>;
  private bound?: SocketIdentity;
  private readonly subscribers = new Set<Socket<Conn>>();

  constructor(
    private readonly path: string,
    private readonly h: ControlHandlers,
    private readonly log: Logger,
    /** monotonic ms (tests move it) */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Bind the socket, or throw why not (src/runtime/socket-path.ts): an unsafe directory,
   * a path that is not a stale socket, another daemon listening there.
   */
  start(): void {
    const b = bindSocket(
      this.path,
      0o600,
      (at) => this.listen(at),
      (l) => l.stop(true),
    );
    this.listener = b.listener;
    this.bound = b.id;
    if (b.removedStale) this.log.info(`control: removed the stale socket ${this.path}`);
  }

  private listen(at: string): UnixSocketListener<Conn> {
    return Bun.listen<Conn>({
      unix: at,
      socket: {
        open: (s) => {
          s.data = {
            buf: "",
            out: [],
            head: 0,
            queued: 0,
            subscribed: false,
            progressAt: this.now(),
          };
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
      case "counters":
        if (!this.h.counters)
          return { id: r.id, ok: false, error: { code: "unsupported", message: "this server runs no VRRP engine" } };
        return { id: r.id, ok: true, result: this.h.counters() };
      case "dump":
        return { id: r.id, ok: true, result: this.h.dump() };
      case "garp": {
        if (!r.instance)
          return { id: r.id, ok: false, error: { code: "bad-request", message: 'garp needs "instance"' } };
        const err = this.h.garp(r.instance);
        return err
          ? { id: r.id, ok: false, error: { code: "not-found", message: err } }
          : { id: r.id, ok: true, result: null };
      }
      case "explain": {
        if (!this.h.explain)
          return { id: r.id, ok: false, error: { code: "unsupported", message: "this server runs no VRRP engine" } };
        const res = this.h.explain(r.instance);
        return res
          ? { id: r.id, ok: true, result: res }
          : { id: r.id, ok: false, error: { code: "not-found", message: `no instance ${r.instance}` } };
      }
      case "reload": {
        const res = this.h.reload();
        return res.ok
          ? { id: r.id, ok: true, result: null }
          : { id: r.id, ok: false, error: { code: "config-error", message: res.errors.join("\n") } };
      }
      case "switchover":
      case "maintenance":
      case "rs": {
        if (!this.h.operate)
          return { id: r.id, ok: false, error: { code: "unsupported", message: "this server runs no engine" } };
        // Bun's Socket has `fd` at run time, not in its types
        s.data.peer ??= peerOf((s as unknown as { fd?: number }).fd);
        const res = this.h.operate(r, s.data.peer);
        return res.ok
          ? { id: r.id, ok: true, result: res.result }
          : { id: r.id, ok: false, error: { code: res.code, message: res.message } };
      }
    }
  }

  private reply(s: Socket<Conn>, r: Reply): void {
    this.send(s, `${JSON.stringify(r)}\n`);
  }

  private send(s: Socket<Conn>, line: string): void {
    const c = s.data;
    // the client may have read since the last write even if the drain callback has not
    // run yet (a busy loop): offer the queue's first line, which also tells whether it reads
    if (c.queued > 0 && this.take(s, c.out[c.head] as string)) this.flush(s);
    if (c.queued > 0) this.enqueue(c, line);
    else {
      const n = Math.max(0, s.write(line));
      if (n < line.length) {
        this.enqueue(c, line.slice(n));
        c.progressAt = this.now();
      }
    }
    if (c.queued > HARD_QUEUE || (c.queued > MAX_QUEUE && this.now() - c.progressAt > STALL_MS)) {
      this.log.warn(`control: a subscriber stopped reading (${c.queued} bytes queued); dropped`);
      this.subscribers.delete(s);
      c.out = [];
      c.head = 0;
      c.queued = 0;
      s.end();
    }
  }

  private enqueue(c: Conn, line: string): void {
    c.out.push(line);
    c.queued += line.length;
  }

  /** Write the queue's first `text` (its head line, or a chunk of lines); true when all of it went. */
  private take(s: Socket<Conn>, text: string, lines = 1): boolean {
    const c = s.data;
    const n = Math.max(0, s.write(text));
    if (n === 0) return false;
    c.progressAt = this.now();
    c.queued -= n;
    c.head += lines;
    if (n < text.length) {
      // the rest goes back as the new head line
      c.head--;
      c.out[c.head] = text.slice(n);
      return false;
    }
    if (c.head === c.out.length) {
      c.out = [];
      c.head = 0;
    } else if (c.head > 4096 && c.head * 2 > c.out.length) {
      c.out = c.out.slice(c.head);
      c.head = 0;
    }
    return true;
  }

  /** The socket drained: hand it the queue in chunks until it takes no more. */
  private flush(s: Socket<Conn>): void {
    const c = s.data;
    while (c.queued > 0) {
      let end = c.head;
      let size = 0;
      while (end < c.out.length && size < CHUNK) size += (c.out[end++] as string).length;
      const chunk = end - c.head === 1 ? (c.out[c.head] as string) : c.out.slice(c.head, end).join("");
      if (!this.take(s, chunk, end - c.head)) return;
    }
  }
}
