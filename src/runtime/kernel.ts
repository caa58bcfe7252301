/**
 * What the VRRP driver needs from the kernel, as one interface. The Linux
 * implementation (kernel-linux.ts) is native-bindings/; keeping the driver on this
 * interface keeps src/runtime free of FFI and states exactly which kernel effects an
 * engine action has.
 *
 * Errors are values here, never exceptions (DESIGN.md rule 2): native-bindings throws
 * SyscallError / NetlinkError, and the implementation of this interface (kernel-linux.ts)
 * is the boundary that turns them into a KernelError. A call that yields something
 * returns `KernelResult<T>`; a call made for its effect returns `KernelError | undefined`
 * (undefined: done). "Already there" on an add and "already gone" on a delete are the
 * state that was asked for, not errors. The driver still guards every call against a
 * throw (an implementation bug must not stop the adverts), but callers branch on values.
 */
import type { RouteGroups, RouteInfo, RuleInfo } from "../../native-bindings/netlink";
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";

export interface Link {
  ifindex: number;
  name: string;
  /** IFF_UP && IFF_RUNNING: keepalived's IF_ISUP */
  up: boolean;
  /** ifi_flags as netlink reports them (interface_up_down_delays logs them, as keepalived) */
  flags?: number;
  mac?: Uint8Array;
  kind?: string;
  mtu?: number;
  /** IFLA_MASTER: the bridge, bond or VRF it is enslaved to */
  master?: number;
  /** IFLA_LINK: a macvlan's (VMAC's) parent */
  link?: number;
  /** a macvlan's mode (MACVLAN_MODE_PRIVATE 1, VEPA 2, BRIDGE 4, PASSTHRU 8) */
  macvlanMode?: number;
}

export interface IfAddress {
  ifindex: number;
  family: 4 | 6;
  address: string;
  prefixLen: number;
  /** RT_SCOPE_*: 253 link, 0 universe, 254 host */
  scope: number;
  /** IFA_F_SECONDARY etc. */
  flags: number;
}

/**
 * A received VRRP datagram (see native-bindings/vrrp-socket.ts). Good until onPacket
 * returns: the socket refills one record, and `data` views its receive buffer.
 */
export interface RxDatagram {
  data: Uint8Array;
  ifindex: number;
  family: 4 | 6;
  src?: Uint8Array;
  dst?: Uint8Array;
  hopLimit?: number;
  /** ms from the kernel's receipt to the read (SO_TIMESTAMPNS), when the socket gives it */
  age?: number;
}

/** What went wrong in one kernel call. */
export interface KernelError {
  /** the call: "vip-add", "vip-del", "send", "open-channel", "addresses", "create-vmac", ... */
  op: string;
  /** errno name when the kernel refused (ENOBUFS, ENODEV, ENETDOWN, ...) */
  code?: string;
  errno?: number;
  message: string;
}

export type KernelResult<T> = { ok: true; value: T } | { ok: false; error: KernelError };

/** A thrown value (SyscallError, NetlinkError, anything) as a KernelError of `op`. */
export function kernelError(op: string, e: unknown): KernelError {
  const x = e as { code?: unknown; errno?: unknown } | undefined;
  const code = typeof x?.code === "string" ? x.code : undefined;
  const errno = typeof x?.errno === "number" ? x.errno : undefined;
  return { op, code, errno, message: e instanceof Error ? e.message : String(e) };
}

/** Run `fn`, turning a throw into a KernelError of `op`. */
export function attempt<T>(op: string, fn: () => T): KernelResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, error: kernelError(op, e) };
  }
}

/** `attempt` for a call made for its effect: the error, or undefined. */
export function attemptEffect(op: string, fn: () => void): KernelError | undefined {
  const r = attempt(op, fn);
  return r.ok ? undefined : r.error;
}

/** What a call returned, or its throw as the KernelError of `op`. */
function settle<T>(op: string, fn: () => T, onThrow: (e: KernelError) => T): T {
  const r = attempt(op, fn);
  return r.ok ? r.value : onThrow(r.error);
}

function guardChannel(c: VrrpChannel): VrrpChannel {
  return {
    ifname: c.ifname,
    family: c.family,
    // try/catch in line, not settle(): no closure or result object per advert sent (issue 20)
    send: (dst, data) => {
      try {
        return c.send(dst, data);
      } catch (e) {
        return kernelError("send", e);
      }
    },
    ...(c.sendAt && c.cancelSend
      ? {
          sendAt: (at, packets, onFailure) => {
            try {
              return c.sendAt?.(at, packets, onFailure);
            } catch {
              return undefined; // the caller sends at the deadline
            }
          },
          cancelSend: (ticket) => {
            try {
              c.cancelSend?.(ticket);
            } catch {
              // nothing to undo: a cancel that cannot be submitted leaves the send to its deadline
            }
          },
        }
      : {}),
    close: () =>
      settle(
        "close",
        () => c.close(),
        () => undefined,
      ),
  };
}

