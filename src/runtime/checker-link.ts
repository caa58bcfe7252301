/**
 * The daemon's side of the checker process (keepalived's start_check_child and its
 * respawn): start `keel` again with KEEL_CHILD=checker and the same arguments, keep its
 * latest status for the control socket, pass its events on, tell it to reload or stop,
 * and start it again if it dies (unless -R), as keepalived respawns a dead child.
 */
import type { Subprocess } from "bun";
import { childDiedLine, spawnChild, stopChild } from "./child-spawn";
import type { Logger } from "./log";
import type { Event, VirtualServerStatus } from "../control/protocol";
import type { FromChild, ToChild } from "./checker-child";
import type { RsRequest } from "./rs-names";

export interface CheckerLinkOptions {
  argv: string[];
  log: Logger;
  onEvent: (e: Event) => void;
  dontRespawn?: boolean;
  /** child_wait_time (seconds) of the running configuration: how long a stop waits before SIGKILL */
  childWaitS?: () => number;
  /** extra environment: the daemon's scheduling before its vrrp_* settings (process-settings.ts) */
  env?: Record<string, string>;
  /** the BFD sessions' states for BFD_CHECK (sessions that send to checkers), sent at each start and reload */
  bfdStates?: () => { name: string; up: boolean }[];
}

export class CheckerLink {
  private child?: Subprocess;
  private stopping = false;
  private respawn?: ReturnType<typeof setTimeout>;
  virtualServers: VirtualServerStatus[] = [];
  lvs?: { available: boolean; error?: string };

  constructor(private readonly o: CheckerLinkOptions) {}

  start(): void {
    const child = spawnChild<FromChild>("checker", this.o.argv, this.o.env, (m) => this.onMessage(m));
    this.child = child;
    this.o.log.info(`Starting Healthcheck child process, pid=${child.pid}`);
    void child.exited.then((code) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      this.o.log.error(childDiedLine("Healthcheck", child.pid, code, !this.o.dontRespawn));
      if (!this.o.dontRespawn) this.respawn = setTimeout(() => this.start(), 1000);
    });
  }

  private onMessage(m: FromChild): void {
    if (m.type === "status") {
      this.virtualServers = m.virtualServers;
      this.lvs = m.lvs;
    } else if (m.type === "event") this.o.onEvent(m.event);
    else if (m.type === "listening") this.sendBfdStates();
  }

  /** Every BFD session's state (keepalived's BFD process writes them all at its start and reload). */
  sendBfdStates(): void {
    for (const s of this.o.bfdStates?.() ?? []) this.send({ type: "bfd", name: s.name, up: s.up });
  }

  /** A BFD session went Up or left it (bfd_event_send to bfd_checker_event_pipe). */
  bfd(name: string, up: boolean): void {
    this.send({ type: "bfd", name, up });
  }

  private send(m: ToChild): void {
    try {
      this.child?.send(m);
    } catch {
      // gone: the exit handler deals with it
    }
  }

  reload(): void {
    this.send({ type: "reload" });
    this.sendBfdStates();
  }

  /** keel rs: the checker process applies it to IPVS and reports it in its next status. */
  rs(request: RsRequest): void {
    this.send({ type: "rs", request });
  }

  /** Ask the child to stop (it removes its IPVS services) and wait for it, child_wait_time (5 s) at most. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.respawn) clearTimeout(this.respawn);
    await stopChild(this.child, () => this.send({ type: "stop" }), this.o.childWaitS?.() ?? 5, "checker", this.o.log);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
