// The event log's one-line texts for events whose fields say more than a word.
import { expect, test } from "bun:test";
import { eventText } from "../../tui/format";

test("reload events: complete, applied with errors, refused (first error and how many more)", () => {
  expect(eventText({ event: "reload", at: 0, ok: true, applied: true, errors: [] })).toBe("reload complete");
  expect(eventText({ event: "reload", at: 0, ok: false, applied: true, errors: ["VMAC vrrp.7: EBUSY"] })).toBe(
    "reload applied with errors: VMAC vrrp.7: EBUSY",
  );
  expect(eventText({ event: "reload", at: 0, ok: false, applied: false, errors: ["a.conf:4:3: error", "b"] })).toBe(
    "reload REFUSED, the previous configuration runs: a.conf:4:3: error (+1 more)",
  );
});

test("rx-error events carry how many packets they stand for", () => {
  expect(eventText({ event: "rx-error", at: 0, instance: "VI_1", from: "10.0.0.9", code: "bad-ttl", count: 300 })).toBe(
    "VI_1 rx-error bad-ttl from 10.0.0.9 ×300",
  );
});

test("observed events (seen on the wire) read as the daemon logged them", () => {
  const line =
    "(VI_1) foreign advert from 10.0.0.9: vip-set (VIPs 10.0.0.200, ours 10.0.0.100); VRIDs heard free here: 1-50,52-255";
  expect(
    eventText({ event: "observed", at: 0, instance: "VI_1", kind: "foreign-advert", from: "10.0.0.9", line, count: 4 }),
  ).toBe(
    "VI_1 foreign advert from 10.0.0.9: vip-set (VIPs 10.0.0.200, ours 10.0.0.100); VRIDs heard free here: 1-50,52-255",
  );
});
