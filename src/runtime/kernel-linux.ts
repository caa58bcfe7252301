/**
 * The Kernel interface on Linux, through native-bindings/ (rtnetlink, raw VRRP sockets,
 * AF_PACKET GARP / ICMPv6 NA). Config spellings (scope names, route tables, "+"
 * broadcast) are turned into kernel numbers here, as keepalived's vrrp_ipaddress.c,
 * vrrp_iproute.c and vrrp_iprule.c do.
 *
 * This file is the boundary where native-bindings' exceptions (SyscallError,
 * NetlinkError) become KernelError values (kernel.ts): no method here throws.
 */
import { errnoName, strerror } from "../../native-bindings/errno";
import { type GarpSender, openGarpSender } from "../../native-bindings/garp";
import {
  type AddressBatch,
  type QueuedAddresses,
  type AddressSpec,
  type EncapSpec,
  NetlinkError,
  type NexthopSpec,
  type RcvBuf,
  type RouteMetrics,
  type RouteSpec,
  type RuleSpec,
  Rtnl,
  watchRtnl,
} from "../../native-bindings/netlink";
import { watchReadable } from "../../native-bindings/readiness";
import { monotonicAt } from "../../native-bindings/kernel-timer";
import { SendQueue, type SendFailure } from "../../native-bindings/send-queue";
import { openVrrpSocket } from "../../native-bindings/vrrp-socket";
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";
import type { RtIds } from "../config/vrrp/net/common";
import {
  type Encap,
  type LockableMetric,
  type Nexthop,
  mplsLabels,
  RTT_UNIT,
  rttUnits,
} from "../config/vrrp/net/route";
import { formatIpv4, ipv4ToNumber, numberToIpv4, parseIp } from "../base/ip";
import {
  type ChannelOptions,
  type GarpAddress,
  type IfAddress,
  type IpvlanType,
  type Kernel,
  type KernelError,
  type KernelEvent,
  type KernelResult,
  type Link,
  type VipTarget,
  type VrrpChannel,
  type WatchOptions,
  attempt,
  attemptEffect,
  kernelError,
} from "./kernel";
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { readTextFile, writeTextFile } from "../../native-bindings/file";

/**
 * Datagrams read from one VRRP socket per event-loop turn. A turn of 64 costs well under
 * a millisecond on a slow machine (decode + engine), so a flood delays a timer or a
 * control-socket reply by about that much, not by the whole 1 MiB receive queue.
 */
const RX_BUDGET = 64;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** rtnetlink scope names of addresses (the built-in ones of /etc/iproute2/rt_scopes) */
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

function num(v: string | undefined, names: Record<string, number>): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  return names[v];
}
/**
 * A route's or rule's name fields as the numbers config load resolved them to
 * (config/vrrp/rt-resolve.ts): a field given without its number was never resolved, and
 * is refused rather than sent as the kernel's default (main table, protocol keepalived).
 */
function rtIds(r: Route | Rule, op: string): RtIds | KernelError {
  const ids = r.ids ?? {};
  for (const k of ["table", "protocol", "scope", "tos", "realms"] as const) {
    const given = (r as Partial<Record<typeof k, unknown>>)[k];
    if (given !== undefined && ids[k] === undefined)
      return { op, message: `${k} ${String(given)} was not resolved to a number at config load` };
  }
  return ids;
}

function isError(x: object): x is KernelError {
  return "op" in x;
}

/** A route's or next hop's `encap` for the request (keepalived vrrp_iproute.c add_encap). */
function encapSpec(e: Encap, op: string): EncapSpec | KernelError {
  switch (e.type) {
    case "mpls":
      // no labels after keepalived's "invalid mpls address": it sends the empty stack too
      return { type: "mpls", labels: e.labels === undefined ? [] : (mplsLabels(e.labels) ?? []) };
    case "ila":
      return { type: "ila", locator: e.locator ?? "" };
    default:
      if (e.tos !== undefined && e.tosId === undefined)
        return { op, message: `encap ${e.type} tos ${e.tos} was not resolved to a number at config load` };
      return {
        type: e.type,
        id: e.id === undefined ? undefined : BigInt(e.id),
        dst: e.dst,
        src: e.src,
        tos: e.tosId,
        ttl: e.ttl,
        flags: e.flags,
      };
  }
}

