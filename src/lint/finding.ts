/**
 * A lint finding: a diagnostic (file:line:col, severity, code, one sentence of why) with
 * the host and instance it is about and the fix from the code table (codes.ts).
 */
import type { Diagnostic, Severity, SourceLoc } from "../config/diagnostics";
import { type LintCodeName, lintCode } from "./codes";

export interface Finding {
  code: string;
  severity: Severity;
  file: string;
  line: number;
  col: number;
  host?: string;
  instance?: string;
  message: string;
  fix?: string;
}

export function finding(
  code: LintCodeName,
  at: SourceLoc,
  message: string,
  about: { host?: string; instance?: string } = {},
  severity?: Severity,
): Finding {
  const c = lintCode(code);
  return {
    code,
    severity: severity ?? c?.severity ?? "warning",
    file: at.file,
    line: at.line,
    col: at.col,
    ...about,
    message,
    fix: c?.fix,
  };
}

/** A configuration diagnostic as a finding (a code lint documents gets its fix). */
export function fromDiagnostic(d: Diagnostic, host?: string): Finding {
  const fix = lintCode(d.code)?.fix;
  return {
    code: d.code,
    severity: d.severity,
    file: d.file,
    line: d.line,
    col: d.col,
    ...(host === undefined ? {} : { host }),
    message: d.message,
    ...(fix === undefined ? {} : { fix }),
  };
}

export function toDiagnostic(f: Finding): Diagnostic {
  return { file: f.file, line: f.line, col: f.col, severity: f.severity, code: f.code, message: f.message };
}
