/**
 * The control protocol: JSON lines over a Unix socket (`--control-socket`, default
 * /run/keel/keel.sock, mode 0600). The TUI, `keel status` and scripts speak only this.
 *
 * Request:  {"id": any?, "cmd": "hello" | "status" | "subscribe" | "garp" | "dump" | "reload" | "explain" | "counters", "instance"?: string}
 *           operations (root only, by the socket's mode; README "Operations"), each with "reason"?: string:
 *           {"cmd": "switchover", "instance": NAME, "release"?: true, "hold"?: "standby" | "switchover"}
 *           {"cmd": "maintenance", "on": boolean, "instances"?: [NAME...], "all"?: true}
 *           {"cmd": "rs", "action": "drain" | "enable" | "weight", "virtualServer": "10.0.0.1:80", "realServer": "192.168.0.2:8080", "weight"?: N}
 * Reply:    {"id", "ok": true, "result": ...} | {"id", "ok": false, "error": {"code", "message"}}
 * Events (after "subscribe", whose reply carries the snapshot): {"event": kind, "at": epoch ms, ...}
 *
 * A subscriber keeps its copy of the status from the snapshot and the events; `counters`
 * (Counters below) carries, compactly, what changes without an event (advert and error
 * counters, the master last heard, BFD packet counts), so a client (the TUI) polls that
 * each second and the whole status only rarely. A daemon older than `counters` answers
 * `unknown-command`: such a client polls `status` instead.
 *
 * PROTOCOL_VERSION changes only when a field changes meaning or goes away; new fields
 * and new commands do not bump it (readers ignore what they do not know).
 */

export const PROTOCOL_VERSION = 1;
export const DEFAULT_CONTROL_SOCKET = "/run/keel/keel.sock";

export type Command =
  | "hello"
  | "status"
  | "subscribe"
  | "garp"
  | "dump"
  | "reload"
  | "explain"
  | "switchover"
  | "maintenance"
  | "rs"
  | "counters";
export const COMMANDS: Command[] = [
  "hello",
  "status",
  "subscribe",
  "garp",
  "dump",
  "reload",
  "explain",
  "switchover",
  "maintenance",
  "rs",
  "counters",
];

export type RsAction = "drain" | "enable" | "weight";

export interface Request {
  id?: unknown;
  cmd: Command;
  instance?: string;
  /** operations: the operator's why (logged, in the event and in status) */
  reason?: string;
  /** switchover: release the hold instead of handing over */
  release?: boolean;
  /**
   * switchover on a backup (keel switchover --to another node): `standby` keeps it out of
   * the election; `switchover` then replaces that with the no-preempt hold
   */
  hold?: "standby" | "switchover";
  /** maintenance: on or off */
  on?: boolean;
  /** maintenance: these instances (or `all`) */
  instances?: string[];
  all?: boolean;
  /** rs: what to do, to which real server of which virtual server (names as `keel status` shows them) */
  action?: RsAction;
  virtualServer?: string;
  realServer?: string;
  /** rs weight: the new IPVS weight */
  weight?: number;
}

/** An operator's hold on an instance (switchover, maintenance), as status shows it. */
export interface HoldStatus {
  kind: "switchover" | "maintenance" | "standby";
  /** who: "root (uid 0, pid 123)", from the control connection's SO_PEERCRED */
  by?: string;
  reason?: string;
}

/** One operation done through the control socket: who, why, what. */
export interface OperationStatus {
  /** epoch ms */
  at: number;
  op:
    | "switchover"
    | "switchover-release"
    | "maintenance-on"
    | "maintenance-off"
    | "rs-drain"
    | "rs-enable"
    | "rs-weight"
    /** SNMP sets of vrrpInstanceBasePriority and vrrpInstancePreempt (by "snmp") */
    | "base-priority"
    | "preempt";
  /** the instance(s), or "VS RS" */
  target: string;
  by: string;
  reason?: string;
  /** one line, as logged */
  line: string;
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
  /** the trackers that move this instance's priority or put it in FAULT */
  trackers?: { kind: string; name: string; weight: number; ok: boolean }[];
  /** what it saw on the wire beyond its own election; absent while nothing was seen */
  observed?: ObservedStatus;
  /** what must agree across the nodes of this VRID (src/runtime/config-hash.ts); keel fleet compares it */
  config?: { hash: string; advertInt: number; auth: "none" | "PASS" | "AH"; authHash?: string };
  /** operators' holds (keel switchover, keel maintenance); absent when none */
  holds?: HoldStatus[];
  /**
   * What the VRRP MIBs (RFC 2787, RFC 6527; src/snmp/) serve beyond the above, as
   * keepalived fills them: the interface's index and MAC and our primary address on it
   * (ifp->sin_addr / sin6_addr), the last master heard (master_saddr, absent before one
   * was), the reason of the last transition into MASTER, preempt and accept as resolved,
   * and keepalived's vrrp_stats counters by their names (become_master, chk_err, ...).
   */
  ifindex?: number;
  mac?: string;
  primary?: string;
  lastMaster?: string;
  masterReason?: string;
  /** the last protocol error of an advert (bad-ttl, bad-version, bad-checksum, bad-vrid): keepalived's proto_err_reason */
  protoError?: string;
  preempt?: boolean;
  accept?: boolean;
  stats?: Record<string, number>;
}