/** The `nexthop` groups of a multipath route (keepalived vrrp_iproute.c add_nexthops). */
function nexthopSpecs(
  hops: Nexthop[],
  op: string,
  ifindexOf: (name: string) => number | undefined,
): NexthopSpec[] | KernelError {
  const out: NexthopSpec[] = [];
  for (const n of hops) {
    const ifindex = n.dev === undefined ? undefined : ifindexOf(n.dev);
    if (n.dev !== undefined && ifindex === undefined) return { op, code: "ENODEV", message: `no interface ${n.dev}` };
    if (n.realms !== undefined && n.realmsId === undefined)
      return { op, message: `nexthop realms ${n.realms} was not resolved to a number at config load` };
    const encap = n.encap && encapSpec(n.encap, op);
    if (encap && isError(encap)) return encap;
    out.push({ via: n.via, ifindex, weight: n.weight, onlink: n.onlink, realms: n.realmsId, encap });
  }
  return out;
}

/** rtnetlink.h RTAX_* of the metrics that take `lock`: RTAX_LOCK's bits */
const RTAX_OF: Record<LockableMetric, number> = {
  mtu: 2,
  rtt: 4,
  rttvar: 5,
  ssthresh: 6,
  cwnd: 7,
  advmss: 8,
  reordering: 9,
  rtoMin: 13,
  congctl: 16,
};
/** icmpv6.h ICMPV6_ROUTER_PREF_* for `pref low|medium|high`, else the number as written */
const PREFS: Record<string, number> = { low: 3, medium: 0, high: 1 };

/**
 * A route's RTA_METRICS as keepalived's netlink_route sends them: the time metrics in the
 * kernel's units (get_time_rtt), features ecn as RTAX_FEATURE_ECN, quickack and
 * fastopen_no_cookie as 0/1, and 1 << RTAX_x in RTAX_LOCK for each `lock`.
 */
export function routeMetrics(r: Route): RouteMetrics | undefined {
  const time = (key: "rtt" | "rttvar" | "rtoMin") => {
    const t = r[key];
    return t === undefined ? undefined : rttUnits(t, RTT_UNIT[key]);
  };
  const m: RouteMetrics = {
    congctl: r.congctl,
    rtt: time("rtt"),
    rttvar: time("rttvar"),
    rtoMin: time("rtoMin"),
    features: r.features === "ecn" ? 1 : undefined,
    mtu: r.mtu,
    window: r.window,
    ssthresh: r.ssthresh,
    cwnd: r.cwnd,
    advmss: r.advmss,
    reordering: r.reordering,
    hoplimit: r.hoplimit,
    initcwnd: r.initcwnd,
    initrwnd: r.initrwnd,
    quickack: r.quickack === undefined ? undefined : r.quickack ? 1 : 0,
    fastopenNoCookie: r.fastopenNoCookie === undefined ? undefined : r.fastopenNoCookie ? 1 : 0,
    lock: (r.locked ?? []).reduce((a, k) => a | (1 << RTAX_OF[k]), 0) || undefined,
  };
  for (const k of Object.keys(m) as (keyof RouteMetrics)[]) if (m[k] === undefined) delete m[k];
  return Object.keys(m).length ? m : undefined;
}

function splitPrefix(text: string, family: 4 | 6): { address?: string; len: number } {
  if (text === "default") return { len: 0 };
  const [address, len] = text.split("/");
  return { address, len: len === undefined ? (family === 4 ? 32 : 128) : Number(len) };
}

