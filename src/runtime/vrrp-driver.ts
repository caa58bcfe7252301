/**
 * The VRRP driver: puts the sans-I/O engine (src/vrrp/router.ts) on real interfaces.
 *
 * It owns the sockets (one per interface × family × IP protocol, shared by every
 * instance on it, as keepalived's sock pool), one timer re-armed from
 * `router.pollTimeout()`, and the kernel watch. Inputs (a datagram, the timer, a link
 * going down) go into the router; the router's actions come out as kernel effects
 * (adverts, VIPs, routes, rules, GARP/NA) and log lines in keepalived's words.
 *
 * Kernel failures are values (kernel.ts), and nothing escapes the driver into the event
 * loop: every entry point (a timer, a datagram, a netlink event, a tracker) is guarded,
 * and the one timer is re-armed whatever an action did. A failed kernel call is logged
 * (rate-limited), counted in `kernelErrors` by operation, and put right by the
 * reconcile (`reconcileMs` after anything it answers): see `reconcile()` for what it
 * retries and why, and `wantReconcile()` for when it runs.
 */
import type { RouteGroups } from "../../native-bindings/netlink";
// libc, not node:fs: the driver is on the start path (DESIGN.md rule 6)
import { readTextFile } from "../../native-bindings/file";
import type { Logger } from "./log";
import type { KeelConfig } from "../config/model";
import type { SourceLoc } from "../config/diagnostics";
import type { Route, Rule, VirtualAddress, VrrpInstance } from "../config/vrrp/model";
import { canonicalIp, isIP } from "../base/ip";
import { staticTrackInterfaces, staticsToRestore } from "../config/vrrp/static-track";
import { emitAddress } from "../config/vrrp/net/address";
import { emitRoute } from "../config/vrrp/net/route";
import { emitRule } from "../config/vrrp/net/rule";
import { type OwnRoutes, routeGroups, routeOwner, ruleOwner, sameGroups } from "./route-events";
import { type Instance, NO_ACTIONS } from "../vrrp/instance";
import { type EngineCommand, type RxPacket, VrrpRouter } from "../vrrp/router";
import { rehearseTakeover } from "../vrrp/rehearse";
import { advertPacketsShared, encodeAhead } from "../vrrp/transmit";
import type { TrackChange } from "../vrrp/track-board";
import { TRACK_FILE_FAULT } from "../vrrp/tracking";
import type { Action } from "../vrrp/types";
import { type Hold, faultKey } from "../vrrp/cause";
import type { Event } from "../control/protocol";
import {
  type IfAddress,
  type Kernel,
  type KernelError,
  type KernelEvent,
  type KernelResult,
  type Link,
  type RxDatagram,
  type VrrpChannel,
  guardKernel,
} from "./kernel";
import { type NftPort, VipFirewall } from "./firewall";
import { firewallSettings, needsFirewall } from "./firewall-plan";
import type { GarpSend } from "../vrrp/garp-pacer";
import { GarpOut } from "./garp-out";
import { AdvertQueue } from "./advert-queue";
import { LinkDelays } from "./link-delays";
import { Linkbeat, type LinkbeatProbe } from "./linkbeat";
import { readUptime, startupDelayMs } from "./startup-delay";
import type { InstanceEvent } from "./notify";
import { Observations, observedWords } from "./observations";
import { RateLimit } from "./rate-limit";
import { OwnAddresses, logDad, usable, usableSource } from "./source-address";
import { PromoteSecondaries } from "./promote-secondaries";
import { VmacSysctls } from "./vmac-sysctl";
import { memberShare } from "./rx-bufs";
import { type PoolMember, sockpoolLines } from "./sockpool";
import { type VipPlacement, placeVips, vipKey, vmacMac } from "./vmac-addr";
import { followParent, vmacLinkLocal } from "./vmac-link-local";
import { type VmacPlan, chooseVmacName, planVmac, unusableVmacName } from "./vmac-name";
import { RxErrorEvents } from "./rx-error-events";
import { TakeoverQueue } from "./takeover-queue";
import { transitionDetailLines, transitionLines } from "./words";
import { type Explanation, describeCause, explain, localTime } from "../vrrp/explain";

/** An auth_hmac `file:` key's text (keepalived vrrp_auth_hmac_read_key_file); undefined: unreadable. */
function readKeyFile(path: string): string | undefined {
  try {
    return readTextFile(path);
  } catch {
    return undefined;
  }
}

export interface DriverOptions {
  config: KeelConfig;
  kernel: Kernel;
  log: Logger;
  /** monotonic ms (default performance.now) */
  now?: () => number;
  /** the wall clock, ms since the epoch (default Date.now): auth_hmac's sequences and window */
  wallNow?: () => number;
  /**
   * an exception inside the driver or the engine (a bug, never a kernel failure: those are
   * values), after it was caught and counted; the daemon's policy decides what follows
   * (daemon-faults.ts). Without it the driver logs it, rate-limited, and runs on.
   */
  onInternalError?: (where: string, e: unknown) => void;
  /** the timer source (default setTimeout/clearTimeout); a virtual-time test passes its own */
  timers?: Timers;
  /**
   * how soon kernel state is checked against what the engine believes after something
   * that can part them (ms, default 1000; while a retry is pending, this often)
   */
  reconcileMs?: number;
  /** -V / --dont-release-vrrp: leave VIPs and routes in place on stop */
  dontReleaseVrrp?: boolean;
  /** notify actions (scripts, FIFOs) */
  onNotify?: (n: Extract<Action, { type: "notify" }>) => void;
  /** an instance's event for the notify FIFOs and notify_master_rx_lower_pri (notify.ts) */
  onInstanceEvent?: (name: string, event: InstanceEvent, priority: number) => void;
  /** every transition, priority change, rejected packet and notification (control socket) */
  onEvent?: (e: Event) => void;
  /**
   * nf_tables for the vrrp_strict / no_accept firewall (firewall.ts), opened at first
   * use; without it (simulated kernels) no firewall is kept
   */
  nft?: () => KernelResult<NftPort>;
  /**
   * the ioctls of linkbeat polling (linkbeat.ts), opened at start when an interface is
   * polled; without it (simulated kernels) link state comes from the kernel's reports only
   */
  linkbeat?: { open: () => LinkbeatProbe; describe: (errno: number) => string };
  /**
   * where an instance's keyword was written, in the running configuration or a reload's:
   * the position keepalived prefixes to the configuration problems it reports as it reads
   * (use_vmac's ignored name)
   */
  configAt?: (instance: string, keyword: "use_vmac") => SourceLoc | undefined;
}

/** setTimeout / clearTimeout, or a virtual clock's (test/sim/fault-net.ts). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  /**
   * At `t` on performance.now()'s clock, the daemon's kernel timers (kernel-timer.ts): the
   * same mapping to CLOCK_MONOTONIC as a queued advert's (VrrpChannel.sendAt), so a
   * deadline's timer and its advert expire together. Used only with the driver's own clock.
   */
  setAtTime?(fn: () => void, t: number): unknown;
  clear(handle: unknown): void;
}

/** linux/if.h: ifi_flags of the loopback device */
const IFF_LOOPBACK = 0x8;
const RT_SCOPE_LINK = 253;
const IFA_F_NODAD = 0x02;

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Held {
  instance: string;
  address: VirtualAddress;
  ifindex: number;
  /** the kernel refused it: its absence is ours, not someone's `ip addr del` */
  refused?: boolean;
  /**
   * a `no_track` VIP someone deleted under this MASTER: keepalived neither leaves MASTER
   * (address_is_ours returns NULL for dont_track) nor sets it again until the instance's
   * next entry to MASTER, so reconcile leaves it deleted too
   */
  leftDeleted?: boolean;
}

/** A virtual route or rule whose add or delete the kernel refused: tried again by reconcile. */
interface PendingRoute {
  instance: string;
  add: boolean;
  what: string;
  run: () => KernelError | undefined;
}

/**
 * A wake-up later than its deadline by at most this is a timer's ordinary latency
 * (wakeTime). Measured (bench/runtime/advert-trace.ts, SCHED_FIFO): a kernel timer's
 * callback runs 0.3–0.6 ms after its deadline at the median, up to ~1 ms at p99 outside
 * collections.
 */
export const ON_TIME_MS = 1;

/**
 * How long before a BACKUP's Master_Down deadline the driver wakes once (arm): more than
 * the wake-up path takes cold (~1 ms: that wake-up must not itself land past the deadline),
 * little enough that what it ran is still in the CPU's caches at the deadline.
 */
export const PREWAKE_MS = 2;
/**
 * How late a timer may run its deadline, whose advert the kernel sent on time
 * (advert-queue.ts), and still give the engine the deadline as its time (onTimer): a
 * collection, a busy wake-up. Later is a stall: the engine counts from now, as wakeTime.
 * Below timer_expired_backup's least lateness (2 advert intervals of at least 10 ms:
 * VrrpRouter.checkLate), which must see a stalled engine as late.
 */
const QUEUED_LATE_MS = 10;
/** the least time left before a Master_Down deadline for its pre-wake to rehearse the takeover (rehearse) */
const REHEARSE_MIN_MS = 1;

/**
 * The engine's time for a timer that fired at `now` for deadline `due`, given `typical`,
 * the usual latency of a wake-up (WakeLatency), so that the next advert (RFC 5798 6.4.3:
 * Adver_Timer reset to Advertisement_Interval) counts from when this one would have
 * woken without the latency's variation. keepalived counts from the wake-up itself
 * (vrrp_scheduler.c: sands = time_now + adver_int), and so did this driver: every
 * interval then carried the whole signal → event loop → engine latency (0.3–0.6 ms).
 * Counting from the deadline instead (the latency taken out entirely) makes each
 * interval the difference of two latencies, which is worse when they vary more than
 * they weigh (measured without real-time scheduling under load); taking out only the
 * typical latency leaves each interval off by this wake-up's deviation from it.
 * A wake-up later than ON_TIME_MS (a collection, the machine's load) counts from itself,
 * as keepalived's, so a stall is not followed by a burst; never before the deadline (the
 * engine would find its timer not due) nor before `lastSeen`, the clock's last reading
 * the engine may have been given (its time does not run backwards); never after now.
 */
export function wakeTime(due: number, now: number, lastSeen: number, typical: number): number {
  if (!(now - due <= ON_TIME_MS)) return now;
  return Math.min(now, Math.max(due, now - typical, lastSeen));
}

/**
 * The usual latency of a timer's wake-up past its deadline: a moving average (weight
 * 1/8) of the latencies up to ON_TIME_MS, the first one taken as it is; early and later
 * wake-ups are not counted.
 */
export class WakeLatency {
  typical: number | undefined;
  /** the latency to take out of this wake-up, then learn from it */
  take(due: number, now: number): number {
    const late = now - due;
    const typical = this.typical ?? late;
    if (late >= 0 && late <= ON_TIME_MS) this.typical = typical + (late - typical) / 8;
    return typical;
  }
}

/** A VIP with the interface it goes on. */
interface VipItem {
  address: VirtualAddress;
  ifindex: number;
  ifname: string;
}

type Statics = Pick<KeelConfig, "staticIpaddresses" | "staticRoutes" | "staticRules">;

interface WantedChannel {
  ifname: string;
  family: 4 | 6;
  proto: 112 | 51;
  groups: Set<string>;
  receive: boolean;
  /** SO_RCVBUF: the receiving instances' shares (rx-bufs.ts); 0 keeps keel's default */
  rcvbuf: number;
  /** an interfaceless unicast instance's socket: bound to an address (and VRF), not to `ifname` */
  unbound?: Unbound;
  /** the instances that use it: to FAULT while an address-bound socket cannot be bound */
  users: string[];
}

/**
 * Where an interfaceless unicast instance's socket is bound (keepalived's sockpool entry
 * with no ifp: one per family, protocol, unicast_src_ip and VRF, vrrp_scheduler.c
 * already_exist_sock); `label` names it in the channel table and the logs.
 */
interface Unbound {
  label: string;
  source: string;
  vrf?: string;
}

/** The interfaces an instance uses: where its VIPs go, where adverts leave, where they arrive. */
interface InstanceIfs {
  /** the configured interface (the engine's ifname; adverts arrive here) */
  base?: string;
  /** VIPs without a dev and adverts go out here: the VMAC when use_vmac, else base */
  vipIf?: string;
  sendIf?: string;
  /** `linkLocal`: the IPv6 link-local keel gave it (vmac-link-local.ts), kept in step with base's */
  vmac?: { name: string; mac: Uint8Array; linkLocal?: string };
  /** no interface: the unicast instance's address-bound socket (sendIf is its label) */
  unbound?: Unbound;
  /** where each VIP/eVIP goes and the address VMACs it needs (vmac-addr.ts) */
  placed?: VipPlacement;
  /** the address VMACs this instance created (use_vmac_addr, a VIP's use_vmac), by name */
  addrVmacs?: Map<string, { base: string }>;
  /** its VMAC was created at set-up where no interface of that name was (no leftover) */
  vmacCreated?: true;
}

/** use_ipvlan's ADDR[/PREFIX] as an address to add (no prefix: a host address, as keepalived parses it). */
function ipvlanAddress(text: string): VirtualAddress | undefined {
  const [address = "", len] = text.split("/");
  const family = address.includes(":") ? 6 : 4;
  if (address === "") return undefined;
  return { address, family, prefix: len === undefined ? (family === 4 ? 32 : 128) : Number(len) };
}

/**
 * `devOf` without the addresses whose interface is what vipDev falls back to (their `dev`,
 * else the instance's vipIf): most instances' VIPs are on the instance's own interface,
 * and a Map per instance for them was ~300 bytes of hash table each (issue 20). None left:
 * the one shared empty Map (nothing writes it).
 */
function exceptDefaults(
  devOf: ReadonlyMap<string, string>,
  v: VrrpInstance,
  vipIf: string | undefined,
): ReadonlyMap<string, string> {
  let out: Map<string, string> | undefined;
  for (const va of [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]) {
    const key = vipKey(va);
    const dev = devOf.get(key);
    if (dev === undefined || dev === (va.dev ?? vipIf)) continue;
    out ??= new Map();
    out.set(key, dev);
  }
  return out ?? NO_DEVS;
}
const NO_DEVS: ReadonlyMap<string, string> = new Map();

/** The same addresses (the config's records) on the same interfaces, in the same order. */
function sameItems(a: readonly VipItem[], b: readonly VipItem[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.address !== y.address || x.ifindex !== y.ifindex || x.ifname !== y.ifname) return false;
  }
  return true;
}

/** The interface a VIP/eVIP goes on: as placed at set-up, else its dev, else the instance's. */
function vipDev(ifs: InstanceIfs | undefined, va: VirtualAddress): string | undefined {
  return ifs?.placed?.devOf.get(vipKey(va)) ?? va.dev ?? ifs?.vipIf;
}

interface WantedChannel {
  ifname: string;
  family: 4 | 6;
  proto: 112 | 51;
  groups: Set<string>;
  receive: boolean;
}

/** A reload computed before anything changes (VrrpDriver.prepareReload). */
export interface ReloadPlan {
  readonly config: KeelConfig;
  readonly next: VrrpRouter;
  /** instances whose interfaces are set up by the reload (new, or new under this name) */
  readonly added: VrrpInstance[];
}

/** Applied (with what failed after the swap), or refused with the old router still running. */
export type ReloadResult = { applied: true; errors: string[] } | { applied: false; error: Error };

export class VrrpDriver {
  router: VrrpRouter;
  private readonly kernel: Kernel;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly channels = new Map<string, VrrpChannel>();
  private readonly linksByName = new Map<string, Link>();
  private readonly linksByIndex = new Map<number, Link>();
  private addrs: IfAddress[] = [];
  private readonly ifs = new Map<string, InstanceIfs>();
  /** what the engine believes installed: its MASTERs' VIPs, keyed `ifindex|address/prefix` */
  private readonly held = new Map<string, Held>();
  /** VIPs removed (del-vips) that the kernel may still have: deleted again until gone */
  private readonly releasing = new Map<string, Held>();
  /** virtual routes and rules the kernel refused, by `instance|route|...` */
  private readonly pendingRoutes = new Map<string, PendingRoute>();
  /**
   * The instances' virtual routes and rules set (keepalived's route->set / rule->set), by
   * the key runRouteJobs gives them: set by an add the kernel took (EEXIST too), unset by
   * a delete (refused or not) and by a deletion netlink reports (netlink_route_filter).
   * Only these are deleted on leaving MASTER (netlink_rtlist without force).
   */
  private readonly routesSet = new Set<string>();
  private readonly vmacs = new Map<string, number>();
  /** at start, until the instances are set up: "Assigned address" lines not yet written (seedOwnAddresses) */
  private startLines?: Map<string, string[]>;
  /** garp_extra_if: when each MASTER's next GARPs on its extra interfaces are due */
  private readonly extraGarpAt = new Map<string, number>();
  /** a transition's event, held until the instance's addresses are in (transition) */
  private heldEvent: (() => void) | undefined;
  /**
   * A transition to MASTER, held whole (its bookkeeping and log lines) until just after its
   * VIPs' netlink request is sent (applyVips), or before any other action or line
   * (flushLines): see transition()
   */
  private heldLines: { instance: string; write: () => void } | undefined;
  /** GARP/NA pacing (vrrp_garp_interval, vrrp_gna_interval, garp_group) */
  private readonly garps: GarpOut;
  /** interface_up_down_delays: link changes that count only after a delay (link-delays.ts) */
  private readonly delays: LinkDelays;
  /** linkbeat_interfaces / linkbeat_use_polling: link state polled by ioctl (linkbeat.ts) */
  private readonly linkbeat: Linkbeat;
  private readonly timers: Timers;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  /** the engine's deadline the armed timer serves (timerAt: when it fires, up to PREWAKE_MS before) */
  private timerDeadline = Number.POSITIVE_INFINITY;
  /** the clock's last reading given out (this.now): the engine's time never runs backwards */
  private lastNow = Number.NEGATIVE_INFINITY;
  /** each MASTER's next advert, queued in the kernel to leave at its deadline (advert-queue.ts) */
  private readonly adverts = new AdvertQueue(
    (inst) => this.advertRoute(inst),
    (instance, dst, e) =>
      this.failed(
        e,
        `tx:${instance}`,
        `(${instance}) cannot send advert to ${dst} on ${this.ifs.get(instance)?.sendIf}`,
      ),
  );
  /** a BACKUP's VIPs, queued in the kernel at its deadline's pre-wake to go in at the deadline (takeover-queue.ts) */
  private readonly takeover: TakeoverQueue<VipItem>;
  /** the engine's time in the timer's fire (onTimer), for adverts.sent; −Infinity outside one */
  private firingAt = Number.NEGATIVE_INFINITY;
  /** advertRoute's answer, one record rewritten per call */
  private readonly routeOut: { ch: VrrpChannel; src: string } = { ch: undefined as unknown as VrrpChannel, src: "" };
  /** the timer's usual wake-up latency, taken out of the engine's time at a timeout (wakeTime) */
  private readonly wakeLatency = new WakeLatency();
  /** the timer's callback, made once: a closure per re-arm was garbage at every advert (issue 20) */
  private readonly onTimerFired = () => this.onTimer();
  private reconcileTimer: unknown;
  /** something since the last reconcile pass that a pass answers (wantReconcile) */
  private reconcileWanted = false;
  private readonly reconcileMs: number;
  private unwatch: (() => void) | undefined;
  /** the route and rule groups the watch joined (route-events.ts routeGroups) */
  private watchedGroups: RouteGroups | undefined;
  /** the link or address table could not be read, or netlink lost events: read again */
  private tablesStale = false;
  /** address events read since the last settleAddrs (sources to check; VIPs too) */
  private addrsDirty = false;
  private restoreDirty = false;
  private settlingAddrs = false;
  /** start() found the kernel's tables unreadable: the engine starts once they are read */
  private deferredStart = false;
  /** startEngine ran: tracker changes from here on are changes, not the first reads */
  private engineStarted = false;
  /** the last source (or why none) logged per instance: refreshSources logs changes only */
  private readonly sourceWords = new Map<string, string>();
  /** keepalived's own address per interface and family, for its -D "Assigned/Deassigned address" lines */
  private readonly own = new OwnAddresses();
  /** `IFNAME|ADDRESS` of every VIP/eVIP by the interface it goes on (and the base of a VMAC): oursOn */
  private oursCache: Set<string> | undefined;
  private readonly promote: PromoteSecondaries;
  /** IPv4 VMACs' and their parents' arp/rp_filter settings (vmac-sysctl.ts) */
  private readonly vmacSysctls: VmacSysctls;
  private readonly limit = new RateLimit(10_000);
  /** rx-error events for the control socket: one per kind per second, with a count */
  private readonly rxErrors: RxErrorEvents;
  private stopped = false;
  /** packets dropped before the engine (unknown interface, socket errors) */
  readonly dropped: Record<string, number> = {};
  /** the datagram being handed to the engine (advert()), one record for all of them */
  private readonly rxPacket: RxPacket = { ifname: "", via: "interface", family: 4, data: new Uint8Array(0) };
  /** [wire] dual masters and foreign adverts seen, for status, metrics and explain (observations.ts) */
  readonly observations = new Observations();
  /** transitions by instance, then "TO REASON" (metrics.ts keel_vrrp_transitions_total); kept across reloads */
  readonly transitions = new Map<string, Map<string, number>>();
  /** failed kernel calls by operation ("vip-add", "send", ...); "internal": exceptions caught */
  readonly kernelErrors: Record<string, number> = {};
  /** the VIP drop rules of strict / no_accept instances (keepalived's vrrp_nftables.c) */
  private readonly firewall?: VipFirewall;

