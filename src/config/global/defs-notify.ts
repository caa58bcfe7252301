/**
 * global_defs keywords for telling the world: router_id, e-mail alerts, notify FIFOs,
 * SNMP and DBus (keepalived core/global_parser.c).
 */
import { type Keyword, boolField, emitList, emitScalar, quote } from "../schema";
import type { Token } from "../tree";
import { TIMER_HZ, UINT_MAX, bareAddress, flag, isHostName, timerField, wordField } from "./helpers";
import { deprecated, onceScript } from "./defs-process";
import type { GlobalDefs, NotifyFifo } from "./model";
import { isIP } from "../../base/ip";

type K = Keyword<GlobalDefs>;

/** `notification_email { ADDR... }`: every word of the block is one address. */
const notificationEmail: K = {
  parse: (c, n, t) => {
    c.count(n, 0);
    const lines = c.lines(n);
    if (!n.block) return;
    const words = lines.flat();
    if (words.length === 0) c.warning(n.open ?? n.keyword, "empty-block", "empty notification_email block");
    for (const w of words) t.notificationEmail.push(w.text);
  },
  emit: (t, kw) => emitList(kw, t.notificationEmail, quote),
};

/**
 * `smtp_server HOST [PORT]`: an IP address or a name that keepalived resolves with
 * getaddrinfo(); the name is kept here and resolved when mail is sent.
 */
const smtpServer: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 1, 2)) return;
    const host = n.args[0] as Token;
    const portTok = n.args[1];
    const port = portTok ? c.intToken(portTok, 1, 65535, "smtp_server port") : 25;
    const ip = bareAddress(host.text);
    const name = isIP(ip) ? ip : isHostName(host.text) ? host.text : undefined;
    if (name === undefined)
      c.error(host, "bad-address", `invalid smtp_server '${host.text}': not an IP address or host name`);
    if (name === undefined || port === undefined) return;
    t.smtpServer = c.origin({ host: name, port }, n);
  },
  emit: (t, kw) => {
    const s = t.smtpServer;
    if (s?.host === undefined) return [];
    return [`${kw} ${quote(s.host)}${s.port !== undefined && s.port !== 25 ? ` ${s.port}` : ""}`];
  },
};

/** `smtp_connect_timeout SECS`: keepalived turns 0 into 1 (with an error). */
const smtpConnectTimeout: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 1)) return;
    const v = c.int(n, 0, 0, Math.floor(UINT_MAX / TIMER_HZ));
    if (v === 0)
      c.error(n.args[0] as Token, "out-of-range", "smtp_connect_timeout must be greater than 0; keepalived uses 1");
    if (v !== undefined) t.smtpConnectTimeout = Math.max(v, 1);
  },
  emit: emitScalar("smtpConnectTimeout"),
};

type FifoKey = "notifyFifo" | "vrrpNotifyFifo" | "lvsNotifyFifo";

/** `*notify_fifo PATH [USER [GROUP]]`, once. */
function fifo(key: FifoKey): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1, 3)) return;
      if (t[key] !== undefined) {
        c.error(n.keyword, "duplicate", `'${n.keyword.text}' already specified - ignoring this one`);
        return;
      }
      const [path, user, group] = n.args as [Token, Token | undefined, Token | undefined];
      const f: NotifyFifo = { path: path.text };
      if (user) f.user = user.text;
      if (group) f.group = group.text;
      t[key] = c.origin(f, n);
    },
    emit: (t, kw) => {
      const f = t[key];
      if (f?.path === undefined) return [];
      let line = `${kw} ${quote(f.path)}`;
      if (f.user !== undefined) line += ` ${quote(f.user)}`;
      if (f.user !== undefined && f.group !== undefined) line += ` ${quote(f.group)}`;
      return [line];
    },
  };
}

const enableSnmpVrrp = flag<GlobalDefs>("enableSnmpVrrp");

export const notifyKeywords: Record<string, K> = {
  router_id: wordField("routerId"),
  notification_email: notificationEmail,
  // keepalived reports words after the address as an error but keeps the address
  notification_email_from: {
    parse: (c, n, t) => {
      const v = c.str(n, 0);
      if (v === undefined) return;
      if (n.args[1])
        c.error(
          n.args[1],
          "extra-argument",
          "'notification_email_from' takes one address; quote it if it has a display name",
        );
      t.notificationEmailFrom = v;
    },
    emit: emitScalar("notificationEmailFrom"),
  },
  smtp_server: smtpServer,
  smtp_helo_name: wordField("smtpHeloName"),
  smtp_connect_timeout: smtpConnectTimeout,
  smtp_alert: boolField("smtpAlert"),
  smtp_alert_vrrp: boolField("smtpAlertVrrp"),
  smtp_alert_checker: boolField("smtpAlertChecker"),
  checker_log_all_failures: boolField("checkerLogAllFailures"),
  no_email_faults: flag("noEmailFaults"),
  rs_init_notifies: boolField("rsInitNotifies"),
  no_checker_emails: boolField("noCheckerEmails"),
  notify_fifo: fifo("notifyFifo"),
  notify_fifo_script: onceScript("notifyFifoScript"),
  vrrp_notify_fifo: fifo("vrrpNotifyFifo"),
  vrrp_notify_fifo_script: onceScript("vrrpNotifyFifoScript"),
  lvs_notify_fifo: fifo("lvsNotifyFifo"),
  lvs_notify_fifo_script: onceScript("lvsNotifyFifoScript"),
  vrrp_notify_priority_changes: boolField("vrrpNotifyPriorityChanges"),
  fifo_write_vrrp_states_on_reload: flag("fifoWriteVrrpStatesOnReload"),
  snmp_socket: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      if (t.snmpSocket !== undefined) {
        c.error(n.keyword, "duplicate", `SNMP socket already set to '${t.snmpSocket}' - ignoring this one`);
        return;
      }
      const v = n.args[0] as Token;
      if (v.text.length > 4095) c.error(v, "too-long", "snmp_socket name is too long");
      else t.snmpSocket = v.text;
    },
    emit: emitScalar("snmpSocket"),
  },
  enable_traps: flag("enableTraps"),
  enable_snmp_vrrp: enableSnmpVrrp,
  enable_snmp_keepalived: deprecated("enable_snmp_vrrp", enableSnmpVrrp.parse),
  // both RFC MIBs; written back as the two keywords below
  enable_snmp_rfc: {
    parse: (c, n, t) => {
      if (n.args[0])
        c.warning(
          n.args[0],
          "ignored-argument",
          `'${n.keyword.text}' takes no argument; keepalived ignores '${n.args[0].text}' and turns the option on`,
        );
      t.enableSnmpRfcv2 = true;
      t.enableSnmpRfcv3 = true;
    },
  },
  enable_snmp_rfcv2: flag("enableSnmpRfcv2"),
  enable_snmp_rfcv3: flag("enableSnmpRfcv3"),
  enable_snmp_checker: flag("enableSnmpChecker"),
  snmp_vs_stats_update_interval: timerField("snmpVsStatsUpdateInterval", 0.001, 30),
  snmp_rs_stats_update_interval: timerField("snmpRsStatsUpdateInterval", 0.001, 30),
  enable_dbus: flag("enableDbus"),
  dbus_service_name: wordField("dbusServiceName"),
  dbus_no_interface_name: wordField("dbusNoInterfaceName"),
};
