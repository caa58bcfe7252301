/**
 * SMTP alerts (keepalived core/smtp.c + vrrp_notify.c vrrp_smtp_notifier), sent with
 * nodemailer: on each state an instance or sync group enters (once per state, as
 * keepalived's last_email_state), a mail from notification_email_from to every
 * notification_email through smtp_server, subject "[router_id] VRRP Instance VI_1 -
 * Entering MASTER state" and keepalived's one-line body. A failed send is logged, never
 * retried into a backlog.
 */
import type { Transporter } from "nodemailer";
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
/** node:os with the first mail: notify.ts loads this file at every start (issue 20) */
const hostname = () => (require("node:os") as typeof import("node:os")).hostname();

const WORDS: Record<string, { subject: string; instance: string; group: string }> = {
  MASTER: {
    subject: "Entering MASTER state",
    instance: "=> VRRP Instance is now owning VRRP VIPs <=",
    group: "=> All VRRP group instances are now in MASTER state <=",
  },
  BACKUP: {
    subject: "Entering BACKUP state",
    instance: "=> VRRP Instance is no longer owning VRRP VIPs <=",
    group: "=> All VRRP group instances are now in BACKUP state <=",
  },
  FAULT: {
    subject: "Entering FAULT state",
    instance: "=> VRRP Instance is no longer owning VRRP VIPs <=",
    group: "=> All VRRP group instances are now in FAULT state <=",
  },
  STOP: { subject: "Stopping", instance: "=> VRRP Instance stopping <=", group: "=> VRRP Group stopping <=" },
  // keepalived vrrp_smtp_notifier: an instance a reload removed, with notify_deleted
  DELETED: { subject: "Deleted", instance: "=> VRRP Deleted at reload <=", group: "=> VRRP Deleted at reload <=" },
};

export class SmtpAlerter {
  private readonly lastState = new Map<string, string>();
  /**
   * nodemailer (with tls, zlib, dns) is loaded by the first mail, not at start-up: most
   * daemons never send one, and loading it cost every start ~10 ms (issue 20).
   */
  private transport?: Promise<Transporter>;

  constructor(
    private config: KeelConfig,
    private readonly log: Logger,
  ) {}

  setConfig(config: KeelConfig): void {
    this.config = config;
    this.transport = undefined;
  }

  /** keepalived: the instance's smtp_alert, else global smtp_alert_vrrp, else smtp_alert. */
  private enabled(kind: "INSTANCE" | "GROUP", name: string): boolean {
    const g = this.config.globalDefs;
    const own =
      kind === "INSTANCE" ? this.config.vrrpInstances[name]?.smtpAlert : this.config.vrrpSyncGroups[name]?.smtpAlert;
    return own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  }

  alert(kind: "INSTANCE" | "GROUP", name: string, state: string): void {
    const g = this.config.globalDefs;
    const words = WORDS[state];
    if (!words || !this.enabled(kind, name) || !g.smtpServer || g.notificationEmail.length === 0) return;
    if (g.noEmailFaults && state === "FAULT") return;
    const key = `${kind}:${name}`;
    if (this.lastState.get(key) === state) return;
    this.lastState.set(key, state);
    this.send(
      `VRRP ${kind === "INSTANCE" ? "Instance" : "Group"} ${name} - ${words.subject}`,
      kind === "INSTANCE" ? words.instance : words.group,
    );
  }

  /**
   * One mail: "[router_id] " + subject, with body. The checkers use it directly for
   * keepalived's SMTP_MSG_RS / SMTP_MSG_VS subjects ("Realserver [ip]:tcp:80 of virtual
   * server [vip]:tcp:80 - UP"); nothing is sent without smtp_server and notification_email.
   */
  send(subject: string, body: string): void {
    const g = this.config.globalDefs;
    if (!g.smtpServer || g.notificationEmail.length === 0) return;
    const server = g.smtpServer;
    this.transport ??= import("nodemailer").then((m) =>
      m.default.createTransport({
        host: server.host,
        port: server.port,
        secure: false,
        ignoreTLS: true,
        name: g.smtpHeloName ?? hostname(),
        connectionTimeout: g.smtpConnectTimeout * 1000,
      }),
    );
    const from = g.notificationEmailFrom ?? `keepalived@${hostname()}`;
    const mail = { from, to: g.notificationEmail, subject: `[${g.routerId ?? hostname()}] ${subject}`, text: body };
    // sendMail runs in the order of send(): every mail waits on the same transport promise
    this.transport
      .then((t) => t.sendMail(mail))
      .then(() => this.log.info(`SMTP alert successfully sent.`))
      .catch((e: Error) =>
        this.log.error(`Error connecting SMTP server[${g.smtpServer?.host}]:${g.smtpServer?.port}: ${e.message}`),
      );
  }
}