/**
 * Seen on the wire (src/vrrp/observe.ts defines each observation; the runtime stamps the
 * times, epoch ms). `keel explain` and the TUI read it.
 */
export interface ObservedStatus {
  /** the open dual master, else the last one (`over` set) */
  dualMaster?: DualMasterStatus;
  /** dual masters seen since start (keel_vrrp_dual_master_total) */
  dualMasters: number;
  /** the latest foreign adverts, one per (reason, sender), newest first, at most 8 */
  foreign?: ForeignAdvertStatus[];
}

/** Another router was MASTER for our VRID while we were (a split brain). */
export interface DualMasterStatus {
  /** the other master's address, its priority, ours then */
  peer: string;
  peerPriority: number;
  ourPriority: number;
  /** when we first heard it as master */
  since: number;
  /**
   * absent while it lasts. `how`: peer-silent (it sent nothing for 3 of its intervals: it
   * yielded or died, we stayed MASTER), we-yielded (to `winner`), we-left (a fault, a stop)
   */
  over?: { at: number; how: "peer-silent" | "we-yielded" | "we-left"; winner?: string };
}

/** Why an advert for our VRID is not from one of our routers (src/vrrp/observe.ts). */
export type ForeignReason = "unknown-router" | "vip-set" | "advert-int" | "version" | "auth";

export interface ForeignAdvertStatus {
  reason: ForeignReason;
  from: string;
  /** what differed, e.g. "advert_int 2 s, ours 1 s" */
  detail: string;
  /** the last one, and how many since start */
  at: number;
  count: number;
  /** vip-set (a VRID collision): the VRIDs heard free on the interface, as ranges ("1-6,8-255") */
  freeVrids?: string;
}

/** A vrrp_script, track_file, tracked process or interface, with its last result. */
export interface TrackerStatus {
  kind: "script" | "file" | "process" | "interface";
  name: string;
  ok: boolean;
  /** track_file value, script exit code, how many processes a process tracker matched */
  value?: number;
  /** epoch ms of the last result */
  at?: number;
  /** how long the last script run took */
  ms?: number;
  /** an interface's link state polled by this ioctl (linkbeat_interfaces, linkbeat_use_polling) */
  linkbeat?: "MII" | "ETHTOOL" | "IOCTL";
  /** an interface's interface_up_down_delays in effect, µs (as keepalived's dump) */
  delays?: { down: number; up: number };
}

/** One health checker of a real server (src/check). */
export interface CheckerStatus {
  /** TCP_CHECK, HTTP_GET, ... */
  type: string;
  up: boolean;
  /** epoch ms of the last completed attempt */
  lastCheck?: number;
  /** duration of the last attempt */
  latencyMs?: number;
  /** "ok", an HTTP status, or keepalived's failure line */
  lastResult?: string;
  /** failed attempts so far in the current retry run (keepalived's retry_it) */
  retries: number;
}

export interface RealServerStatus {
  /** "10.0.0.2:80" ("[2001:db8::2]:80" for IPv6) */
  address: string;
  up: boolean;
  /** weight from the config (or misc_dynamic) */
  weight: number;
  /** weight in the IPVS table; undefined when the server is not in it */
  liveWeight?: number;
  checkers: CheckerStatus[];
  /** an operator's drain or weight (keel rs), kept until `keel rs enable` or a reload */
  operator?: { action: "drain" | "weight"; weight: number; by?: string; reason?: string; at: number };
  /** IPVS's counters for this destination (summed over a group's services); absent without IPVS or outside the table */
  counters?: LvsCounters;
}

