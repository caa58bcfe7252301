/**
 * Lines of virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress,
 * virtual_routes / static_routes and virtual_rules / static_rules.
 *
 * The grammar is `ip address/route/rule add`'s (keepalived vrrp_ipaddress.c alloc_ipaddress,
 * vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule). keepalived drops a whole line on
 * most mistakes; so do we, after a diagnostic at the offending word. Names that come from
 * /etc/iproute2 (tables, scopes, protocols, realms, dsfields, groups) are host files, so a
 * name is kept as written and only its shape is checked; numbers are range checked.
 */
import { isIP } from "node:net";
import { didYouMean as didYouMeanImpl } from "../diagnostics";
import type { Ctx } from "../schema";
import type { Token } from "../tree";

export type Family = 4 | 6;

export interface VirtualAddress {
  /** the address without prefix */
  address: string;
  /** prefix length; default 32 (IPv4) / 128 (IPv6) */
  prefix: number;
  family: Family;
  /** broadcast address, or "+"/"-" to set/clear the host bits (IPv4 only) */
  broadcast?: string;
  dev?: string;
  /** scope name or number (IPv4 only) */
  scope?: string;
  /** IPv4 only; must start with the interface name */
  label?: string;
  peer?: string;
  home?: boolean;
  noDad?: boolean;
  mngtmpaddr?: boolean;
  noPrefixRoute?: boolean;
  autojoin?: boolean;
  /** keepalived extension: deleting the address does not take the instance out of MASTER */
  noTrack?: boolean;
  /** seconds, or "forever"; IPv6 default 0 for a /128, else forever */
  preferredLft?: number | "forever";
  /** static_ipaddress only */
  trackGroup?: string;
  /** virtual_ipaddress only: put the address on a VMAC of its dev */
  useVmac?: boolean;
}

export type RouteType =
  | "unicast"
  | "local"
  | "broadcast"
  | "anycast"
  | "multicast"
  | "blackhole"
  | "unreachable"
  | "prohibit"
  | "throw"
  | "nat"
  | "xresolve";
export const ROUTE_TYPES: readonly RouteType[] = ["unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"];

export interface Encap {
  type: "ip" | "ip6" | "mpls" | "ila";
  id?: string;
  dst?: string;
  src?: string;
  /** tos (ip) or tc (ip6) */
  tos?: string;
  /** ttl (ip) or hoplimit (ip6) */
  ttl?: number;
  flags?: number;
  /** mpls label stack, e.g. 100/200 */
  labels?: string;
  /** ila locator */
  locator?: string;
}

export interface Nexthop {
  via?: string;
  dev?: string;
  /** 1..256 */
  weight?: number;
  onlink?: boolean;
  realms?: string;
  encap?: Encap;
}

/** Route metrics that take `lock` (ip route's RTAX_* locks). */
export type LockableMetric = "mtu" | "advmss" | "rtt" | "rttvar" | "reordering" | "cwnd" | "ssthresh" | "rtoMin" | "congctl";

export interface Route {
  family: Family;
  /** destination ADDR[/PREFIX] or "default" */
  dst: string;
  type?: RouteType;
  /** preferred source address (`src`) */
  src?: string;
  /** source prefix (`from`, IPv6 only) */
  from?: string;
  via?: string;
  dev?: string;
  /** table number or name; default main */
  table?: number | string;
  metric?: number;
  scope?: string;
  protocol?: string;
  tos?: string;
  onlink?: boolean;
  realms?: string;
  mtu?: number;
  advmss?: number;
  /** as written, with optional unit (s, ms, us...) */
  rtt?: string;
  rttvar?: string;
  rtoMin?: string;
  reordering?: number;
  window?: number;
  cwnd?: number;
  ssthresh?: number;
  initcwnd?: number;
  initrwnd?: number;
  hoplimit?: number;
  locked?: LockableMetric[];
  features?: "ecn";
  quickack?: boolean;
  congctl?: string;
  /** IPv6 router preference */
  pref?: string;
  ttlPropagate?: boolean;
  fastopenNoCookie?: boolean;
  /** seconds, IPv6 only */
  expires?: number;
  encap?: Encap;
  /** multipath: `nexthop ...` groups (and the deprecated `via A or B`) */
  nexthops?: Nexthop[];
  /** how the route is added; default prepend (the kernel's default) */
  mode?: "add" | "append" | "prepend";
  vrf?: string;
  noTrack?: boolean;
  trackGroup?: string;
}

export type RuleAction = "table" | "goto" | "nop" | "blackhole" | "unreachable" | "prohibit";

export interface PortRange {
  start: number;
  end: number;
}

export interface Rule {
  family: Family;
  from?: string;
  to?: string;
  not?: boolean;
  action: RuleAction;
  table?: number | string;
  l3mdev?: boolean;
  goto?: number;
  /** preference; keepalived assigns one (with a warning) when absent */
  priority?: number;
  tos?: string;
  fwmark?: number;
  fwmask?: number;
  realms?: string;
  suppressPrefixlength?: number;
  suppressIfgroup?: string;
  iif?: string;
  oif?: string;
  /** decimal string (64-bit) */
  tunnelId?: string;
  uidrange?: PortRange;
  protocol?: number;
  ipproto?: string;
  sport?: PortRange;
  dport?: PortRange;
  noTrack?: boolean;
  trackGroup?: string;
}

// ---------------------------------------------------------------------------
// helpers

const NAME_RE = /^[A-Za-z_][\w.-]*$/;

/** A cursor over one line's tokens. `need()` reports a missing value at the option word. */
class Line {
  i = 0;
  constructor(
    readonly c: Ctx,
    readonly t: Token[],
    readonly what: string,
  ) {}
  get done(): boolean {
    return this.i >= this.t.length;
  }
  peek(): Token | undefined {
    return this.t[this.i];
  }
  next(): Token | undefined {
    return this.t[this.i++];
  }
  need(opt: Token): Token | undefined {
    const v = this.t[this.i++];
    if (!v) this.c.error(opt, "missing-argument", `${this.what}: '${opt.text}' needs a value`);
    return v;
  }
}

