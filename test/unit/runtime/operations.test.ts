// The operations of the control socket on a whole daemon (in-memory kernel, real config
// files, real control socket, a temp dir): who and why in events and status, switchover on
// a master and its refusal on a backup, maintenance kept across a reload and a restart in
// its state file, and a bad state file refusing the start by name.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, connect } from "../../../src/control/client";
import type { Event, Status } from "../../../src/control/protocol";
import { loadConfig } from "../../../src/config/load";
import { Daemon, type DaemonOptions } from "../../../src/runtime/daemon";
import { createLogger } from "../../../src/runtime/log";
import { TestKernel } from "./daemon-kernel";

// A Daemon applies global_defs umask (keepalived's default 0177) to this process, as it
// must in a real start: give the test process its own back, or later files create
// directories and files with another mode.
const startUmask = process.umask();
afterEach(() => {
  process.umask(startUmask);
});

/** VRRPv3 at 0.1 s: a lone instance is MASTER after Master_Down_Interval, about 0.35 s */
function instance(name: string, vrid: number): string {
  return `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    10.0.0.${vrid}/32
  }
}
`;
}

class World {
  readonly dir = mkdtempSync(join(tmpdir(), "keel-ops-"));
  readonly file = join(this.dir, "keepalived.conf");
  readonly stateFile = join(this.dir, "keel.maintenance.json");
  readonly lines: string[] = [];
  readonly log = createLogger({ detail: true, write: (line) => void this.lines.push(line.trimEnd()) });
  private clients: Client[] = [];

  write(conf: string): void {
    writeFileSync(this.file, `global_defs {\n  router_id t\n  vrrp_version 3\n}\n${conf}`);
  }

  options(): DaemonOptions {
    const load = () => loadConfig(this.file);
    return {
      config: load().config,
      configFile: this.file,
      log: this.log,
      argv: ["keel", "-n", "-f", this.file],
      kernel: new TestKernel(),
      pidFile: join(this.dir, "keel.pid"),
      vrrpPidFile: join(this.dir, "keel-vrrp.pid"),
      controlSocket: join(this.dir, "keel.sock"),
      load,
    };
  }

  async client(): Promise<Client> {
    const c = await connect(join(this.dir, "keel.sock"));
    this.clients.push(c);
    return c;
  }

