/**
 * The real VrrpDriver on a failing kernel, in virtual time (faults.test.ts runs it).
 *
 * Three hosts, each a SimKernel (src/demo/sim-kernel.ts) behind a FaultKernel
 * (fault-kernel.ts), on one SimSegment, each running the daemon's VrrpDriver with an
 * injected clock and timer source. One binary heap of (time, sequence) events drives
 * the timers, datagram deliveries and netlink notifications, so a run is a pure function
 * of its seed. Two instances: VI_1 (IPv4, two VIPs, a > b > c) and VI_2 (IPv6, advert
 * every 0.5 s, c > b > a).
 *
 * A run: `faultMs` of faults (every kernel call may fail or throw; hosts crash as with
 * SIGKILL and restart; someone deletes a master's VIP with `ip addr del`), then the
 * kernel is made perfect, crashed hosts restart, and the cluster gets `settleMs`.
 *
 * What is checked, all the time (see `Checker`):
 * - nothing thrown by a driver reaches the event loop;
 * - a MASTER attempts an advert every advert_int (± TOL_MS), and earlier only right after
 *   receiving one (keepalived answers some adverts at once); later only if the kernel
 *   refused to open its VRRP socket in between (no socket, nothing to attempt a send on:
 *   the driver tries to open it again at every advert and every reconcile);
 * - a BACKUP takes over exactly Master_Down_Interval after the last advert that reset its
 *   timer (RFC 5798 6.4.2: priority ≥ its own, preempt on) or after it entered BACKUP;
 * - what each driver believes installed (its MASTER instances' VIPs) and what its kernel
 *   has agree again at most one reconcile period (+ two delivery delays) after the later
 *   of: the moment they came apart, the last fault injected into a call that bears on
 *   VIPs on that host (an address add/delete, a table dump, the netlink watch or one of
 *   its notifications). Each reconcile pass retries everything that failed, so only a
 *   fault in that pass can make a difference outlive it;
 * and at the end: one MASTER per instance (the highest priority), its VIPs on its kernel
 * only.
 */
import pino from "pino";
import type { KeelConfig } from "../../src/config/model";
import { SimKernel, SimSegment } from "../../src/demo/sim-kernel";
import type { Timers } from "../../src/runtime/vrrp-driver";
import { VrrpDriver } from "../../src/runtime/vrrp-driver";
import { masterDownMs } from "../../src/vrrp/timers";
import { type FaultRates, FaultKernel } from "./fault-kernel";
import { EventHeap, configFromText, globalDefs, mulberry32, vrrpInstance } from "./harness";

/** virtual time is exact: the tolerance only absorbs float rounding */
export const TOL_MS = 0.01;
export const RECONCILE_MS = 1000;
/** the longest a datagram or a netlink notification takes (delivery is 0.05..DELAY_MS) */
const DELAY_MS = 0.5;

interface Timed {
  t: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Timers and deferred deliveries on one virtual clock; what a callback throws is kept. */
export class VirtualTime implements Timers {
  now = 0;
  readonly escaped: string[] = [];
  private readonly heap = new EventHeap<Timed>();
  private seq = 0;

  constructor(private readonly rng: () => number) {}

  set(fn: () => void, ms: number): unknown {
    return this.setAt(fn, this.now + Math.max(0, ms));
  }

  private setAt(fn: () => void, t: number): Timed {
    const e: Timed = { t, seq: this.seq++, fn, cancelled: false };
    this.heap.push(e);
    return e;
  }

  clear(h: unknown): void {
    (h as Timed).cancelled = true;
  }

  /**
   * "later": a datagram arriving, a netlink message being read. In order: netlink
   * delivers a socket's notifications in the order the changes happened (a deletion
   * overtaking its own addition would leave a watcher believing the address is there),
   * and one segment does not reorder frames.
   */
  defer = (fn: () => void): void => {
    const at = Math.max(this.now + 0.05 + this.rng() * (DELAY_MS - 0.05), this.lastDeferred);
    this.lastDeferred = at;
    this.setAt(fn, at);
  };
  private lastDeferred = 0;

