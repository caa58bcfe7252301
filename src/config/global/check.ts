/**
 * Checks across the global settings (and from them to the rest of the config) that no
 * single keyword handler can make: what keepalived itself reports after reading the
 * whole file (core/global_data.c init_global_data, vrrp/vrrp.c for lvs_sync_daemon) and
 * settings that have no effect without another one. Host facts only give warnings,
 * since a config may be checked on another machine than the one it is for.
 */
import type { SourceLoc } from "../diagnostics";
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
import type { Script } from "../script";
import { keywordLoc } from "./locations";
import { type GlobalDefs, createGlobalDefs } from "./model";

const NOWHERE: SourceLoc = { file: "<config>", line: 1, col: 1 };

export function checkGlobal(config: KeelConfig, c: Ctx, host: HostFacts): void {
  const g = config.globalDefs;
  const blockLoc = c.origins.get(g) ?? NOWHERE;
  /** where a global_defs keyword was written (else the global_defs block) */
  const kw = (...keywords: string[]): SourceLoc => {
    for (const k of keywords) {
      const l = keywordLoc(g, k);
      if (l) return l;
    }
    return blockLoc;
  };

  checkMail(g, c, kw);
  checkUsers(g, c, host, kw);
  checkFifos(g, c, kw);
  checkNoEffect(g, c, kw);

  // keepalived 2.2.7 global_parser.c config_save_dir_handler: a missing directory is made
  // (0700) if its parent exists; a path that is no directory is an error, and nothing is saved
  const save = g.configSaveDir;
  if (save !== undefined && !save.startsWith("/"))
    // lib/parser.c: keepalived parses with its working directory in the file's directory
    // (where config_save_dir_handler makes it), then copies the file into it from its own
    // working directory (`cp: cannot create regular file 'DIR/keepalived.conf.PID.0'`)
    c.warning(
      kw("config_save_dir"),
      "relative-path",
      `config_save_dir ${save} is a relative path: keepalived makes it beside the configuration file but saves into it from its working directory, keel from its working directory; give an absolute path`,
    );
  const kind = save === undefined || !save.startsWith("/") ? undefined : host.pathKind?.(save);
  if (kind === "other")
    c.error(kw("config_save_dir"), "missing-directory", `config_save_dir ${save} exists and is not a directory`);
  else if (save !== undefined && kind === "missing") {
    const parent = save.replace(/\/+$/, "").replace(/\/[^/]*$/, "") || "/";
    if (host.pathKind?.(parent) === "missing")
      c.error(
        kw("config_save_dir"),
        "missing-directory",
        `Unable to create config_save_dir ${save} (error 2 - No such file or directory)`,
      );
  }

  // lvs_sync_daemon follows a vrrp_instance: keepalived drops the whole setting when the
  // instance does not exist ("Unable to find vrrp instance ... for lvs_syncd").
  const sd = g.lvsSyncDaemon;
  if (sd?.vrrpInstance !== undefined && !(sd.vrrpInstance in config.vrrpInstances))
    c.error(
      c.origins.get(sd) ?? kw("lvs_sync_daemon"),
      "unknown-reference",
      `lvs_sync_daemon: there is no vrrp_instance '${sd.vrrpInstance}'; keepalived would not run the sync daemon`,
    );

  // Interfaces: keepalived refuses unknown ones in linkbeat_interfaces and
  // interface_up_down_delays unless dynamic_interfaces is set.
  if (!g.dynamicInterfaces) {
    const missing = (name: string, at: SourceLoc, what: string) => {
      if (host.interfaceExists(name) === false)
        c.warning(
          at,
          "unknown-interface",
          `${what}: interface '${name}' does not exist on this host (set dynamic_interfaces if it is created later)`,
        );
    };
    if (keywordLoc(g, "default_interface")) missing(g.defaultInterface, kw("default_interface"), "default_interface");
    if (sd) missing(sd.interface, c.origins.get(sd) ?? kw("lvs_sync_daemon"), "lvs_sync_daemon");
    for (const lb of config.linkbeatInterfaces) missing(lb.name, c.origins.get(lb) ?? NOWHERE, "linkbeat_interfaces");
    for (const d of config.interfaceUpDownDelays)
      missing(d.interface, c.origins.get(d) ?? NOWHERE, "interface_up_down_delays");
  }
}

type Where = (...keywords: string[]) => SourceLoc;

/** E-mail needs an smtp_server; alerts need recipients. */
function checkMail(g: GlobalDefs, c: Ctx, kw: Where): void {
  const alerts = (["smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker"] as const).filter(
    (k) =>
      ({ smtp_alert: g.smtpAlert, smtp_alert_vrrp: g.smtpAlertVrrp, smtp_alert_checker: g.smtpAlertChecker })[k] ===
      true,
  );
  const first = alerts[0];
  if (!g.smtpServer) {
    const mailSettings: [string, boolean][] = [
      ["notification_email_from", g.notificationEmailFrom !== undefined],
      ["notification_email", g.notificationEmail.length > 0],
      ["smtp_helo_name", g.smtpHeloName !== undefined],
      ["smtp_connect_timeout", g.smtpConnectTimeout !== createGlobalDefs().smtpConnectTimeout],
    ];
    const set = mailSettings.find(([, on]) => on)?.[0];
    if (first)
      c.warning(
        kw(first),
        "no-smtp-server",
        `${first} is on but there is no smtp_server, so no alert e-mail can be sent`,
      );
    else if (set)
      c.warning(kw(set), "no-smtp-server", `${set} is set but there is no smtp_server, so no e-mail is sent`);
    return;
  }
  if (first && g.notificationEmail.length === 0)
    c.warning(kw(first), "no-recipients", `${first} is on but notification_email lists no recipients`);
}