/** What IPVS counts (ipvsadm -Ln --stats / --rate, and the connection columns). */
export interface LvsCounters {
  /** connections scheduled so far */
  connections: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
  /** per-second rates from the kernel's estimator (2 s period) */
  cps: number;
  inBps: number;
  outBps: number;
  /** packets per second (KEEPALIVED-MIB serves them; absent from older snapshots) */
  inPps?: number;
  outPps?: number;
  /** real servers only */
  activeConns?: number;
  inactiveConns?: number;
  /** real servers only: persistence templates (KEEPALIVED-MIB realServerStatsPersistentConns) */
  persistentConns?: number;
}

export interface VirtualServerStatus {
  /** "10.0.0.1:80/TCP", "fwmark 1", "group NAME/TCP" */
  name: string;
  scheduler: string;
  /** NAT / DR / TUN */
  method: string;
  quorum: number;
  hysteresis: number;
  /** sum of the weights of live real servers */
  aliveWeight: number;
  quorumUp: boolean;
  sorryServer?: string;
  sorryActive: boolean;
  /** ha_suspend and the service address is not on this host */
  suspended: boolean;
  realServers: RealServerStatus[];
  /** IPVS's counters for the service(s) */
  counters?: LvsCounters;
}

/** One BFD session (src/runtime/bfd-driver.ts); times in µs as on the wire, `since` epoch ms. */
export interface BfdStatus {
  name: string;
  neighbor: string;
  source?: string;
  multihop: boolean;
  /** AdminDown / Down / Init / Up */
  state: string;
  remoteState: string;
  /** our last diagnostic code (RFC 5880 4.1) */
  diag: number;
  localDiscr: number;
  remoteDiscr: number;
  desiredMinTx: number;
  requiredMinRx: number;
  remoteMinTx: number;
  remoteMinRx: number;
  remoteDetectMult: number;
  /** negotiated transmit interval and Detection Time, µs */
  txInterval: number;
  detectTime: number;
  polling: boolean;
  since: number;
  transitions: number;
  /** ms from the last packet heard to the last Down by detection timeout */
  lastDetectionMs?: number;
  rx: number;
  tx: number;
  discarded: Record<string, number>;
}

export interface Status {
  version: number;
  keel: string;
  pid: number;
  startedAt: number;
  configFile: string;
  instances: InstanceStatus[];
  trackers?: TrackerStatus[];
  virtualServers?: VirtualServerStatus[];
  /** the load-balancing side: absent when the config has no virtual_server */
  lvs?: { available: boolean; error?: string };
  /** the last reload (SIGHUP or the `reload` command); absent before the first */
  lastReload?: ReloadStatus;
  /** unexpected exceptions caught so far, by part (src/runtime/daemon-faults.ts) */
  internalErrors?: Record<string, number>;
  /** the BFD sessions; absent when none runs */
  bfd?: BfdStatus[];
  /** the last operations (switchover, maintenance, rs), oldest first, at most 20 */
  operations?: OperationStatus[];
}

/**
 * The `counters` reply's result: per instance `[name, advertsReceived, advertsSent, errors,
 * master]` (master: as in InstanceStatus, null when none heard), per BFD session `[name, rx,
 * tx]`; `at` epoch ms. Tuples, not objects: a poll each second of 1,000 instances.
 */
export interface Counters {
  at: number;
  instances: [name: string, rx: number, tx: number, errors: number, master: string | null][];
  bfd?: [name: string, rx: number, tx: number][];
}

const isNum = (x: unknown): x is number => typeof x === "number";

/** A `counters` reply's result (the client's side); never throws (DESIGN.md rule 3). */
export function parseCounters(result: unknown): Parsed<Counters> {
  const fail = (message: string): Parsed<Counters> => ({ ok: false, error: { code: "bad-counters", message } });
  if (typeof result !== "object" || result === null) return fail("the result is not an object");
  const o = result as Record<string, unknown>;
  if (!isNum(o.at)) return fail("at is not a number");
  if (!Array.isArray(o.instances)) return fail("instances is not a list");
  for (const [i, r] of o.instances.entries()) {
    const good =
      Array.isArray(r) &&
      r.length === 5 &&
      typeof r[0] === "string" &&
      isNum(r[1]) &&
      isNum(r[2]) &&
      isNum(r[3]) &&
      (r[4] === null || typeof r[4] === "string");
    if (!good) return fail(`instances[${i}] is not [name, rx, tx, errors, master]`);
  }
  if (o.bfd !== undefined) {
    if (!Array.isArray(o.bfd)) return fail("bfd is not a list");
    for (const [i, r] of o.bfd.entries())
      if (!(Array.isArray(r) && r.length === 3 && typeof r[0] === "string" && isNum(r[1]) && isNum(r[2])))
        return fail(`bfd[${i}] is not [name, rx, tx]`);
  }
  return { ok: true, value: o as unknown as Counters };
}