/** "+": all host bits set; "-": none (iproute2's `broadcast +`). */
function broadcastOf(va: VirtualAddress): string | undefined {
  if (va.family !== 4 || va.broadcast === undefined) return undefined;
  if (va.broadcast !== "+" && va.broadcast !== "-") return va.broadcast;
  const b = parseIp(va.address)?.bytes;
  if (!b) return undefined;
  const n = ipv4ToNumber(b);
  const mask = va.prefix === 0 ? 0 : (0xffffffff << (32 - va.prefix)) >>> 0;
  const out = va.broadcast === "+" ? (n | ~mask) >>> 0 : (n & mask) >>> 0;
  return formatIpv4(numberToIpv4(out));
}

/** errno names that mean "the state asked for is already there" for an add or a delete */
const DONE_ALREADY: Record<"add" | "del", Set<string>> = {
  add: new Set(["EEXIST"]),
  del: new Set(["EADDRNOTAVAIL", "ENOENT", "ENODEV", "ESRCH"]),
};

/** Run a netlink add/del; an "already there / already gone" refusal is success. */
function idempotent(op: "add" | "del", what: string, fn: () => void): KernelError | undefined {
  const err = attemptEffect(`${what}-${op}`, fn);
  return err?.code !== undefined && DONE_ALREADY[op].has(err.code) ? undefined : err;
}

function linkOf(l: {
  ifindex: number;
  name: string;
  flags: number;
  mac?: Uint8Array;
  kind?: string;
  mtu?: number;
  master?: number;
  link?: number;
  macvlanMode?: number;
}): Link {
  const up = (l.flags & IFF_UP) !== 0 && (l.flags & IFF_RUNNING) !== 0;
  const link: Link = { ifindex: l.ifindex, name: l.name, up, flags: l.flags, mac: l.mac, kind: l.kind, mtu: l.mtu };
  if (l.master !== undefined) link.master = l.master;
  if (l.link !== undefined) link.link = l.link;
  if (l.macvlanMode !== undefined) link.macvlanMode = l.macvlanMode;
  return link;
}

/** The netlink sockets' receive buffers when the configuration sets them (rx-bufs.ts netlinkBufs). */
export interface LinuxKernelOptions {
  cmd?: RcvBuf;
  monitor?: RcvBuf;
  /**
   * A route or rule delete the kernel refused as already gone (ESRCH, ENOENT: taken as
   * done) in keepalived's words, which keepalived's netlink_parse_info logs for every
   * refusal but EEXIST on RTM_NEWROUTE/RTM_NEWADDR and EADDRNOTAVAIL on RTM_DELADDR:
   * "Netlink: error: No such process(3), type=RTM_DELROUTE(25), seq=N, pid=0"
   */
  onRefusedDone?: (line: string) => void;
}

const NL_TYPE_NAMES: Record<number, string> = { 25: "RTM_DELROUTE", 33: "RTM_DELRULE" };

/** keepalived netlink_parse_info's line for a refused request (get_nl_msg_type names the type). */
export function netlinkErrorLine(e: NetlinkError): string | undefined {
  const h = e.header;
  if (!h) return undefined;
  const type = NL_TYPE_NAMES[h.type] ?? `${h.type}`;
  return `Netlink: error: ${strerror(e.errno)}(${e.errno}), type=${type}(${h.type}), seq=${h.seq}, pid=${h.pid}`;
}

function addrOf(a: IfAddress): IfAddress {
  const { ifindex, family, address, prefixLen, scope, flags } = a;
  return { ifindex, family, address, prefixLen, scope, flags };
}

export class LinuxKernel implements Kernel {
  private readonly rtnl: Rtnl;
  private readonly garps = new Map<string, GarpSender>();
  /** the watches' netlink monitors, for readEvents */
  private readonly monitors = new Set<{ drain(): void; close(): void }>();

