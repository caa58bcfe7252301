// The daemon as an object: start, stop, the reload transaction and the error policy, on
// an in-memory kernel (daemon-kernel.ts), with real config files, the real loader, the
// real logger and the real control socket, all in a temp dir (no root needed).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, connect } from "../../../src/control/client";
import { type Event, parseCounters, type ReloadStatus, type Status } from "../../../src/control/protocol";
import { loadConfig } from "../../../src/config/load";
import { Daemon, type DaemonOptions, runDaemon } from "../../../src/runtime/daemon";
import { EarlyStop } from "../../../src/runtime/daemon-signals";
import { createLogger } from "../../../src/runtime/log";
import { renderMetrics } from "../../../src/runtime/metrics";
import { TestKernel } from "./daemon-kernel";

// A Daemon applies global_defs umask (keepalived's default 0177) to this process, as it
// must in a real start: give the test process its own back, or later files create
// directories and files with another mode.
const startUmask = process.umask();
afterEach(() => {
  process.umask(startUmask);
});

const SCRIPT = 'vrrp_script chk {\n  script "/bin/true"\n  interval 1\n}\n';

function instance(name: string, vrid: number, extra = ""): string {
  return `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.${vrid}/32
  }
  track_script {
    chk
  }
${extra}}
`;
}

/** A daemon's world: its files in a temp dir, its log lines, waits on both. */
class World {
  readonly dir = mkdtempSync(join(tmpdir(), "keel-daemon-"));
  readonly file = join(this.dir, "keepalived.conf");
  readonly kernel = new TestKernel();
  readonly lines: string[] = [];
  private readonly waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  readonly log = createLogger({
    write: (line) => {
      this.lines.push(line.trimEnd());
      for (const w of [...this.waiters]) this.check(w);
    },
  });
  clients: Client[] = [];

  constructor(conf: string) {
    this.write(conf);
  }

  write(conf: string): void {
    writeFileSync(this.file, `global_defs {\n  router_id t\n}\n${SCRIPT}${conf}`);
  }

  options(): DaemonOptions {
    const load = () => loadConfig(this.file);
    const r = load();
    expect(r.diagnostics.errorCount).toBe(0);
    return {
      config: r.config,
      configFile: this.file,
      log: this.log,
      argv: ["keel", "-n", "-f", this.file],
      kernel: this.kernel,
      pidFile: join(this.dir, "keel.pid"),
      vrrpPidFile: join(this.dir, "keel-vrrp.pid"),
      controlSocket: join(this.dir, "keel.sock"),
      load,
    };
  }

  /** The first log line matching `re` from line `from` on, now or once it is written. */
  waitFor(re: RegExp, from = 0): Promise<string> {
    return new Promise((resolve) => {
      const w = { re, from, resolve };
      this.waiters.push(w);
      this.check(w);
    });
  }

