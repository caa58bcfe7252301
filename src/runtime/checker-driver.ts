/**
 * The health-check runtime (keepalived's checker child): the thin driver of the checker
 * engine (src/check/engine.ts, sans-I/O). It owns the one real timer (the engine's
 * pollTimeout), runs the probes the engine asks for (src/check/*, whose run() never
 * throws) and feeds each result back with `now`; it turns the engine's actions into log
 * lines, events, the pool and quorum logic (src/lvs/pool.ts) and the IPVS table, made to
 * match after every change (src/lvs/diff.ts → native-bindings/ipvs). FILE_CHECK follows
 * track_file values; ha_suspend pauses a virtual server's checkers while its address is
 * not on this host.
 */
import type { Logger } from "./log";
import { createProbe } from "../check";
import { type BfdCheckState, bfdCheckAlert, bfdCheckEvent, initialBfdCheck } from "../check/bfd";
import { type Action, CheckEngine, type CheckerSpec } from "../check/engine";
import type { Probe, ProbeContext, ProbeResult, ProbeTarget } from "../check/probe";
import { formatTarget } from "../check/probe";
import type { RunOptions } from "../check/run-script";
import { expandSmtpHosts } from "../check/smtp";
import type { Checker, ConnOpts, FileCheck, RealServer, VirtualServer } from "../config/lvs/model";
import { effectiveSchedule } from "../config/lvs/model";
import type { KeelConfig } from "../config/model";
import type { Script } from "../config/script";
import type { CheckerStatus, Event, LvsCounters, VirtualServerStatus } from "../control/protocol";
import { type IpvsOp, applyOps, diffTables } from "../lvs/diff";
import { IPVS_WEIGHT_FAULT, LvsPool, type RsState, type VsState, realWeight } from "../lvs/pool";
import { destOf } from "../lvs/services";
import { type ServiceEntry, destId, serviceId } from "../lvs/table";
import { runScript, scriptUserOptions } from "./exec";
import type { RsRequest } from "./rs-names";
import type { IpvsPort } from "./ipvs-port";
import { LvsNotifier } from "./lvs-notify";
// node:fs by require: an import would build its namespace and so node:stream (DESIGN.md rule 6)
const { readFileSync } = require("node:fs") as typeof import("node:fs");
import { type AutoFwmarks, assignAutoFwmarks } from "../lvs/auto-fwmark";
import type { NftPort } from "./firewall";
import type { KernelResult } from "./kernel";
import { NftIpvs } from "./nft-ipvs";
import { type NftIpvsSettings, nftIpvsElements, nftIpvsSettings } from "./nft-ipvs-plan";

interface Slot {
  v: number;
  r: number;
  ck: Checker;
  /** reload identity (the engine's checker id): vs + rs + checker type, position and config */
  key: string;
  who: string;
  /** HTTP: one probe per URL (keepalived checks one URL per attempt); FILE_CHECK: none */
  probes: Probe[];
  target: ProbeTarget;
  /** ha_suspend: logged on every change, as keepalived's update_checker_activity does */
  enabled: boolean;
  last?: { at: number; ms: number; result: string };
  /** FILE_CHECK: its current share of the weight and whether it counts as failed */
  file?: { contrib: number; failed: boolean; weight: number; reverse: boolean };
  /** BFD_CHECK: the checker's state as check_bfd.c keeps it (src/check/bfd.ts) */
  bfd?: { name: string; alpha: boolean; state: BfdCheckState };
}

/** An attempt in flight: its abort switch (the engine's abort-probe pulls it). */
interface Running {
  attempt: number;
  abort: AbortController;
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
  /** nf_tables for nftables_ipvs's marks (used only with `ipvs`) */
  nft?: () => KernelResult<NftPort>;
}

/**
 * A probe that has not answered this long after its own bound is presumed hung: the
 * engine fails the attempt and aborts it. The grace lets the probe's own timeout (and
 * its keepalived wording) win the race in every normal case.
 */
const WATCHDOG_GRACE_MS = 1000;
/** exec.ts: SIGKILL follows SIGTERM this long after misc_timeout */
const SCRIPT_KILL_MS = 2000;

export class CheckerDriver {
  pool: LvsPool;
  private slots: Slot[] = [];
  private byKey = new Map<string, Slot>();
  private running = new Map<string, Running>();
  private readonly engine: CheckEngine;
  private wake?: { at: number; handle: ReturnType<typeof setTimeout> };
  private applied: ServiceEntry[] = [];
  private owned = new Set<string>();
  private readonly notifier: LvsNotifier;
  private config: KeelConfig;
  private stopped = false;
  private counters = new Map<string, LvsCounters>();

