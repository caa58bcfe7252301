/**
 * keel's AgentX subagent (RFC 2741): the only part of src/snmp with I/O. It connects to
 * the master agent (snmpd) at keepalived's snmp_socket / -A address, opens a session,
 * registers each enabled MIB module's subtree (and its sysORTable row, as keepalived's
 * snmp_register_mib does), answers Get/GetNext/GetBulk from the modules' varbinds (built
 * once per request PDU), carries sets (RFC 2741 7.2.4: TestSet asks the modules' write
 * methods, CommitSet applies the writes through the daemon, UndoSet puts the old values
 * back, CleanupSet forgets the transaction; src/snmp/write-set.ts) and sends the modules'
 * notifications.
 *
 * It never blocks or throws into the daemon: a master agent that is not there, refuses a
 * registration or goes away is logged once and retried with backoff (keepalived's net-snmp
 * retries a lost master at every AgentX ping interval); a PDU it cannot read is dropped
 * and counted, as net-snmp does.
 */
import { Socket } from "node:net";
import type { Event } from "../control/protocol";
import {
  CloseReason,
  encodeAddAgentCaps,
  encodeClose,
  encodeNotify,
  encodeOpen,
  encodeRegister,
  encodeResponse,
  type Ids,
  type Pdu,
  PduType,
  ResError,
  type ResponseVarbind,
  answerBulk,
  answerGet,
  answerNext,
  decodePdu,
  pduLength,
} from "./agentx";
import { type MibModule, type SnmpSource, type Varbind, compareOids, formatOid } from "./mib";
import { type SnmpWrite, describeWrite, planSet } from "./write-set";

/** keepalived's (net-snmp's) default AgentX address. */
export const DEFAULT_AGENTX_SOCKET = "/var/agentx/master";
const AGENTX_PORT = 705;
/** snmpTrapOID.0 (SNMPv2-MIB) */
const SNMP_TRAP_OID: readonly number[] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/**
 * The events keepalived raises notifications for: state changes (KEEPALIVED-MIB's
 * instance and group, VRRP-MIB's newMaster, VRRPV3-MIB's), rejected adverts (VRRP-MIB's
 * authFailure), real servers and quorum (KEEPALIVED-MIB's checker part). The status is
 * not built for the others (a checker's every attempt is an event).
 */
const TRAP_EVENTS: ReadonlySet<string> = new Set(["transition", "rx-error", "real-server", "quorum"]);

export type AgentxAddress = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/**
 * net-snmp's transport syntax as keepalived takes it: `unix:/path`, a bare path,
 * `tcp:HOST[:PORT]`, `HOST:PORT` (TCP; port default 705). AgentX over UDP (`udp:...`,
 * which net-snmp accepts and keepalived's own comment says does not seem to work) is
 * refused: RFC 2741 8 defines AgentX over stream transports only.
 */
export function parseAgentxAddress(text: string): { ok: true; value: AgentxAddress } | { ok: false; error: string } {
  const t = text.trim();
  if (t.startsWith("/")) return { ok: true, value: { kind: "unix", path: t } };
  const m = /^([a-z0-9]+):(.*)$/i.exec(t);
  const domain = m ? (m[1] as string).toLowerCase() : "";
  if (domain === "unix") {
    const path = (m as RegExpExecArray)[2] as string;
    return path === "" ? { ok: false, error: "unix: needs a path" } : { ok: true, value: { kind: "unix", path } };
  }
  if (domain === "udp" || domain === "udp6")
    return { ok: false, error: `${t}: keel speaks AgentX over TCP or a unix socket only (RFC 2741 8), not UDP` };
  const hostPort = domain === "tcp" || domain === "tcp6" ? ((m as RegExpExecArray)[2] as string) : t;
  const hp = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(hostPort);
  if (!hp) return { ok: false, error: `${t}: not unix:PATH, PATH, tcp:HOST[:PORT] or HOST:PORT` };
  const port = hp[3] === undefined ? AGENTX_PORT : Number(hp[3]);
  if (port < 1 || port > 65535) return { ok: false, error: `${t}: port ${port} out of range` };
  return { ok: true, value: { kind: "tcp", host: (hp[1] ?? hp[2]) as string, port } };
}

