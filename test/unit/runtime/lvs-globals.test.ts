// lvs_timeouts and lvs_sync_daemon: which IPVS calls keel makes, and when, as keepalived
// makes them (the calls reach a real kernel in test/vm/lvs.test.ts).
import { expect, test } from "bun:test";
import pino from "pino";
import type { IpvsSyncDaemon, IpvsTimeouts } from "../../../native-bindings/ipvs";
import { createConfig } from "../../../src/config/model";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { lvsSyncDaemonOf } from "../../../src/config/vrrp/lvs-syncd";
import { createVrrpInstance } from "../../../src/config/vrrp/model";
import { CheckerLvsGlobals, type IpvsControl, VrrpSyncDaemon } from "../../../src/runtime/lvs-globals";

/** IPVS as far as these calls go: the timeouts and the running daemons, with the kernel's errors */
class Kernelish implements IpvsControl {
  calls: string[] = [];
  t: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  running = new Map<string, IpvsSyncDaemon>();
  setTimeouts(t: IpvsTimeouts) {
    this.calls.push(`set ${t.tcp} ${t.tcpFin} ${t.udp}`);
    this.t = { tcp: t.tcp || this.t.tcp, tcpFin: t.tcpFin || this.t.tcpFin, udp: t.udp || this.t.udp };
  }
  timeouts() {
    return { ...this.t };
  }
  startDaemon(d: IpvsSyncDaemon) {
    this.calls.push(`start ${d.state} ${d.interface} ${d.syncId}`);
    if (this.running.has(d.state)) throw Object.assign(new Error("File exists (EEXIST)"), { errno: 17 });
    this.running.set(d.state, d);
  }
  stopDaemon(s: IpvsSyncDaemon["state"]) {
    this.calls.push(`stop ${s}`);
    if (!this.running.delete(s)) throw Object.assign(new Error("No such process (ESRCH)"), { errno: 3 });
  }
}
const log = pino({ level: "silent" });

test("lvs_timeouts: set at start (unset ones kept), the original values back at stop or when removed", () => {
  const k = new Kernelish();
  const g = new CheckerLvsGlobals(k, log);
  const c = createConfig();
  c.globalDefs.lvsTimeouts = { tcp: 7200, udp: 60 };
  g.apply(c);
  expect(k.t).toEqual({ tcp: 7200, tcpFin: 120, udp: 60 });
  const none = createConfig();
  g.apply(none);
  expect(k.t).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  g.apply(c);
  g.stop();
  expect(k.t).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  expect(k.calls).toEqual(["set 7200 0 60", "set 900 120 300", "set 7200 0 60", "set 900 120 300"]);
});

test("lvs_sync_daemon without an instance: the checker process runs master and backup, restarts them on change, stops them", () => {
  const k = new Kernelish();
  k.running.set("backup", { state: "backup", interface: "old", syncId: 9 }); // left by a crashed run
  const g = new CheckerLvsGlobals(k, log);
  const c = createConfig();
  c.globalDefs.lvsSyncDaemon = { interface: "eth1", syncId: 5 };
  g.apply(c);
  expect([...k.running.values()].map((d) => `${d.state} ${d.interface} ${d.syncId}`)).toEqual([
    "master eth1 5",
    "backup eth1 5",
  ]);
  k.calls = [];
  g.apply(c); // reload, unchanged: nothing
  expect(k.calls).toEqual([]);
  g.stop();
  expect(k.running.size).toBe(0);
  // tied to an instance: not the checker process's business
  const k2 = new Kernelish();
  const c2 = createConfig();
  c2.globalDefs.lvsSyncDaemon = { interface: "eth1", vrrpInstance: "VI_1" };
  new CheckerLvsGlobals(k2, log).apply(c2);
  expect(k2.calls.filter((x) => x.startsWith("start"))).toEqual([]);
});

