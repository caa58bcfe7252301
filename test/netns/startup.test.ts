/**
 * vrrp_startup_delay on a real daemon: it says so at start ("Delaying startup for 2
 * seconds", keepalived's line) and a lone backup becomes MASTER no sooner than the delay
 * plus its Master_Down_Interval after that line. A lower bound only: a slow machine
 * makes it later, never earlier.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, instance, masterDownMs } from "./harness";

/** how late this process may read the first line relative to the second; below the 2 s it tells apart */
const READ_MARGIN_MS = 1000;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("vrrp_startup_delay", () => {
  test("no MASTER before the delay plus Master_Down_Interval", async () => {
    const k = lab.keel(
      "h1",
      `global_defs {\n  router_id startup\n  vrrp_startup_delay 2\n}\n${instance({ priority: 100 })}`,
    );
    const delayed = await k.waitFor(/Delaying startup for 2 seconds/, 30_000);
    const master = await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
    // both stamps are taken by this process as the lines arrive: the first may be read
    // late (a busy test process reads both at once), so the bound gives READ_MARGIN_MS;
    // a daemon that logged the delay but ignored it would be MASTER 2 s sooner
    expect(master.t - delayed.t).toBeGreaterThanOrEqual(2000 + masterDownMs(1, 100) - READ_MARGIN_MS);
    k.kill("SIGTERM");
    await k.exited;
  }, 60_000);
});
