/**
 * keel and keepalived 2.2.7 agree on the rules of the election (VRRPv3 IPv4 unless said):
 * the priority-0 handover, preemption, nopreempt, the address tie-break, and what a wrong
 * password does (each side logs it in keepalived's words and becomes master).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { HANDOVER_MARGIN_MS, Lab, ensureKeel, eventually, instance, masterFirst } from "../netns/harness";
import { GLOBAL, type Kind, type Router, crash, holders, start, stats, stop } from "./routers";

const VIP = "10.99.0.100";
const both: [Kind, Kind][] = [
  ["keel", "keepalived"],
  ["keepalived", "keel"],
];

let lab: Lab;
beforeAll(() => {
  ensureKeel();
});
afterEach(() => {
  lab?.destroy();
});
afterAll(() => {
  lab?.destroy();
});

async function pairUp(high: Kind, low: Kind, o: { nopreempt?: boolean } = {}): Promise<{ hi: Router; lo: Router }> {
  lab = Lab.create(["h1", "h2"]);
  // the master first: no result may hang on which of keel and keepalived starts faster
  const { master: hi, backup: lo } = await masterFirst(
    () => start(lab, high, "h1", GLOBAL + instance({ priority: 150, version: 3, nopreempt: o.nopreempt })),
    () => start(lab, low, "h2", GLOBAL + instance({ priority: 100, version: 3 })),
  );
  return { hi, lo };
}

/** Skew_Time for priority 100, advert_int 1: (256 − 100) / 256 s. */
const SKEW_100 = ((256 - 100) * 1000) / 256;

for (const [high, low] of both)
  describe(`${high} (150) and ${low} (100)`, () => {
    test(`SIGTERM of the ${high} master: a priority-0 advert, the ${low} backup takes over after Skew_Time`, async () => {
      const { hi, lo } = await pairUp(high, low);
      const watch = await lab.watchAddr("h2", VIP);
      const t0 = performance.now();
      stop(hi);
      const took = (await watch.wait()) - t0;
      watch.stop();
      console.log(`${high} SIGTERM → ${low} master: ${took.toFixed(1)} ms (Skew_Time ${SKEW_100.toFixed(1)} ms)`);
      expect(took).toBeLessThanOrEqual(SKEW_100 + HANDOVER_MARGIN_MS);
      await lo.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 2_000);
      const s = await stats(lab, lo);
      expect(s["Priority Zero.Received"]).toBe(1);
    }, 40_000);

    test(`preemption: the ${high} master crashes, ${low} takes over, ${high} comes back and takes it back`, async () => {
      const { hi, lo } = await pairUp(high, low);
      const before = lo.proc.lines.length;
      crash(hi);
      await lo.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 6_000, before);
      const mark = lo.proc.lines.length;
      const again = start(lab, high, "h1", GLOBAL + instance({ priority: 150, version: 3 }));
      await again.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await lo.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/, 5_000, mark);
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h1"]));
    }, 40_000);

    test(`nopreempt: ${high} (150, nopreempt) comes back and leaves ${low} master`, async () => {
      const { hi, lo } = await pairUp(high, low, { nopreempt: true });
      stop(hi);
      await lo.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 5_000);
      await hi.proc.exited;
      const again = start(lab, high, "h1", GLOBAL + instance({ priority: 150, version: 3, nopreempt: true }));
      await again.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000);
      await Bun.sleep(4_500);
      expect(again.proc.lines.filter((l) => /Entering MASTER/.test(l.text)).map((l) => l.text)).toEqual([]);
      expect(holders(lab, VIP)).toEqual(["h2"]);
    }, 40_000);

    test(`equal priority: two masters meet and the higher primary address wins (${high} on the higher address)`, async () => {
      lab = Lab.create(["h1", "h2"]);
      // a partition first, so both become master (RFC 5798 6.4.2: a backup never preempts
      // an equal priority); then they meet and the lower address backs off (6.4.3)
      lab.isolate("h2", true);
      const a = start(lab, low, "h1", GLOBAL + instance({ priority: 100, version: 3 }));
      const b = start(lab, high, "h2", GLOBAL + instance({ priority: 100, version: 3 }));
      await a.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await b.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
      // keepalived logs "Entering MASTER STATE" before it adds the VIP (vrrp_state_master_tx):
      // wait for the addresses, not the line
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h1", "h2"]));
      const mark = a.proc.lines.length;
      lab.isolate("h2", false);
      // h2 = 10.99.0.12 > h1 = 10.99.0.11
      await a.proc.waitFor(/\(VI_1\) Entering BACKUP STATE/, 5_000, mark);
      await eventually(() => expect(holders(lab, VIP)).toEqual(["h2"]));
      expect(b.proc.lines.filter((l) => /Entering BACKUP STATE$/.test(l.text))).toEqual([]);
    }, 40_000);
  });

describe("a wrong password (VRRPv2 PASS)", () => {
  test("both log keepalived's auth failure, count it, and both become master", async () => {
    lab = Lab.create(["h1", "h2"]);
    const ka = start(lab, "keepalived", "h1", GLOBAL + instance({ priority: 150, version: 2, authPass: "right" }));
    const kl = start(lab, "keel", "h2", GLOBAL + instance({ priority: 100, version: 2, authPass: "wrong" }));
    await ka.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await kl.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await eventually(() => expect(holders(lab, VIP).sort()).toEqual(["h1", "h2"]));
    // the same words: keepalived 2.2.7 "(VI_1) received an invalid passwd!"; keel adds the sender.
    // Waited for: each says it when the other's first advert as master arrives, which can
    // come after both hold the VIP
    await ka.proc.waitFor(/\(VI_1\) received an invalid passwd!/);
    const from = lab.ip("h1").replace(/\./g, "\\.");
    await kl.proc.waitFor(new RegExp(`\\(VI_1\\) received an invalid passwd! \\(from ${from}\\)`));
    const ks = await stats(lab, ka);
    const ls = await stats(lab, kl);
    expect(ks["Authentication Errors.Failure"]).toBeGreaterThan(0);
    expect(ls["Authentication Errors.Failure"]).toBeGreaterThan(0);
    expect(ks["Advertisements.Received"]).toBe(0);
    expect(ls["Advertisements.Received"]).toBe(0);
  }, 40_000);
});
