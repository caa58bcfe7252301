/**
 * The daemon's log: records written as keepalived's console lines
 * (`Sun Nov 22 07:54:32 2026: (VI_1) Entering MASTER STATE`) or as JSON lines
 * (`--log-format json`, pino's record shape). Messages are keepalived's words wherever
 * keepalived says the same thing, so grep patterns and log alerts written for keepalived
 * keep working.
 *
 * Own code, not pino: the daemon used pino only to serialise a record that this file
 * parsed back into a line, and loading pino (sonic-boom, thread-stream, node:assert,
 * worker_threads, fs streams) cost every start ~40 ms of CPU in the compiled binary
 * (issue 20). The JSON lines keep pino's shape: level label, epoch-ms time, pid, the
 * fields given, msg.
 */
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { openFile, writeFd } from "../../native-bindings/file";
import { type LocalTime, localTime } from "../../native-bindings/localtime";

/**
 * What keel's code calls on a log: a message, optionally after structured fields (kept
 * in the JSON form). A pino Logger fits it too (tests hand one in).
 */
export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
}

export interface LogFn {
  (msg: string): void;
  (fields: Record<string, unknown>, msg: string): void;
}

export type LogFormat = "text" | "json";

export interface LogOptions {
  format?: LogFormat;
  /** console lines (default: stderr, as keepalived -l writes to the console); false: none */
  write?: ((line: string) => void) | false;
  /** -D: detailed messages (debug level) */
  detail?: boolean;
  /** -g[FILE]: also append to this file */
  file?: string;
  /** syslog (keepalived's default unless -G): the facility number (parseFacility) */
  syslog?: { facility: number; send: (datagram: string) => void };
  /** the syslog tag (keepalived's make_syslog_ident: keel_NAMESPACE_INSTANCE; default keel) */
  ident?: string;
  /** warnings and errors also go here (a background start relays them to its starter) */
  onProblem?: (line: string) => void;
}

/** syslog facility numbers (<syslog.h> LOG_* >> 3) */
export const LOG_USER = 1;
export const LOG_DAEMON = 3;
const LOG_LOCAL0 = 16;

/**
 * keepalived's -S (main.c, case 'S'): a number 0-7 or local0-local7 for LOG_LOCALn, or the
 * names in its facility_names table, daemon and user. undefined: not one of them.
 */
export function parseFacility(s: string): number | undefined {
  const n = /^(?:local)?([0-9]+)$/.exec(s);
  if (n) {
    // read_unsigned: decimal, 0..LOG_FACILITY_MAX (7)
    const v = Number(n[1]);
    return v <= 7 ? LOG_LOCAL0 + v : undefined;
  }
  if (s === "daemon") return LOG_DAEMON;
  if (s === "user") return LOG_USER;
  return undefined;
}

/** syslog severities (RFC 5424 6.2.1) by level */
const SEVERITY: Record<string, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * ctime(3) without the newline, as keepalived's console log prefix. The local time is
 * glibc's localtime_r, not Date's getters: in Bun 1.4.5 their first use loads ICU's time
 * zone, ~10 ms and ~500 page faults before a daemon's first advert (native-bindings/localtime.ts).
 */
export function ctime(ms: number): string {
  const t = localTime(ms) ?? dateLocalTime(new Date(ms));
  const p2 = (n: number) => String(n).padStart(2, "0");
  const day = String(t.day).padStart(2, " ");
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${day} ${p2(t.hours)}:${p2(t.minutes)}:${p2(t.seconds)} ${t.year}`;
}

/** the same fields from Date, where localtime_r cannot represent the time */
function dateLocalTime(d: Date): LocalTime {
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

/** pino's numbers: a record is written when its level is at least the logger's */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 } as const;
type Level = keyof typeof LEVELS;

export function createLogger(opts: LogOptions = {}): Logger {
  const write = opts.write === false ? undefined : (opts.write ?? ((line: string) => process.stderr.write(line)));
  const json = opts.format === "json";
  const fileFd = opts.file === undefined ? undefined : openFile(opts.file, "a", 0o600);
  const threshold = opts.detail ? LEVELS.debug : LEVELS.info;
  const pid = process.pid;
  const ident = opts.ident ?? "keel";
  const emit = (level: Level, a: string | Record<string, unknown>, b?: string): void => {
    if (LEVELS[level] < threshold) return;
    const time = Date.now();
    const msg = typeof a === "string" ? a : (b ?? "");
    let line: string;
    if (json) {
      // pino's order: level, time, base (pid), the fields, msg
      let rec = `{"level":"${level}","time":${time},"pid":${pid}`;
      if (typeof a !== "string")
        for (const k in a) if (a[k] !== undefined) rec += `,${JSON.stringify(k)}:${JSON.stringify(a[k])}`;
      line = `${rec},"msg":${JSON.stringify(msg)}}\n`;
    } else line = `${ctime(time)}: ${msg}\n`;
    write?.(line);
    if (opts.onProblem && (SEVERITY[level] ?? 6) <= 4) opts.onProblem(line);
    if (fileFd !== undefined) writeFd(fileFd, line);
    if (opts.syslog) {
      // RFC 3164 framing, as glibc's syslog(3) sends to /dev/log
      const pri = opts.syslog.facility * 8 + (SEVERITY[level] ?? 6);
      try {
        opts.syslog.send(`<${pri}>${ctime(time).slice(4, 19)} ${ident}[${pid}]: ${msg}`);
      } catch {
        // syslogd gone or full: the other sinks still have the line
      }
    }
  };
  const fn =
    (level: Level): LogFn =>
    (a: string | Record<string, unknown>, b?: string) =>
      emit(level, a, b);
  return { error: fn("error"), warn: fn("warn"), info: fn("info"), debug: fn("debug"), trace: fn("trace") };
}