  constructor(private readonly o: LinuxKernelOptions = {}) {
    this.rtnl = Rtnl.open(o.cmd);
  }

  links(): KernelResult<Link[]> {
    return attempt("links", () => this.rtnl.listLinks().map(linkOf));
  }

  addresses(): KernelResult<IfAddress[]> {
    return attempt("addresses", () => this.rtnl.listAddresses().map(addrOf));
  }

  openChannel(o: ChannelOptions): KernelResult<VrrpChannel> {
    return attempt("open-channel", () => {
      // every instance on an interface uses the same group in practice (224.0.0.18 /
      // ff02::12); a second group on the same socket is joined by the pool below
      const sock = openVrrpSocket(
        o.unbound
          ? // no FREEBIND: an unconfigured unicast_src_ip is refused, as keepalived 2.2 binds it
            { family: o.family, proto: o.proto, rcvbuf: o.rcvbuf, ...o.unbound, freebind: false }
          : { family: o.family, ifname: o.ifname, proto: o.proto, group: o.groups[0], rcvbuf: o.rcvbuf },
      );
      try {
        for (const g of o.groups.slice(1)) sock.join?.(g);
      } catch (e) {
        sock.close();
        throw e;
      }
      const stop = watchReadable(sock.fd, () => {
        try {
          // a bounded turn, then the loop's timers and control socket (readiness.ts)
          return sock.drain(o.onPacket, RX_BUDGET) >= RX_BUDGET;
        } catch (e) {
          o.onError(kernelError("receive", e));
          return false;
        }
      });
      let failedFor: ((ticket: number, dst: string, e: KernelError) => void) | undefined;
      let failed: SendFailure | undefined;
      return {
        ifname: o.ifname,
        family: o.family,
        // try/catch in line, not attemptEffect(): no closure or result object per advert (issue 20)
        send: (dst, data) => {
          try {
            sock.send(dst, data);
            return undefined;
          } catch (e) {
            return kernelError("send", e);
          }
        },
        sendAt: (at, packets, onFailure) => {
          const q = SendQueue.get();
          if (typeof q === "string") return undefined;
          // one wrapper per caller's callback (the driver passes the same one): none per advert
          if (failedFor !== onFailure) {
            failedFor = onFailure;
            failed = (t, dst, e) =>
              onFailure(t, dst, {
                op: "send",
                code: errnoName(e),
                errno: e,
                message: `sendmsg (${dst} on ${o.ifname}): ${strerror(e)} [${errnoName(e)}]`,
              });
          }
          return q.queue(sock.fd, monotonicAt(at), packets, sock.sockaddr, failed);
        },
        cancelSend: (ticket) => {
          const q = SendQueue.get();
          if (typeof q !== "string") q.cancel(ticket);
        },
        close: () => {
          stop();
          // a send still queued on this fd would go out on whatever socket takes its number
          const q = SendQueue.get();
          if (typeof q !== "string") q.cancelFd(sock.fd);
          attemptEffect("close", () => sock.close());
        },
      };
    });
  }

  vip(op: "add" | "del", va: VirtualAddress, ifindex: number): KernelError | undefined {
    return this.vips(op, [{ address: va, ifindex }])[0];
  }

  vips(op: "add" | "del", items: VipTarget[]): (KernelError | undefined)[] {
    const laid = this.laidOut.get(items);
    const queued = laid?.queued;
    if (laid !== undefined) laid.queued = undefined;
    // a batch that fails as a whole (the socket, not one address) fails every item
    const batch =
      laid !== undefined && laid.op === op
        ? attempt(`vip-${op}`, () => this.rtnl.sendAddresses(laid.batch, queued))
        : attempt(`vip-${op}`, () => {
            const specs = items.map((i) => this.addressSpec(i.address, i.ifindex, i.ifname));
            return op === "add" ? this.rtnl.addAddresses(specs) : this.rtnl.delAddresses(specs);
          });
    if (!batch.ok) return items.map(() => batch.error);
    return this.vipResults(op, batch.value);
  }

