/**
 * rtnetlink requests and replies as bytes: spec -> request message, reply message ->
 * typed value. Pure (no I/O), so the golden-byte tests exercise exactly what Rtnl sends.
 *
 * What goes into each request mirrors keepalived (vrrp_ipaddress.c netlink_ipaddress,
 * vrrp_iproute.c netlink_route, vrrp_iprule.c netlink_rule, vrrp_vmac.c
 * netlink_link_add_vmac); attribute order and string encoding follow iproute2 where the
 * two differ only in layout, so the bytes compare equal to what `ip` sends. Deliberate
 * differences from `ip` (all keepalived's choices):
 *  - address flags always travel in IFA_FLAGS (ifa_flags stays 0), as keepalived does;
 *  - routes default to protocol RTPROT_KEEPALIVED and scope universe, also on delete
 *    (where the scope is RT_SCOPE_NOWHERE, a wildcard);
 *  - rules send action FR_ACT_TO_TBL on delete too.
 */
import {
  align4,
  type AttrList,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  encodeMessage,
  encodeStruct,
  fail,
  type NlMessage,
  ok,
  type Result,
} from "./codec";
import * as K from "./constants";
import { invalid } from "./error";
import { describeEncap, encapAttrs, multipathPayload } from "./lwtunnel";
import { formatAddress, parseAddress } from "../../src/base/ip";
import { formatMac } from "../../src/base/mac";
import {
  FIB_RULE_HDR,
  FRA,
  IFA,
  IFADDRMSG,
  IFINFOMSG,
  IFLA,
  IFLA_IPVLAN,
  IFLA_MACVLAN,
  RTA,
  RTAX,
  RTMSG,
} from "./schemas";
import type {
  AddressInfo,
  AddressSpec,
  LinkInfo,
  RouteInfo,
  RouteMetrics,
  RouteSpec,
  RuleInfo,
  RuleSpec,
} from "./types";

const REQ_ACK = K.NLM_F_REQUEST | K.NLM_F_ACK;
const CREATE_EXCL = REQ_ACK | K.NLM_F_CREATE | K.NLM_F_EXCL;

const afOf = (family: 4 | 6): number => (family === 4 ? K.AF_INET : K.AF_INET6);
const hostLen = (family: 4 | 6): number => (family === 4 ? 32 : 128);
const te = new TextEncoder();

/**
 * The request as `ip` would write it, for an error only: the address path passes a
 * function, so the text is built when something is refused, not for every request
 * (issue 20: a failover's add is one of these, cold).
 */
type Describe = string | (() => string);
const said = (d: Describe): string => (typeof d === "string" ? d : d());

function u8(request: Describe, what: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw invalid(said(request), `${what} ${n} is not 0..255`);
  return n;
}
function u32(request: Describe, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw invalid(said(request), `${what} ${v} is not 0..4294967295`);
  return v;
}
function addr(request: Describe, what: string, family: 4 | 6, text: string): Uint8Array {
  const b = parseAddress(family, text);
  if (!b) throw invalid(said(request), `${what} "${text}" is not an IPv${family} address`);
  return b;
}
function prefix(request: Describe, family: 4 | 6, len: number | undefined): number {
  const n = len ?? hostLen(family);
  if (!Number.isInteger(n) || n < 0 || n > hostLen(family))
    throw invalid(said(request), `prefix length ${n} is not 0..${hostLen(family)}`);
  return n;
}
function ifindex(request: Describe, i: number): number {
  if (!Number.isInteger(i) || i <= 0 || i > 0x7fffffff)
    throw invalid(said(request), `interface index ${i} is not valid`);
  return i;
}
function ifname(request: Describe, what: string, name: string): string {
  const n = te.encode(name).length;
  if (n === 0 || n >= K.IFNAMSIZ) throw invalid(said(request), `${what} "${name}" must be 1..${K.IFNAMSIZ - 1} bytes`);
  return name;
}
function family(request: Describe, f: number): 4 | 6 {
  if (f !== 4 && f !== 6) throw invalid(said(request), `family ${f} is not 4 or 6`);
  return f;
}
const dev = (ifindexValue: number, name?: string): string => `dev ${name ?? `#${ifindexValue}`}`;

// ---------------------------------------------------------------- addresses

export function describeAddress(op: "new" | "del", a: AddressSpec, name?: string): string {
  return `RTM_${op === "new" ? "NEWADDR" : "DELADDR"} ${a.address}/${a.prefixLen}${a.peer ? ` peer ${a.peer}` : ""} ${dev(a.ifindex, name)}${a.label && op === "new" ? ` label ${a.label}` : ""}${a.preferredLft !== undefined && op === "new" ? ` preferred_lft ${a.preferredLft}` : ""}`;
}

/**
 * The largest address request: nlmsghdr 16 + ifaddrmsg 8 + IFA_LOCAL 20 + IFA_BROADCAST 8
 * + IFA_FLAGS 8 + IFA_CACHEINFO 20 + IFA_LABEL 20 (IFNAMSIZ) + IFA_ADDRESS 20.
 */
