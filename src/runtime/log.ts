/**
 * The daemon's log: pino records, written as keepalived's console lines
 * (`Sun Nov 22 07:54:32 2026: (VI_1) Entering MASTER STATE`) or as JSON lines
 * (`--log-format json`). Messages are keepalived's words wherever keepalived says the
 * same thing, so grep patterns and log alerts written for keepalived keep working.
 *
 * The destination is a plain write stream, not a pino transport: transports start a
 * worker from a file path, which does not exist inside the compiled binary.
 */
import pino, { type Logger } from "pino";

export type LogFormat = "text" | "json";

export interface LogOptions {
  format?: LogFormat;
  /** where lines go (default: stderr, as keepalived -l writes to the console) */
  write?: (line: string) => void;
  /** -D: detailed messages (debug level) */
  detail?: boolean;
}

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
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const json = opts.format === "json";
  const stream = {
    write(rec: string): void {
      if (json) {
        write(rec);
        return;
      }
      // pino hands over one serialised record per call
      let msg = rec;
      let time = Date.now();
      try {
        const o = JSON.parse(rec) as { msg?: string; time?: number };
        msg = o.msg ?? "";
        time = o.time ?? time;
      } catch {
        // not JSON: write it as it came
      }
      write(`${ctime(time)}: ${msg}\n`);
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
