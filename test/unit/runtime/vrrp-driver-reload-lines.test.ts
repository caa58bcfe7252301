// The VRRP driver's own lines at a reload, as keepalived 2.2.7's VRRP child writes them
// (seen live beside it: test/interop/reload-lines.test.ts), in virtual time on a SimKernel:
// - with -D (keel's debug level), vrrp.c add_vrrp_to_interface's "Assigned address A for
//   interface I", each family's own address of an interface as it first joins an instance
//   (before the FAULT causes and the instances' lines);
// - with -D, vrrp_dispatcher_init's dump of the whole socket pool (dump_sock_list) after the
//   instances' lines: the sockets kept and the ones the reload opened, in the order the
//   instances need them, none as it opens; a refused reload writes none;
// - without -D neither (nor the start's pool dump).
// ("Reloading" is the transaction's: src/runtime/daemon-reload.ts.)
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

const V4 = vrrpInstance({ name: "VI_4", vrid: 1, priority: 255, state: "MASTER", vips: ["192.168.1.1/32"] });
const V4B = vrrpInstance({ name: "VI_4B", vrid: 2, priority: 100, vips: ["192.168.1.2/32"] });
const V6 = vrrpInstance({
  name: "VI_6",
  vrid: 3,
  priority: 255,
  state: "MASTER",
  family: 6,
  vips: ["2001:db8::3/128"],
});
const conf = (...instances: string[]) => configFromText(`${globalDefs(3)}\n${instances.join("\n")}`, "h");

/** One host (eth0 10.0.0.1/24, fe80::1), logging at `level`, on a kernel that can refuse. */
function rig(level: "debug" | "info", first = conf(V4)) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.1", prefixLen: 24 });
  const fk = new FaultKernel(sim, () => 0, NO_FAULTS);
  const lines: string[] = [];
  const log = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l).msg) });
  const driver = new VrrpDriver({
    config: first,
    kernel: fk,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: 1000,
  });
  driver.start();
  time.runUntil(time.now + 10, () => {});
  const reload = (...instances: string[]) => {
    const from = lines.length;
    const r = driver.commitReload(driver.prepareReload(conf(...instances)));
    return { r, lines: lines.slice(from) };
  };
  return { time, fk, driver, lines, reload };
}

const POOL4 = "VRRP sockpool: [ifindex(  2), family(IPv4), proto(112), multicast, address(224.0.0.18)]";
const POOL6 = "VRRP sockpool: [ifindex(  2), family(IPv6), proto(112), multicast, address(ff02::12)]";
const watched = (lines: string[]) => lines.filter((l) => /^(Assigned address|VRRP sockpool)|\) setting VIPs/.test(l));

describe("a reload's lines (keepalived reload_vrrp_thread, vrrp_dispatcher_init)", () => {
  test("-D: the interface's addresses, the instances' lines, then the whole pool, the new socket included", () => {
    const r = rig("debug");
    expect(r.driver.instance("VI_4")?.state).toBe("MASTER");
    expect(r.lines.filter((l) => l.startsWith("VRRP sockpool"))).toEqual([POOL4]);
    const { r: result, lines } = r.reload(V4, V6, V4B);
    expect(result.applied).toBe(true);
    expect(watched(lines)).toEqual([
      // each family's own address of eth0, once: its first instance joins it
      "Assigned address 10.0.0.1 for interface eth0",
      "Assigned address fe80::1 for interface eth0",
      "(VI_4) setting VIPs.",
      // the IPv4 socket (VI_4, VI_4B) first, kept from the start, then the one opened now
      POOL4,
      POOL6,
    ]);
    r.driver.stop();
  });

  test("-D: a refused reload (a socket the kernel will not open) writes no pool", () => {
    const r = rig("debug");
    r.fk.only = /^open-channel$/;
    r.fk.rates = { ...NO_FAULTS, fail: 1 };
    const { r: result, lines } = r.reload(V4, V6);
    expect(result.applied).toBe(false);
    expect(lines.filter((l) => l.startsWith("VRRP sockpool"))).toEqual([]);
    // the next reload, once the kernel takes it, dumps the pool once
    r.fk.rates = NO_FAULTS;
    const again = r.reload(V4, V6);
    expect(again.r.applied).toBe(true);
    expect(again.lines.filter((l) => l.startsWith("VRRP sockpool"))).toEqual([POOL4, POOL6]);
    r.driver.stop();
  });

  test("without -D: no addresses and no pool, at the start or at a reload", () => {
    const r = rig("info");
    const { r: result, lines } = r.reload(V4, V6);
    expect(result.applied).toBe(true);
    expect(r.lines.filter((l) => /^(Assigned address|VRRP sockpool)/.test(l))).toEqual([]);
    expect(lines).toContain("(VI_4) setting VIPs.");
    r.driver.stop();
  });

  test("-D, at a start as at a reload: a track_interface joins silently, a sync group's track_interface writes its line", () => {
    // lo (127.0.0.1): VI_4's track_interface at start (vrrp_complete_instance, log_addr
    // false); at the reload G's (sync_group_tracking_init, log_addr true), VI_4 plain
    const tracking = vrrpInstance({
      name: "VI_4",
      vrid: 1,
      priority: 255,
      state: "MASTER",
      vips: ["192.168.1.1/32"],
      trackInterfaces: ["lo"],
    });
    const group = "vrrp_sync_group G {\n  group {\n    VI_4\n  }\n  track_interface {\n    lo\n  }\n}";
    const eth0 = ["Assigned address 10.0.0.1 for interface eth0", "Assigned address fe80::1 for interface eth0"];
    const r = rig("debug", conf(tracking));
    expect(r.lines.filter((l) => l.startsWith("Assigned address"))).toEqual(eth0);
    const { lines } = r.reload(group, V4);
    expect(lines.filter((l) => l.startsWith("Assigned address"))).toEqual([
      ...eth0,
      "Assigned address 127.0.0.1 for interface lo",
    ]);
    // both: VI_4's track_interface joined first, so G's finds lo's list taken and writes nothing
    expect(r.reload(group, tracking).lines.filter((l) => l.startsWith("Assigned address"))).toEqual(eth0);
    r.driver.stop();
  });
});
