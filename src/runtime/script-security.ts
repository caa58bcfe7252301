/**
 * keepalived's script security (lib/notify.c check_security, vrrp.c
 * check_vrrp_script_security): every component of a script's path — each directory from
 * "/" down, then the file — must be owned by root and not writable by a non-root group
 * or by everyone (a directory with the sticky bit, like /tmp, may be). With
 * enable_script_security such a script is disabled ("Disabling track script chk due to
 * insecure"); without it, it runs and keepalived warns "SECURITY VIOLATION".
 */
import { entriesOf } from "../base/values";
import type { Logger } from "./log";
import type { Diagnostics, SourceLoc } from "../config/diagnostics";
import type { ScriptUser } from "../config/global/model";
import type { KeelConfig } from "../config/model";
import type { Origins } from "../config/schema";
import type { Script } from "../config/script";
import { lookupIds, scriptPath, splitCommand } from "./exec";
// libc, not node:fs: a daemon checks its scripts before its first advert (DESIGN.md rule 6)
import { type FileStat as Stats, lstatFile, realPath, statFile } from "../../native-bindings/file";

export interface SecurityResult {
  notFound: boolean;
  insecure: boolean;
  /** not to be run */
  inhibit: boolean;
  messages: string[];
}

export { scriptPath };

const S_ISVTX = 0o1000;
const S_IWGRP = 0o20;
const S_IWOTH = 0o2;

/**
 * The directories check_security lstat()s before the file itself, from the top down:
 * "/", "/a" for "/a/b"; "a" for a relative "a/b".
 */
export function pathPrefixes(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/") || "/");
  return out;
}

/**
 * check_security's test of one path component: unsafe when its owner is not trusted
 * (keepalived trusts only root), or when a file or a directory without the sticky bit is
 * writable by a group other than root's or by everyone. Symbolic links pass on their owner
 * alone (their mode means nothing; the directory holding them is checked on its own).
 */
export function unsafeComponent(st: Stats, owners: readonly number[] = [0]): boolean {
  if (!owners.includes(st.uid)) return true;
  const checked = (st.isDirectory() && (st.mode & S_ISVTX) === 0) || st.isFile();
  return checked && ((st.gid !== 0 && (st.mode & S_IWGRP) !== 0) || (st.mode & S_IWOTH) !== 0);
}

export function checkSecurity(filename: string, usingScriptSecurity: boolean): SecurityResult {
  const r: SecurityResult = { notFound: false, insecure: false, inhibit: false, messages: [] };
  const dirs = pathPrefixes(filename);
  for (let i = 0; i <= dirs.length; i++) {
    const last = i === dirs.length;
    const path = last ? filename : (dirs[i] as string);
    let st: Stats;
    try {
      st = lstatFile(path);
    } catch {
      r.messages.push(`check_script_secure could not find script '${filename}' - disabling`);
      r.notFound = true;
      r.inhibit = true;
      return r;
    }
    if ((!last && !st.isDirectory()) || (last && !st.isFile() && !st.isSymbolicLink())) {
      r.messages.push(`Wrong file type found in script path '${filename}'.`);
      r.inhibit = true;
      return r;
    }
    if (unsafeComponent(st)) {
      r.messages.push(`Unsafe permissions found for script '${filename}'${usingScriptSecurity ? " - disabling" : ""}.`);
      r.insecure = true;
      r.inhibit = usingScriptSecurity;
      return r;
    }
  }
  return r;
}

/** One script as keepalived's check_script_secure sees it. */
export interface ScriptCheck {
  /** keepalived's words for it in "Disabling ... due to insecure": "track script chk" */
  what: string;
  /**
   * which of keepalived's processes checks it: its SECURITY VIOLATION line differs
   * ("main": the parent's startup_script and shutdown_script, main.c)
   */
  side: "vrrp" | "check" | "main";
  /** the vrrp_script's name: keepalived -t counts its disabling as a configuration error */
  track?: string;
  /** the block it belongs to (vrrp_script, instance, checker...): where to point when the script has no origin */
  owner?: object;
  script: Script;
  /** keepalived SC_ISSCRIPT: the file was found (binary or interpreted, measured with 2.2.7) */
  found: boolean;
  result: SecurityResult;
}

/** The user keepalived runs scripts as when neither the script nor script_user names one (lib/notify.c). */
export const DEFAULT_SCRIPT_USER = "keepalived_script";

