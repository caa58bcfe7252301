// Test harness for the TUI: a fake terminal (stdout/stdin) and a fake daemon behind a fake
// control client (the same Client interface as src/control/client.ts).
import { EventEmitter } from "node:events";
import type { Client } from "../../src/control/client";
import type { Event, InstanceStatus, Reply, Request, Status } from "../../src/control/protocol";
import { startTui, type TuiHandle, type TuiOptions } from "../../tui/run";

export class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    public columns = 100,
    public rows = 30,
  ) {
    super();
  }
  write = (s: string, cb?: () => void): boolean => {
    if (s.length > 0) this.frames.push(s);
    cb?.();
    return true;
  };
  lastFrame(): string {
    return this.frames[this.frames.length - 1] ?? "";
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(s: string): void {
    this.data = s;
    this.emit("readable");
    this.emit("data", s);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export function inst(name: string, state: string, over: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name,
    interface: "eth0",
    vrid: 51,
    family: 4,
    version: 2,
    state,
    priority: 100,
    effectivePriority: 100,
    master: "10.0.0.1",
    vips: [],
    advertsReceived: 0,
    advertsSent: 0,
    errors: 0,
    faults: [],
    ...over,
  };
}

export function baseStatus(instances: InstanceStatus[], over: Partial<Status> = {}): Status {
  return {
    version: 1,
    keel: "0.1.0",
    pid: 42,
    startedAt: Date.now() - 60_000,
    configFile: "/etc/keepalived/keepalived.conf",
    instances,
    ...over,
  };
}

/** A daemon the TUI can connect to: answers status/subscribe/garp/reload and emits events. */
export class FakeDaemon {
  requests: Request[] = [];
  up = true;
  replies: Partial<Record<Request["cmd"], (r: Request) => Reply>> = {};
  private clients: { cb?: (e: Event) => void; closed: boolean; subscribed: boolean }[] = [];
  constructor(public status: Status) {}

  connect = async (path: string): Promise<Client> => {
    if (!this.up) throw new Error(`connect ENOENT ${path}`);
    const c: { cb?: (e: Event) => void; closed: boolean; subscribed: boolean } = { closed: false, subscribed: false };
    this.clients.push(c);
    return {
      request: async (r) => {
        if (c.closed) return { ok: false, error: { code: "closed", message: "the daemon closed the connection" } };
        this.requests.push(r);
        const custom = this.replies[r.cmd];
        if (custom) return { id: r.id, ...custom(r) };
        if (r.cmd === "subscribe") c.subscribed = true;
        if (r.cmd === "status" || r.cmd === "subscribe")
          return { id: r.id, ok: true, result: structuredClone(this.status) };
        return { id: r.id, ok: true, result: null };
      },
      onEvent: (cb) => {
        c.cb = cb;
      },
      close: () => {
        c.closed = true;
      },
    };
  };

  emit(e: Event): void {
    for (const c of this.clients) if (c.subscribed && !c.closed) c.cb?.(e);
  }

  /** the daemon goes away: open connections fail, new ones are refused */
  kill(): void {
    this.up = false;
    for (const c of this.clients) c.closed = true;
  }

  sent(cmd: Request["cmd"]): Request[] {
    return this.requests.filter((r) => r.cmd === cmd);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;
export const plain = (s: string) => s.replace(ANSI, "");

export interface Mounted {
  tui: TuiHandle;
  stdout: FakeStdout;
  stdin: FakeStdin;
  daemon: FakeDaemon;
  /** the last frame, ANSI stripped */
  frame(): string;
  /** wait until the last frame contains `text` (or the predicate holds); throws with the frame on timeout */
  waitFor(text: string | ((frame: string) => boolean), ms?: number): Promise<string>;
  press(s: string): Promise<void>;
  quit(): Promise<number>;
}

export const KEY = { up: "\u001B[A", down: "\u001B[B", enter: "\r", tab: "\t", esc: "\u001B", backspace: "\u007F" };

export async function mount(
  daemon: FakeDaemon,
  o: Partial<TuiOptions> & { columns?: number; rows?: number } = {},
): Promise<Mounted> {
  const stdout = new FakeStdout(o.columns ?? 100, o.rows ?? 30);
  const stdin = new FakeStdin();
  const tui = startTui({
    socketPath: "/tmp/keel-test.sock",
    connect: daemon.connect,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    color: true,
    pollMs: 40,
    flushMs: 10,
    retryMs: 30,
    timeoutMs: 200,
    ...o,
  });
  const frame = () => plain(stdout.lastFrame());
  const m: Mounted = {
    tui,
    stdout,
    stdin,
    daemon,
    frame,
    async waitFor(text, ms = 2000) {
      const ok = typeof text === "string" ? (f: string) => f.includes(text) : text;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (ok(frame())) return frame();
        await sleep(5);
      }
      throw new Error(
        `timed out waiting for ${typeof text === "string" ? JSON.stringify(text) : "a condition"}; last frame:\n${frame()}`,
      );
    },
    async press(s) {
      stdin.write(s);
      // a lone ESC is held briefly by Ink's input parser (it could start a sequence)
      await sleep(s === KEY.esc ? 80 : 15);
    },
    async quit() {
      tui.quit(0);
      return tui.done;
    },
  };
  await m.waitFor((f) => f.includes("connected") && !f.includes("connecting"));
  return m;
}
