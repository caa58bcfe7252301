/**
 * interface_up_down_delays (runtime/link-delays.ts) in virtual time: keepalived 2.2.7's
 * keepalived_netlink.c update_interface_flags rules, and vrrp.c check_debounce_timers' cut.
 */
import { describe, expect, test } from "bun:test";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { LinkDelays } from "../../../src/runtime/link-delays";
import { createLogger } from "../../../src/runtime/log";
import { type Timers, VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { configFromText } from "../../../src/simulate/segment";
import { VirtualTime } from "../../sim/fault-net";
import { globalDefs, vrrpInstance } from "../../sim/harness";

/** A virtual clock: timers run when `advance` passes their due time. */
function clock() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (h) => {
      due.delete(h as number);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at))
      if (t.at <= now) {
        due.delete(id);
        t.fn();
      }
  };
  return { timers, advance, armed: () => due.size };
}

const UP = { up: true, flags: 0x11043 };
const DOWN = { up: false, flags: 0x1003 };

function setup(delays: string, instance = "advert_int 3") {
  const c = clock();
  const lines: string[] = [];
  const settled: [string, boolean, number][] = [];
  const d = new LinkDelays(
    c.timers,
    createLogger({ detail: true, write: (l) => lines.push(l.trimEnd()) }),
    (n, up, f) => settled.push([n, up, f]),
  );
  const config = configFromText(
    `interface_up_down_delays {\n${delays}\n}\nvrrp_instance VI_1 {\n interface dum0\n virtual_router_id 1\n priority 100\n ${instance}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
    "n",
  );
  d.configure(config);
  return { d, c, lines, settled };
}

describe("interface_up_down_delays", () => {
  test("a down counts after the delay, with keepalived's log line", () => {
    const { d, c, lines, settled } = setup("dum0 4 2");
    d.noteState("dum0", true);
    expect(d.offer("dum0", UP, DOWN)).toBe("defer");
    expect(lines.at(-1)).toEndWith("dum0: Adding flags change from 0x11043 to 0x1003 delay by 4000000");
    c.advance(3999);
    expect(settled).toEqual([]);
    c.advance(1);
    expect(settled).toEqual([["dum0", false, 0x1003]]);
    // the up has its own delay
    expect(d.offer("dum0", DOWN, UP)).toBe("defer");
    c.advance(2000);
    expect(settled.at(-1)).toEqual(["dum0", true, 0x11043]);
  });

  test("a flap shorter than the delay has no effect and leaves no timer", () => {
    const { d, c, settled, lines } = setup("dum0 4");
    d.noteState("dum0", true);
    expect(d.offer("dum0", UP, DOWN)).toBe("defer");
    expect(d.isPending("dum0")).toBe(true);
    expect(d.offer("dum0", UP, UP)).toBe("apply");
    expect(d.isPending("dum0")).toBe(false);
    expect(c.armed()).toBe(0);
    c.advance(10_000);
    expect(settled).toEqual([]);
    expect(lines.some((l) => l.includes("cancelled"))).toBe(false);
    // back up with other flags than before (here IFF_PROMISC): keepalived's line
    d.offer("dum0", UP, DOWN);
    expect(d.offer("dum0", UP, { up: true, flags: 0x11143 })).toBe("apply");
    expect(lines.at(-1)).toEndWith("Delay timer for dum0 cancelled");
  });

  test("a second report in the pending direction keeps the timer and applies its flags", () => {
    const { d, c, settled } = setup("dum0 4");
    d.noteState("dum0", true);
    d.offer("dum0", UP, DOWN);
    c.advance(1000);
    expect(d.offer("dum0", UP, { up: false, flags: 0x1002 })).toBe("defer");
    c.advance(3000);
    expect(settled).toEqual([["dum0", false, 0x1002]]);
  });

  test("no up delay given: the up counts at once; an interface never seen up is not delayed", () => {
    const { d } = setup("dum0 4");
    expect(d.offer("dum0", DOWN, UP)).toBe("apply");
    const fresh = setup("dum0 4 4");
    // never seen up: its first up counts at once, and after it a down is delayed
    expect(fresh.d.offer("dum0", DOWN, UP)).toBe("apply");
    expect(fresh.d.offer("dum0", UP, DOWN)).toBe("defer");
  });

  test("a delay of 2 × advert_int or more is cut to it less advert_int/256, as vrrp.c does", () => {
    const { d, lines } = setup("dum0 4 1", "advert_int 2");
    expect(d.delayOf("dum0")).toEqual({ down: 4_000_000 - 7812, up: 1_000_000 });
    expect(lines.at(-1)).toEndWith("VI_1: interface dum0 debounce timer(s) not less that 2 * advert_int - resetting");
  });

  test("down_timer_adverts 1 leaves no delay", () => {
    const { d, lines } = setup("dum0 1", "advert_int 3\n down_timer_adverts 1");
    expect(d.delayOf("dum0")).toBeUndefined();
    expect(lines.at(-1)).toEndWith("VI_1: cannot use debounce timers with down_timer_adverts = 1 - resetting");
  });
});

describe("a VRRPv3 master's shorter advert interval (vrrp.c update_master_adver_int)", () => {
  test("cuts the delays again against it; a longer one, or down_timer_adverts 1, leaves them", () => {
    const { d, lines } = setup("dum0 4 1", "advert_int 3\n version 3");
    expect(d.delayOf("dum0")).toEqual({ down: 4_000_000, up: 1_000_000 });
    // the master advertises every second: 2 × 1 s is the limit now
    d.masterAdverInt("VI_1", "dum0", 3, 300, 100);
    expect(d.delayOf("dum0")).toEqual({ down: 2_000_000 - 3906, up: 1_000_000 });
    expect(lines.at(-1)).toEndWith("VI_1: lower advert_int reducing interface dum0 debounce timer(s)");
    // back to a longer interval: keepalived never raises a cut delay again
    d.masterAdverInt("VI_1", "dum0", 3, 100, 500);
    expect(d.delayOf("dum0")).toEqual({ down: 2_000_000 - 3906, up: 1_000_000 });
    // another interface, or down_timer_adverts 1 (check_debounce_timers: no timer to cut)
    d.masterAdverInt("VI_1", "eth9", 3, 300, 10);
    d.masterAdverInt("VI_1", "dum0", 1, 300, 10);
    expect(d.delayOf("dum0")).toEqual({ down: 2_000_000 - 3906, up: 1_000_000 });
  });

  test("a down delayed after the cut counts at the cut delay", () => {
    const { d, c, settled } = setup("dum0 4", "advert_int 3\n version 3");
    d.masterAdverInt("VI_1", "dum0", 3, 300, 100);
    d.noteState("dum0", true);
    expect(d.offer("dum0", UP, DOWN)).toBe("defer");
    c.advance(1996);
    expect(settled).toEqual([]);
    c.advance(1);
    expect(settled).toEqual([["dum0", false, 0x1003]]);
  });
});

test("wired: a VrrpDriver backup hearing a faster v3 master cuts eth0's delay (virtual time, simulated hosts)", () => {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const host = (name: string, ipv4: string, body: string) => {
    const kernel = new SimKernel({ name, segment, ipv4, prefixLen: 24 });
    const lines: string[] = [];
    const log = createLogger({ detail: true, write: (l) => lines.push(l.trimEnd()) });
    const config = configFromText(`${globalDefs(3)}\n${body}`, name);
    const driver = new VrrpDriver({ config, kernel, log, now: () => time.now, timers: time, reconcileMs: 1000 });
    return { driver, lines };
  };
  const master = host("m", "10.0.0.1", vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, state: "MASTER" }));
  const backup = host(
    "b",
    "10.0.0.2",
    `interface_up_down_delays {\n  eth0 4\n}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, advertInt: 3 })}`,
  );
  master.driver.start();
  backup.driver.start();
  time.runUntil(10_000, () => {});
  const said = (end: string) => backup.lines.filter((l) => l.endsWith(end)).length;
  expect(said("(VI_1) advertisement interval updated from 3000ms to 1000ms by master")).toBe(1);
  expect(said("VI_1: lower advert_int reducing interface eth0 debounce timer(s)")).toBe(1);
  master.driver.stop();
  backup.driver.stop();
});
