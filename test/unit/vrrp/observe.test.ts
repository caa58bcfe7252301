// Seen on the wire (src/vrrp/observe.ts): each foreign-advert reason with an advert that
// has it and one that does not, the VRIDs heard free, and dual-master episodes from the
// master's side (begin, over by silence, over by yielding) against preemption and backups.
import { describe, expect, test } from "bun:test";
import type { Instance } from "../../../src/vrrp/instance";
import {
  MAX_EPISODES,
  Observer,
  SegmentVrids,
  VRID_HEARD_MS,
  classifyAdvert,
  vridRanges,
} from "../../../src/vrrp/observe";
import type { Action, ReceivedAdvert } from "../../../src/vrrp/types";
import { advert, instance } from "./one-instance";

const PASS = "priority 100\nauthentication {\nauth_type PASS\nauth_pass secret12\n}";
const pw = (s: string) => new TextEncoder().encode(s);

describe("classifyAdvert: one reason each, first match in vrrp_check_packet's order", () => {
  test("version", () => {
    const i = instance("priority 100");
    expect(classifyAdvert(i, advert({ version: 2 }))).toEqual({ reason: "version", detail: "VRRPv2, ours v3" });
    expect(classifyAdvert(i, advert())).toBeUndefined();
  });
  test("auth: type, password (v2)", () => {
    const i = instance(PASS, "vrrp_version 2");
    const v2 = { version: 2 as const, authType: 1, authData: pw("secret12") };
    expect(classifyAdvert(i, advert({ ...v2, authType: 0 }))?.reason).toBe("auth");
    expect(classifyAdvert(i, advert({ ...v2, authData: pw("wrongpw!") }))).toEqual({
      reason: "auth",
      detail: "another auth_pass",
    });
    expect(classifyAdvert(i, advert(v2))).toBeUndefined();
    // no auth configured, a PASS advert heard: auth too
    const none = instance("priority 100", "vrrp_version 2");
    expect(classifyAdvert(none, advert(v2))?.detail).toBe("auth type 1, ours 0");
  });
  test("advert-int: v2 (keepalived drops it) and v3 (adopted, reported only)", () => {
    const v2 = instance("priority 100", "vrrp_version 2");
    expect(classifyAdvert(v2, advert({ version: 2, advertIntCs: 200 }))).toEqual({
      reason: "advert-int",
      detail: "advert_int 2 s, ours 1 s",
    });
    expect(classifyAdvert(v2, advert({ version: 2 }))).toBeUndefined();
    const v3 = instance("priority 100");
    expect(classifyAdvert(v3, advert({ advertIntCs: 50 }))?.reason).toBe("advert-int");
  });
  test("vip-set: another address, one more, one fewer", () => {
    const i = instance("priority 100");
    expect(classifyAdvert(i, advert({ addresses: ["192.0.2.8"] }))).toEqual({
      reason: "vip-set",
      detail: "VIPs 192.0.2.8, ours 192.0.2.7",
    });
    expect(classifyAdvert(i, advert({ addresses: ["192.0.2.7", "192.0.2.8"] }))?.reason).toBe("vip-set");
    expect(classifyAdvert(i, advert({ addresses: [] }))?.detail).toBe("VIPs none, ours 192.0.2.7");
  });
  test("unknown-router: unicast only (a source not in unicast_peer); never in multicast", () => {
    const u = instance("priority 100\nunicast_peer {\n10.0.0.9\n}");
    expect(classifyAdvert(u, advert({ from: "10.0.0.66", to: "10.0.0.5" }))).toEqual({
      reason: "unknown-router",
      detail: "not in unicast_peer",
    });
    expect(classifyAdvert(u, advert({ to: "10.0.0.5" }))).toBeUndefined();
    const m = instance("priority 100");
    expect(classifyAdvert(m, advert({ from: "10.0.0.66" }))).toBeUndefined();
  });
});

describe("VRIDs heard free", () => {
  test("ranges", () => {
    expect(vridRanges([1, 2, 3, 7, 9, 10])).toBe("1-3,7,9-10");
    expect(vridRanges([])).toBe("");
  });
  test("per interface and family; ours excluded; forgotten after VRID_HEARD_MS", () => {
    const s = new SegmentVrids();
    s.heard("eth0", 4, 2, 0);
    s.heard("eth0", 4, 3, 0);
    s.heard("eth1", 4, 9, 0);
    s.heard("eth0", 6, 200, 0);
    expect(s.free("eth0", 4, [7], 1000)).toBe("1,4-6,8-255");
    expect(s.free("eth0", 6, [], 1000)).toBe("1-199,201-255");
    expect(s.free("eth0", 4, [7], VRID_HEARD_MS)).toBe("1-6,8-255");
  });
});

/** A master since `at` (its down timer ran out), with an observer beside it. */
function master(body = "priority 100", global?: string): { i: Instance; o: Observer; at: number } {
  const i = instance(body, global);
  i.start(0);
  const at = i.pollTimeout() as number;
  i.handleTimeout(at);
  expect(i.state).toBe("MASTER");
  i.pollActions();
  return { i, o: new Observer(() => [7]), at };
}

function feed(o: Observer, i: Instance, adv: ReceivedAdvert, now: number): readonly Action[] {
  const before = { state: i.state, lastTransition: i.lastTransition };
  i.handleAdvert(adv, now);
  o.segment.heard("eth0", 4, adv.vrid, now);
  o.advert(i, adv, "eth0", before, now);
  return o.poll();
}

