/**
 * vrrp_track_process fed by the kernel's process events (keepalived core/track_process.c):
 * the connector socket (native-bindings/proc-connector.ts) is drained whenever it is
 * readable, each fork / exec / comm / exit goes to the ProcessTable (process-track.ts), and
 * the table starts from a /proc scan made after subscribing, as keepalived's
 * init_track_processes reads /proc after set_proc_ev_listen.
 *
 * Lost events (recvmsg ENOBUFS: the queue overflowed) make keepalived wait a second,
 * double the socket's buffer, log "Setting global_def process_monitor_rcv_bufs to N -
 * recommend updating configuration file" and scan /proc again (reinitialise_track_processes);
 * keel does the same.
 *
 * The socket lives as long as the daemon, not one configuration: it is opened once
 * (before setns when the daemon runs in `net_namespace` / -s, as keepalived's main.c calls
 * open_track_processes before set_namespaces; see preopenProcConnector) and a reload only
 * scans again. Where it cannot be opened (keel started inside a network namespace other
 * than the initial one, a kernel without CONFIG_PROC_EVENTS) keel says so once and scans
 * /proc every second instead; keepalived 2.2.7 started inside a namespace only logs "Failed
 * to set/clear process event listen - errno 111" and its trackers never change.
 */
import type { KeelConfig } from "../config/model";
import type { TrackProcess } from "../config/vrrp/model";
import type { Logger } from "./log";
import { type ProcInfo, ProcessTable } from "./process-track";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

type Connector = import("../../native-bindings/proc-connector").ProcConnector;

const ENOBUFS = 105;
/** datagrams handled per wake-up before the event loop gets a turn (readiness.ts) */
const DRAIN_MAX = 256;
const SCAN_MS = 1_000;
/** keepalived's TIMER_HZ wait after ENOBUFS before it scans again */
const RESYNC_MS = 1_000;

/** The daemon's one connector (or why there is none), opened at the first need. */
let shared: { conn?: Connector; error?: string; warned?: boolean } | undefined;

function openShared(): NonNullable<typeof shared> {
  if (shared) return shared;
  try {
    const { ProcConnector } =
      require("../../native-bindings/proc-connector") as typeof import("../../native-bindings/proc-connector");
    shared = { conn: ProcConnector.open() };
  } catch (e) {
    shared = { error: (e as Error).message };
  }
  return shared;
}

/**
 * Open the connector now, in the namespace keel was started in, when the configuration
 * tracks processes: namespace-start.ts calls this just before setns, so that a daemon in
 * `net_namespace` still hears the initial namespace's connector (the socket stays there).
 */
export function preopenProcConnector(config: KeelConfig): void {
  if (Object.keys(config.vrrpTrackProcesses).length > 0) openShared();
}

/** For tests: forget the shared socket (closing it). */
export function closeProcConnector(): void {
  shared?.conn?.close();
  shared = undefined;
}

export class ProcessMonitor {
  private readonly table: ProcessTable;
  private stopWatch?: () => void;
  private timer?: ReturnType<typeof setInterval>;
  private resync?: ReturnType<typeof setTimeout>;
  private stopped = false;

