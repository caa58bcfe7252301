/**
 * reload_time_file and reload_repeat (keepalived core/reload_monitor.c): a file holding a
 * time ("HH:MM:SS", "YY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS", local time, or UTC with a
 * trailing "Z") at which the daemon reloads. The file is watched: writing it schedules,
 * moves or (emptied, removed, invalid) cancels the reload. When it fires the file is
 * removed, unless `reload_repeat` is set and only a time of day was given: then the same
 * time tomorrow is next (keepalived re-reads the file as the reload restarts the monitor).
 */
import type { FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "./log";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export type ReloadTime = { ok: true; at: number; dateSpecified: boolean } | { ok: false; why: string };

/** keepalived parse_datetime; `now` in epoch ms. */
export function parseReloadTime(text: string, now: number): ReloadTime {
  const utc = text.endsWith("Z");
  const s = utc ? text.slice(0, -1) : text;
  const m =
    s.length === 8
      ? /^()()()(\d\d):(\d\d):(\d\d)$/.exec(s)
      : s.length === 17 || s.length === 19
        ? /^(\d\d|\d\d\d\d)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s)
        : null;
  if (s.length !== 8 && s.length !== 17 && s.length !== 19)
    return { ok: false, why: `Reload time ${text} format is incorrect - ignoring` };
  if (!m) return { ok: false, why: `Reload date/time ${text} invalid - ignoring` };
  const today = new Date(now);
  const get = (d: Date) =>
    utc ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()] : [d.getFullYear(), d.getMonth(), d.getDate()];
  const [ty, tm, td] = get(today) as [number, number, number];
  const timeOnly = s.length === 8;
  // strptime %y: 69-99 → 19xx, 00-68 → 20xx
  const yy = Number(m[1]);
  const year = timeOnly ? ty : s.length === 17 ? (yy < 69 ? 2000 + yy : 1900 + yy) : yy;
  const month = timeOnly ? tm : Number(m[2]) - 1;
  const day = timeOnly ? td : Number(m[3]);
  const [h, mi, se] = [Number(m[4]), Number(m[5]), Number(m[6])];
  const make = (d: number) =>
    utc ? new Date(Date.UTC(year, month, d, h, mi, se)) : new Date(year, month, d, h, mi, se);
  const t = make(day);
  const back = utc
    ? [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()]
    : [t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()];
  // mktime normalises 25:00 or Feb 30; keepalived refuses a time that does not come back as written
  if (back.join() !== [year, month, day, h, mi, se].join())
    return { ok: false, why: `Reload time ${text} is not valid - ignoring` };
  if (t.getTime() > now) return { ok: true, at: t.getTime(), dateSpecified: !timeOnly };
  if (timeOnly) return { ok: true, at: make(day + 1).getTime(), dateSpecified: false };
  return { ok: false, why: `Reload time ${text} is in the past - ignoring` };
}

/** keepalived's format_time_t: local "%Y-%m-%d %H:%M:%S". */
function localText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export class ReloadTimeWatch {
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = 0;
  private dateSpecified = false;
  /** a reload replaces the watch (the daemon starts a new one from the new configuration) */
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly repeat: boolean,
    private readonly log: Logger,
    private readonly reload: () => void,
  ) {}

  start(): void {
    this.log.info(`add watch for ${this.path}`);
    try {
      // the directory, not the file: the file may not exist yet, or be replaced by a rename
      this.watcher = nodeFs().watch(dirname(this.path), (_event, name) => {
        if (name === null || name === basename(this.path)) this.readFile();
      });
    } catch (e) {
      this.log.info(`cannot watch ${dirname(this.path)}: ${(e as Error).message}`);
    }
    this.readFile();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** keepalived read_file */
  private readFile(): void {
    if (this.stopped) return;
    let line: string;
    try {
      line = nodeFs().readFileSync(this.path, "utf8").split("\n")[0] ?? "";
    } catch {
      this.cancel();
      return;
    }
    if (line === "") {
      this.cancel();
      return;
    }
    const r = parseReloadTime(line, Date.now());
    if (!r.ok) {
      this.log.info(r.why);
      this.cancel();
      return;
    }
    this.dateSpecified = r.dateSpecified;
    if (r.at === this.at && this.timer !== undefined) return;
    if (this.timer !== undefined) {
      this.log.info(`Reload time updated from ${localText(this.at)} to ${localText(r.at)}`);
      clearTimeout(this.timer);
    } else this.log.info(`Scheduling reload for ${localText(r.at)}`);
    this.at = r.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, r.at - Date.now()));
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.log.info(`Cancelling reload scheduled for ${localText(this.at)}`);
    this.at = 0;
  }

  /** keepalived reload_timer_thread */
  private fire(): void {
    this.timer = undefined;
    this.at = 0;
    if (!this.repeat || this.dateSpecified)
      try {
        nodeFs().unlinkSync(this.path);
      } catch {
        // already gone
      }
    this.reload();
    // reload_repeat with a time of day: the same time tomorrow
    this.readFile();
  }
}