/** How a reload ended: applied (maybe with errors after the swap), or refused with the old configuration kept. */
export interface ReloadStatus {
  /** epoch ms */
  at: number;
  /** applied and nothing failed */
  ok: boolean;
  /** the new configuration is the running one */
  applied: boolean;
  /** diagnostics and failures, each a full line */
  errors: string[];
}

export type Event =
  /**
   * `why`: the cause in words with its numbers (src/vrrp/explain.ts describeCause);
   * `faults`: the instance's faults after the change, as InstanceStatus.faults
   */
  | {
      event: "transition";
      at: number;
      instance: string;
      from: string;
      to: string;
      reason: string;
      why?: string;
      faults?: string[];
    }
  | { event: "priority"; at: number; instance: string; from: number; to: number }
  | { event: "track"; at: number; kind: string; name: string; ok?: boolean; value?: number; code?: number; ms?: number }
  /** a BFD session changed state (diag words as src/bfd/packet.ts diagWord) */
  | { event: "bfd"; at: number; name: string; from: string; to: string; diag: string; remoteDiag: string }
  /**
   * rejected packets of one kind (instance, code, sender), aggregated: the first at once,
   * then at most one event a second carrying how many packets it stands for (absent: 1);
   * `from` is "*" for senders beyond the 256 kinds tracked at once
   */
  | { event: "rx-error"; at: number; instance?: string; from: string; code: string; count?: number }
  | { event: "notify"; at: number; kind: string; name: string; state: string; priority: number }
  /**
   * dual master begins / is over, or foreign adverts of one kind (instance, reason,
   * sender): the first at once, then at most one event per 10 s carrying how many adverts
   * it stands for (absent: 1)
   */
  | {
      event: "observed";
      at: number;
      instance: string;
      kind: "dual-master" | "dual-master-over" | "foreign-advert";
      /** the other master, or the foreign advert's sender */
      from: string;
      /** foreign-advert: why (ForeignReason) */
      reason?: string;
      /** one line, as logged */
      line: string;
      count?: number;
    }
  /** one completed check attempt; `ms`: how long it took (the TUI's latency sparklines) */
  | {
      event: "checker";
      at: number;
      virtualServer: string;
      realServer: string;
      type: string;
      up: boolean;
      line: string;
      ms?: number;
    }
  /** stopping: the checker process took it down as it stopped (keepalived's clear_services) */
  | {
      event: "real-server";
      at: number;
      virtualServer: string;
      realServer: string;
      up: boolean;
      liveWeight?: number;
      stopping?: boolean;
    }
  | { event: "quorum"; at: number; virtualServer: string; up: boolean; aliveWeight: number; stopping?: boolean }
  | ({ event: "reload" } & ReloadStatus)
  | ({ event: "operation" } & OperationStatus);

/** One decision an instance took (src/vrrp/explain.ts renders it). */
export interface ExplainedDecision {
  /** epoch ms */
  at: number;
  from: string;
  to: string;
  reason: string;
  /** the RFC 5798 section or keepalived behaviour that applied */
  rule: string;
  /** the cause in plain words with its numbers */
  words: string;
}

/**
 * The `explain` reply's result: one per instance (or the one asked for), why it is in its
 * state, what would change that, and its last decisions (oldest first).
 */
export interface Explanation {
  instance: string;
  state: string;
  /** epoch ms of the last state change */
  since?: number;
  sentence: string;
  wouldChange: string[];
  decisions: ExplainedDecision[];
  /** what the wire told beyond the election: dual masters, foreign adverts (absent from older daemons) */
  seen?: string[];
}

