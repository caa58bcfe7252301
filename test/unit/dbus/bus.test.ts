/**
 * src/dbus/bus.ts against a small bus of the test's own (a unix socket in a temp dir that
 * speaks EXTERNAL, answers Hello and RequestName, and lets the test send what a bus would
 * route): answers reach their caller, an unreadable call gets InvalidArgs and is counted,
 * a lost bus is logged and connected to again, the stop's last signal goes out first.
 * test/interop/dbus.test.ts does the same against Debian's dbus-daemon.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BusConnection } from "../../../src/dbus/bus";
import { type Message, decodeMessage, encodeMessage, messageLength } from "../../../src/dbus/marshal";

/** One client connection as the bus sees it: the messages it sent, in order. */
class Peer {
  readonly got: Message[] = [];
  auth = "";
  private buf = Buffer.alloc(0);
  private binary = false;
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly sock: Socket) {
    sock.on("data", (d) => this.data(Buffer.from(d)));
    sock.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private data(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (!this.binary) {
      const nl = this.buf.indexOf("\r\n");
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString("latin1");
      this.buf = this.buf.subarray(nl + 2);
      if (line.startsWith("\0AUTH EXTERNAL ")) {
        this.auth = line.slice(1);
        this.sock.write("OK 0123456789abcdef0123456789abcdef\r\n");
      } else if (line === "BEGIN") this.binary = true;
    }
    for (;;) {
      const len = messageLength(new Uint8Array(this.buf));
      if (!len.ok || len.value === 0 || this.buf.length < len.value) break;
      const d2 = decodeMessage(new Uint8Array(this.buf.subarray(0, len.value)));
      this.buf = this.buf.subarray(len.value);
      if (d2.ok) this.onMessage(d2.value);
    }
    this.wake();
  }

  private onMessage(m: Message): void {
    this.got.push(m);
    const ret = (signature: string, body: Message["body"]) =>
      this.send({ type: "return", flags: 0, serial: 1000 + m.serial, replySerial: m.serial, signature, body });
    if (m.member === "Hello") ret("s", [":1.42"]);
    if (m.member === "RequestName") ret("u", [1]);
  }

  send(m: Message): void {
    this.sock.write(encodeMessage({ sender: "org.freedesktop.DBus", ...m }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolve once `cond` holds (checked at each arrival). */
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }
}

let dir: string;
let server: Server;
const peers: Peer[] = [];
let newPeer: () => void = () => {};
const logs: string[] = [];
let owners = 0;
let ownerWake: () => void = () => {};
let bus: BusConnection;

const nextPeer = () => new Promise<void>((r) => (newPeer = r));
const nextOwner = () => new Promise<void>((r) => (ownerWake = r));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-dbus-"));
  const path = join(dir, "bus.sock");
  server = createServer((s) => {
    peers.push(new Peer(s));
    newPeer();
  });
  await new Promise<void>((r) => server.listen(path, r));
  const owned = nextOwner();
  bus = new BusConnection({
    address: `unix:path=${path}`,
    name: "org.keepalived.Vrrp1",
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    answer: (m) => (m.member === "Ping" ? { sig: "s", body: [`pong ${m.path}`] } : { error: "x.Err", text: "no" }),
    onOwner: () => {
      owners++;
      ownerWake();
    },
  });
  bus.start();
  await owned;
});

afterAll(() => {
  bus?.stop();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (serial: number, member: string): Message => ({
  type: "call",
  flags: 0,
  serial,
  path: "/a",
  interface: "x.y",
  member,
  sender: ":1.7",
  destination: "org.keepalived.Vrrp1",
  signature: "",
  body: [],
});

describe("a bus connection", () => {
  test("EXTERNAL with the uid, Hello, then RequestName for the name with flags 0", () => {
    const p = peers[0] as Peer;
    expect(p.auth).toBe(`AUTH EXTERNAL ${Buffer.from(String(process.getuid?.() ?? 0)).toString("hex")}`);
    expect(p.got.map((m) => [m.member, m.body])).toEqual([
      ["Hello", []],
      ["RequestName", ["org.keepalived.Vrrp1", 0]],
    ]);
    expect(bus.owner).toBe(true);
    expect(logs).toContain("Acquired the name org.keepalived.Vrrp1 on the system bus");
  });

  test("a call is answered to its sender with its serial; an error answer is an ERROR message", async () => {
    const p = peers[0] as Peer;
    p.send(call(50, "Ping"));
    p.send(call(51, "Other"));
    await p.until(() => p.got.some((m) => m.replySerial === 51));
    const r50 = p.got.find((m) => m.replySerial === 50);
    expect(r50).toMatchObject({ type: "return", destination: ":1.7", signature: "s", body: ["pong /a"] });
    expect(p.got.find((m) => m.replySerial === 51)).toMatchObject({ type: "error", errorName: "x.Err", body: ["no"] });
  });

  test("an unreadable call is answered InvalidArgs, counted and logged; the connection stays", async () => {
    const p = peers[0] as Peer;
    const bytes = encodeMessage({ ...call(60, "Ping"), signature: "s", body: ["x"] });
    bytes[bytes.length - 6] = 9; // the string's length points past the body
    p.sock.write(bytes);
    await p.until(() => p.got.some((m) => m.replySerial === 60));
    expect(p.got.find((m) => m.replySerial === 60)).toMatchObject({
      type: "error",
      errorName: "org.freedesktop.DBus.Error.InvalidArgs",
    });
    expect(bus.counters.badMessages).toBe(1);
    expect(logs.some((l) => l.startsWith("DBus: cannot read a message from :1.7: body:"))).toBe(true);
    // still served
    p.send(call(61, "Ping"));
    await p.until(() => p.got.some((m) => m.replySerial === 61));
  });

  test("signals go out while the name is keel's", async () => {
    const p = peers[0] as Peer;
    bus.emit("/org/keepalived/Vrrp1/Vrrp", "org.keepalived.Vrrp1.Vrrp", "VrrpReloaded");
    await p.until(() => p.got.some((m) => m.member === "VrrpReloaded"));
    expect(p.got.at(-1)).toMatchObject({ type: "signal", path: "/org/keepalived/Vrrp1/Vrrp" });
  });

  test("a lost bus is logged and connected to again; the name is owned again", async () => {
    const again = nextPeer();
    const owned = nextOwner();
    (peers[0] as Peer).sock.destroy();
    await again;
    await owned;
    expect(owners).toBe(2);
    expect(logs.filter((l) => l.startsWith("DBus: lost the bus"))).toHaveLength(1);
    expect(bus.counters.connects).toBe(2);
  });

  test("the stop sends its last signal, then closes", async () => {
    const p = peers[1] as Peer;
    bus.stop({
      path: "/org/keepalived/Vrrp1/Vrrp",
      interface: "org.keepalived.Vrrp1.Vrrp",
      member: "VrrpStopped",
      signature: "",
      body: [],
    });
    await p.until(() => p.closed);
    expect(p.got.at(-1)?.member).toBe("VrrpStopped");
    expect(bus.owner).toBe(false);
  });
});