/**
 * `k` with every call guarded: a throw (a bug in an implementation: the interface
 * promises values) comes back as the KernelError of that call, so a caller branches on
 * values only. The VRRP driver wraps its kernel in this.
 */
export function guardKernel(k: Kernel): Kernel {
  const failed = (error: KernelError) => ({ ok: false as const, error });
  const same = (e: KernelError) => e;
  return {
    links: () => settle("links", () => k.links(), failed),
    addresses: () => settle("addresses", () => k.addresses(), failed),
    openChannel: (o) => {
      const r = settle("open-channel", () => k.openChannel(o), failed);
      return r.ok ? { ok: true, value: guardChannel(r.value) } : r;
    },
    vip: (op, a, ifindex) => settle(`vip-${op}`, () => k.vip(op, a, ifindex), same),
    vips: (op, items) =>
      settle(
        `vip-${op}`,
        () => k.vips(op, items),
        (e) => items.map(() => e),
      ),
    ...(k.prepareVips
      ? {
          // nothing comes back: a layout that fails leaves vips() to build the request itself
          prepareVips: (op: "add" | "del", items: readonly VipTarget[]) =>
            void settle(
              `vip-${op}`,
              () => (k.prepareVips as NonNullable<Kernel["prepareVips"]>).call(k, op, items),
              () => undefined,
            ),
        }
      : {}),
    ...(k.queueVips && k.unqueueVips
      ? {
          // a queue that throws queued nothing: the deadline sends as before
          queueVips: (items: readonly VipTarget[], at: number) =>
            settle(
              "vip-add",
              () => (k.queueVips as NonNullable<Kernel["queueVips"]>).call(k, items, at),
              () => false,
            ),
          unqueueVips: (items: readonly VipTarget[]) =>
            settle(
              "vip-add",
              () => (k.unqueueVips as NonNullable<Kernel["unqueueVips"]>).call(k, items),
              (e) => items.map(() => e),
            ),
        }
      : {}),
    route: (op, r, ifindexOf) => settle(`route-${op}`, () => k.route(op, r, ifindexOf), same),
    rule: (op, r) => settle(`rule-${op}`, () => k.rule(op, r), same),
    garp: (ifname, address, family) => settle("garp", () => k.garp(ifname, address, family), same),
    ...(k.prepareGarps
      ? {
          prepareGarps: (targets: readonly GarpAddress[]) =>
            void settle(
              "garp",
              () => (k.prepareGarps as NonNullable<Kernel["prepareGarps"]>).call(k, targets),
              () => undefined,
            ),
        }
      : {}),
    createVmac: (name, link, mac, master, index) =>
      settle("create-vmac", () => k.createVmac(name, link, mac, master, index), failed),
    ...(k.createIpvlan
      ? {
          createIpvlan: (name: string, link: number, type: IpvlanType, master?: number) =>
            settle(
              "create-ipvlan",
              () => (k.createIpvlan as NonNullable<Kernel["createIpvlan"]>).call(k, name, link, type, master),
              failed,
            ),
        }
      : {}),
    deleteLink: (ifindex) => settle("delete-link", () => k.deleteLink(ifindex), same),
    setLinkUp: (ifindex, up) => settle("set-link", () => k.setLinkUp(ifindex, up), same),
    ...(k.ipv4Conf
      ? {
          ipv4Conf: (ifname: string, key: string, value?: number) =>
            settle(
              "ipv4-conf",
              () => (k.ipv4Conf as NonNullable<Kernel["ipv4Conf"]>).call(k, ifname, key, value),
              failed,
            ),
        }
      : {}),
    ...(k.updateVmac
      ? {
          updateVmac: (ifindex: number, mac: Uint8Array, master?: number) =>
            settle(
              "update-vmac",
              () => (k.updateVmac as NonNullable<Kernel["updateVmac"]>).call(k, ifindex, mac, master),
              same,
            ),
        }
      : {}),
    ...(k.ipv6Conf
      ? {
          ipv6Conf: (ifname: string, key: string, value?: number) =>
            settle(
              "ipv6-conf",
              () => (k.ipv6Conf as NonNullable<Kernel["ipv6Conf"]>).call(k, ifname, key, value),
              failed,
            ),
        }
      : {}),
    ...(k.linkLocal
      ? {
          linkLocal: (op: "add" | "del", ifindex: number, address: string) =>
            settle(
              `link-local-${op}`,
              () => (k.linkLocal as NonNullable<Kernel["linkLocal"]>).call(k, op, ifindex, address),
              same,
            ),
        }
      : {}),
    watch: (onEvent, o) => settle("watch", () => k.watch(onEvent, o), failed),
    ...(k.readEvents
      ? {
          readEvents: () =>
            settle("read-events", () => (k.readEvents as NonNullable<Kernel["readEvents"]>).call(k), same),
        }
      : {}),
    close: () =>
      settle(
        "close",
        () => k.close(),
        () => undefined,
      ),
  };
}

