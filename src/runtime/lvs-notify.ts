/**
 * The checker side's notifications (keepalived ipwrapper.c do_rs_notifies /
 * do_vs_notifies, check_*.c smtp_alert): notify_up / notify_down and quorum_up /
 * quorum_down scripts, the "RS [rs] [vs] UP" and "VS [vs] DOWN" lines on notify_fifo and
 * lvs_notify_fifo, and SMTP alerts with keepalived's subjects. Runs in the checker
 * process, which holds the FIFOs open itself as keepalived's checker child does.
 */
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import type { Script } from "../config/script";
import type { LvsEvent, RsState, VsState } from "../lvs/pool";
import { runScript, scriptUserOptions } from "./exec";
import { openFifo } from "./notify";
import { SmtpAlerter } from "./smtp";
// node:fs by require: an import would build its namespace and so node:stream (DESIGN.md rule 6)
const { closeSync, writeSync } = require("node:fs") as typeof import("node:fs");

export class LvsNotifier {
  private readonly fifos: number[] = [];
  readonly smtp: SmtpAlerter;

  constructor(
    private config: KeelConfig,
    private readonly log: Logger,
  ) {
    this.smtp = new SmtpAlerter(config, log);
  }

  setConfig(config: KeelConfig): void {
    this.config = config;
    this.smtp.setConfig(config);
  }

  /** notify_fifo (made by the VRRP side) and lvs_notify_fifo (made here, with its script). */
  start(): void {
    const g = this.config.globalDefs;
    for (const [fifo, own, script] of [
      [g.notifyFifo, false, undefined],
      [g.lvsNotifyFifo, true, g.lvsNotifyFifoScript],
    ] as const) {
      if (!fifo) continue;
      try {
        const fd = openFifo(fifo.path, own);
        if (fd === undefined) continue;
        this.fifos.push(fd);
        if (own) this.log.info(`Opening LVS notify FIFO ${fifo.path}`);
        if (script) this.exec(script, [fifo.path]);
      } catch (e) {
        this.log.error(`notify FIFO ${fifo.path}: ${(e as Error).message}`);
      }
    }
  }

  stop(): void {
    for (const fd of this.fifos.splice(0)) closeSync(fd);
  }

  handle(e: LvsEvent): void {
    // a shutdown without omega: keepalived sends only the SNMP trap (the daemon's subagent)
    if ((e.kind === "rs-notify" || e.kind === "vs-notify") && e.snmpOnly) return;
    if (e.kind === "log") {
      this.log.info(e.line);
    } else if (e.kind === "rs-notify") {
      if (e.script) this.exec(e.script, []);
      this.fifo(`RS ${e.rs.name} ${e.vs.name} ${e.up ? "UP" : "DOWN"}\n`);
    } else if (e.kind === "vs-notify") {
      if (e.script) this.exec(e.script, []);
      this.fifo(`VS ${e.vs.name} ${e.up ? "UP" : "DOWN"}\n`);
      if (e.vs.vs.smtpAlert ?? this.config.globalDefs.smtpAlertChecker ?? this.config.globalDefs.smtpAlert ?? false)
        this.smtp.send(`Virtualserver ${e.vs.name} - ${e.up ? "UP" : "DOWN"}`, e.alert);
    } else if (e.kind === "rs-shutdown") {
      this.smtp.send(`Realserver ${e.rs.name} of virtual server ${e.vs.name} - DOWN`, "=> Shutting down <=");
    }
  }

  /** A checker's own alert (check_*.c): only when the real server's state changed, unless no_checker_emails is off. */
  checkerAlert(vs: VsState, rs: RsState, rsWasAlive: boolean, text: string): void {
    const g = this.config.globalDefs;
    if (!(rs.rs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? false)) return;
    if (rsWasAlive === rs.alive && g.noCheckerEmails) return;
    this.smtp.send(`Realserver ${rs.name} of virtual server ${vs.name} - ${rs.alive ? "UP" : "DOWN"}`, text);
  }

  private fifo(line: string): void {
    for (const fd of this.fifos) {
      try {
        writeSync(fd, line);
      } catch (e) {
        this.log.warn(`notify FIFO: line dropped: ${(e as Error).message}`);
      }
    }
  }

  exec(script: Script, args: string[]): void {
    void runScript(script, { args, ...scriptUserOptions(this.config.globalDefs) }).then((r) => {
      if (r.error) this.log.error(`cannot run notify script ${script.command}: ${r.error}`);
    });
  }
}