  /** Run every event due by `t`, calling `after` after each. */
  runUntil(t: number, after: () => void): void {
    for (let e = this.heap.peek(); e && e.t <= t; e = this.heap.peek()) {
      this.heap.pop();
      if (e.cancelled) continue;
      this.now = e.t;
      try {
        e.fn();
      } catch (x) {
        this.escaped.push(`t=${this.now.toFixed(3)}: ${(x as Error).stack ?? x}`);
      }
      after();
    }
    this.now = t;
  }
}

// ---------------------------------------------------------------------------
// the cluster

const NODES = ["a", "b", "c"] as const;
type NodeName = (typeof NODES)[number];

interface InstanceSpec {
  name: string;
  vrid: number;
  family: 4 | 6;
  advertInt: number;
  vips: string[];
  prio: Record<NodeName, number>;
}

const INSTANCES: InstanceSpec[] = [
  {
    name: "VI_1",
    vrid: 1,
    family: 4,
    advertInt: 1,
    vips: ["192.168.1.1/32", "192.168.1.11/32"],
    prio: { a: 150, b: 100, c: 50 },
  },
  { name: "VI_2", vrid: 2, family: 6, advertInt: 0.5, vips: ["2001:db8::2"], prio: { a: 50, b: 100, c: 150 } },
];

const configs = new Map<NodeName, KeelConfig>();
/** instance → its VIP keys, the same on every node */
const VIPS = new Map(INSTANCES.map((i) => [i.name, vipKeys(configOf("a"), i.name)]));
const ALL_VIPS = new Set([...VIPS.values()].flat());

function configOf(node: NodeName): KeelConfig {
  let c = configs.get(node);
  if (!c) {
    const blocks = INSTANCES.map((i) => vrrpInstance({ ...i, priority: i.prio[node] }));
    c = configFromText(`${globalDefs(3)}\n${blocks.join("\n")}`, node);
    configs.set(node, c);
  }
  return c;
}

/** The VIP keys ("address/prefix") of an instance, as the kernel lists them. */
function vipKeys(config: KeelConfig, instance: string): string[] {
  return (config.vrrpInstances[instance]?.virtualIpaddress ?? []).map((v) => `${v.address}/${v.prefix}`);
}

interface Node {
  name: NodeName;
  sim: SimKernel;
  fk: FaultKernel;
  driver?: VrrpDriver;
}

export interface FaultRunOptions {
  seed: number;
  rates: FaultRates;
  faultMs: number;
  settleMs: number;
  /** the drivers' reconcile period (default RECONCILE_MS; the bound checked stays RECONCILE_MS) */
  reconcileMs?: number;
  /** keep the drivers' log lines (a failing seed's reproduction prints them) */
  trace?: boolean;
}

export interface FaultRunResult {
  seed: number;
  violations: string[];
  injected: Record<string, number>;
  kernelErrors: Record<string, number>;
  counts: { adverts: number; takeovers: number; crashes: number; vipDeletes: number; longestBeliefGapMs: number };
  trace: string[];
}

export function faultRun(o: FaultRunOptions): FaultRunResult {
  const rng = mulberry32(o.seed);
  const time = new VirtualTime(mulberry32(o.seed ^ 0x5bd1e995));
  const segment = new SimSegment({ defer: time.defer });
  const trace: string[] = [];
  const kernelErrors: Record<string, number> = {};
  const check = new Checker(time);
  const nodes: Node[] = NODES.map((name, i) => {
    const sim = new SimKernel({ name, segment, ipv4: `10.0.0.${i + 1}`, prefixLen: 24 });
    const fk = new FaultKernel(sim, mulberry32(o.seed * 31 + i + 1), o.rates, {
      onSend: (_ifname, family, data) => check.sent(name, family, data),
      onReceive: (_ifname, rx) => check.received(name, rx.family, rx.data),
      onOpenRefused: (_ifname, family) => check.noSocket(name, family),
      now: () => time.now,
    });
    check.kernels.set(name, { sim, fk });
    return { name, sim, fk };
  });
  const counts = { adverts: 0, takeovers: 0, crashes: 0, vipDeletes: 0, longestBeliefGapMs: 0 };

  const start = (n: Node) => {
    n.sim.revive();
    check.restarted(n.name);
    n.driver = newDriver(n, time, check, trace, o);
    guarded(time, `${n.name} start`, () => n.driver?.start());
    check.drivers.set(n.name, n.driver);
  };
  const crash = (n: Node) => {
    counts.crashes++;
    const d = n.driver;
    if (d) for (const [k, v] of Object.entries(d.kernelErrors)) kernelErrors[k] = (kernelErrors[k] ?? 0) + v;
    n.sim.crash();
    // as the demo's crash: stop() only releases the driver's timers; the host swallows the rest
    guarded(time, `${n.name} stop`, () => d?.stop());
    n.driver = undefined;
    check.crashed(n.name);
  };
  for (const n of nodes) start(n);
  scheduleChaos(o, rng, time, nodes, counts, start, crash);

  const after = () => check.step();
  time.runUntil(o.faultMs, after);
  for (const n of nodes) {
    n.fk.calm();
    if (!n.driver) start(n);
  }
  time.runUntil(o.faultMs + o.settleMs, after);
  check.converged(nodes);
  for (const n of nodes)
    for (const [k, v] of Object.entries(n.driver?.kernelErrors ?? {})) kernelErrors[k] = (kernelErrors[k] ?? 0) + v;

  const injected: Record<string, number> = {};
  for (const n of nodes) for (const [k, v] of Object.entries(n.fk.injected)) injected[k] = (injected[k] ?? 0) + v;
  counts.adverts = check.adverts;
  counts.takeovers = check.takeovers;
  counts.longestBeliefGapMs = check.longestGap;
  const violations = [...time.escaped.map((e) => `escaped: ${e}`), ...check.violations];
  return { seed: o.seed, violations, injected, kernelErrors, counts, trace };
}

function guarded(time: VirtualTime, where: string, fn: () => void): void {
  try {
    fn();
  } catch (x) {
    time.escaped.push(`t=${time.now.toFixed(3)} ${where}: ${(x as Error).stack ?? x}`);
  }
}

/** one for every quiet run: building a pino logger costs more than a whole run's events */
const quiet = pino({ level: "silent" });

function newDriver(n: Node, time: VirtualTime, check: Checker, trace: string[], o: FaultRunOptions): VrrpDriver {
  const line = (l: string) => void trace.push(`${time.now.toFixed(3)} ${n.name} ${l.trimEnd()}`);
  // no wall-clock time, pid or host in the lines: a seed's trace is the same every time
  const log = o.trace ? pino({ level: "debug", timestamp: false, base: undefined }, { write: line }) : quiet;
  return new VrrpDriver({
    config: configOf(n.name),
    kernel: n.fk,
    log,
    now: () => time.now,
    timers: time,
    reconcileMs: o.reconcileMs ?? RECONCILE_MS,
    onEvent: (e) => {
      if (e.event === "transition") check.transition(n.name, e.instance, e.from, e.to, e.reason);
    },
  });
}

/**
 * The faults besides the kernel's: crashes (a restart 0.5..5 s later, or when the faults
 * stop) about every 6 s, and a MASTER's VIP deleted by someone else about every 4 s.
 */
function scheduleChaos(
  o: FaultRunOptions,
  rng: () => number,
  time: VirtualTime,
  nodes: Node[],
  counts: { crashes: number; vipDeletes: number },
  start: (n: Node) => void,
  crash: (n: Node) => void,
): void {
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rng() * xs.length)];
  for (let t = 2000 + rng() * 6000; t < o.faultMs; t += 2000 + rng() * 8000) {
    time.set(() => {
      const n = pick(nodes.filter((x) => x.driver));
      if (!n) return;
      crash(n);
      const back = time.now + 500 + rng() * 4500;
      if (back < o.faultMs)
        time.set(() => {
          if (!n.driver) start(n);
        }, back - time.now);
    }, t);
  }
  for (let t = 1000 + rng() * 4000; t < o.faultMs; t += 1000 + rng() * 6000) {
    time.set(() => {
      const masters = nodes.flatMap((n) =>
        INSTANCES.filter((i) => n.driver?.instance(i.name)?.state === "MASTER").map((i) => ({ n, i })),
      );
      const m = pick(masters);
      const va = m && pick(configOf(m.n.name).vrrpInstances[m.i.name]?.virtualIpaddress ?? []);
      if (!m || !va) return;
      counts.vipDeletes++;
      // `ip addr del` on eth0, straight to the kernel: the master leaves MASTER (set_vrrp_backup)
      m.n.sim.deleteAddress("eth0", `${va.address}/${va.prefix}`);
    }, t);
  }
}