  destroy(): void {
    for (const c of this.clients) c.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves with the first event `pick` accepts (the subscription is made by the caller). */
function collect(c: Client): { next(pick: (e: Event) => boolean): Promise<Event> } {
  const seen: Event[] = [];
  const waiting: { pick: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  c.onEvent((e) => {
    seen.push(e);
    for (const w of [...waiting])
      if (w.pick(e)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(e);
      }
  });
  return {
    next: (pick) =>
      new Promise((resolve) => {
        const hit = seen.find(pick);
        if (hit) {
          seen.splice(seen.indexOf(hit), 1);
          resolve(hit);
        } else waiting.push({ pick, resolve });
      }),
  };
}

const transition = (to: string, reason?: string) => (e: Event) =>
  e.event === "transition" && e.to === to && (reason === undefined || e.reason === reason);

let w: World;
let daemon: Daemon | undefined;

beforeEach(() => {
  w = new World();
  w.write(instance("VI_1", 51));
});

afterEach(async () => {
  await stopDaemon();
  w.destroy();
});

async function stopDaemon(): Promise<void> {
  if (!daemon) return;
  daemon.stop("test end");
  await daemon.done;
  daemon = undefined;
}

async function started(): Promise<Daemon> {
  daemon = new Daemon(w.options());
  expect(await daemon.start()).toBe(true);
  return daemon;
}

const uid = process.getuid?.() ?? 0;

test("switchover: refused on a backup; on the master a priority-0 resign with who and why, and back on --release", async () => {
  await started();
  const c = await w.client();
  const events = collect(c);
  await c.request({ cmd: "subscribe" });
  // before Master_Down_Interval ran out it is BACKUP: nothing to hand over (or already
  // MASTER on a very slow machine: then this check is skipped, the next ones still hold)
  const early = await c.request({ cmd: "switchover", instance: "VI_1" });
  if (!early.ok) expect(early.error).toMatchObject({ code: "not-master" });
  else await events.next(transition("BACKUP", "hold"));
  await events.next(transition("MASTER", "master-down-timer"));
  const r = await c.request({ cmd: "switchover", instance: "VI_1", reason: "kernel upgrade" });
  expect(r.ok).toBe(true);
  const op = await events.next((e) => e.event === "operation" && e.op === "switchover");
  expect(op).toMatchObject({ target: "VI_1", reason: "kernel upgrade" });
  expect(op.event === "operation" && op.by).toContain(`(uid ${uid}, pid ${process.pid})`);
  const t = await events.next(transition("BACKUP", "hold"));
  expect(t.event === "transition" && t.why).toContain("resigned (priority 0 advert)");
  expect(w.lines.some((l) => /\(VI_1\) sent 0 priority/.test(l))).toBe(true);
  const st = (await c.request({ cmd: "status" })) as { ok: true; result: Status };
  expect(st.result.instances[0]?.holds).toEqual([
    { kind: "switchover", by: expect.stringContaining(`uid ${uid}`), reason: "kernel upgrade" },
  ]);
  expect(st.result.operations?.map((o) => o.op)).toContain("switchover");
  // alone on the segment: nobody took over, so after Master_Down_Interval it does (a
  // switchover hold never leaves the VIP unserved)
  await events.next(transition("MASTER", "master-down-timer"));
  const rel = await c.request({ cmd: "switchover", instance: "VI_1", release: true });
  expect(rel.ok).toBe(true);
  const again = await c.request({ cmd: "switchover", instance: "VI_1", release: true });
  expect(again).toMatchObject({ ok: false, error: { code: "not-held" } });
  const none = await c.request({ cmd: "switchover", instance: "VI_9" });
  expect(none).toMatchObject({ ok: false, error: { code: "not-found", message: "no instance VI_9" } });
}, 30_000);

test("maintenance: held BACKUP, written to the state file, kept across a reload and a restart, off again", async () => {
  await started();
  let c = await w.client();
  let events = collect(c);
  await c.request({ cmd: "subscribe" });
  await events.next(transition("MASTER"));
  const on = await c.request({ cmd: "maintenance", on: true, instances: ["VI_1"], reason: "disk swap" });
  expect(on.ok).toBe(true);
  await events.next(transition("BACKUP", "hold"));
  const file = JSON.parse(readFileSync(w.stateFile, "utf8"));
  expect(file).toMatchObject({ version: 1, instances: { VI_1: { reason: "disk swap" } } });
  // a reload that adds VI_2: VI_1 stays held; VI_2 (not named) starts as usual
  w.write(instance("VI_1", 51) + instance("VI_2", 52));
  expect((daemon as Daemon).reload()).toMatchObject({ ok: true, applied: true });
  await events.next((e) => e.event === "transition" && e.instance === "VI_2" && e.to === "MASTER");
  expect(daemon?.driver?.instance("VI_1")?.state).toBe("BACKUP");
  expect(daemon?.driver?.instance("VI_1")?.isHeld("maintenance")).toBe(true);
  // a restart reads the file: VI_1 starts held, and stays BACKUP past several Master_Down_Intervals
  await stopDaemon();
  await started();
  c = await w.client();
  events = collect(c);
  await c.request({ cmd: "subscribe" });
  await events.next((e) => e.event === "transition" && e.instance === "VI_2" && e.to === "MASTER");
  const held = daemon?.driver?.instance("VI_1");
  expect(held?.isHeld("maintenance")).toBe(true);
  expect(held?.holds()[0]).toMatchObject({ kind: "maintenance", reason: "disk swap" });
  expect(w.lines.some((l) => l.includes(`maintenance is on for VI_1 (${w.stateFile})`))).toBe(true);
  // --all: VI_2 resigns too; then off for all: both may become MASTER again
  expect((await c.request({ cmd: "maintenance", on: true, all: true })).ok).toBe(true);
  await events.next((e) => e.event === "transition" && e.instance === "VI_2" && e.to === "BACKUP");
  expect(held?.state).toBe("BACKUP");
  expect((await c.request({ cmd: "maintenance", on: false, all: true })).ok).toBe(true);
  await events.next((e) => e.event === "transition" && e.instance === "VI_1" && e.to === "MASTER");
  expect(JSON.parse(readFileSync(w.stateFile, "utf8"))).toEqual({ version: 1, instances: {} });
  const bad = await c.request({ cmd: "maintenance", on: true, instances: ["VI_9"] });
  expect(bad).toMatchObject({ ok: false, error: { code: "not-found", message: "no instance VI_9" } });
}, 30_000);

test("a state file that cannot be read refuses the start, naming it and what is wrong", async () => {
  writeFileSync(w.stateFile, '{"version": 1, "instances": {"VI_1": {"at": "yesterday"}}}');
  daemon = new Daemon(w.options());
  expect(await daemon.start()).toBe(false);
  daemon = undefined;
  expect(
    w.lines.some((l) => l.includes(`cannot start: ${w.stateFile}: "instances"."VI_1": "at" is not a number`)),
  ).toBe(true);
});
