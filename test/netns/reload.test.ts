/**
 * SIGHUP on a real daemon: a master with 50 instances reloads with one added and one
 * changed — the other 49 advertise without a gap (tshark on the backup) and nothing
 * leaves MASTER; a configuration with an error is refused and the old one keeps running.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Lab, ensureKeel, instance } from "./harness";

const GLOBAL = "global_defs {\n  router_id test\n}\n";
const inst = (vrid: number, priority: number) =>
  instance({ name: `VI_${vrid}`, vrid, priority, vips: [`10.98.0.${vrid}/32`] });
const conf = (list: [number, number][]) => GLOBAL + list.map(([v, p]) => inst(v, p)).join("");
const fifty = (p: number): [number, number][] => Array.from({ length: 50 }, (_, i) => [i + 1, p]);

describe("reload (SIGHUP)", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
  });
  afterAll(() => lab?.destroy());

  test("50 masters, one added and one changed: no advert gap, nothing leaves MASTER", async () => {
    // h1 first, so h2's instances start as backups of a running master: started the other
    // way round the elections would hang on which binary starts faster (see masterFirst)
    const h1 = lab.keel("h1", conf(fifty(150)));
    await h1.waitFor(/\(VI_50\) Entering MASTER STATE/, 15_000);
    const h2 = lab.keel("h2", conf([...fifty(100), [51, 100]]));
    await h2.waitFor(/\(VI_51\) Entering MASTER STATE/, 15_000);
    const cap = await lab.capture("h2", "ip proto 112");
    await Bun.sleep(2_000);
    const m1 = h1.lines.length;
    const m2 = h2.lines.length;
    lab.file(
      "h1.conf",
      conf([...fifty(150).map(([v, p]): [number, number] => (v === 7 ? [7, 200] : [v, p])), [51, 150]]),
    );
    const hupAt = Date.now() / 1000;
    h1.kill("SIGHUP");
    await h1.waitFor(/Reload complete/, 5_000, m1);
    await h1.waitFor(/\(VI_51\) Entering MASTER STATE/, 6_000, m1);
    await Bun.sleep(1_000);
    const pcap = await cap.stop();
    // nothing but the new instance moved, on either host
    const moved = (lines: { text: string }[]) =>
      lines.filter((l) => /Entering|removing VIPs/.test(l.text) && !l.text.includes("(VI_51)")).map((l) => l.text);
    expect(moved(h1.lines.slice(m1))).toEqual([]);
    expect(moved(h2.lines.slice(m2))).toEqual([]);
    // every VRID of h1 kept its one-second rhythm across the SIGHUP: no advert skipped (a
    // skipped one shows as a gap of 2 s or more); up to 0.5 s of lateness is the scheduler's
    // on a loaded 2-core machine (1.16 s was seen under a CPU hog), not the reload's
    const rows = lab.tshark(pcap, `vrrp && ip.src == ${lab.ip("h1")}`, [
      "frame.time_epoch",
      "vrrp.virt_rtr_id",
      "vrrp.prio",
    ]);
    const byVrid = new Map<number, number[]>();
    for (const [t, v] of rows) byVrid.set(Number(v), [...(byVrid.get(Number(v)) ?? []), Number(t)]);
    for (let vrid = 1; vrid <= 50; vrid++) {
      const ts = byVrid.get(vrid) ?? [];
      expect(ts.some((t) => t < hupAt) && ts.some((t) => t > hupAt + 1), `VI_${vrid} adverts around the reload`).toBe(
        true,
      );
      const gap = Math.max(...ts.slice(1).map((t, i) => t - ts[i]!));
      expect(gap, `VI_${vrid} gap`).toBeLessThan(1.5);
    }
    // the changed one advertises its new priority
    expect(rows.filter(([t, v]) => v === "7" && Number(t) > hupAt + 0.1).every(([, , p]) => p === "200")).toBe(true);
    for (let vrid = 1; vrid <= 51; vrid++) expect(lab.hasAddr("h1", `10.98.0.${vrid}`)).toBe(true);
  }, 60_000);

  test("a configuration with an error: every diagnostic logged, the old configuration keeps running", async () => {
    const h1 = lab.keelOf("h1");
    const m = h1.lines.length;
    lab.file("h1.conf", `${GLOBAL}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  prority 150\n}\n`);
    h1.kill("SIGHUP");
    await h1.waitFor(/Reload failed: \d+ error\(s\)/, 5_000, m);
    expect(h1.text()).toContain(
      "error[unknown-keyword]: unknown keyword 'prority' in vrrp_instance; did you mean 'priority'?",
    );
    await Bun.sleep(1_500);
    expect(h1.lines.slice(m).filter((l) => /Entering|removing VIPs/.test(l.text))).toEqual([]);
    for (let vrid = 1; vrid <= 51; vrid++) expect(lab.hasAddr("h1", `10.98.0.${vrid}`)).toBe(true);
  }, 60_000);
});