export interface AgentLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface AgentOptions {
  /** snmp_socket / -A (default /var/agentx/master) */
  socket?: string;
  modules: MibModule[];
  /** the modules whose notifications are sent (enable_traps) */
  trapping: MibModule[];
  source: () => SnmpSource;
  log: AgentLog;
  /**
   * Make one write (the daemon's operations path); the reason when it cannot. Absent: the
   * subagent is read-only and every set is notWritable.
   */
  apply?: (write: SnmpWrite) => string | undefined;
  /** first and longest wait before connecting again, ms */
  retry?: { firstMs: number; maxMs: number };
}

type Phase = "idle" | "connecting" | "opening" | "open" | "stopped";

export class SnmpAgent {
  private socket: Socket | undefined;
  private phase: Phase = "idle";
  private sessionId = 0;
  private packetId = 0;
  private pending = new Map<number, (r: Pdu & { kind: "response" }) => void>();
  private inbox: Uint8Array = new Uint8Array(0);
  private retryMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** the failure last logged, so a master that stays away is logged once */
  private lastFailure: string | undefined;
  readonly counters = { requests: 0, badPdus: 0, notifications: 0, connects: 0, sets: 0 };
  /**
   * Sets between TestSet and CleanupSet, by transactionID (the master runs one set at a
   * time per session, but the ID, not the order, names it): the writes, their undos, and
   * how many were applied.
   */
  private readonly sets = new Map<number, { writes: { write: SnmpWrite; undo: SnmpWrite }[]; applied: number }>();
  /**
   * Notifications raised before the first session is open: keepalived connects to the
   * master agent before its instances start (a blocking connect), so the first
   * transitions' traps reach it; keel connects in the background and sends them once the
   * session is open. Dropped if that first attempt fails, as net-snmp drops traps it
   * cannot send.
   */
  private early: Varbind[][] | undefined = [];
  private readonly address: { ok: true; value: AgentxAddress } | { ok: false; error: string };

  constructor(private readonly o: AgentOptions) {
    this.retryMs = o.retry?.firstMs ?? 1000;
    this.address = parseAgentxAddress(o.socket ?? DEFAULT_AGENTX_SOCKET);
  }

  start(): void {
    if (!this.address.ok) {
      this.o.log.warn(`SNMP: snmp_socket ${this.address.error}; the SNMP subagent does not run`);
      this.phase = "stopped";
      return;
    }
    this.o.log.info("Starting SNMP subagent");
    this.connect();
  }

  /** Close the session (agentx-Close-PDU, reason shutdown) and the socket. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    if (this.phase === "open" && s) s.end(encodeClose(this.ids(), CloseReason.shutdown));
    else s?.destroy();
    this.socket = undefined;
    this.phase = "stopped";
  }

  get connected(): boolean {
    return this.phase === "open";
  }

  /** Send the notifications an event raises in the trapping modules (dropped while not connected, as net-snmp does). */
  notify(event: Event): void {
    if (this.o.trapping.length === 0 || !TRAP_EVENTS.has(event.event)) return;
    if (this.phase !== "open" && (this.early === undefined || this.phase === "stopped")) return;
    const source = this.o.source();
    for (const m of this.o.trapping) {
      for (const n of m.notifications?.(event, source) ?? []) {
        const vbs: Varbind[] = [{ oid: SNMP_TRAP_OID, type: "ObjectIdentifier", value: n.trapOid }, ...n.varbinds];
        if (this.phase === "open") this.sendNotify(vbs);
        else if (this.early && this.early.length < 64) this.early.push(vbs);
      }
    }
  }

  private sendNotify(vbs: Varbind[]): void {
    this.send(encodeNotify(this.ids(), vbs));
    this.counters.notifications++;
  }

  private ids(): Ids {
    this.packetId = (this.packetId + 1) >>> 0;
    return { sessionId: this.sessionId, transactionId: 0, packetId: this.packetId };
  }

  private describe(): string {
    const a = this.address as { ok: true; value: AgentxAddress };
    return a.value.kind === "unix" ? `unix:${a.value.path}` : `tcp:${a.value.host}:${a.value.port}`;
  }

