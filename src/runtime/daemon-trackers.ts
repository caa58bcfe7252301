/**
 * The parts of the daemon built from one configuration that feed the engine's trackers:
 * the vrrp_script runner and the external trackers (track_file, track_process). A reload
 * builds the next set beside the running one (constructors start nothing) and swaps it
 * in only once the VRRP driver has taken the new configuration: until then the old
 * scripts keep running, so a refused reload never leaves an instance untracked.
 */
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import type { TrackChange } from "../vrrp/track-board";
import { type ScriptResult, VrrpScriptRunner } from "./scripts";
import { ExternalTrackers } from "./trackers";

export interface TrackerSinks {
  script(r: ScriptResult): void;
  track(c: TrackChange): void;
}

export class TrackerSet {
  private running = false;
  scripts: VrrpScriptRunner;
  external: ExternalTrackers;

  constructor(
    readonly config: KeelConfig,
    private readonly log: Logger,
    private readonly sinks: TrackerSinks,
  ) {
    this.scripts = new VrrpScriptRunner(config, log, sinks.script);
    this.external = new ExternalTrackers(config, log, sinks.track);
  }

  start(): void {
    this.running = true;
    this.scripts.start();
    this.external.start();
  }

  stop(): void {
    this.running = false;
    this.scripts.stop();
    this.external.stop();
  }

  /** The `restart` policy of the scripts part: a fresh runner; every script runs again now. */
  restartScripts(): void {
    this.scripts.stop();
    this.scripts = new VrrpScriptRunner(this.config, this.log, this.sinks.script);
    if (this.running) this.scripts.start();
  }

  /** The `restart` policy of the trackers part: files and processes are read again now. */
  restartExternal(): void {
    this.external.stop();
    this.external = new ExternalTrackers(this.config, this.log, this.sinks.track);
    if (this.running) this.external.start();
  }
}