  private vipResults(op: "add" | "del", errors: (NetlinkError | undefined)[]): (KernelError | undefined)[] {
    return errors.map((e) => {
      if (!e || DONE_ALREADY[op].has(e.code)) return undefined; // the state we wanted
      return kernelError(`vip-${op}`, e);
    });
  }

  queueVips(items: readonly VipTarget[], at: number): boolean {
    const laid = this.laidOut.get(items);
    if (laid === undefined || laid.queued !== undefined) return false;
    laid.queued = this.rtnl.queueAddresses(laid.batch, monotonicAt(at));
    return laid.queued !== undefined;
  }

  unqueueVips(items: readonly VipTarget[]): (KernelError | undefined)[] | undefined {
    const laid = this.laidOut.get(items);
    const queued = laid?.queued;
    if (laid === undefined || queued === undefined) return undefined;
    laid.queued = undefined;
    const sent = this.rtnl.settleQueued(queued);
    return sent === undefined ? undefined : this.vipResults(laid.op, sent);
  }

  /**
   * The requests vips() sends for these items, laid out ahead (prepareVips), as long as the
   * caller keeps the array. The spec of an item is its address and interface only, so the
   * same array, unchanged, needs no other check.
   */
  private readonly laidOut = new WeakMap<
    readonly VipTarget[],
    { op: "add" | "del"; batch: AddressBatch; queued?: QueuedAddresses }
  >();

  prepareVips(op: "add" | "del", items: readonly VipTarget[]): void {
    const specs = items.map((i) => this.addressSpec(i.address, i.ifindex, i.ifname));
    this.laidOut.set(items, { op, batch: this.rtnl.layoutAddresses(op === "add" ? "new" : "del", specs) });
  }

  private addressSpec(va: VirtualAddress, ifindex: number, ifname?: string): AddressSpec {
    return {
      ifindex,
      ifname,
      family: va.family,
      address: va.address,
      prefixLen: va.prefix,
      label: va.label,
      // from rt_scopes at config load; a model built by hand (tests) may name a built-in one
      scope: va.scopeId ?? num(va.scope, SCOPES),
      broadcast: broadcastOf(va),
      peer: va.peer,
      // keepalived adds IPv6 VIPs with IFA_F_NODAD: a VIP moving between hosts must be
      // usable at once, not tentative for a DAD round
      nodad: va.family === 6 ? true : undefined,
      noprefixroute: va.noPrefixRoute,
    };
  }

  route(op: "add" | "del", r: Route, ifindexOf: (name: string) => number | undefined): KernelError | undefined {
    const ids = rtIds(r, `route-${op}`);
    if (isError(ids)) return ids;
    const encap = r.encap && encapSpec(r.encap, `route-${op}`);
    if (encap && isError(encap)) return encap;
    const nexthops = r.nexthops?.length ? nexthopSpecs(r.nexthops, `route-${op}`, ifindexOf) : undefined;
    if (nexthops && isError(nexthops)) return nexthops;
    const dst = splitPrefix(r.dst, r.family);
    const from = r.from === undefined || r.from === "default" ? undefined : splitPrefix(r.from, r.family);
    const spec: RouteSpec = {
      family: r.family,
      dst: dst.address,
      prefixLen: dst.len,
      table: ids.table,
      metric: r.metric,
      via: r.via,
      ifindex: r.dev === undefined ? undefined : ifindexOf(r.dev),
      src: r.src,
      scope: ids.scope,
      protocol: ids.protocol,
      tos: ids.tos,
      realms: ids.realms,
      type:
        r.type === "blackhole" || r.type === "unreachable" || r.type === "prohibit" || r.type === "local"
          ? r.type
          : "unicast",
      onlink: r.onlink,
      encap,
      nexthops,
      from: from?.address,
      fromLen: from?.len,
      pref: r.pref === undefined ? undefined : (PREFS[r.pref] ?? Number(r.pref)),
      expires: r.expires,
      ttlPropagate: r.ttlPropagate,
      metrics: routeMetrics(r),
      // keepalived's netlink_route: NLM_F_CREATE alone unless the line says `add` (NLM_F_EXCL)
      // or `append` (NLM_F_APPEND); its parser calls the default `prepend`, the kernel's
      mode: r.mode ?? "prepend",
    };
    if (r.dev !== undefined && spec.ifindex === undefined)
      return { op: `route-${op}`, code: "ENODEV", message: `no interface ${r.dev}` };
    if (op === "add") return idempotent(op, "route", () => this.rtnl.addRoute(spec));
    return this.deleted("route", () => this.rtnl.delRoute(spec));
  }

