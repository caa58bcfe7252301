/**
 * Operations through the control socket (README "Operations"): `switchover`,
 * `maintenance` and `rs`; and SNMP sets (src/snmp/write-set.ts), by "snmp". Each checks its request, acts (the engine's holds through the
 * VRRP driver, rs overrides through the checker process), and becomes one `operation`
 * record: logged, sent as an event, kept (the last 20) for `status`, naming who asked
 * (SO_PEERCRED of the connection, peer.ts) and why (`reason`).
 *
 * Maintenance is written to its state file (maintenance-file.ts) before it is applied, so
 * a hold the operator was told about is one a restart keeps.
 */
import type { Logger } from "./log";
import type { SnmpWrite } from "../snmp/write-set";
import type { OperationStatus, Request, VirtualServerStatus } from "../control/protocol";
import type { Hold } from "../vrrp/cause";
import type { VrrpRouter } from "../vrrp/router";
import { type MaintenanceEntry, type MaintenanceState, loadMaintenance, saveMaintenance } from "./maintenance-file";
import type { Peer } from "./peer";
import { findRealServer, type RsRequest } from "./rs-names";
import type { VrrpDriver } from "./vrrp-driver";

const KEPT = 20;
/** who an SNMP set is by: the master agent hands keel no manager's address or community */
const SNMP: Peer = { text: "snmp" };

export type OpReply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

export interface OperationsOptions {
  stateFile: string;
  log: Logger;
  onEvent: (e: { event: "operation" } & OperationStatus) => void;
  /** the checker process's latest view, and a way to send it an rs request (undefined: no checker process) */
  checkers?: () => { virtualServers: VirtualServerStatus[]; send(r: RsRequest): void } | undefined;
}

export class Operations {
  private state: MaintenanceState = { instances: new Map() };
  private readonly done: OperationStatus[] = [];
  private driver?: VrrpDriver;

  constructor(private readonly o: OperationsOptions) {}

  /** Read the state file; the error (naming the file) when it cannot be used. */
  load(): string | undefined {
    const r = loadMaintenance(this.o.stateFile);
    if (!r.ok) return r.error;
    this.state = r.value;
    const names = [...(this.state.all ? ["all instances"] : []), ...this.state.instances.keys()];
    if (names.length > 0) this.o.log.info(`maintenance is on for ${names.join(", ")} (${this.o.stateFile})`);
    return undefined;
  }

  /** The driver is built (start): its instances get their maintenance holds before they start. */
  attach(driver: VrrpDriver): void {
    this.driver = driver;
    this.holdAll(driver.router);
  }

  /** A reload's new router, before it runs: instances it adds get their holds too. */
  holdAll(router: VrrpRouter): void {
    for (const name of router.instances.keys()) {
      const e = this.entryFor(name);
      if (e) router.handleCommand({ type: "hold", instance: name, hold: maintenanceHold(e), on: true }, 0);
    }
  }

  get records(): OperationStatus[] {
    return [...this.done];
  }

  operate(r: Request, who: Peer): OpReply {
    switch (r.cmd) {
      case "switchover":
        return this.switchover(r, who);
      case "maintenance":
        return this.maintenance(r, who);
      case "rs":
        return this.rs(r, who);
      default:
        return { ok: false, code: "bad-request", message: `${r.cmd} is not an operation` };
    }
  }

  private entryFor(name: string): MaintenanceEntry | undefined {
    return this.state.instances.get(name) ?? this.state.all;
  }

