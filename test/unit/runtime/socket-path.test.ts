/**
 * The control socket's path on real files: what the daemon may replace (only a socket
 * nobody listens on), which directories it and its clients trust, and that a daemon
 * removes at stop only the socket it bound.
 */
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { connect } from "../../../src/control/client";
import { ControlServer } from "../../../src/runtime/control";
import { checkClientSocket, claimSocketPath, unsafeSocketDir } from "../../../src/runtime/socket-path";

const BUN = process.execPath;
const log = pino({ level: "silent" });
const handlers = {
  status: () => {
    throw new Error("not in this test");
  },
  garp: () => undefined,
  dump: () => ({}),
  reload: () => ({ ok: true, errors: [] }),
};

let dir: string;
beforeAll(() => {
  // chown and other users' files need root (CI is root)
  expect(process.geteuid?.()).toBe(0);
  // mkdtemp: 0700, root's, under the sticky /tmp: a safe place
  dir = mkdtempSync(join(tmpdir(), "keel-sockpath-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sub(name: string, mode = 0o700, uid = 0): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  chownSync(p, uid, 0);
  // chmod(1): Bun's chmodSync drops the sticky bit (0o1777 becomes 0777)
  expect(Bun.spawnSync(["chmod", mode.toString(8), p]).exitCode).toBe(0);
  return p;
}

/** A socket file whose listener is gone: a child binds it and is killed with SIGKILL. */
async function staleSocket(path: string): Promise<void> {
  const child = Bun.spawn(
    [
      BUN,
      "-e",
      `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } });` +
        'console.log("bound"); setInterval(() => {}, 1e6);',
    ],
    { stdout: "pipe" },
  );
  const reader = child.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toContain("bound");
  child.kill("SIGKILL");
  await child.exited;
  expect(lstatSync(path).isSocket()).toBe(true);
}

describe("the daemon's side: ControlServer.start/stop", () => {
  test("a regular file at the path (a typo naming the config file) is refused and survives", () => {
    const d = sub("file");
    const conf = join(d, "keepalived.conf");
    writeFileSync(conf, "global_defs {\n}\n");
    const s = new ControlServer(conf, handlers, log);
    expect(() => s.start()).toThrow(
      `control socket ${conf} exists and is a regular file, not a socket; refusing to remove it`,
    );
    s.stop();
    expect(readFileSync(conf, "utf8")).toBe("global_defs {\n}\n");
  });

  test("a symbolic link at the path is refused; the link and its target survive", () => {
    const d = sub("link");
    const target = join(d, "target");
    writeFileSync(target, "keep");
    const link = join(d, "keel.sock");
    symlinkSync(target, link);
    const s = new ControlServer(link, handlers, log);
    expect(() => s.start()).toThrow("exists and is a symbolic link, not a socket");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("keep");
  });

  test("a live socket (a real listener) is refused with its pid and keeps working", async () => {
    const d = sub("live");
    const path = join(d, "keel.sock");
    const other = Bun.listen({ unix: path, socket: { open: (so) => void so.end("other\n"), data() {} } });
    try {
      const s = new ControlServer(path, handlers, log);
      // SO_PEERCRED names the listener: this very process
      expect(() => s.start()).toThrow(`control socket ${path} is in use by another keel (pid ${process.pid})`);
      s.stop();
      const got = await new Promise<string>((res) => {
        void Bun.connect({ unix: path, socket: { data: (_so, c) => res(c.toString()) } });
      });
      expect(got).toBe("other\n");
    } finally {
      other.stop(true);
    }
  });

  test("a stale socket (its process is gone) is replaced", async () => {
    const d = sub("stale");
    const path = join(d, "keel.sock");
    await staleSocket(path);
    const s = new ControlServer(path, handlers, log);
    s.start();
    try {
      const c = await connect(path);
      const r = await c.request({ cmd: "hello" });
      c.close();
      expect(r.ok).toBe(true);
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
    } finally {
      s.stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  test("stop leaves a socket that is no longer ours (a successor's) in place", async () => {
    const d = sub("successor");
    const path = join(d, "keel.sock");
    const first = new ControlServer(path, handlers, log);
    first.start();
    // someone moves the first daemon's socket aside and a second daemon binds the path
    rmSync(path);
    const second = new ControlServer(path, handlers, log);
    second.start();
    first.stop();
    try {
      const c = await connect(path);
      expect((await c.request({ cmd: "hello" })).ok).toBe(true);
      c.close();
    } finally {
      second.stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  test("a directory another user can write is refused, sticky or not; nothing is created in it", () => {
    for (const [name, mode, uid] of [
      ["ww", 0o777, 0],
      ["sticky", 0o1777, 0],
      ["gw", 0o770, 0],
      ["nobody", 0o700, 65534],
    ] as const) {
      const d = sub(name, mode, uid);
      const path = join(d, "keel.sock");
      const s = new ControlServer(path, handlers, log);
      expect(() => s.start()).toThrow(`control socket ${path}: unsafe directory: ${d} is`);
      expect(existsSync(path)).toBe(false);
    }
  });

  test("a missing directory is created 0700 and used", () => {
    const path = join(dir, "new", "run", "keel.sock");
    const s = new ControlServer(path, handlers, log);
    s.start();
    s.stop();
    expect(lstatSync(join(dir, "new", "run")).mode & 0o777).toBe(0o700);
  });

  test("a path that fits sun_path but leaves no room for the private bind name is bound directly", async () => {
    // the private name is DIR/.keel-PID.bind: make DIR long and the socket's name short
    const d = sub("d".repeat(100 - dir.length));
    const path = join(d, "k");
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(107);
    expect(Buffer.byteLength(join(d, `.keel-${process.pid}.bind`))).toBeGreaterThan(107);
    const s = new ControlServer(path, handlers, log);
    s.start();
    try {
      const c = await connect(path);
      expect((await c.request({ cmd: "hello" })).ok).toBe(true);
      c.close();
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
    } finally {
      s.stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  test("a path longer than sun_path is refused by name", () => {
    const path = join(sub("long"), "x".repeat(120));
    expect(() => claimSocketPath(path)).toThrow(`control socket path ${path} is`);
  });
});

describe("unsafeSocketDir walks every component, as check_security does", () => {
  test("a world-writable, non-sticky directory above a safe one", () => {
    const top = sub("open-above", 0o777);
    const inner = join(top, "inner");
    mkdirSync(inner, { mode: 0o700 });
    expect(unsafeSocketDir(inner)).toBe(`${top} is writable by group or others (mode 0777, gid 0)`);
  });

  test("a safe directory reached through a symbolic link: the target's path is checked too", () => {
    const unsafe = sub("unsafe-target", 0o777);
    const target = join(unsafe, "t");
    mkdirSync(target, { mode: 0o700 });
    const viaLink = join(sub("links"), "l");
    symlinkSync(target, viaLink);
    expect(unsafeSocketDir(viaLink)).toBe(`${unsafe} is writable by group or others (mode 0777, gid 0)`);
    expect(unsafeSocketDir(sub("safe-plain"))).toBeUndefined();
  });
});

describe("the client's side: keel status refuses a socket it cannot trust", () => {
  /** a fake daemon: answers every request with a made-up instance */
  function fakeServer(path: string) {
    return Bun.listen({
      unix: path,
      socket: {
        data(so) {
          const instances = [{ name: "FABRICATED" }];
          const status = { version: 1, keel: "fake", pid: 1, startedAt: 0, configFile: "x", instances };
          so.write(`${JSON.stringify({ ok: true, result: status })}\n`);
        },
      },
    });
  }

  async function status(path: string): Promise<{ code: number; out: string; err: string }> {
    const { status } = await import("../../../src/commands/status");
    let out = "";
    let err = "";
    const io = {
      out: (s: string) => {
        out += s;
      },
      err: (s: string) => {
        err += s;
      },
    };
    const code = await status(["--json", "--control-socket", path], io);
    return { code, out, err };
  }

  test("a socket in a world-writable directory (another user's fake server): refused", async () => {
    const d = sub("client-ww", 0o1777);
    const path = join(d, "keel.sock");
    const fake = fakeServer(path);
    try {
      const r = await status(path);
      expect(r).toMatchObject({ code: 1, out: "" });
      const why = `unsafe directory: ${d} is writable by group or others (mode 1777)`;
      expect(r.err).toBe(`keel status: refusing control socket ${path}: ${why}\n`);
    } finally {
      fake.stop(true);
    }
  });

  test("a socket owned by another user in a safe directory: refused", async () => {
    const path = join(sub("client-owner"), "keel.sock");
    const fake = fakeServer(path);
    try {
      chownSync(path, 65534, 65534);
      expect(() => checkClientSocket(path)).toThrow(`refusing control socket ${path}: owned by uid 65534`);
      const r = await status(path);
      expect(r.code).toBe(1);
      expect(r.out).not.toContain("FABRICATED");
    } finally {
      fake.stop(true);
    }
  });

  test("a root-owned socket in a safe directory is believed", async () => {
    const path = join(sub("client-ok"), "keel.sock");
    const fake = fakeServer(path);
    try {
      const r = await status(path);
      expect(r.code).toBe(0);
      expect(r.out).toContain("FABRICATED");
    } finally {
      fake.stop(true);
    }
  });
});
