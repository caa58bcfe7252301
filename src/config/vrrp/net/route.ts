/**
 * Lines of virtual_routes / static_routes: the grammar of `ip route add` (keepalived
 * vrrp_iproute.c alloc_route). keepalived drops a whole line on most mistakes; so do we,
 * after a diagnostic at the offending word. Each option is one handler in ROUTE_OPTIONS;
 * the words no handler takes are the route type and destination (`routeDestination`).
 */
import { isIP } from "../../../base/ip";
import { didYouMean as didYouMeanImpl } from "../../diagnostics";
import type { Ctx } from "../../schema";
import type { Token } from "../../tree";
import {
  type Family,
  type Line,
  type NetContext,
  NetLine,
  type OptionHandler,
  type OptionTable,
  type RtIds,
  familyOf,
  nameOrNumber,
  plainIp,
  readOptions,
  realms,
  routeDst,
  sharedOptions,
  stripUndefined,
  table,
  timeValue,
  uint,
} from "./common";

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
export const ROUTE_TYPES: readonly RouteType[] = [
  "unicast",
  "local",
  "broadcast",
  "anycast",
  "multicast",
  "blackhole",
  "unreachable",
  "prohibit",
  "throw",
  "nat",
  "xresolve",
];

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
  /** mpls label stack, e.g. 100/200; absent after keepalived's "invalid mpls address" */
  labels?: string;
  /** ila locator */
  locator?: string;
  /** tos / tc as a number (rt_dsfield names resolved at config load, config/vrrp/rt-resolve.ts) */
  tosId?: number;
}

export interface Nexthop {
  via?: string;
  dev?: string;
  /** 1..256 */
  weight?: number;
  onlink?: boolean;
  realms?: string;
  /** realms as FROM << 16 | TO (resolved at config load, config/vrrp/rt-resolve.ts) */
  realmsId?: number;
  encap?: Encap;
}

/** Route metrics that take `lock` (ip route's RTAX_* locks). */
export type LockableMetric =
  | "mtu"
  | "advmss"
  | "rtt"
  | "rttvar"
  | "reordering"
  | "cwnd"
  | "ssthresh"
  | "rtoMin"
  | "congctl";

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
  /** table, protocol, scope, tos and realms as numbers (set at config load) */
  ids?: RtIds;
}

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

const U64_MAX = (1n << 64n) - 1n;
/** keepalived vrrp_iproute.h MAX_MPLS_LABELS */
const MAX_MPLS_LABELS = 2;
/** MPLS_LS_LABEL_MASK >> MPLS_LS_LABEL_SHIFT: a label is 20 bits */
const MPLS_LABEL_MAX = 0xfffff;

/**
 * An `encap mpls` label stack as vrrp_ip_rule_route_parser.c parse_mpls_address reads it:
 * at most MAX_MPLS_LABELS labels joined by '/', each strtoul(…, 0) (decimal, 0x hex or
 * 0 octal, an optional '+', no '-'), each at most 20 bits. The labels, or undefined.
 */
export function mplsLabels(text: string): number[] | undefined {
  const parts = text.split("/");
  if (parts.length > MAX_MPLS_LABELS) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    const m = /^\+?(?:0x([0-9a-f]+)|(0[0-7]*)|([1-9][0-9]*))$/i.exec(p);
    if (!m) return undefined;
    const n =
      m[1] !== undefined ? Number.parseInt(m[1], 16) : m[2] !== undefined ? Number.parseInt(m[2], 8) : Number(m[3]);
    if (!(n <= MPLS_LABEL_MAX)) return undefined;
    out.push(n);
  }
  return out;
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
      // vrrp_iproute.c parse_encap_mpls: a bad stack is a config error, but the word is
      // consumed and parse_encap goes on, so the route (and the rest of its line) stays,
      // with an MPLS encap of no labels (parse_mpls_address zeroes num_labels first)
      if (mplsLabels(v.text)) e.labels = v.text;
      else c.error(v, "bad-value", `invalid mpls address ${v.text} for encapsulation`);
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
      if (!/^\d+$/.test(v.text) || BigInt(v.text) > U64_MAX) {
        // parse_encap_ip / parse_encap_ip6: get_u64(…, UINT64_MAX, …)
        c.error(
          v,
          "bad-number",
          type === "ip" ? `encap id ${v.text} value is invalid` : `id ${v.text} value invalid for IPv6 encapsulation`,
        );
        return undefined;
      }
      // keepalived 2.2.7's read_unsigned64 stores the value through an (unsigned) cast, so
      // an id past 32 bits reaches the kernel as its low 32; 2.4.0 keeps all 64 (commit
      // 36f6d9d4), as keel does
      if (BigInt(v.text) > 0xffffffffn)
        c.warning(
          v,
          "encap-id-keepalived",
          `encap id ${v.text}: keepalived 2.2.7 installs only its low 32 bits (${BigInt(v.text) & 0xffffffffn}; fixed in 2.4.0); keel installs all 64, as keepalived 2.4 does`,
        );
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

