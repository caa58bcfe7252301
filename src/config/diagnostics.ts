/**
 * Config diagnostics: collected, never thrown (DESIGN.md rule 4).
 * Rendered as `FILE:LINE:COL: error[code]: message`, the form compilers use, so
 * editors and CI logs link straight to the offending token.
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

export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  error(loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    this.push("error", loc, code, message, notes);
  }

  warning(loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    this.push("warning", loc, code, message, notes);
  }

  private push(severity: Severity, loc: SourceLoc, code: string, message: string, notes?: string[]): void {
    const d: Diagnostic = { file: loc.file, line: loc.line, col: loc.col, severity, code, message };
    if (notes && notes.length > 0) d.notes = notes;
    // A line generated many times (~SEQ, a multi-line definition) reports its mistake once.
    const key = `${formatDiagnostic(d)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }

  get warningCount(): number {
    return this.items.filter((d) => d.severity === "warning").length;
  }
}

export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
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