  constructor(private opts: DriverOptions) {
    // keepalived reads the nftables settings at start only: a reload that changes them changes nothing
    if (opts.nft) this.firewall = new VipFirewall(firewallSettings(opts.config), opts.nft);
    this.kernel = guardKernel(opts.kernel);
    this.log = opts.log;
    this.takeover = new TakeoverQueue(this.kernel, (instance, items, results) =>
      this.undoTakeover(instance, items, results),
    );
    this.promote = new PromoteSecondaries(this.kernel, (e, ifname) =>
      this.failed(e, `promote:${ifname}`, `cannot set promote_secondaries on ${ifname}`),
    );
    this.vmacSysctls = new VmacSysctls(this.kernel, this.log, () => this.linksByName.keys());
    const clock = opts.now ?? (() => performance.now());
    this.now = () => {
      this.lastNow = clock();
      return this.lastNow;
    };
    this.wallNow = opts.wallNow ?? (() => Date.now());
    this.timers = opts.timers ?? realTimers;
    this.reconcileMs = opts.reconcileMs ?? 1000;
    this.rxErrors = new RxErrorEvents(
      (e) => this.opts.onEvent?.(e),
      () => this.now(),
    );
    this.garps = new GarpOut(
      this.timers,
      () => this.now(),
      (sends) => this.guard("the GARP queue", () => this.sendPaced(sends)),
      (instance, address) => this.announcing(instance, address),
    );
    this.garps.configure(opts.config);
    this.delays = new LinkDelays(this.timers, this.log, (name, up, flags) =>
      this.guard("a delayed link change", () => this.settleLink(name, up, flags)),
    );
    this.delays.configure(opts.config);
    this.linkbeat = new Linkbeat({
      timers: this.timers,
      log: this.log,
      open: () => (opts.linkbeat as NonNullable<DriverOptions["linkbeat"]>).open(),
      describe: (e) => opts.linkbeat?.describe(e) ?? `errno ${e}`,
      onChange: (name, up) => this.guard("a linkbeat poll", () => this.settleLink(name, up, undefined)),
    });
    this.refreshLinks();
    this.refreshAddrs();
    this.router = this.newRouter(opts.config);
  }

  private newRouter(config: KeelConfig): VrrpRouter {
    const r = new VrrpRouter(config, {
      interfaceAddress: (ifname, family) => this.interfaceAddress(ifname, family),
      readKeyFile,
      // pump sends every advert as it executes it, before the instance's next (issue 20)
      reuseAdverts: true,
    });
    r.onTouch = this.adverts.onTouch;
    return r;
  }

  /**
   * Watch the kernel, then start the engine: set up VMACs and sockets, report link
   * states, clean stale VIPs. keepalived reads the link and address tables before any
   * instance runs (vrrp_daemon.c start_vrrp: netlink_interface_lookup, netlink_address_lookup):
   * without them the engine has no source address and no link states, so if a dump or
   * the netlink subscription failed, the engine starts at the reconcile that gets them.
   */
  start(): void {
    this.startWatch();
    this.wantReconcile();
    if (this.tablesStale || !this.unwatch) {
      this.deferredStart = true;
      this.log.warn("cannot read the kernel's interfaces and addresses yet: VRRP starts once they are read");
      return;
    }
    this.startEngine();
  }

  private startEngine(): void {
    this.deferredStart = false;
    this.engineStarted = true;
    const config = this.opts.config;
    // keepalived says these as it reads the configuration, before any instance is set up
    for (const v of Object.values(config.vrrpInstances)) this.vmacNameIgnored(v);
    this.startLines = this.firstAddressLines();
    this.joinInterfaces(config, (v) => this.ifs.set(v.name, this.setupInterfaces(v)));
    this.oursCache = undefined;
    this.seedOwnAddresses();
    // keepalived writes its socket pool (dump_sock_list) in vrrp_dispatcher_init, after
    // vrrp_init_state's "(init)" lines: no line as a socket opens, the dump after the first pump
    this.quietOpens = true;
    this.openChannels();
    this.quietOpens = false;
    this.startLinkbeat();
    const now = this.now();
    // the engine learns the link state of every interface before the first election.
    // No "Netlink reports X down" for one down at start: keepalived 2.2.7 writes that
    // line only when a link's flags change (keepalived_netlink.c
    // process_interface_flags_change); the start-up dump (netlink_if_link_filter) stores
    // the flags first, so update_interface_flags sees no change. The cause line
    // "(X): entering FAULT state (interface Y down)" (startFaultLines) is all it writes.
    for (const name of this.trackedInterfaces()) {
      const link = this.linksByName.get(name);
      if (link?.up) continue;
      // keepalived if_get_by_ifname with dynamic_interfaces (the loader refuses a missing one without)
      if (!link)
        this.log.info(`Configuration specifies interface ${name} which doesn't currently exist - will use if created`);
      this.router.handleTrack({ kind: "interface", name, up: false }, now);
    }
    this.refreshSources(now);
    this.startFaultLines();
    this.applyPromoteSecondaries();
    // keepalived vrrp_daemon.c start_vrrp: "Set static entries", before any election
    this.staticEntries("add");
    const delayMs = startupDelayMs(config.globalDefs, readUptime());
    if (delayMs > 0) this.log.info(`Delaying startup for ${delayMs / 1000} seconds`);
    this.router.start(now, delayMs, this.noStartClear());
    this.pump();
    // dump_sock_list only with -D (LOG_DETAIL_BIT): keel's debug level
    this.dumpSockpool();
  }

  /**
   * keepalived's lines for the instances that start in FAULT, before any instance starts
   * (at a daemon's start and at a reload's, for the instances the router starts afresh):
   * - vrrp_track.c initialise_tracking_priorities, the cause: interfaces first (each down
   *   interface in the kernel's order, then the instances tracking it), "(%s): entering
   *   FAULT state (interface %s down)"; then track files, "(%s): entering FAULT state
   *   (tracked file %s has status %i)"; then track processes, "(%s) entering FAULT state
   *   (tracked process %s quorum not achieved)"; then each instance: "(%s) entering FAULT
   *   state (no IPv%d address for interface)", "(%s): entering FAULT state due to script
   *   %s" (a script failed at start: init_fail), and for the first faulted member of a
   *   sync group "VRRP_Group(%s): Syncing %s to FAULT state";
   * - vrrp.c vrrp_complete_init: "(%s) entering FAULT state" for every instance in FAULT
   *   or in a group in FAULT, in configuration order, except at a reload for one that was
   *   in FAULT already. vrrp_init_state then writes no "(init)" line for those (words.ts).
   * A weight-0 script not run yet (num_script_init) is no fault here and writes nothing.
   * `prev`: the router a reload replaces.
   */
  private startFaultLines(prev?: VrrpRouter): void {
    const router = this.router;
    const all = [...router.instances.values()];
    const fresh = all.filter((i) => i.state === "INIT");
    // at a reload keepalived runs initialise_tracking_priorities over every instance, the
    // ones running on included (a failing weight-0 script among them: its init_state is
    // no longer INIT, so "due to script" is written too)
    const causes = prev ? all : fresh;
    // an interfaceless instance's missing unicast_src_ip (address fault on "", openUnbound)
    // is keepalived's open_sockpool_socket, after vrrp_complete_init: its own line
    // "(%s): entering FAULT state (src address not configured)" is all it writes
    const real = (i: (typeof all)[number]) =>
      i.faultList().filter((f) => f.kind !== "init" && !(f.kind === "address" && f.name === ""));
    const by = (kind: string, i: (typeof all)[number]) => real(i).filter((f) => f.kind === kind);
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex ?? Number.MAX_SAFE_INTEGER;
    const downIfs = [...new Set(causes.flatMap((i) => by("interface", i).map((f) => f.name)))];
    downIfs.sort((a, b) => ifindexOf(a) - ifindexOf(b));
    for (const ifname of downIfs)
      for (const i of causes)
        if (by("interface", i).some((f) => f.name === ifname))
          this.log.info(`(${i.name}): entering FAULT state (interface ${ifname} down)`);
    const config = this.opts.config;
    for (const file of Object.keys(config.trackFiles))
      for (const i of causes) {
        if (!by("file", i).some((f) => f.name === file)) continue;
        // vrrp_track.c: weight 0 counts as -254; else value × weight, negated by `reverse`
        const status = router.board.fileStatus(i.name, file) ?? -254;
        this.log.info(`(${i.name}): entering FAULT state (tracked file ${file} has status ${status})`);
      }
    for (const proc of Object.keys(config.vrrpTrackProcesses))
      for (const i of causes)
        if (by("process", i).some((f) => f.name === proc))
          this.log.info(`(${i.name}) entering FAULT state (tracked process ${proc} quorum not achieved)`);
    const groupsFaulted = new Set<string>();
    const groupOf = new Map<string, string>();
    for (const g of Object.values(config.vrrpSyncGroups))
      for (const m of g.group) if (!groupOf.has(m)) groupOf.set(m, g.name);
    for (const i of causes) {
      if (by("address", i).length > 0)
        this.log.info(`(${i.name}) entering FAULT state (no IPv${i.p.family} address for interface)`);
      for (const f of by("script", i)) this.log.info(`(${i.name}): entering FAULT state due to script ${f.name}`);
      const g = groupOf.get(i.name);
      if (g === undefined || real(i).length === 0 || groupsFaulted.has(g)) continue;
      groupsFaulted.add(g);
      this.log.info(`VRRP_Group(${g}): Syncing ${i.name} to FAULT state`);
    }
    // a member running on at a reload (adopted, not restarted) with a fault holds its group too
    for (const i of router.instances.values()) {
      const g = groupOf.get(i.name);
      if (g !== undefined && i.state !== "INIT" && real(i).length > 0) groupsFaulted.add(g);
    }
    for (const i of fresh) {
      const g = groupOf.get(i.name);
      if (real(i).length === 0 && (g === undefined || !groupsFaulted.has(g))) continue;
      if (prev?.instances.get(i.name)?.state === "FAULT") continue;
      this.log.info(`(${i.name}) entering FAULT state`);
    }
  }

  /** static_ipaddress / static_routes / static_rules: on the host for the daemon's lifetime. */
  private staticEntries(op: "add" | "del", c: Statics = this.opts.config): void {
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    const addrs = () => {
      for (const a of c.staticIpaddresses) {
        // keepalived vrrp_ipaddress.c: a static address without `dev` goes on default_interface (eth0)
        const dev = a.dev ?? this.opts.config.globalDefs.defaultInterface;
        const ifindex = ifindexOf(dev);
        if (ifindex === undefined) {
          this.log.error(
            `static_ipaddress ${a.address}: no interface ${dev}${a.dev === undefined ? " (default_interface)" : ""}`,
          );
          continue;
        }
        const err = this.kernel.vip(op, a, ifindex);
        const what = `static address ${a.address}/${a.prefix}`;
        if (err) this.failed(err, `static:${a.address}`, `cannot ${op === "add" ? "add" : "remove"} ${what}`);
      }
    };
    const routes = () => {
      for (const r of c.staticRoutes) {
        const err = this.kernel.route(op, r, ifindexOf);
        if (err) this.failed(err, `static:${r.dst}`, `cannot ${op === "add" ? "add" : "remove"} static route ${r.dst}`);
      }
    };
    const rules = () => {
      for (const r of c.staticRules) {
        const err = this.kernel.rule(op, r);
        if (err) this.failed(err, "static:rule", `cannot ${op === "add" ? "add" : "remove"} static rule`);
      }
    };
    // addresses before the routes that use them; removal in the reverse order (keepalived)
    if (op === "add") {
      addrs();
      routes();
      rules();
    } else {
      rules();
      routes();
      addrs();
    }
  }

  /** SIGTERM: priority-0 adverts, VIPs/routes/rules and VMACs removed. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // nothing the kernel holds may leave after the priority-0 adverts
    this.adverts.cancelAll();
    this.takeover.cancel();
    this.guard("stop", () => this.router.handleCommand({ type: "stop" }, this.now()));
    this.pump();
    // keepalived vrrp_terminate_phase2: "Clear static entries"
    this.staticEntries("del");
    this.rxErrors.flush();
    if (this.timer !== undefined) this.timers.clear(this.timer);
    if (this.reconcileTimer !== undefined) this.timers.clear(this.reconcileTimer);
    this.timer = this.reconcileTimer = undefined;
    this.garps.stop();
    this.delays.stop();
    this.linkbeat.stop();
    this.unwatch?.();
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
    // keepalived shutdown_vrrp_instances: restore_rp_filter, then the VMACs
    if (!this.opts.dontReleaseVrrp) this.vmacSysctls.restoreRpFilter();
    for (const [name, ifindex] of this.vmacs) this.deleteVmac(name, ifindex);
    this.vmacs.clear();
    // keepalived vrrp_terminate_phase2 firewall_fini: the tables go, also with --dont-release-vrrp
    const err = this.firewall?.stop();
    if (err) this.failed(err, "firewall:stop", "cannot delete the firewall tables");
    this.promote.release();
  }

  /**
   * The instances keepalived 2.2.7 does not clear at start (vrrp_restore_interfaces_startup
   * covers only those with vipset, set by vrrp_complete_instance when the interface existed
   * before and has an ifindex): a VMAC created now, an interface that does not exist.
   */
  private noStartClear(): Set<string> {
    const out = new Set<string>();
    for (const [name, ifs] of this.ifs) {
      const dev = ifs.vipIf ?? ifs.base;
      if (ifs.vmacCreated || (dev !== undefined && !this.linksByName.has(dev))) out.add(name);
    }
    return out;
  }

  /** promote_secondaries on the interfaces of the instances that ask for it (not VMACs: those have it from birth) */
  private applyPromoteSecondaries(): void {
    const want: string[] = [];
    for (const v of Object.values(this.opts.config.vrrpInstances))
      if (v.promoteSecondaries && !v.useVmac && v.interface !== undefined && this.linksByName.has(v.interface))
        want.push(v.interface);
    this.promote.want(want);
  }

  private deleteVmac(name: string, ifindex: number): void {
    // netlink_link_del_vmac: the parent's arp settings first, then the link
    this.vmacSysctls.removed(name);
    const err = this.kernel.deleteLink(ifindex);
    if (err) this.failed(err, `vmac:${name}`, `Failed to delete VMAC ${name}`);
    else {
      this.firewallVmacGone(name, ifindex);
      // vrrp_vmac.c netlink_link_del_vmac, with -D
      const holder = [...this.ifs].find(([, i]) => i.vmac?.name === name || !!i.addrVmacs?.has(name))?.[0];
      if (holder !== undefined) this.log.debug(`(${holder}) Success removing VMAC interface ${name}`);
    }
  }

  /**
   * keepalived netlink_link_add_vmac → firewall_add_vmac: a new VMAC's IGMP/MLD reports
   * leave by its base interface and its router solicitations are dropped (firewall-plan.ts
   * addVmac); for IPv4 not with disable_local_igmp.
   */
  private firewallVmac(v: VrrpInstance, family: 4 | 6, vmac: { ifindex: number; base: number }): void {
    const fw = this.firewall;
    if (!fw || (family === 4 && this.opts.config.globalDefs.disableLocalIgmp)) return;
    const other = v.virtualIpaddressExcluded.some((a) => a.family !== family);
    const err = fw.addVmac(vmac, other ? [family, family === 4 ? 6 : 4] : [family]);
    if (err)
      this.failed(err, `firewall:vmac:${vmac.ifindex}`, `(${v.name}) cannot set the firewall rules for its VMAC`);
  }

  /** keepalived netlink_link_del_vmac → firewall_remove_vmac */
  private firewallVmacGone(name: string, ifindex: number): void {
    const err = this.firewall?.removeVmac(ifindex);
    if (err) this.failed(err, `firewall:vmac:${ifindex}`, `cannot remove VMAC ${name} from the firewall`);
  }

  /**
   * SIGHUP, step 1 of 2 (the daemon's reload transaction, DESIGN.md "The daemon"): the
   * new router built from a configuration that passed every check, and the instances
   * whose interfaces must be set up. Nothing running is touched; a throw here leaves the
   * driver as it was.
   */
  prepareReload(config: KeelConfig): ReloadPlan {
    if (this.stopped) throw new Error("the VRRP driver has stopped");
    const oldConfig = this.opts.config;
    const added = Object.values(config.vrrpInstances).filter(
      (v) => !this.ifs.has(v.name) || !oldConfig.vrrpInstances[v.name],
    );
    const next = this.newRouter(config);
    return { config, next, added };
  }

  /**
   * SIGHUP, step 2 of 2. First what can fail and be undone: the new instances' VMACs
   * and every VRRP socket the new router needs. If any of that fails, it is undone and
   * the old router runs on untouched (`applied: false`). Then the swap, which the kernel
   * cannot refuse: the new router takes over the running one (src/vrrp/router.ts
   * takeOver): unchanged instances run on untouched, changed masters stay MASTER, removed
   * instances stop, added ones start; VIPs a changed master no longer has are removed;
   * static entries follow the new configuration. Last, removed instances' VMACs are
   * deleted: only after their priority-0 adverts left through them, so a failure there
   * is reported in `errors` with the new configuration running. A throw out of this
   * method happened mid-swap: the driver's state is unknown.
   */
  commitReload(plan: ReloadPlan): ReloadResult {
    if (this.deferredStart) {
      // nothing runs yet (the kernel's tables are still unread): the engine starts with this
      this.opts = { ...this.opts, config: plan.config };
      this.router = plan.next;
      this.followRouteGroups();
      return { applied: true, errors: [] };
    }
    // the old config's records: the new ones are laid out once the reload is in (readyTakeovers)
    this.takeovers.clear();
    const undo: (() => void)[] = [];
    let ifs: Map<string, InstanceIfs>;
    // keepalived rebuilds its whole socket pool at a reload and dumps it once the reload's
    // lines are out (vrrp_dispatcher_init, queued by start_vrrp): no line as a socket opens
    this.quietOpens = true;
    try {
      try {
        ifs = this.acquire(plan, undo);
      } catch (e) {
        for (const u of undo.reverse()) {
          try {
            u();
          } catch (e2) {
            this.log.error(`reload: undoing a step failed: ${(e2 as Error).stack ?? e2}`);
          }
        }
        return { applied: false, error: e as Error };
      }
      const errors = this.swap(plan, ifs);
      this.dumpSockpool();
      for (const inst of this.router.instances.values()) if (inst.state === "BACKUP") this.toReady.add(inst.name);
      this.readyTakeovers();
      return { applied: true, errors };
    } finally {
      this.quietOpens = false;
    }
  }

  /**
   * keepalived's dump_sock_list with -D (vrrp_scheduler.c vrrp_dispatcher_init, at a
   * reload as at start): keepalived's pool worked out from the instances (sockpool.ts),
   * in the order they first need an entry, whatever keel's own sockets are.
   */
  private dumpSockpool(): void {
    const members: PoolMember[] = [];
    for (const inst of this.router.instances.values()) {
      const p = inst.p;
      const ifs = this.ifs.get(p.name);
      if (!ifs?.base && !ifs?.unbound) continue;
      const family = p.family;
      const source = p.source ?? (family === 4 ? "0.0.0.0" : "::");
      members.push({
        family,
        proto: p.auth?.type === "AH" ? 51 : 112,
        ifname: ifs.unbound ? undefined : ifs.sendIf,
        mcastGroup: p.mcastGroup,
        ...(p.unicast ? { unicastSrc: source } : {}),
        ...(ifs.unbound ? { bound: { source: ifs.unbound.source, vrf: ifs.unbound.vrf } } : {}),
      });
    }
    const lines = sockpoolLines(members, (name) => this.linksByName.get(name)?.ifindex);
    for (const line of lines) this.log.debug(line);
  }

