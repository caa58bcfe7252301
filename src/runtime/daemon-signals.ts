/**
 * keepalived's signal table, as the daemon answers it (keepalived vrrp_daemon.c
 * vrrp_signal_init): TERM and INT stop (priority-0 adverts, VIPs removed), HUP reloads,
 * USR1 writes the data file, USR2 the stats file, SIGRTMIN+2 (SIGJSON) the JSON file,
 * SIGRTMAX-1 clears the stats. The ones the daemon gives a meaning to must not kill it
 * meanwhile (their default action), from the first line of start-up to the last of stop.
 */
import type { Logger } from "./log";
import { onSignal } from "../../native-bindings/signals";
import { SIGNUMS } from "../args";

export interface SignalActions {
  stop(signal: string): void;
  reload(): void;
  writeData(): void;
  writeStats(): void;
  writeJson(): void;
  clearStats(): void;
}

/**
 * The signals the daemon answers, caught from the first line of start-up until the table
 * is installed: their default action would kill it with the VIPs half set up. keepalived
 * reads its signals through a signalfd that queues them until its thread loop runs, so a
 * signal sent during start-up is acted on once the start is done, not lost: a stop stops
 * cleanly, a SIGHUP reloads, USR1/USR2 write their files. Repeats of one signal coalesce,
 * as they do in the kernel's pending set.
 */
export class EarlyStop {
  signal: string | undefined;
  /** SIGHUP, USR1, USR2 seen: acted on after "Startup complete" */
  readonly deferred = new Set<"SIGHUP" | "SIGUSR1" | "SIGUSR2">();
  private readonly handlers: Partial<Record<NodeJS.Signals, () => void>> = {
    SIGTERM: () => {
      this.signal ??= "SIGTERM";
    },
    SIGINT: () => {
      this.signal ??= "SIGINT";
    },
    SIGHUP: () => this.deferred.add("SIGHUP"),
    SIGUSR1: () => this.deferred.add("SIGUSR1"),
    SIGUSR2: () => this.deferred.add("SIGUSR2"),
  };

  install(): void {
    for (const [s, h] of Object.entries(this.handlers)) process.on(s as NodeJS.Signals, h);
  }

  remove(): void {
    for (const [s, h] of Object.entries(this.handlers)) process.off(s as NodeJS.Signals, h);
  }
}

/**
 * Installs the table; returns its removal. Each action runs as the caller wrapped it
 * (the daemon passes guarded actions: a throw in one never reaches the signal loop).
 */
export function installSignals(a: SignalActions, log: Logger): () => void {
  let live = true;
  const handlers: Partial<Record<NodeJS.Signals, () => void>> = {
    SIGTERM: () => a.stop("SIGTERM"),
    SIGINT: () => a.stop("SIGINT"),
    SIGHUP: () => a.reload(),
    SIGUSR1: () => a.writeData(),
    SIGUSR2: () => a.writeStats(),
  };
  const names = Object.keys(handlers) as NodeJS.Signals[];
  for (const s of names) process.on(s, handlers[s] as () => void);
  // the real-time signals go through native-bindings (Bun's process.on knows none of
  // them); that table has no removal, so `live` turns them off after stop
  try {
    onSignal(SIGNUMS.JSON as number, () => live && a.writeJson());
    onSignal(SIGNUMS.STATS_CLEAR as number, () => live && a.clearStats());
  } catch (e) {
    log.warn(`the JSON and STATS_CLEAR signals are not available: ${(e as Error).message}`);
  }
  return () => {
    live = false;
    for (const s of names) process.off(s, handlers[s] as () => void);
  };
}
