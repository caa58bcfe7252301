// keepalived 2.4's timer_expired_backup [HIGHEST_OTHER_PRIORITY] (vrrp.c
// vrrp_thread_timeout_handler, registered by vrrp_complete_instances; lib/scheduler.c calls
// it when its loop woke at least vrrp_timeout_min late): a nopreempt MASTER whose last
// advert is at least 3 advert intervals + the Skew_Time of the highest other priority
// old goes back to BACKUP, as another router may have taken over meanwhile; the check
// runs when the engine is late by 2 intervals + that skew (the quickest takeover of any
// instance that sets it). The engine runs on a virtual clock: "late" is an input whose
// `now` is past the deadline the router asked for (pollTimeout).
import { describe, expect, test } from "bun:test";
import type { VrrpRouter } from "../../../src/vrrp/router";
import type { Action } from "../../../src/vrrp/types";
import { transitionLines } from "../../../src/runtime/words";
import { params } from "./one-instance";
import { PEER, peerAdvert, routerOf } from "./router-bytes";

/** Instances VI_1 (advert_int 1) and, with `fast`, VI_2 (advert_int 0.1): both nopreempt BACKUPs */
function router(keyword: string, fast?: string): VrrpRouter {
  const inst = (name: string, vrid: number, advertInt: number, kw: string) =>
    `vrrp_instance ${name} {\ninterface eth0\nstate BACKUP\nnopreempt\nvirtual_router_id ${vrid}\n` +
    `priority 100\nadvert_int ${advertInt}\n${kw}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n}\n`;
  const text =
    `global_defs {\nvrrp_version 3\n}\n${inst("VI_1", 7, 1, keyword)}` +
    (fast !== undefined ? inst("VI_2", 8, 0.1, fast) : "");
  return routerOf(text);
}

/** Run on time (each deadline as asked) until every instance is MASTER; returns the time. */
function untilMaster(r: VrrpRouter, actions: Action[]): number {
  r.start(0);
  actions.push(...r.pollActions());
  for (let i = 0; i < 1000; i++) {
    const t = r.pollTimeout();
    if (t === undefined) break;
    r.handleTimeout(t);
    actions.push(...r.pollActions());
    if ([...r.instances.values()].every((x) => x.state === "MASTER")) return t;
  }
  throw new Error("no MASTER");
}

const transitions = (acts: readonly Action[]) =>
  acts.filter((a): a is Extract<Action, { type: "transition" }> => a.type === "transition");
const adverts = (acts: readonly Action[]) =>
  acts.filter((a): a is Extract<Action, { type: "send-advert" }> => a.type === "send-advert");

describe("timer_expired_backup", () => {
  // VI_1: interval 1 s, highest other priority 254 (the default): Skew_Time 2/256 s
  const skew254 = 7.812; // 2/256 s in whole µs (keepalived VRRP_TIMER_SKEW_CALC truncates)

  test("late past 2 intervals + skew, the last advert 3 intervals + skew old: MASTER → BACKUP, quietly", () => {
    const r = router("timer_expired_backup");
    untilMaster(r, []);
    const due = r.pollTimeout()!; // the next advert; the last went out one interval before
    const lastAdvert = due - 1000;
    const now = due + 2000 + skew254; // exactly the smallest lateness that counts
    r.handleTimeout(now);
    const acts = r.pollActions();
    const [t] = transitions(acts);
    expect(t).toMatchObject({ instance: "VI_1", from: "MASTER", to: "BACKUP", reason: "timer-expired-backup" });
    expect(t?.cause).toMatchObject({
      reason: "timer-expired-backup",
      lateMs: 2000 + skew254,
      sinceAdvertMs: now - lastAdvert,
      takeoverMs: 3000 + skew254,
      highestOther: 254,
    });
    // vrrp_state_leave_master(vrrp, false): no priority-0 advert, no advert at all; the VIPs go, BACKUP notify
    expect(adverts(acts)).toEqual([]);
    expect(acts.filter((a) => a.type === "del-vips")).toHaveLength(1);
    expect(acts.filter((a) => a.type === "notify")).toMatchObject([{ name: "VI_1", state: "BACKUP" }]);
    expect(r.instances.get("VI_1")!.state).toBe("BACKUP");
  });

  test("not late enough: stays MASTER and sends its advert", () => {
    const r = router("timer_expired_backup");
    untilMaster(r, []);
    const due = r.pollTimeout()!;
    r.handleTimeout(due + 2000 + skew254 - 0.001);
    const acts = r.pollActions();
    expect(transitions(acts)).toEqual([]);
    expect(adverts(acts)).toHaveLength(1);
    expect(r.instances.get("VI_1")!.state).toBe("MASTER");
  });

  test("without the keyword a late master stays MASTER", () => {
    const r = router("");
    untilMaster(r, []);
    r.handleTimeout(r.pollTimeout()! + 60_000);
    expect(transitions(r.pollActions())).toEqual([]);
    expect(r.instances.get("VI_1")!.state).toBe("MASTER");
  });

  test("the highest other priority sets the time: with 1, Skew_Time is 255/256 s and 2.1 s late is not enough", () => {
    const r = router("timer_expired_backup 1");
    untilMaster(r, []);
    const due = r.pollTimeout()!;
    r.handleTimeout(due + 2100);
    expect(transitions(r.pollActions())).toEqual([]);
    const r2 = router("timer_expired_backup 1");
    untilMaster(r2, []);
    const due2 = r2.pollTimeout()!;
    r2.handleTimeout(due2 + 2000 + 996.093);
    expect(transitions(r2.pollActions())).toMatchObject([{ instance: "VI_1", reason: "timer-expired-backup" }]);
  });

  test("the check runs at the quickest takeover of all instances, but each master judges its own last advert", () => {
    // VI_2 (0.1 s) makes 200.8 ms of lateness enough to look; VI_1's last advert is not old enough
    const r = router("timer_expired_backup", "timer_expired_backup");
    untilMaster(r, []);
    const now = r.pollTimeout()! + 500;
    r.handleTimeout(now);
    const moved = transitions(r.pollActions());
    expect(moved.map((t) => [t.instance, t.to, t.reason])).toEqual([["VI_2", "BACKUP", "timer-expired-backup"]]);
    expect(r.instances.get("VI_1")!.state).toBe("MASTER");
  });

  test("a late advert is not answered first: the master steps back, then follows the router that took over", () => {
    const r = router("timer_expired_backup");
    untilMaster(r, []);
    const now = r.pollTimeout()! + 2500;
    // the nopreempt backup that took over has a lower priority; before timer_expired_backup
    // the late master answered it with its own advert and took the VIPs back
    r.handleAdvert({ ifname: "eth0", family: 4, data: peerAdvert({ priority: 50 }) }, now);
    const acts = r.pollActions();
    expect(transitions(acts)).toMatchObject([{ to: "BACKUP", reason: "timer-expired-backup" }]);
    expect(adverts(acts)).toEqual([]);
    const inst = r.instances.get("VI_1")!;
    expect(inst.state).toBe("BACKUP");
    expect(inst.view().master).toMatchObject({ address: PEER, priority: 50 });
  });

  test("a BACKUP that runs late is not concerned", () => {
    const r = router("timer_expired_backup");
    r.start(0);
    r.pollActions();
    // the backup's Master_Down timer fires very late: it becomes MASTER as ever
    r.handleTimeout(r.pollTimeout()! + 10_000);
    expect(transitions(r.pollActions())).toMatchObject([{ from: "BACKUP", to: "MASTER", reason: "master-down-timer" }]);
  });
});

