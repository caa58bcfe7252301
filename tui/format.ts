/** Small pure text helpers for the TUI: fixed-width cells, durations, sparklines, event lines. */
import type { Event } from "../src/control/protocol";

/**
 * `s` cut (with "~") or padded to exactly `w` columns. Everything the TUI draws is 1 column
 * per code point. Table text stays printable ASCII on purpose: Ink measures every line with
 * string-width, whose non-ASCII path (a grapheme segmenter + an emoji regex per grapheme)
 * cost ~45% of a core at 4 frames/s with 1,000 instances (bench/tui/render.ts).
 */
export function fit(s: string, w: number): string {
  if (w <= 0) return "";
  // a string without surrogates is one code point per UTF-16 unit: no array of its characters
  // (every cell of every row drawn, issue 20)
  if (!surrogates.test(s)) {
    if (s.length > w) return w === 1 ? "~" : `${s.slice(0, w - 1)}~`;
    return s + " ".repeat(w - s.length);
  }
  const chars = Array.from(s);
  if (chars.length > w) return w === 1 ? "~" : `${chars.slice(0, w - 1).join("")}~`;
  return s + " ".repeat(w - chars.length);
}

const surrogates = /[\uD800-\uDFFF]/;

/** Right-aligned `fit`. */
export function fitRight(s: string, w: number): string {
  const n = surrogates.test(s) ? Array.from(s).length : s.length;
  if (n >= w) return fit(s, w);
  return " ".repeat(w - n) + s;
}

/** "5s", "3m", "2h", "4d" (compact, for columns). */
export function span(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/**
 * A table's age of a state: "42s" under a minute, then "17m", "5h07m", "4d3h": its text
 * changes once a second only in the first minute, as `uptime` and kubectl's AGE do. A
 * table of 1,000 instances whose every row changed each second redrew every row each
 * second (issue 20); the detail view keeps the exact span.
 */
export function age(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return span(ms);
}

/**
 * A counter in at most 5 columns: exact below 10,000, then "12.3k", "123k", "1.2M", "123M",
 * "1.2G" (cut, never rounded up: the count was reached). At an advert a second its text
 * changes every second only for the first ~3 hours, then every 100 s, 1,000 s, ...; the
 * detail view and `keel status` keep the exact count (issue 20).
 */
export function count(n: number): string {
  if (!Number.isFinite(n) || n < 10_000) return String(n);
  for (const [unit, size] of [
    ["k", 1e3],
    ["M", 1e6],
    ["G", 1e9],
  ] as const) {
    if (n < size * 100) return `${Math.floor(n / (size / 10)) / 10}${unit}`;
    if (n < size * 1000) return `${Math.floor(n / size)}${unit}`;
  }
  return `${Math.floor(n / 1e12)}T`;
}

export function ago(at: number | undefined, now: number): string {
  return at === undefined ? "-" : `${span(now - at)} ago`;
}

/** HH:MM:SS local time. */
export function clock(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const BARS = "_.:-=+*#%@";

/** The last `width` values as an ASCII ramp (see fit()), scaled to the largest; no history yet -> blanks. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return "";
  const vs = values.slice(-width);
  const max = Math.max(0, ...vs);
  let out = "";
  const top = BARS.length - 1;
  for (const v of vs) out += max <= 0 ? BARS[0] : BARS[Math.min(top, Math.round((v / max) * top))];
  return out.padStart(width, " ");
}

/** A state as text with a marker, so it reads without colour too. */
export function stateLabel(state: string): string {
  switch (state) {
    case "MASTER":
      return `* ${state}`;
    case "BACKUP":
      return `- ${state}`;
    case "FAULT":
      return `! ${state}`;
    default:
      return `? ${state}`;
  }
}

/** Ink colour name of a VRRP state (undefined: the terminal's default). */
export function stateColor(state: string): string | undefined {
  switch (state) {
    case "MASTER":
      return "green";
    case "BACKUP":
      return "cyan";
    case "FAULT":
      return "red";
    default:
      return "yellow";
  }
}

/** One line describing an event, without its time. */
export function eventText(e: Event): string {
  switch (e.event) {
    case "transition":
      return `${e.instance} ${e.from} -> ${e.to} (${e.reason})${e.why ? `: ${ascii(e.why)}` : ""}`;
    case "priority":
      return `${e.instance} priority ${e.from} -> ${e.to}`;
    case "track": {
      const bits = [`${e.kind} ${e.name}`, e.ok === undefined ? "" : e.ok ? "ok" : "FAIL"];
      if (e.value !== undefined) bits.push(`value=${e.value}`);
      if (e.code !== undefined) bits.push(`exit=${e.code}`);
      if (e.ms !== undefined) bits.push(`${Math.round(e.ms)}ms`);
      return `track ${bits.filter(Boolean).join(" ")}`;
    }
    case "rx-error":
      return `${e.instance ?? "-"} rx-error ${e.code} from ${e.from}${(e.count ?? 1) > 1 ? ` ×${e.count}` : ""}`;
    case "notify":
      return `notify ${e.kind} ${e.name} ${e.state} prio ${e.priority}`;
    case "observed":
      // the daemon's log line, "(VI_1) " as "VI_1 " like the other instance events
      return e.line.replace(/^\((\S+)\) /, "$1 ");
    case "checker":
      return `${e.virtualServer} ${e.realServer} ${e.type} ${e.up ? "up" : "DOWN"}: ${e.line}`;
    case "real-server":
      return `${e.virtualServer} ${e.realServer} ${e.up ? "up" : "DOWN"}${e.liveWeight !== undefined ? ` weight ${e.liveWeight}` : ""}`;
    case "quorum":
      return `${e.virtualServer} quorum ${e.up ? "up" : "LOST"} (alive weight ${e.aliveWeight})`;
    case "reload": {
      const how = e.ok ? "complete" : e.applied ? "applied with errors" : "REFUSED, the previous configuration runs";
      return `reload ${how}${e.errors.length ? `: ${e.errors[0]}${e.errors.length > 1 ? ` (+${e.errors.length - 1} more)` : ""}` : ""}`;
    }
    case "operation":
      // who and why, as the daemon logs it; "(VI_1) " as "VI_1 " like the other instance events
      return `${e.line.replace(/^\((\S+)\) /, "$1 ")}, by ${e.by}${e.reason ? `: "${e.reason}"` : ""}`;
    default:
      return JSON.stringify(e);
  }
}

/** The instance an event is about, if any. */
export function eventInstance(e: Event): string | undefined {
  return "instance" in e ? e.instance : e.event === "notify" && e.kind === "instance" ? e.name : undefined;
}

/** Words wrapped into lines of at most `width` characters (a longer word is cut). */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > w) {
      out.push(line);
      line = "";
    }
    line = line ? `${line} ${word}` : word.slice(0, w);
  }
  if (line) out.push(line);
  return out;
}