  private check(w: { re: RegExp; from: number; resolve: (l: string) => void }): void {
    const hit = this.lines.slice(w.from).find((l) => w.re.test(l));
    if (hit === undefined) return;
    this.waiters.splice(this.waiters.indexOf(w), 1);
    w.resolve(hit);
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

/**
 * The next event of a subscribed client that `pick` accepts. The bound only turns a
 * missing event into a failure that says which; it is far above any wait it covers.
 */
function nextEvent(c: Client, pick: (e: Event) => boolean, what: string): Promise<Event> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within 15 s`)), 15_000);
    c.onEvent((e) => {
      if (!pick(e)) return;
      clearTimeout(t);
      resolve(e);
    });
  });
}

const WAITS = { timeout: 20_000 };

const scriptResult = (e: Event) => e.event === "track" && e.kind === "script" && e.name === "chk";

let w: World;
let daemon: Daemon | undefined;

beforeEach(() => {
  w = new World(instance("VI_1", 51));
});

afterEach(async () => {
  if (daemon) {
    daemon.stop("test end");
    await daemon.done;
    daemon = undefined;
  }
  w.destroy();
});

async function started(): Promise<Daemon> {
  daemon = new Daemon(w.options());
  expect(await daemon.start()).toBe(true);
  return daemon;
}

describe("lifecycle", () => {
  test("onReady runs once, after Startup complete (a background start's readiness)", async () => {
    const at: number[] = [];
    daemon = new Daemon({ ...w.options(), onReady: () => at.push(w.lines.length) });
    expect(await daemon.start()).toBe(true);
    const startup = w.lines.findIndex((l) => /Startup complete/.test(l));
    expect(startup).toBeGreaterThan(-1);
    expect(at).toEqual([startup + 1]);
  });

  test("a track_file read before the instances start: one held down starts in FAULT with keepalived's lines", async () => {
    // keepalived vrrp_complete_init: init_track_files before initialise_tracking_priorities
    const tf = join(w.dir, "tf");
    writeFileSync(tf, "1\n");
    w.write(
      `track_file tf {\n  file ${tf}\n}\n${instance("VI_1", 51)}${instance("VI_2", 52, "  track_file {\n    tf weight 0\n  }\n")}`,
    );
    await started();
    const at = (re: RegExp) => w.lines.findIndex((l) => re.test(l));
    const cause = at(/\(VI_2\): entering FAULT state \(tracked file tf has status -254\)$/);
    expect(cause).toBeGreaterThan(-1);
    expect(at(/\(VI_2\) entering FAULT state$/)).toBeGreaterThan(cause);
    expect(at(/\(VI_2\) Entering \w+ STATE/)).toBe(-1);
    expect(daemon?.status().instances.find((i) => i.name === "VI_2")?.state).toBe("FAULT");
  });

  test("--ignore-sigint: SIGINT leaves it running, SIGTERM still stops it", async () => {
    const run = runDaemon({ ...w.options(), ignoreSigint: true });
    await w.waitFor(/Startup complete/);
    // the listener itself, as the signal would reach it (its stop would log "Stopping" at once)
    process.emit("SIGINT");
    expect(w.lines.some((l) => /Stopping$/.test(l))).toBe(false);
    const c = await w.client();
    expect(((await c.request({ cmd: "status" })) as { ok: boolean }).ok).toBe(true);
    process.emit("SIGTERM");
    expect(await run).toBe(0);
  });

  test("runDaemon on a given kernel: pid files and socket in a temp dir, SIGTERM stops it with 0", async () => {
    const o = w.options();
    const run = runDaemon(o);
    await w.waitFor(/Startup complete/);
    expect(existsSync(o.pidFile as string)).toBe(true);
    const c = await w.client();
    const st = (await c.request({ cmd: "status" })) as { ok: true; result: Status };
    expect(st.result.instances.map((i) => i.name)).toEqual(["VI_1"]);
    expect(st.result.internalErrors?.vrrp).toBe(0);
    process.kill(process.pid, "SIGTERM");
    expect(await run).toBe(0);
    expect(w.lines.some((l) => /Stopping$/.test(l))).toBe(true);
    expect(existsSync(o.pidFile as string)).toBe(false);
    expect(existsSync(o.controlSocket as string)).toBe(false);
    expect(w.kernel.closed).toBe(true);
  });

  test("a stop asked for during start-up waits for Startup complete, then stops cleanly", async () => {
    daemon = new Daemon(w.options());
    const starting = daemon.start();
    daemon.stop("SIGTERM");
    expect(await starting).toBe(true);
    expect(await daemon.done).toBe(0);
    const startup = w.lines.findIndex((l) => /Startup complete/.test(l));
    const stopping = w.lines.findIndex((l) => /Stopping$/.test(l));
    expect(startup).toBeGreaterThan(-1);
    expect(stopping).toBeGreaterThan(startup);
    daemon = undefined;
  });
  test("a SIGHUP during start-up is kept and reloads once Startup complete is written, not lost or fatal", async () => {
    daemon = new Daemon(w.options());
    const starting = daemon.start();
    // the listener is what stands between the signal and its default action (exit 129):
    // process.emit runs exactly the listeners a delivered SIGHUP would
    process.emit("SIGHUP", "SIGHUP");
    process.emit("SIGHUP", "SIGHUP");
    expect(await starting).toBe(true);
    await w.waitFor(/Reload complete/);
    const startup = w.lines.findIndex((l) => /Startup complete/.test(l));
    const reloads = w.lines.flatMap((l, n) => (/Reloading \.\.\./.test(l) ? [n] : []));
    expect(startup).toBeGreaterThan(-1);
    // two signals while pending are one, as in the kernel's pending set
    expect(reloads).toHaveLength(1);
    expect(reloads[0]).toBeGreaterThan(startup);
    // after the start the table's own handler answers, and only it
    expect(process.listenerCount("SIGHUP")).toBe(1);
  });
});

describe("signals during start-up (EarlyStop)", () => {
  test("stop, HUP, USR1 and USR2 are kept, each once; removal leaves no listener", () => {
    const before = (["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const).map((s) =>
      process.listenerCount(s),
    );
    const e = new EarlyStop();
    e.install();
    for (const s of ["SIGUSR2", "SIGHUP", "SIGUSR2", "SIGTERM", "SIGINT"] as const) process.emit(s, s);
    expect(e.signal).toBe("SIGTERM");
    expect([...e.deferred].sort()).toEqual(["SIGHUP", "SIGUSR2"]);
    e.remove();
    const after = (["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const).map((s) => process.listenerCount(s));
    expect(after).toEqual(before);
  });
});

describe("reload transaction", () => {
  test("applied: an added instance starts, the unchanged one runs on as the same object", async () => {
    const d = await started();
    const vi1 = d.driver?.instance("VI_1");
    w.write(instance("VI_1", 51) + instance("VI_2", 52));
    const r = d.reload();
    expect(r).toMatchObject({ ok: true, applied: true, errors: [] });
    expect(d.driver?.instance("VI_1")).toBe(vi1 as NonNullable<typeof vi1>);
    expect(d.driver?.instance("VI_2")).toBeDefined();
    await w.waitFor(/Reload complete/);
  });

  test("a config error keeps everything and its diagnostic reaches the reload command and status", async () => {
    const d = await started();
    const vi1 = d.driver?.instance("VI_1");
    const scripts = d.trackers?.scripts;
    w.write(`${instance("VI_1", 51)}vrrp_instance VI_2 {\n  no_such_keyword 1\n}\n`);
    const c = await w.client();
    const reply = await c.request({ cmd: "reload" });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.message).toMatch(/keepalived\.conf:\d+:\d+: error/);
    await w.waitFor(/Reload failed: \d+ error\(s\) in .*; keeping the running configuration/);
    expect(d.driver?.instance("VI_1")).toBe(vi1 as NonNullable<typeof vi1>);
    expect(d.driver?.instance("VI_2")).toBeUndefined();
    expect(d.trackers?.scripts).toBe(scripts);
    const st = (await c.request({ cmd: "status" })) as { ok: true; result: Status };
    expect(st.result.lastReload).toMatchObject({ ok: false, applied: false });
  });

  test(
    "a link delete the kernel refuses (a stale VMAC in the way): refused, scripts run on",
    async () => {
      // on another parent (ifindex 99): not VI_2's to reuse, so deleted and made again (vmac-name.ts planVmac)
      w.kernel.createVmac("vrrp.52", 99, new Uint8Array([0, 0, 0x5e, 0, 1, 52]));
      w.kernel.failOn(
        "deleteLink",
        (n) => n === "vrrp.52",
        Object.assign(new Error("Device or resource busy"), { code: "EBUSY" }),
      );
      const d = await started();
      const vi1 = d.driver?.instance("VI_1");
      const c = await w.client();
      await c.request({ cmd: "subscribe" });
      const reloaded = nextEvent(c, (e) => e.event === "reload", "reload event");
      w.write(instance("VI_1", 51) + instance("VI_2", 52, "  use_vmac vrrp.52\n"));
      const r = d.reload();
      expect(r.applied).toBe(false);
      expect(r.errors.join("\n")).toContain("(VI_2) cannot create VMAC vrrp.52 on eth0: Device or resource busy");
      expect(await reloaded).toMatchObject({ event: "reload", ok: false, applied: false });
      // logged in full: the message and the stack that names the file
      const failed = w.lines.findIndex((l) =>
        /Reload failed: .*Device or resource busy; keeping the running configuration/.test(l),
      );
      expect(failed).toBeGreaterThan(-1);
      expect(w.lines.slice(failed).join("\n")).toMatch(/at .*vrrp-driver\.ts:\d+/);
      expect(d.driver?.instance("VI_1")).toBe(vi1 as NonNullable<typeof vi1>);
      expect(d.driver?.instance("VI_2")).toBeUndefined();
      // the old runner still runs its scripts: a result arrives after the refusal
      const result = await nextEvent(c, scriptResult, "vrrp_script result (are the scripts still running?)");
      expect(result).toMatchObject({ ok: true });
    },
    WAITS,
  );

  test("a socket that will not open: the VMAC made for it is deleted again and the old state runs on", async () => {
    w.kernel.failOn(
      "openChannel",
      (n) => n === "vrrp.52",
      Object.assign(new Error("Operation not permitted"), { code: "EPERM" }),
    );
    const d = await started();
    const vi1 = d.driver?.instance("VI_1");
    w.write(instance("VI_1", 51) + instance("VI_2", 52, "  use_vmac vrrp.52\n"));
    const r = d.reload();
    expect(r).toMatchObject({ ok: false, applied: false });
    expect(r.errors[0]).toContain("cannot open the VRRP socket on vrrp.52 (IPv4, proto 112): Operation not permitted");
    expect(w.kernel.linkByName("vrrp.52")).toBeUndefined();
    expect(d.driver?.instance("VI_1")).toBe(vi1 as NonNullable<typeof vi1>);
    expect(d.driver?.interfacesOf("VI_2")).toBeUndefined();
    // nothing was left half done: once the kernel allows it, the same reload goes through
    w.kernel.clearFailures();
    expect(d.reload()).toMatchObject({ ok: true, applied: true });
    expect(w.kernel.linkByName("vrrp.52")?.up).toBe(true);
    expect(d.driver?.interfacesOf("VI_2")?.sendIf).toBe("vrrp.52");
  });

  test(
    "a removed instance's VMAC the kernel will not delete: applied, reported, scripts keep running",
    async () => {
      w.write(instance("VI_1", 51) + instance("VI_2", 52, "  use_vmac vrrp.52\n"));
      const d = await started();
      expect(w.kernel.linkByName("vrrp.52")?.up).toBe(true);
      w.kernel.failOn(
        "deleteLink",
        (n) => n === "vrrp.52",
        Object.assign(new Error("Operation not permitted"), { code: "EPERM" }),
      );
      const c = await w.client();
      await c.request({ cmd: "subscribe" });
      w.write(instance("VI_1", 51));
      const reply = await c.request({ cmd: "reload" });
      expect(reply.ok).toBe(false);
      if (!reply.ok)
        expect(reply.error.message).toBe(
          "the new configuration is running, with errors:\n" +
            "(VI_2) Failed to delete VMAC vrrp.52: Operation not permitted",
        );
      expect(d.driver?.instance("VI_2")).toBeUndefined();
      expect(d.lastReload).toMatchObject({ ok: false, applied: true });
      await w.waitFor(/Reload complete with 1 error\(s\)/);
      const result = await nextEvent(c, scriptResult, "vrrp_script result (are the scripts still running?)");
      expect(result).toMatchObject({ ok: true });
    },
    WAITS,
  );

  test(
    "a VIP removal the kernel refuses in the swap: the reload applies, the removal is retried",
    async () => {
      w.write(instance("VI_1", 51, "  virtual_ipaddress {\n    10.0.0.151/32\n  }\n"));
      const d = await started();
      await w.waitFor(/\(VI_1\) Entering MASTER STATE/);
      // the changed master loses 10.0.0.151: the kernel refuses its removal (a value, not a throw)
      w.kernel.failOn("vips", (op) => op === "del", new Error("sendmsg: No buffer space available"));
      w.write(instance("VI_1", 51));
      const r = d.reload();
      expect(r).toMatchObject({ ok: true, applied: true });
      await w.waitFor(/cannot remove VIP 10\.0\.0\.151\/32 on eth0; trying again: sendmsg: No buffer space/);
      expect(w.kernel.sim.addressesOn("eth0")).toContain("10.0.0.151/32");
      w.kernel.clearFailures();
      // the driver's reconcile (every second) deletes it
      for (let i = 0; i < 40 && w.kernel.sim.addressesOn("eth0").includes("10.0.0.151/32"); i++) await Bun.sleep(100);
      expect(w.kernel.sim.addressesOn("eth0")).not.toContain("10.0.0.151/32");
      expect(d.faults.snapshot().vrrp).toBe(0);
      expect(d.driver?.kernelErrors.vips).toBeGreaterThanOrEqual(1); // the swap's, and retries before the clear
    },
    WAITS,
  );

  test("a loader that throws refuses the reload with the stack, counted as an internal error", async () => {
    const o = w.options();
    daemon = new Daemon({
      ...o,
      load: () => {
        throw new TypeError("loader bug");
      },
    });
    expect(await daemon.start()).toBe(true);
    const r: ReloadStatus = daemon.reload();
    expect(r).toMatchObject({ ok: false, applied: false });
    expect(r.errors[0]).toMatch(/^internal error: TypeError: loader bug\n\s+at /);
    expect(daemon.faults.snapshot().reload).toBe(1);
    await w.waitFor(/internal error in reload \(reading and preparing the new configuration\); keeping the running/);
  });
});

describe("error policy", () => {
  test("a throw in the driver's netlink handler: logged with its stack, counted, keel stops with 70", async () => {
    const d = await started();
    // a failed dump is a kernel failure, a value the driver retries; a bug is what throws:
    // here an event the handler cannot read
    w.kernel.emit({ type: "link", action: "new", link: undefined as never });
    expect(await d.done).toBe(70);
    const line = await w.waitFor(/internal error in vrrp \(a netlink event\); stopping keel: TypeError/);
    expect(line).toBeDefined();
    expect(w.lines.join("\n")).toMatch(/TypeError[^\n]*\n(\s+at .*\n)*\s+at .*daemon\.test\.ts:\d+/);
    expect(d.faults.snapshot().vrrp).toBe(1);
    expect(w.lines.some((l) => /Stopping$/.test(l))).toBe(true);
    expect(existsSync(join(w.dir, "keel.pid"))).toBe(false);
    const metrics = renderMetrics(d.driver as NonNullable<Daemon["driver"]>, undefined, undefined, d.faults.snapshot());
    expect(metrics).toContain('keel_internal_errors_total{part="vrrp"} 1');
    expect(metrics).toContain('keel_internal_errors_total{part="scripts"} 0');
    daemon = undefined;
  });

  test("an uncaught exception is counted as `process` and stops keel with 70 after a clean stop", async () => {
    const d = await started();
    process.emit("uncaughtException", new Error("stray callback"));
    expect(await d.done).toBe(70);
    expect(d.faults.snapshot().process).toBe(1);
    await w.waitFor(/internal error in process \(uncaught exception\); stopping keel: Error: stray callback/);
    expect(process.listenerCount("uncaughtException")).toBe(0);
    daemon = undefined;
  });

  test(
    "the scripts part is restarted: a fresh runner runs every script again",
    async () => {
      const d = await started();
      const c = await w.client();
      await c.request({ cmd: "subscribe" });
      const before = d.trackers?.scripts;
      d.faults.report("scripts", "a test", new Error("boom"));
      const after = d.trackers?.scripts;
      expect(after).not.toBe(before);
      const result = await nextEvent(c, scriptResult, "vrrp_script result (are the scripts still running?)");
      expect(result).toMatchObject({ ok: true });
      const st = (await c.request({ cmd: "status" })) as { ok: true; result: Status };
      expect(st.result.internalErrors?.scripts).toBe(1);
      await w.waitFor(/internal error in scripts \(a test\); restarting it: Error: boom/);
    },
    WAITS,
  );

  test("the control part is restarted: subscribers are let go, a new connection is served", async () => {
    const d = await started();
    const old = await w.client();
    await old.request({ cmd: "subscribe" });
    d.faults.report("control", "a test", new Error("broadcast broke"));
    expect(await old.request({ cmd: "status" })).toMatchObject({ ok: false, error: { code: "closed" } });
    const fresh = await w.client();
    const st = (await fresh.request({ cmd: "status" })) as { ok: true; result: Status };
    expect(st.result.internalErrors?.control).toBe(1);
    expect(st.result.instances.map((i) => i.name)).toEqual(["VI_1"]);
  });

  test("no part is restarted once the daemon stops (it would hold the process open)", async () => {
    const d = await started();
    d.stop("SIGTERM");
    expect(await d.done).toBe(0);
    const scripts = d.trackers?.scripts;
    d.faults.report("scripts", "a late result", new Error("late"));
    d.faults.report("control", "a late event", new Error("late"));
    expect(d.trackers?.scripts).toBe(scripts);
    expect(existsSync(join(w.dir, "keel.sock"))).toBe(false);
    daemon = undefined;
  });
});

describe("the delta stream (issue 20)", () => {
  test(
    "a transition event carries the faults after it; `counters` has status' numbers",
    async () => {
      await started();
      const c = await w.client();
      await c.request({ cmd: "subscribe" });
      // VI_1 hears no master: BACKUP -> MASTER after Master_Down_Interval
      const t = await nextEvent(c, (e) => e.event === "transition" && e.to === "MASTER", "transition to MASTER");
      expect(t).toMatchObject({ instance: "VI_1", faults: [] });
      const k = (await c.request({ cmd: "counters" })) as { ok: true; result: unknown };
      const counters = parseCounters(k.result);
      const st = (await c.request({ cmd: "status" })) as { ok: true; result: Status };
      const i = st.result.instances[0]!;
      expect(counters.ok && counters.value.instances).toEqual([
        // the counters were read before the status: an advert may leave in between
        ["VI_1", i.advertsReceived, expect.any(Number), i.errors, i.master ?? null],
      ]);
      const sent = counters.ok ? counters.value.instances[0]![2] : -1;
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThanOrEqual(i.advertsSent);
    },
    WAITS,
  );
});

describe("features loaded with the configuration (issue 20)", () => {
  test("a reload that turns enable_dbus on loads the D-Bus service then, and starts it", async () => {
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    // an address with no usable transport: the service, once built and started, says why it
    // cannot reach the bus (bus.ts start), with no bus needed here
    process.env.DBUS_SYSTEM_BUS_ADDRESS = "nosuchtransport:";
    try {
      const d = await started();
      expect(w.lines.filter((l) => /DBus/.test(l))).toEqual([]);
      writeFileSync(w.file, `global_defs {\n  router_id t\n  enable_dbus\n}\n${SCRIPT}${instance("VI_1", 51)}`);
      expect(d.reload()).toMatchObject({ ok: true, applied: true });
      expect(await w.waitFor(/DBus: bus address 'nosuchtransport:'.*the D-Bus service is not started/)).toBeDefined();
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
  });
});
