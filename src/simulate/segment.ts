/**
 * A simulated L2 segment for the VRRP engine: what `keel simulate` runs and what the
 * simulation tests (test/sim, DESIGN.md testing table) drive.
 *
 * N nodes, each one host with interfaces (default "eth0"), a primary IPv4 and IPv6
 * address on each, and a `VrrpRouter` built from keepalived.conf text or a parsed model
 * (`keel simulate` reads files through src/config's loader). Time is virtual: a binary min-heap of
 * events keyed by (time, insertion sequence) drives everything, so a run is a pure
 * function of its inputs and its seed. No sleeps, no sockets.
 *
 * Packets go through the real codec: a `send-advert` action becomes wire bytes with
 * `advertPackets` (src/vrrp/transmit.ts) and reaches the other routers as an `RxPacket`
 * (IPv4: the whole IP packet; IPv6: the VRRP message with src/dst/hop limit), after a
 * per-link latency (fixed + seeded jitter) and a per-link loss probability.
 *
 * Faults: partitions (groups that cannot hear each other), crash (router discarded,
 * its VIPs stay on the node, no priority-0 advert), restart (a fresh router from the
 * same config), graceful stop (the engine's `stop` command, then dead), link down/up
 * (a tracker change for eth0, and no packets in or out while down), loss.
 *
 * Everything observable is recorded per node: transitions (time, reason), adverts sent
 * and received (time, priority), VIPs held, GARPs, notifies, priority changes. Hooks
 * (`onStep`, `onAction`, `beforeStart`) let a caller watch and feed trackers as it goes.
 */
import { mulberry32 } from "../base/random";
import type { KeelConfig } from "../config/model";
import { parseConf } from "../config/parse";
import { memorySource } from "../config/source";
import { type RxPacket, VrrpRouter } from "../vrrp/router";
import type { TrackChange } from "../vrrp/track-board";
import { advertPackets } from "../vrrp/transmit";

/** The wall clock at the simulation's time 0 (2026-01-01 UTC): auth_hmac's sequences and window */
const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);
import type { Action, AdvertOut, TransitionReason, VrrpState } from "../vrrp/types";
import { EventHeap } from "./heap";

// ---------------------------------------------------------------------------
// deterministic pieces

export { mulberry32 };
export { EventHeap };

// ---------------------------------------------------------------------------
// records

export interface TransitionRec {
  t: number;
  instance: string;
  from: VrrpState;
  to: VrrpState;
  reason: TransitionReason;
}

export interface AdvertRec {
  t: number;
  instance: string;
  family: 4 | 6;
  vrid: number;
  priority: number;
  advertIntCs: number;
}

export interface RxRec {
  t: number;
  /** the sending node */
  from: string;
  instance: string;
  family: 4 | 6;
  vrid: number;
  priority: number;
}

export interface GarpRec {
  t: number;
  instance: string;
  addresses: string[];
  count: number;
}

export interface LogRec {
  t: number;
  node: string;
  what: string;
}

// ---------------------------------------------------------------------------
// nodes and links

export interface NodeSpec {
  name: string;
  /** keepalived.conf text; parsed with config id = the node's name (so `@name` lines work) */
  conf: string;
  /** the parsed model, when the caller already has it (a file read through loadConfig): `conf` is then only a label */
  config?: KeelConfig;
  /** eth0's primary IPv4 address (default 10.0.0.N, N = 1 + the node's index) */
  ipv4?: string;
  /** eth0's primary IPv6 address (default fe80::N) */
  ipv6?: string;
  /**
   * interfaces (default ["eth0"]); each name is one segment shared by every node's
   * interface of that name. ethK gets 10.K.0.N and fe80::K:0:0:N unless eth0.
   */
  interfaces?: string[];
}

export interface LinkParams {
  /** fixed one-way latency, ms */
  latencyMs: number;
  /** extra latency, uniform in [0, jitterMs) */
  jitterMs: number;
  /** probability that a packet is lost, 0..1 */
  loss: number;
}

export interface SimOptions extends Partial<LinkParams> {
  seed?: number;
  /** start every node's router at time 0 when it is added (default true) */
  autoStart?: boolean;
}

