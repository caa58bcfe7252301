// A tracked virtual route or rule deleted (keepalived_netlink.c netlink_route_filter /
// netlink_rule_filter → set_vrrp_backup): a MASTER leaves with a priority-0 advert and a
// Master_Down of the skew time; a BACKUP ignores a route but enters BACKUP again for a rule.
import { describe, expect, test } from "bun:test";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Instance } from "../../../src/vrrp/instance";
import { describeCause } from "../../../src/vrrp/explain";
import { VrrpRouter } from "../../../src/vrrp/router";
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

// keepalived_netlink.c set_vrrp_backup in a sync group: the instance whose rule (or, under
// MASTER, route) went leaves as above, and every other member in MASTER leaves with it (a
// priority-0 advert, the notifies, a Master_Down of its own skew time); the group is set to
// BACKUP without a group notify (`vrrp->sync->state = VRRP_STATE_BACK`, not
// vrrp_sync_backup). An instance's notifies are not sent when its new state is the one its
// group is already in (vrrp_notify.c send_instance_notifies).
describe("a tracked route or rule deleted under a sync group", () => {
  const conf = (state: string) =>
    [1, 2]
      .map(
        (n) =>
          `vrrp_instance VI_${n} {\ninterface eth0\nstate ${state}\nvirtual_router_id ${n}\npriority 200\n` +
          `advert_int 1\nvirtual_ipaddress {\n192.0.2.${n}/24\n}\nvirtual_rules {\nfrom 10.9.9.${n} table 100 priority 10${n}\n}\n}\n`,
      )
      .join("") + "vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\n}\n";

  function router(state: string): VrrpRouter {
    const r = parseConf("/k.conf", {
      source: memorySource({ "/k.conf": conf(state) }),
      host: { interfaceExists: () => true },
      configId: "x",
    });
    expect(r.diagnostics.errorCount).toBe(0);
    return new VrrpRouter(r.config, { interfaceAddress: () => "10.0.0.5" });
  }

  /** Each deadline as asked until `done`; the actions on the way. */
  function runUntil(r: VrrpRouter, done: () => boolean): { at: number; acts: Action[] } {
    const acts: Action[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = r.pollTimeout();
      if (t === undefined) break;
      r.handleTimeout(t);
      acts.push(...r.pollActions());
      if (done()) return { at: t, acts };
    }
    throw new Error("never settled");
  }

  const label = (a: readonly Action[]) =>
    a
      .map((x) =>
        x.type === "transition"
          ? `${x.instance}:${x.from}->${x.to}:${x.reason}`
          : x.type === "send-advert"
            ? `${x.advert.instance}:advert:${x.advert.priority}`
            : x.type === "notify"
              ? `notify:${x.kind}:${x.name}:${x.state}`
              : x.type === "del-vips" || x.type === "add-vips"
                ? `${x.instance}:${x.type}`
                : undefined,
      )
      .filter((x) => x !== undefined);

  test("a MASTER's rule: both members leave with priority-0 adverts, no group notify, and come back after the skew time", () => {
    const r = router("MASTER");
    r.start(0);
    const all = () => [...r.instances.values()];
    runUntil(r, () => all().every((i) => i.state === "MASTER"));
    const now = 50_000;
    r.handleCommand({ type: "route-deleted", instance: "VI_1", what: "from 10.9.9.1 table 100", rule: true }, now);
    expect(label(r.pollActions())).toEqual([
      "VI_1:advert:0",
      "VI_1:del-vips",
      "VI_1:MASTER->BACKUP:route-deleted",
      "notify:INSTANCE:VI_1:BACKUP",
      "VI_2:advert:0",
      "VI_2:del-vips",
      "VI_2:MASTER->BACKUP:sync-group",
      "notify:INSTANCE:VI_2:BACKUP",
    ]);
    for (const i of all()) {
      expect(i.state).toBe("BACKUP");
      expect(i.pollTimeout()).toBe(now + i.skew());
    }
    // the first whose timer fires waits for the other (vrrp_sync_can_goto_master), the
    // second takes the group to MASTER: both MASTER once the skew time is over
    const back = runUntil(r, () => all().every((i) => i.state === "MASTER"));
    expect(back.at).toBe(now + r.instances.get("VI_2")!.skew());
    expect(label(back.acts).filter((l) => l.startsWith("notify:GROUP"))).toEqual(["notify:GROUP:G:MASTER"]);
  });

  test("a BACKUP's rule in a BACKUP group: BACKUP again quietly (its group is in BACKUP), the other member untouched", () => {
    const r = router("BACKUP");
    r.start(0);
    r.pollActions();
    const vi2 = r.instances.get("VI_2")!;
    const due2 = vi2.pollTimeout();
    r.handleCommand({ type: "route-deleted", instance: "VI_1", what: "from 10.9.9.1 table 100", rule: true }, 500);
    expect(label(r.pollActions())).toEqual(["VI_1:advert:0", "VI_1:BACKUP->BACKUP:route-deleted"]);
    expect(r.instances.get("VI_1")!.pollTimeout()).toBe(500 + r.instances.get("VI_1")!.skew());
    expect(vi2.state).toBe("BACKUP");
    expect(vi2.pollTimeout()).toBe(due2);
  });

  test("a MASTER's route: the same as its rule", () => {
    const r = router("MASTER");
    r.start(0);
    runUntil(r, () => [...r.instances.values()].every((i) => i.state === "MASTER"));
    r.handleCommand({ type: "route-deleted", instance: "VI_2", what: "198.51.100.0/24", rule: false }, 9_000);
    expect(label(r.pollActions()).filter((l) => l.includes("->"))).toEqual([
      "VI_2:MASTER->BACKUP:route-deleted",
      "VI_1:MASTER->BACKUP:sync-group",
    ]);
  });
});