export const ADDRESS_REQUEST_MAX = 120;

/** What an address request carries beyond the spec. */
export interface AddressRequestOptions {
  /** NLM_F_REPLACE instead of NLM_F_EXCL (add only) */
  replace?: boolean;
  /** the interface's name: checks the label and names the interface in errors */
  ifname?: string;
  /** NLM_F_ACK (default true); a batch asks it of its last request only (socket.ts transact) */
  ack?: boolean;
}

/**
 * RTM_NEWADDR / RTM_DELADDR. Add: IFA_LOCAL, [IFA_BROADCAST], [IFA_FLAGS], [IFA_CACHEINFO], [IFA_LABEL],
 * IFA_ADDRESS (the peer, else the address itself, as iproute2). Delete: IFA_LOCAL +
 * IFA_ADDRESS only (the kernel matches on those; keepalived sends no label or flags).
 * `name` (the interface's name) lets the label be checked: the kernel accepts any label,
 * keepalived's convention and `ip`'s is that it starts with the interface name.
 */
export function addressRequest(
  op: "new" | "del",
  a: AddressSpec,
  seq: number,
  o: AddressRequestOptions = {},
): Uint8Array {
  const out = new Uint8Array(ADDRESS_REQUEST_MAX);
  return out.slice(0, writeAddressRequest(out, new DataView(out.buffer), 0, op, a, seq, o));
}

/**
 * addressRequest written into `out` at `off` (`view` over the same buffer), as a batch
 * lays its requests into one buffer that goes to the kernel as it is: the bytes
 * encodeMessage(header, encodeStruct(IFADDRMSG), encodeAttrs(IFA, …)) makes (the unit
 * tests compare all three with `ip`'s captures), without the generic codec's small
 * arrays, their DataViews and `.buffer`, and without the request's text unless it is
 * refused. A master with 1,000 VIPs writes 1,000 of these at once, cold (issue 20).
 * Returns the length written (≤ ADDRESS_REQUEST_MAX); throws NetlinkError EINVAL.
 */
export function writeAddressRequest(
  out: Uint8Array,
  view: DataView,
  off: number,
  op: "new" | "del",
  a: AddressSpec,
  seq: number,
  o: AddressRequestOptions,
): number {
  const request = () => describeAddress(op, a, o.ifname);
  const fam = family(request, a.family);
  const local = addr(request, "address", fam, a.address);
  let broadcast: Uint8Array | undefined;
  let label: Uint8Array | undefined;
  let flags = 0;
  let preferred: number | undefined;
  if (op === "new") {
    if (a.broadcast !== undefined) {
      if (fam !== 4) throw invalid(request(), "broadcast is IPv4 only");
      broadcast = addr(request, "broadcast", 4, a.broadcast);
    }
    if (a.nodad) flags |= K.IFA_F_NODAD;
    if (a.noprefixroute) flags |= K.IFA_F_NOPREFIXROUTE;
    if (a.preferredLft !== undefined) preferred = u32(request, "preferred_lft", a.preferredLft);
    if (a.label !== undefined && fam === 4) {
      ifname(request, "label", a.label);
      if (o.ifname !== undefined && !a.label.startsWith(o.ifname))
        throw invalid(request(), `label "${a.label}" must start with the interface name "${o.ifname}"`);
      label = te.encode(a.label);
    }
  }
  const address = a.peer !== undefined ? addr(request, "peer", fam, a.peer) : local;
  const prefixlen = prefix(request, fam, a.prefixLen);
  const scope = u8(request, "scope", a.scope, K.RT_SCOPE_UNIVERSE);
  const index = ifindex(request, a.ifindex);
  const ack = o.ack === false ? K.NLM_F_REQUEST : REQ_ACK;
  const nlFlags = op === "del" ? ack : ack | K.NLM_F_CREATE | (o.replace ? K.NLM_F_REPLACE : K.NLM_F_EXCL);
  const len =
    K.NLMSG_HDRLEN +
    IFADDRMSG.size +
    attrLen(local.length) +
    (broadcast ? attrLen(4) : 0) +
    (flags ? attrLen(4) : 0) +
    (preferred !== undefined ? attrLen(16) : 0) +
    (label ? attrLen(label.length + 1) : 0) +
    attrLen(address.length);
  // a reused buffer: padding, nlmsg_pid, ifa_flags and the label's NUL must be 0
  out.fill(0, off, off + len);
  view.setUint32(off, len, true);
  view.setUint16(off + 4, op === "new" ? K.RTM_NEWADDR : K.RTM_DELADDR, true);
  view.setUint16(off + 6, nlFlags, true);
  view.setUint32(off + 8, seq >>> 0, true);
  // nlmsg_pid 0; ifaddrmsg: family, prefixlen, flags 0 (IFA_FLAGS carries them), scope, index
  out[off + 16] = afOf(fam);
  out[off + 17] = prefixlen;
  out[off + 19] = scope;
  view.setUint32(off + 20, index, true);
  let at = off + K.NLMSG_HDRLEN + IFADDRMSG.size;
  at = putAttr(out, view, at, K.IFA_LOCAL, local, local.length);
  if (broadcast) at = putAttr(out, view, at, K.IFA_BROADCAST, broadcast, 4);
  if (flags) {
    view.setUint16(at, K.NLA_HDRLEN + 4, true);
    view.setUint16(at + 2, K.IFA_FLAGS, true);
    view.setUint32(at + K.NLA_HDRLEN, flags >>> 0, true);
    at += attrLen(4);
  }
  if (preferred !== undefined) {
    // struct ifa_cacheinfo: ifa_prefered, ifa_valid (forever), cstamp, tstamp (0: the kernel's)
    view.setUint16(at, K.NLA_HDRLEN + 16, true);
    view.setUint16(at + 2, K.IFA_CACHEINFO, true);
    view.setUint32(at + K.NLA_HDRLEN, preferred, true);
    view.setUint32(at + K.NLA_HDRLEN + 4, 0xffffffff, true);
    at += attrLen(16);
  }
  // a string attribute ends with its NUL (zeroed above)
  if (label) at = putAttr(out, view, at, K.IFA_LABEL, label, label.length + 1);
  at = putAttr(out, view, at, K.IFA_ADDRESS, address, address.length);
  return at - off;
}

