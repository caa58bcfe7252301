// The control socket's subscribers under a burst of events: one that reads is kept,
// however large the burst (a flood once queued 17-19k events at once and the subscriber
// was dropped as "stopped reading", missing the takeover that followed); one that really
// stopped reading is dropped. A Unix socket in a temporary directory, a virtual clock.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Event, Status } from "../../../src/control/protocol";
import { ControlServer } from "../../../src/runtime/control";

const status: Status = { version: 1, keel: "test", pid: 1, startedAt: 0, configFile: "/k.conf", instances: [] };
const handlers = {
  status: () => status,
  garp: () => undefined,
  dump: () => ({}),
  reload: () => ({ ok: true, errors: [] }),
};
const rxError = (i: number): Event => ({
  event: "rx-error",
  at: i,
  instance: "VI_1",
  from: `10.0.${(i >> 8) & 255}.${i & 255}`,
  code: "bad-ttl",
  count: 1,
});

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function server(): { srv: ControlServer; path: string; warnings: string[]; clock: { t: number } } {
  const dir = mkdtempSync(join(tmpdir(), "keel-flood-ctl-"));
  const path = join(dir, "keel.sock");
  const warnings: string[] = [];
  const clock = { t: 0 };
  const log = pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) });
  const srv = new ControlServer(path, handlers, log, () => clock.t);
  srv.start();
  cleanup.push(() => {
    srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { srv, path, warnings, clock };
}

describe("control socket subscribers under a burst", () => {
  test("a reader keeps up with 40,000 events queued at once and sees the transition after them", async () => {
    const { srv, path, warnings } = server();
    let buf = "";
    let events = 0;
    let closed = false;
    const transitions: Event[] = [];
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => {
      subscribed = r;
    });
    const sock = await Bun.connect({
      unix: path,
      socket: {
        data(_s, chunk) {
          buf += chunk.toString();
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const v = JSON.parse(buf.slice(0, nl)) as Event | { ok: boolean };
            buf = buf.slice(nl + 1);
            if (!("event" in v)) subscribed();
            else if (v.event === "transition") transitions.push(v);
            else events++;
          }
        },
        close() {
          closed = true;
        },
      },
    });
    cleanup.push(() => sock.end());
    sock.write(`${JSON.stringify({ cmd: "subscribe" })}\n`);
    await ready;
    // the burst: 40,000 events (≈5 MB) in one turn of the loop, before the client can read
    for (let i = 0; i < 40_000; i++) srv.broadcast(rxError(i));
    srv.broadcast({ event: "transition", at: 1, instance: "VI_1", from: "MASTER", to: "FAULT", reason: "track-fault" });
    for (let i = 0; i < 200 && transitions.length === 0 && !closed; i++) await Bun.sleep(50);
    expect(closed).toBe(false);
    expect(warnings).toEqual([]);
    expect(events).toBe(40_000);
    expect(transitions).toMatchObject([{ instance: "VI_1", to: "FAULT" }]);
  });

  test("a subscriber that takes no byte for 30 s with more than 1 MiB queued is dropped", async () => {
    const { srv, path, warnings, clock } = server();
    // a client that subscribes and then never reads
    const py = Bun.spawn(
      [
        "python3",
        "-c",
        [
          "import socket,sys,time",
          "s=socket.socket(socket.AF_UNIX)",
          "s.connect(sys.argv[1])",
          `s.sendall(b'{"cmd":"subscribe"}\\n')`,
          'print("ok",flush=True)',
          "time.sleep(60)",
        ].join("\n"),
        path,
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    cleanup.push(() => py.kill());
    const reader = py.stdout.getReader();
    await reader.read(); // "ok": subscribed (the request is on the wire)
    // wait until the server has taken the subscription: its snapshot reply is queued
    for (let i = 0; i < 100; i++) {
      srv.broadcast(rxError(i));
      await Bun.sleep(10);
    }
    for (let i = 0; i < 20_000; i++) srv.broadcast(rxError(i));
    clock.t += 29_000;
    srv.broadcast(rxError(0));
    expect(warnings).toEqual([]); // well over 1 MiB queued, but not yet 30 s without progress
    clock.t += 2_000;
    srv.broadcast(rxError(0));
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/^control: a subscriber stopped reading \(\d+ bytes queued\); dropped$/);
  });
});
