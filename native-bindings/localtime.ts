/**
 * Local time through glibc's localtime_r(3), as keepalived's log prefix gets it (ctime(3)
 * reads the same tzfile: TZ, else /etc/localtime).
 *
 * Why not JavaScript's Date (issue 20): in Bun 1.4.5 the first local-time getter of a process
 * (`getDate()`, `getHours()` …) initialises JavaScriptCore's time zone through ICU: +~500
 * page faults and ~10 ms of CPU in a compiled program (`perf stat`, against the same program
 * calling `getUTCDate()`), and every daemon logs a local time before its first advert. In
 * 1.3.14 the same getter costs nothing measurable. One more libc trampoline costs ~0.6 ms
 * (libc.ts) and glibc reads the tzfile once. bench/RESULTS.md "Start-up and memory: the floor".
 */
import { libc } from "./libc";

/** The fields of a struct tm keel prints (month 0–11, weekday 0 = Sunday, as struct tm and Date) */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  weekday: number;
}

// time_t (i64), and struct tm: nine ints, then long tm_gmtoff and const char *tm_zone,
// 56 bytes on both LP64 targets (x86-64, aarch64). Kept for the process: one call at a time.
// Passed as typed arrays: bun:ffi takes their address at the call (no pointer is kept).
let buffers: { tBytes: Uint8Array; tmBytes: Uint8Array; t: BigInt64Array; tm: Int32Array } | undefined;

function bufs(): NonNullable<typeof buffers> {
  if (buffers) return buffers;
  const tBytes = new Uint8Array(8);
  const tmBytes = new Uint8Array(56);
  buffers = { tBytes, tmBytes, t: new BigInt64Array(tBytes.buffer), tm: new Int32Array(tmBytes.buffer) };
  return buffers;
}

/**
 * The local time of `ms` (epoch milliseconds, whole seconds taken as ctime does), or
 * undefined when localtime_r fails (a year out of struct tm's range).
 */
export function localTime(ms: number): LocalTime | undefined {
  const b = bufs();
  b.t[0] = BigInt(Math.floor(ms / 1000));
  if (!libc.localtime_r(b.tBytes, b.tmBytes)) return undefined;
  const tm = b.tm;
  // struct tm: tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year (since 1900), tm_wday
  return {
    seconds: tm[0] ?? 0,
    minutes: tm[1] ?? 0,
    hours: tm[2] ?? 0,
    day: tm[3] ?? 0,
    month: tm[4] ?? 0,
    year: (tm[5] ?? 0) + 1900,
    weekday: tm[6] ?? 0,
  };
}