  /**
   * A reload's "Assigned address A for interface I" lines (-D), as keepalived 2.2.7 writes
   * them: reset_interface_queue empties every interface's tracking list and keeps its
   * addresses (no new netlink dump at a reload), then each interface's own address of each
   * family (sin_addr, sin6_addr: OwnAddresses) goes out as it joins an instance again
   * (joinInterfaces, as at a start).
   */
  private reloadAddressLines(): Map<string, string[]> {
    const lines = new Map<string, string[]>();
    for (const [name, link] of this.linksByName) {
      const own = [this.own.ownOf(link.ifindex, 4), this.own.ownOf(link.ifindex, 6)];
      const list = own.flatMap((a) => (a === undefined ? [] : [`Assigned address ${a} for interface ${name}`]));
      if (list.length > 0) lines.set(name, list);
    }
    return lines;
  }

  /** The fallible half of a reload; each step pushes its undo. Throws on the first failure. */
  private acquire(plan: ReloadPlan, undo: (() => void)[]): Map<string, InstanceIfs> {
    const fresh = new Map<string, InstanceIfs>();
    // the VMACs made from here on (the instance's own and its address VMACs) go on an undo
    const before = new Set(this.vmacs.keys());
    undo.push(() => {
      for (const [name, ifindex] of this.vmacs) {
        if (before.has(name)) continue;
        this.vmacs.delete(name);
        this.deleteVmac(name, ifindex);
      }
      this.refreshLinks();
    });
    this.startLines = this.reloadAddressLines();
    try {
      this.joinInterfaces(plan.config, (v) => {
        if (plan.added.includes(v)) {
          fresh.set(v.name, this.setupInterfaces(v, true, plan.config, new Map([...this.ifs, ...fresh])));
          return;
        }
        if (v.interface !== undefined) this.startAddressLines(v.interface);
        const vmac = this.ifs.get(v.name)?.vmac?.name;
        if (vmac !== undefined) this.startAddressLines(vmac);
      });
    } finally {
      this.startLines = undefined;
    }
    const all = new Map([...this.ifs, ...fresh]);
    for (const [key, w] of this.wantedChannels(plan.next, all)) {
      if (this.channels.has(key) || !this.linksByName.has(w.ifname)) continue;
      const r = this.openChannel(key, w);
      if (!r.ok) throw new Error(`cannot open ${socketName(w)}: ${r.error.message}`);
      this.channels.set(key, r.value);
      undo.push(() => {
        this.channels.get(key)?.close();
        this.channels.delete(key);
      });
    }
    return fresh;
  }

  /** The half of a reload the kernel cannot refuse; returns what failed after the swap. */
  private swap(plan: ReloadPlan, fresh: Map<string, InstanceIfs>): string[] {
    const { config, next } = plan;
    const now = this.now();
    const old = this.router;
    this.wantReconcile(); // instances, VIPs and interfaces change under the pass
    const oldConfig = this.opts.config;
    for (const [name, ifs] of fresh) this.ifs.set(name, ifs);
    this.oursCache = undefined;
    // a changed master keeps the VIPs it still has; the ones it lost go now
    for (const inst of next.instances.values()) {
      const before = old.instances.get(inst.name);
      if (before?.state !== "MASTER") continue;
      const keep = new Set(inst.p.vips.map((v) => `${v.address}/${v.prefix}`));
      const lost = before.p.vips.filter((v) => !keep.has(`${v.address}/${v.prefix}`));
      if (lost.length > 0)
        this.applyVips({
          type: "del-vips",
          instance: inst.name,
          ifname: before.p.ifname,
          addresses: lost,
          excluded: [],
          routes: [],
          rules: [],
        });
    }
    // keepalived clear_diff_static_*: only what changed comes and goes
    const minus = <T>(a: T[], b: T[]) => a.filter((x) => !b.some((y) => JSON.stringify(x) === JSON.stringify(y)));
    const diff = (x: KeelConfig, y: KeelConfig): Statics => ({
      staticIpaddresses: minus(x.staticIpaddresses, y.staticIpaddresses),
      staticRoutes: minus(x.staticRoutes, y.staticRoutes),
      staticRules: minus(x.staticRules, y.staticRules),
    });
    this.staticEntries("del", diff(oldConfig, config));
    this.staticEntries("add", diff(config, oldConfig));
    this.opts = { ...this.opts, config };
    this.followRouteGroups();
    this.garps.configure(config);
    this.delays.configure(config);
    this.startLinkbeat();
    // the new router's instances: their next adverts are queued again after its first pump
    this.adverts.cancelAll();
    this.takeover.cancel();
    const gone = next.takeOver(old, now);
    this.router = next;
    this.adverts.touchAll(next.instances.values());
    // a removed master's priority-0 advert (keepalived clear_diff_vrrp:
    // vrrp_restore_interface(vrrp, true, ...)) goes out with its own parameters
    this.retiring = old;
    this.openChannels();
    this.sourceWords.clear();
    this.refreshSources(now);
    this.startFaultLines(old);
    this.applyPromoteSecondaries();
    next.start(now);
    this.pump();
    this.retiring = undefined;
    this.firewallFollow();
    return this.releaseVmacs(gone);
  }

  /** Removed instances' VMACs (keepalived deletes them when the instance goes). */
  private releaseVmacs(gone: string[]): string[] {
    const errors: string[] = [];
    const held = (i: InstanceIfs, n: string) => i.vmac?.name === n || !!i.addrVmacs?.has(n);
    for (const name of gone) {
      const ifs = this.ifs.get(name);
      this.ifs.delete(name);
      this.oursCache = undefined;
      for (const vmac of [...(ifs?.vmac ? [ifs.vmac.name] : []), ...(ifs?.addrVmacs?.keys() ?? [])]) {
        const ifindex = this.vmacs.get(vmac);
        // a VMAC whose name an added instance took over is that instance's now
        if (ifindex === undefined || [...this.ifs.values()].some((i) => held(i, vmac))) continue;
        this.vmacs.delete(vmac);
        // netlink_link_del_vmac: the parent's arp settings first, then the link
        this.vmacSysctls.removed(vmac);
        const err = this.kernel.deleteLink(ifindex);
        if (!err) {
          this.firewallVmacGone(vmac, ifindex);
          continue;
        }
        const line = `(${name}) Failed to delete VMAC ${vmac}: ${err.message}`;
        this.failed(err, `vmac:${vmac}`, `(${name}) Failed to delete VMAC ${vmac}`);
        errors.push(line);
      }
    }
    return errors;
  }

  /** A tracker's new result (a vrrp_script run, a track_file value, ...). */
  track(change: TrackChange): void {
    if (this.stopped) return;
    // before the engine starts, the first reads are keepalived's init_track_files (no lines)
    const moves =
      change.kind === "file" && this.engineStarted ? this.router.board.fileMoves(change.name, change.value) : [];
    this.guard("a tracker result", () => this.router.handleTrack(change, this.now()));
    if (change.kind === "file") this.fileLines(change.name, moves);
    this.pump();
  }

  /**
   * track_file.c process_update_vrrp_track_file_status's -D lines (LOG_DETAIL_BIT: keel's
   * debug level) for each instance whose status moved, before the state lines the move
   * causes (down_instance, try_up_instance): "(%s): tracked file %s now FAULT state" at
   * -254; leaving -254, "(%s): tracked file %s leaving FAULT state" and, for a weighted file
   * with a non-zero status, "(%s) Setting effective priority to %d".
   */
  private fileLines(file: string, moves: ReturnType<VrrpRouter["board"]["fileMoves"]>): void {
    for (const { instance, previous, next } of moves) {
      if (next === TRACK_FILE_FAULT) this.log.debug(`(${instance}): tracked file ${file} now FAULT state`);
      else if (previous === TRACK_FILE_FAULT) {
        this.log.debug(`(${instance}): tracked file ${file} leaving FAULT state`);
        const inst = this.router.instances.get(instance);
        if (next !== 0 && inst) this.log.debug(`(${instance}) Setting effective priority to ${inst.effectivePriority}`);
      }
    }
  }

  /** The `garp` command: one more GARP/NA burst from a master (`rounds`: D-Bus SendGarp's 1). */
  sendGarp(instance: string, rounds?: number): void {
    this.guard("the garp command", () => this.router.handleCommand({ type: "garp", instance, rounds }, this.now()));
    this.pump();
  }

  /** An SNMP set's change to an instance (src/snmp/write-vrrp.ts, through operations.ts). */
  set(cmd: Extract<EngineCommand, { type: "base-priority" | "preempt" }>): void {
    this.guard("an SNMP set", () => this.router.handleCommand(cmd, this.now()));
    this.pump();
  }

  /** An operator's hold set or released (keel switchover / maintenance; cause.ts Hold). */
  hold(instance: string, hold: Hold, on: boolean): void {
    this.guard("an operator's hold", () => this.router.handleCommand({ type: "hold", instance, hold, on }, this.now()));
    this.pump();
  }

  // ---------------------------------------------------------------------------
  // interfaces and sockets

  private refreshLinks(): void {
    const r = this.kernel.links();
    if (!r.ok) {
      this.tablesStale = true;
      this.failed(r.error, "links", "cannot read the interfaces; trying again");
      return;
    }
    const before = new Map(this.linksByName);
    this.linksByName.clear();
    this.linksByIndex.clear();
    for (const read of r.value) {
      // a delayed change still waits: the state that stands is the one before it
      const old = before.get(read.name);
      let l = old && this.delays.isPending(read.name) ? { ...read, up: old.up, flags: old.flags } : read;
      if (this.linkbeat.polls(read.name)) l = { ...read, up: this.linkbeat.up(read.name) };
      this.delays.noteState(l.name, l.up);
      this.linksByName.set(l.name, l);
      this.linksByIndex.set(l.ifindex, l);
    }
  }

  private refreshAddrs(): void {
    const r = this.kernel.addresses();
    if (r.ok) this.addrs = r.value;
    else {
      this.tablesStale = true;
      this.failed(r.error, "addresses", "cannot read the addresses; trying again");
    }
  }

  private trackedInterfaces(): Set<string> {
    const names = new Set<string>();
    for (const v of Object.values(this.opts.config.vrrpInstances)) {
      if (v.interface !== undefined) names.add(v.interface);
      for (const t of v.trackInterfaces) names.add(t.name);
      for (const n of staticTrackInterfaces(this.opts.config, this.opts.config.globalDefs.defaultInterface, v.name))
        names.add(n);
    }
    return names;
  }

  /**
   * `track_src_ip`, as keepalived.conf(5) says it: "if the configured src_ip doesn't exist
   * or is removed put the instance into fault state". While the unicast_src_ip /
   * mcast_src_ip is not on the instance's interface (also at start), the instance holds
   * the same `address` fault as a learned source that goes; the address back, it comes up.
   * keepalived 2.2.7 means to (VRRP_FLAG_TRACK_SADDR, keepalived_netlink.c
   * netlink_if_address_filter) but compares `&vrrp->saddr`, a sockaddr, as an in_addr
   * (is_tracking_saddr, lines 989 and 1133), which never matches: its instance stays as it
   * was (test/interop/track-src-ip.test.ts shows both).
   */
  private trackConfiguredSource(inst: Instance, ifname: string, address: string, now: number): void {
    const link = this.linksByName.get(ifname);
    const key = canonicalIp(address) ?? address;
    const here = usable(link, this.addrs, key);
    const faulted = inst.hasFault({ kind: "address", name: ifname });
    if (here === !faulted) return;
    const detail = here ? undefined : `${address} (track_src_ip) is not on ${ifname}`;
    if (detail) this.log.warn(`(${inst.name}) no address to send adverts from on ${ifname}: ${detail}`);
    else this.log.info(`(${inst.name}) sending adverts from ${address} on ${ifname}`);
    this.router.handleSource(inst.name, here ? address : undefined, detail, now);
  }

  /**
   * An interface as the kernel has it, for the VRRP MIBs (status.ts): its index, its MAC
   * ("02:99:00:00:00:0b") and the primary address of a family (interfaceAddress below).
   */
  linkInfo(ifname: string, family: 4 | 6): { ifindex: number; mac?: string; primary?: string } | undefined {
    const link = this.linksByName.get(ifname);
    if (!link) return undefined;
    const mac = link.mac ? [...link.mac].map((b) => b.toString(16).padStart(2, "0")).join(":") : undefined;
    return { ifindex: link.ifindex, mac, primary: this.interfaceAddress(ifname, family) };
  }

  /**
   * The primary address the engine uses as its source and for the equal-priority
   * tie-break: IPv4 the first non-secondary address, IPv6 the link-local (RFC 5798
   * 5.1.2.1: IPv6 adverts come from the interface's link-local address).
   */
  private interfaceAddress(ifname: string, family: 4 | 6): string | undefined {
    return this.learnedSource(this.linksByName.get(ifname), family).address;
  }

  /**
   * The address an interface's instances send from: usableSource's, but never a VIP/eVIP
   * (oursOn), and for IPv4 keepalived's own address of the interface while it is usable
   * (after its own address goes, keepalived takes the last other one, netlink_if_address_filter's
   * list_last_entry, where the kernel's first primary would be another).
   */
  private learnedSource(link: Link | undefined, family: 4 | 6): { address?: string; detail?: string } {
    const ours = this.oursOn;
    if (link && family === 4) {
      const own = this.own.ownOf(link.ifindex, 4);
      if (own !== undefined && !ours(link.ifindex, own) && usable(link, this.addrs, own)) return { address: own };
    }
    return usableSource(link, this.addrs, family, ours);
  }

  /**
   * A VIP or eVIP of an instance on this interface (where it is placed, or the instance's
   * interface under its VMAC: keepalived_netlink.c addr_is_equal2), which is never the
   * interface's own address (source-address.ts OursOn).
   */
  private readonly oursOn = (ifindex: number, address: string): boolean => {
    if (!this.oursCache) {
      const set = new Set<string>();
      for (const v of Object.values(this.opts.config.vrrpInstances)) {
        const ifs = this.ifs.get(v.name);
        for (const va of [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]) {
          const a = canonicalIp(va.address) ?? va.address;
          // before set-up (the engine's first parameters) a VIP without dev goes on the instance's interface
          const dev = vipDev(ifs, va) ?? v.interface;
          if (dev !== undefined) set.add(`${dev}|${a}`);
          if (dev !== undefined && dev === ifs?.vipIf && ifs.base !== undefined) set.add(`${ifs.base}|${a}`);
        }
      }
      this.oursCache = set;
    }
    const name = this.linksByIndex.get(ifindex)?.name;
    return name !== undefined && this.oursCache.has(`${name}|${canonicalIp(address) ?? address}`);
  };

  /**
   * keepalived's interface addresses at start (netlink_address_lookup, then vrrp.c
   * remove_residual_vips). Their -D lines "Assigned address A for interface I" (the first
   * address of each family, a VIP left there included: its VIPs' interfaces are not known
   * yet when it reads them) were written as the instances joined their interfaces
   * (joinInterfaces); an interface no instance joined with a line writes none.
   */
  private seedOwnAddresses(): void {
    this.startLines = undefined;
    this.own.seed(this.addrs, this.oursOn);
  }

  /**
   * vrrp.c vrrp_complete_init's add_vrrp_to_interface, at a start and at a reload: an
   * interface's held "Assigned address" lines (startLines) go out when it first joins an
   * instance with log_addr: each instance in configuration order, its track_interface
   * joining silently first (log_addr false), then its own interface and its VMAC (`setUp`:
   * setupInterfaces, or a kept instance's, writes them as it meets them:
   * vrrp_complete_instance); then the sync groups' track_interface
   * (sync_group_tracking_init, log_addr true). Static tracking writes none.
   */
  private joinInterfaces(config: KeelConfig, setUp: (v: VrrpInstance) => void): void {
    for (const v of Object.values(config.vrrpInstances)) {
      for (const t of v.trackInterfaces) if (t.name !== v.interface) this.startLines?.delete(t.name);
      setUp(v);
    }
    for (const g of Object.values(config.vrrpSyncGroups))
      for (const t of g.trackInterfaces) this.startAddressLines(t.name);
  }

  /** "Assigned address" lines of the table read at start, by interface, in the kernel's order. */
  private firstAddressLines(): Map<string, string[]> {
    const lines = new Map<string, string[]>();
    // the lines do not depend on where VIPs go (seed's first addresses): the real seed follows set-up
    for (const a of this.own.seed(this.addrs)) {
      const name = this.linksByIndex.get(a.ifindex)?.name;
      if (name === undefined) continue;
      const list = lines.get(name) ?? [];
      list.push(`Assigned address ${a.address} for interface ${name}`);
      lines.set(name, list);
    }
    return lines;
  }

  /** An interface's start lines, once (add_vrrp_to_interface: when its tracking_vrrp list was empty). */
  private startAddressLines(name: string): void {
    const lines = this.startLines?.get(name);
    if (!lines) return;
    this.startLines?.delete(name);
    for (const line of lines) this.log.debug(line);
  }

  /**
   * Each instance that learns its source from its interface (no unicast_src_ip /
   * mcast_src_ip) against the address table: it keeps its address while that is usable,
   * else takes another, else is held in FAULT (`address`) until one is. An IPv6
   * link-local is usable unless DAD failed (dadfailed): a tentative one is taken, as
   * keepalived takes it (its adverts refused by the kernel until DAD ends); after
   * dadfailed keepalived's adverts never leave, leaving its instance stuck, and keel's
   * instance waits in FAULT (DESIGN.md "Interfaces").
   */
  private refreshSources(now: number): void {
    const config = this.opts.config;
    for (const inst of this.router.instances.values()) {
      const v = config.vrrpInstances[inst.name];
      const ifname = inst.p.ifname;
      if (!v || ifname === undefined) continue;
      const configured = v.unicastSrcIp ?? v.mcastSrcIp;
      if (configured !== undefined) {
        if (v.trackSrcIp) this.trackConfiguredSource(inst, ifname, configured, now);
        continue;
      }
      if (v.useIpvlan?.address !== undefined) continue; // the ipvlan's own address (params.ts)
      const link = this.linksByName.get(ifname);
      const current = inst.p.source;
      const faulted = inst.hasFault({ kind: "address", name: ifname });
      // a source taken before the VIPs' interfaces were known (the engine's parameters) may be a VIP left by a crash
      const keep =
        current !== undefined && link && usable(link, this.addrs, current) && !this.oursOn(link.ifindex, current);
      if (keep && !faulted) continue;
      let found = this.learnedSource(link, inst.p.family);
      // keepalived_netlink.c: a running IPv6 VMAC instance whose parent lost its last
      // link-local sends from the one its VMAC got instead (replace_link_local_address)
      if (found.address === undefined && current !== undefined) found = this.vmacSource(v) ?? found;
      const said = this.sourceWords.get(inst.name);
      const words = found.address ?? found.detail ?? "";
      // at start the address fault's own line is startFaultLines'; this one says why
      if (found.address === undefined && said !== words)
        this.log.warn(`(${inst.name}) no address to send adverts from on ${ifname}: ${found.detail}`);
      else if (found.address !== undefined && said !== undefined && said !== words)
        this.log.info(`(${inst.name}) sending adverts from ${found.address} on ${ifname}`);
      this.sourceWords.set(inst.name, words);
      if (found.address !== undefined && found.address === current && !faulted) continue;
      this.router.handleSource(inst.name, found.address, found.detail, now);
    }
  }

  /**
   * The instance's VMAC (use_vmac), then where its addresses go and their address VMACs.
   * `strict` (a reload): a VMAC that cannot be made is an error, not a fallback to the base interface.
   */
  private setupInterfaces(v: VrrpInstance, strict = false, config = this.opts.config, others = this.ifs): InstanceIfs {
    const ifs = this.setupOwnVmac(v, strict, config, others);
    if (v.interface !== undefined) this.startAddressLines(v.interface);
    return this.placeAddresses(v, ifs, strict, config, others);
  }