function familyOf(addr: string): Family {
  // keepalived decides by the presence of ':' (parse_ipaddress)
  return addr.includes(":") ? 6 : 4;
}

/** ADDR[/PREFIX]: returns address, prefix and family, or reports at the token. */
export function parsePrefixed(c: Ctx, t: Token, allowPrefix: boolean, what: string): { address: string; prefix: number; family: Family; hadPrefix: boolean } | undefined {
  const slash = t.text.indexOf("/");
  const addr = slash >= 0 ? t.text.slice(0, slash) : t.text;
  const family = familyOf(addr);
  if (isIP(addr) !== family) {
    c.error(t, "bad-address", `${what}: '${t.text}' is not an IP${allowPrefix ? "[/prefix]" : ""} address`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { address: addr, prefix: max, family, hadPrefix: false };
  if (!allowPrefix) {
    c.error(t, "bad-address", `${what}: '${t.text}' must not have a prefix length`);
    return undefined;
  }
  const p = t.text.slice(slash + 1);
  if (!/^\d+$/.test(p) || Number(p) > max) {
    c.error(t, "bad-prefix", `${what}: prefix length '${p}' must be 0..${max}`);
    return undefined;
  }
  return { address: addr, prefix: Number(p), family, hadPrefix: true };
}

function plainIp(c: Ctx, t: Token | undefined, what: string, family?: Family): string | undefined {
  if (!t) return undefined;
  const f = isIP(t.text);
  if (f === 0) {
    c.error(t, "bad-address", `${what}: '${t.text}' is not an IP address`);
    return undefined;
  }
  if (family && f !== family) {
    c.error(t, "family-mismatch", `${what}: '${t.text}' is not IPv${family} like the rest of the line`);
    return undefined;
  }
  return t.text;
}

function uint(c: Ctx, t: Token | undefined, max: number, what: string, min = 0): number | undefined {
  if (!t) return undefined;
  // ip(8) accepts hex and octal as well (get_u32 uses strtoul base 0)
  const s = t.text;
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(s)) v = Number.parseInt(s, 16);
  else if (/^\d+$/.test(s)) v = Number(s);
  else {
    c.error(t, "bad-number", `${what}: '${s}' is not a number`);
    return undefined;
  }
  if (v < min || v > max) {
    c.error(t, "out-of-range", `${what} ${s} is out of range [${min}, ${max}]`);
    return undefined;
  }
  return v;
}

/** A number or a name from an /etc/iproute2 file (rt_tables, rt_scopes, ...). */
function nameOrNumber(c: Ctx, t: Token | undefined, max: number, what: string): string | undefined {
  if (!t) return undefined;
  if (/^(\d+|0x[0-9a-f]+)$/i.test(t.text)) return uint(c, t, max, what) === undefined ? undefined : t.text;
  if (!NAME_RE.test(t.text)) {
    c.error(t, "bad-value", `${what}: '${t.text}' is neither a number nor a name`);
    return undefined;
  }
  return t.text;
}

function table(c: Ctx, t: Token | undefined, what: string): number | string | undefined {
  const v = nameOrNumber(c, t, 0xffffffff, what);
  if (v === undefined) return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** realms FROM/TO or TO (names or numbers). */
function realms(c: Ctx, t: Token | undefined, what: string): string | undefined {
  if (!t) return undefined;
  const parts = t.text.split("/");
  if (parts.length > 2 || parts.some((p) => !(/^(\d+|0x[0-9a-f]+)$/i.test(p) || NAME_RE.test(p)))) {
    c.error(t, "bad-value", `${what}: invalid realms '${t.text}'`);
    return undefined;
  }
  return t.text;
}

function timeValue(c: Ctx, t: Token | undefined, what: string): string | undefined {
  if (!t) return undefined;
  if (!/^\d+(\.\d+)?(s|sec|secs|ms|msec|msecs|us|usec|usecs|ns|nsec|nsecs)?$/.test(t.text)) {
    c.error(t, "bad-number", `${what}: '${t.text}' is not a time (e.g. 10ms)`);
    return undefined;
  }
  return t.text;
}

// ---------------------------------------------------------------------------
// addresses

export interface AddressContext {
  /** static_ipaddress allows track_group */
  isStatic: boolean;
  /** virtual_ipaddress allows use_vmac */
  allowUseVmac: boolean;
  what: string;
}

export function parseAddressLine(c: Ctx, tokens: Token[], ctx: AddressContext): VirtualAddress | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const p = parsePrefixed(c, first, true, ctx.what);
  if (!p) return undefined;
  const a: VirtualAddress = { address: p.address, prefix: p.prefix, family: p.family };
  const l = new Line(c, tokens, ctx.what);
  l.i = 1;
  let ok = true;
  while (!l.done) {
    const opt = l.next() as Token;
    const w = opt.text;
    switch (w) {
      case "dev": {
        const v = l.need(opt);
        if (!v) return undefined;
        if (a.dev !== undefined) {
          c.error(opt, "duplicate-option", `${ctx.what}: dev given more than once for ${first.text}`);
          return undefined;
        }
        a.dev = v.text;
        break;
      }
      case "scope": {
        const v = nameOrNumber(c, l.need(opt), 255, "scope");
        if (v === undefined) ok = false;
        else a.scope = v;
        break;
      }
      case "brd":
      case "broadcast": {
        const v = l.need(opt);
        if (!v) return undefined;
        if (a.family === 6) {
          c.error(opt, "family-mismatch", `${ctx.what}: an IPv6 address (${first.text}) cannot have a broadcast address`);
          return undefined;
        }
        if (v.text !== "+" && v.text !== "-" && !plainIp(c, v, "broadcast", 4)) return undefined;
        a.broadcast = v.text;
        break;
      }
      case "label": {
        const v = l.need(opt);
        if (!v) return undefined;
        if (v.text.length >= 16) {
          c.error(v, "bad-value", `${ctx.what}: label '${v.text}' is longer than 15 characters`);
          return undefined;
        }
        a.label = v.text;
        break;
      }
      case "peer": {
        const v = l.need(opt);
        if (!v) return undefined;
        if (a.peer !== undefined) {
          c.error(v, "duplicate-option", `${ctx.what}: another peer has already been given`);
          break;
        }
        const peer = plainIp(c, v, "peer", a.family);
        if (peer) {
          if (p.hadPrefix && p.prefix !== (a.family === 4 ? 32 : 128)) c.warning(first, "peer-with-prefix", `${ctx.what}: a prefix length cannot be given together with a peer address; it is ignored`);
          a.peer = peer;
        }
        break;
      }
      case "home":
        a.home = true;
        break;
      case "-nodad":
        a.noDad = true;
        break;
      case "mngtmpaddr":
        a.mngtmpaddr = true;
        break;
      case "noprefixroute":
        a.noPrefixRoute = true;
        break;
      case "autojoin":
        a.autojoin = true;
        break;
      case "no_track":
        a.noTrack = true;
        break;
      case "preferred_lft": {
        const v = l.need(opt);
        if (!v) return undefined;
        if (v.text === "forever") a.preferredLft = "forever";
        else {
          const n = uint(c, v, 0xffffffff, "preferred_lft");
          if (n === undefined) ok = false;
          else a.preferredLft = n;
        }
        break;
      }
      case "track_group":
        if (!ctx.isStatic) {
          c.error(opt, "bad-option", `${ctx.what}: track_group is only for static addresses`);
          return undefined;
        }
        {
          const v = l.need(opt);
          if (!v) return undefined;
          a.trackGroup = v.text;
        }
        break;
      case "use_vmac":
        if (!ctx.allowUseVmac) {
          c.error(opt, "bad-option", `${ctx.what}: use_vmac is only for virtual addresses`);
          ok = false;
        } else a.useVmac = true;
        break;
      default: {
        // keepalived skips just the word; the words after it would only give more noise
        const guess = didYouMeanImpl(w, ADDRESS_WORDS);
        c.error(opt, "bad-option", `${ctx.what}: unknown address option '${w}'${guess ? `; did you mean '${guess}'?` : ""}`);
        return undefined;
      }
    }
  }
  if (a.broadcast && a.peer) {
    c.warning(first, "broadcast-with-peer", `${ctx.what}: broadcast and peer cannot both be given; the broadcast address is ignored`);
  }
  if (a.family === 6 && a.scope !== undefined) c.warning(first, "ipv6-scope", `${ctx.what}: a scope cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`);
  if (a.family === 6 && a.label !== undefined) c.warning(first, "ipv6-label", `${ctx.what}: a label cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`);
  if (ctx.isStatic && a.trackGroup && !a.dev) c.error(first, "track-group-needs-dev", `${ctx.what}: track_group needs a dev on ${first.text}`);
  return ok ? c.origin(a, first) : undefined;
}

const ADDRESS_WORDS = ["dev", "scope", "brd", "broadcast", "label", "peer", "home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track", "preferred_lft", "track_group", "use_vmac"];

/**
 * One address line; undefined without the address (a hand-written model may leave out
 * anything). A prefix left out is not written: the parser's default is the host prefix.
 */
export function emitAddress(a: VirtualAddress): string | undefined {
  if (a.address === undefined) return undefined;
  const out = [a.prefix !== undefined ? `${a.address}/${a.prefix}` : a.address];
  if (a.broadcast !== undefined) out.push("brd", a.broadcast);
  if (a.dev !== undefined) out.push("dev", a.dev);
  if (a.useVmac) out.push("use_vmac");
  if (a.scope !== undefined) out.push("scope", a.scope);
  if (a.label !== undefined) out.push("label", a.label);
  if (a.peer !== undefined) out.push("peer", a.peer);
  if (a.home) out.push("home");
  if (a.noDad) out.push("-nodad");
  if (a.mngtmpaddr) out.push("mngtmpaddr");
  if (a.noPrefixRoute) out.push("noprefixroute");
  if (a.autojoin) out.push("autojoin");
  if (a.noTrack) out.push("no_track");
  if (a.preferredLft !== undefined) out.push("preferred_lft", String(a.preferredLft));
  if (a.trackGroup !== undefined) out.push("track_group", a.trackGroup);
  return out.join(" ");
}

// ---------------------------------------------------------------------------
// routes

const LOCKABLE: Record<string, LockableMetric> = {
  mtu: "mtu",
  advmss: "advmss",
  rtt: "rtt",
  rttvar: "rttvar",
  reordering: "reordering",
  cwnd: "cwnd",
  ssthresh: "ssthresh",
  rto_min: "rtoMin",
  congctl: "congctl",
};

/** A route destination/`from`: ADDR[/PREFIX] or default/any/all. */
function routeDst(c: Ctx, t: Token, what: string): { text: string; family?: Family } | undefined {
  if (t.text === "default" || t.text === "any" || t.text === "all") return { text: "default" };
  if (t.text === "default6") {
    c.warning(t, "deprecated", `'default6' is deprecated; write 'inet6 default'`);
    return { text: "default", family: 6 };
  }
  const p = parsePrefixed(c, t, true, what);
  if (!p) return undefined;
  return { text: p.hadPrefix ? `${p.address}/${p.prefix}` : p.address, family: p.family };
}

function parseEncap(c: Ctx, l: Line, opt: Token): Encap | undefined {
  const typeTok = l.need(opt);
  if (!typeTok) return undefined;
  const type = c.oneOfToken(typeTok, ["ip", "ip6", "mpls", "ila"] as const, "encap type");
  if (!type) return undefined;
  const e: Encap = { type };
  if (type === "mpls" || type === "ila") {
    const v = l.need(typeTok);
    if (!v) return undefined;
    if (type === "mpls") {
      if (!/^\d+(\/\d+)*$/.test(v.text)) {
        c.error(v, "bad-value", `invalid mpls label stack '${v.text}'`);
        return undefined;
      }
      e.labels = v.text;
    } else {
      if (!/^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3}$/i.test(v.text)) {
        c.error(v, "bad-value", `invalid ila locator '${v.text}'`);
        return undefined;
      }
      e.locator = v.text;
    }
    return e;
  }
  const fam: Family = type === "ip" ? 4 : 6;
  for (;;) {
    const k = l.peek();
    const v = l.t[l.i + 1];
    if (!k || !v) break;
    if (k.text === "id") {
      if (!/^\d+$/.test(v.text)) {
        c.error(v, "bad-number", `encap id '${v.text}' is not a number`);
        return undefined;
      }
      e.id = v.text;
    } else if (k.text === "dst" || k.text === "src") {
      const a = plainIp(c, v, `encap ${type} ${k.text}`, fam);
      if (!a) return undefined;
      e[k.text] = a;
    } else if ((type === "ip" && k.text === "tos") || (type === "ip6" && k.text === "tc")) {
      const x = nameOrNumber(c, v, 255, k.text);
      if (x === undefined) return undefined;
      e.tos = x;
    } else if ((type === "ip" && k.text === "ttl") || (type === "ip6" && k.text === "hoplimit")) {
      const x = uint(c, v, 255, k.text);
      if (x === undefined) return undefined;
      e.ttl = x;
    } else if (k.text === "flags") {
      const x = uint(c, v, 0xffff, "flags");
      if (x === undefined) return undefined;
      e.flags = x;
    } else break;
    l.i += 2;
  }
  if (e.dst === undefined && e.id === undefined) {
    c.error(typeTok, "missing-argument", `encap ${type} needs a dst address or an id`);
    return undefined;
  }
  return e;
}

