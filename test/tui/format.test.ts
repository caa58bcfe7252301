// The event log's one-line texts for events whose fields say more than a word.
import { expect, test } from "bun:test";
import { age, count, eventText, fit, fitRight } from "../../tui/format";

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

test("a table's age of a state: seconds in the first minute, then minutes, hours, days", () => {
  expect([0, 59_999, 60_000, 125_000, 3_599_000, 3_600_000, 7_500_000, 90_061_000].map((ms) => age(ms))).toEqual([
    "0s",
    "59s",
    "1m",
    "2m",
    "59m",
    "1h00m",
    "2h05m",
    "1d1h",
  ]);
  expect(age(undefined)).toBe("-");
});

test("counters: exact below 10,000, then cut (never rounded up) to k, M, G", () => {
  expect(
    [0, 9_999, 10_000, 12_345, 99_999, 100_000, 999_999, 1_000_000, 12_345_678, 123_456_789, 4e9].map(count),
  ).toEqual(["0", "9999", "10k", "12.3k", "99.9k", "100k", "999k", "1M", "12.3M", "123M", "4G"]);
});

test("fit and fitRight cut with ~ and pad, counting code points", () => {
  expect(fit("vi_1", 6)).toBe("vi_1  ");
  expect(fit("vi_web_long", 6)).toBe("vi_we~");
  expect(fit("abc", 1)).toBe("~");
  expect(fitRight("42", 5)).toBe("   42");
  expect(fitRight("123456", 5)).toBe("1234~");
  // a character outside the BMP is one column, as everywhere in the TUI
  expect(fit("a\u{1F600}b", 4)).toBe("a\u{1F600}b ");
  expect(fitRight("a\u{1F600}", 3)).toBe(" a\u{1F600}");
});
