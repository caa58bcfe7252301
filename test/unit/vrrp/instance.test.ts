// The instance state machine on its own: packet checks counted under keepalived's
// statistic names, and each transition with its typed reason and actions in order.
import { describe, expect, test } from "bun:test";
import type { Action } from "../../../src/vrrp/types";
import { advert, instance } from "./one-instance";

const kinds = (a: readonly Action[]) =>
  a.map((x) =>
    x.type === "transition"
      ? `${x.from}->${x.to}:${x.reason}`
      : x.type === "send-advert"
        ? `advert:${x.advert.priority}`
        : x.type,
  );

describe("packet checks (keepalived vrrp_check_packet)", () => {
  test("each failure is counted under keepalived's name; the advert does not reset the timer", () => {
    const i = instance("priority 100");
    i.start(0);
    const deadline = i.pollTimeout();
    i.handleAdvert(advert({ ttl: 64 }), 100);
    i.handleAdvert(advert({ version: 2 }), 200);
    i.handleAdvert(advert({ to: "10.0.0.5" }), 300); // unicast to a multicast instance
    expect(i.stats).toMatchObject({ ip_ttl_err: 1, vers_err: 1, addr_list_err: 1, advert_rcvd: 0 });
    expect(i.pollTimeout()).toBe(deadline);
  });
  test("a master keeps its advert schedule under a stream of rejected adverts (keel deviates: keepalived re-arms on every packet)", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("MASTER");
    const next = i.pollTimeout();
    for (let t = 10; t < 990; t += 10) i.handleAdvert(advert({ ttl: 64, priority: 200 }), t);
    expect(i.stats.ip_ttl_err).toBe(98);
    expect(i.pollTimeout()).toBe(next);
    // an accepted lower-priority advert is answered and re-arms the timer, as keepalived
    i.pollActions();
    i.handleAdvert(advert({ priority: 50 }), 995);
    expect(kinds(i.pollActions())).toContain("advert:100");
    expect(i.pollTimeout()).toBe(995 + 1000);
  });
  test("a different address list is counted but the advert is still accepted", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleAdvert(advert({ addresses: ["192.0.2.8"], priority: 200 }), 1000);
    expect(i.stats).toMatchObject({ addr_list_err: 1, advert_rcvd: 1 });
    expect(i.pollTimeout()).toBe(1000 + i.downTimer());
  });
  test("v2: auth type, password and interval", () => {
    const i = instance("priority 100\nauthentication {\nauth_type PASS\nauth_pass secret12345\n}", "vrrp_version 2");
    i.start(0);
    const pass = new TextEncoder().encode("secret12");
    i.handleAdvert(advert({ version: 2, authType: 0 }), 10);
    i.handleAdvert(advert({ version: 2, authType: 1, authData: new TextEncoder().encode("wrongpw!") }), 20);
    i.handleAdvert(advert({ version: 2, authType: 1, authData: pass, advertIntCs: 200 }), 30);
    i.handleAdvert(advert({ version: 2, authType: 5 }), 40);
    expect(i.stats).toMatchObject({
      authtype_mismatch: 1,
      auth_failure: 1,
      advert_interval_err: 1,
      invalid_authtype: 1,
      advert_rcvd: 0,
    });
    // only the first 8 characters of auth_pass count
    i.handleAdvert(advert({ version: 2, authType: 1, authData: pass, priority: 200 }), 50);
    expect(i.stats.advert_rcvd).toBe(1);
  });
});