function emitEncap(e: Encap): string[] {
  // the type says what the rest means: an encap without it is not written
  if (e.type === undefined) return [];
  const out = ["encap", e.type];
  if (e.labels !== undefined) out.push(e.labels);
  if (e.locator !== undefined) out.push(e.locator);
  if (e.id !== undefined) out.push("id", e.id);
  if (e.dst !== undefined) out.push("dst", e.dst);
  if (e.src !== undefined) out.push("src", e.src);
  if (e.tos !== undefined) out.push(e.type === "ip6" ? "tc" : "tos", e.tos);
  if (e.ttl !== undefined) out.push(e.type === "ip6" ? "hoplimit" : "ttl", String(e.ttl));
  if (e.flags !== undefined) out.push("flags", String(e.flags));
  return out;
}

export interface NetContext {
  isStatic: boolean;
  what: string;
}

export function parseRouteLine(c: Ctx, tokens: Token[], ctx: NetContext): Route | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const what = ctx.what;
  const l = new Line(c, tokens, what);
  let family: Family | undefined;
  const r: Partial<Route> = {};
  const setFamily = (f: Family | undefined, at: Token): boolean => {
    if (f === undefined) return true;
    if (family === undefined) family = f;
    else if (family !== f) {
      c.error(at, "family-mismatch", `${what}: cannot mix IPv4 and IPv6 in one route`);
      return false;
    }
    return true;
  };
  const lock = (m: LockableMetric) => {
    r.locked = [...(r.locked ?? []), m];
  };
  const lockable = (opt: Token): Token | undefined => {
    let v = l.need(opt);
    if (v?.text === "lock") {
      lock(LOCKABLE[opt.text] as LockableMetric);
      v = l.need(opt);
    }
    return v;
  };
  const u32 = (opt: Token, max = 0xffffffff, min = 0): number | undefined => uint(c, l.need(opt), max, opt.text, min);

  while (!l.done) {
    const opt = l.next() as Token;
    const w = opt.text;
    let bad = false;
    switch (w) {
      case "inet":
      case "inet6":
        bad = !setFamily(w === "inet" ? 4 : 6, opt);
        break;
      case "src": {
        const v = plainIp(c, l.need(opt), "route src");
        bad = !v || !setFamily(familyOf(v), opt);
        r.src = v;
        break;
      }
      case "via":
      case "gw": {
        if (w === "gw") c.warning(opt, "deprecated", `"gw" for routes is deprecated; write "via"`);
        let v = l.need(opt);
        if (v && (v.text === "inet" || v.text === "inet6")) {
          bad = !setFamily(v.text === "inet" ? 4 : 6, v);
          v = l.need(opt);
        }
        const a = plainIp(c, v, "route via");
        bad = bad || !a || !setFamily(familyOf(a), opt);
        r.via = a;
        break;
      }
      case "from": {
        const v = l.need(opt);
        const d = v && routeDst(c, v, "route from");
        if (!v || !d) bad = true;
        else if (d.family !== 6 && d.text !== "default") {
          c.error(v, "family-mismatch", `${what}: route 'from' is only supported for IPv6 (${v.text})`);
          bad = true;
        } else {
          bad = !setFamily(d.family, v);
          r.from = d.text;
        }
        break;
      }
      case "tos":
      case "dsfield":
        r.tos = nameOrNumber(c, l.need(opt), 255, "tos");
        bad = r.tos === undefined;
        break;
      case "table":
        r.table = table(c, l.need(opt), "table");
        bad = r.table === undefined;
        break;
      case "protocol":
      case "proto":
        if (w === "proto") {
          // ip(8) allows the abbreviation; keepalived's parser does not
          c.error(opt, "bad-option", `${what}: write 'protocol', not 'proto' (keepalived does not accept abbreviations)`);
          bad = true;
          l.next();
          break;
        }
        r.protocol = nameOrNumber(c, l.need(opt), 255, "protocol");
        bad = r.protocol === undefined;
        break;
      case "scope":
        r.scope = nameOrNumber(c, l.need(opt), 255, "scope");
        bad = r.scope === undefined;
        break;
      case "metric":
      case "priority":
      case "preference":
        r.metric = u32(opt);
        bad = r.metric === undefined;
        break;
      case "dev":
      case "oif": {
        const v = l.need(opt);
        bad = !v;
        r.dev = v?.text;
        break;
      }
      case "onlink":
        r.onlink = true;
        break;
      case "encap":
        r.encap = parseEncap(c, l, opt);
        bad = r.encap === undefined;
        break;
      case "expires":
        bad = !setFamily(6, opt);
        r.expires = u32(opt);
        bad = bad || r.expires === undefined;
        break;
      case "mtu":
      case "advmss":
      case "reordering":
      case "cwnd":
      case "ssthresh": {
        const v = uint(c, lockable(opt), 0xffffffff, w);
        if (v === undefined) bad = true;
        else r[w] = v;
        break;
      }
      case "rtt":
      case "rttvar":
      case "rto_min": {
        const v = timeValue(c, lockable(opt), w);
        if (v === undefined) bad = true;
        else r[w === "rto_min" ? "rtoMin" : w] = v;
        break;
      }
      case "window":
      case "initcwnd":
      case "initrwnd": {
        const v = u32(opt);
        if (v === undefined) bad = true;
        else r[w] = v;
        break;
      }
      case "hoplimit":
        r.hoplimit = u32(opt, 255);
        bad = r.hoplimit === undefined;
        break;
      case "realms":
        r.realms = realms(c, l.need(opt), "realms");
        bad = r.realms === undefined || !setFamily(4, opt);
        break;
      case "features": {
        const v = l.need(opt);
        if (v && v.text !== "ecn") c.warning(v, "bad-value", `${what}: feature '${v.text}' is not supported; ignored`);
        else if (v) r.features = "ecn";
        else bad = true;
        break;
      }
      case "quickack": {
        const v = u32(opt, 1);
        bad = v === undefined;
        r.quickack = v === 1;
        break;
      }
      case "congctl": {
        const v = lockable(opt);
        bad = !v;
        r.congctl = v?.text;
        break;
      }
      case "pref": {
        bad = !setFamily(6, opt);
        const v = l.need(opt);
        if (!v) bad = true;
        else if (["low", "medium", "high"].includes(v.text) || uint(c, v, 255, "pref") !== undefined) r.pref = v.text;
        else bad = true;
        break;
      }
      case "ttl-propagate": {
        const v = l.need(opt);
        const x = v && c.oneOfToken(v, ["enabled", "disabled"] as const, "ttl-propagate");
        bad = !x;
        if (x) r.ttlPropagate = x === "enabled";
        break;
      }
      case "fastopen_no_cookie": {
        const v = u32(opt, 1);
        bad = v === undefined;
        r.fastopenNoCookie = v === 1;
        break;
      }
      case "add":
      case "append":
      case "prepend":
        r.mode = w;
        break;
      case "or": {
        // deprecated: `via A or B` becomes two nexthops
        c.warning(opt, "deprecated", `"or" for routes is deprecated; write "nexthop via A nexthop via B"`);
        const v = plainIp(c, l.need(opt), "route or");
        if (!v) {
          bad = true;
          break;
        }
        if (r.nexthops) {
          c.error(opt, "duplicate-option", `${what}: only one "or" is allowed`);
          bad = true;
          break;
        }
        r.nexthops = [...(r.via ? [{ via: r.via }] : []), { via: v }];
        r.via = undefined;
        bad = !setFamily(familyOf(v), opt);
        break;
      }
      case "nexthop":
        if (r.nexthops) {
          c.error(opt, "duplicate-option", `${what}: cannot combine "nexthop" with "or"`);
          return undefined;
        }
        l.i--;
        r.nexthops = parseNexthops(c, l, what, setFamily);
        if (!r.nexthops) return undefined;
        break;
      case "no_track":
        r.noTrack = true;
        break;
      case "track_group":
        if (!ctx.isStatic) {
          c.error(opt, "bad-option", `${what}: track_group is only for static routes`);
          bad = true;
          l.next();
          break;
        }
        r.trackGroup = l.need(opt)?.text;
        bad = r.trackGroup === undefined;
        break;
      case "vrf":
        r.vrf = l.need(opt)?.text;
        bad = r.vrf === undefined;
        break;
      case "as": {
        if (l.peek()?.text === "to") l.next();
        l.next();
        c.error(opt, "unsupported", `${what}: 'as [to]' (NAT/MPLS) is not supported`);
        bad = true;
        break;
      }
      default: {
        let dt: Token | undefined = opt;
        if (w === "to") dt = l.need(opt);
        if (!dt) return undefined;
        const type = ROUTE_TYPES.find((x) => x === dt?.text || (dt?.text === "brd" && x === "broadcast"));
        if (type) {
          r.type = type;
          dt = l.next();
          if (!dt) {
            c.error(opt, "missing-argument", `${what}: route type '${type}' needs a destination`);
            return undefined;
          }
        }
        if (r.dst !== undefined) {
          const guess = didYouMeanRoute(dt.text);
          c.error(dt, "bad-option", `${what}: unknown route option or second destination '${dt.text}'${guess ? `; did you mean '${guess}'?` : ""}`);
          return undefined;
        }
        if (dt.text !== "default" && dt.text !== "any" && dt.text !== "all" && dt.text !== "default6" && isIP(dt.text.split("/")[0] ?? "") === 0) {
          const guess = didYouMeanRoute(dt.text);
          c.error(dt, "bad-option", `${what}: unknown route option '${dt.text}'${guess ? `; did you mean '${guess}'?` : ""}`);
          return undefined;
        }
        const d = routeDst(c, dt, "route destination");
        if (!d) return undefined;
        r.dst = d.text;
        bad = !setFamily(d.family, dt);
      }
    }
    if (bad) return undefined;
  }
  if (r.dst === undefined) {
    c.error(first, "missing-argument", `${what}: a route needs a destination`);
    return undefined;
  }
  if (r.trackGroup && !r.dev) {
    c.warning(first, "track-group-needs-dev", `${what}: a static route with track_group needs a dev (oif); track_group ignored`);
  }
  if (r.protocol !== undefined && !r.noTrack && r.protocol !== "keepalived" && r.protocol !== "18") {
    c.warning(first, "route-protocol", `${what}: a tracked route always uses protocol keepalived (18); add no_track to keep protocol ${r.protocol}`);
  }
  const route: Route = { family: family ?? 4, dst: r.dst, ...stripUndefined(r) };
  return c.origin(route, first);
}