const INSTANCE_NOTIFY = [
  "notifyMaster",
  "notifyBackup",
  "notifyFault",
  "notifyStop",
  "notify",
  "notifyMasterRxLowerPri",
] as const;

/** keepalived SC_SYSTEM: `</path` tests that a file opens; nothing is executed. */
function opensFileOnly(command: string): boolean {
  return /^<[ \t]*\//.test(command.trimStart());
}

/**
 * keepalived checks a script's path only when it runs with root's uid or gid, or the file
 * is set-uid/set-gid root (notify.c check_script_secure, need_script_protection): anyone
 * else running it gains nothing. keel runs a script as its own user, else script_user,
 * else root (src/runtime/exec.ts); an unknown user is checked as root would be.
 */
function needsProtection(s: Script, defaultUser: ScriptUser | undefined, st: Stats): boolean {
  const who = s.user !== undefined ? { user: s.user, group: s.group } : defaultUser;
  const ids = who ? lookupIds(who.user, who.group) : { uid: 0, gid: 0 };
  if (!ids || ids.uid === 0 || ids.gid === 0) return true;
  const S_ISUID = 0o4000;
  const S_ISGID = 0o2000;
  const setuidRoot = st.uid === 0 && (st.mode & 0o100) !== 0 && (st.mode & S_ISUID) !== 0;
  const setgidRoot = st.gid === 0 && (st.mode & 0o010) !== 0 && (st.mode & S_ISGID) !== 0;
  return setuidRoot || setgidRoot;
}

function checkScript(
  s: Script,
  secure: boolean,
  defaultUser?: ScriptUser,
): Pick<ScriptCheck, "found" | "result"> | undefined {
  if (opensFileOnly(s.command)) return undefined;
  // keepalived checks the realpath (symbolic links and /./ resolved: /bin → /usr/bin)
  let path = scriptPath(s.command);
  try {
    if (path) path = realPath(path);
  } catch {
    // missing: checkSecurity says so
  }
  if (!path) {
    const name = splitCommand(s.command)[0] ?? "";
    const messages = [`check_script_secure could not find script '${name}' - disabling`];
    return { found: false, result: { notFound: true, insecure: false, inhibit: true, messages } };
  }
  let st: Stats;
  try {
    st = statFile(path);
  } catch {
    return { found: false, result: checkSecurity(path, secure) };
  }
  if (!needsProtection(s, defaultUser, st)) {
    return { found: true, result: { notFound: false, insecure: false, inhibit: false, messages: [] } };
  }
  const result = checkSecurity(path, secure);
  return { found: !result.notFound, result };
}

/**
 * Every script keepalived checks at start, in its order: the VRRP process's
 * (check_vrrp_script_security: vrrp_scripts, instance and sync group notify scripts, the
 * notify FIFO scripts; only when there is a vrrp_instance) and the checker process's
 * (check_check_script_security: MISC_CHECK paths, real and virtual server notify
 * scripts, the notify FIFO scripts; only when there is a virtual_server).
 */
export function auditScripts(config: KeelConfig): ScriptCheck[] {
  const out: ScriptCheck[] = [];
  eachScriptCheck(config, (c) => out.push(c));
  return out;
}

/**
 * The same checks handed to `visit` one at a time, in the same order, none kept: `keel -t`
 * on 200,000 vrrp_scripts held ~25 MB of them at its peak, which the collector's headroom
 * about doubled.
 */
