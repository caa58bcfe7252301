/**
 * Notification on state changes (keepalived vrrp_notify.c): the state's own script
 * (notify_master / notify_backup / notify_fault / notify_stop) run as written, then the
 * generic `notify` script with four more words: INSTANCE|GROUP, the name, the state and
 * the priority; and a line on the notify FIFOs (global notify_fifo and vrrp_notify_fifo):
 * `INSTANCE "VI_1" MASTER 100`.
 */
import type { Logger } from "./log";
import type { Script } from "../config/script";
import type { KeelConfig } from "../config/model";
import type { Action } from "../vrrp/types";
import { runScript, scriptUserOptions } from "./exec";
import { SmtpAlerter } from "./smtp";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

type Notify = Extract<Action, { type: "notify" }>;

/** keepalived's VRRP_EVENT_* words on the notify FIFO */
export type InstanceEvent = "MASTER_RX_LOWER_PRI" | "MASTER_PRIORITY" | "BACKUP_PRIORITY";

/**
 * keepalived notify_fifo_open: create the FIFO when missing (unless `create` is false:
 * then undefined), and hold it open read-write, so a write never blocks on a missing
 * reader. Throws with the reason.
 */
export function openFifo(path: string, create: boolean): number | undefined {
  if (!nodeFs().existsSync(path)) {
    if (!create) return undefined;
    const r = Bun.spawnSync(["mkfifo", "-m", "0600", path]);
    if (r.exitCode !== 0) throw new Error(r.stderr.toString().trim());
  } else if (!nodeFs().statSync(path).isFIFO()) throw new Error("exists and is not a FIFO");
  return nodeFs().openSync(path, nodeFs().constants.O_RDWR | nodeFs().constants.O_NONBLOCK);
}

export class Notifier {
  private readonly fifos = new Map<string, number>();
  private readonly smtp: SmtpAlerter;

  constructor(
    private config: KeelConfig,
    private readonly log: Logger,
  ) {
    this.smtp = new SmtpAlerter(config, log);
  }

  /** After a reload: the scripts of the new configuration (the FIFOs stay open). */
  setConfig(config: KeelConfig): void {
    this.config = config;
    this.smtp.setConfig(config);
  }

  /**
   * keepalived notify_fifo_open: create the FIFO when missing, hold it open read-write
   * (a write then never blocks on a missing reader), and start its notify_fifo_script
   * with the FIFO's path as argument.
   */
  start(): void {
    const g = this.config.globalDefs;
    const pairs: [typeof g.notifyFifo, Script | undefined][] = [
      [g.notifyFifo, g.notifyFifoScript],
      [g.vrrpNotifyFifo, g.vrrpNotifyFifoScript],
    ];
    for (const [fifo, script] of pairs) {
      if (!fifo || this.fifos.has(fifo.path)) continue;
      try {
        this.fifos.set(fifo.path, openFifo(fifo.path, true) as number);
        this.log.info(`Opening notify FIFO ${fifo.path}`);
        if (script) this.exec(script, [fifo.path]);
      } catch (e) {
        this.log.error(`notify FIFO ${fifo.path}: ${(e as Error).message}`);
      }
    }
  }

  stop(): void {
    for (const fd of this.fifos.values()) nodeFs().closeSync(fd);
    this.fifos.clear();
  }

  notify(n: Notify): void {
    const owner = n.kind === "INSTANCE" ? this.config.vrrpInstances[n.name] : this.config.vrrpSyncGroups[n.name];
    if (!owner) return;
    const own: Record<string, Script | undefined> = {
      MASTER: owner.notifyMaster,
      BACKUP: owner.notifyBackup,
      FAULT: owner.notifyFault,
      STOP: owner.notifyStop,
      DELETED: "notifyDeleted" in owner ? owner.notifyDeleted?.script : undefined,
    };
    const specific = own[n.state];
    if (specific) this.exec(specific, []);
    if (owner.notify) this.exec(owner.notify, [n.kind, n.name, n.state, String(n.priority)]);
    const line = `${n.kind} "${n.name}" ${n.state} ${n.priority}\n`;
    const g = this.config.globalDefs;
    for (const fifo of [g.notifyFifo, g.vrrpNotifyFifo]) if (fifo) this.writeFifo(fifo.path, line);
    this.smtp.alert(n.kind, n.name, n.state);
  }