const ROUTE_WORDS = [
  "src", "via", "from", "tos", "table", "protocol", "scope", "metric", "dev", "onlink", "encap", "expires", "mtu", "advmss", "rtt", "rttvar",
  "reordering", "window", "cwnd", "ssthresh", "realms", "rto_min", "initcwnd", "initrwnd", "features", "quickack", "congctl", "pref",
  "ttl-propagate", "fastopen_no_cookie", "hoplimit", "nexthop", "no_track", "track_group", "vrf", "append", "prepend", "blackhole", "unreachable", "prohibit", "throw",
];
function didYouMeanRoute(w: string): string | undefined {
  return didYouMeanImpl(w, ROUTE_WORDS);
}

function parseNexthops(c: Ctx, l: Line, what: string, setFamily: (f: Family | undefined, at: Token) => boolean): Nexthop[] | undefined {
  const out: Nexthop[] = [];
  while (!l.done) {
    const nh = l.next() as Token;
    if (nh.text !== "nexthop") {
      c.error(nh, "bad-option", `${what}: route has trailing words after the nexthops: '${nh.text}'`);
      return undefined;
    }
    const n: Nexthop = {};
    let more = true;
    while (more && !l.done) {
      const opt = l.peek() as Token;
      switch (opt.text) {
        case "via": {
          l.next();
          let v = l.need(opt);
          if (v && (v.text === "inet" || v.text === "inet6")) {
            if (!setFamily(v.text === "inet" ? 4 : 6, v)) return undefined;
            v = l.need(opt);
          }
          const a = plainIp(c, v, "nexthop via");
          if (!a || !setFamily(familyOf(a), opt)) return undefined;
          n.via = a;
          break;
        }
        case "dev": {
          l.next();
          const v = l.need(opt);
          if (!v) return undefined;
          n.dev = v.text;
          break;
        }
        case "weight": {
          l.next();
          const v = uint(c, l.need(opt), 256, "nexthop weight", 1);
          if (v === undefined) return undefined;
          n.weight = v;
          break;
        }
        case "onlink":
          l.next();
          n.onlink = true;
          break;
        case "encap": {
          l.next();
          const e = parseEncap(c, l, opt);
          if (!e) return undefined;
          n.encap = e;
          break;
        }
        case "realms": {
          l.next();
          const v = realms(c, l.need(opt), "realms");
          if (v === undefined || !setFamily(4, opt)) return undefined;
          n.realms = v;
          break;
        }
        default:
          more = false;
      }
    }
    out.push(n);
  }
  return out;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function emitNexthop(n: Nexthop): string[] {
  const out = ["nexthop"];
  if (n.via !== undefined) out.push("via", n.via);
  if (n.dev !== undefined) out.push("dev", n.dev);
  if (n.weight !== undefined) out.push("weight", String(n.weight));
  if (n.onlink) out.push("onlink");
  if (n.realms !== undefined) out.push("realms", n.realms);
  if (n.encap) out.push(...emitEncap(n.encap));
  return out;
}

/** One route line; undefined without the destination (a hand-written model may leave out anything). */
export function emitRoute(r: Route): string | undefined {
  if (r.dst === undefined) return undefined;
  const out: string[] = [];
  const lockedWord = (m: LockableMetric) => (r.locked?.includes(m) ? ["lock"] : []);
  // the family is implied by any address; say it only when nothing else does
  const hasAddr = [r.dst, r.src, r.via, r.from, ...(r.nexthops ?? []).map((n) => n.via)].some((x) => x?.includes(".") || x?.includes(":"));
  if (!hasAddr && r.family === 6 && r.expires === undefined && r.pref === undefined) out.push("inet6");
  if (r.type !== undefined) out.push(r.type);
  out.push(r.dst);
  if (r.src !== undefined) out.push("src", r.src);
  if (r.from !== undefined) out.push("from", r.from);
  if (r.via !== undefined) out.push("via", r.via);
  if (r.dev !== undefined) out.push("dev", r.dev);
  if (r.table !== undefined) out.push("table", String(r.table));
  if (r.metric !== undefined) out.push("metric", String(r.metric));
  if (r.scope !== undefined) out.push("scope", r.scope);
  if (r.protocol !== undefined) out.push("protocol", r.protocol);
  if (r.tos !== undefined) out.push("tos", r.tos);
  if (r.onlink) out.push("onlink");
  if (r.realms !== undefined) out.push("realms", r.realms);
  if (r.mtu !== undefined) out.push("mtu", ...lockedWord("mtu"), String(r.mtu));
  if (r.advmss !== undefined) out.push("advmss", ...lockedWord("advmss"), String(r.advmss));
  if (r.rtt !== undefined) out.push("rtt", ...lockedWord("rtt"), r.rtt);
  if (r.rttvar !== undefined) out.push("rttvar", ...lockedWord("rttvar"), r.rttvar);
  if (r.reordering !== undefined) out.push("reordering", ...lockedWord("reordering"), String(r.reordering));
  if (r.window !== undefined) out.push("window", String(r.window));
  if (r.cwnd !== undefined) out.push("cwnd", ...lockedWord("cwnd"), String(r.cwnd));
  if (r.ssthresh !== undefined) out.push("ssthresh", ...lockedWord("ssthresh"), String(r.ssthresh));
  if (r.rtoMin !== undefined) out.push("rto_min", ...lockedWord("rtoMin"), r.rtoMin);
  if (r.initcwnd !== undefined) out.push("initcwnd", String(r.initcwnd));
  if (r.initrwnd !== undefined) out.push("initrwnd", String(r.initrwnd));
  if (r.hoplimit !== undefined) out.push("hoplimit", String(r.hoplimit));
  if (r.features !== undefined) out.push("features", r.features);
  if (r.quickack !== undefined) out.push("quickack", r.quickack ? "1" : "0");
  if (r.congctl !== undefined) out.push("congctl", ...lockedWord("congctl"), r.congctl);
  if (r.pref !== undefined) out.push("pref", r.pref);
  if (r.ttlPropagate !== undefined) out.push("ttl-propagate", r.ttlPropagate ? "enabled" : "disabled");
  if (r.fastopenNoCookie !== undefined) out.push("fastopen_no_cookie", r.fastopenNoCookie ? "1" : "0");
  if (r.expires !== undefined) out.push("expires", String(r.expires));
  if (r.encap) out.push(...emitEncap(r.encap));
  if (r.mode !== undefined) out.push(r.mode);
  if (r.vrf !== undefined) out.push("vrf", r.vrf);
  if (r.noTrack) out.push("no_track");
  if (r.trackGroup !== undefined) out.push("track_group", r.trackGroup);
  // nexthops last: everything after the first `nexthop` belongs to the nexthops
  for (const n of r.nexthops ?? []) out.push(...emitNexthop(n));
  return out.join(" ");
}

// ---------------------------------------------------------------------------
// rules

function portRange(c: Ctx, t: Token | undefined, what: string, max: number, allowSingle: boolean): PortRange | undefined {
  if (!t) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(t.text);
  if (!m || (!allowSingle && m[2] === undefined)) {
    c.error(t, "bad-value", `${what}: '${t.text}' is not a range N${allowSingle ? "[-M]" : "-M"}`);
    return undefined;
  }
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > max || end > max || end < start) {
    c.error(t, "out-of-range", `${what}: range '${t.text}' is invalid (0..${max}, start <= end)`);
    return undefined;
  }
  return { start, end };
}