// keepalived_netlink.c netlink_if_address_filter: a VIP or eVIP of a MASTER deleted by someone
// else calls the same set_vrrp_backup (the driver sends the engine's vip-deleted command,
// test/unit/runtime/vip-deleted.test.ts); address_is_ours matches only a MASTER's addresses.
describe("a VIP deleted (the vip-deleted command)", () => {
  const conf = (state: string) =>
    [1, 2]
      .map(
        (n) =>
          `vrrp_instance VI_${n} {\ninterface eth0\nstate ${state}\nvirtual_router_id ${n}\npriority 200\n` +
          `advert_int 1\nvirtual_ipaddress {\n192.0.2.${n}/24\n}\n}\n`,
      )
      .join("") + "vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\n}\n";

  function router(state: string): VrrpRouter {
    const r = parseConf("/k.conf", {
      source: memorySource({ "/k.conf": conf(state) }),
      host: { interfaceExists: () => true },
      configId: "x",
    });
    expect(r.diagnostics.errorCount).toBe(0);
    return new VrrpRouter(r.config, { interfaceAddress: () => "10.0.0.5" });
  }

  test("under MASTER in a sync group: both leave with priority-0 adverts, the deleted VIP named as the cause", () => {
    const r = router("MASTER");
    r.start(0);
    const all = () => [...r.instances.values()];
    for (let i = 0; i < 100 && !all().every((x) => x.state === "MASTER"); i++) {
      r.handleTimeout(r.pollTimeout() ?? 0);
      r.pollActions();
    }
    r.handleCommand({ type: "vip-deleted", instance: "VI_2", what: "192.0.2.2/24 dev eth0" }, 9_000);
    const acts = r.pollActions();
    expect(kinds(acts).filter((k) => k.includes("->") || k.startsWith("advert"))).toEqual([
      "advert:0",
      "MASTER->BACKUP:vip-deleted",
      "advert:0",
      "MASTER->BACKUP:sync-group",
    ]);
    for (const i of all()) expect(i.pollTimeout()).toBe(9_000 + i.skew());
    const t = acts.find((a) => a.type === "transition" && a.reason === "vip-deleted");
    expect(t?.type === "transition" && describeCause(t.cause)).toBe(
      "its virtual address 192.0.2.2/24 dev eth0 was deleted",
    );
  });

  test("under BACKUP: nothing (address_is_ours skips an instance not in MASTER)", () => {
    const r = router("BACKUP");
    r.start(0);
    r.pollActions();
    const due = r.instances.get("VI_1")!.pollTimeout();
    r.handleCommand({ type: "vip-deleted", instance: "VI_1", what: "192.0.2.1/24 dev eth0" }, 500);
    expect(r.pollActions()).toEqual([]);
    expect(r.instances.get("VI_1")!.pollTimeout()).toBe(due);
  });
});