const attrLen = (n: number): number => align4(K.NLA_HDRLEN + n);

/** One attribute at `at` (`size` may exceed the payload: a string's NUL); returns the next offset. */
function putAttr(out: Uint8Array, view: DataView, at: number, type: number, payload: Uint8Array, size: number): number {
  view.setUint16(at, K.NLA_HDRLEN + size, true);
  view.setUint16(at + 2, type, true);
  out.set(payload, at + K.NLA_HDRLEN);
  return at + attrLen(size);
}

/** RTM_GETADDR dump; family 0 = both. */
export function dumpAddressesRequest(fam: 0 | 4 | 6, seq: number): Uint8Array {
  return encodeMessage(
    { type: K.RTM_GETADDR, flags: K.NLM_F_REQUEST | K.NLM_F_DUMP, seq, pid: 0 },
    encodeStruct(IFADDRMSG, { family: fam === 0 ? K.AF_UNSPEC : afOf(fam) }),
  );
}

export function decodeAddress(m: NlMessage): Result<AddressInfo> {
  const h = decodeStruct(IFADDRMSG, m.payload);
  if (!h.ok) return h;
  const fam = h.value.family === K.AF_INET ? 4 : h.value.family === K.AF_INET6 ? 6 : undefined;
  if (fam === undefined) return fail("unsupported", `ifaddrmsg: address family ${h.value.family}`);
  const at = decodeAttrs(IFA, m.payload.subarray(IFADDRMSG.size));
  if (!at.ok) return at;
  const raw = (at.value.local ?? at.value.address) as Uint8Array | undefined;
  if (!raw) return fail("bad-message", "ifaddrmsg: no IFA_LOCAL or IFA_ADDRESS");
  const expected = fam === 4 ? 4 : 16;
  if (raw.length !== expected) return fail("bad-attribute", `ifaddrmsg: IPv${fam} address of ${raw.length} bytes`);
  const info: AddressInfo = {
    ifindex: h.value.index!,
    family: fam,
    address: formatAddress(raw)!,
    prefixLen: h.value.prefixlen!,
    scope: h.value.scope!,
    flags: typeof at.value.flags === "number" ? at.value.flags : h.value.flags!,
  };
  if (typeof at.value.label === "string") info.label = at.value.label;
  return ok(info);
}

// ---------------------------------------------------------------- routes

function familyOf(af: number | undefined): 4 | 6 | undefined {
  return af === K.AF_INET ? 4 : af === K.AF_INET6 ? 6 : undefined;
}

/** An RTM_NEWROUTE/RTM_DELROUTE notification (AF_INET/AF_INET6 only). */
export function decodeRoute(m: NlMessage): Result<RouteInfo> {
  const h = decodeStruct(RTMSG, m.payload);
  if (!h.ok) return h;
  const fam = familyOf(h.value.family);
  if (fam === undefined) return fail("unsupported", `rtmsg: address family ${h.value.family}`);
  const at = decodeAttrs(RTA, m.payload.subarray(RTMSG.size));
  if (!at.ok) return at;
  const a = at.value;
  const info: RouteInfo = {
    family: fam,
    prefixLen: h.value.dstLen!,
    table: typeof a.table === "number" ? a.table : h.value.table!,
    tos: h.value.tos!,
    protocol: h.value.protocol!,
    metric: typeof a.priority === "number" ? a.priority : 0,
  };
  if (a.dst instanceof Uint8Array) info.dst = formatAddress(a.dst);
  if (typeof a.oif === "number") info.oif = a.oif;
  return ok(info);
}