export interface VrrpChannel {
  readonly ifname: string;
  readonly family: 4 | 6;
  /**
   * Sends `data` before returning; the caller may rewrite it afterwards (the driver
   * sends from buffers kept per instance: transmit.ts advertPacketsShared), so a channel
   * that delivers later copies what it keeps.
   */
  send(dst: string, data: Uint8Array): KernelError | undefined;
  /**
   * `packets` handed to the kernel now, to leave at `at` without the event loop
   * (native-bindings/send-queue.ts: a MASTER's next advert). `at` is on the daemon driver's
   * clock, performance.now(), mapped to CLOCK_MONOTONIC as its kernel timers map theirs
   * (kernel-timer.ts monotonicAt), so both expire together. A ticket for cancelSend, or
   * undefined when nothing was queued (no io_uring here, too many destinations): then the
   * caller sends them itself at the deadline. The bytes are copied. A send that fails
   * later is reported to `onFailure` (from a later sendAt or cancelSend: never re-entrant).
   */
  sendAt?(
    at: number,
    packets: readonly { dst: string; data: Uint8Array }[],
    onFailure: (ticket: number, dst: string, e: KernelError) => void,
  ): number | undefined;
  /** Cancel what sendAt queued; packets already sent stay sent. */
  cancelSend?(ticket: number): void;
  /** never fails: a socket that cannot be closed is gone for us anyway */
  close(): void;
}

export interface ChannelOptions {
  family: 4 | 6;
  /** the interface the socket is bound to; with `unbound`, only the socket's name in logs */
  ifname: string;
  /**
   * An interfaceless unicast instance's socket (keepalived's sockpool entry with no ifp,
   * vrrp.c open_vrrp_read_socket): bound to no interface but to its unicast_src_ip, and
   * to the `vrf` device when the instance names one; no multicast groups.
   */
  unbound?: { source: string; vrf?: string };
  /** IP protocol: 112 VRRP, 51 AH (VRRPv2 auth_type AH) */
  proto: 112 | 51;
  /** multicast groups to join on the interface */
  groups: string[];
  /** SO_RCVBUF (rx-bufs.ts, keepalived's vrrp_rx_bufs_policy); undefined: keel's default */
  rcvbuf?: number;
  onPacket(rx: RxDatagram): void;
  /** a receive that failed (the socket stays open; the next readable event drains again) */
  onError(e: KernelError): void;
}

export type KernelEvent =
  | { type: "link"; action: "new" | "del"; link: Link }
  /** `own`: the kernel says this daemon's command socket caused it (not someone's `ip addr`) */
  | { type: "addr"; action: "new" | "del"; addr: IfAddress; own?: boolean }
  /** a route or rule someone deleted (only with watch's `routes`) */
  | { type: "route-del"; route: RouteInfo }
  | { type: "rule-del"; rule: RuleInfo }
  | { type: "overrun" };

export type { RouteInfo, RuleInfo };

export interface WatchOptions {
  routes?: RouteGroups;
  onIdle?: () => void;
}

/** use_ipvlan's type (IFLA_IPVLAN_FLAGS) */
export type IpvlanType = "bridge" | "private" | "vepa";

/** an address garp() announces, and the interface it leaves by */
export interface GarpAddress {
  ifname: string;
  address: string;
  family: 4 | 6;
}

/**
 * A VIP and the interface it goes on. `ifname`, when the caller has it (the driver's link
 * table, kept by the link monitor's RTM_NEWLINK, renames included), saves the kernel side
 * an if_indextoname (socket + SIOCGIFNAME + close) on a failover's critical path (issue 20).
 */
export interface VipTarget {
  address: VirtualAddress;
  ifindex: number;
  ifname?: string;
}