  constructor(
    private readonly procs: readonly TrackProcess[],
    private readonly config: KeelConfig,
    private readonly log: Logger,
    onChange: (p: TrackProcess, up: boolean, count: number) => void,
  ) {
    this.table = new ProcessTable(
      procs,
      (pid) => readProc(pid, this.table.needsCmdline),
      (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
      onChange,
    );
  }

  /** How the processes are followed: "events" (the connector) or "scan" (every second). */
  mode: "events" | "scan" = "scan";

  start(): void {
    const s = openShared();
    const conn = s.conn;
    if (!conn) {
      if (!s.warned)
        this.log.warn(
          `track_process: no process events from the kernel (${s.error}); scanning /proc every second instead`,
        );
      s.warned = true;
      this.table.scan(scanProc(this.table.needsCmdline));
      this.timer = setInterval(() => this.table.scan(scanProc(this.table.needsCmdline)), SCAN_MS);
      return;
    }
    this.mode = "events";
    const g = this.config.globalDefs;
    if (g.processMonitorRcvBufs) {
      try {
        conn.setRcvBuf({ bytes: g.processMonitorRcvBufs, force: g.processMonitorRcvBufsForce });
      } catch (e) {
        // keepalived set_rcv_buf: logged, not fatal
        this.log.info(`Cannot set process monitor SO_RCVBUF option: ${(e as Error).message}`);
      }
    }
    // events queued before this scan describe what the scan sees already
    this.discardQueued(conn);
    this.table.scan(scanProc(this.table.needsCmdline));
    const { watchReadable } =
      require("../../native-bindings/readiness") as typeof import("../../native-bindings/readiness");
    this.stopWatch = watchReadable(conn.fd, () => this.drain(conn));
    this.log.info(`track_process: following the kernel's process events (${this.procs.length} tracked)`);
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    if (this.timer) clearInterval(this.timer);
    if (this.resync) clearTimeout(this.resync);
    this.table.stop();
  }

  state(name: string): ReturnType<ProcessTable["state"]> {
    return this.table.state(name);
  }

  /** One wake-up: up to DRAIN_MAX datagrams; true = more may be queued. */
  private drain(conn: Connector): boolean {
    for (let i = 0; i < DRAIN_MAX; i++) {
      if (this.stopped) return false;
      let evs: ReturnType<Connector["recv"]>;
      try {
        evs = conn.recv();
      } catch (e) {
        const errno = (e as { errno?: number }).errno;
        if (errno === ENOBUFS) this.lostEvents(conn);
        else this.log.info(`process monitor netlink recv error: ${(e as Error).message}`);
        continue;
      }
      if (evs === undefined) return false;
      for (const e of evs) {
        // threads are not processes (keepalived compares pid and tgid)
        if (e.kind === "fork" && e.childPid === e.childTgid) this.table.fork(e.parentTgid, e.childTgid);
        else if (e.kind === "exec" && e.pid === e.tgid) this.table.exec(e.tgid);
        else if (e.kind === "comm" && e.pid === e.tgid) this.table.comm(e.tgid, e.comm);
        else if (e.kind === "exit" && e.pid === e.tgid) this.table.exit(e.tgid);
        else if (e.kind === "malformed") this.lostEvents(conn);
      }
    }
    return true;
  }

  /** keepalived handle_proc_ev ENOBUFS → process_lost_messages_timer_thread a second later. */
  private lostEvents(conn: Connector): void {
    if (this.resync) clearTimeout(this.resync);
    this.resync = setTimeout(() => {
      this.resync = undefined;
      if (this.stopped) return;
      try {
        const bytes = conn.rcvBuf() * 2;
        conn.setRcvBuf({ bytes, force: this.config.globalDefs.processMonitorRcvBufsForce });
        this.log.info(
          `Setting global_def process_monitor_rcv_bufs to ${bytes} - recommend updating configuration file`,
        );
      } catch (e) {
        this.log.info(`Cannot set process monitor SO_RCVBUF option: ${(e as Error).message}`);
      }
      this.table.scan(scanProc(this.table.needsCmdline));
    }, RESYNC_MS);
  }

  private discardQueued(conn: Connector): void {
    for (let i = 0; i < 100_000; i++) {
      try {
        if (conn.recv() === undefined) return;
      } catch {
        // ENOBUFS before the scan: the scan is the resync
      }
    }
  }
}

/** /proc/PID as keepalived reads it: the comm from stat (zombies skipped), the command line if needed. */
export function readProc(pid: number, cmdline: boolean): ProcInfo | undefined {
  try {
    const stat = nodeFs().readFileSync(`/proc/${pid}/stat`, "latin1");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < open) return undefined;
    if (stat[close + 2] === "Z") return undefined;
    const comm = Buffer.from(stat.slice(open + 1, close), "latin1").toString("utf8");
    return { comm, cmdline: cmdline ? nodeFs().readFileSync(`/proc/${pid}/cmdline`, "utf8") : "" };
  } catch {
    return undefined; // gone meanwhile
  }
}

function* scanProc(cmdline: boolean): Generator<[number, ProcInfo]> {
  for (const name of nodeFs().readdirSync("/proc")) {
    if (name.charCodeAt(0) < 0x31 || name.charCodeAt(0) > 0x39) continue;
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readProc(pid, cmdline);
    if (info) yield [pid, info];
  }
}
