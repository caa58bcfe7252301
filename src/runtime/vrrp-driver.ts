/**
 * The VRRP driver: puts the sans-I/O engine (src/vrrp/router.ts) on real interfaces.
 *
 * It owns the sockets (one per interface × family × IP protocol, shared by every
 * instance on it, as keepalived's sock pool), one timer re-armed from
 * `router.pollTimeout()`, and the kernel watch. Inputs (a datagram, the timer, a link
 * going down) go into the router; the router's actions come out as kernel effects
 * (adverts, VIPs, routes, rules, GARP/NA) and log lines in keepalived's words.
 */
import type { Logger } from "pino";
import type { KeelConfig } from "../config/model";
import type { VirtualAddress, VrrpInstance } from "../config/vrrp/model";
import type { Instance } from "../vrrp/instance";
import { type RxPacket, VrrpRouter } from "../vrrp/router";
import { advertPackets } from "../vrrp/transmit";
import type { TrackChange } from "../vrrp/track-board";
import type { Action } from "../vrrp/types";
import type { Event } from "../control/protocol";
import type { IfAddress, Kernel, KernelEvent, Link, VrrpChannel } from "./kernel";
import { RateLimit } from "./rate-limit";
import { RxErrorEvents } from "./rx-error-events";
import { transitionLines } from "./words";

export interface DriverOptions {
  config: KeelConfig;
  kernel: Kernel;
  log: Logger;
  /** monotonic ms (default performance.now) */
  now?: () => number;
  /** -V / --dont-release-vrrp: leave VIPs and routes in place on stop */
  dontReleaseVrrp?: boolean;
  /** notify actions (scripts, FIFOs) */
  onNotify?: (n: Extract<Action, { type: "notify" }>) => void;
  /** every transition, priority change, rejected packet and notification (control socket) */
  onEvent?: (e: Event) => void;
}

interface Held {
  instance: string;
  address: VirtualAddress;
  ifindex: number;
}

type Statics = Pick<KeelConfig, "staticIpaddresses" | "staticRoutes" | "staticRules">;

/** The interfaces an instance uses: where its VIPs go, where adverts leave, where they arrive. */
interface InstanceIfs {
  /** the configured interface (the engine's ifname; adverts arrive here) */
  base?: string;
  /** VIPs without a dev and adverts go out here: the VMAC when use_vmac, else base */
  vipIf?: string;
  sendIf?: string;
  vmac?: { name: string; mac: Uint8Array };
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
  private readonly channels = new Map<string, VrrpChannel>();
  private readonly linksByName = new Map<string, Link>();
  private readonly linksByIndex = new Map<number, Link>();
  private addrs: IfAddress[] = [];
  private readonly ifs = new Map<string, InstanceIfs>();
  /** VIPs we installed, keyed `ifindex|address/prefix`, to restore one removed behind our back */
  private readonly held = new Map<string, Held>();
  private readonly vmacs = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private unwatch: (() => void) | undefined;
  private readonly limit = new RateLimit(10_000);
  /** rx-error events for the control socket: one per kind per second, with a count */
  private readonly rxErrors: RxErrorEvents;
  private stopped = false;
  /** packets dropped before the engine (unknown interface, socket errors) */
  readonly dropped: Record<string, number> = {};

  constructor(private opts: DriverOptions) {
    this.kernel = opts.kernel;
    this.log = opts.log;
    this.now = opts.now ?? (() => performance.now());
    this.rxErrors = new RxErrorEvents((e) => this.opts.onEvent?.(e), () => this.now());
    this.refreshLinks();
    this.addrs = this.kernel.addresses();
    this.router = new VrrpRouter(opts.config, { interfaceAddress: (ifname, family) => this.interfaceAddress(ifname, family) });
  }