/** A user or group named for a script or FIFO should exist (keepalived drops the script otherwise). */
function checkUsers(g: GlobalDefs, c: Ctx, host: HostFacts, kw: Where): void {
  const check = (user: string | undefined, group: string | undefined, at: SourceLoc, what: string) => {
    if (user !== undefined && host.userExists?.(user) === false)
      c.warning(at, "unknown-user", `${what}: user '${user}' does not exist on this host`);
    // a leading ':' asks for the supplementary groups; ':' alone names no group
    const grp = group?.startsWith(":") ? group.slice(1) : group;
    if (grp && host.groupExists?.(grp) === false)
      c.warning(at, "unknown-group", `${what}: group '${grp}' does not exist on this host`);
  };
  if (g.scriptUser)
    check(g.scriptUser.user, g.scriptUser.group, c.origins.get(g.scriptUser) ?? kw("script_user"), "script_user");
  const scripts: [Script | undefined, string][] = [
    [g.startupScript, "startup_script"],
    [g.shutdownScript, "shutdown_script"],
    [g.notifyFifoScript, "notify_fifo_script"],
    [g.vrrpNotifyFifoScript, "vrrp_notify_fifo_script"],
    [g.lvsNotifyFifoScript, "lvs_notify_fifo_script"],
  ];
  for (const [s, name] of scripts) if (s) check(s.user, s.group, c.origins.get(s) ?? kw(name), name);
  for (const [f, name] of [
    [g.notifyFifo, "notify_fifo"],
    [g.vrrpNotifyFifo, "vrrp_notify_fifo"],
    [g.lvsNotifyFifo, "lvs_notify_fifo"],
  ] as const)
    if (f) check(f.user, f.group, c.origins.get(f) ?? kw(name), name);
}

/** keepalived's init_global_data(): FIFOs that coincide. */
function checkFifos(g: GlobalDefs, c: Ctx, kw: Where): void {
  const global = g.notifyFifo?.path;
  const vrrp = g.vrrpNotifyFifo?.path;
  const lvs = g.lvsNotifyFifo?.path;
  if (global !== undefined && global === vrrp)
    c.warning(
      kw("vrrp_notify_fifo"),
      "duplicate-fifo",
      `vrrp_notify_fifo '${vrrp}' is also the notify_fifo; keepalived ignores vrrp_notify_fifo and its script`,
    );
  if (global !== undefined && global === lvs)
    c.warning(
      kw("lvs_notify_fifo"),
      "duplicate-fifo",
      `lvs_notify_fifo '${lvs}' is also the notify_fifo; keepalived ignores lvs_notify_fifo and its script`,
    );
  else if (lvs !== undefined && lvs === vrrp && g.lvsNotifyFifoScript && g.vrrpNotifyFifoScript)
    c.warning(
      kw("lvs_notify_fifo_script"),
      "duplicate-fifo",
      `lvs_notify_fifo and vrrp_notify_fifo are the same FIFO and both have a script; keepalived ignores lvs_notify_fifo_script`,
    );
}

/** Settings that only refine another one (reported when they were set to something). */
function checkNoEffect(g: GlobalDefs, c: Ctx, kw: Where): void {
  const d = createGlobalDefs();
  const changed = (k: keyof GlobalDefs) => JSON.stringify(g[k]) !== JSON.stringify(d[k]);
  const rules: [string, keyof GlobalDefs, boolean, string][] = [
    ["startup_script_timeout", "startupScriptTimeout", g.startupScript !== undefined, "startup_script"],
    ["shutdown_script_timeout", "shutdownScriptTimeout", g.shutdownScript !== undefined, "shutdown_script"],
    ["reload_repeat", "reloadRepeat", g.reloadTimeFile !== undefined, "reload_time_file"],
    ["nftables_priority", "nftablesPriority", g.nftables !== undefined, "nftables"],
    ["nftables_ifindex", "nftablesIfindex", g.nftables !== undefined, "nftables"],
    ["nftables_ipvs_priority", "nftablesIpvsPriority", g.nftablesIpvs !== undefined, "nftables_ipvs"],
    ["nftables_ipvs_start_fwmark", "nftablesIpvsStartFwmark", g.nftablesIpvs !== undefined, "nftables_ipvs"],
    [
      "vrrp_rx_bufs_multiplier",
      "vrrpRxBufsMultiplier",
      g.vrrpRxBufsPolicy !== undefined,
      "vrrp_rx_bufs_policy MTU or ADVERT",
    ],
  ];
  for (const [k, field, ok, needs] of rules)
    if (changed(field) && !ok) c.warning(kw(k), "no-effect", `${k} has no effect without ${needs}`);
  // keepalived.conf(5): "If both vrrp_iptables and vrrp_nftables are specified, keepalived will use nftables"
  if (g.nftables !== undefined && g.vrrpIptables !== undefined)
    c.warning(
      kw("vrrp_iptables"),
      "no-effect",
      "vrrp_iptables is ignored: nftables is also set and keepalived uses nftables",
    );
}