export function parseRuleLine(c: Ctx, tokens: Token[], ctx: NetContext): Rule | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const what = ctx.what;
  const l = new Line(c, tokens, what);
  let family: Family | undefined;
  const r: Partial<Rule> = {};
  let tableOption: Token | undefined;
  const setFamily = (f: Family | undefined, at: Token): boolean => {
    if (f === undefined) return true;
    if (family === undefined) family = f;
    else if (family !== f) {
      c.error(at, "family-mismatch", `${what}: a rule cannot mix IPv4 and IPv6`);
      return false;
    }
    return true;
  };
  const setAction = (a: RuleAction, at: Token): boolean => {
    if (r.action !== undefined) {
      c.error(at, "duplicate-option", `${what}: only one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev may be given`);
      return false;
    }
    r.action = a;
    return true;
  };
  while (!l.done) {
    const opt = l.next() as Token;
    const w = opt.text;
    let bad = false;
    switch (w) {
      case "inet":
      case "inet6":
        bad = !setFamily(w === "inet" ? 4 : 6, opt);
        break;
      case "from":
      case "to": {
        const v = l.need(opt);
        const d = v && routeDst(c, v, `rule ${w}`);
        bad = !v || !d || !setFamily(d.family, v);
        if (d) r[w] = d.text;
        break;
      }
      case "table":
      case "lookup": {
        const v = l.need(opt);
        const t = table(c, v, "table");
        if (t === undefined || !v) bad = true;
        else if (t === 0) {
          c.error(v, "out-of-range", `${what}: table 0 is not valid`);
          bad = true;
        } else {
          r.table = t;
          bad = !setAction("table", opt);
        }
        break;
      }
      case "not":
        r.not = true;
        break;
      case "preference":
      case "order":
      case "priority":
      case "pref":
        if (w === "pref") {
          // `pref` is accepted by ip(8) but not by keepalived's rule parser
          c.error(opt, "bad-option", `${what}: write 'preference' or 'priority' (keepalived does not accept 'pref')`);
          bad = true;
          break;
        }
        r.priority = uint(c, l.need(opt), 0xffffffff, "preference");
        bad = r.priority === undefined;
        break;
      case "tos":
      case "dsfield":
        r.tos = nameOrNumber(c, l.need(opt), 255, "tos");
        bad = r.tos === undefined;
        break;
      case "fwmark": {
        const v = l.need(opt);
        if (!v) {
          bad = true;
          break;
        }
        const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(v.text);
        const mark = m?.[1] !== undefined ? Number(m[1]) : Number.NaN;
        const mask = m?.[2] !== undefined ? Number(m[2]) : undefined;
        if (!m || mark > 0xffffffff || (mask !== undefined && mask > 0xffffffff)) {
          c.error(v, "bad-value", `${what}: invalid fwmark '${v.text}' (MARK[/MASK], 32-bit)`);
          bad = true;
          break;
        }
        r.fwmark = mark;
        if (mask !== undefined) r.fwmask = mask;
        break;
      }
      case "realms":
        r.realms = realms(c, l.need(opt), "realms");
        bad = r.realms === undefined || !setFamily(4, opt);
        tableOption = opt;
        break;
      case "suppress_prefixlength":
      case "sup_pl":
        r.suppressPrefixlength = uint(c, l.need(opt), 0x7fffffff, "suppress_prefixlength");
        bad = r.suppressPrefixlength === undefined;
        tableOption = opt;
        break;
      case "suppress_ifgroup":
      case "sup_group":
        r.suppressIfgroup = nameOrNumber(c, l.need(opt), 0xffffffff, "suppress_ifgroup");
        bad = r.suppressIfgroup === undefined;
        tableOption = opt;
        break;
      case "dev":
      case "iif":
        r.iif = l.need(opt)?.text;
        bad = r.iif === undefined;
        break;
      case "oif":
        r.oif = l.need(opt)?.text;
        bad = r.oif === undefined;
        break;
      case "tunnel-id": {
        const v = l.need(opt);
        if (!v || !/^\d+$/.test(v.text) || BigInt(v.text) > 0xffffffffffffffffn) {
          if (v) c.error(v, "bad-number", `${what}: invalid tunnel-id '${v.text}'`);
          bad = true;
        } else r.tunnelId = v.text;
        break;
      }
      case "uidrange":
        r.uidrange = portRange(c, l.need(opt), "uidrange", 0xffffffff, false);
        bad = r.uidrange === undefined;
        break;
      case "l3mdev":
        r.l3mdev = true;
        bad = !setAction("table", opt);
        break;
      case "protocol":
        r.protocol = uint(c, l.need(opt), 255, "protocol");
        bad = r.protocol === undefined;
        break;
      case "ipproto":
      case "ip_proto": {
        // keepalived's parser spells it ipproto; its man page example says ip_proto
        const v = l.need(opt);
        if (!v) bad = true;
        else if (/^\d+$/.test(v.text)) bad = uint(c, v, 255, "ipproto") === undefined;
        else if (!NAME_RE.test(v.text)) {
          c.error(v, "bad-value", `${what}: invalid ipproto '${v.text}'`);
          bad = true;
        }
        if (!bad && v) r.ipproto = v.text;
        break;
      }
      case "sport":
      case "dport":
        r[w] = portRange(c, l.need(opt), w, 65535, true);
        bad = r[w] === undefined;
        break;
      case "no_track":
        r.noTrack = true;
        break;
      case "track_group":
        if (!ctx.isStatic) {
          c.error(opt, "bad-option", `${what}: track_group is only for static rules`);
          bad = true;
          l.next();
          break;
        }
        r.trackGroup = l.need(opt)?.text;
        bad = r.trackGroup === undefined;
        break;
      default: {
        let a: Token | undefined = opt;
        if (w === "type") a = l.need(opt);
        if (!a) return undefined;
        if (a.text === "goto") {
          r.goto = uint(c, l.need(a), 0xffffffff, "goto");
          bad = r.goto === undefined || !setAction("goto", a);
        } else if (a.text === "nop" || a.text === "blackhole" || a.text === "unreachable" || a.text === "prohibit") {
          bad = !setAction(a.text, a);
        } else {
          const guess = didYouMeanImpl(a.text, RULE_WORDS);
          c.error(a, "bad-option", `${what}: unknown rule option '${a.text}'${guess ? `; did you mean '${guess}'?` : ""}`);
          return undefined;
        }
      }
    }
    if (bad) return undefined;
  }
  if (r.action === undefined) {
    c.error(first, "missing-argument", `${what}: a rule needs an action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev)`);
    return undefined;
  }
  if (r.action === "goto") {
    if (r.priority === undefined) {
      c.error(first, "missing-argument", `${what}: goto needs a preference on the rule`);
      return undefined;
    }
    if (r.goto !== undefined && r.priority >= r.goto) {
      c.error(first, "bad-value", `${what}: preference ${r.priority} must be lower than the goto target ${r.goto}`);
      return undefined;
    }
  }
  if (r.action !== "table" && tableOption) {
    c.error(tableOption, "bad-option", `${what}: '${tableOption.text}' is only valid with a table action`);
    return undefined;
  }
  if (r.l3mdev && r.table !== undefined) {
    c.error(first, "bad-option", `${what}: table cannot be given for l3mdev rules`);
    return undefined;
  }
  if (r.priority === undefined) {
    c.warning(first, "rule-no-preference", `${what}: rule has no preference; keepalived assigns one, which is probably not what you want`);
  }
  if (r.trackGroup && !r.iif) c.warning(first, "track-group-needs-dev", `${what}: a static rule with track_group needs dev/iif; track_group ignored`);
  const rule: Rule = { family: family ?? 4, action: r.action, ...stripUndefined(r) };
  return c.origin(rule, first);
}