const ROUTE_TYPES = {
  unicast: K.RTN_UNICAST,
  local: K.RTN_LOCAL,
  blackhole: K.RTN_BLACKHOLE,
  unreachable: K.RTN_UNREACHABLE,
  prohibit: K.RTN_PROHIBIT,
} as const;

export function describeRoute(op: "new" | "del", r: RouteSpec, name?: string): string {
  const parts = [`RTM_${op === "new" ? "NEWROUTE" : "DELROUTE"}`];
  if (op === "new" && r.mode && r.mode !== "add") parts.push(r.mode);
  if (r.type && r.type !== "unicast") parts.push(r.type);
  parts.push(r.dst === undefined ? "default" : `${r.dst}/${r.prefixLen ?? hostLen(r.family)}`);
  if (r.via !== undefined) parts.push(`via ${r.via}`);
  if (r.ifindex !== undefined) parts.push(dev(r.ifindex, name));
  if (r.src !== undefined) parts.push(`src ${r.src}`);
  if (r.table !== undefined) parts.push(`table ${r.table}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  if (r.tos !== undefined) parts.push(`tos ${r.tos}`);
  if (r.realms !== undefined) parts.push(`realms ${r.realms >>> 16}/${r.realms & 0xffff}`);
  if (r.onlink) parts.push("onlink");
  if (r.encap) parts.push(describeEncap(r.encap));
  if (r.from !== undefined) parts.push(`from ${r.from}/${r.fromLen ?? hostLen(r.family)}`);
  if (r.pref !== undefined) parts.push(`pref ${r.pref}`);
  if (r.expires !== undefined) parts.push(`expires ${r.expires}`);
  if (r.ttlPropagate !== undefined) parts.push(`ttl-propagate ${r.ttlPropagate ? "enabled" : "disabled"}`);
  for (const [k, v] of Object.entries(r.metrics ?? {})) if (v !== undefined) parts.push(`${k} ${v}`);
  for (const n of r.nexthops ?? []) {
    parts.push("nexthop");
    if (n.via !== undefined) parts.push(`via ${n.via}`);
    if (n.ifindex !== undefined) parts.push(`dev #${n.ifindex}`);
    if (n.weight !== undefined) parts.push(`weight ${n.weight}`);
    if (n.encap) parts.push(describeEncap(n.encap));
  }
  return parts.join(" ");
}

/**
 * The order keepalived's netlink_route puts a route's metrics in RTA_METRICS; RTAX_LOCK
 * goes last, and only when some metric is sent (as keepalived and iproute2 do).
 */
const METRIC_ORDER = [
  "congctl",
  "rtt",
  "rttvar",
  "rtoMin",
  "features",
  "mtu",
  "window",
  "ssthresh",
  "cwnd",
  "advmss",
  "reordering",
  "hoplimit",
  "initcwnd",
  "initrwnd",
  "quickack",
  "fastopenNoCookie",
] as const;

function metricsAttr(request: string, m: RouteMetrics | undefined): [string, Uint8Array] | undefined {
  if (!m) return undefined;
  const list: [string, number | string][] = [];
  for (const k of METRIC_ORDER) {
    const v = m[k];
    // keepalived sends features only when non-zero (iproute2 only for `features ecn`)
    if (v === undefined || (k === "features" && v === 0)) continue;
    if (k === "congctl") {
      if (typeof v !== "string" || v === "" || v.length > 15) throw invalid(request, `congctl "${v}"`);
      list.push([k, v]);
    } else list.push([k, u32(request, k, v as number)]);
  }
  if (!list.length) return undefined;
  if (m.lock) list.push(["lock", u32(request, "lock", m.lock)]);
  return ["metrics", encodeAttrs(RTAX, list)];
}

/** nlmsg_flags of RTM_NEWROUTE by RouteSpec.mode (keepalived's netlink_route, iproute2's ip route add/prepend/append) */
const ROUTE_ADD_FLAGS = {
  add: CREATE_EXCL,
  prepend: REQ_ACK | K.NLM_F_CREATE,
  append: REQ_ACK | K.NLM_F_CREATE | K.NLM_F_APPEND,
} as const;

/**
 * RTM_NEWROUTE (flags by r.mode: NLM_F_CREATE with NLM_F_EXCL, nothing, or NLM_F_APPEND) /
 * RTM_DELROUTE, as keepalived's netlink_route:
 * tables >= 256 go in RTA_TABLE with rtm_table = RT_TABLE_UNSPEC. Attributes:
 * [RTA_TABLE], [RTA_DST], [RTA_SRC], [RTA_PREFSRC], [RTA_GATEWAY | RTA_VIA],
 * [RTA_ENCAP RTA_ENCAP_TYPE], [RTA_PRIORITY], [RTA_EXPIRES], [RTA_PREF], [RTA_TTL_PROPAGATE],
 * [RTA_OIF], [RTA_FLOW], [RTA_METRICS], [RTA_MULTIPATH] (encap and next hops: lwtunnel.ts;
 * keepalived appends RTA_METRICS then RTA_MULTIPATH last too; it puts RTA_OIF before
 * RTA_PRIORITY, iproute2 after every other single attribute: the kernel reads them by type),
 * `onlink` in rtm_flags.
 */