describe("timer_expired_backup's parameters (vrrp_complete_instance)", () => {
  test("the priority, 254 without one", () => {
    expect(params("nopreempt\ntimer_expired_backup 200").timerExpiredBackup).toBe(200);
    expect(params("nopreempt\ntimer_expired_backup").timerExpiredBackup).toBe(254);
    expect(params("nopreempt\nthread_timer_expired 90").timerExpiredBackup).toBe(90);
  });

  test("reset without nopreempt, or when nopreempt is cleared (state MASTER, address owner)", () => {
    expect(params("timer_expired_backup 200").timerExpiredBackup).toBeUndefined();
    expect(params("state MASTER\nnopreempt\ntimer_expired_backup 200").timerExpiredBackup).toBeUndefined();
    expect(params("priority 255\nnopreempt\ntimer_expired_backup 200").timerExpiredBackup).toBeUndefined();
  });
});

describe("timer_expired_backup's log lines (runtime/words.ts)", () => {
  test("keepalived 2.4's: the lateness in seconds with microseconds, then Entering BACKUP STATE", () => {
    const r = router("timer_expired_backup");
    untilMaster(r, []);
    r.handleTimeout(r.pollTimeout()! + 2345.678);
    const [t] = transitions(r.pollActions());
    expect(transitionLines(t!)).toEqual([
      "VRRP thread timer expired 2.345678 seconds ago",
      "(VI_1) Entering BACKUP STATE",
    ]);
  });
});

// keepalived 2.4.3 vrrp_thread_timeout_handler calls vrrp_state_leave_master(vrrp, false)
// on each late master by itself: no VRRP_TSM_HANDLE, no vrrp_sync_backup. A sync group's
// other members stay MASTER, the group's state stays MASTER (no group notify), and the
// instance's notifies go (its new state is not its group's: send_instance_notifies).
describe("timer_expired_backup in a sync group (keepalived 2.4.3 moves the instance alone)", () => {
  function groupRouter(): VrrpRouter {
    const inst = (name: string, vrid: number, kw: string) =>
      `vrrp_instance ${name} {\ninterface eth0\nstate BACKUP\nnopreempt\nvirtual_router_id ${vrid}\n` +
      `priority 100\nadvert_int 1\n${kw}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n}\n`;
    const text =
      `global_defs {\nvrrp_version 3\n}\n${inst("VI_1", 7, "timer_expired_backup")}${inst("VI_2", 8, "")}` +
      "vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\n}\n";
    return routerOf(text);
  }

  test("the late member goes to BACKUP; the other stays MASTER; no group notify; the group stays MASTER", () => {
    const r = groupRouter();
    untilMaster(r, []);
    const due = r.pollTimeout()!;
    r.handleTimeout(due + 2500);
    const acts = r.pollActions();
    expect(transitions(acts).map((t) => `${t.instance}:${t.from}->${t.to}:${t.reason}`)).toEqual([
      "VI_1:MASTER->BACKUP:timer-expired-backup",
    ]);
    expect(acts.filter((a) => a.type === "notify")).toMatchObject([
      { kind: "INSTANCE", name: "VI_1", state: "BACKUP" },
    ]);
    expect(r.instances.get("VI_2")!.state).toBe("MASTER");
    expect(r.groups.get("G")!.state).toBe("MASTER");
    // VI_2 sends its advert as due; VI_1, hearing no master, is MASTER again after
    // Master_Down (vrrp_sync_can_goto_master: the group is MASTER), without a group notify
    const back: Action[] = [];
    for (let i = 0; i < 100 && r.instances.get("VI_1")!.state !== "MASTER"; i++) {
      r.handleTimeout(r.pollTimeout()!);
      back.push(...r.pollActions());
    }
    expect(transitions(back).map((t) => `${t.instance}:${t.to}`)).toEqual(["VI_1:MASTER"]);
    expect(back.filter((a) => a.type === "notify" && a.kind === "GROUP")).toEqual([]);
  });
});
