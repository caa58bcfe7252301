/**
 * The control protocol: JSON lines over a Unix socket (`--control-socket`, default
 * /run/keel/keel.sock, mode 0600). The TUI, `keel status` and scripts speak only this.
 *
 * Request:  {"id": any?, "cmd": "hello" | "status" | "subscribe" | "garp" | "dump" | "reload", "instance"?: string}
 * Reply:    {"id", "ok": true, "result": ...} | {"id", "ok": false, "error": {"code", "message"}}
 * Events (after "subscribe", whose reply carries the snapshot): {"event": kind, "at": epoch ms, ...}
 *
 * PROTOCOL_VERSION changes only when a field changes meaning or goes away; new fields
 * and new commands do not bump it (readers ignore what they do not know).
 */

export const PROTOCOL_VERSION = 1;
export const DEFAULT_CONTROL_SOCKET = "/run/keel/keel.sock";

export type Command = "hello" | "status" | "subscribe" | "garp" | "dump" | "reload";
export const COMMANDS: Command[] = ["hello", "status", "subscribe", "garp", "dump", "reload"];

export interface Request {
  id?: unknown;
  cmd: Command;
  instance?: string;
}

export interface InstanceStatus {
  name: string;
  interface?: string;
  vrid: number;
  family: 4 | 6;
  version: 2 | 3;
  state: string;
  /** configured priority */
  priority: number;
  effectivePriority: number;
  /** the master's address as last heard (or ours when MASTER) */
  master?: string;
  vips: string[];
  lastTransition?: { at: number; from: string; to: string; reason: string };
  advertsReceived: number;
  advertsSent: number;
  /** all rejected adverts (keepalived's error counters summed) */
  errors: number;
  faults: string[];
}

export interface Status {
  version: number;
  keel: string;
  pid: number;
  startedAt: number;
  configFile: string;
  instances: InstanceStatus[];
}

export type Event =
  | { event: "transition"; at: number; instance: string; from: string; to: string; reason: string }
  | { event: "priority"; at: number; instance: string; from: number; to: number }
  | { event: "track"; at: number; kind: string; name: string; ok?: boolean; value?: number; code?: number; ms?: number }
  | { event: "rx-error"; at: number; instance?: string; from: string; code: string }
  | { event: "notify"; at: number; kind: string; name: string; state: string; priority: number };

export type Reply = { id?: unknown; ok: true; result: unknown } | { id?: unknown; ok: false; error: { code: string; message: string } };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** One request line; never throws (DESIGN.md rule 3). */
export function parseRequest(line: string): Parsed<Request> {
  if (line.length > 64 * 1024) return { ok: false, error: { code: "too-long", message: "request longer than 64 KiB" } };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: { code: "bad-json", message: `not JSON: ${(e as Error).message}` } };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: { code: "bad-request", message: "a request is a JSON object" } };
  const o = v as Record<string, unknown>;
  if (typeof o.cmd !== "string") return { ok: false, error: { code: "bad-request", message: 'missing "cmd"' } };
  if (!COMMANDS.includes(o.cmd as Command)) return { ok: false, error: { code: "unknown-command", message: `unknown cmd "${o.cmd}"; known: ${COMMANDS.join(", ")}` } };
  if (o.instance !== undefined && typeof o.instance !== "string") return { ok: false, error: { code: "bad-request", message: '"instance" must be a string' } };
  return { ok: true, value: { id: o.id, cmd: o.cmd as Command, instance: o.instance as string | undefined } };
}
