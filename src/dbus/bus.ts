/**
 * One connection to the system bus that owns a name and serves calls: the only part of
 * src/dbus with I/O. SASL EXTERNAL, Hello, RequestName (flags 0, as GLib's
 * g_bus_own_name with G_BUS_NAME_OWNER_FLAGS_NONE: a name held by another process puts
 * keel in the queue until the bus says NameAcquired), then each method call is answered
 * through `answer` and signals go out through `emit`.
 *
 * It never blocks or throws into the daemon: socket writes are Node's buffered writes, a
 * signal is dropped (and counted) while more than MAX_QUEUED bytes wait for the bus; a
 * bus that is not there, refuses keel or goes away is logged (once per distinct reason)
 * and retried with backoff (1 s doubling to 30 s); a message that cannot be read is
 * counted and, if it was a call, answered with InvalidArgs; bytes that cannot be framed
 * end the connection, which is then made again.
 */
import type { Socket } from "node:net";
import { type BusSocket, authAnswer, authRequest, parseBusAddress } from "./address";
import { type Message, NO_REPLY_EXPECTED, type Value, decodeMessage, encodeMessage, messageLength } from "./marshal";
import type { Reply } from "./service";

const BUS_NAME = "org.freedesktop.DBus";
const BUS_PATH = "/org/freedesktop/DBus";
const MAX_QUEUED = 1 << 20;
const HANDSHAKE_MS = 10_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export interface BusLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface BusOptions {
  /** the bus address text (DBUS_SYSTEM_BUS_ADDRESS's syntax) */
  address: string;
  /** the well-known name to own */
  name: string;
  log: BusLog;
  /** the answer to a method call addressed to keel */
  answer(call: Message): Reply;
  /** the name is keel's (after a connect, or when the queue reaches it) */
  onOwner(): void;
}

export interface BusCounters {
  /** messages that could not be read (answered with an error when they were calls) */
  badMessages: number;
  /** method calls answered */
  calls: number;
  /** signals dropped because the bus did not read */
  droppedSignals: number;
  /** connections made (1 + reconnects) */
  connects: number;
}

type Phase = "closed" | "auth" | "hello" | "name" | "owner";

export class BusConnection {
  readonly counters: BusCounters = { badMessages: 0, calls: 0, droppedSignals: 0, connects: 0 };
  private socket?: Socket;
  private phase: Phase = "closed";
  private stopped = true;
  private buf = new Uint8Array(0);
  private serial = 0;
  private readonly pending = new Map<number, (m: Message) => void>();
  private retryMs = RETRY_MIN_MS;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private handshakeTimer?: ReturnType<typeof setTimeout>;
  private lastProblem?: string;
  private target?: BusSocket;

  constructor(private readonly o: BusOptions) {}

  /** true while keel owns the name (signals reach subscribers) */
  get owner(): boolean {
    return this.phase === "owner";
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const a = parseBusAddress(this.o.address);
    if (!a.ok) {
      this.o.log.warn(`DBus: ${a.error}; the D-Bus service is not started`);
      this.stopped = true;
      return;
    }
    this.target = a.value;
    this.connect();
  }