  private connect(): void {
    const a = (this.address as { ok: true; value: AgentxAddress }).value;
    this.phase = "connecting";
    this.inbox = new Uint8Array(0);
    // listeners before connect(): Bun reports a refused unix connect (ENOENT) from inside
    // the call, and an 'error' with no listener yet would be thrown at the daemon
    const s = new Socket();
    this.socket = s;
    s.on("connect", () => this.onConnect(s));
    s.on("data", (d: Buffer) => this.onData(s, d));
    s.on("error", (e: Error) => this.lost(s, e.message));
    s.on("close", () => this.lost(s, "connection closed"));
    try {
      if (a.kind === "unix") s.connect({ path: a.path });
      else s.connect({ host: a.host, port: a.port });
    } catch (e) {
      this.lost(s, e instanceof Error ? e.message : String(e));
    }
  }

  private onConnect(s: Socket): void {
    if (s !== this.socket) return;
    this.phase = "opening";
    this.sessionId = 0;
    this.request(encodeOpen(this.ids(), "keel"), (r) => {
      if (r.error !== ResError.noError) return this.lost(s, `the master agent refused the session (error ${r.error})`);
      this.sessionId = r.sessionId;
      this.phase = "open";
      this.counters.connects++;
      this.retryMs = this.o.retry?.firstMs ?? 1000;
      if (this.lastFailure !== undefined) this.o.log.info(`SNMP: connected to the master agent at ${this.describe()}`);
      this.lastFailure = undefined;
      for (const m of this.o.modules) this.register(m);
      for (const vbs of this.early ?? []) this.sendNotify(vbs);
      this.early = undefined;
    });
  }

  private register(m: MibModule): void {
    this.request(encodeRegister(this.ids(), m.root), (r) => {
      if (r.error !== ResError.noError) {
        // keepalived: "Unable to register %s MIB" (core/snmp.c snmp_register_mib)
        this.o.log.warn(`Unable to register ${m.name} MIB (${formatOid(m.root)}): AgentX error ${r.error}`);
        return;
      }
      const descr = m.description ?? `The MIB module for ${m.name}`;
      this.request(encodeAddAgentCaps(this.ids(), m.root, descr), () => {});
    });
  }