  /**
   * On the master: resign with priority 0 and hold off preempting until released. On a
   * backup there is nothing to hand over: refused, naming where the master is (a
   * keepalived user moves a VIP away from the node they type on, as `systemctl stop` does).
   */
  private switchover(r: Request, who: Peer): OpReply {
    const d = this.driver;
    if (!d) return { ok: false, code: "unsupported", message: "this server runs no VRRP engine" };
    if (!r.instance) return { ok: false, code: "bad-request", message: 'switchover needs "instance"' };
    const inst = d.router.instances.get(r.instance);
    if (!inst) return { ok: false, code: "not-found", message: `no instance ${r.instance}` };
    const hold: Hold = { kind: "switchover", by: who.text, ...(r.reason ? { reason: r.reason } : {}) };
    if (r.release) {
      if (!inst.isHeld("switchover") && !inst.isHeld("standby"))
        return { ok: false, code: "not-held", message: `${r.instance} has no switchover hold on this node` };
      d.hold(r.instance, hold, false);
      d.hold(r.instance, { kind: "standby" }, false);
      this.record("switchover-release", r.instance, who, r.reason, `(${r.instance}) switchover hold released`);
      return { ok: true, result: { instance: r.instance, state: inst.state } };
    }
    if (r.hold !== undefined) {
      // keel switchover --to another node: this backup is not the one chosen
      if (inst.state === "MASTER")
        return { ok: false, code: "is-master", message: `${r.instance} is MASTER on this node` };
      d.hold(r.instance, { ...hold, kind: r.hold }, true);
      if (r.hold === "switchover") d.hold(r.instance, { kind: "standby" }, false);
      const line =
        r.hold === "standby"
          ? `(${r.instance}) switchover to another node: standing by (held BACKUP)`
          : `(${r.instance}) switchover done elsewhere: not preempting until released`;
      this.record("switchover", r.instance, who, r.reason, line);
      return { ok: true, result: { instance: r.instance, state: inst.state } };
    }
    if (inst.state !== "MASTER") {
      const m = inst.masterAddress ? `; the master is ${inst.masterAddress}: run it there` : "";
      return {
        ok: false,
        code: "not-master",
        message: `${r.instance} is ${inst.state} on this node, so there is nothing to hand over${m}`,
      };
    }
    d.hold(r.instance, hold, true);
    this.record(
      "switchover",
      r.instance,
      who,
      r.reason,
      `(${r.instance}) switchover: resigned (priority 0 sent), holding BACKUP until released`,
    );
    return { ok: true, result: { instance: r.instance, state: inst.state } };
  }

  private maintenance(r: Request, who: Peer): OpReply {
    const d = this.driver;
    if (!d) return { ok: false, code: "unsupported", message: "this server runs no VRRP engine" };
    if (r.on === undefined) return { ok: false, code: "bad-request", message: 'maintenance needs "on": true or false' };
    const names = r.all ? [...d.router.instances.keys()] : (r.instances ?? (r.instance ? [r.instance] : []));
    if (!r.all && names.length === 0)
      return { ok: false, code: "bad-request", message: 'maintenance needs "instances" or "all"' };
    const unknown = names.filter((n) => !d.router.instances.has(n));
    if (unknown.length > 0) return { ok: false, code: "not-found", message: `no instance ${unknown.join(", ")}` };
    const next: MaintenanceState = { instances: new Map(this.state.instances) };
    if (this.state.all) next.all = this.state.all;
    const entry: MaintenanceEntry = { at: Date.now(), by: who.text, ...(r.reason ? { reason: r.reason } : {}) };
    if (r.on) {
      if (r.all) next.all = entry;
      else for (const n of names) next.instances.set(n, entry);
    } else if (r.all) {
      next.instances.clear();
      next.all = undefined;
    } else {
      for (const n of names) next.instances.delete(n);
      if (next.all) {
        // off for some while --all is on: the rest stay held, by name
        for (const n of d.router.instances.keys()) if (!names.includes(n)) next.instances.set(n, next.all);
        next.all = undefined;
      }
    }
    if (next.all === undefined) delete next.all;
    try {
      saveMaintenance(this.o.stateFile, next);
    } catch (e) {
      return { ok: false, code: "state-file", message: (e as Error).message };
    }
    this.state = next;
    for (const n of d.router.instances.keys()) {
      const e = this.entryFor(n);
      const held = d.router.instances.get(n)?.isHeld("maintenance") ?? false;
      if (e && !held) d.hold(n, maintenanceHold(e), true);
      else if (!e && held) d.hold(n, { kind: "maintenance" }, false);
    }
    const target = r.all ? "all" : names.join(",");
    const line = r.on
      ? `maintenance on for ${r.all ? "all instances" : names.join(", ")}: held BACKUP`
      : `maintenance off for ${r.all ? "all instances" : names.join(", ")}`;
    this.record(r.on ? "maintenance-on" : "maintenance-off", target, who, r.reason, line);
    return { ok: true, result: { instances: names, on: r.on } };
  }

