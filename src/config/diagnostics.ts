/**
 * Config diagnostics: collected, never thrown (DESIGN.md rule 4).
 * Rendered as `FILE:LINE:COL: error[code]: message`, the form compilers use, so
 * editors and CI logs link straight to the offending token.
 *
 * A generated or huge configuration can produce millions of diagnostics of one kind
 * (1.7 M `unused-script` warnings in a 100 MB file). Every one is counted, but only the
 * first `RETAIN_PER_KIND` of each severity and code are kept as objects, and
 * `renderDiagnostics` prints the first few of each kind followed by one summary line, so
 * the memory a diagnostic costs stays a few dozen bytes and the report stays readable.
 */

export type Severity = "error" | "warning";

export interface SourceLoc {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export interface Diagnostic extends SourceLoc {
  severity: Severity;
  code: string;
  message: string;
  /** extra lines, e.g. "block opened here: FILE:LINE:COL" */
  notes?: string[];
}

/** Diagnostics kept as objects per severity and code; the rest are only counted. */
export const RETAIN_PER_KIND = 100;
/** Diagnostics printed per severity and code before one "... and N more" line. */
export const PRINT_PER_KIND = 10;

/** One severity and code: how many were reported, and how many of them `items` keeps. */
export interface DiagnosticKind {
  severity: Severity;
  code: string;
  count: number;
  kept: number;
}

export class Diagnostics {
  /** In the order reported, at most RETAIN_PER_KIND per severity and code (see `kinds`). */
  readonly items: Diagnostic[] = [];
  /** Every severity+code reported, in order of first appearance, with exact counts. */
  readonly kinds = new Map<string, DiagnosticKind>();
  private errors = 0;
  private warnings = 0;
  /** kept diagnostics of later phases, joined to `items` by `release()` (see `inPhase`) */
  private readonly later: Diagnostic[][] = [];
  private phase = 0;
  /**
   * Duplicate detection: a line generated many times (~SEQ, a multi-line definition)
   * reports its mistake once. A duplicate has the same position and the same content, so
   * each diagnostic leaves only a pair of numbers here (see PairSet); keeping its formatted
   * text cost ~150 bytes and a Map entry ~180.
   */
  private readonly seen = new PairSet();
  private readonly fileIds = new Map<string, number>();
  private readonly byCode = { error: new Map<string, DiagnosticKind>(), warning: new Map<string, DiagnosticKind>() };

  error(loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    this.push("error", loc, code, message, notes);
  }

  warning(loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    this.push("warning", loc, code, message, notes);
  }

  /**
   * A diagnostic its caller knows nothing else repeats: one per name of a map, whose message
   * names it, with a code no other check reports. It is counted and kept as any other but
   * left out of the duplicate set: 200,000 unused vrrp_scripts put 200,000 pairs there (an
   * 8 MB table) and hashed every message, for nothing (measured: 25 MB of keel -t's peak).
   */
  distinct(severity: Severity, loc: SourceLoc, code: string, message: string): void {
    this.count({ file: loc.file, line: loc.line, col: loc.col, severity, code, message });
  }

  private push(severity: Severity, loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    const d: Diagnostic = { file: loc.file, line: loc.line, col: loc.col, severity, code, message };
    if (notes && notes.length > 0) d.notes = notes;
    this.add(d);
  }

  /** Record a finished diagnostic: deduplicated, counted, kept while its kind has room. */
  add(d: Diagnostic): void {
    if (!this.isDuplicate(d)) this.count(d);
  }

  private count(d: Diagnostic): void {
    if (d.severity === "error") this.errors++;
    else this.warnings++;
    // looked up by code without building the "severity[code]" key each time
    const byCode = this.byCode[d.severity];
    let kind = byCode.get(d.code);
    if (!kind) {
      kind = { severity: d.severity, code: d.code, count: 0, kept: 0 };
      byCode.set(d.code, kind);
      this.kinds.set(`${d.severity}[${d.code}]`, kind);
    }
    kind.count++;
    if (kind.kept < RETAIN_PER_KIND) {
      kind.kept++;
      if (this.phase === 0) this.items.push(d);
      else {
        const list = this.later[this.phase] ?? [];
        this.later[this.phase] = list;
        list.push(d);
      }
    }
  }

  /**
   * Run `fn` with what it reports kept as phase `phase` (> 0): after everything of earlier
   * phases once `release()` runs, whenever it was reported. The parser streams lines into
   * the tree and each finished top-level block into its handlers, and still reports as if
   * the preprocessor (phase 0), the tokenizer (1), the tree (2) and the handlers (3) had
   * each run over the whole configuration in turn.
   */
  inPhase<R>(phase: number, fn: () => R): R {
    const was = this.enterPhase(phase);
    try {
      return fn();
    } finally {
      this.phase = was;
    }
  }

  /** `inPhase` without a closure, for once per line: returns the phase to go back to. */
  enterPhase(phase: number): number {
    const was = this.phase;
    this.phase = phase;
    return was;
  }

