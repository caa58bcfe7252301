/**
 * One health check attempt, as every checker type implements it (src/check/<type>.ts).
 *
 * A probe does its own network I/O (Bun/node APIs; ICMP through native-bindings) and
 * reports one result. Scheduling, retries, rise/fall and the up/down decision are not
 * its business: they live in schedule.ts and follow keepalived's epilog functions
 * (check_tcp.c tcp_epilog and friends). A probe never throws: every failure is a result.
 */
import type { RunOptions, RunResult } from "./run-script";

/** The target after inheritance (connect_ip/connect_port over the real server's). */
export interface ProbeTarget {
  /** address to reach (IPv4 or IPv6, no brackets) */
  ip: string;
  /** undefined only for PING_CHECK / MISC_CHECK */
  port?: number;
  bindto?: string;
  bindPort?: number;
  /** interface for an IPv6 link-local target */
  bindIf?: string;
  /** connect_timeout in milliseconds */
  connectTimeoutMs: number;
  /** SO_MARK (fwmark) */
  fwmark?: number;
}

export interface ProbeContext {
  target: ProbeTarget;
  /** aborted when the checker is removed (reload, stop) or suspended (ha_suspend) */
  signal: AbortSignal;
  /** this attempt repeats a failed one (HTTP_GET resumes at the failed URL) */
  retry: boolean;
}

export type ProbeResult =
  | {
      ok: true;
      /** MISC_CHECK with misc_dynamic: the new weight (exit status - 2) */
      weight?: number;
      /** e.g. the HTTP status, the DNS answer count: shown in the TUI */
      detail?: string;
    }
  | {
      ok: false;
      /** keepalived's log line for this failure, without the trailing period */
      reason: string;
      timeout?: boolean;
    };

export interface Probe {
  run(ctx: ProbeContext): Promise<ProbeResult>;
  /** keepalived's log line when the checker goes up, e.g. "TCP connection to [10.0.0.2]:tcp:80 success." */
  upLine(who: string): string;
  /** and when it goes down, e.g. "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries." */
  downLine(who: string, retries: number, last: ProbeResult): string;
  /** the subject line for smtp_alert, e.g. "=> TCP CHECK failed on service <=" */
  alert(up: boolean): string;
  close?(): void;
}

/** What probes may use from the runtime (injected: src/check sits below src/runtime). */
export interface ProbeDeps {
  runScript(script: import("../config/script").Script, o: RunOptions): Promise<RunResult>;
}

/** keepalived's FMT_CHK: "[10.0.0.2]:tcp:80" (":0" when there is no port). */
export function formatTarget(ip: string, port: number | undefined, proto = "tcp"): string {
  return `[${ip}]:${proto}:${port ?? 0}`;
}