export function routeRequest(op: "new" | "del", r: RouteSpec, seq: number, o: { ifname?: string } = {}): Uint8Array {
  const request = describeRoute(op, r, o.ifname);
  const fam = family(request, r.family);
  const attrs: [string, Uint8Array | number][] = [];
  const table = u32(request, "table", r.table ?? K.RT_TABLE_MAIN);
  if (table >= 256) attrs.push(["table", table]);
  let dstLen = 0;
  if (r.dst !== undefined) {
    attrs.push(["dst", addr(request, "destination", fam, r.dst)]);
    dstLen = prefix(request, fam, r.prefixLen);
  } else if (r.prefixLen !== undefined && r.prefixLen !== 0) {
    throw invalid(request, "a prefix length without a destination");
  }
  let srcLen = 0;
  if (r.from !== undefined) {
    attrs.push(["src", addr(request, "from", fam, r.from)]);
    srcLen = prefix(request, fam, r.fromLen);
  }
  if (r.src !== undefined) attrs.push(["prefsrc", addr(request, "src", fam, r.src)]);
  if (r.via !== undefined) {
    const same = parseAddress(fam, r.via);
    if (same) attrs.push(["gateway", same]);
    else {
      // a gateway of the other family (IPv4 route via an IPv6 next hop): RTA_VIA, struct rtvia
      const other: 4 | 6 = fam === 4 ? 6 : 4;
      const b = addr(request, "via", other, r.via);
      const via = new Uint8Array(2 + b.length);
      new DataView(via.buffer).setUint16(0, afOf(other), true);
      via.set(b, 2);
      attrs.push(["via", via]);
    }
  }
  if (r.encap) attrs.push(...encapAttrs(request, r.encap));
  if (r.metric !== undefined) attrs.push(["priority", u32(request, "metric", r.metric)]);
  if (r.expires !== undefined) attrs.push(["expires", u32(request, "expires", r.expires)]);
  if (r.pref !== undefined) attrs.push(["pref", u8(request, "pref", r.pref, 0)]);
  if (r.ttlPropagate !== undefined) attrs.push(["ttlPropagate", r.ttlPropagate ? 1 : 0]);
  if (r.ifindex !== undefined) attrs.push(["oif", ifindex(request, r.ifindex)]);
  if (r.realms !== undefined) attrs.push(["flow", u32(request, "realms", r.realms)]);
  const metrics = metricsAttr(request, r.metrics);
  if (metrics) attrs.push(metrics);
  if (r.nexthops?.length) attrs.push(["multipath", multipathPayload(request, fam, r.nexthops)]);
  if (r.type !== undefined && !(r.type in ROUTE_TYPES)) throw invalid(request, `route type "${r.type}"`);
  if (r.mode !== undefined && !(r.mode in ROUTE_ADD_FLAGS)) throw invalid(request, `route mode "${r.mode}"`);
  const type = r.type !== undefined ? ROUTE_TYPES[r.type] : op === "new" ? K.RTN_UNICAST : K.RTN_UNSPEC;
  const hdr = encodeStruct(RTMSG, {
    family: afOf(fam),
    dstLen,
    srcLen,
    table: table >= 256 ? K.RT_TABLE_UNSPEC : table,
    protocol: u8(request, "protocol", r.protocol, K.RTPROT_KEEPALIVED),
    scope: u8(request, "scope", r.scope, op === "new" ? K.RT_SCOPE_UNIVERSE : K.RT_SCOPE_NOWHERE),
    tos: u8(request, "tos", r.tos, 0),
    type,
    flags: r.onlink ? K.RTNH_F_ONLINK : 0,
  });
  return encodeMessage(
    {
      type: op === "new" ? K.RTM_NEWROUTE : K.RTM_DELROUTE,
      flags: op === "new" ? ROUTE_ADD_FLAGS[r.mode ?? "add"] : REQ_ACK,
      seq,
      pid: 0,
    },
    hdr,
    encodeAttrs(RTA, attrs),
  );
}

// ---------------------------------------------------------------- rules

export function describeRule(op: "new" | "del", r: RuleSpec): string {
  const parts = [`RTM_${op === "new" ? "NEWRULE" : "DELRULE"}`];
  if (r.invert) parts.push("not");
  if (r.from !== undefined) parts.push(`from ${r.from}/${r.fromLen ?? hostLen(r.family)}`);
  if (r.to !== undefined) parts.push(`to ${r.to}/${r.toLen ?? hostLen(r.family)}`);
  if (r.tos !== undefined) parts.push(`tos ${r.tos}`);
  if (r.fwmark !== undefined) parts.push(`fwmark ${r.fwmark}${r.fwmask !== undefined ? `/${r.fwmask}` : ""}`);
  if (r.iif !== undefined) parts.push(`iif ${r.iif}`);
  if (r.oif !== undefined) parts.push(`oif ${r.oif}`);
  parts.push(`table ${r.table}`);
  if (r.priority !== undefined) parts.push(`priority ${r.priority}`);
  if (r.realms !== undefined) parts.push(`realms ${r.realms >>> 16}/${r.realms & 0xffff}`);
  return parts.join(" ");
}