describe("transitions", () => {
  test("start: BACKUP with the full Master_Down_Interval, stale VIPs removed first", () => {
    const i = instance("priority 100");
    i.start(0);
    expect(kinds(i.pollActions())).toEqual(["del-vips", "INIT->BACKUP:init", "notify"]);
    expect(i.pollTimeout()).toBe(3609.375);
  });
  test("the owner (255, state MASTER) becomes master at once: advert first, then VIPs and GARP", () => {
    const i = instance("state MASTER\npriority 255");
    i.start(0);
    i.handleTimeout(0);
    expect(kinds(i.pollActions())).toEqual([
      "advert:255",
      "INIT->MASTER:address-owner",
      "add-vips",
      "send-garp",
      "notify",
    ]);
  });
  test("master down timer → MASTER; higher advert → BACKUP; equal priority: the higher address wins", () => {
    const i = instance("priority 100");
    i.start(0);
    i.pollActions();
    i.handleTimeout(3609.375);
    expect(kinds(i.pollActions())).toEqual([
      "advert:100",
      "BACKUP->MASTER:master-down-timer",
      "add-vips",
      "send-garp",
      "notify",
    ]);
    i.handleAdvert(advert({ priority: 100, from: "10.0.0.4" }), 4000); // lower address: we stay
    expect(i.state).toBe("MASTER");
    i.pollActions();
    i.handleAdvert(advert({ priority: 100, from: "10.0.0.6" }), 4100);
    // keel's default higher_prio_send_advert: one advert at our priority as we yield (issue 18)
    expect(kinds(i.pollActions())).toEqual([
      "advert:100",
      "del-vips",
      "MASTER->BACKUP:equal-priority-higher-ip",
      "notify",
    ]);
  });
  test("backup: a priority-0 advert cuts the timer to Skew_Time", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleAdvert(advert({ priority: 200 }), 1000);
    i.handleAdvert(advert({ priority: 0 }), 2000);
    expect(i.pollTimeout()).toBe(2000 + 609.375);
    i.pollActions();
    i.handleTimeout(2609.375);
    expect(kinds(i.pollActions())).toContain("BACKUP->MASTER:priority-zero-received");
  });
  test("a lower-priority advert is discarded unless nopreempt", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleAdvert(advert({ priority: 50 }), 3000);
    expect(i.pollTimeout()).toBe(3609.375);
    const n = instance("priority 100\nnopreempt");
    n.start(0);
    n.handleAdvert(advert({ priority: 50 }), 3000);
    expect(n.pollTimeout()).toBe(3000 + 3609.375);
  });
  test("FAULT from MASTER: a priority-0 advert, then the VIPs go", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleTimeout(3609.375);
    i.pollActions();
    i.setFault({ kind: "interface", name: "eth0" }, true, 5000);
    expect(kinds(i.pollActions())).toEqual(["advert:0", "del-vips", "MASTER->FAULT:interface-down", "notify"]);
    expect(i.stats.pri_zero_sent).toBe(1);
    i.setFault({ kind: "interface", name: "eth0" }, false, 6000);
    expect(kinds(i.pollActions())).toEqual(["FAULT->BACKUP:interface-up", "notify"]);
  });
  test("stop: a master resigns with priority 0", () => {
    const i = instance("priority 100");
    i.start(0);
    i.handleTimeout(3609.375);
    i.pollActions();
    i.stop(4000);
    expect(kinds(i.pollActions())).toEqual(["advert:0", "del-vips", "MASTER->STOP:shutdown", "notify"]);
  });
  test("tracker weights move the effective priority, clamped to 1..254, and the backup's timer with it", () => {
    const i = instance("priority 100");
    i.start(0);
    i.setTotalPriority(400);
    expect(i.effectivePriority).toBe(254);
    i.setTotalPriority(-5);
    expect(i.effectivePriority).toBe(1);
    const owner = instance("state MASTER\npriority 255");
    owner.setTotalPriority(10);
    expect(owner.effectivePriority).toBe(255);
  });
});

describe("address owners and strict mode", () => {
  test("two owners: the higher address waits two adverts and a bit, then backs off to 254 (keepalived rogue handling)", () => {
    const i = instance("state MASTER\npriority 255");
    i.start(0);
    i.handleTimeout(0); // master at once
    const rogue = advert({ priority: 255, from: "10.0.0.1" }); // a lower address than our 10.0.0.5
    i.handleAdvert(rogue, 100);
    expect(i.state).toBe("MASTER");
    i.handleTimeout(1100); // our adverts count down
    i.handleTimeout(2100);
    i.handleAdvert(rogue, 2500); // still advertising within the grace: we give way
    expect(i.effectivePriority).toBe(254);
    expect(i.state).toBe("BACKUP");
    // once the rogue is gone (another master, or a lower priority), 255 comes back
    i.handleAdvert(advert({ priority: 100, from: "10.0.0.2" }), 3000);
    expect(i.effectivePriority).toBe(255);
  });
  test("strict mode: no advert in answer to a lower priority, and the owner ignores adverts", () => {
    const i = instance("priority 100", "vrrp_version 3\nvrrp_strict");
    i.start(0);
    i.handleTimeout(3609.375);
    i.pollActions();
    i.handleAdvert(advert({ priority: 50 }), 4000);
    expect(kinds(i.pollActions())).toEqual(["master-rx-lower-pri"]);
    const owner = instance("state MASTER\npriority 255", "vrrp_version 3\nvrrp_strict");
    owner.start(0);
    owner.handleTimeout(0);
    owner.handleAdvert(advert({ priority: 255, from: "10.0.0.9" }), 100);
    expect(owner.state).toBe("MASTER");
    expect(owner.stats.advert_rcvd).toBe(0);
  });
});