// ---------------------------------------------------------------------------
// the invariants

interface Period {
  /** entered MASTER at */
  since: number;
  /** the last advert attempted in this period */
  lastSend?: number;
}

class Checker {
  readonly violations: string[] = [];
  readonly drivers = new Map<NodeName, VrrpDriver>();
  adverts = 0;
  takeovers = 0;
  longestGap = 0;
  /** node|vrid → MASTER period */
  private readonly master = new Map<string, Period>();
  /** node|vrid → last time the BACKUP's down timer was (re)started */
  private readonly downFrom = new Map<string, number>();
  /** node|vrid → last advert of any priority received */
  private readonly heard = new Map<string, number>();
  /**
   * node|vrid whose down timer is the skew time only, until an advert restarts it in full:
   * a MASTER that left for a deleted VIP (set_vrrp_backup), a BACKUP that heard priority 0
   */
  private readonly quickDown = new Set<string>();
  /** node|family → the last time the kernel refused to open its VRRP socket */
  private readonly refusedSocket = new Map<string, number>();
  /** node → since when its belief and its kernel differ */
  private readonly differ = new Map<NodeName, number>();

  readonly kernels = new Map<NodeName, { sim: SimKernel; fk: FaultKernel }>();

  constructor(private readonly time: VirtualTime) {}