/**
 * RTM_NEWRULE (NLM_F_CREATE|NLM_F_EXCL) / RTM_DELRULE, as keepalived's netlink_rule for a
 * "table" rule: action FR_ACT_TO_TBL, table 0 means main, tables >= 256 in FRA_TABLE.
 * Attributes: [FRA_TABLE], [FRA_SRC], [FRA_DST], [FRA_PRIORITY], [FRA_FWMARK],
 * [FRA_FWMASK], [FRA_IIFNAME], [FRA_OIFNAME], [FRA_FLOW], [FRA_PROTOCOL].
 */
export function ruleRequest(op: "new" | "del", r: RuleSpec, seq: number): Uint8Array {
  const request = describeRule(op, r);
  const fam = family(request, r.family);
  const attrs: [string, Uint8Array | number | string][] = [];
  const table = u32(request, "table", r.table === 0 ? K.RT_TABLE_MAIN : r.table);
  if (table >= 256) attrs.push(["table", table]);
  let srcLen = 0;
  let dstLen = 0;
  if (r.from !== undefined) {
    attrs.push(["src", addr(request, "from", fam, r.from)]);
    srcLen = prefix(request, fam, r.fromLen);
  }
  if (r.to !== undefined) {
    attrs.push(["dst", addr(request, "to", fam, r.to)]);
    dstLen = prefix(request, fam, r.toLen);
  }
  if (r.priority !== undefined) attrs.push(["priority", u32(request, "priority", r.priority)]);
  if (r.fwmark !== undefined) attrs.push(["fwmark", u32(request, "fwmark", r.fwmark)]);
  if (r.fwmask !== undefined) attrs.push(["fwmask", u32(request, "fwmask", r.fwmask)]);
  if (r.iif !== undefined) attrs.push(["iifname", ifname(request, "iif", r.iif)]);
  if (r.oif !== undefined) attrs.push(["oifname", ifname(request, "oif", r.oif)]);
  if (r.realms !== undefined) attrs.push(["flow", u32(request, "realms", r.realms)]);
  if (r.protocol !== undefined) attrs.push(["protocol", u8(request, "protocol", r.protocol, 0)]);
  const hdr = encodeStruct(FIB_RULE_HDR, {
    family: afOf(fam),
    dstLen,
    srcLen,
    tos: u8(request, "tos", r.tos, 0),
    table: table >= 256 ? K.RT_TABLE_UNSPEC : table,
    action: K.FR_ACT_TO_TBL,
    flags: r.invert ? K.FIB_RULE_INVERT : 0,
  });
  return encodeMessage(
    { type: op === "new" ? K.RTM_NEWRULE : K.RTM_DELRULE, flags: op === "new" ? CREATE_EXCL : REQ_ACK, seq, pid: 0 },
    hdr,
    encodeAttrs(FRA, attrs),
  );
}

/** An RTM_NEWRULE/RTM_DELRULE notification (AF_INET/AF_INET6 only). */
export function decodeRule(m: NlMessage): Result<RuleInfo> {
  const h = decodeStruct(FIB_RULE_HDR, m.payload);
  if (!h.ok) return h;
  const fam = familyOf(h.value.family);
  if (fam === undefined) return fail("unsupported", `fib_rule_hdr: address family ${h.value.family}`);
  const at = decodeAttrs(FRA, m.payload.subarray(FIB_RULE_HDR.size));
  if (!at.ok) return at;
  const a = at.value;
  const info: RuleInfo = {
    family: fam,
    fromLen: h.value.srcLen!,
    toLen: h.value.dstLen!,
    table: typeof a.table === "number" ? a.table : h.value.table!,
    tos: h.value.tos!,
    action: h.value.action!,
    invert: (h.value.flags! & K.FIB_RULE_INVERT) !== 0,
  };
  if (a.src instanceof Uint8Array) info.from = formatAddress(a.src);
  if (a.dst instanceof Uint8Array) info.to = formatAddress(a.dst);
  if (typeof a.priority === "number") info.priority = a.priority;
  if (typeof a.fwmark === "number") info.fwmark = a.fwmark;
  if (typeof a.fwmask === "number") info.fwmask = a.fwmask;
  if (typeof a.iifname === "string") info.iif = a.iifname;
  if (typeof a.oifname === "string") info.oif = a.oifname;
  if (typeof a.flow === "number") info.realms = a.flow;
  if (typeof a.protocol === "number") info.protocol = a.protocol;
  return ok(info);
}

// ---------------------------------------------------------------- links