  /** Close; `last` (VrrpStopped) goes out first if the name is keel's. */
  stop(last?: Omit<Message, "serial" | "flags" | "type">): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.handshakeTimer);
    const s = this.socket;
    this.socket = undefined;
    if (s && last && this.phase === "owner") s.end(encodeMessage(this.next("signal", last)));
    else s?.end();
    this.phase = "closed";
    this.pending.clear();
  }

  /** A signal from one of keel's objects; dropped (and counted) when not connected or the bus does not read. */
  emit(path: string, iface: string, member: string, signature = "", body: Value[] = []): void {
    const s = this.socket;
    if (!s || this.phase === "closed" || this.phase === "auth") return;
    if (s.writableLength > MAX_QUEUED) {
      this.counters.droppedSignals++;
      return;
    }
    s.write(encodeMessage(this.next("signal", { path, interface: iface, member, signature, body })));
  }

  private next(type: Message["type"], m: Omit<Message, "serial" | "flags" | "type">, flags = 0): Message {
    this.serial = (this.serial % 0xffffffff) + 1;
    return { ...m, type, flags, serial: this.serial };
  }

  private connect(): void {
    const t = this.target as BusSocket;
    const path = "path" in t ? t.path : `\0${t.abstract}`;
    // node:net with the first connection: the daemon loads this module at every start, and
    // node:net costs ~10 ms and node:stream before the first advert (DESIGN.md rule 6)
    const s = new (require("node:net") as typeof import("node:net")).Socket();
    this.socket = s;
    this.phase = "auth";
    this.buf = new Uint8Array(0);
    s.on("error", (e) => this.lost(s, e.message));
    s.on("close", () => this.lost(s, "the bus closed the connection"));
    s.on("data", (d: Buffer) => this.onData(s, d));
    s.connect({ path }, () => {
      s.write(authRequest(process.getuid?.() ?? 0));
    });
    this.handshakeTimer = setTimeout(() => {
      if (this.socket === s && this.phase !== "owner" && this.phase !== "name")
        this.lost(s, `no answer within ${HANDSHAKE_MS / 1000} s`);
    }, HANDSHAKE_MS);
  }

  /** The connection is gone (or given up): log once per reason, retry with backoff. */
  private lost(s: Socket, why: string): void {
    if (this.socket !== s) return;
    this.socket = undefined;
    s.destroy();
    clearTimeout(this.handshakeTimer);
    const was = this.phase;
    this.phase = "closed";
    this.pending.clear();
    if (this.stopped) return;
    const problem = `DBus: ${was === "owner" ? "lost the bus" : "cannot use the bus"} (${why}); retrying`;
    if (problem !== this.lastProblem) this.o.log.warn(problem);
    this.lastProblem = problem;
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private onData(s: Socket, d: Buffer): void {
    if (this.socket !== s) return;
    const joined = new Uint8Array(this.buf.length + d.length);
    joined.set(this.buf);
    joined.set(d, this.buf.length);
    this.buf = joined;
    if (this.phase === "auth" && !this.readAuth(s)) return;
    while (this.socket === s) {
      const len = messageLength(this.buf);
      if (!len.ok) {
        this.counters.badMessages++;
        this.lost(s, `unreadable bytes from the bus: ${len.error}`);
        return;
      }
      if (len.value === 0 || this.buf.length < len.value) return;
      const one = this.buf.subarray(0, len.value);
      this.buf = this.buf.slice(len.value);
      this.onMessage(s, one);
    }
  }

  /** The auth line; false until the handshake is through (or it failed). */
  private readAuth(s: Socket): boolean {
    const nl = this.buf.indexOf(0x0a);
    if (nl < 0) {
      if (this.buf.length > 512) this.lost(s, "no end of line in the authentication answer");
      return false;
    }
    const line = new TextDecoder().decode(this.buf.subarray(0, nl)).replace(/\r$/, "");
    this.buf = this.buf.slice(nl + 1);
    const a = authAnswer(line);
    if (!a.ok) {
      this.lost(s, a.error);
      return false;
    }
    this.phase = "hello";
    s.write("BEGIN\r\n");
    this.call(s, "Hello", "", [], (m) => this.onHello(s, m));
    return true;
  }

  private call(s: Socket, member: string, signature: string, body: Value[], then: (m: Message) => void): void {
    const m = this.next("call", {
      path: BUS_PATH,
      interface: BUS_NAME,
      member,
      destination: BUS_NAME,
      signature,
      body,
    });
    this.pending.set(m.serial, then);
    s.write(encodeMessage(m));
  }

  private onHello(s: Socket, m: Message): void {
    if (m.type === "error") {
      this.lost(s, `Hello: ${m.errorName} ${String(m.body[0] ?? "")}`);
      return;
    }
    this.counters.connects++;
    this.phase = "name";
    this.o.log.info(`Acquired DBus bus ${this.o.name}`);
    this.call(s, "RequestName", "su", [this.o.name, 0], (r) => {
      if (r.type === "error") {
        // a policy that does not let this user own the name: the bus may be fixed later
        this.lost(s, `RequestName ${this.o.name}: ${r.errorName} ${String(r.body[0] ?? "")}`);
        return;
      }
      const code = r.body[0];
      if (code === 1 || code === 4) this.acquired();
      else this.o.log.warn(`DBus: ${this.o.name} is owned by another connection; waiting in the queue for it`);
    });
  }

  private acquired(): void {
    if (this.phase === "owner") return;
    this.phase = "owner";
    clearTimeout(this.handshakeTimer);
    this.retryMs = RETRY_MIN_MS;
    if (this.lastProblem) this.o.log.info("DBus: the bus is back");
    this.lastProblem = undefined;
    this.o.log.info(`Acquired the name ${this.o.name} on the system bus`);
    this.o.onOwner();
  }

  private onMessage(s: Socket, bytes: Uint8Array): void {
    const d = decodeMessage(bytes);
    if (!d.ok) {
      const n = ++this.counters.badMessages;
      const h = d.header;
      // the bus daemon checks what it routes, so this is rare: the first few, then powers of two
      if (n <= 10 || (n & (n - 1)) === 0)
        this.o.log.warn(`DBus: cannot read a message from ${h?.sender ?? "the bus"}: ${d.error} (${n} so far)`);
      if (h?.type === "call" && h.sender && !(h.flags & NO_REPLY_EXPECTED))
        this.reply(s, h.serial, h.sender, {
          error: "org.freedesktop.DBus.Error.InvalidArgs",
          text: `keel cannot read the message: ${d.error}`,
        });
      return;
    }
    const m = d.value;
    if (m.type === "return" || m.type === "error") {
      const then = this.pending.get(m.replySerial as number);
      this.pending.delete(m.replySerial as number);
      then?.(m);
      return;
    }
    if (m.type === "signal") {
      if (m.sender !== BUS_NAME || m.interface !== BUS_NAME) return;
      if (m.member === "NameAcquired" && m.body[0] === this.o.name) this.acquired();
      if (m.member === "NameLost" && m.body[0] === this.o.name && this.phase === "owner") {
        this.phase = "name";
        this.o.log.warn(`Lost the name ${this.o.name} on the system bus`);
      }
      return;
    }
    this.counters.calls++;
    const r = this.o.answer(m);
    if (!(m.flags & NO_REPLY_EXPECTED) && m.sender) this.reply(s, m.serial, m.sender, r);
  }

  private reply(s: Socket, serial: number, to: string, r: Reply): void {
    const m =
      "error" in r
        ? this.next("error", {
            replySerial: serial,
            destination: to,
            errorName: r.error,
            signature: "s",
            body: [r.text],
          })
        : this.next("return", { replySerial: serial, destination: to, signature: r.sig, body: r.body });
    s.write(encodeMessage(m));
  }
}
