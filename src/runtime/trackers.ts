/**
 * The trackers whose inputs live outside VRRP, feeding the engine's TrackChange:
 *
 * - track_file (keepalived vrrp_track.c): the number in a file, re-read whenever the file
 *   changes (fs.watch on its directory, as keepalived's inotify watch) and every second
 *   as a safety net; a missing file counts 0; `init_file` creates it with its value.
 * - vrrp_track_process (track_process.c): how many processes match, followed through the
 *   kernel's process events as keepalived follows them (process-monitor.ts, with a /proc
 *   scan each second where the connector cannot be opened); up while the count is within
 *   quorum..quorum_max, with fork_delay / terminate_delay before a change counts.
 */
import type { FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import { ProcessMonitor } from "./process-monitor";
import type { TrackChange } from "../vrrp/track-board";
import { TRACK_FILE_READ_MAX, parseTrackFileValue } from "../vrrp/tracking";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export class ExternalTrackers {
  private readonly watchers: FSWatcher[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly fileValues = new Map<string, number>();
  /** track files refused (not regular files), with the reason last logged */
  private readonly refused = new Map<string, string>();
  private processes?: ProcessMonitor;

  constructor(
    private readonly config: KeelConfig,
    private readonly log: Logger,
    private readonly report: (c: TrackChange) => void,
  ) {}

  start(): void {
    for (const f of Object.values(this.config.trackFiles)) {
      if (!f.file) continue;
      const path = f.file;
      if (f.initFile && (f.initFile.overwrite || !nodeFs().existsSync(path))) {
        try {
          nodeFs().writeFileSync(path, `${f.initFile.value}\n`);
        } catch (e) {
          this.log.error(`track_file ${f.name}: cannot create ${path}: ${(e as Error).message}`);
        }
      }
      const check = () => this.readFile(f.name, path);
      check();
      try {
        this.watchers.push(
          nodeFs().watch(dirname(path), (_ev, file) =>
            file === null || file === basename(path) ? check() : undefined,
          ),
        );
      } catch (e) {
        this.log.warn(`track_file ${f.name}: cannot watch ${dirname(path)} (${(e as Error).message}); polling`);
      }
      this.timers.push(setInterval(check, 1_000));
    }
    const procs = Object.values(this.config.vrrpTrackProcesses).filter((p) => p.process);
    if (procs.length > 0) {
      this.processes = new ProcessMonitor(procs, this.config, this.log, (p, up, count) => {
        this.log.info(`Track process ${p.name} ${up ? "quorum gained" : "quorum lost"} (${count} running)`);
        this.report({ kind: "process", name: p.name, up, value: count });
      });
      this.processes.start();
    }
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    for (const t of this.timers) clearInterval(t);
    this.processes?.stop();
  }

  /**
   * One vrrp_track_process as it stands (keepalived's num_cur_proc, have_quorum and its
   * fork/terminate delay timers), for the JSON dump's version 2 (vrrp_json.c).
   */
  processState(name: string): { count: number; up: boolean; forkPending: boolean; terminatePending: boolean } {
    return this.processes?.state(name) ?? { count: 0, up: false, forkPending: false, terminatePending: false };
  }

  private readFile(name: string, path: string): void {
    let value = 0;
    let head: Buffer | string | undefined;
    try {
      head = readTrackFile(path);
    } catch {
      // missing or unreadable: keepalived counts 0
    }
    if (typeof head === "string") {
      // said once, not at every poll
      if (this.refused.get(name) !== head) this.log.warn(`track_file ${name}: ${path}: ${head}; counted as 0`);
      this.refused.set(name, head);
    } else if (head) {
      this.refused.delete(name);
      const r = parseTrackFileValue(head);
      if (!r.ok) {
        this.log.warn(`track_file ${name}: ${path}: ${r.error.message}`);
        return;
      }
      value = r.value;
    }
    if (this.fileValues.get(name) === value) return;
    this.fileValues.set(name, value);
    // no line of its own: keepalived track_file.c writes none for a value read (its
    // "Read %s: long val" is TMP_TRACK_FILE_DEBUG only); what the value does to each
    // instance is written by the VRRP driver (fileLines, startFaultLines)
    this.report({ kind: "file", name, value });
  }
}

/**
 * The head of a track file, or why it is not read. Opened non-blocking and only when it is a
 * regular file: a FIFO would block the daemon's one thread and a device such as /dev/zero
 * would never end (both found by fuzzing the reader), so neither is read.
 */
export function readTrackFile(path: string): Buffer | string {
  const fd = nodeFs().openSync(path, nodeFs().constants.O_RDONLY | nodeFs().constants.O_NONBLOCK);
  try {
    if (!nodeFs().fstatSync(fd).isFile()) return "not a regular file";
    const buf = Buffer.alloc(TRACK_FILE_READ_MAX);
    return buf.subarray(0, nodeFs().readSync(fd, buf, 0, buf.length, 0));
  } finally {
    nodeFs().closeSync(fd);
  }
}