  private request(bytes: Uint8Array, onResponse: (r: Pdu & { kind: "response" }) => void): void {
    const id = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12);
    this.pending.set(id, onResponse);
    this.send(bytes);
  }

  private send(bytes: Uint8Array): void {
    this.socket?.write(bytes);
  }

  private lost(s: Socket, why: string): void {
    if (s !== this.socket || this.phase === "stopped") return;
    s.destroy();
    this.socket = undefined;
    this.pending.clear();
    this.sets.clear();
    this.early = undefined;
    const was = this.phase;
    this.phase = "idle";
    const msg =
      was === "open"
        ? `SNMP: lost the master agent at ${this.describe()} (${why}); connecting again`
        : `SNMP: cannot reach the master agent at ${this.describe()} (${why}); retrying`;
    if (this.lastFailure === undefined || was === "open") this.o.log.warn(msg);
    this.lastFailure = why;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.phase === "idle") this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.o.retry?.maxMs ?? 60_000);
  }

  private onData(s: Socket, d: Buffer): void {
    if (s !== this.socket) return;
    const merged = new Uint8Array(this.inbox.length + d.length);
    merged.set(this.inbox);
    merged.set(d, this.inbox.length);
    let buf = merged;
    for (let len = pduLength(buf); len !== undefined && buf.length >= len; len = pduLength(buf)) {
      this.handle(buf.subarray(0, len));
      if (s !== this.socket) return;
      buf = buf.subarray(len);
    }
    this.inbox = buf.slice();
  }

  private handle(bytes: Uint8Array): void {
    const d = decodePdu(bytes);
    if (!d.ok) {
      this.counters.badPdus++;
      // a request whose header was read is answered parseError (7.1.1), so the master
      // does not wait out its timeout; a response or a PDU of another version is dropped
      const h = d.error.header;
      if (h && h.type !== PduType.Response && h.type !== PduType.CleanupSet)
        this.send(encodeResponse(h, { error: ResError.parseError }));
      return;
    }
    const pdu = d.value;
    const ids: Ids = { sessionId: pdu.sessionId, transactionId: pdu.transactionId, packetId: pdu.packetId };
    switch (pdu.kind) {
      case "response": {
        const cb = this.pending.get(pdu.packetId);
        this.pending.delete(pdu.packetId);
        cb?.(pdu);
        return;
      }
      case "get":
      case "getnext":
      case "getbulk":
        this.counters.requests++;
        this.send(encodeResponse(ids, this.answer(pdu)));
        return;
      case "close":
        if (this.socket) this.lost(this.socket, `the master agent closed the session (reason ${pdu.reason})`);
        return;
      case "testset":
        this.send(encodeResponse(ids, this.testSet(pdu)));
        return;
      case "commitset":
        this.send(encodeResponse(ids, this.commitSet(pdu.transactionId)));
        return;
      case "undoset":
        this.send(encodeResponse(ids, this.undoSet(pdu.transactionId)));
        return;
      case "cleanupset":
        // 7.2.4.4: no response
        this.sets.delete(pdu.transactionId);
        return;
      case "other":
        return;
    }
  }

  /** 7.2.4.1: every varbind's write method says yes, or the first error and its index. */
  private testSet(pdu: Extract<Pdu, { kind: "testset" }>): { error?: number; index?: number } {
    this.counters.sets++;
    this.sets.delete(pdu.transactionId);
    if (!this.o.apply) return { error: ResError.notWritable, index: 1 };
    let plan: ReturnType<typeof planSet>;
    try {
      plan = planSet(this.o.modules, pdu.varbinds, this.o.source());
    } catch (e) {
      this.o.log.warn(`SNMP: testing a set failed: ${e instanceof Error ? e.message : String(e)}`);
      return { error: ResError.processingError, index: 0 };
    }
    if (!plan.ok) return { error: plan.error, index: plan.index };
    this.sets.set(pdu.transactionId, { writes: plan.writes, applied: 0 });
    return {};
  }

  /** 7.2.4.2: the writes in order; the first that fails is commitFailed (the master then undoes). */
  private commitSet(transactionId: number): { error?: number; index?: number } {
    const set = this.sets.get(transactionId);
    if (!set) return { error: ResError.commitFailed, index: 0 };
    for (const [i, w] of set.writes.entries()) {
      const why = this.applyOne(w.write);
      if (why !== undefined) {
        this.o.log.warn(`SNMP: set ${describeWrite(w.write)} failed: ${why}`);
        return { error: ResError.commitFailed, index: i + 1 };
      }
      set.applied = i + 1;
    }
    return {};
  }

  /** 7.2.4.3: the applied writes undone, last first. */
  private undoSet(transactionId: number): { error?: number; index?: number } {
    const set = this.sets.get(transactionId);
    if (!set) return {};
    let failed = 0;
    for (let i = set.applied - 1; i >= 0; i--) {
      const w = set.writes[i] as { write: SnmpWrite; undo: SnmpWrite };
      const why = this.applyOne(w.undo);
      if (why !== undefined) {
        this.o.log.warn(`SNMP: undoing ${describeWrite(w.write)} failed: ${why}`);
        failed = i + 1;
      }
    }
    set.applied = 0;
    return failed ? { error: ResError.undoFailed, index: failed } : {};
  }

  private applyOne(w: SnmpWrite): string | undefined {
    try {
      return this.o.apply ? this.o.apply(w) : "the subagent is read-only";
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private answer(pdu: Extract<Pdu, { kind: "get" | "getnext" | "getbulk" }>): {
    error?: number;
    varbinds: ResponseVarbind[];
  } {
    let list: Varbind[];
    try {
      list = this.varbinds();
    } catch (e) {
      this.o.log.warn(`SNMP: reading the MIB failed: ${e instanceof Error ? e.message : String(e)}`);
      return { error: ResError.processingError, varbinds: [] };
    }
    if (pdu.kind === "getbulk") return { varbinds: answerBulk(list, pdu.nonRepeaters, pdu.maxRepetitions, pdu.ranges) };
    const one = pdu.kind === "get" ? answerGet : answerNext;
    return { varbinds: pdu.ranges.map((r) => one(list, r)) };
  }

  /** Every module's varbinds for one request, in OID order (the modules' subtrees do not overlap). */
  private varbinds(): Varbind[] {
    const source = this.o.source();
    const modules = [...this.o.modules].sort((a, b) => compareOids(a.root, b.root));
    return modules.flatMap((m) => m.varbinds(source));
  }
}
