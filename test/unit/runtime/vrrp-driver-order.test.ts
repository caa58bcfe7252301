// The order of a backup's work when its Master_Down timer fires. keepalived 2.2.7 (vrrp.c
// vrrp_state_goto_master → vrrp_state_master_tx → vrrp_state_become_master) sends the
// advert, writes the log lines, asks for the addresses; then tells others
// (send_instance_notifies: scripts, SNMP traps, D-Bus signals; for keel also the control
// socket's subscribers). keel writes the transition's lines and "setting VIPs." just after
// the addresses' netlink request instead, in the same turn and in the same order among
// log lines: written cold, they were 0.2–0.45 ms of the failover's path to the VIP
// (issue 20, bench/RESULTS.md hfo3); only their time stamps can tell, by that much.
// Nothing else runs between the timer and the netlink request (issue 20). The first GARPs
// leave just after the request, before those lines (keepalived sends them after the
// request too, vrrp_send_link_update); their own lines are written where keepalived's are.
// Virtual time: nothing here waits on a clock.
import { expect, test } from "bun:test";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { VipTarget } from "../../../src/runtime/kernel";
import { createLogger } from "../../../src/runtime/log";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { FaultKernel, NO_FAULTS } from "../../sim/fault-kernel";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

/**
 * One MASTER-to-be (VI_1, priority 100, one VIP unless `addresses`) on a simulated host whose adverts, log
 * lines, netlink VIP requests and events are written, in order, to `order`.
 */
function recordingDriver(detail: boolean, addresses = ["192.168.1.1/32"]) {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.2", prefixLen: 24 });
  const order: string[] = [];
  const vips = sim.vips.bind(sim);
  sim.vips = (op: "add" | "del", items: VipTarget[]) => {
    order.push(`netlink ${op} ${items.map((i) => `${i.address.address} on ${i.ifname}`).join(",")}`);
    return vips(op, items);
  };
  const garp = sim.garp.bind(sim);
  sim.garp = (ifname: string, address: string, family: 4 | 6) => {
    order.push(`garp ${address} on ${ifname}`);
    return garp(ifname, address, family);
  };
  const kernel = new FaultKernel(sim, () => 0, NO_FAULTS, {
    onSend: () => void order.push("advert"),
    now: () => time.now,
  });
  const log = createLogger({
    detail,
    write: (line) => void order.push(`log ${line.slice(line.indexOf(": ") + 2).trim()}`),
  });
  const conf = vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, vips: addresses });
  const driver = new VrrpDriver({
    config: configFromText(`${globalDefs(3)}\n${conf}`, "h"),
    kernel,
    log,
    now: () => time.now,
    timers: { set: (fn, ms) => time.set(fn, Math.max(0, ms)), clear: (h) => time.clear(h) },
    reconcileMs: 60_000,
    onEvent: (e) => void order.push(`event ${e.event}${"to" in e ? ` ${e.to}` : ""}`),
  });
  return { time, sim, order, driver };
}

for (const detail of [true, false])
  test(`master-down${detail ? " with -D" : ""}: advert, VIPs, GARPs, log lines, then the transition event and the notify`, () => {
    const { time, order, driver } = recordingDriver(detail);
    driver.start();
    time.runUntil(1000, () => {});
    const from = order.length;
    // no master heard: Master_Down_Interval (3 × 1 s + Skew_Time) later it takes over
    time.runUntil(5000, () => {});
    const took = order.slice(from);
    const at = (re: RegExp) => took.findIndex((s) => re.test(s));
    expect(at(/^event transition MASTER$/)).toBeGreaterThan(0);
    const garp = "garp 192.168.1.1 on eth0";
    // keepalived writes the timeout line (with -D only) before its advert; keel's lines
    // come from the transition, which follows the advert the engine sends on entering MASTER,
    // and are written once the addresses are asked for and the first GARPs (garp_master_repeat,
    // 5) have left (see the top); the GARPs' own lines where keepalived writes them
    expect(took.slice(0, at(/Sending gratuitous ARP|^event notify$/))).toEqual([
      "advert",
      "netlink add 192.168.1.1 on eth0",
      garp,
      garp,
      garp,
      garp,
      garp,
      ...(detail ? ["log (VI_1) Receive advertisement timeout"] : []),
      "log (VI_1) Entering MASTER STATE",
      "log (VI_1) setting VIPs.",
      "event transition MASTER",
      "log (VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.168.1.1",
    ]);
    // with -D, keepalived's line per frame (vrrp_arp.c send_gratuitous_arp_immediate)
    expect(took.filter((s) => s === "log Sending gratuitous ARP on eth0 for 192.168.1.1")).toHaveLength(detail ? 5 : 0);
    // the notify (scripts, FIFOs) after both
    expect(at(/^event notify$/)).toBeGreaterThan(at(/^event transition MASTER$/));
    driver.stop();
  });

test("master-down: a line the driver writes before the request (a VIP without its interface) writes the held ones first, in keepalived's order", () => {
  const { time, order, driver } = recordingDriver(false, ["192.168.1.1/32", "192.168.2.1/32 dev eth9"]);
  driver.start();
  time.runUntil(1000, () => {});
  const from = order.length;
  time.runUntil(5000, () => {});
  const took = order.slice(from);
  expect(took.slice(0, took.indexOf("event transition MASTER") + 1)).toEqual([
    "advert",
    "log (VI_1) Entering MASTER STATE",
    "log (VI_1) cannot add VIP 192.168.2.1: no interface eth9",
    "log (VI_1) setting VIPs.",
    "netlink add 192.168.1.1 on eth0",
    "event transition MASTER",
  ]);
  driver.stop();
});