  private fail(what: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${this.time.now.toFixed(3)} ${what}`);
  }

  private spec(vrid: number): InstanceSpec | undefined {
    return INSTANCES.find((i) => i.vrid === vrid);
  }

  /** An advert attempt: in time while MASTER (advert_int), earlier only as an answer. */
  sent(node: NodeName, family: 4 | 6, data: Uint8Array): void {
    const { vrid, priority } = vrrpHeader(family, data);
    const spec = this.spec(vrid);
    const p = this.master.get(`${node}|${vrid}`);
    if (!spec || !p || priority === 0) return;
    this.adverts++;
    const now = this.time.now;
    const intMs = spec.advertInt * 1000;
    const gap = now - (p.lastSend ?? p.since);
    if (gap > intMs + TOL_MS && !this.socketRefused(node, family, p.lastSend ?? p.since))
      this.fail(`${node} ${spec.name}: advert ${gap.toFixed(3)} ms after the last (advert_int ${intMs})`);
    const answered = (this.heard.get(`${node}|${vrid}`) ?? -1) >= (p.lastSend ?? p.since);
    if (p.lastSend !== undefined && gap < intMs - TOL_MS && !answered)
      this.fail(`${node} ${spec.name}: advert only ${gap.toFixed(3)} ms after the last, with nothing received`);
    p.lastSend = now;
  }

  noSocket(node: NodeName, family: 4 | 6): void {
    this.refusedSocket.set(`${node}|${family}`, this.time.now);
  }

  /** Whether the kernel refused `node` a VRRP socket of `family` since `t`. */
  private socketRefused(node: NodeName, family: 4 | 6, t = 0): boolean {
    return (this.refusedSocket.get(`${node}|${family}`) ?? -1) >= t;
  }

  received(node: NodeName, family: 4 | 6, data: Uint8Array): void {
    const { vrid, priority } = vrrpHeader(family, data);
    const spec = this.spec(vrid);
    if (!spec) return;
    const key = `${node}|${vrid}`;
    this.heard.set(key, this.time.now);
    // RFC 5798 6.4.2 with preemption: only an advert of priority ≥ ours restarts the timer
    if (priority >= spec.prio[node] && !this.master.has(key)) {
      this.downFrom.set(key, this.time.now);
      this.quickDown.delete(key);
    } else if (priority === 0 && !this.master.has(key)) {
      // RFC 5798 6.4.2: a priority-0 advert sets the Master_Down_Timer to Skew_Time (a
      // master that resigned: a stop, or set_vrrp_backup for a deleted VIP)
      this.downFrom.set(key, this.time.now);
      this.quickDown.add(key);
    }
  }

  transition(node: NodeName, instance: string, from: string, to: string, reason: string): void {
    const spec = INSTANCES.find((i) => i.name === instance);
    if (!spec) return;
    const key = `${node}|${spec.vrid}`;
    const now = this.time.now;
    if (from === "MASTER") this.endPeriod(node, spec);
    if (to === "BACKUP") this.downFrom.set(key, now);
    const quick = this.quickDown.has(key);
    if (to === "BACKUP" && reason === "vip-deleted") this.quickDown.add(key);
    else if (to !== "BACKUP") this.quickDown.delete(key);
    if (to !== "MASTER") return;
    this.takeovers++;
    if (reason === "master-down-timer" || reason === "preempt") {
      const mdi = masterDownMs(3, spec.advertInt * 100, spec.prio[node], quick ? 0 : 3);
      const waited = now - (this.downFrom.get(key) ?? 0);
      if (Math.abs(waited - mdi) > TOL_MS)
        this.fail(
          `${node} ${instance}: took over (${reason}) after ${waited.toFixed(3)} ms, Master_Down_Interval is ${mdi}`,
        );
    }
    this.master.set(key, { since: now });
  }

  private endPeriod(node: NodeName, spec: InstanceSpec): void {
    const key = `${node}|${spec.vrid}`;
    const p = this.master.get(key);
    this.master.delete(key);
    const gap = this.time.now - (p?.lastSend ?? p?.since ?? this.time.now);
    if (gap > spec.advertInt * 1000 + TOL_MS && !this.socketRefused(node, spec.family, p?.lastSend ?? p?.since))
      this.fail(`${node} ${spec.name}: no advert for ${gap.toFixed(3)} ms before leaving MASTER`);
  }

  crashed(node: NodeName): void {
    for (const i of INSTANCES) this.master.delete(`${node}|${i.vrid}`);
    this.drivers.delete(node);
    this.differ.delete(node);
  }

  restarted(node: NodeName): void {
    this.crashed(node);
  }

  /** After every event: believed and real VIPs of every running host. */
  step(): void {
    const now = this.time.now;
    for (const [node, d] of this.drivers) {
      const since = this.differ.get(node);
      if (this.agree(node, d)) {
        if (since !== undefined) this.longestGap = Math.max(this.longestGap, now - since);
        this.differ.delete(node);
        continue;
      }
      if (since === undefined) {
        this.differ.set(node, now);
        continue;
      }
      if (now - Math.max(since, this.lastVipFault(node)) > RECONCILE_MS + 2 * DELAY_MS) {
        this.fail(`${node}: believed and real VIPs differ since t=${since.toFixed(3)}: ${this.describe(node, d)}`);
        this.differ.set(node, now); // one report per episode
      }
    }
  }

  /** The last fault injected on `node` into a call that bears on its VIPs. */
  private lastVipFault(node: NodeName): number {
    let last = Number.NEGATIVE_INFINITY;
    for (const [key, t] of Object.entries(this.kernels.get(node)?.fk.lastAt ?? {}))
      if (/^(vip-|addresses|links|watch|event)/.test(key)) last = Math.max(last, t);
    return last;
  }

  private believed(d: VrrpDriver): string[] {
    return INSTANCES.filter((i) => d.instance(i.name)?.state === "MASTER").flatMap((i) => VIPS.get(i.name) ?? []);
  }

  private real(node: NodeName): string[] {
    return (this.kernels.get(node)?.sim.addressesOn("eth0") ?? []).filter((a) => ALL_VIPS.has(a));
  }

  private agree(node: NodeName, d: VrrpDriver): boolean {
    const b = this.believed(d);
    const r = this.real(node);
    return b.length === r.length && b.every((x) => r.includes(x));
  }

  private describe(node: NodeName, d: VrrpDriver): string {
    const b = [...this.believed(d)].sort().join(",");
    const r = [...this.real(node)].sort().join(",");
    return `believed [${b}], kernel [${r}]`;
  }

  /** The end: one MASTER per instance, the highest priority, its VIPs there and nowhere else. */
  converged(nodes: Node[]): void {
    for (const spec of INSTANCES) {
      const masters = nodes.filter((n) => n.driver?.instance(spec.name)?.state === "MASTER").map((n) => n.name);
      const best = NODES.reduce((x, y) => (spec.prio[y] > spec.prio[x] ? y : x));
      if (masters.length !== 1 || masters[0] !== best)
        this.fail(`${spec.name}: masters [${masters.join(",")}], expected [${best}]`);
      for (const n of nodes) {
        const has = vipKeys(configOf(n.name), spec.name).filter((k) => n.sim.addressesOn("eth0").includes(k));
        const want = n.name === best ? vipKeys(configOf(n.name), spec.name) : [];
        if (has.length !== want.length)
          this.fail(`${spec.name}: ${n.name} has VIPs [${has.join(",")}], expected [${want.join(",")}]`);
      }
    }
    for (const n of nodes)
      if (n.driver && !this.agree(n.name, n.driver))
        this.fail(`${n.name} at the end: ${this.describe(n.name, n.driver)}`);
  }
}

/** VRID and priority from a VRRP datagram (IPv4 carries its IP header: raw socket). */
function vrrpHeader(family: 4 | 6, data: Uint8Array): { vrid: number; priority: number } {
  const at = family === 4 ? ((data[0] ?? 0) & 0x0f) * 4 : 0;
  return { vrid: data[at + 1] ?? -1, priority: data[at + 2] ?? -1 };
}