const MACVLAN_MODES = {
  private: K.MACVLAN_MODE_PRIVATE,
  vepa: K.MACVLAN_MODE_VEPA,
  bridge: K.MACVLAN_MODE_BRIDGE,
  passthru: K.MACVLAN_MODE_PASSTHRU,
} as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;
export interface MacvlanSpec {
  name: string;
  link: number;
  mac: Uint8Array;
  mode?: MacvlanMode;
  /** IFLA_MASTER: the VRF the base interface is enslaved to (keepalived netlink_link_add_vmac) */
  master?: number;
  /**
   * ifi_index: the ifindex it gets (one just freed). keepalived 2.2.7 netlink_link_add_vmac
   * sends the deleted leftover's, left in its request, so a replaced VMAC keeps its ifindex.
   */
  index?: number;
}

export function describeMacvlan(o: MacvlanSpec): string {
  const master = o.master === undefined ? "" : ` master #${o.master}`;
  return `RTM_NEWLINK ${o.name} type macvlan mode ${o.mode ?? "private"} link #${o.link} address ${formatMac(o.mac)}${master}`;
}

/**
 * RTM_NEWLINK NLM_F_CREATE|NLM_F_EXCL for a macvlan, as keepalived's VMAC: ifi_flags 0
 * (created down), IFLA_ADDRESS, IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO { IFLA_INFO_KIND
 * "macvlan", IFLA_INFO_DATA { IFLA_MACVLAN_MODE } } (iproute2's order and encoding).
 */
export function macvlanRequest(o: MacvlanSpec, seq: number): Uint8Array {
  const request = describeMacvlan(o);
  ifname(request, "name", o.name);
  if (!(o.mac instanceof Uint8Array) || o.mac.length !== 6) throw invalid(request, "the MAC address must be 6 bytes");
  const mode = MACVLAN_MODES[o.mode ?? "private"];
  if (mode === undefined) throw invalid(request, `macvlan mode "${o.mode}"`);
  const data = encodeAttrs(IFLA_MACVLAN, [["mode", mode]]);
  const attrs: AttrList = [
    ["address", o.mac],
    ["link", ifindex(request, o.link)],
    ["ifname", o.name],
    [
      "linkinfo",
      [
        ["kind", "macvlan"],
        ["data", data],
      ],
    ],
  ];
  return encodeMessage(
    { type: K.RTM_NEWLINK, flags: CREATE_EXCL, seq, pid: 0 },
    encodeStruct(IFINFOMSG, o.index === undefined ? {} : { index: ifindex(request, o.index) }),
    encodeAttrs(IFLA, o.master === undefined ? attrs : [...attrs, ["master", ifindex(request, o.master)]]),
  );
}

/**
 * RTM_NEWLINK on an existing macvlan (no NLM_F_CREATE): keepalived 2.2.7
 * netlink_link_add_vmac's update of a leftover VMAC with the wrong MAC or mode, in its
 * order: IFLA_LINKINFO { "macvlan", { IFLA_MACVLAN_MODE private } }, IFLA_ADDRESS,
 * IFLA_MASTER (the base's VRF, else 0: out of any).
 */
export function macvlanUpdateRequest(o: { index: number; mac: Uint8Array; master?: number }, seq: number): Uint8Array {
  const request = `RTM_NEWLINK #${o.index} type macvlan mode private address ${formatMac(o.mac)}`;
  if (!(o.mac instanceof Uint8Array) || o.mac.length !== 6) throw invalid(request, "the MAC address must be 6 bytes");
  const data = encodeAttrs(IFLA_MACVLAN, [["mode", K.MACVLAN_MODE_PRIVATE]]);
  const attrs: AttrList = [
    [
      "linkinfo",
      [
        ["kind", "macvlan"],
        ["data", data],
      ],
    ],
    ["address", o.mac],
    ["master", o.master ?? 0],
  ];
  return encodeMessage(
    { type: K.RTM_NEWLINK, flags: REQ_ACK, seq, pid: 0 },
    encodeStruct(IFINFOMSG, { index: ifindex(request, o.index) }),
    encodeAttrs(IFLA, attrs),
  );
}

const IPVLAN_FLAGS = { bridge: 0, private: K.IPVLAN_F_PRIVATE, vepa: K.IPVLAN_F_VEPA } as const;
export type IpvlanFlags = keyof typeof IPVLAN_FLAGS;
export interface IpvlanSpec {
  name: string;
  link: number;
  /** use_ipvlan's type: bridge (default), private or vepa */
  flags?: IpvlanFlags;
  /** IFLA_MASTER: the VRF the base interface is enslaved to */
  master?: number;
}

export function describeIpvlan(o: IpvlanSpec): string {
  const master = o.master === undefined ? "" : ` master #${o.master}`;
  return `RTM_NEWLINK ${o.name} type ipvlan mode l2 ${o.flags ?? "bridge"} link #${o.link}${master} up`;
}

