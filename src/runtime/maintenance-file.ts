/**
 * `keel maintenance`'s state file: which instances this node holds BACKUP, so the hold
 * survives a reload and a restart. One file per daemon, beside its control socket
 * (/run/keel/keel.sock → /run/keel/keel.maintenance.json): under the runtime directory,
 * so it does not survive a reboot (a rebooted node comes back as configured).
 *
 *   {"version": 1, "all": {...}?, "instances": {"VI_1": {"at": 1733400000000, "by": "root (uid 0, pid 42)", "reason": "disk swap"}}}
 *
 * Written atomically (a temporary file in the same directory, fsync, rename), so a crash
 * leaves the old file or the new one. A file that cannot be read as this is an error
 * naming it and what is wrong: the daemon refuses to start rather than forget a hold
 * (a node under maintenance taking the VIPs back is the failure this file exists to stop).
 */
// the start reads the file through libc (it is on the path to the first advert); a save
// takes node:fs on first use (DESIGN.md rule 6)
import { nodeFs, readTextFile } from "../../native-bindings/file";

export interface MaintenanceEntry {
  /** epoch ms it was turned on */
  at: number;
  by?: string;
  reason?: string;
}

export interface MaintenanceState {
  /** `--all`: every instance, also those a later reload adds */
  all?: MaintenanceEntry;
  instances: Map<string, MaintenanceEntry>;
}

export function emptyMaintenance(): MaintenanceState {
  return { instances: new Map() };
}

/** The state file of the daemon whose control socket is `socket`. */
export function maintenanceFileFor(socket: string): string {
  return `${socket.replace(/\.sock$/, "")}.maintenance.json`;
}

export type Loaded = { ok: true; value: MaintenanceState } | { ok: false; error: string };

/** Read `path`; a missing file is no maintenance. Never throws. */
export function loadMaintenance(path: string): Loaded {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") return { ok: true, value: emptyMaintenance() };
    return { ok: false, error: `${path}: cannot read: ${err.message}` };
  }
  return parseMaintenance(text, path);
}

/** The file's text as state, or what is wrong with it (naming `path`). */
export function parseMaintenance(text: string, path: string): Loaded {
  const fail = (why: string): Loaded => ({
    ok: false,
    error: `${path}: ${why} (fix it, or remove it to turn maintenance off everywhere)`,
  });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return fail("not a JSON object");
  const o = v as Record<string, unknown>;
  if (o.version !== 1) return fail(`"version" is ${JSON.stringify(o.version)}, this keel reads 1`);
  const state = emptyMaintenance();
  if (o.all !== undefined) {
    const e = entry(o.all);
    if (typeof e === "string") return fail(`"all": ${e}`);
    state.all = e;
  }
  if (typeof o.instances !== "object" || o.instances === null || Array.isArray(o.instances))
    return fail('"instances" is not an object');
  for (const [name, x] of Object.entries(o.instances)) {
    const e = entry(x);
    if (typeof e === "string") return fail(`"instances"."${name}": ${e}`);
    state.instances.set(name, e);
  }
  return { ok: true, value: state };
}

function entry(x: unknown): MaintenanceEntry | string {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return "not an object";
  const o = x as Record<string, unknown>;
  if (typeof o.at !== "number") return '"at" is not a number';
  if (o.by !== undefined && typeof o.by !== "string") return '"by" is not a string';
  if (o.reason !== undefined && typeof o.reason !== "string") return '"reason" is not a string';
  const e: MaintenanceEntry = { at: o.at };
  if (o.by !== undefined) e.by = o.by as string;
  if (o.reason !== undefined) e.reason = o.reason as string;
  return e;
}

export function formatMaintenance(s: MaintenanceState): string {
  const doc: Record<string, unknown> = { version: 1 };
  if (s.all) doc.all = s.all;
  doc.instances = Object.fromEntries([...s.instances].sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Write atomically (temporary file, fsync, rename); throws with the path on failure. */
export function saveMaintenance(path: string, s: MaintenanceState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = nodeFs().openSync(tmp, "w", 0o600);
    try {
      nodeFs().writeSync(fd, formatMaintenance(s));
      nodeFs().fsyncSync(fd);
    } finally {
      nodeFs().closeSync(fd);
    }
    nodeFs().renameSync(tmp, path);
  } catch (e) {
    try {
      nodeFs().unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}