const RULE_WORDS = [
  "from", "to", "table", "lookup", "not", "preference", "priority", "order", "tos", "fwmark", "realms", "suppress_prefixlength",
  "suppress_ifgroup", "dev", "iif", "oif", "tunnel-id", "uidrange", "l3mdev", "protocol", "ipproto", "sport", "dport", "no_track",
  "track_group", "goto", "nop", "blackhole", "unreachable", "prohibit", "type",
];

/**
 * `START-END` (`N` for a single port when `single`). With a bound left out (a hand-written
 * model) the other is written alone: a single port, or for uidrange, which needs both,
 * a value the parser reports.
 */
function range(p: PortRange, single: boolean): string | undefined {
  if (p.start === undefined || p.end === undefined) return (p.start ?? p.end)?.toString();
  return single && p.start === p.end ? String(p.start) : `${p.start}-${p.end}`;
}

export function emitRule(r: Rule): string {
  const out: string[] = [];
  const hasAddr = [r.from, r.to].some((x) => x?.includes(".") || x?.includes(":"));
  if (!hasAddr && r.family === 6) out.push("inet6");
  if (r.not) out.push("not");
  if (r.from !== undefined) out.push("from", r.from);
  if (r.to !== undefined) out.push("to", r.to);
  if (r.priority !== undefined) out.push("preference", String(r.priority));
  if (r.tos !== undefined) out.push("tos", r.tos);
  if (r.fwmark !== undefined) out.push("fwmark", r.fwmask !== undefined ? `${r.fwmark}/${r.fwmask}` : String(r.fwmark));
  if (r.iif !== undefined) out.push("iif", r.iif);
  if (r.oif !== undefined) out.push("oif", r.oif);
  if (r.tunnelId !== undefined) out.push("tunnel-id", r.tunnelId);
  const uid = r.uidrange && range(r.uidrange, false);
  if (uid !== undefined) out.push("uidrange", uid);
  if (r.protocol !== undefined) out.push("protocol", String(r.protocol));
  if (r.ipproto !== undefined) out.push("ipproto", r.ipproto);
  for (const key of ["sport", "dport"] as const) {
    const p = r[key] && range(r[key], true);
    if (p !== undefined) out.push(key, p);
  }
  // A hand-written model may leave out the action when `table` or `goto` says it, or
  // leave out the goto target (the parser then reports it missing).
  const action = r.action ?? (r.table !== undefined ? "table" : r.goto !== undefined ? "goto" : undefined);
  if (r.l3mdev) out.push("l3mdev");
  else if (action === "table" && r.table !== undefined) out.push("table", String(r.table));
  else if (action === "goto") out.push("goto", ...(r.goto !== undefined ? [String(r.goto)] : []));
  else if (action !== "table" && action !== undefined) out.push(action);
  if (r.realms !== undefined) out.push("realms", r.realms);
  if (r.suppressPrefixlength !== undefined) out.push("suppress_prefixlength", String(r.suppressPrefixlength));
  if (r.suppressIfgroup !== undefined) out.push("suppress_ifgroup", r.suppressIfgroup);
  if (r.noTrack) out.push("no_track");
  if (r.trackGroup !== undefined) out.push("track_group", r.trackGroup);
  return out.join(" ");
}