  /** nftables_ipvs: the settings of the start (a reload cannot change the table), the marks, the tables */
  private readonly nftSettings?: NftIpvsSettings;
  private marks?: AutoFwmarks;
  private readonly nftIpvs?: NftIpvs;

  constructor(private readonly o: CheckerDriverOptions) {
    this.config = o.config;
    this.notifier = new LvsNotifier(o.config, o.log);
    this.nftSettings = nftIpvsSettings(o.config);
    if (this.nftSettings) {
      this.marks = assignAutoFwmarks(o.config, this.nftSettings.startFwmark);
      if (o.ipvs && o.nft) this.nftIpvs = new NftIpvs(this.nftSettings, o.nft);
    }
    this.pool = new LvsPool(o.config, this.marks?.marks);
    this.engine = new CheckEngine(o.random ?? Math.random);
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
    const specs = this.build();
    this.engine.reload(specs, performance.now());
    this.seedPool();
    this.pool.init(this.config.globalDefs.rsInitNotifies);
    this.syncMarks();
    this.sync(true);
    this.announce(new Set());
    this.pump();
  }

  /** SIGHUP: a new pool; unchanged checkers keep their state and their timers' rhythm. */
  reload(config: KeelConfig): void {
    const oldKeys = new Set(this.byKey.keys());
    const oldOwned = new Set(this.owned);
    this.config = config;
    this.notifier.setConfig(config);
    // keepalived's rs->reloaded: the same real server in the same virtual server
    const before = new Set(this.pool.vss.flatMap((vs) => vs.rss.map((rs) => `${vs.name}|${rs.name}`)));
    if (this.nftSettings) this.marks = assignAutoFwmarks(config, this.nftSettings.startFwmark, this.marks);
    this.pool = new LvsPool(config, this.marks?.marks);
    const specs = this.build();
    this.engine.reload(specs, performance.now());
    this.act(this.engine.pollActions());
    this.seedPool();
    this.pool.init(config.globalDefs.rsInitNotifies, (vs, rs) => before.has(`${vs.name}|${rs.name}`));
    for (const id of oldOwned) this.owned.add(id);
    this.syncMarks();
    this.sync(true);
    this.owned = new Set(this.pool.desired().map((e) => serviceId(e.service)));
    this.announce(oldKeys);
    this.pump();
  }

  stop(): void {
    if (this.stopped) return;
    this.engine.clear();
    this.act(this.engine.pollActions());
    this.stopped = true;
    if (this.wake) clearTimeout(this.wake.handle);
    this.wake = undefined;
    for (const s of this.slots) for (const p of s.probes) p.close?.();
    const ipvs = this.o.ipvs;
    // what clear_services does to IPVS decides what it notifies (no IPVS: the services go)
    const flush = this.config.globalDefs.lvsFlushOnStop;
    this.pool.stop(ipvs && this.o.dontReleaseIpvs ? "keep" : flush === "full" || flush === "vs" ? "flush" : "services");
    this.drain();
    if (ipvs && !this.o.dontReleaseIpvs) {
      if (this.config.globalDefs.lvsFlushOnStop === "full") {
        try {
          ipvs.flush();
        } catch (e) {
          this.o.log.error(`IPVS: flush failed: ${(e as Error).message}`);
        }
      } else this.applyOps(diffTables([], this.applied, this.owned));
      // clear_services: nft_ipvs_end once the services are gone
      const err = this.nftIpvs?.stop();
      if (err) this.o.log.error(`nftables_ipvs: cannot remove the tables: ${err.message}`);
    }
    this.notifier.stop();
  }

  /** nftables_ipvs: the maps hold this configuration's group ranges, before the fwmark services change. */
  private syncMarks(): void {
    if (!this.nftIpvs || !this.marks) return;
    const err = this.nftIpvs.sync(nftIpvsElements(this.config, this.marks));
    if (err) this.o.log.error(`nftables_ipvs: cannot set the fwmarks: ${err.message}`);
  }

  // ---------------------------------------------------------------------------
  // the slots and the engine's checkers, from the configuration

