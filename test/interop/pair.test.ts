/**
 * keel and keepalived 2.2.7 on one segment, each as master and as backup, for every
 * advert format (VRRPv2 PASS, VRRPv2 AH, VRRPv3 IPv4, VRRPv3 IPv6, unicast): one master,
 * a backup that accepts every advert and rejects none, and a crash of the master moves
 * the VIP within Master_Down_Interval (+ TAKEOVER_MARGIN_MS, see the harness).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, TAKEOVER_MARGIN_MS, ensureKeel, masterDownMs, masterFirst } from "../netns/harness";
import { type Kind, MODES, crash, errors, holders, start, stats } from "./routers";

beforeAll(() => {
  ensureKeel();
});

const directions: [Kind, Kind][] = [
  ["keel", "keepalived"],
  ["keepalived", "keel"],
];

for (const mode of MODES)
  for (const [masterKind, backupKind] of directions)
    describe(`${mode.name}: ${masterKind} master, ${backupKind} backup`, () => {
      let lab: Lab;
      beforeAll(() => {
        lab = Lab.create(["h1", "h2"], { ipv6: mode.ipv6 });
      });
      afterAll(() => lab?.destroy());

      test("one master; the backup accepts every advert and rejects none; a crash moves the VIP in time", async () => {
        const { master, backup } = await masterFirst(
          () => start(lab, masterKind, "h1", mode.conf({ priority: 150, host: "h1", peers: ["h2"], lab })),
          () => start(lab, backupKind, "h2", mode.conf({ priority: 100, host: "h2", peers: ["h1"], lab })),
        );
        // four more advert intervals: the backup must stay put
        await Bun.sleep(4_200);
        expect(holders(lab, mode.vip)).toEqual(["h1"]);
        const mb = backup.proc.lines.filter((l) => /Entering MASTER/.test(l.text));
        expect(mb.map((l) => l.text)).toEqual([]);
        const bs = await stats(lab, backup);
        const ms = await stats(lab, master);
        expect(bs["Advertisements.Received"]).toBeGreaterThanOrEqual(4);
        expect(
          Object.values(errors(bs)).every((n) => n === 0),
          `${backupKind} backup errors: ${JSON.stringify(errors(bs))}`,
        ).toBe(true);
        expect(
          Object.values(errors(ms)).every((n) => n === 0),
          `${masterKind} master errors: ${JSON.stringify(errors(ms))}`,
        ).toBe(true);
        expect(ms["Became master"]).toBe(1);
        expect(bs["Became master"]).toBe(0);

        const watch = await lab.watchAddr("h2", mode.vip);
        const t0 = performance.now();
        crash(master);
        const took = (await watch.wait()) - t0;
        watch.stop();
        const limit = masterDownMs(1, 100) + TAKEOVER_MARGIN_MS;
        console.log(
          `${mode.name}, ${masterKind} crashes, ${backupKind} takes over: ${took.toFixed(1)} ms (limit ${limit.toFixed(1)})`,
        );
        expect(took).toBeLessThanOrEqual(limit);
        await backup.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 2_000);
      }, 40_000);
    });