/** A route line being read: the shared state, metric locks and the u32 check. */
class RouteLine extends NetLine<Route> {
  constructor(c: Ctx, t: Token[], ctx: NetContext) {
    super(c, t, ctx, "cannot mix IPv4 and IPv6 in one route");
  }
  /** The value of a metric that takes `lock` first (`mtu lock 1400`). */
  lockable(opt: Token): Token | undefined {
    let v = this.need(opt);
    if (v?.text === "lock") {
      this.r.locked = [...(this.r.locked ?? []), LOCKABLE[opt.text] as LockableMetric];
      v = this.need(opt);
    }
    return v;
  }
  u32(opt: Token, max = 0xffffffff, min = 0): number | undefined {
    return uint(this.c, this.need(opt), max, opt.text, min);
  }
}

type RouteHandler = OptionHandler<RouteLine>;

export function parseRouteLine(c: Ctx, tokens: Token[], ctx: NetContext): Route | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const l = new RouteLine(c, tokens, ctx);
  if (!readOptions(l, ROUTE_OPTIONS, routeDestination)) return undefined;
  return finishRoute(l, first);
}

/** The checks of a whole route line, then the route. */
function finishRoute(l: RouteLine, first: Token): Route | undefined {
  const { c, r, what } = l;
  if (r.dst === undefined) {
    c.error(first, "missing-argument", `${what}: a route needs a destination`);
    return undefined;
  }
  if (r.trackGroup && !r.dev) {
    c.warning(
      first,
      "track-group-needs-dev",
      `${what}: a static route with track_group needs a dev (oif); track_group ignored`,
    );
  }
  if (r.protocol !== undefined && !r.noTrack && r.protocol !== "keepalived" && r.protocol !== "18") {
    c.warning(
      first,
      "route-protocol",
      `${what}: a tracked route always uses protocol keepalived (18); add no_track to keep protocol ${r.protocol}`,
    );
  }
  // vrrp_iproute.c alloc_route: a tracked route is watched through its oif, so one
  // without `dev` cannot be ("Warning - cannot track route %s with no interface
  // specified, not tracking"); keepalived still installs it
  if (!r.noTrack && !r.dev) {
    c.warning(
      first,
      "route-not-tracked",
      `${what}: cannot track route ${r.dst} with no interface specified (dev); it is installed but not tracked (add dev, or no_track to say so)`,
    );
  }
  const route: Route = { family: l.family ?? 4, dst: r.dst, ...stripUndefined(r) };
  return c.origin(route, first);
}

/** `via`/`gw` [inet|inet6] ADDR */
const via: RouteHandler = (l, opt) => {
  if (opt.text === "gw") l.c.warning(opt, "deprecated", `"gw" for routes is deprecated; write "via"`);
  let bad = false;
  let v = l.need(opt);
  if (v && (v.text === "inet" || v.text === "inet6")) {
    bad = !l.setFamily(v.text === "inet" ? 4 : 6, v);
    v = l.need(opt);
  }
  const a = plainIp(l.c, v, "route via");
  bad = bad || !a || !l.setFamily(familyOf(a), opt);
  l.r.via = a;
  return !bad;
};