export type Reply =
  | { id?: unknown; ok: true; result: unknown }
  | { id?: unknown; ok: false; error: { code: string; message: string } };

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
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { ok: false, error: { code: "bad-request", message: "a request is a JSON object" } };
  const o = v as Record<string, unknown>;
  if (typeof o.cmd !== "string") return { ok: false, error: { code: "bad-request", message: 'missing "cmd"' } };
  if (!COMMANDS.includes(o.cmd as Command))
    return {
      ok: false,
      error: { code: "unknown-command", message: `unknown cmd "${o.cmd}"; known: ${COMMANDS.join(", ")}` },
    };
  const bad = badField(o);
  if (bad) return { ok: false, error: { code: "bad-request", message: bad } };
  const r: Request = { id: o.id, cmd: o.cmd as Command, instance: o.instance as string | undefined };
  for (const k of OPTIONAL_FIELDS) if (o[k] !== undefined) (r as unknown as Record<string, unknown>)[k] = o[k];
  return { ok: true, value: r };
}

const OPTIONAL_FIELDS = [
  "reason",
  "release",
  "hold",
  "on",
  "instances",
  "all",
  "action",
  "virtualServer",
  "realServer",
  "weight",
];

/** The first optional field of the wrong type, in words; undefined when all are right. */
function badField(o: Record<string, unknown>): string | undefined {
  for (const k of ["instance", "reason", "virtualServer", "realServer"])
    if (o[k] !== undefined && typeof o[k] !== "string") return `"${k}" must be a string`;
  for (const k of ["release", "on", "all"])
    if (o[k] !== undefined && typeof o[k] !== "boolean") return `"${k}" must be true or false`;
  if (o.instances !== undefined && !(Array.isArray(o.instances) && o.instances.every((x) => typeof x === "string")))
    return '"instances" must be a list of strings';
  if (o.hold !== undefined && o.hold !== "standby" && o.hold !== "switchover")
    return '"hold" must be "standby" or "switchover"';
  if (o.action !== undefined && !["drain", "enable", "weight"].includes(o.action as string))
    return '"action" must be "drain", "enable" or "weight"';
  // IPVS weights are a signed 32-bit field; keepalived's weight keyword takes 0..65535
  if (
    o.weight !== undefined &&
    !(Number.isInteger(o.weight) && (o.weight as number) >= 0 && (o.weight as number) <= 65535)
  )
    return '"weight" must be an integer 0..65535';
  if (typeof o.reason === "string" && o.reason.length > 1000) return '"reason" is longer than 1000 characters';
  return undefined;
}

/** What the daemon writes: a reply to the oldest request, or an event (after subscribe). */
export type ServerLine = { event: Event } | { reply: Reply };

type FieldType = "string" | "number" | "boolean" | "string[]";
/** each event's fields and their types; a trailing "?" marks an optional one */
const EVENT_FIELDS: Record<Event["event"], Record<string, `${FieldType}${"" | "?"}`>> = {
  transition: {
    instance: "string",
    from: "string",
    to: "string",
    reason: "string",
    why: "string?",
    faults: "string[]?",
  },
  priority: { instance: "string", from: "number", to: "number" },
  track: { kind: "string", name: "string", ok: "boolean?", value: "number?", code: "number?", ms: "number?" },
  "rx-error": { instance: "string?", from: "string", code: "string" },
  notify: { kind: "string", name: "string", state: "string", priority: "number" },
  checker: {
    virtualServer: "string",
    realServer: "string",
    type: "string",
    up: "boolean",
    line: "string",
    ms: "number?",
  },
  "real-server": {
    virtualServer: "string",
    realServer: "string",
    up: "boolean",
    liveWeight: "number?",
    stopping: "boolean?",
  },
  quorum: { virtualServer: "string", up: "boolean", aliveWeight: "number", stopping: "boolean?" },
  reload: { ok: "boolean", applied: "boolean", errors: "string[]" },
  bfd: { name: "string", from: "string", to: "string", diag: "string", remoteDiag: "string" },
  operation: { op: "string", target: "string", by: "string", reason: "string?", line: "string" },
  observed: {
    instance: "string",
    kind: "string",
    from: "string",
    reason: "string?",
    line: "string",
    count: "number?",
  },
};

/** EVENT_FIELDS as lists, read once: a TUI parses hundreds of events a second (issue 20). */
const EVENT_CHECKS = new Map(
  Object.entries(EVENT_FIELDS).map(([kind, fields]) => [
    kind,
    Object.entries(fields).map(([name, t]) => ({ name, type: t.replace("?", ""), optional: t.endsWith("?") })),
  ]),
);

