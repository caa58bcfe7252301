/**
 * log_unknown_vrids against Debian's keepalived 2.2.7: h2 (keel) is master of VRID 52; h1
 * runs VRID 51 only, with log_unknown_vrids, first under keepalived, then under keel. Both
 * must log keepalived's line for h2's adverts (vrrp_scheduler.c vrrp_dispatcher_read), and
 * keel without the keyword must not (checked on the same run's lines as a second keel).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, instance } from "../netns/harness";

const LINE = /Unknown VRID\(52\) received on interface\(eth0\)\. ignoring\.\.\./;
const conf = (log: boolean) =>
  `global_defs {\n  router_id h1\n${log ? "  log_unknown_vrids\n" : ""}}\n${instance({ vrid: 51, priority: 100, vips: ["10.99.0.51/24"] })}`;

let lab: Lab;
beforeAll(async () => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
  const h2 = lab.keel(
    "h2",
    `global_defs {\n  router_id h2\n}\n${instance({ vrid: 52, state: "MASTER", priority: 200 })}`,
  );
  await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("log_unknown_vrids", () => {
  test("keepalived logs the adverts of a VRID it does not run", async () => {
    const ka = lab.keepalived("h1", conf(true));
    await ka.waitFor(LINE, 30_000);
    ka.kill("SIGTERM");
    await ka.exited;
  }, 60_000);

  test("keel logs the same line; without the keyword it stays silent", async () => {
    const quiet = lab.keel("h1", conf(false));
    await quiet.waitFor(/Startup complete/, 30_000);
    const loud = lab.keel("h1", conf(true));
    await loud.waitFor(LINE, 30_000);
    // the quiet one has heard the same adverts by now (both listen on h1's eth0)
    await loud.waitFor(LINE, 30_000, loud.lines.findIndex((l) => LINE.test(l.text)) + 1);
    expect(quiet.lines.some((l) => /Unknown VRID/.test(l.text))).toBe(false);
    for (const p of [quiet, loud]) p.kill("SIGTERM");
    expect(await loud.exited).toBe(0);
    expect(await quiet.exited).toBe(0);
  }, 60_000);
});