/** `from` PREFIX: a source prefix, IPv6 only. */
const from: RouteHandler = (l, opt) => {
  const v = l.need(opt);
  const d = v && routeDst(l.c, v, "route from");
  if (!v || !d) return false;
  if (d.family !== 6 && d.text !== "default") {
    l.c.error(v, "family-mismatch", `${l.what}: route 'from' is only supported for IPv6 (${v.text})`);
    return false;
  }
  const ok = l.setFamily(d.family, v);
  l.r.from = d.text;
  return ok;
};

/** A number metric that may be locked (`mtu lock 1400`). */
const lockedNumber =
  (key: "mtu" | "advmss" | "reordering" | "cwnd" | "ssthresh"): RouteHandler =>
  (l, opt) => {
    l.r[key] = uint(l.c, l.lockable(opt), 0xffffffff, opt.text);
    return l.r[key] !== undefined;
  };

/** vrrp_ip_rule_route_parser.c RTT_MIN_MS / RTT_MAX_MS: get_time_rtt's bounds */
const RTT_MIN_MS = 200;
const RTT_MAX_MS = 120000;
/** The kernel's unit per ms of each time metric: rtt 1/8 ms, rttvar 1/4 ms, rto_min ms. */
export const RTT_UNIT = { rtt: 8, rttvar: 4, rtoMin: 1 } as const;

/**
 * A time metric in the kernel's units, as keepalived's get_time_rtt reads it: "Ns"/"Nsec(s)"
 * (up to 3 decimals) and "Nms"/"Nmsec(s)" are scaled by `unitMult` per ms; a bare number is
 * taken raw, in the kernel's units. The result is raised to 200 ms or lowered to 120 s (as
 * keepalived logs and does). undefined where keepalived reports "Invalid rtt": another
 * unit (us, ns), an exponent, too many decimals, or more than 120 s before scaling.
 */
export function rttUnits(text: string, unitMult: number): number | undefined {
  const m = /^(\d+)(?:\.(\d*))?(ms|msecs?|s|secs?)?$/i.exec(text);
  if (!m) return undefined;
  const unit = m[3]?.toLowerCase();
  const shift = unit === undefined || unit.startsWith("m") ? 0 : 3;
  const frac = m[2] ?? "";
  if (frac.length > shift || (m[2] !== undefined && shift === 0)) return undefined;
  let v = Number(m[1]) * 10 ** shift + (frac ? Number(frac.padEnd(shift, "0")) : 0);
  if (v > RTT_MAX_MS * unitMult) return undefined;
  if (unit !== undefined) v *= unitMult;
  return Math.min(Math.max(v, RTT_MIN_MS * unitMult), RTT_MAX_MS * unitMult);
}

/** A time metric that may be locked (`rtt lock 10ms`). */
const lockedTime =
  (key: "rtt" | "rttvar" | "rtoMin"): RouteHandler =>
  (l, opt) => {
    const t = l.lockable(opt);
    const v = timeValue(l.c, t, opt.text);
    if (t && v !== undefined && rttUnits(v, RTT_UNIT[key]) === undefined) {
      l.c.error(
        t,
        "bad-number",
        `${l.what}: invalid ${opt.text} '${v}' (keepalived reads s, sec, ms or msec, at most 120s, or a bare number in the kernel's units)`,
      );
      return false;
    }
    l.r[key] = v;
    return v !== undefined;
  };

/** A plain u32 option. */
const u32Option =
  (key: "metric" | "window" | "initcwnd" | "initrwnd" | "hoplimit", max?: number): RouteHandler =>
  (l, opt) => {
    l.r[key] = l.u32(opt, max);
    return l.r[key] !== undefined;
  };

/** A 0/1 option. */
const boolOption =
  (key: "quickack" | "fastopenNoCookie"): RouteHandler =>
  (l, opt) => {
    const v = l.u32(opt, 1);
    l.r[key] = v === 1;
    return v !== undefined;
  };