  private setupOwnVmac(
    v: VrrpInstance,
    strict: boolean,
    config: KeelConfig,
    others: Map<string, InstanceIfs>,
  ): InstanceIfs {
    const base = v.interface;
    if (base === undefined) return unboundIfs(v, this.vrfFor(v));
    if (v.useIpvlan) return this.setupIpvlan(v, base, strict, config, others);
    if (base === undefined || !v.useVmac) return { base, vipIf: base, sendIf: base };
    const family = v.virtualIpaddress[0]?.family ?? 4;
    // use_vmac's MAC, else RFC 5798 7.3: 00-00-5E-00-01-{VRID} (IPv4), 00-00-5E-00-02-{VRID} (IPv6)
    const mac = vmacMac(v, family);
    const link = this.linksByName.get(base);
    // vmac-name.ts planVmac: a matching leftover taken as it is, a configured name's holder
    // updated or replaced, else create_vmac_name
    const plan = planVmac({
      instance: v.name,
      prefix: config.globalDefs.vmacPrefix,
      family,
      vrid: v.virtualRouterId,
      mac,
      configured: this.vmacNameIgnored(v) ? undefined : v.useVmac.name,
      baseIfindex: link && (link.kind === "macvlan" && link.link !== undefined ? link.link : link.ifindex),
      links: [...this.linksByIndex.values()].sort((a, b) => a.ifindex - b.ifindex),
      reserved: this.vmacNamesOfOthers(v.name, config, others),
      dynamic: config.globalDefs.dynamicInterfaces ? this.configuredInterfaceNames(config) : undefined,
    });
    for (const n of plan.notes) n.level === "error" ? this.log.error(n.text) : this.log.info(n.text);
    const name = plan.name;
    this.startAddressLines(base);
    let linkLocal: string | undefined;
    if (link && plan.action === "reuse" && plan.ifindex !== undefined) {
      this.vmacs.set(name, plan.ifindex);
      this.firewallVmac(v, family, { ifindex: plan.ifindex, base: link.ifindex });
      // netlink_link_add_vmac with create_interface false: no set_interface_parameters
      this.vmacSysctls.added(name, this.vmacParent(link), family, false);
      linkLocal = this.reusedLinkLocal(v, name, plan.ifindex, link, family);
    } else if (link) {
      if (plan.addLine) this.log.info(plan.addLine);
      const made = this.makeVmac(name, link, mac, plan);
      if (!made.ok) {
        const why = `(${v.name}) cannot create VMAC ${name} on ${base}`;
        this.refreshLinks();
        if (strict) throw new Error(`${why}: ${made.error.message}`);
        // keepalived (netlink_link_add_vmac failing) runs the instance on the base interface
        this.failed(made.error, `vmac:${name}`, why);
        return { base, vipIf: base, sendIf: base };
      }
      this.vmacs.set(name, made.value);
      this.firewallVmac(v, family, { ifindex: made.value, base: link.ifindex });
      // keepalived set_interface_parameters: an IPv4 VMAC made or updated now, and its parent
      this.vmacSysctls.added(name, this.vmacParent(link), family, true);
      linkLocal = this.vmacUp(v.name, name, made.value, link, {
        ipv6: family === 6 || v.virtualIpaddressExcluded.some((a) => a.family !== family),
        linkLocal: family === 6 && !v.vmacXmitBase,
        configured: v.mcastSrcIp ?? v.unicastSrcIp,
        verb: plan.action === "update" ? "updating" : "creating",
      });
    }
    this.refreshLinks();
    // add_vrrp_to_interface for the VMAC: a reused one's addresses as read
    this.startAddressLines(name);
    // vmacCreated: made now, so no "removing VIPs." for it at start (vrrp_daemon.c start_vrrp)
    return {
      base,
      vipIf: name,
      sendIf: v.vmacXmitBase ? base : name,
      vmac: { name, mac, linkLocal },
      ...(link && plan.action === "create" ? { vmacCreated: true as const } : {}),
    };
  }

  /**
   * The interface a VMAC made on `link` hangs from: the kernel puts one made on a macvlan on
   * that macvlan's parent (keepalived's base_ifp); undefined when that parent is in another
   * namespace (keepalived then leaves the parent alone).
   */
  private vmacParent(link: Link): string | undefined {
    if (link.kind !== "macvlan" || link.link === undefined) return link.name;
    return this.linksByIndex.get(link.link)?.name;
  }

  /** vmac-name.ts unusableVmacName: `use_vmac NAME` ignored (said once per instance). */
  private vmacNameIgnored(v: VrrpInstance): boolean {
    const name = v.useIpvlan ? undefined : v.useVmac?.name;
    if (name === undefined) return false;
    const line = unusableVmacName(v.name, name, this.linksByName.get(name), this.opts.configAt?.(v.name, "use_vmac"));
    if (line === undefined) return false;
    if (!this.saidVmacNames.has(v.name)) this.log.error(line);
    this.saidVmacNames.add(v.name);
    return true;
  }
  private readonly saidVmacNames = new Set<string>();

  /** netlink_link_add_vmac's RTM_NEWLINK: a new macvlan, or the leftover changed in place (update), or deleted first (replace). */
  private makeVmac(name: string, link: Link, mac: Uint8Array, plan: VmacPlan): KernelResult<number> {
    const vrf = this.vrfOf(link);
    if (plan.action === "update" && plan.ifindex !== undefined) {
      const err = this.kernel.updateVmac
        ? this.kernel.updateVmac(plan.ifindex, mac, vrf)
        : { op: "update-vmac", message: "this kernel cannot change a macvlan" };
      return err ? { ok: false, error: err } : { ok: true, value: plan.ifindex };
    }
    const gone = plan.ifindex !== undefined ? this.kernel.deleteLink(plan.ifindex) : undefined;
    if (gone) {
      // "(%s) Error removing VMAC interface %s"
      return { ok: false, error: gone };
    }
    // keepalived's request still holds the deleted one's ifi_index: the new one gets it
    return this.kernel.createVmac(name, link.ifindex, mac, vrf, plan.ifindex);
  }

  /**
   * vrrp_complete_instance for a reused IPv6 VMAC: without vmac_xmit_base it keeps the
   * link-local it has (keepalived's interface_t sin6_addr: the first read) or gets one
   * (set_link_local_address); with it, its link-local goes (del_link_local_address).
   */
  private reusedLinkLocal(v: VrrpInstance, name: string, ifindex: number, parent: Link, family: 4 | 6) {
    if (family !== 6) return undefined;
    const have = this.addrs.find((a) => a.ifindex === ifindex && a.family === 6 && a.scope === RT_SCOPE_LINK);
    if (v.vmacXmitBase) {
      if (have && this.kernel.linkLocal?.("del", ifindex, have.address))
        this.log.info("Deleting link-local address from vmac failed");
      return undefined;
    }
    if (have) return have.address;
    return this.addVmacLinkLocal(v.name, name, ifindex, parent, v.mcastSrcIp ?? v.unicastSrcIp);
  }

  /**
   * The names the configuration gives interfaces (instances', tracked ones, VIPs' `dev`)
   * that the kernel does not have: with dynamic_interfaces keepalived keeps an entry for
   * each (if_get_by_ifname IF_CREATE_IF_DYNAMIC), and create_vmac_name skips them.
   */
  private configuredInterfaceNames(config: KeelConfig): Set<string> {
    const names = this.trackedInterfaces();
    for (const v of Object.values(config.vrrpInstances))
      for (const a of [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]) if (a.dev !== undefined) names.add(a.dev);
    for (const n of names) if (this.linksByName.has(n)) names.delete(n);
    return names;
  }

  /**
   * vrrp_vmac.c netlink_link_add_vmac once the macvlan exists (vmac-link-local.ts): IPv6
   * off unless the VMAC needs it (link_set_ipv6), no address made from its MAC
   * (IFLA_INET6_ADDR_GEN_MODE NONE, before it is up), up, then its link-local
   * (set_link_local_address). With -D: "(%s): Success creating VMAC interface %s", and the
   * link-local's "Assigned address" (add_vrrp_to_interface: the VMAC's tracking list was
   * empty). Returns the link-local added.
   */
  private vmacUp(
    who: string,
    name: string,
    ifindex: number,
    parent: Link,
    o: { ipv6: boolean; linkLocal: boolean; configured?: string; verb?: "creating" | "updating" },
  ): string | undefined {
    this.log.debug(`(${who}): Success ${o.verb ?? "creating"} VMAC interface ${name}`);
    const k = this.kernel;
    const ipv6 = k.ipv6Conf?.(name, "disable_ipv6", o.ipv6 ? 0 : 1);
    // no /proc/sys/net/ipv6 (a kernel booted with ipv6.disable=1): nothing to turn off
    if (ipv6 && !ipv6.ok && ipv6.error.code !== "ENOENT")
      this.failed(ipv6.error, `vmac:${name}`, `(${who}) cannot set disable_ipv6 on ${name}`);
    // IN6_ADDR_GEN_MODE_NONE (1), on every VMAC (keepalived sets it whatever the family)
    const gen = k.ipv6Conf?.(name, "addr_gen_mode", 1);
    if (gen && !gen.ok && gen.error.code !== "ENOENT")
      this.failed(gen.error, `vmac:${name}`, `(${who}) Error setting ADDR_GEN_MODE to NONE on ${name}`);
    const up = k.setLinkUp(ifindex, true);
    if (up) this.failed(up, `vmac:${name}`, `(${who}) cannot set VMAC ${name} up`);
    if (!o.linkLocal) return undefined;
    return this.addVmacLinkLocal(who, name, ifindex, parent, o.configured);
  }

  /** set_link_local_address (vmac-link-local.ts), then add_vrrp_to_interface's "Assigned address" line. */
  private addVmacLinkLocal(
    who: string,
    name: string,
    ifindex: number,
    parent: Link,
    configured: string | undefined,
  ): string | undefined {
    const k = this.kernel;
    if (!k.linkLocal) return undefined;
    const address = vmacLinkLocal({
      configured: configured !== undefined && isIP(configured) === 6 ? configured : undefined,
      parentOwn: this.own.ownOf(parent.ifindex, 6),
      parentMac: parent.mac,
    });
    if (address === undefined) return undefined;
    const err = k.linkLocal("add", ifindex, address);
    if (err) {
      this.log.info("Adding link-local address to vmac failed");
      this.failed(err, `vmac:${name}`, `(${who}) adding link-local address to ${name} failed`);
      return undefined;
    }
    // known before its RTM_NEWADDR: the instance's source, and no second "Assigned address" then
    this.addrs.push({ ifindex, family: 6, address, prefixLen: 64, scope: RT_SCOPE_LINK, flags: IFA_F_NODAD });
    this.log.debug(`Assigned address ${address} for interface ${name}`);
    return address;
  }

  /**
   * keepalived_netlink.c netlink_if_address_filter (2.2.7): a use_vmac IPv6 instance's VMAC
   * takes its parent's new own link-local, or when none is left and the parent is up, the
   * one made from the parent's MAC (vmac-link-local.ts followParent). Not with
   * vmac_xmit_base (the VMAC has none) nor a configured source (it stays).
   */
  private vmacsFollow(parentIfindex: number): void {
    const parent = this.linksByIndex.get(parentIfindex);
    if (!parent || !this.kernel.linkLocal) return;
    for (const v of Object.values(this.opts.config.vrrpInstances)) {
      const vmac = this.ifs.get(v.name)?.vmac;
      if (!vmac || v.interface !== parent.name || v.vmacXmitBase) continue;
      if ((v.virtualIpaddress[0]?.family ?? 4) !== 6 || (v.mcastSrcIp ?? v.unicastSrcIp) !== undefined) continue;
      const ifindex = this.vmacs.get(vmac.name);
      if (ifindex === undefined) continue;
      const next = followParent({
        current: vmac.linkLocal,
        parentOwn: this.own.ownOf(parentIfindex, 6),
        parentUp: parent.up,
        parentMac: parent.mac,
      });
      if (next === undefined || next === vmac.linkLocal) continue;
      this.changeVmacLinkLocal(v.name, vmac, ifindex, next, next !== this.own.ownOf(parentIfindex, 6));
    }
  }

  /**
   * change_link_local_address: the old one deleted, then the new one added. keepalived
   * forgets the VMAC's own address as it deletes it (no "Deassigned address" then); the new
   * one is its own at once when made from the parent's MAC (replace_link_local_address saves
   * it: no "Assigned address"), else when its RTM_NEWADDR comes (reset_link_local_address).
   */
  private changeVmacLinkLocal(
    who: string,
    vmac: NonNullable<InstanceIfs["vmac"]>,
    ifindex: number,
    next: string,
    saved: boolean,
  ): void {
    const k = this.kernel;
    if (!k.linkLocal) return;
    const entry = (address: string): IfAddress => ({
      ifindex,
      family: 6,
      address,
      prefixLen: 64,
      scope: RT_SCOPE_LINK,
      flags: IFA_F_NODAD,
    });
    const old = vmac.linkLocal;
    if (old !== undefined) {
      if (k.linkLocal("del", ifindex, old)) this.log.info("Deleting link-local address from vmac failed");
      this.own.removed(entry(old));
      this.addrs = this.addrs.filter((x) => !(x.ifindex === ifindex && x.address === old));
    }
    vmac.linkLocal = undefined;
    const err = k.linkLocal("add", ifindex, next);
    if (err) {
      this.log.info("Adding link-local address to vmac failed");
      this.failed(err, `vmac:${vmac.name}`, `(${who}) cannot add link-local ${next} to ${vmac.name}`);
      return;
    }
    vmac.linkLocal = next;
    // known before its RTM_NEWADDR, as at creation: the instance may send from it (refreshSources)
    this.addrs.push(entry(next));
    if (saved) this.own.added(entry(next));
  }

  /** An IPv6 VMAC's link-local that keel put there (vmacsFollow), when usable. */
  private vmacSource(v: VrrpInstance): { address: string } | undefined {
    const vmac = this.ifs.get(v.name)?.vmac;
    if (!vmac?.linkLocal || v.vmacXmitBase) return undefined;
    return usable(this.linksByName.get(vmac.name), this.addrs, vmac.linkLocal)
      ? { address: vmac.linkLocal }
      : undefined;
  }

  /**
   * An interfaceless instance's `vrf`, unless that is a loopback (keepalived
   * vrrp_parser.c vrrp_vrf_handler: "cannot use a loopback interface (%s) for VRF -
   * ignoring": the instance runs outside any VRF). Read from the links at set-up.
   */
  private vrfFor(v: VrrpInstance): string | undefined {
    const link = v.vrf === undefined ? undefined : this.linksByName.get(v.vrf);
    if (link?.flags === undefined || (link.flags & IFF_LOOPBACK) === 0) return v.vrf;
    this.log.warn(`(${v.name}) cannot use a loopback interface (${v.vrf}) for VRF - ignoring`);
    return undefined;
  }

  /**
   * The VRF a link is enslaved to (its IFLA_MASTER is a `vrf`): keepalived 2.2.7 creates a
   * VMAC or ipvlan of such a link in the same VRF (IFLA_MASTER in netlink_link_add_vmac /
   * netlink_link_add_ipvlan), so the VIPs on it route in that VRF's table.
   */
  private vrfOf(link: Link): number | undefined {
    const master = link.master === undefined ? undefined : this.linksByIndex.get(link.master);
    return master?.kind === "vrf" ? master.ifindex : undefined;
  }

  /**
   * use_ipvlan: keepalived 2.2.7 netlink_link_add_ipvlan. An L2 ipvlan on the interface
   * (type bridge, private or vepa), created up (in the interface's VRF), its address added:
   * VIPs go on it and adverts leave from it with that address as their source (vrrp_parser.c
   * sets saddr from it). It shares the interface's MAC, so there is no VRRP MAC. Named as a
   * VMAC is (use_ipvlan's name, else vmac_prefix.VRID). A leftover ipvlan of that name is
   * recreated clean; anything else of that name is an error and the instance runs on the
   * interface, as when the kernel refuses the ipvlan.
   */
  private setupIpvlan(
    v: VrrpInstance,
    base: string,
    strict: boolean,
    config: KeelConfig,
    others: Map<string, InstanceIfs>,
  ): InstanceIfs {
    const cfg = v.useIpvlan ?? {};
    const family = v.virtualIpaddress[0]?.family ?? 4;
    // create_vmac_name as for a VMAC; a leftover ipvlan of the first free name is recreated below
    const reserved = this.vmacNamesOfOthers(v.name, config, others);
    const name =
      cfg.name ??
      chooseVmacName(config.globalDefs.vmacPrefix, family, v.virtualRouterId, (n) => {
        const l = this.linksByName.get(n);
        return reserved.has(n) || (l !== undefined && l.kind !== "ipvlan");
      });
    const link = this.linksByName.get(base);
    if (!link) return { base, vipIf: name, sendIf: name };
    const fail = (error: KernelError): InstanceIfs => {
      const why = `(${v.name}) cannot create ipvlan ${name} on ${base}`;
      this.refreshLinks();
      if (strict) throw new Error(`${why}: ${error.message}`);
      this.failed(error, `vmac:${name}`, why);
      return { base, vipIf: base, sendIf: base };
    };
    const existing = this.linksByName.get(name);
    if (existing && existing.kind !== "ipvlan")
      return fail({ op: "create-ipvlan", code: "EEXIST", message: `${name} exists and is no ipvlan` });
    const stale = existing ? this.kernel.deleteLink(existing.ifindex) : undefined;
    if (stale) return fail(stale);
    const created = this.kernel.createIpvlan
      ? this.kernel.createIpvlan(name, link.ifindex, cfg.mode ?? "bridge", this.vrfOf(link))
      : { ok: false as const, error: { op: "create-ipvlan", message: "this kernel has no ipvlan interfaces" } };
    if (!created.ok) return fail(created.error);
    this.vmacs.set(name, created.value);
    this.log.info(`(${v.name}) Creating ipvlan interface ${name}`);
    const addr = cfg.address === undefined ? undefined : ipvlanAddress(cfg.address);
    if (addr) {
      const err = this.kernel.vip("add", addr, created.value);
      if (err) this.failed(err, `vmac:${name}`, `(${v.name}) Failed to add interface address to ${name}`);
    }
    this.refreshLinks();
    this.refreshAddrs();
    return { base, vipIf: name, sendIf: name, vmac: { name, mac: link.mac ?? new Uint8Array(6) } };
  }

  /**
   * The VMAC names an instance's own VMAC must not take (keepalived create_vmac_name checks
   * every instance's vmac_ifname): the names other instances configure (a later one's too)
   * and the VMACs of those set up before it (config order; on a reload, the running ones and
   * the added ones before it). An instance a reload removes holds none: its VMAC is a
   * leftover an added one with its VRRP MAC adopts, as keepalived's "Found matching interface".
   */
  private vmacNamesOfOthers(instance: string, config: KeelConfig, others: Map<string, InstanceIfs>): Set<string> {
    const reserved = new Set<string>();
    for (const o of Object.values(config.vrrpInstances)) {
      if (o.name === instance) continue;
      const n = o.useVmac?.name ?? o.useIpvlan?.name;
      if (n !== undefined) reserved.add(n);
    }
    for (const [name, other] of others) {
      if (name === instance || !config.vrrpInstances[name]) continue;
      if (other.vmac) reserved.add(other.vmac.name);
      for (const n of other.addrVmacs?.keys() ?? []) reserved.add(n);
    }
    return reserved;
  }

  /**
   * Where the instance's VIPs/eVIPs go (vmac-addr.ts: keepalived's rules) and the address
   * VMACs that needs, created now as keepalived creates them while it completes the
   * instance. A leftover of ours (a macvlan with a VRRP MAC of this VRID) is recreated;
   * a name something else holds is skipped for the next (create_vmac_name).
   */
  private placeAddresses(
    v: VrrpInstance,
    ifs: InstanceIfs,
    strict: boolean,
    config: KeelConfig,
    others: Map<string, InstanceIfs>,
  ): InstanceIfs {
    const family = v.virtualIpaddress[0]?.family ?? 4;
    const reserved = this.vmacNamesOfOthers(v.name, config, others);
    if (ifs.vmac) reserved.add(ifs.vmac.name);
    // create_vmac_name skips any name an interface has; a leftover of ours is reused instead
    const taken = (n: string) => reserved.has(n) || this.linksByName.has(n);
    const placed = placeVips(v, config.globalDefs, family, ifs.vmac?.name, taken, (base, mac) =>
      this.leftoverVmac(base, mac, reserved),
    );
    placed.devOf = exceptDefaults(placed.devOf, v, ifs.vipIf);
    for (const note of placed.notes) this.log.warn(note);
    const addrVmacs = new Map<string, { base: string }>();
    for (const x of placed.vmacs) {
      const link = this.linksByName.get(x.base);
      if (!link) continue; // its addresses cannot go on yet: said when they are added
      if (x.ifindex !== undefined) {
        // if_get_by_vmac found it: keepalived takes it as it is, and so deletes it at stop
        this.vmacs.set(x.name, x.ifindex);
        addrVmacs.set(x.name, { base: x.base });
        this.vmacSysctls.added(x.name, this.vmacParent(link), x.family, false);
        continue;
      }
      const created = this.kernel.createVmac(x.name, link.ifindex, x.mac, this.vrfOf(link));
      if (!created.ok) {
        const why = `(${v.name}) cannot create VMAC ${x.name} on ${x.base}`;
        this.refreshLinks();
        if (strict) throw new Error(`${why}: ${created.error.message}`);
        this.failed(created.error, `vmac:${x.name}`, why);
        continue;
      }
      this.vmacs.set(x.name, created.value);
      addrVmacs.set(x.name, { base: x.base });
      // netlink_link_add_vmac for keepalived's dummy vrrp_t: the address's family
      this.vmacSysctls.added(x.name, this.vmacParent(link), x.family, true);
      // the dummy vrrp_t keepalived makes for it: the address's family, no configured source
      this.vmacUp(v.name, x.name, created.value, link, { ipv6: x.family === 6, linkLocal: x.family === 6 });
      this.refreshLinks();
    }
    return { ...ifs, placed, addrVmacs };
  }

