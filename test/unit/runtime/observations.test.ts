// The daemon's side of "seen on the wire" (src/runtime/observations.ts): the status
// record, the counters, and which observations become a log line and an event.
import { expect, test } from "bun:test";
import { FOREIGN_KEPT, FOREIGN_WINDOW_MS, Observations, observedWords } from "../../../src/runtime/observations";
import type { Action } from "../../../src/vrrp/types";

type Obs = Extract<Action, { type: "observed" }>;
const act = (observation: Obs["observation"]): Obs => ({ type: "observed", instance: "VI_1", observation });

test("a dual master: counted, recorded with its end and winner, each step logged and sent", () => {
  const o = new Observations();
  const begin = o.take(act({ kind: "dual-master", peer: "10.0.0.2", peerPriority: 100, ourPriority: 150 }), 1_000, 0);
  expect(begin.log?.level).toBe("warn");
  expect(begin.log?.line).toBe(
    "(VI_1) dual master: 10.0.0.2 is MASTER too with priority 100, ours 150 (it did not hear us: split brain)",
  );
  expect(begin.event).toMatchObject({ event: "observed", kind: "dual-master", from: "10.0.0.2", at: 1_000 });
  expect(o.status("VI_1")?.dualMaster?.over).toBeUndefined();
  const end = o.take(
    act({ kind: "dual-master-over", peer: "10.0.0.2", how: "peer-silent", winner: "10.0.0.1", lastingMs: 4_200 }),
    5_200,
    4_200,
  );
  expect(end.log?.line).toBe("(VI_1) dual master with 10.0.0.2 over after 4.2 s: 10.0.0.2 fell silent, we stay MASTER");
  expect(o.status("VI_1")).toEqual({
    dualMasters: 1,
    dualMaster: {
      peer: "10.0.0.2",
      peerPriority: 100,
      ourPriority: 150,
      since: 1_000,
      over: { at: 5_200, how: "peer-silent", winner: "10.0.0.1" },
    },
  });
  expect(o.dualMasters("VI_1")).toBe(1);
  expect(o.status("VI_2")).toBeUndefined();
});

test("foreign adverts: every one counted; one line and event per kind per window, with the count", () => {
  const o = new Observations();
  const f = (from: string, now: number) =>
    o.take(act({ kind: "foreign-advert", reason: "auth", from, detail: "another auth_pass" }), 10_000 + now, now);
  expect(f("10.0.0.9", 0).event).toMatchObject({ kind: "foreign-advert", reason: "auth", from: "10.0.0.9" });
  for (let t = 1; t < 10; t++) expect(f("10.0.0.9", t * 100)).toEqual({});
  // another sender is another kind
  expect(f("10.0.0.8", 1_000).log).toBeDefined();
  const next = f("10.0.0.9", FOREIGN_WINDOW_MS);
  expect(next.event?.count).toBe(10);
  expect(next.log?.line).toBe(
    "(VI_1) foreign advert from 10.0.0.9: auth (another auth_pass) (9 more since the last line)",
  );
  expect(o.foreignTotals.get("VI_1")?.get("auth")).toBe(12);
  const list = o.status("VI_1")?.foreign ?? [];
  expect(list.map((x) => [x.from, x.count])).toEqual([
    ["10.0.0.9", 11],
    ["10.0.0.8", 1],
  ]);
});

test("the status keeps the newest FOREIGN_KEPT (reason, sender) pairs", () => {
  const o = new Observations();
  for (let i = 0; i < FOREIGN_KEPT + 3; i++)
    o.take(act({ kind: "foreign-advert", reason: "unknown-router", from: `10.0.1.${i}`, detail: "x" }), i, i);
  const list = o.status("VI_1")?.foreign ?? [];
  expect(list).toHaveLength(FOREIGN_KEPT);
  expect(list[0]?.from).toBe(`10.0.1.${FOREIGN_KEPT + 2}`);
  expect(o.foreignTotals.get("VI_1")?.get("unknown-router")).toBe(FOREIGN_KEPT + 3);
});

test("keel explain's seen lines: an open dual master, its end, foreign adverts with the free VRIDs", () => {
  const t = (ms: number) => `t${ms}`;
  expect(observedWords(undefined, t)).toEqual([]);
  const o = new Observations();
  o.take(act({ kind: "dual-master", peer: "10.0.0.2", peerPriority: 100, ourPriority: 150 }), 1_000, 0);
  expect(observedWords(o.status("VI_1"), t)).toEqual([
    "dual master since t1000: 10.0.0.2 is MASTER too with priority 100, ours 150; the two do not hear each other (split brain)",
  ]);
  o.take(
    act({ kind: "dual-master-over", peer: "10.0.0.2", how: "we-yielded", winner: "10.0.0.3", lastingMs: 500 }),
    1_500,
    500,
  );
  o.take(
    act({ kind: "foreign-advert", reason: "vip-set", from: "10.0.0.9", detail: "VIPs 10.0.0.200", freeVrids: "1-50" }),
    2_000,
    1_000,
  );
  expect(observedWords(o.status("VI_1"), t)).toEqual([
    "last dual master: with 10.0.0.2 from t1000 to t1500; I yielded to 10.0.0.3",
    "foreign adverts from 10.0.0.9: vip-set (VIPs 10.0.0.200), once, last at t2000; VRIDs heard free here: 1-50",
  ]);
});