export class SimNode {
  /** the first interface, where most tests live */
  readonly ifname: string;
  router?: VrrpRouter;
  alive = false;
  linkUp = true;
  /** a stalled process (Sim.freeze): until this time its timers and received packets wait */
  frozenUntil = 0;
  /** VIPs configured on the node, by instance (they survive a crash) */
  readonly vips = new Map<string, Set<string>>();
  readonly transitions: TransitionRec[] = [];
  readonly sent: AdvertRec[] = [];
  readonly received: RxRec[] = [];
  readonly garps: GarpRec[] = [];
  readonly actions: { t: number; action: Action }[] = [];
  /** how many routers this node has had (restarts) */
  incarnation = 0;
  /** the armed timer: absolute time and the token that a timer event must carry */
  timerAt: number | undefined;
  timerToken = 0;

  constructor(
    readonly index: number,
    readonly name: string,
    /** interface → its primary addresses */
    readonly ifaces: Map<string, { v4: string; v6: string }>,
    public conf: string,
    public config: KeelConfig,
  ) {
    this.ifname = [...ifaces.keys()][0] as string;
  }

  get ipv4(): string {
    return this.address(4);
  }

  get ipv6(): string {
    return this.address(6);
  }

  /** The primary address of an interface (default: the first). */
  address(family: 4 | 6, ifname = this.ifname): string {
    const a = this.ifaces.get(ifname);
    if (!a) throw new Error(`${this.name} has no interface ${ifname}`);
    return family === 4 ? a.v4 : a.v6;
  }

  /** The instance's state on this node (undefined when the node is dead). */
  state(instance: string): VrrpState | undefined {
    return this.router?.instances.get(instance)?.state;
  }

  /** Every VIP the node holds, across instances. */
  allVips(): string[] {
    const all: string[] = [];
    for (const s of this.vips.values()) all.push(...s);
    return all.sort();
  }

  /** Transitions of one instance (optionally only those into `to`). */
  transitionsOf(instance: string, to?: VrrpState): TransitionRec[] {
    return this.transitions.filter((r) => r.instance === instance && (to === undefined || r.to === to));
  }

  lastRx(pred: (r: RxRec) => boolean = () => true): RxRec | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const r = this.received[i] as RxRec;
      if (pred(r)) return r;
    }
    return undefined;
  }
}

type SimEvent =
  | { t: number; seq: number; kind: "timer"; node: SimNode; token: number }
  | { t: number; seq: number; kind: "packets"; node: SimNode; from: SimNode; pkts: InFlight[] }
  | { t: number; seq: number; kind: "call"; fn: () => void };

interface InFlight {
  rx: RxPacket;
  meta: { instance: string; family: 4 | 6; vrid: number; priority: number };
}