  /** Set up VMACs and sockets, report link states, clean stale VIPs, start the engine. */
  start(): void {
    const config = this.opts.config;
    for (const v of Object.values(config.vrrpInstances)) this.ifs.set(v.name, this.setupInterfaces(v));
    this.unwatch = this.kernel.watch((e) => this.onKernelEvent(e));
    this.openChannels();
    const now = this.now();
    // the engine learns the link state of every interface before the first election
    for (const name of this.trackedInterfaces()) {
      const link = this.linksByName.get(name);
      if (!link?.up) this.log.info(link ? `Netlink reports ${name} down` : `Interface ${name} does not exist`);
      if (!link?.up) this.router.handleTrack({ kind: "interface", name, up: false }, now);
    }
    // keepalived vrrp_daemon.c start_vrrp: "Set static entries", before any election
    this.staticEntries("add");
    this.router.start(now);
    this.pump();
  }

  /** static_ipaddress / static_routes / static_rules: on the host for the daemon's lifetime. */
  private staticEntries(op: "add" | "del", c: Statics = this.opts.config): void {
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    const addrs = () => {
      for (const a of c.staticIpaddresses) {
        const ifindex = a.dev === undefined ? undefined : ifindexOf(a.dev);
        if (ifindex === undefined) {
          this.log.error(`static_ipaddress ${a.address}: no interface ${a.dev ?? "(no dev given)"}`);
          continue;
        }
        const err = this.kernel.vip(op, a, ifindex);
        if (err) this.log.error(`cannot ${op === "add" ? "add" : "remove"} static address ${a.address}/${a.prefix}: ${err}`);
      }
    };
    const routes = () => {
      for (const r of c.staticRoutes) {
        const err = this.kernel.route(op, r, ifindexOf);
        if (err) this.log.error(`cannot ${op === "add" ? "add" : "remove"} static route ${r.dst}: ${err}`);
      }
    };
    const rules = () => {
      for (const r of c.staticRules) {
        const err = this.kernel.rule(op, r);
        if (err) this.log.error(`cannot ${op === "add" ? "add" : "remove"} static rule: ${err}`);
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
    this.router.handleCommand({ type: "stop" }, this.now());
    this.pump();
    // keepalived vrrp_terminate_phase2: "Clear static entries"
    this.staticEntries("del");
    this.rxErrors.flush();
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
    for (const [name, ifindex] of this.vmacs) {
      try {
        this.kernel.deleteLink(ifindex);
      } catch (e) {
        this.log.error(`Failed to delete VMAC ${name}: ${(e as Error).message}`);
      }
    }
    this.vmacs.clear();
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
    const next = new VrrpRouter(config, {
      interfaceAddress: (ifname, family) => this.interfaceAddress(ifname, family),
    });
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
    const undo: (() => void)[] = [];
    let ifs: Map<string, InstanceIfs>;
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
    return { applied: true, errors: this.swap(plan, ifs) };
  }

  /** The fallible half of a reload; each step pushes its undo. Throws on the first failure. */
  private acquire(plan: ReloadPlan, undo: (() => void)[]): Map<string, InstanceIfs> {
    const fresh = new Map<string, InstanceIfs>();
    for (const v of plan.added) {
      const ifs = this.setupInterfaces(v, true);
      fresh.set(v.name, ifs);
      const vmac = ifs.vmac?.name;
      const ifindex = vmac === undefined ? undefined : this.vmacs.get(vmac);
      if (vmac !== undefined && ifindex !== undefined)
        undo.push(() => {
          this.vmacs.delete(vmac);
          this.kernel.deleteLink(ifindex);
          this.refreshLinks();
        });
    }
    const all = new Map([...this.ifs, ...fresh]);
    for (const [key, w] of this.wantedChannels(plan.next, all)) {
      if (this.channels.has(key) || !this.linksByName.has(w.ifname)) continue;
      this.channels.set(key, this.openChannel(key, w));
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
    const oldConfig = this.opts.config;
    for (const [name, ifs] of fresh) this.ifs.set(name, ifs);
    // a changed master keeps the VIPs it still has; the ones it lost go now
    for (const inst of next.instances.values()) {
      const before = old.instances.get(inst.name);
      if (before?.state !== "MASTER") continue;
      const keep = new Set(inst.p.vips.map((v) => `${v.address}/${v.prefix}`));
      const lost = before.p.vips.filter((v) => !keep.has(`${v.address}/${v.prefix}`));
      if (lost.length > 0) this.applyVips({ type: "del-vips", instance: inst.name, ifname: before.p.ifname, addresses: lost, excluded: [], routes: [], rules: [] });
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
    const gone = next.takeOver(old, now);
    this.router = next;
    this.openChannels();
    next.start(now);
    this.pump();
    return this.releaseVmacs(gone);
  }

  /** Removed instances' VMACs (keepalived deletes them when the instance goes). */
  private releaseVmacs(gone: string[]): string[] {
    const errors: string[] = [];
    for (const name of gone) {
      const vmac = this.ifs.get(name)?.vmac;
      this.ifs.delete(name);
      const ifindex = vmac ? this.vmacs.get(vmac.name) : undefined;
      // a VMAC whose name an added instance took over is that instance's now
      if (!vmac || ifindex === undefined || [...this.ifs.values()].some((i) => i.vmac?.name === vmac.name)) continue;
      this.vmacs.delete(vmac.name);
      try {
        this.kernel.deleteLink(ifindex);
      } catch (e) {
        const line = `(${name}) Failed to delete VMAC ${vmac.name}: ${(e as Error).message}`;
        this.log.error(line);
        errors.push(line);
      }
    }
    return errors;
  }

  /** A tracker's new result (a vrrp_script run, a track_file value, ...). */
  track(change: TrackChange): void {
    if (this.stopped) return;
    this.router.handleTrack(change, this.now());
    this.pump();
  }

  /** The `garp` command: one more GARP/NA burst from a master. */
  sendGarp(instance: string): void {
    this.router.handleCommand({ type: "garp", instance }, this.now());
    this.pump();
  }

  // ---------------------------------------------------------------------------
  // interfaces and sockets

  private refreshLinks(): void {
    this.linksByName.clear();
    this.linksByIndex.clear();
    for (const l of this.kernel.links()) {
      this.linksByName.set(l.name, l);
      this.linksByIndex.set(l.ifindex, l);
    }
  }

  private trackedInterfaces(): Set<string> {
    const names = new Set<string>();
    for (const v of Object.values(this.opts.config.vrrpInstances)) {
      if (v.interface !== undefined) names.add(v.interface);
      for (const t of v.trackInterfaces) names.add(t.name);
    }
    return names;
  }

  /**
   * The primary address the engine uses as its source and for the equal-priority
   * tie-break: IPv4 the first non-secondary address, IPv6 the link-local (RFC 5798
   * 5.1.2.1: IPv6 adverts come from the interface's link-local address).
   */
  private interfaceAddress(ifname: string, family: 4 | 6): string | undefined {
    const link = this.linksByName.get(ifname);
    if (!link) return undefined;
    const IFA_F_SECONDARY = 0x01;
    for (const a of this.addrs) {
      if (a.ifindex !== link.ifindex || a.family !== family) continue;
      if (family === 4 && !(a.flags & IFA_F_SECONDARY)) return a.address;
      if (family === 6 && a.scope === 253) return a.address;
    }
    return undefined;
  }

  /** `strict` (a reload): a VMAC that cannot be made is an error, not a fallback to the base interface. */
  private setupInterfaces(v: VrrpInstance, strict = false): InstanceIfs {
    const base = v.interface;
    if (base === undefined || !v.useVmac) return { base, vipIf: base, sendIf: base };
    const family = v.virtualIpaddress[0]?.family ?? 4;
    const name = v.useVmac.name ?? (family === 6 ? `vrrp6.${v.virtualRouterId}` : `vrrp.${v.virtualRouterId}`);
    // RFC 5798 7.3: 00-00-5E-00-01-{VRID} (IPv4), 00-00-5E-00-02-{VRID} (IPv6)
    const mac = new Uint8Array([0x00, 0x00, 0x5e, 0x00, family === 6 ? 0x02 : 0x01, v.virtualRouterId]);
    const link = this.linksByName.get(base);
    if (link) {
      const existing = this.linksByName.get(name);
      let ifindex: number | undefined;
      try {
        // a VMAC left behind by a crash is ours: recreate it clean
        if (existing) this.kernel.deleteLink(existing.ifindex);
        ifindex = this.kernel.createVmac(name, link.ifindex, mac);
        this.kernel.setLinkUp(ifindex, true);
        this.vmacs.set(name, ifindex);
        this.log.info(`(${v.name}) Creating VMAC interface ${name}`);
        this.refreshLinks();
      } catch (e) {
        const why = `(${v.name}) cannot create VMAC ${name} on ${base}: ${(e as Error).message}`;
        if (strict) {
          if (ifindex !== undefined) this.kernel.deleteLink(ifindex);
          this.refreshLinks();
          throw new Error(why, { cause: e });
        }
        this.log.error(why);
        return { base, vipIf: base, sendIf: base };
      }
    }
    return { base, vipIf: name, sendIf: v.vmacXmitBase ? base : name, vmac: { name, mac } };
  }

  private channelKey(ifname: string, family: 4 | 6, proto: number): string {
    return `${ifname}|${family}|${proto}`;
  }

  /** The sockets a router's instances need, keyed as `channels`. */
  private wantedChannels(router: VrrpRouter, ifsOf: Map<string, InstanceIfs>): Map<string, WantedChannel> {
    const want = new Map<string, WantedChannel>();
    for (const inst of router.instances.values()) {
      const p = inst.p;
      const ifs = ifsOf.get(p.name);
      if (!ifs?.base) continue;
      const proto = p.auth?.type === "AH" ? 51 : 112;
      const add = (ifname: string, receive: boolean) => {
        const key = this.channelKey(ifname, p.family, proto);
        const w = want.get(key) ?? { ifname, family: p.family, proto, groups: new Set<string>(), receive };
        w.receive ||= receive;
        if (receive && !p.unicast) w.groups.add(p.mcastGroup);
        want.set(key, w);
      };
      add(ifs.base, true);
      if (ifs.sendIf && ifs.sendIf !== ifs.base) add(ifs.sendIf, false);
    }
    return want;
  }

  /** Open one socket; throws with the interface, family and protocol in the message. */
  private openChannel(key: string, w: WantedChannel): VrrpChannel {
    let ch: VrrpChannel;
    try {
      ch = this.kernel.openChannel({
        family: w.family,
        ifname: w.ifname,
        proto: w.proto,
        groups: [...w.groups],
        // a send-only channel (a VMAC) also sees its interface's traffic: the base
        // interface's channel already delivers it once
        onPacket: w.receive ? (rx) => this.onDatagram(w.ifname, rx) : () => {},
        onError: (e) => this.rateLog(`rx:${key}`, `receive error on ${w.ifname}: ${e.message}`),
      });
    } catch (e) {
      const what = `the VRRP socket on ${w.ifname} (IPv${w.family}, proto ${w.proto})`;
      throw new Error(`cannot open ${what}: ${(e as Error).message}`, { cause: e });
    }
    const groups = w.groups.size > 0 ? ` multicast, address(${[...w.groups].join(",")})` : " unicast";
    const ifindex = String(this.linksByName.get(w.ifname)?.ifindex).padStart(3);
    this.log.info(`VRRP sockpool: [ifindex(${ifindex}), family(IPv${w.family}), proto(${w.proto}),${groups}]`);
    return ch;
  }

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
      if (!this.linksByName.has(w.ifname)) continue; // FAULT until it appears
      try {
        this.channels.set(key, this.openChannel(key, w));
      } catch (e) {
        this.log.error((e as Error).message);
      }
    }
  }

  // ---------------------------------------------------------------------------
  // inputs

  private onDatagram(ifname: string, rx: { data: Uint8Array; family: 4 | 6; src?: Uint8Array; dst?: Uint8Array; hopLimit?: number; ifindex: number }): void {
    if (this.stopped) return;
    // the socket is bound to its interface; the ingress index is the interface itself
    // except for traffic looped through a VMAC, which the engine must not see twice
    const link = this.linksByIndex.get(rx.ifindex);
    if (link && link.name !== ifname) {
      this.dropped.other_interface = (this.dropped.other_interface ?? 0) + 1;
      return;
    }
    const pkt: RxPacket = { ifname, family: rx.family, data: rx.data, src: rx.src, dst: rx.dst, hopLimit: rx.hopLimit };
    try {
      this.router.handleAdvert(pkt, this.now());
    } catch (e) {
      // decoding never throws by design; if the engine ever does, drop the packet, not the loop
      this.dropped.engine_error = (this.dropped.engine_error ?? 0) + 1;
      this.rateLog("engine-error", `internal error on a packet from ${ifname}: ${(e as Error).stack ?? e}`);
    }
    this.pump();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    this.router.handleTimeout(this.now());
    this.pump();
  }

  private onKernelEvent(e: KernelEvent): void {
    if (this.stopped) return;
    if (e.type === "overrun") {
      // netlink dropped events: re-read the tables and report what changed
      const before = new Map([...this.linksByName].map(([n, l]) => [n, l.up]));
      this.refreshLinks();
      this.addrs = this.kernel.addresses();
      for (const name of this.trackedInterfaces()) {
        const up = this.linksByName.get(name)?.up ?? false;
        if ((before.get(name) ?? false) !== up) this.linkChanged(name, up);
      }
      this.restoreVips();
      return;
    }
    if (e.type === "link") {
      const old = this.linksByIndex.get(e.link.ifindex);
      if (e.action === "del") {
        this.linksByIndex.delete(e.link.ifindex);
        if (old) this.linksByName.delete(old.name);
        if (old?.up) this.linkChanged(old.name, false);
        return;
      }
      if (old && old.name !== e.link.name) this.linksByName.delete(old.name);
      this.linksByIndex.set(e.link.ifindex, e.link);
      this.linksByName.set(e.link.name, e.link);
      const wasUp = old?.up ?? false;
      if (wasUp !== e.link.up) {
        if (!old) this.reopenChannelsFor(e.link.name);
        this.linkChanged(e.link.name, e.link.up);
      }
      return;
    }
    // addresses
    const a = e.addr;
    if (e.action === "new") {
      if (!this.addrs.some((x) => sameAddr(x, a))) this.addrs.push(a);
      return;
    }
    this.addrs = this.addrs.filter((x) => !sameAddr(x, a));
    this.restoreVips();
  }

  private linkChanged(name: string, up: boolean): void {
    if (!this.trackedInterfaces().has(name)) return;
    this.log.info(`Netlink reports ${name} ${up ? "up" : "down"}`);
    this.router.handleTrack({ kind: "interface", name, up }, this.now());
    this.pump();
  }

  private reopenChannelsFor(ifname: string): void {
    for (const [key, ch] of [...this.channels])
      if (key.startsWith(`${ifname}|`)) {
        ch.close();
        this.channels.delete(key);
      }
    this.openChannels();
  }

  /** A VIP of a MASTER removed by someone else (`ip addr del`) is put back. */
  private restoreVips(): void {
    for (const [key, h] of this.held) {
      const present = this.addrs.some((x) => x.ifindex === h.ifindex && x.address === h.address.address && x.prefixLen === h.address.prefix);
      if (present) continue;
      const inst = this.router.instances.get(h.instance);
      if (inst?.state !== "MASTER") {
        this.held.delete(key);
        continue;
      }
      const err = this.kernel.vip("add", h.address, h.ifindex);
      if (err) this.rateLog(`vip:${key}`, `(${h.instance}) cannot restore VIP ${h.address.address}: ${err}`);
      else this.log.info(`(${h.instance}) VIP ${h.address.address}/${h.address.prefix} was removed from ${this.linksByIndex.get(h.ifindex)?.name}; restored`);
    }
  }

  // ---------------------------------------------------------------------------
  // outputs

  /** Carry out every pending action, then re-arm the one timer. */
  private pump(): void {
    for (const a of logOrder(this.router.pollActions())) {
      try {
        this.execute(a);
      } catch (e) {
        this.log.error(`${a.type}: ${(e as Error).message}`);
      }
    }
    if (this.stopped) return;
    const t = this.router.pollTimeout();
    if (t === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    // an armed timer that fires no later than needed stays: a backup's every advert moves
    // its deadline later, and re-arming per packet costs more than one early wake-up
    // (onTimer finds nothing due and arms for the real deadline)
    if (this.timer && this.timerAt <= t) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = t;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, t - this.now()));
  }

  private execute(a: Action): void {
    switch (a.type) {
      case "send-advert":
        this.sendAdvert(a.advert);
        return;
      case "add-vips":
      case "del-vips":
        this.applyVips(a);
        return;
      case "send-garp":
        this.sendGarps(a.instance, a.addresses, a.count);
        return;
      case "transition": {
        this.opts.onEvent?.({ event: "transition", at: Date.now(), instance: a.instance, from: a.from, to: a.to, reason: a.reason });
        const inst = this.router.instances.get(a.instance);
        for (const line of transitionLines(a, inst)) this.log.info({ instance: a.instance, event: "transition", from: a.from, to: a.to, reason: a.reason }, line);
        return;
      }
      case "priority":
        this.opts.onEvent?.({ event: "priority", at: Date.now(), instance: a.instance, from: a.from, to: a.to });
        this.log.info({ instance: a.instance, event: "priority", from: a.from, to: a.to }, `(${a.instance}) Changing effective priority from ${a.from} to ${a.to}`);
        return;
      case "rx-error":
        this.rxErrors.add(a);
        this.rateLog(`rx-error:${a.instance}:${a.code}:${a.from}`, a.message, { instance: a.instance, event: "rx-error", code: a.code, from: a.from });
        return;
      case "notify":
        this.log.trace({ event: "notify", kind: a.kind, name: a.name, state: a.state, priority: a.priority }, `notify ${a.kind} ${a.name} ${a.state} ${a.priority}`);
        this.opts.onNotify?.(a);
        this.opts.onEvent?.({ event: "notify", at: Date.now(), kind: a.kind, name: a.name, state: a.state, priority: a.priority });
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
            `ours ${inst?.effectivePriority}${force}${more}`,
        );
        return;
      }
    }
  }

  private sendAdvert(advert: Extract<Action, { type: "send-advert" }>["advert"]): void {
    const inst = this.router.instances.get(advert.instance);
    const ifs = this.ifs.get(advert.instance);
    const src = inst?.p.source;
    if (!inst || !ifs?.sendIf || src === undefined) {
      this.rateLog(`nosrc:${advert.instance}`, `(${advert.instance}) no source address on ${ifs?.base ?? "?"}: advert not sent`);
      return;
    }
    const proto = advert.auth?.type === "AH" ? 51 : 112;
    const ch = this.channels.get(this.channelKey(ifs.sendIf, advert.family, proto));
    if (!ch) {
      this.rateLog(`nochan:${advert.instance}`, `(${advert.instance}) no VRRP socket on ${ifs.sendIf}: advert not sent`);
      return;
    }
    for (const pkt of advertPackets(advert, src)) {
      try {
        ch.send(pkt.dst, pkt.data);
      } catch (e) {
        this.rateLog(`tx:${advert.instance}`, `(${advert.instance}) cannot send advert to ${pkt.dst} on ${ifs.sendIf}: ${(e as Error).message}`);
      }
    }
    if (advert.priority === 0) this.log.info({ instance: advert.instance, event: "priority-zero-sent" }, `(${advert.instance}) sent 0 priority`);
  }

  private applyVips(a: Extract<Action, { type: "add-vips" | "del-vips" }>): void {
    const add = a.type === "add-vips";
    const ifs = this.ifs.get(a.instance);
    if (!add && this.opts.dontReleaseVrrp && this.stopped) return;
    if (a.addresses.length > 0) this.log.info({ instance: a.instance, event: add ? "vips-set" : "vips-removed" }, `(${a.instance}) ${add ? "setting" : "removing"} VIPs.`);
    // one netlink batch for all of an instance's addresses: 1,000 VIPs in tens of ms
    const items: { address: VirtualAddress; ifindex: number; ifname: string }[] = [];
    for (const va of [...a.addresses, ...a.excluded]) {
      const dev = va.dev ?? ifs?.vipIf;
      const link = dev === undefined ? undefined : this.linksByName.get(dev);
      if (!link) {
        if (add) this.rateLog(`nodev:${a.instance}:${dev}`, `(${a.instance}) cannot add VIP ${va.address}: no interface ${dev ?? "(none)"}`);
        continue;
      }
      items.push({ address: va, ifindex: link.ifindex, ifname: link.name });
    }
    const errors = items.length > 0 ? this.kernel.vips(add ? "add" : "del", items) : [];
    items.forEach((it, i) => {
      const key = `${it.ifindex}|${it.address.address}/${it.address.prefix}`;
      if (add) this.held.set(key, { instance: a.instance, address: it.address, ifindex: it.ifindex });
      else this.held.delete(key);
      // an address already there (add) or already gone (del: the start-up clean-up) is fine
      const err = errors[i];
      if (err) this.log.error(`(${a.instance}) cannot ${add ? "add" : "remove"} VIP ${it.address.address}/${it.address.prefix} on ${it.ifname}: ${err}`);
    });
    const ifindexOf = (name: string) => this.linksByName.get(name)?.ifindex;
    for (const r of a.routes) {
      const err = this.kernel.route(add ? "add" : "del", r, ifindexOf);
      if (err) this.log.error(`(${a.instance}) cannot ${add ? "add" : "remove"} virtual route ${r.dst}: ${err}`);
    }
    for (const r of a.rules) {
      const err = this.kernel.rule(add ? "add" : "del", r);
      if (err) this.log.error(`(${a.instance}) cannot ${add ? "add" : "remove"} virtual rule: ${err}`);
    }
  }

  private sendGarps(instance: string, addresses: string[], count: number): void {
    const inst = this.router.instances.get(instance);
    const ifs = this.ifs.get(instance);
    const byAddr = new Map((inst?.p.vips ?? []).map((v) => [v.address, v]));
    const ifnames = new Set<string>();
    for (const address of addresses) ifnames.add(byAddr.get(address)?.dev ?? ifs?.vipIf ?? "?");
    const family = (address: string) => (address.includes(":") ? 6 : 4);
    for (const ifname of ifnames)
      this.log.info(
        { instance, event: "garp" },
        `(${instance}) Sending/queueing gratuitous ARPs on ${ifname} for ${addresses.filter((x) => (byAddr.get(x)?.dev ?? ifs?.vipIf) === ifname).join(" ")}`,
      );
    for (let i = 0; i < count; i++)
      for (const address of addresses) {
        const ifname = byAddr.get(address)?.dev ?? ifs?.vipIf;
        if (ifname === undefined) continue;
        const fam = family(address);
        const err = this.kernel.garp(ifname, address, fam);
        if (err) this.rateLog(`garp:${ifname}`, `(${instance}) cannot send gratuitous ${fam === 4 ? "ARP" : "NA"} on ${ifname}: ${err}`);
        else this.log.debug(`Sending ${fam === 4 ? "gratuitous ARP" : "unsolicited neighbour advert"} on ${ifname} for ${address}`);
      }
  }

  private rateLog(key: string, message: string, fields?: Record<string, unknown>): void {
    const suppressed = this.limit.take(key, this.now());
    if (suppressed === undefined) return;
    const more = suppressed > 0 ? ` (${suppressed} more suppressed)` : "";
    this.log.warn(fields ?? {}, `${message}${more}`);
  }

  /** The interfaces of an instance (for tests and the status view). */
  interfacesOf(instance: string): InstanceIfs | undefined {
    return this.ifs.get(instance);
  }

  instance(name: string): Instance | undefined {
    return this.router.instances.get(name);
  }
}

/**
 * keepalived logs a master's "Entering BACKUP/FAULT STATE" before "removing VIPs."
 * (vrrp_state_leave_master); the engine emits the removal first. Move each transition
 * out of MASTER ahead of the same instance's del-vips in one batch; nothing else moves.
 */
function logOrder(actions: Action[]): Action[] {
  for (let i = 1; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.type !== "transition" || a.from !== "MASTER") continue;
    let j = i;
    while (j > 0) {
      const b = actions[j - 1]!;
      if (b.type !== "del-vips" || b.instance !== a.instance) break;
      j--;
    }
    if (j < i) actions.splice(j, 0, ...actions.splice(i, 1));
  }
  return actions;
}

function sameAddr(a: IfAddress, b: IfAddress): boolean {
  return a.ifindex === b.ifindex && a.address === b.address && a.prefixLen === b.prefixLen;
}