  rule(op: "add" | "del", r: Rule): KernelError | undefined {
    const from = r.from === undefined ? undefined : splitPrefix(r.from, r.family);
    const to = r.to === undefined ? undefined : splitPrefix(r.to, r.family);
    const ids = rtIds(r, `rule-${op}`);
    if (isError(ids)) return ids;
    const table = ids.table;
    const spec: RuleSpec = {
      family: r.family,
      from: from?.address,
      fromLen: from?.len,
      to: to?.address,
      toLen: to?.len,
      table: table ?? 254,
      priority: r.priority,
      fwmark: r.fwmark,
      fwmask: r.fwmask,
      iif: r.iif,
      oif: r.oif,
      invert: r.not,
      tos: ids.tos,
      realms: ids.realms,
      protocol: ids.protocol,
    };
    if (op === "add") return idempotent(op, "rule", () => this.rtnl.addRule(spec));
    return this.deleted("rule", () => this.rtnl.delRule(spec));
  }

  /** A route or rule delete: "already gone" is done, and said as keepalived says it (onRefusedDone). */
  private deleted(what: "route" | "rule", fn: () => void): KernelError | undefined {
    try {
      fn();
      return undefined;
    } catch (e) {
      const err = kernelError(`${what}-del`, e);
      if (err.code === undefined || !DONE_ALREADY.del.has(err.code)) return err;
      const line = e instanceof NetlinkError ? netlinkErrorLine(e) : undefined;
      if (line !== undefined) this.o.onRefusedDone?.(line);
      return undefined;
    }
  }

  garp(ifname: string, address: string, family: 4 | 6): KernelError | undefined {
    const send = () => {
      const s = this.garpSender(ifname);
      if (family === 4) s.sendArp(address);
      else s.sendNa(address);
    };
    try {
      send();
      return undefined;
    } catch {
      // the interface may have been deleted and created again (a VMAC, dynamic_interfaces):
      // the cached sender is bound to the old ifindex; one more try on a fresh one
      this.dropGarpSender(ifname);
    }
    try {
      send();
      return undefined;
    } catch (e) {
      this.dropGarpSender(ifname);
      return kernelError("garp", e);
    }
  }

  /**
   * The senders garp() will use, opened, and their frames built (issue 20: on a fresh
   * backup's first takeover the socket, its ioctls and the frames came between the VIPs'
   * request and the first GARP). keepalived opens its ARP/NA sockets at start
   * (gratuitous_arp_init, ndisc_init). A failure here is garp()'s to meet and report.
   */
  prepareGarps(targets: readonly GarpAddress[]): void {
    for (const t of targets) {
      try {
        this.garpSender(t.ifname).prepare(t.address, t.family);
      } catch {
        this.dropGarpSender(t.ifname);
      }
    }
  }

  private garpSender(ifname: string): GarpSender {
    let s = this.garps.get(ifname);
    if (!s) {
      s = openGarpSender(ifname);
      this.garps.set(ifname, s);
    }
    return s;
  }

