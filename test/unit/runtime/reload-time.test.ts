// reload_time_file's times (src/runtime/reload-time.ts, keepalived reload_monitor.c
// parse_datetime): the three formats, local or UTC, a time of day already past → tomorrow,
// a date in the past or a time that does not exist refused with keepalived's words.
import { expect, test } from "bun:test";
import { parseReloadTime } from "../../../src/runtime/reload-time";

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

test("UTC (a trailing Z): a time of day later today, or tomorrow once past", () => {
  expect(parseReloadTime("13:30:00Z", NOW)).toEqual({
    ok: true,
    at: Date.UTC(2026, 11, 5, 13, 30),
    dateSpecified: false,
  });
  expect(parseReloadTime("11:00:00Z", NOW)).toEqual({
    ok: true,
    at: Date.UTC(2026, 11, 6, 11, 0),
    dateSpecified: false,
  });
});

test("UTC dates with two- and four-digit years", () => {
  expect(parseReloadTime("2026-12-24 18:00:00Z", NOW)).toEqual({
    ok: true,
    at: Date.UTC(2026, 11, 24, 18),
    dateSpecified: true,
  });
  expect(parseReloadTime("27-01-02 03:04:05Z", NOW)).toEqual({
    ok: true,
    at: Date.UTC(2027, 0, 2, 3, 4, 5),
    dateSpecified: true,
  });
});

test("local time without the Z", () => {
  const r = parseReloadTime("2027-06-01 08:00:00", NOW);
  expect(r).toEqual({ ok: true, at: new Date(2027, 5, 1, 8, 0, 0).getTime(), dateSpecified: true });
});

test("refused: a wrong length, a bad shape, a time that does not exist, a date in the past", () => {
  expect(parseReloadTime("1:00:00", NOW)).toEqual({
    ok: false,
    why: "Reload time 1:00:00 format is incorrect - ignoring",
  });
  expect(parseReloadTime("12h00m00", NOW)).toEqual({ ok: false, why: "Reload date/time 12h00m00 invalid - ignoring" });
  expect(parseReloadTime("2027-02-30 00:00:00Z", NOW)).toEqual({
    ok: false,
    why: "Reload time 2027-02-30 00:00:00Z is not valid - ignoring",
  });
  expect(parseReloadTime("2020-01-01 00:00:00Z", NOW)).toEqual({
    ok: false,
    why: "Reload time 2020-01-01 00:00:00Z is in the past - ignoring",
  });
});