// Leaving MASTER, as keepalived 2.2.7 and 2.4.3 write it (vrrp.c vrrp_state_leave_master:
// the state line, then vrrp_restore_interface: the priority-0 advert, "(VI_1) sent 0
// priority" with -D, the VIPs), seen live with keepalived 2.2.7 for a deleted VIP and a
// tracked interface down; at shutdown (restore_vrrp_interfaces) no state line comes first.
const LEAVING = [
  {
    how: "a VIP deleted",
    state: "BACKUP",
    go: (sim: SimKernel) => void sim.deleteAddress("eth0", "192.168.1.1/32"),
  },
  {
    how: "a tracked interface down",
    state: "FAULT",
    go: (_sim: SimKernel, driver: VrrpDriver) => driver.track({ kind: "interface", name: "eth0", up: false }),
  },
  { how: "SIGTERM", state: "STOP", go: (_sim: SimKernel, driver: VrrpDriver) => driver.stop() },
] as const;
for (const { how, state, go } of LEAVING)
  test(`leaving MASTER (${how}) with -D: ${state === "STOP" ? "sent 0 priority first" : "the state line, then sent 0 priority"}, then the VIPs`, () => {
    const { time, sim, order, driver } = recordingDriver(true);
    driver.start();
    time.runUntil(5000, () => {});
    expect(driver.instance("VI_1")?.state).toBe("MASTER");
    const from = order.length;
    go(sim, driver);
    time.runUntil(5100, () => {});
    const left = order.slice(from).filter((s) => /^(advert|log \(VI_1\)|netlink del|event transition)/.test(s));
    const head = ["advert", "log (VI_1) sent 0 priority"];
    // the transition event (control socket, SNMP, D-Bus) after the priority-0 advert, as
    // before; at a stop keepalived writes no state line for the instance
    expect(left.slice(0, state === "STOP" ? 5 : 6)).toEqual([
      ...(state === "STOP" ? head : [`log (VI_1) Entering ${state} STATE`, ...head]),
      `event transition ${state}`,
      "log (VI_1) removing VIPs.",
      "netlink del 192.168.1.1 on eth0",
    ]);
    driver.stop();
  });

test("virtual routes (-D): none deleted at start (not set), set after the VIPs, removed before them (keepalived netlink_rtlist)", () => {
  // keepalived vrrp_restore_interface deletes only routes it set (netlink_rtlist without
  // force), so its clean-up at start and vrrp_init_state touch none but still write the
  // -D line; vrrp_state_become_master sets them after the VIPs, vrrp_restore_interface
  // removes them before the VIPs
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const sim = new SimKernel({ name: "h", segment, ipv4: "10.0.0.2", prefixLen: 24 });
  const order: string[] = [];
  const vips = sim.vips.bind(sim);
  sim.vips = (op: "add" | "del", items: VipTarget[]) => {
    order.push(`netlink ${op} ${items.map((i) => i.address.address).join(",")}`);
    return vips(op, items);
  };
  const route = sim.route.bind(sim);
  sim.route = (op, r) => {
    order.push(`netlink ${op} route ${r.dst}`);
    return route(op, r);
  };
  const garp = sim.garp.bind(sim);
  sim.garp = (ifname: string, address: string, family: 4 | 6) => {
    order.push(`garp ${address}`);
    return garp(ifname, address, family);
  };
  const kernel = new FaultKernel(sim, () => 0, NO_FAULTS, { now: () => time.now });
  const log = createLogger({
    detail: true,
    write: (line) => void order.push(`log ${line.slice(line.indexOf(": ") + 2).trim()}`),
  });
  const conf = vrrpInstance({
    name: "VI_1",
    vrid: 1,
    priority: 100,
    vips: ["192.168.1.1/32"],
    extra: ["virtual_routes {", "  198.51.100.0/24 dev eth0", "}"],
  });
  const driver = new VrrpDriver({
    config: configFromText(`${globalDefs(3)}\n${conf}`, "h"),
    kernel,
    log,
    now: () => time.now,
    timers: { set: (fn, ms) => time.set(fn, Math.max(0, ms)), clear: (h) => time.clear(h) },
    reconcileMs: 60_000,
  });
  driver.start();
  time.runUntil(5000, () => {});
  expect(driver.instance("VI_1")?.state).toBe("MASTER");
  driver.stop();
  // with virtual routes the GARPs wait for them, as keepalived's (vrrp_state_become_master):
  // they leave after the route, not ahead of the lines
  const firstGarp = order.indexOf("garp 192.168.1.1");
  expect(firstGarp).toBeGreaterThan(order.indexOf("netlink add route 198.51.100.0/24"));
  expect(firstGarp).toBeGreaterThan(order.indexOf("log (VI_1) setting Virtual Routes"));
  const seen = order.filter((s) => /^netlink|^log \(VI_1\) (\w+ing (VIPs\.|Virtual)|Entering)/.test(s));
  expect(seen).toEqual([
    "log (VI_1) removing Virtual Routes",
    "log (VI_1) removing VIPs.",
    "netlink del 192.168.1.1",
    "log (VI_1) removing Virtual Routes",
    "log (VI_1) Entering BACKUP STATE (init)",
    // the request, then the lines keepalived writes before it (see the top)
    "netlink add 192.168.1.1",
    "log (VI_1) Entering MASTER STATE",
    "log (VI_1) setting VIPs.",
    "log (VI_1) setting Virtual Routes",
    "netlink add route 198.51.100.0/24",
    "log (VI_1) removing Virtual Routes",
    "netlink del route 198.51.100.0/24",
    "log (VI_1) removing VIPs.",
    "netlink del 192.168.1.1",
  ]);
});
