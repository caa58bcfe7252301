/**
 * ProcessMonitor on the kernel's real connector (root, initial namespace): a process
 * started and killed is followed through its events, and a queue that overflows while the
 * event loop is blocked (ENOBUFS) ends in keepalived's resync: the buffer doubled, the
 * line that says so, and /proc scanned again so the count is right.
 */
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGlobalDefs } from "../../../src/config/global/model";
import type { KeelConfig } from "../../../src/config/model";
import { createTrackProcess } from "../../../src/config/vrrp/model";
import { createLogger } from "../../../src/runtime/log";
import { closeProcConnector, ProcessMonitor } from "../../../src/runtime/process-monitor";

const dir = mkdtempSync(join(tmpdir(), "keel-procmon-"));
const comm = `kpm${process.pid.toString(36)}`.slice(0, 15);
const binary = join(dir, comm);
symlinkSync(Bun.which("sleep")!, binary);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => closeProcConnector());

function monitor(globals: Partial<KeelConfig["globalDefs"]> = {}) {
  const lines: string[] = [];
  const changes: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const wake = (s: string) => {
    for (const w of waiters.filter((x) => x.re.test(s))) w.resolve();
  };
  const note = (s: string) => {
    changes.push(s);
    wake(s);
  };
  const config = { globalDefs: { ...createGlobalDefs(), ...globals }, vrrpTrackProcesses: {} } as unknown as KeelConfig;
  const tp = { ...createTrackProcess("tp"), process: comm };
  const m = new ProcessMonitor(
    [tp],
    config,
    createLogger({
      write: (l) => {
        lines.push(l);
        wake(l);
      },
    }),
    (_p, up, count) => note(`${up ? "up" : "down"} ${count}`),
  );
  /** the next change (or log line) matching `re`, from change number `from` on */
  const next = (re: RegExp, from = 0) =>
    changes.slice(from).some((c) => re.test(c)) || lines.some((l) => re.test(l))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ re, resolve }));
  return { m, lines, changes, next };
}

test("a process is followed by its fork/exec and exit events", async () => {
  const { m, lines, changes, next } = monitor();
  m.start();
  try {
    expect(m.mode).toBe("events");
    expect(changes).toEqual(["down 0"]);
    const p = Bun.spawn([binary, "600"]);
    await next(/^up 1$/);
    expect(m.state("tp")).toMatchObject({ count: 1, up: true });
    const from = changes.length;
    p.kill("SIGKILL");
    await p.exited;
    await next(/^down 0$/, from);
    expect(changes).toEqual(["down 0", "up 1", "down 0"]);
    expect(lines.join("\n")).not.toContain("scanning /proc");
  } finally {
    m.stop();
  }
});

test("lost events (ENOBUFS): a second later the buffer is doubled and /proc scanned again", async () => {
  // the smallest buffer the kernel allows: a handful of events fill it
  const { m, next } = monitor({ processMonitorRcvBufs: 1, processMonitorRcvBufsForce: true });
  m.start();
  const p = Bun.spawn([binary, "600"]);
  try {
    // the event loop is blocked meanwhile (spawnSync), so the events of these processes
    // pile up unread and overflow the queue
    for (let i = 0; i < 40; i++) Bun.spawnSync(["true"]);
    await next(/^up 1$/);
    await next(/Setting global_def process_monitor_rcv_bufs to \d+ - recommend updating configuration file/);
    expect(m.state("tp")).toMatchObject({ count: 1, up: true });
  } finally {
    p.kill("SIGKILL");
    m.stop();
  }
});