/** A name or number from an /etc/iproute2 file. */
const named =
  (key: "protocol" | "scope", what: string): RouteHandler =>
  (l, opt) => {
    l.r[key] = nameOrNumber(l.c, l.need(opt), 255, what);
    return l.r[key] !== undefined;
  };

const mode: RouteHandler = (l, opt) => {
  l.r.mode = opt.text as Route["mode"];
  return true;
};

const dev: RouteHandler = (l, opt) => {
  const v = l.need(opt);
  l.r.dev = v?.text;
  return !!v;
};

const ROUTE_OPTIONS: OptionTable<RouteLine> = {
  ...sharedOptions("routes"),
  src: (l, opt) => {
    const v = plainIp(l.c, l.need(opt), "route src");
    const ok = !!v && l.setFamily(familyOf(v), opt);
    l.r.src = v;
    return ok;
  },
  via,
  gw: via,
  from,
  table: (l, opt) => {
    l.r.table = table(l.c, l.need(opt), "table");
    return l.r.table !== undefined;
  },
  protocol: named("protocol", "protocol"),
  proto: (l, opt) => {
    // ip(8) allows the abbreviation; keepalived's parser does not
    l.c.error(opt, "bad-option", `${l.what}: write 'protocol', not 'proto' (keepalived does not accept abbreviations)`);
    l.next();
    return false;
  },
  scope: named("scope", "scope"),
  metric: u32Option("metric"),
  priority: u32Option("metric"),
  preference: u32Option("metric"),
  dev,
  oif: dev,
  onlink: (l) => {
    l.r.onlink = true;
    return true;
  },
  encap: (l, opt) => {
    l.r.encap = parseEncap(l.c, l, opt);
    return l.r.encap !== undefined;
  },
  expires: (l, opt) => {
    const ok = l.setFamily(6, opt);
    l.r.expires = l.u32(opt);
    return ok && l.r.expires !== undefined;
  },
  mtu: lockedNumber("mtu"),
  advmss: lockedNumber("advmss"),
  reordering: lockedNumber("reordering"),
  cwnd: lockedNumber("cwnd"),
  ssthresh: lockedNumber("ssthresh"),
  rtt: lockedTime("rtt"),
  rttvar: lockedTime("rttvar"),
  rto_min: lockedTime("rtoMin"),
  window: u32Option("window"),
  initcwnd: u32Option("initcwnd"),
  initrwnd: u32Option("initrwnd"),
  hoplimit: u32Option("hoplimit", 255),
  features: (l, opt) => {
    const v = l.need(opt);
    if (v && v.text !== "ecn") l.c.warning(v, "bad-value", `${l.what}: feature '${v.text}' is not supported; ignored`);
    else if (v) l.r.features = "ecn";
    return !!v;
  },
  quickack: boolOption("quickack"),
  congctl: (l, opt) => {
    const v = l.lockable(opt);
    l.r.congctl = v?.text;
    return !!v;
  },
  pref: (l, opt) => {
    let ok = l.setFamily(6, opt);
    const v = l.need(opt);
    if (!v) ok = false;
    else if (["low", "medium", "high"].includes(v.text) || uint(l.c, v, 255, "pref") !== undefined) l.r.pref = v.text;
    else ok = false;
    return ok;
  },
  "ttl-propagate": (l, opt) => {
    const v = l.need(opt);
    const x = v && l.c.oneOfToken(v, ["enabled", "disabled"] as const, "ttl-propagate");
    if (x) l.r.ttlPropagate = x === "enabled";
    return !!x;
  },
  fastopen_no_cookie: boolOption("fastopenNoCookie"),
  add: mode,
  append: mode,
  prepend: mode,
  or: (l, opt) => {
    // deprecated: `via A or B` becomes two nexthops
    l.c.warning(opt, "deprecated", `"or" for routes is deprecated; write "nexthop via A nexthop via B"`);
    const v = plainIp(l.c, l.need(opt), "route or");
    if (!v) return false;
    if (l.r.nexthops) {
      l.c.error(opt, "duplicate-option", `${l.what}: only one "or" is allowed`);
      return false;
    }
    l.r.nexthops = [...(l.r.via ? [{ via: l.r.via }] : []), { via: v }];
    l.r.via = undefined;
    return l.setFamily(familyOf(v), opt);
  },
  nexthop: (l, opt) => {
    if (l.r.nexthops) {
      l.c.error(opt, "duplicate-option", `${l.what}: cannot combine "nexthop" with "or"`);
      return false;
    }
    l.i--;
    l.r.nexthops = parseNexthops(l.c, l, l.what, (f, at) => l.setFamily(f, at));
    return l.r.nexthops !== undefined;
  },
  vrf: (l, opt) => {
    l.r.vrf = l.need(opt)?.text;
    return l.r.vrf !== undefined;
  },
  as: (l, opt) => {
    if (l.peek()?.text === "to") l.next();
    l.next();
    l.c.error(opt, "unsupported", `${l.what}: 'as [to]' (NAT/MPLS) is not supported`);
    return false;
  },
};