export interface Kernel {
  links(): KernelResult<Link[]>;
  addresses(): KernelResult<IfAddress[]>;
  openChannel(o: ChannelOptions): KernelResult<VrrpChannel>;
  /** add (or, with `del`, remove) a VIP */
  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): KernelError | undefined;
  /**
   * many VIPs in one netlink batch; one result per item. `items` laid out by prepareVips
   * (the same array, unchanged) are sent as laid out.
   */
  vips(op: "add" | "del", items: VipTarget[]): (KernelError | undefined)[];
  /**
   * Lay out the request vips(op, items) will send, ahead of it (a backup's VIPs, for its
   * takeover: issue 20), kept while the caller keeps `items`. Nothing is sent. Optional:
   * the simulated kernels have none.
   */
  prepareVips?(op: "add" | "del", items: readonly VipTarget[]): void;
  /**
   * The request prepareVips laid out for `items` ("add"), handed to the kernel to send by
   * itself at `at` (the driver's clock): a BACKUP's VIPs in at its Master_Down deadline
   * whatever the event loop does then (issue 20). vips() with the same items takes it
   * back and reads its answers, or sends it if it had not left. False: nothing queued.
   * Optional: the simulated kernels have none.
   */
  queueVips?(items: readonly VipTarget[], at: number): boolean;
  /**
   * A queued request (queueVips) taken back, when the instance did not take over with it:
   * undefined when it had not left (nothing was added), else its results as vips()'s.
   */
  unqueueVips?(items: readonly VipTarget[]): (KernelError | undefined)[] | undefined;
  route(op: "add" | "del", r: Route, ifindexOf: (name: string) => number | undefined): KernelError | undefined;
  rule(op: "add" | "del", r: Rule): KernelError | undefined;
  garp(ifname: string, address: string, family: 4 | 6): KernelError | undefined;
  /**
   * Make garp() for these ready ahead of it (a backup's takeover: issue 20): the interfaces'
   * senders opened, their frames built. Nothing is sent; a failure is left for garp() to
   * meet and report. Optional: the simulated kernels have none.
   */
  prepareGarps?(targets: readonly GarpAddress[]): void;
  /**
   * a macvlan (keepalived's VMAC), enslaved to `master` (a VRF) when given, with the ifindex
   * `index` when given (a replaced leftover's); its ifindex
   */
  createVmac(name: string, link: number, mac: Uint8Array, master?: number, index?: number): KernelResult<number>;
  /**
   * an L2 ipvlan (keepalived's use_ipvlan), created up, enslaved to `master` when given; its
   * ifindex. Optional: the simulated kernels have none.
   */
  createIpvlan?(name: string, link: number, type: IpvlanType, master?: number): KernelResult<number>;
  /**
   * A leftover macvlan made a private VMAC with `mac` in `master` (none: out of any VRF),
   * keepalived's "Update old VMAC interface". Optional: the simulated kernels have none.
   */
  updateVmac?(ifindex: number, mac: Uint8Array, master?: number): KernelError | undefined;
  deleteLink(ifindex: number): KernelError | undefined;
  setLinkUp(ifindex: number, up: boolean): KernelError | undefined;
  /**
   * net.ipv4.conf.IFNAME.KEY (promote_secondaries): its value, first set to `value` when
   * given (the value before comes back). Optional: a kernel without it has no such settings.
   */
  ipv4Conf?(ifname: string, key: string, value?: number): KernelResult<number>;
  /** net.ipv6.conf.IFNAME.KEY (a VMAC's disable_ipv6 and addr_gen_mode), as ipv4Conf. Optional. */
  ipv6Conf?(ifname: string, key: string, value?: number): KernelResult<number>;
  /**
   * A VMAC's IPv6 link-local as keepalived's add_link_local_address / del_link_local_address
   * make it: /64, nodad, preferred_lft 0 (deprecated: nothing but the adverts picks it as a
   * source), valid forever. Optional: the simulated kernels have none.
   */
  linkLocal?(op: "add" | "del", ifindex: number, address: string): KernelError | undefined;
  /**
   * netlink link/address notifications until the returned function is called. `onIdle`
   * follows the events of one read, once none is left queued (only a kernel with
   * `readEvents` calls it; the simulated ones deliver each event on its own).
   */
  watch(onEvent: (e: KernelEvent) => void, o?: WatchOptions): KernelResult<() => void>;
  /**
   * Deliver now the notifications already queued (then `onIdle`), so a table built from
   * them includes every change the kernel acknowledged so far; a receive that failed
   * comes back (events may be lost). Optional: the simulated kernels have none (and no
   * `onIdle`).
   */
  readEvents?(): KernelError | undefined;
  /** never fails */
  close(): void;
}
