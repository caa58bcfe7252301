/**
 * The health-check runtime (keepalived's checker child): one timer per checker driving
 * its probe (src/check/*) through keepalived's epilog (src/check/schedule.ts), the pool
 * and quorum logic (src/lvs/pool.ts), and the IPVS table made to match after every
 * change (src/lvs/diff.ts → native-bindings/ipvs). FILE_CHECK follows track_file values;
 * ha_suspend pauses a virtual server's checkers while its address is not on this host.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { createProbe } from "../check";
import type { Probe, ProbeResult, ProbeTarget } from "../check/probe";
import { formatTarget } from "../check/probe";
import { CheckerTimer, flavourOf } from "../check/schedule";
import { expandSmtpHosts } from "../check/smtp";
import type { Checker, FileCheck, HttpCheck } from "../config/lvs/model";
import { effectiveSchedule } from "../config/lvs/model";
import type { KeelConfig } from "../config/model";
import type { CheckerStatus, Event, LvsCounters, VirtualServerStatus } from "../control/protocol";
import { type IpvsOp, applyOps, diffTables } from "../lvs/diff";
import { IPVS_WEIGHT_FAULT, LvsPool, type RsState, type VsState, realWeight } from "../lvs/pool";
import { destOf } from "../lvs/services";
import { type ServiceEntry, destId, serviceId } from "../lvs/table";
import { runScript } from "./exec";
import type { IpvsPort } from "./ipvs-port";
import { LvsNotifier } from "./lvs-notify";

interface Slot {
  v: number;
  r: number;
  ck: Checker;
  /** reload identity: vs + rs + checker type and position */
  key: string;
  who: string;
  timer?: CheckerTimer;
  /** HTTP: one probe per URL (keepalived checks one URL per attempt) */
  probes: Probe[];
  target: ProbeTarget;
  handle?: ReturnType<typeof setTimeout>;
  abort?: AbortController;
  enabled: boolean;
  last?: { at: number; ms: number; result: string };
  /** FILE_CHECK: its current share of the weight and whether it counts as failed */
  file?: { contrib: number; failed: boolean; weight: number; reverse: boolean };
  /** MISC_CHECK misc_dynamic: the weight it set (keepalived cur_weight) */
  curWeight: number;
  lastExit?: number;
}

export interface CheckerDriverOptions {
  config: KeelConfig;
  log: Logger;
  /** undefined: IPVS is not available; everything but the kernel table still runs */
  ipvs?: IpvsPort;
  dontReleaseIpvs?: boolean;
  onEvent?: (e: Event) => void;
  /** addresses on this host (for ha_suspend); undefined: assume present */
  hasAddress?: (ip: string) => boolean;
  random?: () => number;
}

export class CheckerDriver {
  pool: LvsPool;
  private slots: Slot[] = [];
  private applied: ServiceEntry[] = [];
  private owned = new Set<string>();
  private readonly notifier: LvsNotifier;
  private config: KeelConfig;
  private stopped = false;
  private counters = new Map<string, LvsCounters>();

  constructor(private readonly o: CheckerDriverOptions) {
    this.config = o.config;
    this.notifier = new LvsNotifier(o.config, o.log);
    this.pool = new LvsPool(o.config);
  }

  start(): void {
    const g = this.config.globalDefs;
    this.notifier.start();
    if (this.o.ipvs) {
      try {
        if (g.lvsFlush) {
          this.o.ipvs.flush();
          this.o.log.info("Flushing LVS configuration");
        }
        this.applied = this.o.ipvs.read();
        this.weights = undefined;
      } catch (e) {
        this.o.log.error(`IPVS: cannot read the table: ${(e as Error).message}`);
      }
    }
    this.build(undefined);
    this.pool.init();
    this.sync(true);
    for (const s of this.slots) this.arm(s, undefined);
  }