/** Any other word: [to] [TYPE] DESTINATION, once. */
function routeDestination(l: RouteLine, opt: Token): boolean {
  const { c, r, what } = l;
  let dt: Token | undefined = opt;
  if (opt.text === "to") dt = l.need(opt);
  if (!dt) return false;
  const type = ROUTE_TYPES.find((x) => x === dt?.text || (dt?.text === "brd" && x === "broadcast"));
  if (type) {
    r.type = type;
    dt = l.next();
    if (!dt) {
      c.error(opt, "missing-argument", `${what}: route type '${type}' needs a destination`);
      return false;
    }
  }
  if (r.dst !== undefined) {
    const guess = didYouMeanRoute(dt.text);
    c.error(
      dt,
      "bad-option",
      `${what}: unknown route option or second destination '${dt.text}'${guess ? `; did you mean '${guess}'?` : ""}`,
    );
    return false;
  }
  const special = ["default", "any", "all", "default6"].includes(dt.text);
  if (!special && isIP(dt.text.split("/")[0] ?? "") === 0) {
    const guess = didYouMeanRoute(dt.text);
    c.error(dt, "bad-option", `${what}: unknown route option '${dt.text}'${guess ? `; did you mean '${guess}'?` : ""}`);
    return false;
  }
  const d = routeDst(c, dt, "route destination");
  if (!d) return false;
  r.dst = d.text;
  return l.setFamily(d.family, dt);
}

const ROUTE_WORDS = [
  "src",
  "via",
  "from",
  "tos",
  "table",
  "protocol",
  "scope",
  "metric",
  "dev",
  "onlink",
  "encap",
  "expires",
  "mtu",
  "advmss",
  "rtt",
  "rttvar",
  "reordering",
  "window",
  "cwnd",
  "ssthresh",
  "realms",
  "rto_min",
  "initcwnd",
  "initrwnd",
  "features",
  "quickack",
  "congctl",
  "pref",
  "ttl-propagate",
  "fastopen_no_cookie",
  "hoplimit",
  "nexthop",
  "no_track",
  "track_group",
  "vrf",
  "append",
  "prepend",
  "blackhole",
  "unreachable",
  "prohibit",
  "throw",
];
function didYouMeanRoute(w: string): string | undefined {
  return didYouMeanImpl(w, ROUTE_WORDS);
}

function parseNexthops(
  c: Ctx,
  l: Line,
  what: string,
  setFamily: (f: Family | undefined, at: Token) => boolean,
): Nexthop[] | undefined {
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
          // vrrp_iproute.c add_nexthop (2.2.7 to 2.4.3) calls add_encap with the
          // attribute's current length as its room, so the encap never fits and the next hop
          // is installed bare, without a word; keel installs it, as `ip route` does
          c.warning(
            opt,
            "nexthop-encap-keepalived",
            `${what}: keepalived installs this next hop without its encap (vrrp_iproute.c add_nexthop leaves add_encap no room); keel installs it, as ip route does`,
          );
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
  const addrs = [r.dst, r.src, r.via, r.from, ...(r.nexthops ?? []).map((n) => n.via)];
  const hasAddr = addrs.some((x) => x?.includes(".") || x?.includes(":"));
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