  /**
   * vrrp_if.c if_get_by_vmac: the first private macvlan (in ifindex order) on `base` with
   * `mac` that no other instance holds: an address VMAC left in the kernel.
   */
  private leftoverVmac(
    base: string,
    mac: Uint8Array,
    reserved: ReadonlySet<string>,
  ): { name: string; ifindex: number } | undefined {
    const parent = this.linksByName.get(base);
    if (!parent) return undefined;
    const found = [...this.linksByIndex.values()]
      .sort((a, b) => a.ifindex - b.ifindex)
      .find(
        (l) =>
          l.kind === "macvlan" &&
          l.macvlanMode === 1 &&
          l.link === parent.ifindex &&
          !reserved.has(l.name) &&
          l.mac?.length === 6 &&
          l.mac.every((b, i) => b === mac[i]),
      );
    return found && { name: found.name, ifindex: found.ifindex };
  }

  private channelKey(ifname: string, family: 4 | 6, proto: 112 | 51): string {
    // made once per interface, family and protocol: every advert sent asks (issue 20)
    let keys = this.channelKeys.get(ifname);
    if (!keys) {
      keys = [];
      this.channelKeys.set(ifname, keys);
    }
    const at = (family === 4 ? 0 : 2) + (proto === 51 ? 1 : 0);
    keys[at] ??= `${ifname}|${family}|${proto}`;
    return keys[at];
  }
  private readonly channelKeys = new Map<string, string[]>();
  /** instances whose next priority-0 advert writes no "sent 0 priority" (a sync group's pull) */
  private readonly silentZero = new Set<string>();
  /** during a reload's swap: the router replaced, whose removed instances still send */
  private retiring: VrrpRouter | undefined;
  /**
   * at the engine's start and in a reload's commit: no line as a socket opens; the pool's
   * dump follows the instances' lines (dumpSockpool). A socket opened later says so itself.
   */
  private quietOpens = false;

  /** The sockets a router's instances need, keyed as `channels`. */
  private wantedChannels(router: VrrpRouter, ifsOf: Map<string, InstanceIfs>): Map<string, WantedChannel> {
    const want = new Map<string, WantedChannel>();
    for (const inst of router.instances.values()) {
      const p = inst.p;
      const ifs = ifsOf.get(p.name);
      if (!ifs?.base && !ifs?.unbound) continue;
      const proto = p.auth?.type === "AH" ? 51 : 112;
      const add = (ifname: string, receive: boolean) => {
        const key = this.channelKey(ifname, p.family, proto);
        const w = want.get(key) ?? {
          ifname,
          family: p.family,
          proto,
          groups: new Set<string>(),
          receive,
          rcvbuf: 0,
          unbound: ifs.unbound,
          users: [],
        };
        w.receive ||= receive;
        w.users.push(p.name);
        if (receive && !p.unicast) w.groups.add(p.mcastGroup);
        if (receive)
          w.rcvbuf += memberShare(this.opts.config.globalDefs, {
            family: p.family,
            version: p.version,
            vips: p.vips.length,
            ah: proto === 51,
            kernelRxBufSize: this.opts.config.vrrpInstances[p.name]?.kernelRxBufSize,
            mtu: this.linksByName.get(ifname)?.mtu,
          });
        want.set(key, w);
      };
      if (ifs.unbound) add(ifs.unbound.label, true);
      else if (ifs.base) add(ifs.base, true);
      if (ifs.base && ifs.sendIf && ifs.sendIf !== ifs.base) add(ifs.sendIf, false);
    }
    return want;
  }

  /** Open one socket; the sockpool line is logged when it opens. */
  private openChannel(key: string, w: WantedChannel): KernelResult<VrrpChannel> {
    const unbound = w.unbound && { source: w.unbound.source, vrf: w.unbound.vrf };
    const r = this.kernel.openChannel({
      family: w.family,
      ifname: w.ifname,
      proto: w.proto,
      groups: [...w.groups],
      rcvbuf: w.rcvbuf > 0 ? w.rcvbuf : undefined,
      ...(unbound ? { unbound } : {}),
      // a send-only channel (a VMAC) also sees its interface's traffic: the base
      // interface's channel already delivers it once
      onPacket: !w.receive
        ? () => {}
        : unbound
          ? (rx) => this.onDatagram(undefined, rx)
          : (rx) => this.onDatagram(w.ifname, rx),
      onError: (e) => this.failed(e, `rx:${key}`, `receive error on ${w.ifname}`),
    });
    if (!r.ok) return r;
    if (!this.quietOpens) this.log.info(sockpoolLine(w, this.linksByName.get(w.ifname)?.ifindex));
    return r;
  }

  /** Open the sockets the instances need and lack (reconcile retries a refused one); close unused ones. */
  private openChannels(): void {
    const want = this.wantedChannels(this.router, this.ifs);
    // a reload may leave a socket unused
    for (const [key, ch] of this.channels)
      if (!want.has(key)) {
        ch.close();
        this.channels.delete(key);
      }
    for (const [key, w] of want) {
      if (this.channels.has(key)) continue;
      if (w.unbound) {
        this.openUnbound(key, w);
        continue;
      }
      if (!this.linksByName.has(w.ifname)) continue; // FAULT until it appears
      const opened = this.openChannel(key, w);
      // without its socket an instance hears no master and would take over: reconcile
      // opens it again every reconcileMs until it works
      if (opened.ok) this.channels.set(key, opened.value);
      else this.failed(opened.error, `open:${key}`, `cannot open ${socketName(w)}`);
    }
  }

  /**
   * An interfaceless unicast instance's socket (keepalived open_sockpool_socket). Its VRF
   * must exist (vrrp_open_sockpool leaves the socket closed while it does not); its
   * unicast_src_ip must be configured: keepalived's bind fails otherwise and its
   * instances go to FAULT ("entering FAULT state (src address not configured)"). keepalived
   * never tries that socket again; keel does at each reconcile, and the instances leave
   * FAULT once the address is there.
   */
  private openUnbound(key: string, w: WantedChannel): void {
    const u = w.unbound as Unbound;
    const fault = (detail: string) => {
      for (const name of w.users) {
        const inst = this.router.instances.get(name);
        if (!inst || inst.hasFault({ kind: "address", name: "" })) continue;
        this.log.info(`(${name}): entering FAULT state (src address not configured): ${detail}`);
        this.router.handleSource(name, undefined, detail, this.now());
      }
    };
    if (u.vrf !== undefined && !this.linksByName.has(u.vrf)) {
      fault(`VRF ${u.vrf} does not exist`);
      return;
    }
    const opened = this.openChannel(key, w);
    if (!opened.ok) {
      this.failed(opened.error, `open:${key}`, `cannot open ${socketName(w)}`);
      fault(`cannot bind ${u.source}${u.vrf ? ` in VRF ${u.vrf}` : ""}: ${opened.error.message}`);
      return;
    }
    this.channels.set(key, opened.value);
    for (const name of w.users)
      if (this.router.instances.get(name)?.hasFault({ kind: "address", name: "" }))
        this.router.handleSource(name, u.source, undefined, this.now());
  }

  // ---------------------------------------------------------------------------
  // inputs

  /** `ifname` undefined: from an interfaceless instance's address-bound socket. */
  private onDatagram(ifname: string | undefined, rx: RxDatagram): void {
    if (this.stopped) return;
    // try/catch in line, not guard(): no closure or "where" string per advert (issue 20)
    try {
      this.advert(ifname, rx);
    } catch (e) {
      this.internalError(`an advert on ${ifname}`, e);
    }
    this.pump();
  }

  private advert(ifname: string | undefined, rx: RxDatagram): void {
    // the socket is bound to its interface; the ingress index is the interface itself
    // except for traffic looped through a VMAC, which the engine must not see twice
    const link = this.linksByIndex.get(rx.ifindex);
    if (ifname !== undefined && link && link.name !== ifname) {
      this.dropped.other_interface = (this.dropped.other_interface ?? 0) + 1;
      return;
    }
    // one record, refilled per datagram: the engine reads it before handleAdvert returns
    const pkt = this.rxPacket;
    // an address-bound socket's datagram names the interface it came in on (IP_PKTINFO)
    pkt.ifname = ifname ?? link?.name ?? `ifindex ${rx.ifindex}`;
    pkt.via = ifname === undefined ? "address" : "interface";
    pkt.family = rx.family;
    pkt.data = rx.data;
    pkt.src = rx.src;
    pkt.dst = rx.dst;
    pkt.hopLimit = rx.hopLimit;
    // auth_hmac's time window compares the sender's clock with ours (vrrp_auth_hmac_check)
    pkt.wallMs = this.router.hmac ? this.wallNow() : undefined;
    try {
      const unknown = this.router.stats.unknown_vrid;
      this.router.handleAdvert(pkt, this.receivedAt(rx.age));
      const last = this.router.stats.lastUnknown;
      // keepalived vrrp_scheduler.c vrrp_dispatcher_read, with log_unknown_vrids (every advert)
      if (last && this.router.stats.unknown_vrid !== unknown && this.opts.config.globalDefs.logUnknownVrids)
        this.log.info(`Unknown VRID(${last.vrid}) received on interface(${last.ifname}). ignoring...`);
    } catch (e) {
      // decoding never throws by design; if the engine ever does, drop the packet, not the loop
      this.dropped.engine_error = (this.dropped.engine_error ?? 0) + 1;
      this.rateLog("engine-error", `internal error on a packet from ${ifname}: ${(e as Error).stack ?? e}`);
    }
  }

  /**
   * The engine's time for a datagram read `age` ms after the kernel received it: its
   * receipt, so a backup's Master_Down_Interval counts from the advert's arrival (RFC 5798
   * 6.4.2 resets the timer when an advert is received), not from when JavaScript read it
   * (keepalived counts from its select wake-up, vrrp_scheduler.c: 0.07–0.19 ms after the
   * arrival; keel's cold wake-up on a packet took 0.3–1.2 ms: bench/RESULTS.md, hfo3).
   * Never before a reading the engine may have been given (its time does not run
   * backwards, as wakeTime's lastSeen); now without a stamp (test/sim's kernels).
   */
  private receivedAt(age: number | undefined): number {
    const before = this.lastNow;
    const now = this.now();
    return age === undefined ? now : Math.min(now, Math.max(now - age, before));
  }

  /**
   * Run the engine's timeout now if it is due already (the start's: an address owner's
   * Master_Down at 0), rather than when the kernel timer's signal is read on the event
   * loop's next turn; a timer not yet due stays armed.
   */
  runDue(): void {
    if (this.stopped || this.timer === undefined || this.timerDeadline > this.now()) return;
    this.timers.clear(this.timer);
    this.onTimer(false);
  }

  /** `woke`: called by the timer (not runDue), so its latency is the timer's to learn and take out */
  private onTimer(woke = true): void {
    const armedAt = this.timerAt;
    const due = this.timerDeadline;
    const before = this.lastNow;
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.timerDeadline = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const now = this.now();
    // the latency is the kernel timer's (from when it was armed to fire); the engine's time
    // counts from the deadline it serves: a pre-wake (arm) before it gives the engine `now`
    let at = woke ? wakeTime(due, now, before, this.wakeLatency.take(armedAt, now)) : now;
    // an advert the kernel sent at this very deadline (advert-queue.ts): the engine's time
    // is the deadline, so the next one counts from when this one left, unless the loop
    // stalled (QUEUED_LATE_MS): then from now, as wakeTime, with no burst to catch up
    const first = now >= due && now - due <= QUEUED_LATE_MS ? this.router.nextDue() : undefined;
    if (first !== undefined && this.adverts.queuedAt(first) === due) at = Math.min(now, Math.max(due, before));
    // try/catch in line, not guard(): no closure per advert deadline (as pump)
    this.firingAt = at;
    try {
      // the pre-wake (arm): a deadline an advert moved is queued again now, so the next one
      // is aimed at the deadline that stands, not at this one (which would wake twice)
      if (now < due) this.router.requeueMoved();
      this.router.handleTimeout(at);
    } catch (e) {
      this.internalError("the timer", e);
    }
    this.pump();
    this.firingAt = Number.NEGATIVE_INFINITY;
    if (woke && now < due) {
      this.queueTakeover(now);
      this.rehearse(now);
    }
  }

  private readonly instanceNamed = (name: string) => this.router.instances.get(name);

  /**
   * At a BACKUP's pre-wake (arm), its VIPs' request laid out at BACKUP (prepareTakeover)
   * handed to the kernel to send at the deadline (takeover-queue.ts): only while that
   * deadline stands within PREWAKE_MS, is simply the takeover (Instance.takeoverAt), and
   * the laid-out items are still the ones applyVips will send; not with firewall rules,
   * which keepalived puts in before the addresses.
   */
  private queueTakeover(now: number): void {
    const inst = this.router.nextMasterDown();
    const t = inst?.takeoverAt();
    if (inst === undefined || t === undefined || t <= now || t - now > PREWAKE_MS) return;
    if (t !== this.router.pollTimeout() || (this.firewall && this.takeoverNeedsFirewall(inst.name))) return;
    const items = this.takeovers.get(inst.name);
    if (items === undefined) return;
    if (!sameItems(items, this.vipItems(inst.name, [...inst.p.vips, ...inst.p.excluded], false))) return;
    try {
      this.takeover.queue(inst, t, items);
    } catch (e) {
      this.internalError("queueing a takeover", e);
    }
  }

  private takeoverNeedsFirewall(instance: string): boolean {
    const v = this.opts.config.vrrpInstances[instance];
    const version = this.router.instances.get(instance)?.p.version;
    return v === undefined || version === undefined || needsFirewall(this.opts.config, v, version);
  }

  /**
   * VIPs the kernel added at a Master_Down deadline (takeover-queue.ts) for a takeover the
   * engine did not make: an input read after the deadline, stamped before it, kept the
   * instance BACKUP. The ones the engine does not hold are released now, as the reconcile
   * pass releases a non-MASTER's VIP it finds (collectStrays), and retried as those are;
   * no GARP announced them.
   */
  private undoTakeover(
    instance: string,
    items: readonly VipItem[],
    results: readonly (KernelError | undefined)[],
  ): void {
    let added = false;
    items.forEach((it, i) => {
      const key = heldKey(it.ifindex, it.address);
      if (results[i] !== undefined || this.held.has(key)) return;
      this.releasing.set(key, { instance, address: it.address, ifindex: it.ifindex });
      added = true;
    });
    if (!added) return;
    this.log.debug(
      `(${instance}) removing the VIPs the kernel added at the Master_Down deadline: the instance did not take over`,
    );
    this.removeReleased();
  }

  /**
   * At a BACKUP's pre-wake (arm), its takeover rehearsed on a scratch instance
   * (src/vrrp/rehearse.ts), so the engine's path is warm when the deadline comes: only
   * while that deadline stands within PREWAKE_MS (an advert in the meantime moved it:
   * nothing to warm) and at least REHEARSE_MIN_MS remain (a late pre-wake must not hold
   * up the takeover it warms). One instance: the path is the same code for all.
   */
  private rehearse(now: number): void {
    const inst = this.router.nextMasterDown();
    const t = this.router.pollTimeout();
    if (inst === undefined || t === undefined || t - now > PREWAKE_MS || t - now < REHEARSE_MIN_MS) return;
    try {
      rehearseTakeover(inst.p, now);
    } catch (e) {
      this.internalError("rehearsing a takeover", e);
    }
  }

  /**
   * A BACKUP's takeover made ready while nothing waits on it (issue 20, bench/RESULTS.md
   * hfo4): what becoming MASTER sends first, the advert and the VIPs' netlink request, so
   * that the Master_Down deadline's path only sends them. Done after the pump in which the
   * instance entered BACKUP or changed priority (readyTakeovers), and after a reload. The
   * advert is encoded (transmit.ts keeps the packet of each priority); the VIPs' request is
   * laid out (Kernel.prepareVips) for applyVips to hand the kernel the very same items; the
   * GARPs' sockets are opened and their frames built (Kernel.prepareGarps).
   * Nothing is sent or decided here: VIPs or interfaces that change meanwhile only leave the
   * deadline to build its own, as before. (Not at the pre-wake: cold, this overran the 2 ms
   * before the deadline it was meant to shorten.)
   */
  private prepareTakeover(inst: Instance): void {
    const src = inst.p.source;
    if (src !== undefined && this.ifs.get(inst.name)?.sendIf !== undefined) encodeAhead(inst.takeoverAdvert(), src);
    const vips = [...inst.p.vips, ...inst.p.excluded];
    // the GARPs' senders and frames (the addresses Instance.garp names)
    this.kernel.prepareGarps?.(
      this.garpItems(
        inst.name,
        vips.map((v) => v.address),
      ),
    );
    if (!this.kernel.prepareVips) return;
    const items = this.vipItems(inst.name, vips, false);
    const laid = this.takeovers.get(inst.name);
    if (laid !== undefined && sameItems(laid, items)) return;
    this.takeovers.set(inst.name, items);
    this.kernel.prepareVips("add", items);
  }
  /** each instance's VIPs as last laid out for a takeover (prepareTakeover) */
  private readonly takeovers = new Map<string, VipItem[]>();
  /** instances that entered BACKUP or changed priority in this pump: their takeover made ready after it */
  private readonly toReady = new Set<string>();

  private readyTakeovers(): void {
    for (const name of this.toReady) {
      const inst = this.router.instances.get(name);
      try {
        if (inst?.state === "BACKUP") this.prepareTakeover(inst);
      } catch (e) {
        this.internalError("laying out a takeover", e);
      }
    }
    this.toReady.clear();
  }

  /** Subscribe to netlink; a failure is retried by reconcile, which then re-reads the tables. */
  private startWatch(): void {
    const groups = routeGroups(this.ownRoutes());
    const w = this.kernel.watch(
      (e) => {
        if (this.stopped) return;
        if (e.type === "route-del" || e.type === "rule-del") {
          this.guard("a route event", () => this.onRouteEvent(e));
          return;
        }
        this.wantReconcile();
        this.guard("a netlink event", () => this.onKernelEvent(e));
      },
      { routes: groups, onIdle: () => this.stopped || this.guard("the netlink events read", () => this.settleAddrs()) },
    );
    if (w.ok) {
      this.unwatch = w.value;
      this.watchedGroups = groups;
    } else {
      this.tablesStale = true;
      this.failed(w.error, "watch", "cannot watch links and addresses (netlink); trying again");
    }
  }

  /** The configured routes and rules a deletion is matched against (route-events.ts). */
  private ownRoutes(): OwnRoutes {
    const c = this.opts.config;
    return {
      instances: Object.values(c.vrrpInstances).map((v) => ({
        name: v.name,
        routes: v.virtualRoutes,
        rules: v.virtualRules,
      })),
      staticRoutes: c.staticRoutes,
      staticRules: c.staticRules,
    };
  }

  /**
   * A reload's route and rule groups (keepalived vrrp_complete_init → set_extra_netlink_monitoring
   * at every reload): the first tracked route or rule joins them, the last one gone leaves.
   * keel's watch is one socket bound to its groups: a new one replaces it, and the tables
   * are read again at the next pass (tablesStale) for what changed in between.
   */
  private followRouteGroups(): void {
    if (!this.unwatch || !this.watchedGroups) return; // the reconcile that starts the watch takes the new config
    if (sameGroups(this.watchedGroups, routeGroups(this.ownRoutes()))) return;
    this.unwatch();
    this.unwatch = undefined;
    this.watchedGroups = undefined;
    this.tablesStale = true;
    this.startWatch();
    this.wantReconcile();
  }

  /**
   * keepalived netlink_route_filter / netlink_rule_filter on RTM_DELROUTE / RTM_DELRULE of
   * a route or rule it set, and nothing more: a tracked one (not `no_track`) of an instance
   * makes a MASTER leave MASTER, a rule a BACKUP enter BACKUP again (set_vrrp_backup, the
   * engine's routeDeleted); a static one is added again ("Restoring deleted static
   * route/rule"). keel's own deletions do not come here (watchRtnl's ownPort).
   */
  private onRouteEvent(e: Extract<KernelEvent, { type: "route-del" | "rule-del" }>): void {
    if (this.deferredStart) return;
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    if (e.type === "route-del") {
      const o = routeOwner(this.ownRoutes(), e.route, ifindexOf);
      if (o?.instance !== undefined) this.routesSet.delete(routeJobKey(o.instance, "route", o.route));
      if (!o || o.route.noTrack) return;
      const what = emitRoute(o.route) ?? o.route.dst;
      if (o.instance !== undefined) this.routeDeleted(o.instance, what, false);
      else this.reinstate("route", what, this.kernel.route("add", o.route, ifindexOf));
      return;
    }
    const o = ruleOwner(this.ownRoutes(), e.rule);
    if (!o) return; // ruleOwner leaves out no_track rules (compare_rule)
    if (o.instance !== undefined) this.routesSet.delete(routeJobKey(o.instance, "rule", o.rule));
    const what = emitRule(o.rule);
    if (o.instance !== undefined) this.routeDeleted(o.instance, what, true);
    else this.reinstate("rule", what, this.kernel.rule("add", o.rule));
  }