test("lvs_sync_daemon with an instance: backup from the start, master while MASTER, backup after; syncid = VRID", () => {
  const k = new Kernelish();
  const c = createConfig();
  c.vrrpInstances.VI_1 = { ...createVrrpInstance("VI_1"), virtualRouterId: 51 };
  c.globalDefs.lvsSyncDaemon = { interface: "eth1", vrrpInstance: "VI_1" };
  const s = new VrrpSyncDaemon(k, log, c);
  s.transition("VI_2", "MASTER"); // another instance: nothing
  s.transition("VI_1", "BACKUP");
  s.transition("VI_1", "MASTER");
  s.transition("VI_1", "FAULT");
  s.transition("VI_1", "BACKUP");
  s.stop();
  expect(k.calls).toEqual([
    "start backup eth1 51",
    "stop backup",
    "start master eth1 51",
    "stop master",
    "start backup eth1 51",
    "stop backup",
  ]);
  // a daemon left running is taken over (EEXIST: stop, start again)
  const k2 = new Kernelish();
  k2.running.set("backup", { state: "backup", interface: "eth1", syncId: 51 });
  new VrrpSyncDaemon(k2, log, c).transition("VI_1", "BACKUP");
  expect(k2.calls).toEqual(["start backup eth1 51", "stop backup", "start backup eth1 51"]);
  // an instance that does not exist: nothing to follow
  const c3 = createConfig();
  c3.globalDefs.lvsSyncDaemon = { interface: "eth1", vrrpInstance: "NOPE" };
  expect(VrrpSyncDaemon.wanted(c3)).toBeUndefined();
});

test("lvs_sync_daemon_interface in a vrrp_instance: the same sync daemon as global lvs_sync_daemon IF inst NAME", () => {
  // keepalived vrrp_lvs_syncd_handler: lvs_syncd.ifname = IF, lvs_syncd.vrrp = the instance
  const text = (global: string) =>
    `global_defs {\n${global}}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\npriority 100\n` +
    "lvs_sync_daemon_interface eth1\nvirtual_ipaddress {\n10.0.0.1\n}\n}\n" +
    "vrrp_instance VI_2 {\ninterface eth0\nvirtual_router_id 52\npriority 100\n" +
    "lvs_sync_daemon_interface eth2\nvirtual_ipaddress {\n10.0.0.2\n}\n}\n";
  const parse = (global: string) =>
    parseConf("/k.conf", {
      source: memorySource({ "/k.conf": text(global) }),
      host: { interfaceExists: () => true },
      configId: "x",
    });
  const r = parse("");
  expect(lvsSyncDaemonOf(r.config)).toEqual({ interface: "eth1", vrrpInstance: "VI_1" });
  expect(VrrpSyncDaemon.wanted(r.config)).toEqual({ syncd: { interface: "eth1", vrrpInstance: "VI_1" }, vrid: 51 });
  // the second one is ignored, as keepalived ignores it
  const words = r.diagnostics.items.map((d) => d.message);
  expect(words).toContain("(VI_2) lvs_sync_daemon_interface has already been specified as eth1 - ignoring");
  // it drives the daemon as the global form does: backup, master while VI_1 is MASTER
  const k = new Kernelish();
  const s = new VrrpSyncDaemon(k, log, r.config);
  s.transition("VI_1", "BACKUP");
  s.transition("VI_1", "MASTER");
  expect([...k.running.values()].map((d) => `${d.state} ${d.interface} ${d.syncId}`)).toEqual(["master eth1 51"]);
  s.stop();
  // global_defs lvs_sync_daemon wins over both
  const g = parse("lvs_sync_daemon eth3 inst VI_2\n");
  expect(lvsSyncDaemonOf(g.config)).toEqual({ interface: "eth3", vrrpInstance: "VI_2" });
  expect(g.diagnostics.items.filter((d) => /lvs_sync_daemon_interface has already/.test(d.message)).length).toBe(2);
});
