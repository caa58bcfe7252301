/** The script runner's contract as src/check sees it (the runtime's exec.ts implements it). */
export interface RunResult {
  /** exit status, or undefined when killed by a signal */
  code?: number;
  signal?: string;
  timedOut: boolean;
  ms: number;
  /** a spawn failure (no such file, permission) */
  error?: string;
}

export interface RunOptions {
  args?: string[];
  timeoutMs?: number;
  defaultUser?: { user: string; group?: string };
  env?: Record<string, string>;
}
