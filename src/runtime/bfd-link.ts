/**
 * The daemon's side of the BFD process (keepalived's start_bfd_child and its respawn):
 * start `keel` again with KEEL_CHILD=bfd and the same arguments, pass what it tells on to
 * VRRP's tracker board (track_bfd) and to the checker process (BFD_CHECK), keep its
 * sessions for status and metrics, tell it to reload or stop, and start it again if it
 * dies (unless -R). A BFD process that dies takes its sessions with it: each that was
 * Up is reported down at once (a new process starts its sessions Down, and a session
 * that stays Down sends no news), as a session whose peer went silent would be.
 */
import type { Subprocess } from "bun";
import type { TrackChange } from "../vrrp/track-board";
import type { FromBfd, ToBfd } from "./bfd-child";
import type { BfdEvent, BfdSessionStatus } from "./bfd-driver";
import { childDiedLine, spawnChild, stopChild } from "./child-spawn";
import type { Logger } from "./log";

export interface BfdLinkOptions {
  argv: string[];
  log: Logger;
  report: (c: TrackChange) => void;
  onChecker: (name: string, up: boolean) => void;
  onEvent: (e: BfdEvent) => void;
  dontRespawn?: boolean;
  /** child_wait_time (seconds) of the running configuration: how long a stop waits before SIGKILL */
  childWaitS?: () => number;
  /** the daemon's scheduling before its vrrp_* settings (process-settings.ts) */
  env?: Record<string, string>;
}

export class BfdLink {
  private child?: Subprocess;
  private stopping = false;
  private respawn?: ReturnType<typeof setTimeout>;
  private sessions: BfdSessionStatus[] = [];
  private checkerUp = new Map<string, boolean>();
  unmatched: Record<string, number> = {};

  constructor(private readonly o: BfdLinkOptions) {}

  start(): void {
    const child = spawnChild<FromBfd>("bfd", this.o.argv, this.o.env, (m) => this.onMessage(m));
    this.child = child;
    this.o.log.info(`Starting BFD child process, pid=${child.pid}`);
    void child.exited.then((code) => {
      if (this.child !== child) return;
      this.child = undefined;
      // at stop VRRP has already stopped: its instances must not go FAULT on the way out
      if (this.stopping) return;
      this.lost();
      this.o.log.error(childDiedLine("BFD", child.pid, code, !this.o.dontRespawn));
      if (!this.o.dontRespawn) this.respawn = setTimeout(() => this.start(), 1000);
    });
  }

  private onMessage(m: FromBfd): void {
    switch (m.type) {
      case "track":
        this.o.report({ kind: "bfd", name: m.name, up: m.up });
        break;
      case "checker":
        this.checkerUp.set(m.name, m.up);
        this.o.onChecker(m.name, m.up);
        break;
      case "checker-states":
        this.checkerUp = new Map(m.states.map((s) => [s.name, s.up]));
        for (const s of m.states) this.o.onChecker(s.name, s.up);
        break;
      case "event":
        this.sessions = m.sessions;
        this.o.onEvent(m.event);
        break;
      case "status":
        this.sessions = m.sessions;
        this.unmatched = m.unmatched;
        break;
    }
  }

  /** The process is gone: what was Up is down now, to VRRP and to the checkers. */
  private lost(): void {
    for (const s of this.sessions) {
      if (s.state !== "Up") continue;
      this.o.report({ kind: "bfd", name: s.name, up: false });
      if (this.checkerUp.get(s.name)) this.o.onChecker(s.name, false);
    }
    for (const k of this.checkerUp.keys()) this.checkerUp.set(k, false);
    this.sessions = this.sessions.map((s) => ({ ...s, state: "Down" }));
  }

  private send(m: ToBfd): void {
    try {
      this.child?.send(m);
    } catch {
      // gone: the exit handler deals with it
    }
  }

  /** The process reads the configuration itself, as the checker process does. */
  reload(_config?: unknown): void {
    this.send({ type: "reload" });
  }

  status(): BfdSessionStatus[] {
    return this.sessions;
  }

  /** The states the BFD process last told for BFD_CHECK (sent to a checker process that starts). */
  checkerStates(): { name: string; up: boolean }[] {
    return [...this.checkerUp].map(([name, up]) => ({ name, up }));
  }

  /** Ask the process to stop (AdminDown to its peers) and wait for it, child_wait_time (5 s) at most. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.respawn) clearTimeout(this.respawn);
    await stopChild(this.child, () => this.send({ type: "stop" }), this.o.childWaitS?.() ?? 5, "bfd", this.o.log);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
