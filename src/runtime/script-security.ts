/**
 * keepalived's script security (lib/notify.c check_security, vrrp.c
 * check_vrrp_script_security): every component of a script's path — each directory from
 * "/" down, then the file — must be owned by root and not writable by a non-root group
 * or by everyone (a directory with the sticky bit, like /tmp, may be). With
 * enable_script_security such a script is disabled ("Disabling track script chk due to
 * insecure"); without it, it runs and keepalived warns "SECURITY VIOLATION".
 */
import { type Stats, existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { KeelConfig } from "../config/model";
import type { Script } from "../config/script";
import { splitCommand } from "./exec";

export interface SecurityResult {
  notFound: boolean;
  insecure: boolean;
  /** not to be run */
  inhibit: boolean;
  messages: string[];
}

/** The program a command runs: the first word, searched in PATH when it has no '/'. */
export function scriptPath(command: string): string | undefined {
  const prog = splitCommand(command)[0];
  if (!prog) return undefined;
  if (prog.includes("/")) return prog;
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) if (dir && existsSync(join(dir, prog))) return join(dir, prog);
  return undefined;
}

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
      st = lstatSync(path);
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

/**
 * The configuration with insecure scripts taken out, as keepalived does before it runs
 * anything: a disabled vrrp_script no longer counts for the instances that track it; a
 * disabled notify script is not run.
 */
export function secureScripts(config: KeelConfig, log: Logger): KeelConfig {
  const secure = config.globalDefs.enableScriptSecurity;
  /** keepalived SC_ISSCRIPT: an interpreted script ("#!"), not a binary */
  let anyScript = false;
  let anyInsecure = false;
  const check = (s: Script | undefined, what: string): boolean => {
    if (!s) return true;
    // keepalived checks the realpath (symbolic links and /./ resolved: /bin → /usr/bin)
    let path = scriptPath(s.command);
    try {
      if (path) path = realpathSync(path);
    } catch {
      // missing: checkSecurity says so
    }
    try {
      if (path && readFileSync(path).subarray(0, 2).toString() === "#!") anyScript = true;
    } catch {
      // unreadable: checkSecurity reports it
    }
    const res = path ? checkSecurity(path, secure) : { notFound: true, insecure: false, inhibit: true, messages: [`check_script_secure could not find script '${splitCommand(s.command)[0] ?? ""}' - disabling`] };
    for (const m of res.messages) log.warn(m);
    anyInsecure ||= res.insecure;
    if (res.inhibit) log.warn(`Disabling ${what} due to ${res.notFound ? "not found/accessible" : "insecure"}`);
    return !res.inhibit;
  };
  const out: KeelConfig = structuredClone(config);
  const dropped = new Set<string>();
  for (const [name, s] of Object.entries(out.vrrpScripts)) if (!check(s.script, `track script ${name}`)) dropped.add(name);
  for (const name of dropped) delete out.vrrpScripts[name];
  const notifyKeys = ["notifyMaster", "notifyBackup", "notifyFault", "notifyStop", "notify", "notifyMasterRxLowerPri"] as const;
  for (const v of Object.values(out.vrrpInstances)) {
    v.trackScripts = v.trackScripts.filter((t) => !dropped.has(t.name));
    for (const k of notifyKeys) if (!check(v[k], `notify script ${v[k]?.command} of ${v.name}`)) v[k] = undefined;
  }
  for (const g of Object.values(out.vrrpSyncGroups)) {
    g.trackScripts = g.trackScripts.filter((t) => !dropped.has(t.name));
    for (const k of ["notifyMaster", "notifyBackup", "notifyFault", "notifyStop", "notify"] as const) if (!check(g[k], `notify script ${g[k]?.command} of ${g.name}`)) g[k] = undefined;
  }
  if (!secure && anyScript)
    log.warn(`SECURITY VIOLATION - scripts are being executed but script_security not enabled.${anyInsecure ? " There are insecure scripts." : ""}`);
  return out;
}
