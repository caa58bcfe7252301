/**
 * vrrp_script execution (keepalived vrrp_track.c / vrrp_scheduler.c vrrp_script_thread):
 * every tracked script runs at start and then every `interval`; a run still going is not
 * started again; a run longer than `timeout` (default: the interval) is ended and counts
 * as a failure. Exit status 0 is success. Each result goes to the engine, whose tracker
 * applies rise/fall, weights and init_fail.
 */
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import type { VrrpScript } from "../config/vrrp/model";
import { runScript, scriptUserOptions } from "./exec";

export interface ScriptResult {
  name: string;
  ok: boolean;
  code?: number;
  timedOut: boolean;
  ms: number;
}

export class VrrpScriptRunner {
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly running = new Set<string>();
  private readonly last = new Map<string, number | string>();
  private readonly results = new Map<string, boolean>();
  private stopped = false;

  constructor(
    private readonly config: KeelConfig,
    private readonly log: Logger,
    private readonly onResult: (r: ScriptResult) => void,
  ) {}

  /** The scripts some instance or sync group tracks (keepalived ignores the others). */
  tracked(): VrrpScript[] {
    const names = new Set<string>();
    for (const v of Object.values(this.config.vrrpInstances)) for (const t of v.trackScripts) names.add(t.name);
    for (const g of Object.values(this.config.vrrpSyncGroups)) for (const t of g.trackScripts) names.add(t.name);
    return [...names].map((n) => this.config.vrrpScripts[n]).filter((s): s is VrrpScript => s?.script !== undefined);
  }

  start(): void {
    for (const s of this.tracked()) {
      this.run(s);
      this.timers.push(setInterval(() => this.run(s), Math.max(10, s.interval * 1000)));
    }
  }

  /** For metrics: the last result, whether a run is going, the scripts run. */
  status(name: string): boolean | undefined {
    return this.results.get(name);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  private run(s: VrrpScript): void {
    if (this.stopped || !s.script) return;
    if (this.running.has(s.name)) {
      this.log.debug(`Track script ${s.name} is already running, expect idle - skipping run`);
      return;
    }
    this.running.add(s.name);
    void runScript(s.script, {
      timeoutMs: (s.timeout ?? s.interval) * 1000,
      ...scriptUserOptions(this.config.globalDefs),
    }).then((r) => {
      this.running.delete(s.name);
      if (this.stopped) return;
      const ok = !r.timedOut && r.error === undefined && r.code === 0;
      const shown = r.error ?? (r.timedOut ? "timeout" : (r.code ?? r.signal ?? "?"));
      if (this.last.get(s.name) !== shown) {
        this.last.set(s.name, shown);
        if (r.error) this.log.warn(`Track script ${s.name}: cannot run ${s.script?.command}: ${r.error}`);
        else if (r.timedOut) this.log.info(`Process [${s.name}] timed out`);
        else this.log.info(`Script \`${s.name}\` now returning ${r.code ?? `signal ${r.signal}`}`);
      }
      this.results.set(s.name, ok);
      this.onResult({ name: s.name, ok, code: r.code, timedOut: r.timedOut, ms: r.ms });
    });
  }
}