describe("gratuitous ARP schedule", () => {
  test("garp_master_repeat at once, again after garp_master_delay, then every garp_master_refresh", () => {
    const i = instance(
      "priority 100\ngarp_master_delay 5\ngarp_master_repeat 3\ngarp_master_refresh 60\ngarp_master_refresh_repeat 2",
    );
    i.start(0);
    i.pollActions();
    const garps: [number, number][] = [];
    for (let t = 3609.375; t < 130_000; ) {
      i.handleTimeout(t);
      for (const a of i.pollActions()) if (a.type === "send-garp") garps.push([t, a.count]);
      t = i.pollTimeout() ?? Number.POSITIVE_INFINITY;
    }
    expect(garps).toEqual([
      [3609.375, 3],
      [8609.375, 3],
      [63609.375, 2],
      [123609.375, 2],
    ]);
  });

  test("garp_master_refresh goes with the first advert at or after it (keepalived vrrp_state_master_tx), not between adverts", () => {
    // advert_int 3, refresh 10: keepalived compares at each advert, so 12 s, then 24 s on
    const i = instance("priority 100\nadvert_int 3\ngarp_master_delay 0\ngarp_master_refresh 10");
    i.start(0);
    i.pollActions();
    const garps: number[] = [];
    let became: number | undefined;
    for (let t = 0; t < 60_000; ) {
      i.handleTimeout(t);
      if (became === undefined && i.state === "MASTER") became = t;
      for (const a of i.pollActions()) if (a.type === "send-garp") garps.push(t - became!);
      t = i.pollTimeout() ?? Number.POSITIVE_INFINITY;
    }
    expect(garps.slice(0, 4)).toEqual([0, 12_000, 24_000, 36_000]);
  });
});

describe("waiting for scripts at start", () => {
  test("held only by weight-0 scripts that have not run: FAULT without a FAULT notify; a real fault notifies", () => {
    const i = instance("priority 100");
    i.setFault({ kind: "init", name: "chk" }, true, 0);
    i.start(0);
    expect(kinds(i.pollActions())).toEqual(["del-vips", "INIT->FAULT:init"]);
    i.setFault({ kind: "init", name: "chk" }, false, 500);
    expect(kinds(i.pollActions())).toEqual(["FAULT->BACKUP:track-recovered", "notify"]);
    const j = instance("priority 100");
    j.setFault({ kind: "interface", name: "eth0" }, true, 0);
    j.start(0);
    expect(kinds(j.pollActions())).toEqual(["del-vips", "INIT->FAULT:init", "notify"]);
  });
});

describe("Master_Adver_Interval learned from the master (RFC 5798 6.4.2, keepalived update_master_adver_int)", () => {
  test("a v3 backup says when it takes a new interval, and only then", () => {
    const i = instance("priority 100\nadvert_int 3");
    i.start(0);
    i.pollActions();
    i.handleAdvert(advert({ priority: 200, advertIntCs: 100 }), 10);
    expect(i.pollActions().filter((a) => a.type === "master-adver-int")).toEqual([
      { type: "master-adver-int", instance: "VI_1", from: 300, to: 100 },
    ]);
    i.handleAdvert(advert({ priority: 200, advertIntCs: 100 }), 1010);
    expect(i.pollActions().filter((a) => a.type === "master-adver-int")).toEqual([]);
    i.handleAdvert(advert({ priority: 200, advertIntCs: 50 }), 2010);
    expect(i.pollActions().filter((a) => a.type === "master-adver-int")).toEqual([
      { type: "master-adver-int", instance: "VI_1", from: 100, to: 50 },
    ]);
  });
});