  /** The slots of the current pool and the engine's view of those that probe. */
  private build(): CheckerSpec[] {
    // migrate_checkers: an unchanged BFD_CHECK keeps its state across a reload
    const bfdBefore = new Map(this.slots.flatMap((s) => (s.bfd ? [[s.key, s.bfd.state] as const] : [])));
    this.slots = [];
    this.byKey = new Map();
    const specs: CheckerSpec[] = [];
    this.config.virtualServers.forEach((vs, v) => {
      vs.realServers.forEach((rs, r) => {
        // an SMTP_CHECK with host { } blocks is one checker per host, as keepalived expands it
        const cks = rs.checkers.flatMap((ck): Checker[] => (ck.type === "SMTP_CHECK" ? expandSmtpHosts(ck) : [ck]));
        cks.forEach((ck, k) => {
          const slot = this.slot(vs, v, rs, r, ck, k);
          if (!slot) return;
          this.slots.push(slot);
          if (slot.bfd) this.bfdSlot(slot, bfdBefore.get(slot.key));
          if (slot.file || slot.bfd) return;
          this.byKey.set(slot.key, slot);
          specs.push(this.spec(slot, vs, rs));
        });
      });
    });
    return specs;
  }

  /** One checker's slot: its target, its probes (FILE_CHECK: its weight share; BFD_CHECK: its session's name). */
  private slot(vs: VirtualServer, v: number, rs: RealServer, r: number, ck: Checker, k: number): Slot | undefined {
    const vsName = this.pool.vss[v]?.display ?? "";
    let key = `${vsName}|${rs.ip}:${rs.port ?? 0}|${k}:${ck.type}:${JSON.stringify(ck)}`;
    // two identical virtual servers would share a key: the engine needs one per checker
    while (this.byKey.has(key)) key += "'";
    const target = targetOf(vs, rs, ck);
    const who = formatTarget(target.ip, target.port, (vs.protocol ?? "TCP").toLowerCase());
    const slot: Slot = { v, r, ck, key, who, probes: [], target, enabled: true };
    if (ck.type === "FILE_CHECK") this.fileSlot(slot, ck);
    else if (ck.type === "BFD_CHECK") {
      const alpha = effectiveSchedule(vs, rs, ck).alpha;
      slot.bfd = { name: ck.name, alpha, state: initialBfdCheck(alpha) };
    } else {
      // check_misc.c: a misc_path without `user` runs as the default script user (script_user)
      const user = scriptUserOptions(this.config.globalDefs);
      const deps = { runScript: (s: Script, ro: RunOptions) => runScript(s, { ...user, ...ro }) };
      const site = { vs, rs, ssl: this.config.ssl, deps };
      if (ck.type === "HTTP_GET" || ck.type === "SSL_GET") {
        const urls = ck.urls.length ? ck.urls.map((u) => ({ ...ck, urls: [u] })) : [ck];
        slot.probes = urls.map((u) => createProbe(u, site));
      } else slot.probes = [createProbe(ck, site)];
      slot.enabled = this.vsActive(this.vsOf(slot));
    }
    return slot;
  }

  /** The engine's data for a probing checker (its timing after inheritance, in ms). */
  private spec(s: Slot, vs: VirtualServer, rs: RealServer): CheckerSpec {
    const ck = s.ck;
    const sched = effectiveSchedule(vs, rs, ck);
    const http = ck.type === "HTTP_GET" || ck.type === "SSL_GET" ? ck : undefined;
    const own = ck.type === "FILE_CHECK" || ck.type === "BFD_CHECK" ? undefined : ck.logAllFailures;
    return {
      id: s.key,
      type: ck.type,
      timing: {
        retry: sched.retry,
        delayBeforeRetryMs: sched.delayBeforeRetry * 1000,
        delayLoopMs: sched.delayLoop * 1000,
        warmupMs: sched.warmup * 1000,
        alpha: sched.alpha,
        fastRecovery: http?.fastRecovery ?? false,
        urls: http?.urls.length,
      },
      logAllFailures: own ?? this.config.globalDefs.checkerLogAllFailures,
      enabled: s.enabled,
      baseWeight: this.rsOf(s).weight,
      watchdogMs: watchdogOf(ck, sched.connectTimeout * 1000, sched.delayLoop * 1000),
    };
  }

  /** Before init: a checker that starts down (alpha, or carried over) and misc_dynamic weights. */
  private seedPool(): void {
    for (const s of this.byKey.values()) {
      const st = this.engine.state(s.key);
      if (!st) continue;
      if (!st.up) this.pool.startFailed(s.v, s.r);
      if (st.curWeight) this.pool.startWeight(s.v, s.r, st.curWeight);
    }
  }