  private routeDeleted(instance: string, what: string, rule: boolean): void {
    this.router.handleCommand({ type: "route-deleted", instance, what, rule }, this.now());
    this.pump();
  }

  private reinstate(noun: "route" | "rule", what: string, err: KernelError | undefined): void {
    if (err) this.failed(err, `static:${what}`, `cannot restore static ${noun} ${what}`);
    else this.log.info(`Restoring deleted static ${noun} ${what}`);
  }

  /** Re-read the link and address tables and report what changed (after lost events). */
  private resync(): void {
    this.tablesStale = false;
    const before = new Map([...this.linksByName].map(([n, l]) => [n, l.up]));
    this.refreshLinks();
    this.refreshAddrs();
    if (this.deferredStart) return; // the engine learns every link state when it starts
    for (const name of this.trackedInterfaces()) {
      const up = this.linksByName.get(name)?.up ?? false;
      if ((before.get(name) ?? false) !== up) this.linkChanged(name, up);
    }
    this.sourcesChanged();
    this.restoreVips();
  }

  private sourcesChanged(): void {
    if (this.deferredStart) return;
    this.refreshSources(this.now());
    this.pump();
  }

  private onKernelEvent(e: KernelEvent): void {
    if (e.type === "overrun") {
      // netlink dropped events: re-read the tables and report what changed
      this.resync();
      return;
    }
    if (e.type === "link") {
      const old = this.linksByIndex.get(e.link.ifindex);
      if (e.action === "del") {
        this.linksByIndex.delete(e.link.ifindex);
        this.own.forget(e.link.ifindex);
        // a late event for an ifindex whose name another link already has changes nothing
        if (!old || this.linksByName.get(old.name) !== old) return;
        this.linksByName.delete(old.name);
        this.delays.forget(old.name);
        if (this.trackedInterfaces().has(old.name)) this.log.info(`Interface ${old.name} deleted`);
        if (old.up) this.linkChanged(old.name, false);
        // keepalived cleanup_lost_interface closes the instance's sockets: they stay bound
        // to the old ifindex, so an interface created again under the same name (a new
        // ifindex) needs new ones (openChannels, below, when it appears)
        this.closeChannelsFor(old.name);
        this.sourcesChanged();
        return;
      }
      if (old && old.name !== e.link.name) {
        this.linksByName.delete(old.name);
        this.delays.forget(old.name);
      }
      const link = this.debounced(old, e.link);
      this.linksByIndex.set(link.ifindex, link);
      this.linksByName.set(link.name, link);
      // a new ifindex under this name (created, or deleted and created again): sockets
      // bound to a previous one would neither send nor receive
      if (!old) this.reopenChannelsFor(link.name);
      const wasUp = old?.up ?? false;
      if (wasUp !== link.up) this.linkChanged(link.name, link.up);
      if (!old) {
        this.applyPromoteSecondaries();
        this.sourcesChanged();
      }
      return;
    }
    if (e.type !== "addr") return; // routes and rules: onRouteEvent
    const a = e.addr;
    if (e.action === "new") {
      // a known address comes again when its flags change (DAD done: tentative cleared, or dadfailed)
      const i = this.addrs.findIndex((x) => sameAddr(x, a));
      const before = i >= 0 ? this.addrs[i] : undefined;
      if (before) this.addrs[i] = a;
      else this.addrs.push(a);
      logDad(this.log, before, a, this.linksByIndex.get(a.ifindex)?.name);
      if (this.own.added(a, this.oursOn)) this.ownAddressLine("Assigned address", "for", a);
      if (a.family === 6 && a.scope === RT_SCOPE_LINK) this.vmacsFollow(a.ifindex);
      // a VIP of ours that was being removed came back (a late event, someone's `ip addr add`)
      this.addrsChanged(this.releasing.size > 0);
      return;
    }
    this.addrs = this.addrs.filter((x) => !sameAddr(x, a));
    if (this.own.removed(a)) this.ownAddressLine("Deassigned address", "from", a);
    if (a.family === 6 && a.scope === RT_SCOPE_LINK) this.vmacsFollow(a.ifindex);
    if (e.own !== true) this.vipDeleted(a);
    this.restoreStaticAddress(a);
    this.addrsChanged(true);
  }

  /**
   * keepalived_netlink.c netlink_if_address_filter (2.2.7), with -D: an interface its
   * instances track got its first address of a family ("Assigned address … for interface …",
   * then try_up_instance) or lost its last ("Deassigned address … from interface …", then
   * down_instance). The instances follow in settleAddrs (refreshSources).
   */
  private ownAddressLine(what: string, prep: string, a: IfAddress): void {
    if (this.deferredStart || this.stopped) return;
    const name = this.linksByIndex.get(a.ifindex)?.name;
    if (name !== undefined && this.ownLineInterfaces().has(name))
      this.log.debug(`${what} ${a.address} ${prep} interface ${name}`);
  }

  /** The interfaces with instances in their tracking_vrrp: the tracked ones and the instances' VMACs. */
  private ownLineInterfaces(): Set<string> {
    const names = this.trackedInterfaces();
    for (const ifs of this.ifs.values()) if (ifs.vmac) names.add(ifs.vmac.name);
    return names;
  }

  /**
   * The address table changed: the instances' sources and the VIPs follow it, once per
   * batch of events when the kernel says where a batch ends (`readEvents`, onIdle:
   * settleAddrs), else at once. Issue 20: a 1,000-instance backup leaving MASTER read
   * 1,000 RTM_DELADDR and checked every instance's source and every VIP after each, on a
   * table that still lacked the RTM_NEWADDRs queued behind them, so it "restored" VIPs
   * it had just added (10^5 adds a minute); its VRRP sockets overflowed meanwhile and
   * the instances flapped.
   */
  private addrsChanged(restore: boolean): void {
    this.addrsDirty = true;
    if (restore) this.restoreDirty = true;
    if (!this.kernel.readEvents) this.settleAddrs();
  }

  /**
   * Sources, then VIPs, against the table read to the end. A pass's own changes (a
   * source lost: FAULT, its VIPs removed) come back as events: read by restoreVips or
   * the next wake-up, they make another pass; a few passes settle any real sequence.
   */
  private settleAddrs(): void {
    if (this.settlingAddrs) return; // the running pass sees these events too
    this.settlingAddrs = true;
    try {
      for (let pass = 0; this.addrsDirty && pass < 8; pass++) {
        this.addrsDirty = false;
        this.sourcesChanged();
        if (this.restoreDirty) {
          this.restoreDirty = false;
          this.restoreVips();
        }
        // events of this pass's own changes (read by restoreVips, or delivered at once by
        // a kernel without readEvents) set addrsDirty again: another pass
      }
    } finally {
      this.settlingAddrs = false;
    }
  }

  /**
   * keepalived keepalived_netlink.c netlink_if_address_filter (2.2.7, 2.4.3 alike): an
   * RTM_DELADDR of one of a MASTER's VIPs or eVIPs (address_is_ours: the address on the
   * interface it was set on, its family; not a `no_track` one) "transition[s] to backup":
   * set_vrrp_backup, the engine's vip-deleted command (a priority-0 advert, BACKUP with a
   * Master_Down of the skew time, the sync group's other MASTERs along), so a peer takes
   * over or, alone, it is MASTER again after the skew time and sets its VIPs again.
   * Only a VIP the engine holds as installed: keel's own deletions (`own`, and an
   * instance that left MASTER holds none) and a VIP the kernel refused to add (`refused`,
   * retried by reconcile) are not someone's `ip addr del`. A `no_track` VIP is left
   * deleted, as keepalived leaves it (nothing there adds it again before the instance's
   * next MASTER), and the instance stays MASTER.
   * keepalived logs "Netlink reflector reports IP … removed from …" with -D only: debug.
   */
  private vipDeleted(gone: IfAddress): void {
    if (this.deferredStart || this.stopped) return;
    const h = this.heldAddress(gone);
    if (!h || h.refused) return;
    if (h.address.noTrack) {
      h.leftDeleted = true;
      return;
    }
    const ifname = this.linksByIndex.get(gone.ifindex)?.name ?? `if${gone.ifindex}`;
    this.log.debug(`Netlink reflector reports IP ${gone.address} removed from ${ifname}`);
    const what = `${gone.address}/${gone.prefixLen} dev ${ifname}`;
    this.router.handleCommand({ type: "vip-deleted", instance: h.instance, what }, this.now());
    this.pump();
  }

  /**
   * address_is_ours's match (addr_is_equal): a MASTER's VIP or eVIP with the deleted
   * address on that interface, whatever the prefix (keepalived compares the addresses
   * only, so `ip addr del VIP/16` of a VIP set as /24 is a VIP deleted too). The exact
   * key first, which is the whole answer but for that case; else a look through the
   * held VIPs. keepalived skips the check when the address was the interface's own and
   * only one (`addr_chg`), which never holds for a VIP: it drops VIP and eVIP addresses
   * from an interface's own ones at start (vrrp.c, "Remove any addresses configured on
   * interfaces if they match any VIP/eVIP") and never takes one later
   * (ignore_address_if_ours_or_link_local), so keel needs no such test here.
   */
  private heldAddress(gone: IfAddress): Held | undefined {
    const master = (h: Held | undefined) =>
      h !== undefined && this.router.instances.get(h.instance)?.state === "MASTER";
    const exact = this.held.get(`${gone.ifindex}|${gone.address}/${gone.prefixLen}`);
    if (master(exact)) return exact;
    for (const h of this.held.values())
      if (h.ifindex === gone.ifindex && h.address.address === gone.address && master(h)) return h;
    return undefined;
  }

  /**
   * keepalived keepalived_netlink.c netlink_if_address_filter: RTM_DELADDR of a static
   * address (not `no_track`) adds it again at once ("Restoring deleted static address").
   */
  private restoreStaticAddress(gone: IfAddress): void {
    if (this.deferredStart || this.stopped) return;
    const ifname = this.linksByIndex.get(gone.ifindex)?.name;
    if (ifname === undefined) return;
    const c = this.opts.config;
    for (const a of staticsToRestore(c, c.globalDefs.defaultInterface, ifname).addresses) {
      if (a.address !== gone.address || a.prefix !== gone.prefixLen) continue;
      const err = this.kernel.vip("add", a, gone.ifindex);
      if (err) this.failed(err, `static:${a.address}`, `cannot restore static address ${a.address}/${a.prefix}`);
      else this.log.info(`Restoring deleted static address ${staticWords(a, ifname)}`);
    }
  }

  /**
   * The link as it stands after a report: the kernel's, or (interface_up_down_delays, a
   * change that waits for its delay) with the up-ness and flags it had.
   */
  private debounced(old: Link | undefined, now: Link): Link {
    // a polled interface's up/down is the poll's (keepalived_netlink.c ignores netlink's)
    if (this.linkbeat.polls(now.name)) return { ...now, up: this.linkbeat.up(now.name) };
    if (!old || old.name !== now.name) {
      this.delays.noteState(now.name, now.up);
      return now;
    }
    const verdict = this.delays.offer(
      now.name,
      { up: old.up, flags: old.flags ?? 0 },
      { up: now.up, flags: now.flags ?? 0 },
    );
    return verdict === "apply" ? now : { ...now, up: old.up, flags: old.flags };
  }

  /**
   * A delayed link change is due (link-delays.ts, with the flags it applies), or a poll
   * found the link changed (linkbeat.ts, which logged "Linkbeat reports"): it counts now.
   */
  private settleLink(name: string, up: boolean, flags: number | undefined): void {
    const l = this.linksByName.get(name);
    if (!l || this.stopped) return;
    const link = { ...l, up, flags: flags ?? l.flags };
    this.linksByName.set(name, link);
    this.linksByIndex.set(link.ifindex, link);
    if (l.up !== up) this.linkChanged(name, up, flags === undefined ? "Linkbeat" : "Netlink");
  }

  /** linkbeat_interfaces / linkbeat_use_polling: the polled interfaces' state from the first probe */
  private startLinkbeat(): void {
    if (!this.opts.linkbeat || this.stopped) return;
    this.linkbeat.start(this.opts.config, this.trackedInterfaces(), (name) => this.linksByName.has(name));
    for (const name of Object.keys(this.linkbeat.methods())) {
      const l = this.linksByName.get(name);
      if (l) this.linksByName.set(name, { ...l, up: this.linkbeat.up(name) });
      if (l) this.linksByIndex.set(l.ifindex, { ...l, up: this.linkbeat.up(name) });
    }
  }

  /** How an interface's link state is followed: polled (the method) and its delays, µs. */
  linkWatch(name: string): { linkbeat?: "MII" | "ETHTOOL" | "IOCTL"; delays?: { down: number; up: number } } {
    const out: { linkbeat?: "MII" | "ETHTOOL" | "IOCTL"; delays?: { down: number; up: number } } = {};
    const method = this.linkbeat.methods()[name];
    if (this.linkbeat.polls(name)) out.linkbeat = method ?? "IOCTL";
    const d = this.delays.delayOf(name);
    if (d) out.delays = { ...d };
    return out;
  }

  /** keepalived dump_if's lines (the Interfaces section of the SIGUSR1 dump) for the tracked interfaces */
  interfaceDump(): string[] {
    const out: string[] = [];
    for (const name of [...this.trackedInterfaces()].sort()) {
      const l = this.linksByName.get(name);
      const d = this.delays.delayOf(name);
      out.push(` Name = ${name}`, `   index = ${l?.ifindex ?? 0}${l ? "" : " (deleted)"}`);
      out.push(`   Up debounce timer = ${d?.up ?? 0}us`, `   Down debounce timer = ${d?.down ?? 0}us`);
      out.push(this.linkbeat.nicLine(name));
    }
    return out;
  }

  private linkChanged(name: string, up: boolean, source: "Netlink" | "Linkbeat" = "Netlink"): void {
    if (up) this.restoreStatics(name);
    if (this.deferredStart || !this.trackedInterfaces().has(name)) return;
    // linkbeat.ts logged "Linkbeat reports" itself (vrrp_if.c if_linkbeat_refresh_thread)
    if (source === "Netlink") this.log.info(`Netlink reports ${name} ${up ? "up" : "down"}`);
    this.router.handleTrack({ kind: "interface", name, up }, this.now());
    this.pump();
  }

  /**
   * keepalived vrrp_if.c interface_up → static_track_group_reinstate_config: an interface
   * that comes up gets its static addresses and routes (not `no_track`) again, since the
   * kernel dropped its IPv4 routes (and IPv6 addresses) when it went down. An address the
   * kernel kept is added again harmlessly (the kernel layer takes EEXIST as done).
   */
  private restoreStatics(ifname: string): void {
    if (this.deferredStart || this.stopped) return;
    const c = this.opts.config;
    const { addresses, routes } = staticsToRestore(c, c.globalDefs.defaultInterface, ifname);
    if (addresses.length === 0 && routes.length === 0) return;
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    const ifindex = ifindexOf(ifname);
    if (ifindex === undefined) return;
    for (const a of addresses) {
      const err = this.kernel.vip("add", a, ifindex);
      if (err) this.failed(err, `static:${a.address}`, `cannot restore static address ${a.address}/${a.prefix}`);
      else this.log.info(`Restoring deleted static address ${staticWords(a, ifname)}`);
    }
    for (const r of routes) {
      const err = this.kernel.route("add", r, ifindexOf);
      if (err) this.failed(err, `static:${r.dst}`, `cannot restore static route ${r.dst}`);
      else this.log.info(`Restoring deleted static route ${emitRoute(r) ?? r.dst}`);
    }
  }

  private reopenChannelsFor(ifname: string): void {
    this.closeChannelsFor(ifname);
    this.openChannels();
  }

  private closeChannelsFor(ifname: string): void {
    for (const [key, ch] of [...this.channels])
      if (key.startsWith(`${ifname}|`)) {
        ch.close();
        this.channels.delete(key);
      }
  }

  /**
   * reconcileMs after anything that can part them (wantReconcile), and every reconcileMs
   * while a retry is owed, the believed state is put back on the kernel. keepalived has no
   * such pass: netlink_iplist (vrrp_ipaddress.c) marks an address whose add failed as not
   * set and never tries again, and forgets one whose delete failed. keel retries instead,
   * so a passing refusal (ENOBUFS, EBUSY, a full netlink socket) leaves neither a MASTER
   * without its VIP nor a BACKUP with one. A VIP someone deleted under a MASTER is not
   * this pass's: as keepalived (keepalived_netlink.c, set_vrrp_backup) the MASTER leaves
   * MASTER with a priority-0 advert and, alone, comes back after the skew time with its
   * VIPs set again (vipDeleted); a `no_track` one stays deleted, as keepalived leaves it.
   *
   * Retried: netlink subscription and stale tables, missing VRRP sockets, VIPs of a
   * MASTER the kernel lacks (refused, or lost with the events: a resync) and removed VIPs it still has, refused virtual routes/rules.
   * Not retried: adverts (the next one is due in advert_int; backups wait three, RFC 5798
   * 6.4.2) and GARP/NA (the engine repeats them: garp_master_repeat/refresh).
   */
  private onReconcile(): void {
    this.reconcileTimer = undefined;
    if (this.stopped) return;
    this.reconcileWanted = false;
    try {
      this.guard("the reconcile", () => this.reconcile());
      this.pump();
    } finally {
      // a failure in this pass asked for the next one (failed, guard); so do retries still owed
      if (this.reconcileWanted || this.retrying()) this.wantReconcile();
    }
  }

  /**
   * Arms the reconcile pass reconcileMs from now, unless it is armed. The pass compares
   * what the engine believes with the tables netlink reported, so its outcome can change
   * only when one of them does: a netlink event, a state change of the engine (pump), a
   * kernel call that failed (failed) or threw (guard), a reload. Those ask for it; a
   * steady daemon has none, and no pass wakes it (issue 20: every second, it was one of
   * the two wake-ups of an idle one-instance daemon, and it re-keyed every VIP). Lost
   * netlink events are not among them: the kernel reports them (ENOBUFS, an overrun
   * event), and the pass reads no table itself, so it could not have seen them either.
   */
  private wantReconcile(): void {
    this.reconcileWanted = true;
    if (this.reconcileTimer !== undefined || this.stopped) return;
    this.reconcileTimer = this.timers.set(() => this.onReconcile(), this.reconcileMs);
  }

  /** What a pass left to retry: the tables or the engine not started, VIPs or routes not done. */
  private retrying(): boolean {
    return (
      this.tablesStale || !this.unwatch || this.deferredStart || this.releasing.size > 0 || this.pendingRoutes.size > 0
    );
  }

  private reconcile(): void {
    if (!this.unwatch) this.startWatch();
    if (this.tablesStale && this.unwatch) this.resync();
    if (this.deferredStart) {
      if (this.tablesStale || !this.unwatch) return;
      // the engine takes its source addresses when it is built: build it on the tables read now
      const waited = this.router;
      this.router = this.newRouter(this.opts.config);
      // what the trackers reported meanwhile (they start before the engine: daemon.ts)
      this.router.carryTracking(waited);
      this.startEngine();
    }
    this.openChannels();
    this.restoreVips();
    this.retryRoutes();
    this.firewallFollow();
  }

  /**
   * The VIPs the engine believes installed (`held`) and removed (`releasing`) against
   * the address table as netlink reported it: a MASTER's missing VIP is added (one the
   * kernel refused; one someone removed with `ip addr del` made a tracked VIP's MASTER
   * leave MASTER first, vipDeleted), a removed one still there is deleted, and so
   * is any VIP of an instance that is not MASTER (whatever became of its bookkeeping:
   * keel owns its configured VIPs, as keepalived's start-up "removing protocol VIPs" says).
   */
  private restoreVips(): void {
    // the table as the kernel has it now: the notifications of the VIPs this daemon just
    // added or removed are queued before the kernel's ACK, and a VIP added but not yet
    // reported would be "restored" (addMissing), one removed but still listed removed again
    const err = this.kernel.readEvents?.();
    if (err) {
      // events may be lost: the next pass reads the tables again (resync)
      this.tablesStale = true;
      this.failed(err, "watch", "cannot read netlink events; reading the tables again");
    }
    // one set per pass: it runs every second over what may be thousands of VIPs
    const present = new Set(this.addrs.map(addrKey));
    if (!this.tablesStale) this.collectStrays(present);
    this.addMissing(present);
    this.removeReleased();
  }

