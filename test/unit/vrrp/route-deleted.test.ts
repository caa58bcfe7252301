// A tracked virtual route or rule deleted (keepalived_netlink.c netlink_route_filter /
// netlink_rule_filter → set_vrrp_backup): a MASTER leaves with a priority-0 advert and a
// Master_Down of the skew time; a BACKUP ignores a route but enters BACKUP again for a rule.
import { describe, expect, test } from "bun:test";
import type { Instance } from "../../../src/vrrp/instance";
import type { Action } from "../../../src/vrrp/types";
import { advert, instance } from "./one-instance";

const kinds = (a: readonly Action[]) =>
  a.map((x) =>
    x.type === "transition"
      ? `${x.from}->${x.to}:${x.reason}`
      : x.type === "send-advert"
        ? `advert:${x.advert.priority}`
        : x.type === "notify"
          ? `notify:${x.state}`
          : x.type,
  );

/** VI_1 at priority 100, started, a backup of a priority-200 master it has heard */
function backup(): Instance {
  const i = instance("priority 100");
  i.start(0);
  i.handleAdvert(advert({ priority: 200 }), 100);
  expect(i.state).toBe("BACKUP");
  i.pollActions();
  return i;
}

describe("a tracked route or rule deleted", () => {
  test("under BACKUP, a route: nothing (netlink_route_filter acts under MASTER only)", () => {
    const i = backup();
    const due = i.pollTimeout();
    i.routeDeleted("198.51.100.0/24 dev eth0", 500, false);
    expect(i.pollActions()).toEqual([]);
    expect(i.pollTimeout()).toBe(due);
  });

  test("under BACKUP, a rule: BACKUP again, with keepalived's priority-0 advert, notify and the skew time", () => {
    const i = backup();
    const before = { ...i.stats };
    i.routeDeleted("from 10.0.0.1 table 100", 500, true);
    expect(kinds(i.pollActions())).toEqual(["advert:0", "BACKUP->BACKUP:route-deleted", "notify:BACKUP"]);
    expect(i.state).toBe("BACKUP");
    expect(i.pollTimeout()).toBe(500 + i.skew());
    expect(i.stats.pri_zero_sent).toBe(before.pri_zero_sent + 1);
    expect(i.stats.release_master).toBe(before.release_master + 1);
    // the master answers the priority-0 advert at once: the full down timer again
    i.handleAdvert(advert({ priority: 200 }), 520);
    expect(i.state).toBe("BACKUP");
    expect(i.pollTimeout()).toBe(520 + i.downTimer());
  });

  test("under MASTER: BACKUP with a priority-0 advert first, then MASTER again after the skew time", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("MASTER");
    i.pollActions();
    i.routeDeleted("198.51.100.0/24 dev eth0", 10_000, false);
    expect(kinds(i.pollActions())).toEqual(["advert:0", "del-vips", "MASTER->BACKUP:route-deleted", "notify:BACKUP"]);
    expect(i.pollTimeout()).toBe(10_000 + i.skew());
    i.handleTimeout(10_000 + i.skew());
    expect(i.state).toBe("MASTER");
  });

  test("under FAULT: nothing", () => {
    const i = backup();
    i.setFault({ kind: "interface", name: "eth0" }, true, 200);
    i.pollActions();
    expect(i.state).toBe("FAULT");
    i.routeDeleted("from 10.0.0.1 table 100", 500, true);
    expect(i.pollActions()).toEqual([]);
  });
});
