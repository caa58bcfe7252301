/**
 * The daemon's log: pino records, written as keepalived's console lines
 * (`Sun Nov 22 07:54:32 2026: (VI_1) Entering MASTER STATE`) or as JSON lines
 * (`--log-format json`). Messages are keepalived's words wherever keepalived says the
 * same thing, so grep patterns and log alerts written for keepalived keep working.
 *
 * The destination is a plain write stream, not a pino transport: transports start a
 * worker from a file path, which does not exist inside the compiled binary.
 */
import { openSync, writeSync } from "node:fs";
import pino, { type Logger } from "pino";

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

/** syslog severities (RFC 5424 6.2.1) by pino level */
const SEVERITY: Record<string, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** ctime(3) without the newline, as keepalived's console log prefix. */
export function ctime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, " ");
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const write = opts.write === false ? undefined : (opts.write ?? ((line: string) => process.stderr.write(line)));
  const json = opts.format === "json";
  const fileFd = opts.file === undefined ? undefined : openSync(opts.file, "a", 0o600);
  const stream = {
    write(rec: string): void {
      // pino hands over one serialised record per call
      let msg = rec;
      let time = Date.now();
      let level = "info";
      try {
        const o = JSON.parse(rec) as { msg?: string; time?: number; level?: string };
        msg = o.msg ?? "";
        time = o.time ?? time;
        level = o.level ?? level;
      } catch {
        // not JSON: write it as it came
      }
      const line = json ? rec : `${ctime(time)}: ${msg}\n`;
      write?.(line);
      if (opts.onProblem && (SEVERITY[level] ?? 6) <= 4) opts.onProblem(line);
      if (fileFd !== undefined) writeSync(fileFd, line);
      if (opts.syslog) {
        // RFC 3164 framing, as glibc's syslog(3) sends to /dev/log
        const pri = opts.syslog.facility * 8 + (SEVERITY[level] ?? 6);
        try {
          opts.syslog.send(`<${pri}>${ctime(time).slice(4, 19)} keel[${process.pid}]: ${msg}`);
        } catch {
          // syslogd gone or full: the other sinks still have the line
        }
      }
    },
  };
  return pino(
    {
      level: opts.detail ? "debug" : "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