/**
 * RTM_NEWLINK NLM_F_CREATE|NLM_F_EXCL for an ipvlan, as keepalived 2.2.7's
 * netlink_link_add_ipvlan lays it out: ifi_flags/ifi_change IFF_UP (created up),
 * IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO { IFLA_INFO_KIND "ipvlan", IFLA_INFO_DATA
 * { IFLA_IPVLAN_MODE u16 L2, IFLA_IPVLAN_FLAGS u16 } }, IFLA_MASTER when in a VRF.
 */
export function ipvlanRequest(o: IpvlanSpec, seq: number): Uint8Array {
  const request = describeIpvlan(o);
  ifname(request, "name", o.name);
  const flags = IPVLAN_FLAGS[o.flags ?? "bridge"];
  if (flags === undefined) throw invalid(request, `ipvlan type "${o.flags}"`);
  const data = encodeAttrs(IFLA_IPVLAN, [
    ["mode", K.IPVLAN_MODE_L2],
    ["flags", flags],
  ]);
  const attrs: AttrList = [
    ["link", ifindex(request, o.link)],
    ["ifname", o.name],
    [
      "linkinfo",
      [
        ["kind", "ipvlan"],
        ["data", data],
      ],
    ],
  ];
  return encodeMessage(
    { type: K.RTM_NEWLINK, flags: CREATE_EXCL, seq, pid: 0 },
    encodeStruct(IFINFOMSG, { flags: K.IFF_UP, change: K.IFF_UP }),
    encodeAttrs(IFLA, o.master === undefined ? attrs : [...attrs, ["master", ifindex(request, o.master)]]),
  );
}

export function deleteLinkRequest(index: number, seq: number): Uint8Array {
  const i = ifindex(`RTM_DELLINK #${index}`, index);
  return encodeMessage({ type: K.RTM_DELLINK, flags: REQ_ACK, seq, pid: 0 }, encodeStruct(IFINFOMSG, { index: i }));
}

/** RTM_NEWLINK with ifi_change = IFF_UP (what `ip link set DEV up|down` sends). */
export function setLinkUpRequest(index: number, up: boolean, seq: number): Uint8Array {
  const i = ifindex(`RTM_NEWLINK #${index} ${up ? "up" : "down"}`, index);
  return encodeMessage(
    { type: K.RTM_NEWLINK, flags: REQ_ACK, seq, pid: 0 },
    encodeStruct(IFINFOMSG, { index: i, flags: up ? K.IFF_UP : 0, change: K.IFF_UP }),
  );
}

export function dumpLinksRequest(seq: number): Uint8Array {
  return encodeMessage(
    { type: K.RTM_GETLINK, flags: K.NLM_F_REQUEST | K.NLM_F_DUMP, seq, pid: 0 },
    encodeStruct(IFINFOMSG, {}),
  );
}

export function decodeLink(m: NlMessage): Result<LinkInfo> {
  const h = decodeStruct(IFINFOMSG, m.payload);
  if (!h.ok) return h;
  const at = decodeAttrs(IFLA, m.payload.subarray(IFINFOMSG.size));
  if (!at.ok) return at;
  const a = at.value;
  const flags = h.value.flags!;
  const link: LinkInfo = {
    ifindex: h.value.index!,
    name: typeof a.ifname === "string" ? a.ifname : "",
    flags,
    up: (flags & K.IFF_UP) !== 0,
    running: (flags & K.IFF_RUNNING) !== 0,
    lowerUp: (flags & K.IFF_LOWER_UP) !== 0,
  };
  if (a.address instanceof Uint8Array) link.mac = a.address;
  if (typeof a.mtu === "number") link.mtu = a.mtu;
  if (typeof a.link === "number") link.link = a.link;
  if (typeof a.master === "number") link.master = a.master;
  if (typeof a.operstate === "number") link.operstate = a.operstate;
  const info = a.linkinfo as Record<string, unknown> | undefined;
  if (info && typeof info.kind === "string") link.kind = info.kind;
  // keepalived matches a leftover VMAC by its mode (vrrp.c vrrp_complete_instance: private)
  if (info?.kind === "macvlan" && info.data instanceof Uint8Array) {
    const d = decodeAttrs(IFLA_MACVLAN, info.data);
    if (d.ok && typeof d.value.mode === "number") link.macvlanMode = d.value.mode;
  }
  return ok(link);
}

/** IFLA_MACVLAN_MODE from a link message, when it is a macvlan (for tests and diagnostics). */
export function macvlanModeOf(m: NlMessage): Result<number | undefined> {
  const at = decodeAttrs(IFLA, m.payload.subarray(IFINFOMSG.size));
  if (!at.ok) return at;
  const info = at.value.linkinfo as Record<string, unknown> | undefined;
  if (info?.kind !== "macvlan" || !(info.data instanceof Uint8Array)) return ok(undefined);
  const d = decodeAttrs(IFLA_MACVLAN, info.data);
  if (!d.ok) return d;
  return ok(typeof d.value.mode === "number" ? d.value.mode : undefined);
}
