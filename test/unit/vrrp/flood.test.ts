// A master under a flood of valid adverts that it answers (lower priority, priority 0):
// keepalived's vrrp_state_master_rx answers every one with an advert, a GARP burst and a
// log line; keel answers at most once per peer per advert interval (and a few times per
// interval in all), so a flood costs the wire and the log a bounded amount, and the
// periodic advert keeps its RFC 5798 6.4.3 rhythm. Virtual time: each test is exact.
import { describe, expect, test } from "bun:test";
import type { Instance } from "../../../src/vrrp/instance";
import type { Action, ReceivedAdvert } from "../../../src/vrrp/types";
import { instance, advert as oneAdvert } from "./one-instance";

function master(body: string): { i: Instance; at: number } {
  const i = instance(`priority 100\n${body}`);
  i.start(0);
  const at = i.pollTimeout() ?? 0;
  i.handleTimeout(at);
  expect(i.state).toBe("MASTER");
  i.pollActions();
  return { i, at };
}

/** a lower-priority (50) advert: the kind a flood is made of */
function advert(over: Partial<ReceivedAdvert> = {}): ReceivedAdvert {
  return oneAdvert({ priority: 50, ...over });
}

/**
 * Feed `perMs` adverts every millisecond for `ms` ms after `t0`, with the timers run in
 * between as a driver would; returns every action with its time.
 */
function flood(
  i: Instance,
  t0: number,
  ms: number,
  perMs: number,
  make: (n: number) => ReceivedAdvert,
): { t: number; a: Action }[] {
  const out: { t: number; a: Action }[] = [];
  let n = 0;
  for (let t = t0 + 1; t <= t0 + ms; t++) {
    const due = i.pollTimeout();
    if (due !== undefined && due <= t) i.handleTimeout(t);
    for (let k = 0; k < perMs; k++) i.handleAdvert(make(n++), t);
    for (const a of i.pollActions()) out.push({ t, a });
  }
  return out;
}

const adverts = (out: { t: number; a: Action }[]) => out.filter((x) => x.a.type === "send-advert").map((x) => x.t);
const maxGap = (ts: number[]) => ts.slice(1).reduce((m, t, k) => Math.max(m, t - (ts[k] as number)), 0);

describe("a master under a flood of lower-priority adverts", () => {
  test("one peer, 10 adverts/ms for 10 s: answered at most once per advert interval, schedule kept", () => {
    const { i, at } = master("garp_lower_prio_repeat 2");
    const out = flood(i, at, 10_000, 10, () => advert());
    const sent = adverts(out);
    // 100,000 lower-priority adverts. Each advert interval (1 s) the master sends its
    // periodic advert and at most one answer to this peer: at most 2 per second
    expect(i.stats.advert_rcvd).toBe(100_000);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(2 * 10 + 1);
    // the backups hear the master at least once per advert interval (RFC 5798 6.4.3)
    expect(maxGap([at, ...sent])).toBeLessThanOrEqual(1_000);
    // the GARP burst and the log line (master-rx-lower-pri) follow the answers
    const garps = out.filter((x) => x.a.type === "send-garp").length;
    const lines = out.filter((x) => x.a.type === "master-rx-lower-pri");
    expect(garps).toBeLessThanOrEqual(11);
    expect(lines.length).toBeLessThanOrEqual(11);
    // each line says how many adverts went unanswered since the one before: all but the
    // last interval's (10,000), which no later answer reports
    const suppressed = lines.reduce((s, x) => s + (x.a.type === "master-rx-lower-pri" ? x.a.suppressed : 0), 0);
    expect(suppressed + lines.length).toBeGreaterThanOrEqual(100_000 - 10_000);
  });

  test("the first lower-priority advert from a peer is answered at once (keepalived 'forcing new election')", () => {
    const { i } = master("");
    i.handleAdvert(advert(), 5_000);
    // garp_lower_prio_repeat defaults to vrrp_garp_master_repeat (5)
    expect(i.pollActions().map((a) => a.type)).toEqual(["send-advert", "send-garp", "master-rx-lower-pri"]);
    expect(i.pollTimeout()).toBe(6_000); // keepalived vrrp_dispatcher_read: the answer re-arms the advert timer
    i.handleAdvert(advert(), 5_500); // the same peer within the interval: no answer, no re-arm
    expect(i.pollActions()).toEqual([]);
    expect(i.pollTimeout()).toBe(6_000);
    i.handleAdvert(advert({ from: "10.0.0.8" }), 5_600); // another peer: its own answer
    expect(i.pollActions().map((a) => a.type)).toEqual(["send-advert", "send-garp", "master-rx-lower-pri"]);
  });

  test("spoofed sources: every advert from a new address; answers stay bounded per interval", () => {
    const { i, at } = master("");
    const out = flood(i, at, 10_000, 10, (n) => advert({ from: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }));
    const sent = adverts(out);
    expect(i.stats.advert_rcvd).toBe(100_000);
    // the instance-wide budget (4 answers per advert interval) plus the periodic advert
    expect(sent.length).toBeLessThanOrEqual(5 * 10 + 5);
    expect(maxGap([at, ...sent])).toBeLessThanOrEqual(1_000);
  });

  test("lower_prio_no_advert: no answers, and the flood does not move the periodic advert", () => {
    const { i, at } = master("lower_prio_no_advert");
    const sent = adverts(flood(i, at, 10_000, 10, () => advert()));
    expect(sent).toEqual(Array.from({ length: 10 }, (_, k) => at + 1_000 * (k + 1)));
  });

  test("a flood of priority-0 adverts: RFC 5798 6.4.3's immediate advert, at most once per peer per interval", () => {
    const { i, at } = master("");
    const out = flood(i, at, 10_000, 10, () => advert({ priority: 0 }));
    const sent = adverts(out);
    expect(i.stats.pri_zero_rcvd).toBe(100_000);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(2 * 10 + 1);
    expect(maxGap([at, ...sent])).toBeLessThanOrEqual(1_000);
  });
});