export function eachScriptCheck(config: KeelConfig, visit: (c: ScriptCheck) => void): void {
  const secure = config.globalDefs.enableScriptSecurity;
  // one check per command and user: a config with 200,000 vrrp_scripts running the same
  // command would otherwise stat the same path components 200,000 times and keep as many
  // copies of one result (measured: 5 s and 115 MB of keel -t's time and memory)
  // keyed by the command itself, then user and group: no key string made per script (at
  // 200,000 scripts those were 200,000 strings of garbage at keel -t's peak)
  const seen = new Map<string, Map<string, ReturnType<typeof checkScript>>>();
  const check = (s: Script) => {
    let byUser = seen.get(s.command);
    if (!byUser) {
      byUser = new Map();
      seen.set(s.command, byUser);
    }
    const who = s.user === undefined && s.group === undefined ? "\0" : `${s.user ?? ""}\0${s.group ?? ""}`;
    if (!byUser.has(who)) byUser.set(who, checkScript(s, secure, config.globalDefs.scriptUser));
    return byUser.get(who);
  };
  const add = (side: ScriptCheck["side"], s: Script | undefined, what: string, owner?: object, track?: string) => {
    // no command (a MISC_CHECK without misc_path): the parser already said so
    if (!s || s.command.trim() === "") return;
    const r = check(s);
    if (r) visit({ side, what, script: s, owner, ...r, ...(track === undefined ? {} : { track }) });
  };
  const g = config.globalDefs;
  // main.c (start_keepalived's caller and reload_config): the parent checks these itself,
  // whatever else the configuration holds
  add("main", g.startupScript, "startup_script");
  add("main", g.shutdownScript, "shutdown_script");
  if (Object.keys(config.vrrpInstances).length > 0) {
    // one at a time, not Object.entries: no array of 200,000 pairs (nor of 200,000 scripts
    // when keel -t keeps them packed)
    for (const [name, s] of entriesOf(config.vrrpScripts)) add("vrrp", s.script, `track script ${name}`, s, name);
    for (const v of Object.values(config.vrrpInstances))
      for (const k of INSTANCE_NOTIFY) add("vrrp", v[k], `notify script ${v[k]?.command} of ${v.name}`, v);
    for (const sg of Object.values(config.vrrpSyncGroups))
      for (const k of ["notifyMaster", "notifyBackup", "notifyFault", "notifyStop", "notify"] as const)
        add("vrrp", sg[k], `notify script ${sg[k]?.command} of ${sg.name}`, sg);
    add("vrrp", g.notifyFifoScript, "notify_fifo_script");
    add("vrrp", g.vrrpNotifyFifoScript, "vrrp_notify_fifo_script");
  }
  if (config.virtualServers.length > 0) {
    for (const vs of config.virtualServers) {
      for (const rs of vs.realServers) {
        for (const ck of rs.checkers) {
          if (ck.type === "MISC_CHECK") add("check", ck.miscPath, `misc script ${ck.miscPath.command}`, ck);
        }
        add("check", rs.notifyUp, `notify_up script of ${rs.ip}`, rs);
        add("check", rs.notifyDown, `notify_down script of ${rs.ip}`, rs);
      }
      add("check", vs.quorumUp, "quorum_up script", vs);
      add("check", vs.quorumDown, "quorum_down script", vs);
    }
    add("check", g.notifyFifoScript, "notify_fifo_script");
    add("check", g.lvsNotifyFifoScript, "lvs_notify_fifo_script");
  }
}

/** keepalived's SECURITY VIOLATION line for one process's scripts, or undefined when it has none to say. */
export function securityViolation(
  checks: ScriptCheck[],
  side: ScriptCheck["side"],
  secure: boolean,
): string | undefined {
  const mine = checks.filter((c) => c.side === side);
  return violationLine(
    side,
    secure,
    mine.some((c) => c.found),
    mine.some((c) => c.result.insecure),
  );
}

function violationLine(side: ScriptCheck["side"], secure: boolean, found: boolean, insecure: boolean) {
  if (secure || !found) return undefined;
  const which = side === "check" ? "check scripts" : side === "main" ? "start/shutdown scripts" : "scripts";
  const more = insecure ? " There are insecure scripts." : "";
  return `SECURITY VIOLATION - ${which} are being executed but script_security not enabled.${more}`;
}

/**
 * The configuration with insecure scripts taken out, as keepalived does before it runs
 * anything: a disabled vrrp_script no longer counts for the instances that track it; a
 * disabled notify script is not run.
 */