/** Parse keepalived.conf text into the model; any error diagnostic throws (a test bug). */
export function configFromText(text: string, node: string): KeelConfig {
  const path = `/etc/keepalived/${node}.conf`;
  const r = parseConf(path, {
    source: memorySource({ [path]: text }),
    host: { interfaceExists: () => true },
    configId: node,
    randomSeed: 1,
    env: {},
  });
  const errors = r.diagnostics.items.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `${node}: config errors:\n${errors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code}: ${d.message}`).join("\n")}`,
    );
  }
  return r.config;
}

export class Sim {
  now = 0;
  readonly nodes: SimNode[] = [];
  readonly log: LogRec[] = [];
  readonly rng: () => number;
  readonly defaults: LinkParams;
  /** counts of processed events, by kind (the bench reads them) */
  readonly counts = { timer: 0, packets: 0, call: 0, delivered: 0, lost: 0, sent: 0 };
  /** called after every processed event, with the event's time (invariant checkers) */
  onStep?: (t: number) => void;
  /** called with every action a router emits, as it is acted on (keel simulate's timeline) */
  onAction?: (node: SimNode, action: Action) => void;
  /**
   * called when a node's new router exists and has not started yet (start, restart): the
   * trackers a runtime reads before it starts (track_file, track_process) go in here
   */
  beforeStart?: (node: SimNode) => void;
  /** record every action (off for the bench) */
  recordActions = true;
  /** record adverts sent/received (off for the bench) */
  recordAdverts = true;

  private readonly heap = new EventHeap<SimEvent>();
  private seq = 0;
  private readonly byName = new Map<string, SimNode>();
  /** destination address → is it multicast (a cache: the same few addresses recur) */
  private readonly multicast = new Map<string, boolean>();
  /** "ifname/address" → node, for unicast */
  private readonly byAddr = new Map<string, SimNode>();
  private readonly links = new Map<string, Partial<LinkParams>>();
  /** partition: node → group number; undefined = the segment is whole */
  private group?: Map<SimNode, number>;
  private readonly autoStart: boolean;

  constructor(opts: SimOptions = {}) {
    this.rng = mulberry32(opts.seed ?? 1);
    this.defaults = { latencyMs: opts.latencyMs ?? 0, jitterMs: opts.jitterMs ?? 0, loss: opts.loss ?? 0 };
    this.autoStart = opts.autoStart ?? true;
  }

  // -------------------------------------------------------------------------
  // building

  /** Add a node; by default its router starts at the current time. */
  add(spec: NodeSpec): SimNode {
    const i = this.nodes.length;
    const ifaces = new Map<string, { v4: string; v6: string }>();
    (spec.interfaces ?? ["eth0"]).forEach((ifname, k) => {
      const v4 = k === 0 && spec.ipv4 !== undefined ? spec.ipv4 : `10.${k}.0.${i + 1}`;
      const v6 =
        k === 0 && spec.ipv6 !== undefined
          ? spec.ipv6
          : k === 0
            ? `fe80::${(i + 1).toString(16)}`
            : `fe80::${k}:0:0:${(i + 1).toString(16)}`;
      ifaces.set(ifname, { v4, v6 });
    });
    const node = new SimNode(i, spec.name, ifaces, spec.conf, spec.config ?? configFromText(spec.conf, spec.name));
    this.nodes.push(node);
    this.byName.set(node.name, node);
    for (const [ifname, a] of ifaces) {
      this.byAddr.set(`${ifname}/${a.v4}`, node);
      this.byAddr.set(`${ifname}/${a.v6.toLowerCase()}`, node);
    }
    if (this.autoStart) this.start(node);
    return node;
  }

  /** Several nodes sharing one config text (use `@name` lines for per-node values). */
  addAll(names: string[], conf: string | ((name: string) => string)): SimNode[] {
    return names.map((name) => this.add({ name, conf: typeof conf === "string" ? conf : conf(name) }));
  }

  node(name: string): SimNode {
    const n = this.byName.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Per-link parameters (one direction a → b; `both` sets b → a too). */
  setLink(a: string, b: string, p: Partial<LinkParams>, both = true): void {
    this.links.set(`${a}>${b}`, { ...this.links.get(`${a}>${b}`), ...p });
    if (both) this.links.set(`${b}>${a}`, { ...this.links.get(`${b}>${a}`), ...p });
  }

  /** Change the segment-wide defaults (latency, jitter, loss). */
  setDefaults(p: Partial<LinkParams>): void {
    Object.assign(this.defaults, p);
  }

  // -------------------------------------------------------------------------
  // node life

  /** Start (or restart) a node: a fresh router from the same config, `start(now)`. */
  start(n: SimNode | string): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (node.alive) throw new Error(`${node.name} is already running`);
    node.router = new VrrpRouter(node.config, {
      interfaceAddress: (ifname, family) => {
        const a = node.ifaces.get(ifname);
        return a === undefined ? undefined : family === 4 ? a.v4 : a.v6;
      },
    });
    node.alive = true;
    node.incarnation++;
    this.note(node, node.incarnation === 1 ? "start" : "restart");
    // a link that is down stays down across the restart
    if (!node.linkUp)
      for (const ifname of node.ifaces.keys()) node.router.handleTrack(linkChange(ifname, false), this.now);
    this.beforeStart?.(node);
    node.router.start(this.now);
    this.drain(node);
  }

  restart(n: SimNode | string): void {
    this.start(n);
  }

  /** SIGHUP with a new config text: a new router takes over the running one's state. */
  reload(n: SimNode | string, conf: string, config?: KeelConfig): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.alive || !node.router) throw new Error(`${node.name} is not running`);
    node.conf = conf;
    node.config = config ?? configFromText(conf, node.name);
    const next = new VrrpRouter(node.config, {
      interfaceAddress: (ifname, family) => {
        const a = node.ifaces.get(ifname);
        return a === undefined ? undefined : family === 4 ? a.v4 : a.v6;
      },
    });
    next.takeOver(node.router, this.now);
    node.router = next;
    this.note(node, "reload");
    next.start(this.now);
    this.drain(node);
  }

  /** Crash: the router is gone without a word; VIPs stay configured on the node. */
  kill(n: SimNode | string): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.alive) return;
    node.alive = false;
    node.router = undefined;
    node.timerAt = undefined;
    node.timerToken++;
    this.note(node, "kill");
  }

  /**
   * The process stalls until `until` (a CPU-starved host, a paused VM): its timers and
   * the packets that reach it wait, then are handled at `until` in the order they came,
   * with that time, as a process that was not scheduled handles them (timer_expired_backup).
   */
  freeze(n: SimNode | string, until: number): void {
    const node = typeof n === "string" ? this.node(n) : n;
    node.frozenUntil = until;
    this.note(node, `freeze until ${until}`);
  }

  /** Graceful stop (SIGTERM): the engine's stop command (priority-0 adverts), then dead. */
  stop(n: SimNode | string): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.alive || !node.router) return;
    node.router.handleCommand({ type: "stop" }, this.now);
    this.drain(node);
    node.alive = false;
    node.router = undefined;
    node.timerAt = undefined;
    node.timerToken++;
    this.note(node, "stop");
  }

  /** Link down: the engine hears it as an interface tracker change; no packets in or out. */
  linkDown(n: SimNode | string): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.linkUp) return;
    node.linkUp = false;
    this.note(node, "link-down");
    if (node.router) {
      for (const ifname of node.ifaces.keys()) node.router.handleTrack(linkChange(ifname, false), this.now);
      this.drain(node);
    }
  }

  linkUp(n: SimNode | string): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (node.linkUp) return;
    node.linkUp = true;
    this.note(node, "link-up");
    if (node.router) {
      for (const ifname of node.ifaces.keys()) node.router.handleTrack(linkChange(ifname, true), this.now);
      this.drain(node);
    }
  }

  /** A tracker result on one node (script, file, process, ...). */
  track(n: SimNode | string, change: TrackChange): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.router) throw new Error(`${node.name} is not running`);
    this.note(node, `track ${JSON.stringify(change)}`);
    node.router.handleTrack(change, this.now);
    this.drain(node);
  }

  /** An operator command on one node. */
  command(n: SimNode | string, cmd: Parameters<VrrpRouter["handleCommand"]>[0]): void {
    const node = typeof n === "string" ? this.node(n) : n;
    if (!node.router) throw new Error(`${node.name} is not running`);
    node.router.handleCommand(cmd, this.now);
    this.drain(node);
  }

  /** Split the segment: nodes in different groups cannot hear each other; unlisted nodes form one more group. */
  partition(...groups: string[][]): void {
    const g = new Map<SimNode, number>();
    groups.forEach((names, i) => {
      for (const name of names) g.set(this.node(name), i);
    });
    for (const n of this.nodes) if (!g.has(n)) g.set(n, groups.length);
    this.group = g;
    this.log.push({ t: this.now, node: "*", what: `partition ${groups.map((x) => x.join(",")).join(" | ")}` });
  }

  heal(): void {
    this.group = undefined;
    this.log.push({ t: this.now, node: "*", what: "heal" });
  }

  get partitioned(): boolean {
    return this.group !== undefined;
  }

  /** The segment is not whole: a partition, a live node's link down, or any loss. */
  impaired(): boolean {
    if (this.group !== undefined || this.defaults.loss > 0) return true;
    for (const l of this.links.values()) if ((l.loss ?? 0) > 0) return true;
    return this.nodes.some((n) => n.alive && !n.linkUp);
  }

  /** Whether a packet from a can reach b right now (both up, same side of any partition). */
  canHear(a: SimNode, b: SimNode): boolean {
    if (a === b || !a.alive || !b.alive || !a.linkUp || !b.linkUp) return false;
    return this.group === undefined || this.group.get(a) === this.group.get(b);
  }

  // -------------------------------------------------------------------------
  // running

  /** Run a function at virtual time t (fault injection on a schedule). */
  at(t: number, fn: () => void): void {
    if (t < this.now) throw new Error(`at(${t}) is in the past (now ${this.now})`);
    this.heap.push({ t, seq: this.seq++, kind: "call", fn });
  }

  /** Process one event; false when there is none. */
  step(): boolean {
    const e = this.heap.pop();
    if (!e) return false;
    this.now = e.t;
    if (e.kind !== "call" && e.node.frozenUntil > e.t) {
      // stalled: the same event when the process runs again, behind what came before it
      this.heap.push({ ...e, t: e.node.frozenUntil, seq: this.seq++ });
      return true;
    }
    if (e.kind === "timer") {
      const node = e.node;
      if (e.token !== node.timerToken || !node.router) return true;
      node.timerAt = undefined;
      this.counts.timer++;
      node.router.handleTimeout(e.t);
      this.drain(node);
    } else if (e.kind === "packets") {
      const node = e.node;
      this.counts.packets++;
      // the receiver must still be there, with its link up, when the frame arrives
      if (!node.router || !node.linkUp) return true;
      const router = node.router;
      for (const p of e.pkts) {
        router.handleAdvert(p.rx, e.t);
        this.counts.delivered++;
        if (this.recordAdverts) node.received.push({ t: e.t, from: e.from.name, ...p.meta });
      }
      this.drain(node);
    } else {
      this.counts.call++;
      e.fn();
    }
    this.onStep?.(this.now);
    return true;
  }

  /** Process every event up to and including time t, then set the clock to t. */
  runUntil(t: number): void {
    for (;;) {
      const e = this.heap.peek();
      if (!e || e.t > t) break;
      this.step();
    }
    if (t > this.now) this.now = t;
  }

  /** Run for `ms` more virtual milliseconds. */
  run(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /**
   * Run until `pred` holds (checked before the first event and after each one), for at
   * most `limitMs` of virtual time. Returns the virtual time at which it first held;
   * throws if it never did.
   */
  waitFor(pred: () => boolean, limitMs: number, what = "condition"): number {
    const end = this.now + limitMs;
    if (pred()) return this.now;
    for (;;) {
      const e = this.heap.peek();
      if (!e || e.t > end) break;
      this.step();
      if (pred()) return this.now;
    }
    this.now = Math.max(this.now, end);
    throw new Error(`waitFor(${what}): not true within ${limitMs} ms (now ${this.now})`);
  }

  // -------------------------------------------------------------------------
  // observing

  /** Names of the live nodes whose instance for (family, vrid) is MASTER. */
  masters(vrid: number, family: 4 | 6 = 4): string[] {
    const out: string[] = [];
    for (const n of this.nodes) {
      if (!n.router) continue;
      for (const inst of n.router.instances.values()) {
        if (inst.p.vrid === vrid && inst.p.family === family && inst.state === "MASTER") out.push(n.name);
      }
    }
    return out;
  }

  /** State of `instance` on every node, e.g. {a: "MASTER", b: "BACKUP", c: undefined (dead)}. */
  states(instance: string): Record<string, VrrpState | undefined> {
    const out: Record<string, VrrpState | undefined> = {};
    for (const n of this.nodes) out[n.name] = n.state(instance);
    return out;
  }

  /** Nodes holding `vip` (as configured addresses; a crashed master still holds its VIPs). */
  holders(vip: string): string[] {
    return this.nodes.filter((n) => [...n.vips.values()].some((s) => s.has(vip))).map((n) => n.name);
  }

  pending(): number {
    return this.heap.size;
  }

  // -------------------------------------------------------------------------
  // plumbing

  private note(node: SimNode, what: string): void {
    this.log.push({ t: this.now, node: node.name, what });
  }

  /** Take the router's actions, act on them, and re-arm its timer. */
  private drain(node: SimNode): void {
    const router = node.router;
    if (!router) return;
    const t = this.now;
    const actions = router.pollActions();
    let batches: Map<SimNode, Map<number, SimEvent & { kind: "packets" }>> | undefined;
    for (const a of actions) {
      if (this.recordActions) node.actions.push({ t, action: a });
      this.onAction?.(node, a);
      switch (a.type) {
        case "send-advert":
          batches ??= new Map();
          this.transmit(node, a.advert, batches);
          break;
        case "add-vips": {
          const s = node.vips.get(a.instance) ?? new Set<string>();
          for (const v of a.addresses) s.add(v.address);
          for (const v of a.excluded) s.add(v.address);
          node.vips.set(a.instance, s);
          break;
        }
        case "del-vips": {
          const s = node.vips.get(a.instance);
          if (s) {
            for (const v of a.addresses) s.delete(v.address);
            for (const v of a.excluded) s.delete(v.address);
            if (s.size === 0) node.vips.delete(a.instance);
          }
          break;
        }
        case "send-garp":
          node.garps.push({ t, instance: a.instance, addresses: a.addresses, count: a.count });
          break;
        case "transition":
          node.transitions.push({ t, instance: a.instance, from: a.from, to: a.to, reason: a.reason });
          break;
        default:
          break;
      }
    }
    if (batches) for (const perNode of batches.values()) for (const b of perNode.values()) this.heap.push(b);
    this.arm(node);
  }

  private arm(node: SimNode): void {
    const next = node.router?.pollTimeout();
    if (next === undefined) {
      if (node.timerAt !== undefined) {
        node.timerAt = undefined;
        node.timerToken++;
      }
      return;
    }
    const at = Math.max(next, this.now);
    if (node.timerAt === at) return;
    node.timerAt = at;
    node.timerToken++;
    this.heap.push({ t: at, seq: this.seq++, kind: "timer", node, token: node.timerToken });
  }

  /** One advert onto the wire: every reachable node (multicast) or the addressed one (unicast). */
  private transmit(
    from: SimNode,
    advert: AdvertOut,
    batches: Map<SimNode, Map<number, SimEvent & { kind: "packets" }>>,
  ): void {
    if (this.recordAdverts) {
      from.sent.push({
        t: this.now,
        instance: advert.instance,
        family: advert.family,
        vrid: advert.vrid,
        priority: advert.priority,
        advertIntCs: advert.advertIntCs,
      });
    }
    this.counts.sent++;
    if (!from.linkUp) return; // nothing leaves a node whose link is down
    const ifname = advert.ifname ?? from.ifname;
    if (!from.ifaces.has(ifname)) return;
    const src = advert.source ?? from.address(advert.family, ifname);
    const meta = { instance: advert.instance, family: advert.family, vrid: advert.vrid, priority: advert.priority };
    // auth_hmac dates its sequence by the wall clock: the simulation's starts at SIM_EPOCH_MS
    for (const pkt of advertPackets(advert, src, SIM_EPOCH_MS + this.now)) {
      let multicast = this.multicast.get(pkt.dst);
      if (multicast === undefined) {
        multicast = isMulticast(pkt.dst);
        this.multicast.set(pkt.dst, multicast);
      }
      const targets = multicast
        ? this.nodes
        : [this.byAddr.get(`${ifname}/${pkt.dst.toLowerCase()}`)].filter((n): n is SimNode => n !== undefined);
      for (const to of targets) {
        if (!this.canHear(from, to) || !to.ifaces.has(ifname)) continue;
        const link = this.linkParams(from, to);
        if (link.loss > 0 && this.rng() < link.loss) {
          this.counts.lost++;
          continue;
        }
        const at = this.now + link.latencyMs + (link.jitterMs > 0 ? this.rng() * link.jitterMs : 0);
        const rx: RxPacket =
          advert.family === 4
            ? { ifname, family: 4, data: pkt.data, wallMs: SIM_EPOCH_MS + at }
            : { ifname, family: 6, data: pkt.data, src, dst: pkt.dst, hopLimit: 255, wallMs: SIM_EPOCH_MS + at };
        // frames from one sender arriving together at one receiver travel as one event
        let perNode = batches.get(to);
        if (!perNode) {
          perNode = new Map();
          batches.set(to, perNode);
        }
        let b = perNode.get(at);
        if (!b) {
          b = { t: at, seq: this.seq++, kind: "packets", node: to, from, pkts: [] };
          perNode.set(at, b);
        }
        b.pkts.push({ rx, meta });
      }
    }
  }

  private linkParams(a: SimNode, b: SimNode): LinkParams {
    if (this.links.size === 0) return this.defaults; // the common case: no per-link settings
    const l = this.links.get(`${a.name}>${b.name}`);
    return l ? { ...this.defaults, ...l } : this.defaults;
  }
}

function linkChange(ifname: string, up: boolean): TrackChange {
  return { kind: "interface", name: ifname, up } as TrackChange;
}

function isMulticast(addr: string): boolean {
  if (addr.includes(":")) return addr.toLowerCase().startsWith("ff");
  const first = Number(addr.split(".")[0]);
  return first >= 224 && first <= 239;
}