  private dropGarpSender(ifname: string): void {
    attemptEffect("garp-close", () => this.garps.get(ifname)?.close());
    this.garps.delete(ifname);
  }

  createVmac(name: string, link: number, mac: Uint8Array, master?: number, index?: number): KernelResult<number> {
    return attempt("create-vmac", () => this.rtnl.createMacvlan({ name, link, mac, mode: "private", master, index }));
  }

  updateVmac(ifindex: number, mac: Uint8Array, master?: number): KernelError | undefined {
    return attemptEffect("update-vmac", () => this.rtnl.updateMacvlan({ index: ifindex, mac, master }));
  }

  createIpvlan(name: string, link: number, type: IpvlanType, master?: number): KernelResult<number> {
    return attempt("create-ipvlan", () => this.rtnl.createIpvlan({ name, link, flags: type, master }));
  }

  deleteLink(ifindex: number): KernelError | undefined {
    return attemptEffect("delete-link", () => this.rtnl.deleteLink(ifindex));
  }

  setLinkUp(ifindex: number, up: boolean): KernelError | undefined {
    return attemptEffect("set-link", () => this.rtnl.setLinkUp(ifindex, up));
  }

  /** /proc/sys/net/ipv4/conf/IFNAME/KEY: of the namespace keel runs in (read on this thread) */
  ipv4Conf(ifname: string, key: string, value?: number): KernelResult<number> {
    return attempt("ipv4-conf", () => {
      const path = `/proc/sys/net/ipv4/conf/${ifname}/${key}`;
      const before = Number(readTextFile(path).trim());
      if (value !== undefined && value !== before) writeTextFile(path, `${value}\n`);
      return before;
    });
  }

  /** /proc/sys/net/ipv6/conf/IFNAME/KEY, as ipv4Conf */
  ipv6Conf(ifname: string, key: string, value?: number): KernelResult<number> {
    return attempt("ipv6-conf", () => {
      const path = `/proc/sys/net/ipv6/conf/${ifname}/${key}`;
      const before = Number(readTextFile(path).trim());
      if (value !== undefined && value !== before) writeTextFile(path, `${value}\n`);
      return before;
    });
  }

  linkLocal(op: "add" | "del", ifindex: number, address: string): KernelError | undefined {
    // vrrp_vmac.c add_link_local_address: a zeroed ip_address_t, so netlink_ipaddress sends
    // IFA_F_NODAD and an ifa_cacheinfo with preferred 0, valid forever
    const spec: AddressSpec = { ifindex, family: 6, address, prefixLen: 64, nodad: true, preferredLft: 0 };
    const err = attemptEffect(`link-local-${op}`, () =>
      op === "add" ? this.rtnl.addAddress(spec) : this.rtnl.delAddress(spec),
    );
    return err?.code !== undefined && DONE_ALREADY[op].has(err.code) ? undefined : err;
  }

  watch(onEvent: (e: KernelEvent) => void, o: WatchOptions = {}): KernelResult<() => void> {
    return attempt("watch", () => {
      const w = watchRtnl(
        (e) => {
          if (e.type === "link") onEvent({ type: "link", action: e.action, link: linkOf(e.link) });
          else if (e.type === "addr") onEvent({ type: "addr", action: e.action, addr: addrOf(e.addr), own: e.own });
          else onEvent(e);
        },
        this.o.monitor,
        { ...o, ownPort: this.rtnl.portId },
      );
      this.monitors.add(w);
      return () => {
        this.monitors.delete(w);
        return attemptEffect("watch-close", () => w.close());
      };
    });
  }

  readEvents(): KernelError | undefined {
    return attemptEffect("read-events", () => {
      for (const m of [...this.monitors]) m.drain();
    });
  }

  close(): void {
    for (const g of this.garps.values()) attemptEffect("garp-close", () => g.close());
    this.garps.clear();
    attemptEffect("close", () => this.rtnl.close());
  }
}

export { NetlinkError };