  /** SIGHUP: a new pool; unchanged checkers keep their state and their timers' rhythm. */
  reload(config: KeelConfig): void {
    const oldSlots = new Map(this.slots.map((s) => [s.key, s]));
    const oldOwned = new Set(this.owned);
    for (const s of this.slots) {
      if (s.handle) clearTimeout(s.handle);
      s.abort?.abort();
    }
    this.config = config;
    this.notifier.setConfig(config);
    this.pool = new LvsPool(config);
    this.build(oldSlots);
    this.pool.init();
    for (const id of oldOwned) this.owned.add(id);
    this.sync(true);
    this.owned = new Set(this.pool.desired().map((e) => serviceId(e.service)));
    for (const s of this.slots) this.arm(s, oldSlots.get(s.key));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.slots) {
      if (s.handle) clearTimeout(s.handle);
      s.abort?.abort();
      for (const p of s.probes) p.close?.();
    }
    this.pool.stop();
    this.drain();
    const ipvs = this.o.ipvs;
    if (ipvs && !this.o.dontReleaseIpvs) {
      if (this.config.globalDefs.lvsFlushOnStop === "full") {
        try {
          ipvs.flush();
        } catch (e) {
          this.o.log.error(`IPVS: flush failed: ${(e as Error).message}`);
        }
      } else this.applyOps(diffTables([], this.applied, this.owned));
    }
    this.notifier.stop();
  }

  /** The slots (checkers) of the current pool, with reload carry-over. */
  private build(old: Map<string, Slot> | undefined): void {
    this.slots = [];
    const cfg = this.config;
    cfg.virtualServers.forEach((vs, v) => {
      const vsName = this.pool.vss[v]?.display ?? "";
      vs.realServers.forEach((rs, r) => {
        // an SMTP_CHECK with host { } blocks is one checker per host, as keepalived expands it
        rs.checkers.flatMap((ck): Checker[] => (ck.type === "SMTP_CHECK" ? expandSmtpHosts(ck) : [ck])).forEach((ck, k) => {
          const key = `${vsName}|${rs.ip}:${rs.port ?? 0}|${k}:${ck.type}:${JSON.stringify(ck)}`;
          const proto = (vs.protocol ?? "TCP").toLowerCase();
          const co = "connectIp" in ck || ck.type === "TCP_CHECK" ? (ck as { connectIp?: string; connectPort?: number }) : {};
          const sched = effectiveSchedule(vs, rs, ck);
          const target: ProbeTarget = {
            ip: co.connectIp ?? rs.ip,
            port: co.connectPort ?? rs.port ?? (vs.service.kind === "address" ? vs.service.port : undefined),
            connectTimeoutMs: sched.connectTimeout * 1000,
          };
          const c = ck as { bindto?: string; bindPort?: number; bindIf?: string; fwmark?: number };
          if (c.bindto) target.bindto = c.bindto;
          if (c.bindPort !== undefined) target.bindPort = c.bindPort;
          if (c.bindIf) target.bindIf = c.bindIf;
          if (c.fwmark !== undefined) target.fwmark = c.fwmark;
          const slot: Slot = { v, r, ck, key, who: formatTarget(target.ip, target.port, proto), probes: [], target, enabled: true, curWeight: 0 };
          if (ck.type === "FILE_CHECK") {
            this.fileSlot(slot, ck);
          } else if (ck.type === "BFD_CHECK") {
            this.o.log.warn(`BFD_CHECK ${ck.name} for ${this.pool.vss[v]?.rss[r]?.name}: BFD is not supported by keel; the checker is ignored`);
            return;
          } else {
            const flavour = flavourOf(ck.type);
            const urls = ck.type === "HTTP_GET" || ck.type === "SSL_GET" ? ck.urls.length : undefined;
            slot.timer = new CheckerTimer(flavour, {
              retry: sched.retry,
              delayBeforeRetryMs: sched.delayBeforeRetry * 1000,
              delayLoopMs: sched.delayLoop * 1000,
              warmupMs: sched.warmup * 1000,
              alpha: sched.alpha,
              fastRecovery: ck.type === "HTTP_GET" || ck.type === "SSL_GET" ? ck.fastRecovery : false,
              urls,
            });
            const prev = old?.get(key);
            if (prev?.timer) {
              slot.timer.carryFrom(prev.timer);
              slot.last = prev.last;
              slot.curWeight = prev.curWeight;
              slot.lastExit = prev.lastExit;
            }
            const deps = { runScript: (s: import("../config/script").Script, ro: import("../check/run-script").RunOptions) => runScript(s, ro) };
            if (ck.type === "HTTP_GET" || ck.type === "SSL_GET") {
              const h = ck as HttpCheck;
              slot.probes = (h.urls.length ? h.urls : [undefined]).map((u) => createProbe(u ? { ...h, urls: [u] } : h, { vs, rs, ssl: cfg.ssl, deps }));
            } else slot.probes = [createProbe(ck, { vs, rs, ssl: cfg.ssl, deps })];
            if (!slot.timer.isUp) this.pool.startFailed(v, r);
            if (slot.curWeight) this.pool.startWeight(v, r, slot.curWeight);
          }
          this.slots.push(slot);
        });
      });
    });
  }

  /** FILE_CHECK: the track_file's value times the weight joins the real server's weight; a value with weight 0 fails it. */
  private fileSlot(slot: Slot, ck: FileCheck): void {
    const tf = this.config.trackFiles[ck.trackFile];
    const weight = ck.weight ?? tf?.weight ?? 1;
    slot.file = { contrib: 0, failed: false, weight, reverse: ck.weightReverse || (ck.weight === undefined && (tf?.weightReverse ?? false)) };
    const value = this.readTrackFile(ck.trackFile);
    const { contrib, failed } = this.fileEffect(slot, value);
    slot.file.contrib = contrib;
    slot.file.failed = failed;
    if (failed) this.pool.startFailed(slot.v, slot.r);
    if (contrib) this.pool.startWeight(slot.v, slot.r, contrib);
  }

  private fileEffect(slot: Slot, value: number): { contrib: number; failed: boolean } {
    const f = slot.file as NonNullable<Slot["file"]>;
    if (f.weight === 0) return { contrib: 0, failed: value !== 0 };
    const contrib = value * f.weight * (f.reverse ? -1 : 1);
    return { contrib: contrib <= IPVS_WEIGHT_FAULT ? 0 : contrib, failed: contrib <= IPVS_WEIGHT_FAULT };
  }

  private readTrackFile(name: string): number {
    const path = this.config.trackFiles[name]?.file;
    if (!path) return 0;
    try {
      const n = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
      return Number.isFinite(n) ? n : 0;
    } catch {
      return 0;
    }
  }

  /** A track_file changed (the runtime's ExternalTrackers watch the files). */
  trackFile(name: string, value: number): void {
    for (const s of this.slots) {
      if (s.ck.type !== "FILE_CHECK" || s.ck.trackFile !== name || !s.file) continue;
      const { contrib, failed } = this.fileEffect(s, value);
      const rs = this.rsOf(s);
      if (contrib !== s.file.contrib) {
        this.pool.setWeight(s.v, s.r, rs.effectiveWeight - s.file.contrib + contrib);
        s.file.contrib = contrib;
      }
      if (failed !== s.file.failed) {
        s.file.failed = failed;
        this.pool.checker(s.v, s.r, failed ? "down" : "up", false);
      }
      s.last = { at: Date.now(), ms: 0, result: `value ${value}` };
    }
    this.sync();
  }

  /** ha_suspend: the address of a virtual server appeared or went away. */
  addressChanged(): void {
    for (const s of this.slots) {
      const vs = this.pool.vss[s.v] as VsState;
      const enabled = this.vsActive(vs);
      if (enabled !== s.enabled) {
        this.o.log.info(`${enabled ? "Activat" : "Suspend"}ing healthchecker for service ${this.rsOf(s).name} for VS ${vs.name}`);
        s.enabled = enabled;
      }
    }
  }

  private vsActive(vs: VsState): boolean {
    if (!vs.vs.haSuspend || !this.o.hasAddress) return true;
    return vs.keys.some((k) => k.address === undefined || this.o.hasAddress?.(k.address));
  }

  private rsOf(s: Slot): RsState {
    return (this.pool.vss[s.v] as VsState).rss[s.r] as RsState;
  }

  private arm(s: Slot, prev: Slot | undefined): void {
    if (!s.timer || this.stopped) return;
    const vs = this.pool.vss[s.v] as VsState;
    s.enabled = this.vsActive(vs);
    if (!prev) this.o.log.info(`${s.enabled ? "A" : "Dea"}ctivating healthchecker for service ${this.rsOf(s).name} for VS ${vs.name}`);
    const delay = prev?.timer ? Math.min(s.timer.t.delayLoopMs, 1000) : s.timer.startDelay((this.o.random ?? Math.random)());
    s.handle = setTimeout(() => void this.attempt(s), delay);
  }

  private async attempt(s: Slot): Promise<void> {
    const timer = s.timer as CheckerTimer;
    if (this.stopped) return;
    if (!s.enabled) {
      // suspended (ha_suspend): keepalived re-registers the thread without checking
      s.handle = setTimeout(() => void this.attempt(s), timer.t.delayLoopMs);
      return;
    }
    const url = timer.currentUrl;
    const probe = s.probes[Math.min(url, s.probes.length - 1)] as Probe;
    s.abort = new AbortController();
    const started = performance.now();
    let res: ProbeResult;
    try {
      res = await probe.run({ target: s.target, signal: s.abort.signal, retry: timer.retryIt > 0 });
    } catch (e) {
      // probes never throw by contract; a bug must not kill the checker
      res = { ok: false, reason: `${s.ck.type} internal error: ${(e as Error).message}` };
    }
    if (this.stopped || s.abort.signal.aborted) return;
    const ms = performance.now() - started;
    s.abort = undefined;
    this.finish(s, probe, res, ms);
    const o = timer.result(res.ok, s.ck.type !== "FILE_CHECK" && ((s.ck as { logAllFailures?: boolean }).logAllFailures ?? this.config.globalDefs.checkerLogAllFailures));
    this.o.onEvent?.({ event: "checker", at: Date.now(), virtualServer: (this.pool.vss[s.v] as VsState).display, realServer: this.rsOf(s).display, type: s.ck.type, up: timer.isUp, line: res.ok ? "ok" : res.reason });
    const rs = this.rsOf(s);
    const vs = this.pool.vss[s.v] as VsState;
    const wasAlive = rs.alive;
    for (const l of o.lines) {
      if (l === "up") this.o.log.info(probe.upLine(s.who));
      else if (l === "down") this.o.log.info(probe.downLine(s.who, o.retries, res));
      else if (!res.ok) this.o.log.info(s.ck.type === "SMTP_CHECK" && !res.reason.startsWith("SMTP_CHECK") ? `SMTP_CHECK ${res.reason}` : res.reason);
    }
    if (o.change === "down" && s.curWeight) {
      // check_misc.c: the final failure takes back the weight misc_dynamic gave
      this.pool.setWeight(s.v, s.r, rs.effectiveWeight - s.curWeight);
      s.curWeight = 0;
      s.lastExit = undefined;
    }
    this.pool.checker(s.v, s.r, o.change, o.firstNotify);
    if (o.change) this.notifier.checkerAlert(vs, rs, wasAlive, probe.alert(o.change === "up"));
    this.sync();
    const delay = o.fromStart ? Math.max(1, o.delay - ms) : o.delay;
    s.handle = setTimeout(() => void this.attempt(s), delay);
  }

  /** MISC_CHECK misc_dynamic: the exit status sets the weight (check_misc.c). */
  private finish(s: Slot, _probe: Probe, res: ProbeResult, ms: number): void {
    s.last = { at: Date.now(), ms, result: res.ok ? (res.detail ?? "ok") : res.reason };
    if (res.ok && res.weight !== undefined && res.weight !== s.lastExit) {
      const rs = this.rsOf(s);
      const next = rs.effectiveWeight - s.curWeight + (res.weight - rs.weight);
      s.curWeight = res.weight - rs.weight;
      s.lastExit = res.weight;
      this.pool.setWeight(s.v, s.r, next);
    }
  }

  /** Pool events out, the kernel table in line with the pool. */
  private sync(force = false): void {
    // every pool change that can move the table emits an event (a log line at least):
    // without one, the table is as it was, and 1,000 checks a second cost no diff
    if (!this.drain() && !force) return;
    const desired = this.pool.desired();
    for (const e of desired) this.owned.add(serviceId(e.service));
    if (this.o.ipvs) this.applyOps(diffTables(desired, this.applied, this.owned));
    else {
      this.applied = desired;
      this.weights = undefined;
    }
  }

  private drain(): boolean {
    const events = this.pool.poll();
    for (const e of events) {
      this.notifier.handle(e);
      if (e.kind === "rs-notify")
        this.o.onEvent?.({ event: "real-server", at: Date.now(), virtualServer: e.vs.display, realServer: e.rs.display, up: e.up, liveWeight: this.liveWeight(e.vs, e.rs) });
      else if (e.kind === "vs-notify") this.o.onEvent?.({ event: "quorum", at: Date.now(), virtualServer: e.vs.display, up: e.up, aliveWeight: this.pool.liveWeight(e.vs) });
    }
    return events.length > 0;
  }

  private applyOps(ops: IpvsOp[]): void {
    const ipvs = this.o.ipvs;
    if (!ipvs) return;
    // one batch (a sendmsg per 128 operations); what succeeded is folded into the believed
    // table once (not per op: that made a start with thousands of real servers quadratic)
    let done: IpvsOp[] = [];
    const outcomes = ipvs.apply(ops);
    let failed = false;
    ops.forEach((op, i) => {
      const e = outcomes[i];
      if (!e) done.push(op);
      else {
        failed = true;
        this.o.log.error(`IPVS: ${describeOp(op)}: ${e.message}`);
      }
    });
    if (failed) {
      // the kernel disagrees with what we believed: read it back and converge next time
      try {
        this.applied = ipvs.read();
        done = [];
      } catch {
        // keep the old belief plus what succeeded
      }
    }
    if (done.length) this.applied = applyOps(this.applied, done);
    this.weights = undefined;
  }

  /** live weights by serviceId, then destId: rebuilt after the table changes */
  private weights: Map<string, Map<string, number>> | undefined;

  private liveWeight(vs: VsState, rs: RsState): number | undefined {
    const key = vs.keys[0];
    if (!key) return undefined;
    this.weights ??= new Map(this.applied.map((e) => [serviceId(e.service), new Map(e.dests.map((d) => [destId(d), d.weight]))]));
    return this.weights.get(serviceId(key))?.get(destId(destOf(vs.vs, rs.rs, 0)));
  }

  /** Read IPVS's counters (the status snapshot calls this once a second). */
  refreshCounters(): void {
    if (!this.o.ipvs || this.stopped) return;
    try {
      this.counters = this.o.ipvs.counters();
    } catch {
      // a failed read keeps the last counters; table errors are reported by sync()
    }
  }

  /** The counters of a service (or one destination of it) summed over a group's services. */
  private sum(vs: VsState, dest?: string): LvsCounters | undefined {
    let total: LvsCounters | undefined;
    for (const k of vs.keys) {
      const c = this.counters.get(dest ? `${serviceId(k)}|${dest}` : serviceId(k));
      if (!c) continue;
      if (!total) total = { ...c };
      else for (const f of Object.keys(c) as (keyof LvsCounters)[]) total[f] = (total[f] ?? 0) + (c[f] ?? 0);
    }
    return total;
  }

  /** The control protocol's view of every virtual server. */
  status(): VirtualServerStatus[] {
    return this.pool.vss.map((vs, v) => ({
      name: vs.display,
      scheduler: vs.vs.lbAlgo,
      method: vs.vs.lvsMethod?.method ?? "NAT",
      quorum: vs.vs.quorum,
      hysteresis: vs.vs.hysteresis,
      aliveWeight: this.pool.liveWeight(vs),
      quorumUp: vs.quorumUp,
      sorryServer: vs.sorry?.display,
      sorryActive: vs.sorry?.alive ?? false,
      suspended: !this.vsActive(vs),
      counters: this.sum(vs),
      realServers: vs.rss.map((rs, r) => ({
        address: rs.display,
        up: rs.alive,
        weight: realWeight(rs.effectiveWeight),
        liveWeight: this.liveWeight(vs, rs),
        counters: this.sum(vs, destId(destOf(vs.vs, rs.rs, 0))),
        checkers: this.slots
          .filter((s) => s.v === v && s.r === r)
          .map(
            (s): CheckerStatus => ({
              type: s.ck.type,
              up: s.timer ? s.timer.isUp : !s.file?.failed,
              lastCheck: s.last?.at,
              latencyMs: s.last ? Math.round(s.last.ms * 10) / 10 : undefined,
              lastResult: s.last?.result,
              retries: s.timer?.retryIt ?? 0,
            }),
          ),
      })),
    }));
  }

  /** The table keel wants now (what `ipvsadm -Ln` should show). */
  table(): ServiceEntry[] {
    return this.applied;
  }
}

function describeOp(op: IpvsOp): string {
  const svc = "service" in op ? op.service : op.key;
  const s = svc.fwmark !== undefined ? `fwmark ${svc.fwmark}` : `${svc.protocol} ${svc.address}:${svc.port}`;
  switch (op.op) {
    case "add-service":
    case "edit-service":
    case "del-service":
      return `${op.op.replace("-", " ")} ${s}`;
    default:
      return `${op.op.replace("-", " ")} ${op.dest.address}:${op.dest.port} weight ${op.dest.weight} on ${s}`;
  }
}