/** The daemon's words in ASCII (its minus sign is U+2212): see "Text is printable ASCII" in README.md. */
export function ascii(text: string): string {
  return text.replace(/\u2212/g, "-");
}

/** "101" or "101->91": configured priority, and the effective one when it differs. */
export function prioText(i: { priority: number; effectivePriority: number }): string {
  return i.priority === i.effectivePriority ? String(i.priority) : `${i.priority}->${i.effectivePriority}`;
}

/** A state as the last known one of a daemon that no longer answers. */
export function staleLabel(state: string): string {
  return `was ${state}`;
}

/** One cell of a state strip: the state's letter (reads without colour), "." before anything was known. */
export function stateCell(state: string | undefined): string {
  if (state === undefined) return ".";
  return state === "MASTER" ? "M" : state === "BACKUP" ? "B" : state === "FAULT" ? "F" : "?";
}

/**
 * An instance's state over the last `cells * cellMs` ms, one letter per cell (oldest left,
 * the cell ending at `now` right): the state it was in at each cell's end, from its
 * transitions (oldest first) and its state now. Before its first known transition it was
 * in that transition's `from` state; before `since` (when watching began) nothing is known.
 */
export function stateStrip(
  transitions: readonly { at: number; from: string; to: string }[],
  current: string,
  now: number,
  cells: number,
  cellMs: number,
  since = Number.NEGATIVE_INFINITY,
): string {
  let out = "";
  let k = 0;
  for (let c = cells - 1; c >= 0; c--) {
    const t = now - c * cellMs;
    while (k < transitions.length && transitions[k]!.at <= t) k++;
    // k: the first transition after t
    const state = k > 0 ? transitions[k - 1]!.to : (transitions[0]?.from ?? current);
    out += t < since && k === 0 ? stateCell(undefined) : stateCell(state);
  }
  return out;
}

/** A strip cut into runs of one letter (one coloured text node per run). */
export function runs(strip: string): string[] {
  return strip.match(/(.)\1*/g) ?? [];
}