  /** check_api.c register_checkers_thread's line for each checker that is new. */
  private announce(old: Set<string>): void {
    for (const s of this.byKey.values()) {
      if (old.has(s.key)) continue;
      const what = `healthchecker for service ${this.rsOf(s).name} for VS ${this.vsOf(s).name}`;
      this.o.log.info(`${s.enabled ? "A" : "Dea"}ctivating ${what}`);
    }
  }

  /** FILE_CHECK: the track_file's value times the weight joins the real server's weight; a value with weight 0 fails it. */
  private fileSlot(slot: Slot, ck: FileCheck): void {
    const tf = this.config.trackFiles[ck.trackFile];
    const weight = ck.weight ?? tf?.weight ?? 1;
    const reverse = ck.weightReverse || (ck.weight === undefined && (tf?.weightReverse ?? false));
    const file = { contrib: 0, failed: false, weight, reverse };
    slot.file = file;
    const { contrib, failed } = fileEffect(file, this.readTrackFile(ck.trackFile));
    file.contrib = contrib;
    file.failed = failed;
    if (failed) this.pool.startFailed(slot.v, slot.r);
    if (contrib) this.pool.startWeight(slot.v, slot.r, contrib);
  }

  /** BFD_CHECK: the state carried over a reload, or the initial one; a down checker fails the real server. */
  private bfdSlot(slot: Slot, before: BfdCheckState | undefined): void {
    const b = slot.bfd as NonNullable<Slot["bfd"]>;
    if (before) b.state = before;
    if (!b.state.up) this.pool.startFailed(slot.v, slot.r);
  }