  /**
   * An instance's event that is not a state (keepalived vrrp_notify.c): MASTER_RX_LOWER_PRI
   * (send_event_notify: a master heard a lower-priority master; its notify_master_rx_lower_pri
   * script runs with no arguments, and the FIFOs always get the line) and
   * MASTER_PRIORITY / BACKUP_PRIORITY (send_instance_priority_notifies: the effective priority
   * changed; FIFO only, when notify_priority_changes is on for the instance, else its sync
   * group's, else vrrp_notify_priority_changes: vrrp.c vrrp_complete_instance).
   */
  instanceEvent(name: string, event: InstanceEvent, priority: number): void {
    const v = this.config.vrrpInstances[name];
    if (!v) return;
    if (event === "MASTER_RX_LOWER_PRI") {
      if (v.notifyMasterRxLowerPri) this.exec(v.notifyMasterRxLowerPri, []);
    } else if (!this.notifiesPriority(name)) return;
    const g = this.config.globalDefs;
    for (const fifo of [g.notifyFifo, g.vrrpNotifyFifo])
      if (fifo) this.writeFifo(fifo.path, `INSTANCE "${name}" ${event} ${priority}\n`);
  }

  /**
   * fifo_write_vrrp_states_on_reload (vrrp_scheduler.c vrrp_init_state, at a reload): the
   * FIFOs get the state of what the reload left as it was, and nothing else runs: each
   * carried sync group (`GROUP "G" STATE 0`, notify_group_fifo) and each carried instance
   * that is BACKUP or FAULT (`INSTANCE "I" STATE PRIO` with its effective priority,
   * notify_instance_fifo); a master goes on as master there without any notification.
   * `groups`: the groups the reload left in the state they had (router.ts groupInit
   * notifies none of those, as keepalived's state_same_at_reload).
   */
  reloadStates(
    groups: { name: string; state: string }[],
    instances: { name: string; state: string; priority: number }[],
  ): void {
    const g = this.config.globalDefs;
    if (!g.fifoWriteVrrpStatesOnReload) return;
    const lines = [
      ...groups.map((x) => `GROUP "${x.name}" ${x.state} 0\n`),
      ...instances
        .filter((i) => i.state === "BACKUP" || i.state === "FAULT")
        .map((i) => `INSTANCE "${i.name}" ${i.state} ${i.priority}\n`),
    ];
    for (const line of lines)
      for (const fifo of [g.notifyFifo, g.vrrpNotifyFifo]) if (fifo) this.writeFifo(fifo.path, line);
  }

  private notifiesPriority(name: string): boolean {
    const v = this.config.vrrpInstances[name];
    const group = Object.values(this.config.vrrpSyncGroups).find((sg) => sg.group.includes(name));
    return v?.notifyPriorityChanges ?? group?.notifyPriorityChanges ?? this.config.globalDefs.vrrpNotifyPriorityChanges;
  }

  private exec(script: Script, args: string[]): void {
    void runScript(script, { args, ...scriptUserOptions(this.config.globalDefs) }).then((r) => {
      if (r.error) this.log.error(`cannot run notify script ${script.command}: ${r.error}`);
      else if (r.code !== 0) this.log.debug(`notify script ${script.command} exited with ${r.code ?? r.signal}`);
    });
  }

  /** Non-blocking: a full FIFO nobody reads must not stall the daemon (the line is dropped, and logged). */
  private writeFifo(path: string, line: string): void {
    const fd = this.fifos.get(path);
    if (fd === undefined) return;
    try {
      nodeFs().writeSync(fd, line);
    } catch (e) {
      this.log.warn(`notify FIFO ${path}: line dropped: ${(e as Error).message}`);
    }
  }
}