  private collectStrays(present: Set<string>): void {
    for (const inst of this.router.instances.values()) {
      if (inst.state === "MASTER") continue;
      const ifs = this.ifs.get(inst.name);
      for (const address of [...inst.p.vips, ...inst.p.excluded]) {
        const ifindex = this.linksByName.get(vipDev(ifs, address) ?? "")?.ifindex;
        if (ifindex === undefined) continue;
        const key = heldKey(ifindex, address);
        if (present.has(key) && !this.held.has(key)) this.releasing.set(key, { instance: inst.name, address, ifindex });
      }
    }
  }

  private addMissing(present: Set<string>): void {
    for (const [key, h] of this.held) {
      if (this.router.instances.get(h.instance)?.state !== "MASTER") {
        this.held.delete(key);
        this.releasing.set(key, h);
        continue;
      }
      if (present.has(key) || h.leftDeleted) continue;
      const err = this.kernel.vip("add", h.address, h.ifindex);
      const vip = `${h.address.address}/${h.address.prefix}`;
      const ifname = this.linksByIndex.get(h.ifindex)?.name;
      if (err) this.failed(err, `vip:${key}`, `(${h.instance}) cannot add VIP ${vip} on ${ifname}`);
      else if (h.refused) this.log.info(`(${h.instance}) VIP ${vip} added on ${ifname} at another try`);
      else this.log.info(`(${h.instance}) VIP ${vip} was removed from ${ifname}; restored`);
      h.refused = err !== undefined;
    }
  }

  /**
   * Deleted until the kernel says done ("already gone" counts): never dropped for being
   * absent from the table, which can lag the kernel by the notifications still in flight.
   */
  private removeReleased(): void {
    const items = [...this.releasing].filter(([key]) => {
      if (this.held.has(key)) this.releasing.delete(key); // wanted again
      return !this.held.has(key);
    });
    if (items.length === 0) return;
    const errors = this.kernel.vips(
      "del",
      items.map(([, h]) => ({ address: h.address, ifindex: h.ifindex })),
    );
    items.forEach(([key, h], i) => {
      const err = errors[i];
      if (!err) this.releasing.delete(key);
      else this.failed(err, `vip:${key}`, `(${h.instance}) cannot remove VIP ${h.address.address}/${h.address.prefix}`);
    });
  }

  private retryRoutes(): void {
    for (const [key, p] of this.pendingRoutes) {
      // only while the instance still wants it: a MASTER its routes, any other state none
      if (p.add !== (this.router.instances.get(p.instance)?.state === "MASTER")) {
        this.pendingRoutes.delete(key);
        continue;
      }
      const err = p.run();
      if (err) this.failed(err, key, `(${p.instance}) cannot ${p.add ? "add" : "remove"} ${p.what}`);
      else {
        this.pendingRoutes.delete(key);
        if (p.add) this.routesSet.add(key);
      }
    }
  }

  // ---------------------------------------------------------------------------
  // outputs

  /**
   * Carry out every pending action, then re-arm the one timer. Never throws: one failed
   * action does not keep the others (an advert after a refused VIP) from running, and the
   * timer is armed whatever they did, so kernel failures cannot shift the advert timing.
   */
  private pump(): void {
    // try/catch in line, not guard(): no closure or "where" string per advert (issue 20)
    // One list kept for the pump's actions, not a new one per advert deadline (issue 20); a
    // pump run from inside another (an action's callback) takes a list of its own.
    const list = this.pumping ? [] : this.pumpList;
    let actions: readonly Action[] = NO_ACTIONS;
    try {
      this.router.drainActions(list);
      actions = logOrder(list);
    } catch (e) {
      this.internalError("the engine's actions", e);
    }
    const outer = !this.pumping;
    this.pumping = true;
    try {
      this.runActions(actions);
    } finally {
      // the kept list holds no action after the pump (the engine's records are its own)
      if (outer) {
        this.pumping = false;
        list.length = 0;
      }
    }
    try {
      this.arm();
    } catch (e) {
      this.internalError("arming the timer", e);
    }
    if (outer && !this.stopped)
      try {
        this.adverts.sync(this.now);
        this.takeover.follow(this.instanceNamed);
      } catch (e) {
        this.internalError("queueing adverts", e);
      }
    if (outer && this.toReady.size > 0) this.readyTakeovers();
  }
  private readonly pumpList: Action[] = [];
  private pumping = false;

  private runActions(actions: readonly Action[]): void {
    let reconcile = false;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      // what a reconcile pass checks moves with these (VIPs, routes, the firewall's sets)
      if (a.type === "transition" || a.type === "add-vips" || a.type === "del-vips") reconcile = true;
      // a MASTER's held lines go out at its add-vips' request; before anything else otherwise
      if (this.heldLines && (a.type !== "add-vips" || a.instance !== this.heldLines.instance)) this.flushLines();
      // a transition's event goes out after its add-vips (transition), before anything else;
      // after a leaving master's priority-0 advert, which logOrder puts after its transition
      if (a.type !== "add-vips" && !(a.type === "send-advert" && a.advert.priority === 0)) this.releaseEvent();
      try {
        this.execute(a, actions[i + 1]);
      } catch (e) {
        this.internalError(`a ${a.type} action`, e);
      }
    }
    this.flushLines();
    this.releaseEvent();
    // frames sent ahead whose action did not come (it always follows its add-vips): their lines now
    this.garpLinesAhead();
    // armed after the actions, not at the transition: at a failover its timer_settime came
    // before the VIPs' request (issue 20, bench/RESULTS.md hfo4)
    if (reconcile) this.wantReconcile();
  }

  private arm(): void {
    if (this.stopped) return;
    const t = this.router.pollTimeout();
    if (t === undefined) {
      if (this.timer !== undefined) this.timers.clear(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.timerDeadline = Number.POSITIVE_INFINITY;
      return;
    }
    // A BACKUP's Master_Down deadline is woken PREWAKE_MS early once (issue 20): the wake-up
    // path (Bun's signal dispatch, the timer pool, onTimer, the engine's timer queue) has
    // then just run when the deadline's own wake-up comes. A backup sleeps for seconds
    // before a failover, and that path, cold, took 0.4–0.9 ms from the wake-up to the
    // callback against 0.2 ms for a master's advert timer (bench/RESULTS.md, "Failover, the
    // cold path"). A deadline moved by an advert in the meantime is armed again as before.
    const pre = this.router.nextMasterDown() !== undefined;
    // an armed timer that fires no later than needed stays: a backup's every advert moves
    // its deadline later, and re-arming per packet costs more than one early wake-up
    // (onTimer finds nothing due and arms for the real deadline); so does one armed for
    // this very deadline (its pre-wake or, after it, the deadline itself)
    if (this.timer !== undefined && (this.timerDeadline === t || this.timerAt <= (pre ? t - PREWAKE_MS : t))) return;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    // the clock is read only to arm: it is the engine's time's floor (wakeTime's lastSeen)
    const now = this.now();
    const at = pre && t - PREWAKE_MS > now ? t - PREWAKE_MS : t;
    this.timerAt = at;
    this.timerDeadline = t;
    // on the daemon's kernel timers, the deadline mapped to CLOCK_MONOTONIC as a queued
    // advert's is (advert-queue.ts): both expire together, one wake-up of the thread
    this.timer =
      this.timers.setAtTime !== undefined && this.opts.now === undefined
        ? this.timers.setAtTime(this.onTimerFired, at)
        : this.timers.set(this.onTimerFired, Math.max(0, at - now));
  }

  /** `next`: the action after this one (an add-vips' GARPs may leave with it: applyVips) */
  private execute(a: Action, next?: Action): void {
    switch (a.type) {
      case "send-advert":
        this.sendAdvert(a.advert);
        this.extraGarp(a.advert.instance);
        return;
      case "add-vips":
      case "del-vips":
        this.applyVips(a, next?.type === "send-garp" ? next : undefined);
        return;
      case "send-garp":
        if (this.garpsAhead?.action === a) this.garpLinesAhead();
        else this.sendGarps(a.instance, a.addresses, a.count);
        return;
      case "transition":
        // a member a sync group pulls out of MASTER into FAULT: keepalived vrrp_sync_fault
        // calls vrrp_state_leave_master(isync, false), whose priority-0 advert writes no
        // "sent 0 priority" (only vrrp_restore_interface's advF one does)
        if (a.reason === "sync-group" && a.from === "MASTER" && a.to === "FAULT") this.silentZero.add(a.instance);
        if (a.to === "BACKUP") this.toReady.add(a.instance);
        this.transition(a);
        return;
      case "priority":
        this.toReady.add(a.instance); // the takeover's advert carries the new one
        this.opts.onEvent?.({ event: "priority", at: Date.now(), instance: a.instance, from: a.from, to: a.to });
        this.log.info(
          { instance: a.instance, event: "priority", from: a.from, to: a.to },
          `(${a.instance}) Changing effective priority from ${a.from} to ${a.to}`,
        );
        // keepalived vrrp_set_effective_priority: the state it is in as the priority changes
        this.opts.onInstanceEvent?.(
          a.instance,
          this.router.instances.get(a.instance)?.state === "MASTER" ? "MASTER_PRIORITY" : "BACKUP_PRIORITY",
          a.to,
        );
        return;
      case "rx-error":
        this.rxErrors.add(a);
        this.rateLog(`rx-error:${a.instance}:${a.code}:${a.from}`, a.message, {
          instance: a.instance,
          event: "rx-error",
          code: a.code,
          from: a.from,
        });
        return;
      case "notify":
        this.log.trace(
          { event: "notify", kind: a.kind, name: a.name, state: a.state, priority: a.priority },
          `notify ${a.kind} ${a.name} ${a.state} ${a.priority}`,
        );
        this.opts.onNotify?.(a);
        this.opts.onEvent?.({
          event: "notify",
          at: Date.now(),
          kind: a.kind,
          name: a.name,
          state: a.state,
          priority: a.priority,
        });
        return;
      case "group-sync":
        this.log.info(
          { group: a.group, event: "group-sync", state: a.state },
          `VRRP_Group(${a.group}) Syncing instances to ${a.state} state`,
        );
        return;
      case "master-adver-int": {
        // keepalived logs both only with -D (LOG_DETAIL_BIT)
        this.log.debug(
          { instance: a.instance, event: "master-adver-int", from: a.from * 10, to: a.to * 10 },
          `(${a.instance}) advertisement interval updated from ${a.from * 10}ms to ${a.to * 10}ms by master`,
        );
        const v = this.opts.config.vrrpInstances[a.instance];
        this.delays.masterAdverInt(a.instance, v?.interface, v?.downTimerAdverts ?? 3, a.from, a.to);
        return;
      }
      case "observed": {
        // [wire] seen on the wire (src/vrrp/observe.ts, observations.ts)
        const o = this.observations.take(a, Date.now(), this.now());
        if (o.event) this.opts.onEvent?.(o.event);
        if (o.log) this.log[o.log.level](o.log.fields, o.log.line);
        return;
      }
      case "old-checksum":
        // keepalived vrrp_check_packet's line, when the instance switches
        this.log.info(
          { instance: a.instance, event: "old-checksum", from: a.from },
          `(${a.instance}) Setting unicast VRRPv3 checksum to old version`,
        );
        return;
      case "master-rx-lower-pri": {
        // keepalived vrrp_state_master_rx's line, once per answer: the engine answers a
        // peer at most once per advert interval, and says how many it left unanswered
        const inst = this.router.instances.get(a.instance);
        const force = inst?.p.lowerPrioNoAdvert ? "" : ", forcing new election";
        const more = a.suppressed > 0 ? ` (${a.suppressed} more unanswered)` : "";
        this.log.info(
          { instance: a.instance, event: "master-rx-lower-pri", from: a.from, suppressed: a.suppressed },
          `(${a.instance}) Received advert from ${a.from} with lower priority ${a.priority}, ` +
            `ours ${a.ours}${force}${more}`,
        );
        // keepalived send_event_notify, once per answer here (the engine's answer budget)
        this.opts.onInstanceEvent?.(a.instance, "MASTER_RX_LOWER_PRI", a.ours);
        return;
      }
    }
  }

  /**
   * keepalived's order on becoming MASTER (vrrp.c vrrp_state_master_tx → _become_master):
   * the advert, the log lines, the addresses, then send_instance_notifies (scripts, SNMP
   * traps, D-Bus signals) and the LVS sync daemon. So the lines are written here, and the
   * event (the control socket's subscribers, SNMP, D-Bus, lvs_sync_daemon: the daemon's
   * onEvent) waits for the instance's add-vips (pump); `why` is built when first read:
   * a console log line has no use for it, a JSON one and the event have.
   *
   * To MASTER, all of it (the counts, the extra GARPs' time, the lines) is held until just
   * after the VIPs' netlink request is sent (applyVips), in the same turn, the lines in
   * keepalived's order among themselves; keepalived writes them just before (vrrp.c
   * vrrp_state_master_tx, vrrp_state_become_master). Cold, this ran 0.2-0.5 ms of a
   * failover's path to the VIP (issue 20, bench/RESULTS.md hfo3 and hfo4); the lines' stamps
   * now follow the addresses by that much. Nothing else is written in between: any other
   * action or line writes them first (flushLines). The event keeps the decision's time.
   */
  private transition(a: Extract<Action, { type: "transition" }>): void {
    const at = Date.now();
    if (a.to === "MASTER") this.heldLines = { instance: a.instance, write: () => this.transitionNow(a, at) };
    else this.transitionNow(a, at);
  }

  private transitionNow(a: Extract<Action, { type: "transition" }>, at: number): void {
    let why: string | undefined;
    const whyOf = () => {
      why ??= describeCause(a.cause);
      return why;
    };
    const counts = this.transitions.get(a.instance) ?? new Map<string, number>();
    this.transitions.set(a.instance, counts);
    counts.set(`${a.to} ${a.reason}`, (counts.get(`${a.to} ${a.reason}`) ?? 0) + 1);
    // garp_extra_if: the first extra GARP one interval after becoming MASTER
    if (a.to === "MASTER") this.extraGarpAt.set(a.instance, this.now() + this.extraGarpMs(a.instance));
    const fields = {
      instance: a.instance,
      event: "transition",
      from: a.from,
      to: a.to,
      reason: a.reason,
      get why() {
        return whyOf();
      },
    };
    if (a.reason === "init") this.initRestoreLines(a.instance);
    for (const line of transitionDetailLines(a)) this.log.debug(fields, line);
    for (const line of transitionLines(a)) this.log.info(fields, line);
    this.heldEvent = () =>
      this.opts.onEvent?.({
        event: "transition",
        at,
        instance: a.instance,
        from: a.from,
        to: a.to,
        reason: a.reason,
        why: whyOf(),
        // status' faults after the change, so a subscriber needs no status poll for them
        faults: this.router.instances.get(a.instance)?.faultList().map(faultKey) ?? [],
      });
  }

  /**
   * keepalived vrrp_init_state: an instance that starts in BACKUP or FAULT (not an owner)
   * goes through vrrp_restore_interface(vrrp, false, false) again before its "(init)"
   * line; it set nothing yet, so nothing is removed, but vrrp_handle_iprules/_iproutes
   * still write their -D lines.
   */
  private initRestoreLines(instance: string): void {
    const p = this.router.instances.get(instance)?.p;
    if (p?.rules.length) this.log.debug(`(${instance}) removing Virtual Rules`);
    if (p?.routes.length) this.log.debug(`(${instance}) removing Virtual Routes`);
  }

  /** Run a held transition to MASTER (transition): at its VIPs' request, or before any other action or line. */
  private flushLines(): void {
    const held = this.heldLines;
    if (!held) return;
    this.heldLines = undefined;
    held.write();
  }

  /** The held transition event (transition), once its instance's addresses are in. */
  private releaseEvent(): void {
    const emit = this.heldEvent;
    if (!emit) return;
    this.heldEvent = undefined;
    try {
      emit();
    } catch (e) {
      this.internalError("a transition event", e);
    }
  }

  /** Where `inst`'s adverts leave now, as sendAdvert finds it (its VRRP socket, its source), or undefined. */
  private advertRoute(inst: Instance): { ch: VrrpChannel; src: string } | undefined {
    const ifs = this.ifs.get(inst.name);
    const src = inst.p.source;
    if (!ifs?.sendIf || src === undefined) return undefined;
    const ch = this.channels.get(this.channelKey(ifs.sendIf, inst.p.family, 112));
    if (ch === undefined) return undefined;
    this.routeOut.ch = ch;
    this.routeOut.src = src;
    return this.routeOut;
  }

  private sendAdvert(advert: Extract<Action, { type: "send-advert" }>["advert"]): void {
    // taken here, whether the advert leaves or not, so it cannot silence a later one
    const silent = advert.priority === 0 && this.silentZero.delete(advert.instance);
    const inst = this.router.instances.get(advert.instance) ?? this.retiring?.instances.get(advert.instance);
    const ifs = this.ifs.get(advert.instance);
    const src = inst?.p.source;
    if (!inst || !ifs?.sendIf || src === undefined) {
      this.rateLog(
        `nosrc:${advert.instance}`,
        `(${advert.instance}) no source address on ${ifs?.base ?? ifs?.unbound?.label ?? "?"}: advert not sent`,
      );
      return;
    }
    const proto = advert.auth?.type === "AH" ? 51 : 112;
    const key = this.channelKey(ifs.sendIf, advert.family, proto);
    // a socket the kernel refused: try again now, at the advert, not only at the next reconcile
    if (!this.channels.has(key)) this.openChannels();
    const ch = this.channels.get(key);
    if (!ch) {
      this.rateLog(
        `nochan:${advert.instance}`,
        `(${advert.instance}) no VRRP socket on ${ifs.sendIf}: advert not sent`,
      );
      return;
    }
    // the kernel sent it at its deadline (advert-queue.ts): the engine's very advert
    if (this.adverts.sent(inst, advert, ch, src, this.firingAt)) return;
    // the instance's kept packets, sent at once (the channel copies nothing it keeps);
    // strings only on failure: no garbage per advert (issue 20). auth_hmac's are signed
    // with the wall clock, fresh each time.
    const pkts = advertPacketsShared(advert, src, advert.hmac ? this.wallNow() : 0);
    for (let i = 0; i < pkts.length; i++) {
      const pkt = pkts[i]!;
      // not retried: the next advert is due in advert_int (see reconcile)
      const err = ch.send(pkt.dst, pkt.data);
      if (err)
        this.failed(
          err,
          `tx:${advert.instance}`,
          `(${advert.instance}) cannot send advert to ${pkt.dst} on ${ifs.sendIf}`,
        );
    }
    // keepalived vrrp.c vrrp_restore_interface: "sent 0 priority" only with -D
    // (LOG_DETAIL_BIT); keel's debug level is what -D turns on
    if (advert.priority === 0 && !silent)
      this.log.debug(
        { instance: advert.instance, event: "priority-zero-sent" },
        `(${advert.instance}) sent 0 priority`,
      );
  }

  /**
   * `garp`: the engine's next action, when it is the same instance's GARPs. Becoming
   * MASTER, with the transition's lines held (transition), their first frames leave just
   * after the VIPs' request, ahead of every line (garpsAhead); keepalived sends them after
   * the request too (vrrp_state_become_master → vrrp_send_link_update), its lines written
   * before it. Not with virtual routes or rules, which keepalived adds before the GARPs.
   */
  private applyVips(a: Extract<Action, { type: "add-vips" | "del-vips" }>, garp?: GarpAction): void {
    const add = a.type === "add-vips";
    if (!add && this.opts.dontReleaseVrrp && this.stopped) return;
    // keepalived vrrp_restore_interface: the rules and routes go before the VIPs
    if (!add) this.applyRoutes(a.instance, add, a.routes, a.rules);
    // one netlink batch for all of an instance's addresses: 1,000 VIPs in tens of ms
    let items = this.vipItems(a.instance, [...a.addresses, ...a.excluded], add);
    // the same VIPs laid out at the pre-wake (prepareTakeover): the kernel sends those as laid out
    const laid = add ? this.takeovers.get(a.instance) : undefined;
    if (laid !== undefined && sameItems(laid, items)) items = laid;
    // the same items queued at the pre-wake (takeover-queue.ts): Kernel.vips takes that request back
    if (add) this.takeover.claim(items);
    // keepalived vrrp_state_become_master: the drop rule before the VIPs go up; after they go down
    if (add) this.firewallVips(a.instance, true, items);
    const lines = () => {
      if (a.addresses.length > 0)
        this.log.info(
          { instance: a.instance, event: add ? "vips-set" : "vips-removed" },
          `(${a.instance}) ${add ? "setting" : "removing"} VIPs.`,
        );
      // keepalived vrrp_handle_ipaddress logs the eVIPs' list apart, after the VIPs'
      if (a.excluded.length > 0) this.log.info(`(${a.instance}) ${add ? "setting" : "removing"} E-VIPs.`);
    };
    // becoming MASTER: the request first, then the transition's held lines and these (transition())
    const held = add && this.heldLines?.instance === a.instance;
    if (!held) lines();
    const errors = items.length > 0 ? this.kernel.vips(add ? "add" : "del", items) : [];
    if (held) {
      if (garp?.instance === a.instance && a.routes.length === 0 && a.rules.length === 0) this.sendGarpsAhead(garp);
      this.flushLines();
      lines();
    }
    items.forEach((it, i) => {
      const key = heldKey(it.ifindex, it.address);
      const h: Held = { instance: a.instance, address: it.address, ifindex: it.ifindex, refused: add && !!errors[i] };
      // the engine's belief, whatever the kernel said: reconcile makes the kernel follow
      if (add) this.held.set(key, h);
      else this.held.delete(key);
      // a removal the kernel refused is tried again until it says done
      if (add || !errors[i]) this.releasing.delete(key);
      else this.releasing.set(key, h);
      // an address already there (add) or already gone (del: the start-up clean-up) is no error
      const err = errors[i];
      const what = `VIP ${it.address.address}/${it.address.prefix} on ${it.ifname}`;
      if (err) this.failed(err, `vip:${key}`, `(${a.instance}) cannot ${add ? "add" : "remove"} ${what}; trying again`);
    });
    if (!add) this.firewallVips(a.instance, false, items);
    else this.applyRoutes(a.instance, add, a.routes, a.rules);
  }

  /** VIPs with the interface each goes on; one without an interface is left out (said when adding). */
  private vipItems(instance: string, addresses: readonly VirtualAddress[], add: boolean): VipItem[] {
    const ifs = this.ifs.get(instance);
    const items: VipItem[] = [];
    for (const va of addresses) {
      const dev = vipDev(ifs, va);
      const link = dev === undefined ? undefined : this.linksByName.get(dev);
      if (!link) {
        if (add)
          this.rateLog(
            `nodev:${instance}:${dev}`,
            `(${instance}) cannot add VIP ${va.address}: no interface ${dev ?? "(none)"}`,
          );
        continue;
      }
      items.push({ address: va, ifindex: link.ifindex, ifname: link.name });
    }
    return items;
  }

  /**
   * The drop sets against the instances' states: after a reload, a master whose accept
   * mode changed (the engine took it over as it ran: accept is no engine parameter) has
   * its VIPs put into or taken out of the sets (keepalived clear_diff_vrrp_vip); at each
   * reconcile, a batch the kernel refused is tried again.
   */
  private firewallFollow(): void {
    const fw = this.firewall;
    if (!fw) return;
    for (const inst of this.router.instances.values()) {
      const v = this.opts.config.vrrpInstances[inst.name];
      const wanted = inst.state === "MASTER" && !!v && needsFirewall(this.opts.config, v, inst.p.version);
      if (wanted === fw.holds(inst.name)) continue;
      if (!wanted) this.firewallRemove(fw, inst.name);
      else this.firewallVips(inst.name, true, this.vipItems(inst.name, [...inst.p.vips, ...inst.p.excluded], false));
    }
  }

  /**
   * vrrp_strict / no_accept (firewall.ts): while a non-owner without accept mode is
   * MASTER, its VIPs are in the nftables drop sets (keepalived vrrp_handle_accept_mode).
   */
  private firewallVips(instance: string, add: boolean, items: readonly VipItem[]): void {
    const fw = this.firewall;
    if (!fw || items.length === 0) return;
    if (!add) {
      this.firewallRemove(
        fw,
        instance,
        items.map((it) => it.address.address),
      );
      return;
    }
    const v = this.opts.config.vrrpInstances[instance];
    const version = this.router.instances.get(instance)?.p.version;
    if (!v || version === undefined || !needsFirewall(this.opts.config, v, version)) {
      // a reload turned accept on for a master (keepalived clear_diff_vrrp_vip): its VIPs leave the sets
      this.firewallRemove(fw, instance);
      return;
    }
    const err = fw.add(
      instance,
      items.map((it) => ({
        address: it.address.address,
        family: it.address.family,
        ifindex: it.ifindex,
        ifname: it.ifname,
        // vrrp_nftables.c nft_update_ipv6_address: by name only on the instance's own interface
        byName:
          !fw.settings.ifindex &&
          v.dontTrackPrimary &&
          (it.address.dev === undefined || it.address.dev === v.interface || !!it.address.noTrack),
      })),
    );
    // said once it is done: a refused batch is tried again at every reconcile
    if (err) this.failed(err, `firewall:${instance}`, `(${instance}) cannot set the firewall drop rule`);
    else this.log.info({ instance, event: "firewall-set" }, `(${instance}) setting firewall drop rule`);
  }

  /** The instance's VIPs (these, or all it holds) out of the drop sets. */
  private firewallRemove(fw: VipFirewall, instance: string, addresses?: string[]): void {
    if (!fw.holds(instance)) return;
    this.log.info({ instance, event: "firewall-removed" }, `(${instance}) removing firewall drop rule`);
    const err = fw.remove(instance, addresses);
    if (err) this.failed(err, `firewall:${instance}`, `(${instance}) cannot remove the firewall drop rule`);
  }

  /**
   * keepalived vrrp_state_become_master: the routes, then the rules (after the VIPs);
   * vrrp_restore_interface: the rules, then the routes (before the VIPs). Each list, when
   * the instance has one, under its -D line (vrrp_handle_iproutes / vrrp_handle_iprules:
   * "(VI_1) setting Virtual Routes", "(VI_1) removing Virtual Rules").
   * A route already there (EEXIST, `add`'s NLM_F_EXCL refused) counts as set, without a
   * word, as keepalived's netlink_parse_info takes EEXIST on RTM_NEWROUTE (2.2.7, 2.4.3),
   * so it is deleted on leaving MASTER as keepalived deletes it.
   */
  private applyRoutes(instance: string, add: boolean, routes: Route[], rules: Rule[]): void {
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    const op = add ? "add" : "del";
    const routeJobs = routes.map((r) => ({
      key: routeJobKey(instance, "route", r),
      what: `virtual route ${r.dst}`,
      run: () => this.kernel.route(op, r, ifindexOf),
    }));
    const ruleJobs = rules.map((r) => ({
      key: routeJobKey(instance, "rule", r),
      what: "virtual rule",
      run: () => this.kernel.rule(op, r),
    }));
    const lists: [string, typeof routeJobs][] = [
      ["Routes", routeJobs],
      ["Rules", ruleJobs],
    ];
    if (!add) lists.reverse();
    for (const [kind, jobs] of lists) this.runRouteJobs(instance, add, kind, jobs);
  }

  private runRouteJobs(
    instance: string,
    add: boolean,
    kind: string,
    jobs: { key: string; what: string; run: () => KernelError | undefined }[],
  ): void {
    if (jobs.length === 0) return;
    this.log.debug(`(${instance}) ${add ? "setting" : "removing"} Virtual ${kind}`);
    for (const j of jobs) {
      // netlink_rtlist / netlink_rulelist: a delete only of what was set (none at start:
      // keepalived leaves routes it did not set, and so says nothing of them)
      // (a pending add of it is dropped by retryRoutes once the instance is not MASTER)
      if (!add && !this.routesSet.has(j.key)) continue;
      const err = j.run();
      // the latest intent for a route wins: an add after a failed delete replaces it
      this.pendingRoutes.delete(j.key);
      if (add && !err) this.routesSet.add(j.key);
      if (!add) this.routesSet.delete(j.key);
      if (!err) continue;
      this.pendingRoutes.set(j.key, { instance, add, what: j.what, run: j.run });
      this.failed(err, j.key, `(${instance}) cannot ${add ? "add" : "remove"} ${j.what}; trying again`);
    }
  }

  private sendGarps(instance: string, addresses: string[], count: number): void {
    const items = this.garpItems(instance, addresses);
    this.garpQueueLines(instance, items);
    this.sendPaced(this.garps.submit(instance, items, count));
  }

  /**
   * A failover's first GARP/NA frames, sent before the lines (applyVips): on a 2-CPU
   * machine the transition's lines, event and the GARPs' own lines held them 0.4–0.5 ms
   * after the VIPs' request against keepalived's 0.05 ms (issue 20, bench/RESULTS.md).
   * Their lines, and any error, are written when the send-garp action comes
   * (garpLinesAhead), where and as sendGarps writes them: the log reads as before.
   */
  private sendGarpsAhead(a: GarpAction): void {
    const items = this.garpItems(a.instance, a.addresses);
    const sends = this.garps.submit(a.instance, items, a.count);
    this.garpsAhead = { action: a, items, sends, errors: this.sendGarpFrames(sends) };
  }
  private garpsAhead:
    | { action: GarpAction; items: GarpTarget[]; sends: GarpSend[]; errors: (KernelError | undefined)[] }
    | undefined;

  /** The lines of the frames sendGarpsAhead sent, as sendGarps writes them. */
  private garpLinesAhead(): void {
    const ahead = this.garpsAhead;
    if (!ahead) return;
    this.garpsAhead = undefined;
    this.garpQueueLines(ahead.action.instance, ahead.items);
    this.garpSentLines(ahead.sends, ahead.errors);
  }

  /** The addresses' interfaces, and the one whose delay record paces each (a VMAC's base). */
  private garpItems(instance: string, addresses: string[]): GarpTarget[] {
    const inst = this.router.instances.get(instance);
    const ifs = this.ifs.get(instance);
    const byAddr = new Map([...(inst?.p.vips ?? []), ...(inst?.p.excluded ?? [])].map((v) => [v.address, v]));
    const items: GarpTarget[] = [];
    for (const address of addresses) {
      const va = byAddr.get(address);
      const ifname = va ? vipDev(ifs, va) : ifs?.vipIf;
      if (ifname === undefined) continue;
      // a VMAC's frames are paced by its base interface's record (keepalived IF_BASE_IFP)
      const base = ifname === ifs?.vmac?.name ? (ifs.base ?? ifname) : (ifs?.addrVmacs?.get(ifname)?.base ?? ifname);
      items.push({ address, family: address.includes(":") ? 6 : 4, ifname, base });
    }
    return items;
  }

  /** keepalived vrrp_send_link_update's line, one per interface */
  private garpQueueLines(instance: string, items: GarpTarget[]): void {
    for (const ifname of new Set(items.map((i) => i.ifname)))
      this.log.info(
        { instance, event: "garp" },
        `(${instance}) Sending/queueing gratuitous ARPs on ${ifname} for ${items
          .filter((i) => i.ifname === ifname)
          .map((i) => i.address)
          .join(" ")}`,
      );
  }

  private extraGarpMs(instance: string): number {
    return (this.ifs.get(instance)?.placed?.extraGarp.intervalS ?? 0) * 1000;
  }

  /**
   * garp_extra_if / vrrp_garp_extra_if: keepalived checks its timer each time a MASTER
   * sends an advert (vrrp.c vrrp_state_master_tx) and, when it has passed, sends one GARP/NA
   * on each extra interface (vrrp_send_vmac_update): the switches there see no adverts
   * from the VMAC's MAC and would forget it.
   */
  private extraGarp(instance: string): void {
    const ms = this.extraGarpMs(instance);
    const at = this.extraGarpAt.get(instance);
    const now = this.now();
    if (ms <= 0 || at === undefined || now <= at || this.router.instances.get(instance)?.state !== "MASTER") return;
    this.extraGarpAt.set(instance, now + ms);
    const addresses = this.ifs.get(instance)?.placed?.extraGarp.addresses ?? [];
    if (addresses.length > 0) this.sendGarps(instance, addresses, 1);
  }

  /** Frames the pacer lets out now. Not retried: the engine repeats them (garp_master_repeat, refresh). */
  private sendPaced(sends: GarpSend[]): void {
    this.garpSentLines(sends, this.sendGarpFrames(sends));
  }

  /** The frames, each as it is due: the next through its delay record waits from its sendto (sentAt). */
  private sendGarpFrames(sends: GarpSend[]): (KernelError | undefined)[] {
    const errors: (KernelError | undefined)[] = [];
    for (const s of sends) {
      errors.push(this.kernel.garp(s.ifname, s.address, s.family));
      this.garps.sentAt(s);
    }
    return errors;
  }

  /** keepalived's line per frame sent (-D), or the error */
  private garpSentLines(sends: GarpSend[], errors: (KernelError | undefined)[]): void {
    for (let i = 0; i < sends.length; i++) {
      const { instance, address, family, ifname } = sends[i]!;
      const err = errors[i];
      const what = `gratuitous ${family === 4 ? "ARP" : "NA"} on ${ifname}`;
      if (err) this.failed(err, `garp:${ifname}`, `(${instance}) cannot send ${what}`);
      else
        this.log.debug(
          `Sending ${family === 4 ? "gratuitous ARP" : "unsolicited neighbour advert"} on ${ifname} for ${address}`,
        );
    }
  }

  /** A queued GARP/NA may still leave: its instance is MASTER and the address is one of its own. */
  private announcing(instance: string, address: string): boolean {
    const inst = this.router.instances.get(instance);
    if (inst?.state !== "MASTER") return false;
    return [...inst.p.vips, ...inst.p.excluded].some((v) => v.address === address);
  }

  /** A failed kernel call: counted by operation, logged once per key per window. */
  private failed(err: KernelError, key: string, message: string): void {
    this.flushLines();
    this.wantReconcile();
    this.kernelErrors[err.op] = (this.kernelErrors[err.op] ?? 0) + 1;
    const suppressed = this.limit.take(key, this.now());
    if (suppressed === undefined) return;
    const more = suppressed > 0 ? ` (${suppressed} more suppressed)` : "";
    this.log.error({ event: "kernel-error", op: err.op, code: err.code }, `${message}: ${err.message}${more}`);
  }

  /** Run an entry point's step; an exception (a bug) is counted and logged, never thrown on. */
  private guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.internalError(where, e);
    }
  }

  /** An exception (a bug) caught at `where`: counted, and logged or handed to onInternalError. */
  private internalError(where: string, e: unknown): void {
    this.flushLines();
    this.kernelErrors.internal = (this.kernelErrors.internal ?? 0) + 1;
    this.wantReconcile();
    if (this.opts.onInternalError) {
      this.opts.onInternalError(where, e);
      return;
    }
    // the limit first: formatting a stack costs milliseconds, a flood of them would stall us
    const suppressed = this.limit.take(`internal:${where}`, this.now());
    if (suppressed === undefined) return;
    const more = suppressed > 0 ? ` (${suppressed} more suppressed)` : "";
    this.log.error({ event: "internal-error" }, `internal error in ${where}: ${(e as Error)?.stack ?? e}${more}`);
  }

  private rateLog(key: string, message: string, fields?: Record<string, unknown>): void {
    this.flushLines();
    const suppressed = this.limit.take(key, this.now());
    if (suppressed === undefined) return;
    const more = suppressed > 0 ? ` (${suppressed} more suppressed)` : "";
    this.log.warn(fields ?? {}, `${message}${more}`);
  }

  /** ifindex by interface name, as the link table last read (SNMP's ifIndex columns). */
  ifindexes(): Map<string, number> {
    return new Map([...this.linksByName].map(([name, link]) => [name, link.ifindex]));
  }

  /** The interfaces of an instance (for tests and the status view). */
  interfacesOf(instance: string): InstanceIfs | undefined {
    return this.ifs.get(instance);
  }

  /**
   * `keel explain`: each instance's standing state, what would change it and its last
   * decisions in words (src/vrrp/explain.ts), from the engine's view and causes only.
   * `seen`: what the wire told beyond the election (observations.ts). Undefined when
   * `name` is no instance.
   */
  explain(name?: string): (Explanation & { seen: string[] })[] | undefined {
    const now = this.now();
    const wall = Date.now();
    const clock = { now, wallOf: (mono: number) => Math.round(wall - (now - mono)) };
    const one = (i: Instance) => ({
      ...explain(i.view(), clock),
      seen: observedWords(this.observations.status(i.name), localTime),
    });
    if (name !== undefined) {
      const inst = this.router.instances.get(name);
      return inst ? [one(inst)] : undefined;
    }
    return [...this.router.instances.values()].map(one);
  }

  instance(name: string): Instance | undefined {
    return this.router.instances.get(name);
  }
}

