/**
 * Lines of virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress: the grammar
 * of `ip address add` (keepalived vrrp_ipaddress.c alloc_ipaddress). keepalived drops a
 * whole line on most mistakes; so do we, after a diagnostic at the offending word.
 */
import { didYouMean as didYouMeanImpl } from "../../diagnostics";
import type { Ctx } from "../../schema";
import type { Token } from "../../tree";
import {
  type Family,
  Line,
  type OptionHandler,
  type OptionTable,
  type Prefixed,
  nameOrNumber,
  parsePrefixed,
  plainIp,
  readOptions,
  uint,
} from "./common";

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
  /** the scope's number, from rt_scopes at config load (vrrp/rt-resolve.ts) */
  scopeId?: number;
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

export interface AddressContext {
  /** static_ipaddress allows track_group */
  isStatic: boolean;
  /** virtual_ipaddress allows use_vmac */
  allowUseVmac: boolean;
  what: string;
}

/** An address line being read: the address so far; `ok` false keeps reading but drops the line at the end. */
class AddressLine extends Line {
  ok = true;
  constructor(
    c: Ctx,
    t: Token[],
    readonly ctx: AddressContext,
    readonly first: Token,
    readonly p: Prefixed,
    readonly a: VirtualAddress,
  ) {
    super(c, t, ctx.what);
    this.i = 1;
  }
}

type AddressHandler = OptionHandler<AddressLine>;

export function parseAddressLine(c: Ctx, tokens: Token[], ctx: AddressContext): VirtualAddress | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const p = parsePrefixed(c, first, true, ctx.what);
  if (!p) return undefined;
  const l = new AddressLine(c, tokens, ctx, first, p, { address: p.address, prefix: p.prefix, family: p.family });
  if (!readOptions(l, ADDRESS_OPTIONS, unknownAddressOption)) return undefined;
  return finishAddress(l);
}

/** The checks of a whole address line, then the address. */
function finishAddress(l: AddressLine): VirtualAddress | undefined {
  const { a, c, ctx, first } = l;
  if (a.broadcast && a.peer) {
    const why = "broadcast and peer cannot both be given; the broadcast address is ignored";
    c.warning(first, "broadcast-with-peer", `${ctx.what}: ${why}`);
  }
  if (a.family === 6 && a.scope !== undefined) {
    const why = `a scope cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`;
    c.warning(first, "ipv6-scope", `${ctx.what}: ${why}`);
  }
  if (a.family === 6 && a.label !== undefined) {
    const why = `a label cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`;
    c.warning(first, "ipv6-label", `${ctx.what}: ${why}`);
  }
  if (ctx.isStatic && a.trackGroup && !a.dev) {
    c.error(first, "track-group-needs-dev", `${ctx.what}: track_group needs a dev on ${first.text}`);
  }
  return l.ok ? c.origin(a, first) : undefined;
}

/** A word that sets a flag. */
const flag =
  (key: "home" | "noDad" | "mngtmpaddr" | "noPrefixRoute" | "autojoin" | "noTrack"): AddressHandler =>
  (l) => {
    l.a[key] = true;
    return true;
  };

const broadcast: AddressHandler = (l, opt) => {
  const v = l.need(opt);
  if (!v) return false;
  if (l.a.family === 6) {
    const why = `an IPv6 address (${l.first.text}) cannot have a broadcast address`;
    l.c.error(opt, "family-mismatch", `${l.what}: ${why}`);
    return false;
  }
  if (v.text !== "+" && v.text !== "-" && !plainIp(l.c, v, "broadcast", 4)) return false;
  l.a.broadcast = v.text;
  return true;
};

const ADDRESS_OPTIONS: OptionTable<AddressLine> = {
  dev: (l, opt) => {
    const v = l.need(opt);
    if (!v) return false;
    if (l.a.dev !== undefined) {
      l.c.error(opt, "duplicate-option", `${l.what}: dev given more than once for ${l.first.text}`);
      return false;
    }
    l.a.dev = v.text;
    return true;
  },
  scope: (l, opt) => {
    const v = nameOrNumber(l.c, l.need(opt), 255, "scope");
    if (v === undefined) l.ok = false;
    else l.a.scope = v;
    return true;
  },
  brd: broadcast,
  broadcast,
  label: (l, opt) => {
    const v = l.need(opt);
    if (!v) return false;
    if (v.text.length >= 16) {
      l.c.error(v, "bad-value", `${l.what}: label '${v.text}' is longer than 15 characters`);
      return false;
    }
    l.a.label = v.text;
    return true;
  },
  peer: (l, opt) => {
    const { a, p } = l;
    const v = l.need(opt);
    if (!v) return false;
    if (a.peer !== undefined) {
      l.c.error(v, "duplicate-option", `${l.what}: another peer has already been given`);
      return true;
    }
    const peer = plainIp(l.c, v, "peer", a.family);
    if (peer) {
      if (p.hadPrefix && p.prefix !== (a.family === 4 ? 32 : 128)) {
        const why = "a prefix length cannot be given together with a peer address; it is ignored";
        l.c.warning(l.first, "peer-with-prefix", `${l.what}: ${why}`);
      }
      a.peer = peer;
    }
    return true;
  },
  home: flag("home"),
  "-nodad": flag("noDad"),
  mngtmpaddr: flag("mngtmpaddr"),
  noprefixroute: flag("noPrefixRoute"),
  autojoin: flag("autojoin"),
  no_track: flag("noTrack"),
  preferred_lft: (l, opt) => {
    const v = l.need(opt);
    if (!v) return false;
    if (v.text === "forever") l.a.preferredLft = "forever";
    else {
      const n = uint(l.c, v, 0xffffffff, "preferred_lft");
      if (n === undefined) l.ok = false;
      else l.a.preferredLft = n;
    }
    return true;
  },
  track_group: (l, opt) => {
    if (!l.ctx.isStatic) {
      l.c.error(opt, "bad-option", `${l.what}: track_group is only for static addresses`);
      return false;
    }
    const v = l.need(opt);
    if (!v) return false;
    l.a.trackGroup = v.text;
    return true;
  },
  use_vmac: (l, opt) => {
    if (!l.ctx.allowUseVmac) {
      l.c.error(opt, "bad-option", `${l.what}: use_vmac is only for virtual addresses`);
      l.ok = false;
    } else l.a.useVmac = true;
    return true;
  },
};

/** keepalived skips just the word; the words after it would only give more noise, so the line goes. */
function unknownAddressOption(l: AddressLine, opt: Token): boolean {
  const guess = didYouMeanImpl(opt.text, ADDRESS_WORDS);
  const hint = guess ? `; did you mean '${guess}'?` : "";
  l.c.error(opt, "bad-option", `${l.what}: unknown address option '${opt.text}'${hint}`);
  return false;
}

const ADDRESS_WORDS = [
  "dev",
  "scope",
  "brd",
  "broadcast",
  "label",
  "peer",
  "home",
  "-nodad",
  "mngtmpaddr",
  "noprefixroute",
  "autojoin",
  "no_track",
  "preferred_lft",
  "track_group",
  "use_vmac",
];

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