  private rs(r: Request, who: Peer): OpReply {
    const link = this.o.checkers?.();
    if (!link) return { ok: false, code: "unsupported", message: "no checker process runs (no virtual_server)" };
    if (!r.action || !r.virtualServer || !r.realServer)
      return { ok: false, code: "bad-request", message: 'rs needs "action", "virtualServer" and "realServer"' };
    if (r.action === "weight" && r.weight === undefined)
      return { ok: false, code: "bad-request", message: 'rs weight needs "weight"' };
    const found = findRealServer(link.virtualServers, r.virtualServer, r.realServer);
    if (!found.ok) return { ok: false, code: "not-found", message: found.error };
    const { vs, rs } = found.value;
    const req: RsRequest = { action: r.action, virtualServer: vs, realServer: rs, by: who.text };
    if (r.weight !== undefined) req.weight = r.weight;
    if (r.reason) req.reason = r.reason;
    link.send(req);
    const what = r.action === "weight" ? `weight ${r.weight}` : r.action === "drain" ? "drained (weight 0)" : "enabled";
    this.record(`rs-${r.action}`, `${vs} ${rs}`, who, r.reason, `real server ${rs} of ${vs}: ${what}`);
    return { ok: true, result: { virtualServer: vs, realServer: rs, action: r.action } };
  }

  /**
   * An SNMP set's CommitSet or UndoSet: a VRRP write reaches the engine (keepalived logs
   * "base priority changed from %u to %u via SNMP." and "preemption enabled with SNMP"), a
   * realServerWeight goes the way of `keel rs weight`. The reason when it cannot be made.
   */
  snmpWrite(w: SnmpWrite): string | undefined {
    if (w.kind === "rs-weight") {
      const r: Request = {
        cmd: "rs",
        action: w.weight === null ? "enable" : "weight",
        virtualServer: w.virtualServer,
        realServer: w.realServer,
      };
      if (w.weight !== null) r.weight = w.weight;
      const reply = this.rs(r, SNMP);
      return reply.ok ? undefined : reply.message;
    }
    const d = this.driver;
    const inst = d?.router.instances.get(w.instance);
    if (!d || !inst) return `no instance ${w.instance}`;
    if (w.kind === "vrrp-priority") {
      const from = inst.p.priority;
      d.set({ type: "base-priority", instance: w.instance, priority: w.priority });
      this.record(
        "base-priority",
        w.instance,
        SNMP,
        undefined,
        `(${w.instance}) base priority changed from ${from} to ${w.priority} via SNMP`,
      );
    } else {
      d.set({ type: "preempt", instance: w.instance, on: w.preempt });
      this.record(
        "preempt",
        w.instance,
        SNMP,
        undefined,
        `(${w.instance}) preemption ${w.preempt ? "enabled" : "disabled"} with SNMP`,
      );
    }
    return undefined;
  }

  private record(op: OperationStatus["op"], target: string, who: Peer, reason: string | undefined, line: string): void {
    const rec: OperationStatus = { at: Date.now(), op, target, by: who.text, line };
    if (reason) rec.reason = reason;
    this.done.push(rec);
    if (this.done.length > KEPT) this.done.shift();
    this.o.log.info(
      { event: "operation", op, target, by: who.text, reason },
      `${line}, by ${who.text}${reason ? `: "${reason}"` : ""}`,
    );
    this.o.onEvent({ event: "operation", ...rec });
  }
}

function maintenanceHold(e: MaintenanceEntry): Hold {
  const h: Hold = { kind: "maintenance" };
  if (e.by !== undefined) h.by = e.by;
  if (e.reason !== undefined) h.reason = e.reason;
  return h;
}