/**
 * keepalived logs a master's "Entering BACKUP/FAULT STATE" before "removing VIPs."
 * (vrrp_state_leave_master); the engine emits the removal first. Move each transition
 * out of MASTER ahead of the same instance's del-vips in one batch; nothing else moves.
 * To BACKUP or FAULT it goes ahead of the instance's priority-0 advert too: keepalived
 * writes the state line, then vrrp_restore_interface sends the advert and, with -D,
 * "(VI_x) sent 0 priority" (2.2.7 and 2.4.3 alike; live: a VIP deleted, a tracked
 * interface down). At shutdown (STOP) keepalived writes no state line
 * (restore_vrrp_interfaces): the advert's line stays first.
 */
function logOrder(list: readonly Action[]): readonly Action[] {
  // a copy only when something moves (rare): the engine's empty list is shared and frozen
  let actions: Action[] | undefined;
  for (let i = 1; i < list.length; i++) {
    const cur = actions ?? list;
    const a = cur[i]!;
    if (a.type !== "transition" || a.from !== "MASTER") continue;
    const overAdvert = a.to === "BACKUP" || a.to === "FAULT";
    let j = i;
    while (j > 0) {
      const b = cur[j - 1]!;
      const stop =
        b.type === "send-advert" && overAdvert && b.advert.priority === 0
          ? b.advert.instance !== a.instance
          : b.type !== "del-vips" || b.instance !== a.instance;
      if (stop) break;
      j--;
    }
    if (j < i) {
      actions ??= [...list];
      actions.splice(j, 0, ...actions.splice(i, 1));
    }
  }
  return actions ?? list;
}

type GarpAction = Extract<Action, { type: "send-garp" }>;
/** a GARP/NA's address, the interface it leaves by, and the one whose delay record paces it */
type GarpTarget = { address: string; family: 4 | 6; ifname: string; base: string };

/** A virtual route's or rule's key in `pendingRoutes` and `routesSet`. */
function routeJobKey(instance: string, kind: "route" | "rule", r: Route | Rule): string {
  return `${instance}|${kind}|${JSON.stringify(r)}`;
}

/**
 * keel's line for a socket it opens after the start (a reconcile's retry, an interface that
 * came): the pool dump's form (vrrp_data.c dump_sock: ifindex 0 for a socket with no
 * interface), for one of keel's own sockets. keepalived writes nothing then.
 */
function sockpoolLine(w: WantedChannel, ifindex: number | undefined): string {
  const groups = w.groups.size > 0 ? ` multicast, address(${[...w.groups].join(",")})` : " unicast";
  const index = String(w.unbound ? 0 : ifindex).padStart(3);
  const u = w.unbound;
  const bound = u ? ` bound to ${u.source}${u.vrf ? ` in VRF ${u.vrf}` : ""}` : "";
  return `VRRP sockpool: [ifindex(${index}), family(IPv${w.family}), proto(${w.proto}),${groups}]${bound}`;
}

/** How a VRRP socket is named in a message. */
function socketName(w: WantedChannel): string {
  return `the VRRP socket on ${w.ifname} (IPv${w.family}, proto ${w.proto})`;
}

/** A static address as its config line, with the interface it went on (keepalived names it too). */
function staticWords(a: VirtualAddress, ifname: string): string {
  const line = emitAddress(a) ?? `${a.address}/${a.prefix}`;
  return a.dev === undefined ? `${line} dev ${ifname}` : line;
}

/** A VIP as `held` and `releasing` key it (addrKey's key of the same address in the table). */
function heldKey(ifindex: number, a: VirtualAddress): string {
  return `${ifindex}|${a.address}/${a.prefix}`;
}

/** An address of the table, keyed as `held` and `releasing` key a VIP (heldKey). */
function addrKey(a: IfAddress): string {
  return `${a.ifindex}|${a.address}/${a.prefixLen}`;
}

function sameAddr(a: IfAddress, b: IfAddress): boolean {
  return a.ifindex === b.ifindex && a.address === b.address && a.prefixLen === b.prefixLen;
}

/**
 * An instance without an interface: keepalived 2.2.8+ runs one with unicast peers and a
 * configured source (vrrp_complete_instance: "Unicast instances must have unicast_src_ip or
 * interface") on a socket bound to that address and to its `vrf`, if any, never to a
 * device (vrrp.c open_vrrp_read_socket / open_vrrp_send_socket with no ifp). Its VIPs go
 * on their own `dev` (keepalived removes one without: "no interface for vip"). Anything
 * else has no socket (config/vrrp/check.ts refuses it).
 */
function unboundIfs(v: VrrpInstance, vrf: string | undefined): InstanceIfs {
  const source = v.unicastSrcIp ?? v.mcastSrcIp;
  if (v.unicastPeers.length === 0 || source === undefined) return {};
  const label = `${source}${vrf === undefined ? "" : `%${vrf}`}`;
  return { sendIf: label, unbound: { label, source, vrf } };
}