  /** A BFD session's state from the daemon (check_bfd.c bfd_check_handle_event), for every BFD_CHECK naming it. */
  bfdState(name: string, up: boolean): void {
    for (const s of this.slots) {
      if (s.bfd?.name !== name) continue;
      const step = bfdCheckEvent(s.bfd.state, up, s.bfd.alpha);
      s.bfd.state = step.next;
      if (!step.log) continue;
      const vs = this.vsOf(s);
      const rs = this.rsOf(s);
      const word = up ? "UP" : "DOWN";
      this.o.log.info(`BFD check of [${name}] RS(${rs.name}) is ${word}`);
      s.last = { at: Date.now(), ms: 0, result: `BFD ${name} ${up ? "Up" : "Down"}` };
      const [virtualServer, realServer] = [vs.display, rs.display];
      this.o.onEvent?.({
        event: "checker",
        at: Date.now(),
        virtualServer,
        realServer,
        type: "BFD_CHECK",
        up,
        line: s.last.result,
        ms: 0,
      });
      const wasAlive = rs.alive;
      this.pool.checker(s.v, s.r, step.change, step.firstNotify);
      if (step.change) this.notifier.checkerAlert(vs, rs, wasAlive, bfdCheckAlert(name, up));
    }
    this.sync();
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
      const { contrib, failed } = fileEffect(s.file, value);
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
      const vs = this.vsOf(s);
      const enabled = this.vsActive(vs);
      if (enabled !== s.enabled) {
        this.o.log.info(
          `${enabled ? "Activat" : "Suspend"}ing healthchecker for service ${this.rsOf(s).name} for VS ${vs.name}`,
        );
        s.enabled = enabled;
        this.engine.setEnabled(s.key, enabled);
      }
    }
  }

  private vsActive(vs: VsState): boolean {
    const has = this.o.hasAddress;
    if (!vs.vs.haSuspend || !has) return true;
    return vs.keys.some((k) => k.address === undefined || has(k.address));
  }

  private vsOf(s: Slot): VsState {
    return this.pool.vss[s.v]!;
  }

  private rsOf(s: Slot): RsState {
    return this.pool.vss[s.v]!.rss[s.r]!;
  }

  // ---------------------------------------------------------------------------
  // the engine's loop: actions out, the one timer, probes, results in

  /** Everything the engine asked for, the table in line, the timer at its next deadline. */
  private pump(): void {
    if (this.stopped) return;
    this.act(this.engine.pollActions());
    this.sync();
    this.rearm();
  }

  private rearm(): void {
    const at = this.engine.pollTimeout();
    if (this.wake?.at === at) return;
    if (this.wake) clearTimeout(this.wake.handle);
    this.wake = undefined;
    if (at === undefined) return;
    // a timer that fires a little early only finds nothing due and is armed again
    const handle = setTimeout(
      () => {
        this.wake = undefined;
        this.engine.handleTimeout(performance.now());
        this.pump();
      },
      Math.max(0, Math.ceil(at - performance.now())),
    );
    this.wake = { at, handle };
  }

  private act(actions: Action[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case "run-probe":
          this.runProbe(a);
          break;
        case "abort-probe": {
          const run = this.running.get(a.checker);
          if (run?.attempt !== a.attempt) break;
          run.abort.abort();
          this.running.delete(a.checker);
          break;
        }
        case "weight": {
          const s = this.byKey.get(a.checker);
          if (s) this.pool.setWeight(s.v, s.r, this.rsOf(s).effectiveWeight + a.delta);
          break;
        }
        case "checked":
          this.checked(a);
          break;
        case "checker-state":
          this.checkerState(a);
          break;
      }
    }
  }

  private runProbe(a: Extract<Action, { kind: "run-probe" }>): void {
    const s = this.byKey.get(a.checker);
    if (!s) return;
    const probe = s.probes[Math.min(a.url, s.probes.length - 1)]!;
    const run: Running = { attempt: a.attempt, abort: new AbortController() };
    this.running.set(a.checker, run);
    void attempt(probe, { target: s.target, signal: run.abort.signal, retry: a.retry }, s.ck.type).then((res) => {
      if (this.stopped || this.running.get(a.checker) !== run) return;
      this.running.delete(a.checker);
      this.engine.handleResult(a.checker, a.attempt, res, performance.now());
      this.pump();
    });
  }

  /** One attempt's result: the status line, the event, keepalived's log lines. */
  private checked(a: Extract<Action, { kind: "checked" }>): void {
    const s = this.byKey.get(a.checker);
    if (!s) return;
    const res = a.result;
    const probe = s.probes[Math.min(a.url, s.probes.length - 1)]!;
    s.last = { at: Date.now(), ms: a.ms, result: res.ok ? (res.detail ?? "ok") : res.reason };
    const vs = this.vsOf(s);
    const rs = this.rsOf(s);
    const line = res.ok ? "ok" : res.reason;
    const [virtualServer, realServer] = [vs.display, rs.display];
    const ms = Math.round(a.ms * 10) / 10;
    this.o.onEvent?.({
      event: "checker",
      at: Date.now(),
      virtualServer,
      realServer,
      type: s.ck.type,
      up: a.up,
      line,
      ms,
    });
    for (const l of a.lines) {
      if (l === "up") this.o.log.info(probe.upLine(s.who));
      else if (l === "down") this.o.log.info(probe.downLine(s.who, a.retries, res));
      else if (!res.ok)
        this.o.log.info(
          s.ck.type === "SMTP_CHECK" && !res.reason.startsWith("SMTP_CHECK") ? `SMTP_CHECK ${res.reason}` : res.reason,
        );
    }
  }

  /** A checker went up or down (or alpha's first notify): the pool hears of it, smtp_alert too. */
  private checkerState(a: Extract<Action, { kind: "checker-state" }>): void {
    const s = this.byKey.get(a.checker);
    if (!s) return;
    const vs = this.vsOf(s);
    const rs = this.rsOf(s);
    const wasAlive = rs.alive;
    const change = a.firstNotify ? undefined : a.up ? "up" : "down";
    this.pool.checker(s.v, s.r, change, a.firstNotify);
    // every URL's probe of one checker has the same alert subject
    if (change) this.notifier.checkerAlert(vs, rs, wasAlive, s.probes[0]!.alert(a.up));
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
        this.o.onEvent?.({
          event: "real-server",
          at: Date.now(),
          virtualServer: e.vs.display,
          realServer: e.rs.display,
          up: e.up,
          liveWeight: this.liveWeight(e.vs, e.rs),
          ...(e.stopping ? { stopping: true } : {}),
        });
      else if (e.kind === "vs-notify")
        this.o.onEvent?.({
          event: "quorum",
          at: Date.now(),
          virtualServer: e.vs.display,
          up: e.up,
          aliveWeight: this.pool.liveWeight(e.vs),
          ...(e.stopping ? { stopping: true } : {}),
        });
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
    this.weights ??= new Map(
      this.applied.map((e) => [serviceId(e.service), new Map(e.dests.map((d) => [destId(d), d.weight]))]),
    );
    return this.weights.get(serviceId(key))?.get(destId(destOf(vs.vs, rs.rs, 0, vs.autoFwmark !== undefined)));
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

  /**
   * `keel rs`: an operator's drain, weight or enable of one real server (names as status
   * has them), applied to IPVS at once; the checkers go on and their results still show.
   */
  operate(req: RsRequest): string | undefined {
    const vs = this.pool.vss.find((v) => v.display === req.virtualServer);
    const rs = vs?.rss.find((r) => r.display === req.realServer);
    if (!vs || !rs) return `no real server ${req.realServer} of ${req.virtualServer} (a reload in between?)`;
    if (req.action === "enable") delete rs.operator;
    else {
      rs.operator = { action: req.action, weight: req.action === "drain" ? 0 : (req.weight ?? 0), at: Date.now() };
      if (req.by !== undefined) rs.operator.by = req.by;
      if (req.reason !== undefined) rs.operator.reason = req.reason;
    }
    const what = req.action === "enable" ? "enabled" : `weight ${rs.operator?.weight} (${req.action})`;
    this.o.log.info(`${rs.name} of ${vs.name}: ${what} by operator${rs.alive ? "" : " (down: applied when it is up)"}`);
    this.sync(true);
    return undefined;
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
        ...(rs.operator ? { operator: { ...rs.operator } } : {}),
        counters: this.sum(vs, destId(destOf(vs.vs, rs.rs, 0, vs.autoFwmark !== undefined))),
        checkers: this.slots
          .filter((s) => s.v === v && s.r === r)
          .map(
            (s): CheckerStatus => ({
              type: s.ck.type,
              up: s.file ? !s.file.failed : s.bfd ? s.bfd.state.up : (this.engine.state(s.key)?.up ?? true),
              lastCheck: s.last?.at,
              latencyMs: s.last ? Math.round(s.last.ms * 10) / 10 : undefined,
              lastResult: s.last?.result,
              retries: this.engine.state(s.key)?.retries ?? 0,
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

/** The target after inheritance: connect_ip/connect_port and the socket options over the real server's. */
function targetOf(vs: VirtualServer, rs: RealServer, ck: Checker): ProbeTarget {
  const co: ConnOpts = ck.type === "MISC_CHECK" || ck.type === "FILE_CHECK" || ck.type === "BFD_CHECK" ? {} : ck;
  const vsPort = vs.service.kind === "address" ? vs.service.port : undefined;
  const t: ProbeTarget = {
    ip: co.connectIp ?? rs.ip,
    port: co.connectPort ?? rs.port ?? vsPort,
    connectTimeoutMs: effectiveSchedule(vs, rs, ck).connectTimeout * 1000,
  };
  if (co.bindto) t.bindto = co.bindto;
  if (co.bindPort !== undefined) t.bindPort = co.bindPort;
  if (co.bindIf) t.bindIf = co.bindIf;
  if (co.fwmark !== undefined) t.fwmark = co.fwmark;
  return t;
}

/**
 * The engine's watchdog for a probe: its own bound plus a grace. TCP, PING, UDP and DNS
 * wait connect_timeout once (check_tcp.c tcp_connect_thread registers the connect with
 * co->connection_to); MISC_CHECK's script is killed at misc_timeout (default delay_loop).
 * HTTP and SMTP restart connect_timeout at every read, as keepalived's threads do, so a
 * server that trickles keeps them alive without a total bound: no watchdog.
 */
function watchdogOf(ck: Checker, connectTimeoutMs: number, delayLoopMs: number): number | undefined {
  switch (ck.type) {
    case "TCP_CHECK":
    case "PING_CHECK":
    case "UDP_CHECK":
    case "DNS_CHECK":
      return connectTimeoutMs + WATCHDOG_GRACE_MS;
    case "MISC_CHECK":
      return (ck.miscTimeout !== undefined ? ck.miscTimeout * 1000 : delayLoopMs) + SCRIPT_KILL_MS + WATCHDOG_GRACE_MS;
    default:
      return undefined;
  }
}

/** FILE_CHECK: a track_file value's share of the weight, and whether it fails the real server. */
function fileEffect(f: NonNullable<Slot["file"]>, value: number): { contrib: number; failed: boolean } {
  if (f.weight === 0) return { contrib: 0, failed: value !== 0 };
  const contrib = value * f.weight * (f.reverse ? -1 : 1);
  return { contrib: contrib <= IPVS_WEIGHT_FAULT ? 0 : contrib, failed: contrib <= IPVS_WEIGHT_FAULT };
}

/** One probe run; probes never throw by contract, but a bug must not kill the checker. */
async function attempt(probe: Probe, ctx: ProbeContext, type: string): Promise<ProbeResult> {
  try {
    return await probe.run(ctx);
  } catch (e) {
    return { ok: false, reason: `${type} internal error: ${(e as Error).message}` };
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
