// The lines and notifies of instances that start in FAULT, as keepalived 2.2.7 writes and
// sends them (seen live beside it: test/interop/start-fault.test.ts):
// - vrrp_track.c initialise_tracking_priorities writes the cause ("(%s): entering FAULT
//   state (interface %s down)", "(tracked file %s has status %i)", "due to script %s", and
//   "VRRP_Group(%s): Syncing %s to FAULT state" for a group's first faulted member);
// - vrrp.c vrrp_complete_init then "(%s) entering FAULT state" for every instance in FAULT
//   or in a group in FAULT, with its FAULT notify (not at a reload when it was in FAULT);
// - vrrp_scheduler.c vrrp_init_state writes no "(init)" line for those, then the group
//   notifies, then "Entering BACKUP STATE (init)" and the BACKUP notifies of the others.
// Virtual time on a SimKernel: nothing here waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

/** One host (eth0 10.0.0.2/24), the configuration `text` after global_defs; eth0 down when `down`. */
function rig(text: string, o: { down?: boolean } = {}) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.2", prefixLen: 24 });
  if (o.down) sim.setLink("eth0", false);
  const lines: string[] = [];
  const notifies: string[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const config = configFromText(`${globalDefs(3)}\n${text}`, "h");
  const driver = new VrrpDriver({
    config,
    kernel: sim,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: 1000,
    onNotify: (n) => void notifies.push(`${n.kind} ${n.name} ${n.state}`),
  });
  const state = (name: string) => driver.router.instances.get(name)?.state;
  /** the lines this file is about: causes, "entering FAULT state", the state lines */
  const watched = (from = 0) =>
    lines.slice(from).filter((l) => /entering FAULT state|Syncing|Entering \w+ STATE/.test(l));
  const reload = (next: string) => {
    const r = driver.commitReload(driver.prepareReload(configFromText(`${globalDefs(3)}\n${next}`, "h")));
    expect(r.applied).toBe(true);
  };
  return { time, sim, driver, lines, notifies, state, watched, reload };
}

const inst = (name: string, vrid: number, extra: string[] = []) =>
  vrrpInstance({ name, vrid, priority: 100, vips: [`10.0.0.${100 + vrid}/24`], extra });