/**
 * One line from the daemon (the client's side of the protocol); never throws (DESIGN.md
 * rule 3). The TUI reads event fields without checking them, so an event is only passed on
 * when every field it needs has its type: `unknown-event` (a newer daemon's kind, or a
 * malformed one) is for the reader to skip; `bad-reply` answers the oldest request.
 */
export function parseServerLine(line: string): Parsed<ServerLine> {
  const fail = (code: string, message: string): Parsed<ServerLine> => ({ ok: false, error: { code, message } });
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return fail("bad-json", `not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return fail("bad-reply", "a reply is a JSON object");
  const o = v as Record<string, unknown>;
  if ("event" in o) {
    const fields = typeof o.event === "string" ? EVENT_CHECKS.get(o.event) : undefined;
    if (!fields) return fail("unknown-event", `unknown event ${JSON.stringify(o.event)}`);
    if (typeof o.at !== "number") return fail("unknown-event", `${o.event}: "at" is not a number`);
    // the parsed object is ours alone: checked and trimmed in place
    const e = o;
    for (const { name, type, optional } of fields) {
      // an optional field may be null (JSON writes a NaN measurement so): then it is absent
      if (optional && (e[name] === undefined || e[name] === null)) {
        delete e[name];
        continue;
      }
      const value = e[name];
      const good =
        type === "string[]" ? Array.isArray(value) && value.every((x) => typeof x === "string") : typeof value === type;
      if (!good) return fail("unknown-event", `${o.event}: "${name}" is not a ${type}`);
    }
    return { ok: true, value: { event: e as unknown as Event } };
  }
  if (o.ok === true) return { ok: true, value: { reply: { id: o.id, ok: true, result: o.result } } };
  const err = o.error as Record<string, unknown> | null | undefined;
  if (o.ok === false && typeof err?.code === "string" && typeof err.message === "string")
    return { ok: true, value: { reply: { id: o.id, ok: false, error: { code: err.code, message: err.message } } } };
  return fail("bad-reply", 'a reply has "ok": true, or "ok": false and an "error" with "code" and "message"');
}

const isStr = (x: unknown): x is string => typeof x === "string";

/**
 * An `explain` reply's result (the client's side); never throws (DESIGN.md rule 3). A
 * daemon that answers something else gets `bad-explain` naming the first wrong field.
 */
export function parseExplanations(result: unknown): Parsed<Explanation[]> {
  const fail = (message: string): Parsed<Explanation[]> => ({ ok: false, error: { code: "bad-explain", message } });
  if (!Array.isArray(result)) return fail("the result is not a list");
  const out: Explanation[] = [];
  for (const [i, x] of result.entries()) {
    if (typeof x !== "object" || x === null) return fail(`[${i}] is not an object`);
    const o = x as Record<string, unknown>;
    for (const f of ["instance", "state", "sentence"] as const)
      if (!isStr(o[f])) return fail(`[${i}].${f} is not a string`);
    if (o.since !== undefined && typeof o.since !== "number") return fail(`[${i}].since is not a number`);
    if (!Array.isArray(o.wouldChange) || !o.wouldChange.every(isStr))
      return fail(`[${i}].wouldChange is not a list of strings`);
    if (!Array.isArray(o.decisions)) return fail(`[${i}].decisions is not a list`);
    if (o.seen !== undefined && (!Array.isArray(o.seen) || !o.seen.every(isStr)))
      return fail(`[${i}].seen is not a list of strings`);
    const decisions: ExplainedDecision[] = [];
    for (const [j, d] of o.decisions.entries()) {
      const r = (typeof d === "object" && d !== null ? d : {}) as Record<string, unknown>;
      const bad = ["from", "to", "reason", "rule", "words"].find((f) => !isStr(r[f]));
      if (typeof r.at !== "number" || bad !== undefined)
        return fail(`[${i}].decisions[${j}].${bad ?? "at"} is missing or of the wrong type`);
      decisions.push({
        at: r.at,
        from: r.from as string,
        to: r.to as string,
        reason: r.reason as string,
        rule: r.rule as string,
        words: r.words as string,
      });
    }
    const e: Explanation = {
      instance: o.instance as string,
      state: o.state as string,
      sentence: o.sentence as string,
      wouldChange: o.wouldChange as string[],
      decisions,
    };
    if (typeof o.since === "number") e.since = o.since;
    if (Array.isArray(o.seen)) e.seen = o.seen as string[];
    out.push(e);
  }
  return { ok: true, value: out };
}