const observations = (a: readonly Action[]) => a.flatMap((x) => (x.type === "observed" ? [x.observation] : []));

describe("dual master (the side that stays MASTER)", () => {
  test("a lower-priority master: begins, then over once it is silent for 3 of its intervals", () => {
    const { i, o, at } = master();
    const t = at + 5000;
    expect(observations(feed(o, i, advert({ priority: 50 }), t))).toEqual([
      { kind: "dual-master", peer: "10.0.0.9", peerPriority: 50, ourPriority: 100 },
    ]);
    // its next advert continues the same episode
    expect(observations(feed(o, i, advert({ priority: 50 }), t + 1000))).toEqual([]);
    o.settle(i, t + 1000 + 2999);
    expect(o.poll()).toEqual([]);
    o.settle(i, t + 4000);
    expect(observations(o.poll())).toEqual([
      { kind: "dual-master-over", peer: "10.0.0.9", how: "peer-silent", winner: "10.0.0.5", lastingMs: 4000 },
    ]);
    expect(o.open("VI_1")).toEqual([]);
  });
  test("v3: a lower master with another advert_int is reported as both (v3 adopts the master's interval)", () => {
    const { i, o, at } = master();
    expect(observations(feed(o, i, advert({ priority: 50, advertIntCs: 50 }), at + 2000)).map((x) => x.kind)).toEqual([
      "foreign-advert",
      "dual-master",
    ]);
    const v2 = master("priority 100", "vrrp_version 2");
    const got = feed(v2.o, v2.i, advert({ version: 2, priority: 50, advertIntCs: 200 }), v2.at + 2000);
    expect(observations(got).map((x) => x.kind)).toEqual(["foreign-advert"]);
  });
  test("equal priority: the lower address is the other master; the higher one makes us yield", () => {
    const { i, o, at } = master();
    expect(observations(feed(o, i, advert({ from: "10.0.0.4" }), at + 2000))[0]?.kind).toBe("dual-master");
    const yielded = observations(feed(o, i, advert({ from: "10.0.0.6" }), at + 2500));
    expect(i.state).toBe("BACKUP");
    expect(yielded).toEqual([
      { kind: "dual-master-over", peer: "10.0.0.4", how: "we-yielded", winner: "10.0.0.6", lastingMs: 500 },
    ]);
  });
  test("leaving MASTER for a fault ends it without a winner", () => {
    const { i, o, at } = master();
    feed(o, i, advert({ priority: 50 }), at + 2000);
    i.setFault({ kind: "interface", name: "eth0" }, true, at + 2100);
    o.settle(i, at + 2100);
    expect(observations(o.poll())).toEqual([
      { kind: "dual-master-over", peer: "10.0.0.9", how: "we-left", lastingMs: 100 },
    ]);
  });
  test("left MASTER by another path (a sync group's pull): the next advert ends it", () => {
    const { i, o, at } = master();
    feed(o, i, advert({ priority: 50 }), at + 2000);
    i.followGroup("BACKUP");
    i.leaveMaster(at + 2100, { reason: "sync-group", group: "G", member: "VI_2", memberState: "BACKUP" });
    expect(observations(feed(o, i, advert({ priority: 200, from: "10.0.0.7" }), at + 2200))).toEqual([
      { kind: "dual-master-over", peer: "10.0.0.9", how: "we-left", lastingMs: 200 },
    ]);
  });
  test("at most MAX_EPISODES open at once (spoofed senders are not each reported)", () => {
    const { i, o, at } = master();
    let begun = 0;
    for (let k = 0; k < 20; k++)
      begun += observations(feed(o, i, advert({ priority: 50, from: `10.0.1.${k}` }), at + 2000 + k)).length;
    expect(begun).toBe(MAX_EPISODES);
  });
  test("not a dual master: a preempted master's last advert, priority 0, a backup, a foreign advert", () => {
    const { i, o, at } = master();
    expect(feed(o, i, advert({ priority: 50 }), at + 999)).toEqual([]); // within one interval of taking over
    expect(feed(o, i, advert({ priority: 0 }), at + 5000)).toEqual([]);
    const foreign = observations(feed(o, i, advert({ priority: 50, addresses: ["192.0.2.99"] }), at + 6000));
    expect(foreign).toEqual([
      {
        kind: "foreign-advert",
        reason: "vip-set",
        from: "10.0.0.9",
        detail: "VIPs 192.0.2.99, ours 192.0.2.7",
        freeVrids: "1-6,8-255",
      },
    ]);
    const b = instance("priority 100");
    b.start(0);
    const ob = new Observer(() => [7]);
    expect(feed(ob, b, advert({ priority: 50 }), 100)).toEqual([]);
    expect(feed(ob, b, advert({ priority: 150 }), 200)).toEqual([]);
  });
  test("a VRID collision names the VRIDs heard free (others' VRIDs and ours taken)", () => {
    const { i, o, at } = master();
    o.segment.heard("eth0", 4, 1, at);
    o.segment.heard("eth0", 4, 2, at);
    const [f] = observations(feed(o, i, advert({ addresses: ["198.51.100.1"] }), at + 10));
    expect(f).toMatchObject({ kind: "foreign-advert", reason: "vip-set", freeVrids: "3-6,8-255" });
  });
});