describe("instances that start in FAULT", () => {
  test("its interface down: the cause, 'entering FAULT state', no (init) line, one FAULT notify", () => {
    const r = rig(`${inst("VI_1", 1)}\n${inst("VI_2", 2, ["track_interface {", "  eth0", "}"])}`, { down: true });
    r.driver.start();
    r.driver.runDue();
    expect(r.state("VI_1")).toBe("FAULT");
    expect(r.state("VI_2")).toBe("FAULT");
    expect(r.watched()).toEqual([
      "(VI_1): entering FAULT state (interface eth0 down)",
      "(VI_2): entering FAULT state (interface eth0 down)",
      "(VI_1) entering FAULT state",
      "(VI_2) entering FAULT state",
    ]);
    expect(r.notifies).toEqual(["INSTANCE VI_1 FAULT", "INSTANCE VI_2 FAULT"]);
    // the link comes up: an ordinary transition line, no cause line
    const from = r.lines.length;
    r.sim.setLink("eth0", true);
    r.time.runUntil(r.time.now + 10, () => {});
    expect(r.watched(from)).toEqual(["(VI_1) Entering BACKUP STATE", "(VI_2) Entering BACKUP STATE"]);
    r.driver.stop();
  });

  test("a sync group with a faulted member: 'Syncing', every member FAULT at once, notifies in keepalived's order", () => {
    const r = rig(
      `vrrp_track_file tf {\n  file /nonexistent/hfault-tf\n  init_file 1\n}\nvrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n` +
        `${inst("VI_0", 3)}\n${inst("VI_1", 1)}\n${inst("VI_2", 2, ["track_file {", "  tf weight 0", "}"])}`,
    );
    r.driver.start();
    r.driver.runDue();
    expect([r.state("VI_0"), r.state("VI_1"), r.state("VI_2")]).toEqual(["BACKUP", "FAULT", "FAULT"]);
    expect(r.watched()).toEqual([
      "(VI_2): entering FAULT state (tracked file tf has status -254)",
      "VRRP_Group(G): Syncing VI_2 to FAULT state",
      "(VI_1) entering FAULT state",
      "(VI_2) entering FAULT state",
      "(VI_0) Entering BACKUP STATE (init)",
    ]);
    // VI_1 never went through BACKUP: one FAULT notify each, the group's, then VI_0's
    expect(r.notifies).toEqual(["INSTANCE VI_1 FAULT", "INSTANCE VI_2 FAULT", "GROUP G FAULT", "INSTANCE VI_0 BACKUP"]);
    // the file goes to 0: the group comes up, VI_1 with it
    r.driver.track({ kind: "file", name: "tf", value: 0 });
    r.time.runUntil(r.time.now + 10, () => {});
    expect([r.state("VI_1"), r.state("VI_2")]).toEqual(["BACKUP", "BACKUP"]);
    r.driver.stop();
  });

  test("a weight-0 script not run yet: FAULT without any line or notify; init_fail: 'due to script'", () => {
    const scripts = `vrrp_script wait {\n  script /bin/true\n}\nvrrp_script bad {\n  script /bin/false\n  init_fail\n}\n`;
    const r = rig(
      `${scripts}${inst("VI_1", 1, ["track_script {", "  wait", "}"])}\n${inst("VI_2", 2, ["track_script {", "  bad", "}"])}`,
    );
    r.driver.start();
    r.driver.runDue();
    expect(r.state("VI_1")).toBe("FAULT");
    expect(r.state("VI_2")).toBe("FAULT");
    expect(r.watched()).toEqual(["(VI_2): entering FAULT state due to script bad", "(VI_2) entering FAULT state"]);
    expect(r.notifies).toEqual(["INSTANCE VI_2 FAULT"]);
    r.driver.stop();
  });

  test("a deferred start (netlink watch refused at first): a track_file result reported meanwhile is kept", () => {
    const r = rig(
      `vrrp_track_file tf {\n  file /nonexistent/hfault-tf\n}\n${inst("VI_1", 1, ["track_file {", "  tf weight 0", "}"])}`,
    );
    // the kernel refuses the first subscription: the engine waits for the reconcile that gets it
    const watch = r.sim.watch.bind(r.sim);
    let refused = false;
    r.sim.watch = (...args: Parameters<SimKernel["watch"]>) => {
      if (refused) return watch(...args);
      refused = true;
      return { ok: false, error: { op: "watch", code: "ENOBUFS", message: "No buffer space available" } };
    };
    r.driver.start();
    expect(r.state("VI_1")).toBe("INIT");
    // the trackers start before the engine (daemon.ts): the file's value comes now
    r.driver.track({ kind: "file", name: "tf", value: 1 });
    r.time.runUntil(r.time.now + 1500, () => {});
    expect(refused).toBe(true);
    expect(r.state("VI_1")).toBe("FAULT");
    expect(r.watched()).toEqual([
      "(VI_1): entering FAULT state (tracked file tf has status -254)",
      "(VI_1) entering FAULT state",
    ]);
    expect(r.notifies).toEqual(["INSTANCE VI_1 FAULT"]);
    r.driver.stop();
  });

  test("a reload: the causes again, 'entering FAULT state' only for one not in FAULT before, no group notify again", () => {
    const group = "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n";
    const conf = (tracks: boolean) =>
      `${group}${inst("VI_1", 1)}\n${inst("VI_2", 2)}\n${inst("VI_3", 3, tracks ? ["track_interface {", "  eth0", "}"] : [])}`;
    const r = rig(conf(false), { down: true });
    r.driver.start();
    r.driver.runDue();
    expect(r.notifies).toEqual(["INSTANCE VI_1 FAULT", "INSTANCE VI_2 FAULT", "INSTANCE VI_3 FAULT", "GROUP G FAULT"]);
    let from = r.lines.length;
    let nFrom = r.notifies.length;
    r.reload(conf(false));
    r.driver.runDue();
    const causes = [
      "(VI_1): entering FAULT state (interface eth0 down)",
      "(VI_2): entering FAULT state (interface eth0 down)",
      "(VI_3): entering FAULT state (interface eth0 down)",
      "VRRP_Group(G): Syncing VI_1 to FAULT state",
    ];
    expect(r.watched(from)).toEqual(causes);
    expect(r.notifies.slice(nFrom)).toEqual([]);
    // VI_3 changed (it tracks eth0 now), restarted: it was in FAULT already, so no line, no notify
    from = r.lines.length;
    nFrom = r.notifies.length;
    r.reload(conf(true));
    r.driver.runDue();
    expect(r.watched(from)).toEqual(causes);
    expect(r.notifies.slice(nFrom)).toEqual([]);
    r.driver.stop();
  });
});
