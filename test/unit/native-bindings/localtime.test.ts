// native-bindings/localtime.ts: glibc's localtime_r gives the log prefix the same local time
// JavaScript's Date does (issue 20: Date's first local getter loads ICU's time zone in Bun 1.4.5),
// in this process's zone and, in child processes, in zones with daylight saving time.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { localTime } from "../../../native-bindings/localtime";
import { ctime } from "../../../src/runtime/log";

const MODULE = join(import.meta.dir, "../../../native-bindings/localtime.ts");

/** instants around the 2026 DST changes of Europe and the US, a leap day, and the epoch */
const INSTANTS = [
  0,
  Date.UTC(2024, 1, 29, 23, 59, 59),
  Date.UTC(2026, 2, 8, 6, 59, 59), // US: 2026-03-08 02:00 EST → EDT at 07:00 UTC
  Date.UTC(2026, 2, 8, 7, 0, 0),
  Date.UTC(2026, 2, 29, 0, 59, 59), // EU: 2026-03-29 01:00 UTC
  Date.UTC(2026, 2, 29, 1, 0, 0),
  Date.UTC(2026, 9, 25, 0, 59, 59), // EU: 2026-10-25 01:00 UTC
  Date.UTC(2026, 9, 25, 1, 0, 0),
  Date.UTC(2026, 10, 1, 5, 59, 59), // US: 2026-11-01 06:00 UTC
  Date.UTC(2026, 10, 1, 6, 0, 0),
  Date.UTC(2026, 11, 31, 23, 30, 0) + 999,
  Date.UTC(2038, 0, 19, 3, 14, 8), // past 32-bit time_t
];

function fromDate(ms: number) {
  const d = new Date(ms);
  return {
    year: d.getFullYear(),
    month: d.getMonth(),
    day: d.getDate(),
    hours: d.getHours(),
    minutes: d.getMinutes(),
    seconds: d.getSeconds(),
    weekday: d.getDay(),
  };
}

test("localTime equals Date's local fields in this process's zone", () => {
  for (const ms of INSTANTS) expect(localTime(ms)).toEqual(fromDate(ms));
  // and a spread of instants over a century
  for (let ms = -1e12; ms < 4e12; ms += 9_876_543_211) expect(localTime(ms)).toEqual(fromDate(ms));
});

test("ctime prints keepalived's prefix from it", () => {
  const ms = Date.UTC(2026, 10, 22, 7, 54, 32);
  const t = fromDate(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  expect(ctime(ms)).toMatch(
    /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/,
  );
  expect(ctime(ms)).toEndWith(`${p2(t.hours)}:${p2(t.minutes)}:${p2(t.seconds)} ${t.year}`);
});

for (const tz of ["Europe/Paris", "America/New_York", "Asia/Kolkata"])
  test(`localTime equals Date's local fields under TZ=${tz}`, () => {
    const script = `
      import { localTime } from ${JSON.stringify(MODULE)};
      const out = ${JSON.stringify(INSTANTS)}.map((ms) => {
        const d = new Date(ms);
        const want = { year: d.getFullYear(), month: d.getMonth(), day: d.getDate(), hours: d.getHours(),
          minutes: d.getMinutes(), seconds: d.getSeconds(), weekday: d.getDay() };
        const got = localTime(ms);
        return got && Object.entries(want).every(([k, v]) => got[k] === v) ? "ok" : ms + ": " + JSON.stringify([got, want]);
      });
      console.log([...out, String(localTime(0)?.hours)].join("\\n"));`;
    const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, TZ: tz }, stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    const lines = r.stdout.toString().trim().split("\n");
    const epochHour = lines.pop();
    expect(lines).toEqual(INSTANTS.map(() => "ok"));
    // the zone applied: the epoch is not midnight there (01:00, 19:00, 05:30)
    expect(epochHour).not.toBe("0");
  });