export function secureScripts(config: KeelConfig, log: Logger): KeelConfig {
  const secure = config.globalDefs.enableScriptSecurity;
  const checks = auditScripts(config).filter((c) => c.side === "vrrp");
  const inhibited = new Set<Script>();
  for (const c of checks) {
    for (const m of c.result.messages) log.warn(m);
    if (!c.result.inhibit) continue;
    inhibited.add(c.script);
    log.warn(`Disabling ${c.what} ${c.result.notFound ? "since not found/accessible" : "due to insecure"}`);
  }
  const violation = securityViolation(checks, "vrrp", secure);
  if (violation) log.warn(violation);
  // the clone has objects of its own: find the disabled scripts by name and keyword
  const out: KeelConfig = structuredClone(config);
  const dropped = new Set<string>();
  for (const [name, s] of Object.entries(config.vrrpScripts)) {
    if (s.script && inhibited.has(s.script)) dropped.add(name);
  }
  for (const name of dropped) delete out.vrrpScripts[name];
  for (const [name, v] of Object.entries(out.vrrpInstances)) {
    const orig = config.vrrpInstances[name];
    v.trackScripts = v.trackScripts.filter((t) => !dropped.has(t.name));
    for (const k of INSTANCE_NOTIFY) if (orig?.[k] && inhibited.has(orig[k])) v[k] = undefined;
  }
  for (const [name, g] of Object.entries(out.vrrpSyncGroups)) {
    const orig = config.vrrpSyncGroups[name];
    g.trackScripts = g.trackScripts.filter((t) => !dropped.has(t.name));
    for (const k of ["notifyMaster", "notifyBackup", "notifyFault", "notifyStop", "notify"] as const)
      if (orig?.[k] && inhibited.has(orig[k])) g[k] = undefined;
  }
  return out;
}

/**
 * `keel -t`: what keepalived -t says about the scripts, at the line that names each one.
 * A disabled vrrp_script is an error there ("Disabling track script chk due to insecure"
 * is a CONFIG_GENERAL_ERROR: exit 5); a disabled notify or misc script is only logged
 * (a warning here); SECURITY VIOLATION is CONFIG_SECURITY_ERROR, which keepalived -t
 * exits 6 for (KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY, above every other error;
 * measured with 2.2.7). Returns whether there was one.
 */
export function scriptDiagnostics(
  config: KeelConfig,
  origins: Origins,
  diags: Diagnostics,
  fallback: SourceLoc,
): boolean {
  const secure = config.globalDefs.enableScriptSecurity;
  const at = (c: ScriptCheck): SourceLoc => origins.get(c.script) ?? (c.owner && origins.get(c.owner)) ?? fallback;
  // lib/notify.c get_default_script_user: a script with no user of its own runs as
  // script_user, else as keepalived_script; with enable_script_security and neither,
  // keepalived will not fall back to root: "Unable to set default user keepalived_script
  // for script", and the script is removed (vrrp_parser.c vrrp_vscript_end_handler: a
  // vrrp_script, an error for -t; check_misc.c: a MISC_CHECK; notify scripts likewise).
  // A pass of its own, only in that case, so these come first as keepalived reports them.
  const g = config.globalDefs;
  if (secure && !g.scriptUser && lookupIds(DEFAULT_SCRIPT_USER) === undefined) {
    eachScriptCheck(config, (c) => {
      if (c.script.user !== undefined || c.side === "main") return;
      const msg = `Unable to set default user ${DEFAULT_SCRIPT_USER} for ${c.what} - removing (enable_script_security refuses root: set script_user, or create user ${DEFAULT_SCRIPT_USER})`;
      if (c.track !== undefined) diags.error(at(c), "no-script-user", msg);
      else diags.warning(at(c), "no-script-user", msg);
    });
  }
  // streamed (eachScriptCheck): only the first found script of each side and two flags are kept
  const sides = {
    main: { first: undefined as ScriptCheck | undefined, insecure: false },
    vrrp: { first: undefined as ScriptCheck | undefined, insecure: false },
    check: { first: undefined as ScriptCheck | undefined, insecure: false },
  };
  eachScriptCheck(config, (c) => {
    const side = sides[c.side];
    if (c.found) side.first ??= c;
    if (c.result.insecure) side.insecure = true;
    if (!c.result.inhibit) return;
    const why = c.result.notFound ? "since not found/accessible" : "due to insecure";
    const code = c.result.notFound ? "script-not-found" : "insecure-script";
    const msg = `Disabling ${c.what} ${why}: ${c.result.messages.join(" ")}`;
    if (c.track !== undefined) diags.error(at(c), code, msg);
    else diags.warning(at(c), code, msg);
  });
  let violation = false;
  for (const name of ["main", "vrrp", "check"] as const) {
    const { first, insecure } = sides[name];
    const v = violationLine(name, secure, first !== undefined, insecure);
    if (!v || !first) continue;
    violation = true;
    diags.warning(at(first), "script-security", `${v} (add enable_script_security to global_defs)`);
  }
  return violation;
}