  /** Append the later phases' diagnostics to `items`, in phase order. */
  release(): void {
    for (const list of this.later) if (list) for (const d of list.splice(0)) this.items.push(d);
  }

  private isDuplicate(d: Diagnostic): boolean {
    let file = this.fileIds.get(d.file);
    if (file === undefined) {
      file = this.fileIds.size;
      this.fileIds.set(d.file, file);
    }
    // exact for lines below 2^31 and columns below 2^21: a longer line shares the last key
    const pos = Math.min(d.line, 0x7fffffff) * 0x200000 + Math.min(d.col, 0x1fffff);
    return !this.seen.add(pos, hash53(file, d));
  }

  get errorCount(): number {
    return this.errors;
  }

  get warningCount(): number {
    return this.warnings;
  }

  /** The same counts with every kept diagnostic passed through `fn` (TOML maps positions back). */
  map(fn: (d: Diagnostic) => Diagnostic): Diagnostics {
    const out = new Diagnostics();
    for (const d of this.items) out.add(fn(d));
    for (const [key, k] of this.kinds) {
      const mine = out.kinds.get(key);
      const dropped = k.count - k.kept;
      if (dropped === 0) continue;
      if (mine) mine.count += dropped;
      else {
        const kind = { ...k, kept: 0, count: dropped };
        out.kinds.set(key, kind);
        out.byCode[k.severity].set(k.code, kind);
      }
      if (k.severity === "error") out.errors += dropped;
      else out.warnings += dropped;
    }
    return out;
  }
}

/**
 * The file and what a diagnostic says: a 53-bit hash (cyrb53) of the file's number and the
 * severity, code, message and notes, fed piece by piece so no formatted string is built.
 * Two different diagnostics at one line and column collide with a probability near 2^-53.
 */
function hash53(file: number, d: Diagnostic): number {
  let h1 = 0xdeadbeef ^ file;
  let h2 = 0x41c6ce57 ^ file;
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    // a separator no text contains, so that ("ab", "c") and ("a", "bc") differ
    h1 = Math.imul(h1 ^ 0x10000, 2654435761);
    h2 = Math.imul(h2 ^ 0x10000, 1597334677);
  };
  feed(d.severity);
  feed(d.code);
  feed(d.message);
  if (d.notes) for (const n of d.notes) feed(n);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A set of (position, hash) pairs of non-negative integers below 2^53, open addressing in
 * one Float64Array: 16 bytes a slot, at most half full, no object per entry for the GC.
 */
class PairSet {
  private slots = new Float64Array(2 * 64);
  private size = 0;

  /** Adds the pair; false when it was already there. */
  add(a: number, b: number): boolean {
    if (4 * (this.size + 1) > this.slots.length) this.grow();
    // stored as a + 1 so that an all-zero slot means empty
    if (!this.insert(this.slots, a + 1, b)) return false;
    this.size++;
    return true;
  }

  private insert(slots: Float64Array, a: number, b: number): boolean {
    const mask = slots.length / 2 - 1;
    // b is already a hash: its low 32 bits, stirred with a, pick the slot
    let i = ((b >>> 0) ^ Math.imul(a >>> 0, 2654435761)) & mask;
    for (;;) {
      const at = slots[2 * i] as number;
      if (at === 0) {
        slots[2 * i] = a;
        slots[2 * i + 1] = b;
        return true;
      }
      if (at === a && slots[2 * i + 1] === b) return false;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.insert(this.slots, old[i] as number, old[i + 1] as number);
    }
  }
}

/**
 * The report as lines: the diagnostics in order, at most `perKind` of each severity and
 * code, then for each kind with more one line "... and 1,769,990 more warning[code] like
 * this". The counts are exact even for diagnostics that were not kept.
 */
export function renderDiagnostics(diags: Diagnostics, perKind = PRINT_PER_KIND): string[] {
  const out: string[] = [];
  const shown = new Map<string, number>();
  for (const d of diags.items) {
    const key = `${d.severity}[${d.code}]`;
    const n = shown.get(key) ?? 0;
    shown.set(key, n + 1);
    if (n < perKind) out.push(formatDiagnostic(d));
  }
  for (const [key, k] of diags.kinds) {
    const more = k.count - Math.min(shown.get(key) ?? 0, perKind);
    if (more > 0) out.push(`... and ${more.toLocaleString("en-US")} more ${key} like this`);
  }
  return out;
}

export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

/**
 * keepalived's position prefix of a configuration problem it logs as it reads the file
 * (lib/parser.c vreport_config_error): "(FILE: Line N) ". Its children read the parent's
 * copy of the configuration, which names each file, so theirs always carry the file.
 */
export function reportConfigPrefix(loc: SourceLoc | undefined): string {
  return loc ? `(${loc.file}: Line ${loc.line}) ` : "";
}

export function formatDiagnostic(d: Diagnostic): string {
  const head = `${formatLoc(d)}: ${d.severity}[${d.code}]: ${d.message}`;
  return d.notes ? [head, ...d.notes.map((n) => `  note: ${n}`)].join("\n") : head;
}

/** Levenshtein distance, for did-you-mean on misspelled keywords. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
