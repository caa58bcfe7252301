// vrrp_startup_delay in the engine (keepalived vrrp_scheduler.c vrrp_init_instance_sands):
// until the delayed start a backup's Master_Down timer counts from the delayed start, so
// no instance becomes MASTER by timeout before delay + Master_Down_Interval; adverts heard
// meanwhile still keep it BACKUP. And the delay from the two keywords (startup-delay.ts).
import { expect, test } from "bun:test";
import { startupDelayMs } from "../../../src/runtime/startup-delay";
import { advert, instance } from "./one-instance";

// v3, advert_int 1 s, priority 100: Master_Down_Interval = 3 s + (256 - 100) / 256 s
const DOWN_MS = 3000 + ((256 - 100) * 1000) / 256;

test("without a delay a lone backup is MASTER after Master_Down_Interval", () => {
  const i = instance("priority 100");
  i.start(0);
  expect(i.pollTimeout()).toBeCloseTo(DOWN_MS, 6);
});

test("a 10 s startup delay: the first Master_Down timer runs from 10 s, then MASTER", () => {
  const i = instance("priority 100");
  i.delayStart(10_000);
  i.start(0);
  expect(i.pollTimeout()).toBeCloseTo(10_000 + DOWN_MS, 6);
  i.handleTimeout(DOWN_MS);
  expect(i.state).toBe("BACKUP");
  // an advert heard during the delay re-arms from the delayed start, not from now
  i.handleAdvert(advert({ priority: 200 }), 5_000);
  expect(i.pollTimeout()).toBeCloseTo(10_000 + DOWN_MS, 6);
  i.handleTimeout(10_000 + DOWN_MS);
  expect(i.state).toBe("MASTER");
});

test("past the delayed start the timer counts from now again", () => {
  const i = instance("priority 100");
  i.delayStart(1_000);
  i.start(0);
  i.handleAdvert(advert({ priority: 200 }), 2_000);
  expect(i.pollTimeout()).toBeCloseTo(2_000 + DOWN_MS, 6);
});

test("an address owner waits for the delayed start too (it starts as a backup that times out at once)", () => {
  const i = instance("priority 255\nstate MASTER");
  i.delayStart(4_000);
  i.start(0);
  expect(i.pollTimeout()).toBe(4_000);
  i.handleTimeout(4_000);
  expect(i.state).toBe("MASTER");
});

test("the delay is the larger of vrrp_startup_delay and what vrrp_delay_after_boot leaves of the uptime", () => {
  expect(startupDelayMs({ vrrpStartupDelay: 0 }, 100)).toBe(0);
  expect(startupDelayMs({ vrrpStartupDelay: 2.5 }, 100)).toBe(2500);
  expect(startupDelayMs({ vrrpStartupDelay: 2, vrrpDelayAfterBoot: 130 }, 100)).toBe(30_000);
  expect(startupDelayMs({ vrrpStartupDelay: 40, vrrpDelayAfterBoot: 130 }, 100)).toBe(40_000);
  // booted long ago, or the uptime unreadable: the boot delay counts for nothing
  expect(startupDelayMs({ vrrpStartupDelay: 0, vrrpDelayAfterBoot: 130 }, 5000)).toBe(0);
  expect(startupDelayMs({ vrrpStartupDelay: 0, vrrpDelayAfterBoot: 130 }, undefined)).toBe(0);
});
