/**
 * What the lines of virtual_ipaddress, virtual_routes and virtual_rules (and their static_
 * forms) share: a token cursor, the value checks (addresses, numbers, /etc/iproute2 names,
 * times), and for routes and rules the family they settle on, the option loop and the
 * options both take (inet/inet6, tos, realms, no_track, track_group).
 */
import type { Ctx } from "../../schema";
import type { Token } from "../../tree";
import { isIP } from "../../../base/ip";

export type Family = 4 | 6;

/**
 * The numbers a route's or rule's iproute2 names stand for, resolved at config load
 * (vrrp/rt-resolve.ts, from the host's rt_tables & co.): the run time reads only these.
 */
export interface RtIds {
  table?: number;
  protocol?: number;
  scope?: number;
  tos?: number;
  realms?: number;
}

export interface NetContext {
  isStatic: boolean;
  what: string;
}

export const NAME_RE = /^[A-Za-z_][\w.-]*$/;

/** A cursor over one line's tokens. `need()` reports a missing value at the option word. */
export class Line {
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

export function familyOf(addr: string): Family {
  // keepalived decides by the presence of ':' (parse_ipaddress)
  return addr.includes(":") ? 6 : 4;
}

export interface Prefixed {
  address: string;
  prefix: number;
  family: Family;
  hadPrefix: boolean;
}

/** ADDR[/PREFIX]: returns address, prefix and family, or reports at the token. */
export function parsePrefixed(c: Ctx, t: Token, allowPrefix: boolean, what: string): Prefixed | undefined {
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

export function plainIp(c: Ctx, t: Token | undefined, what: string, family?: Family): string | undefined {
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

export function uint(c: Ctx, t: Token | undefined, max: number, what: string, min = 0): number | undefined {
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
export function nameOrNumber(c: Ctx, t: Token | undefined, max: number, what: string): string | undefined {
  if (!t) return undefined;
  if (/^(\d+|0x[0-9a-f]+)$/i.test(t.text)) return uint(c, t, max, what) === undefined ? undefined : t.text;
  if (!NAME_RE.test(t.text)) {
    c.error(t, "bad-value", `${what}: '${t.text}' is neither a number nor a name`);
    return undefined;
  }
  return t.text;
}

export function table(c: Ctx, t: Token | undefined, what: string): number | string | undefined {
  const v = nameOrNumber(c, t, 0xffffffff, what);
  if (v === undefined) return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** realms FROM/TO or TO (names or numbers). */
export function realms(c: Ctx, t: Token | undefined, what: string): string | undefined {
  if (!t) return undefined;
  const parts = t.text.split("/");
  if (parts.length > 2 || parts.some((p) => !(/^(\d+|0x[0-9a-f]+)$/i.test(p) || NAME_RE.test(p)))) {
    c.error(t, "bad-value", `${what}: invalid realms '${t.text}'`);
    return undefined;
  }
  return t.text;
}

export function timeValue(c: Ctx, t: Token | undefined, what: string): string | undefined {
  if (!t) return undefined;
  if (!/^\d+(\.\d+)?(s|sec|secs|ms|msec|msecs|us|usec|usecs|ns|nsec|nsecs)?$/.test(t.text)) {
    c.error(t, "bad-number", `${what}: '${t.text}' is not a time (e.g. 10ms)`);
    return undefined;
  }
  return t.text;
}

/** A route destination/`from`: ADDR[/PREFIX] or default/any/all. */
export function routeDst(c: Ctx, t: Token, what: string): { text: string; family?: Family } | undefined {
  if (t.text === "default" || t.text === "any" || t.text === "all") return { text: "default" };
  if (t.text === "default6") {
    c.warning(t, "deprecated", `'default6' is deprecated; write 'inet6 default'`);
    return { text: "default", family: 6 };
  }
  const p = parsePrefixed(c, t, true, what);
  if (!p) return undefined;
  return { text: p.hadPrefix ? `${p.address}/${p.prefix}` : p.address, family: p.family };
}

export function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

// ---------------------------------------------------------------------------
// the option loop of route and rule lines

/** A route or rule line being read: the cursor, the family it has settled on, the record so far. */
export class NetLine<R> extends Line {
  family: Family | undefined;
  readonly r: Partial<R> = {};
  constructor(
    c: Ctx,
    t: Token[],
    readonly ctx: NetContext,
    /** what a family mix is called: "cannot mix IPv4 and IPv6 in one route" */
    private readonly mixed: string,
  ) {
    super(c, t, ctx.what);
  }
  /** Settle the line's family (undefined: no say), or report a mix at `at`. */
  setFamily(f: Family | undefined, at: Token): boolean {
    if (f === undefined) return true;
    if (this.family === undefined) this.family = f;
    else if (this.family !== f) {
      this.c.error(at, "family-mismatch", `${this.what}: ${this.mixed}`);
      return false;
    }
    return true;
  }
}

/** Reads one option's values from the line; false drops the line (a diagnostic has been given). */
export type OptionHandler<L> = (l: L, opt: Token) => boolean;
export type OptionTable<L> = Readonly<Record<string, OptionHandler<L>>>;

/** Every word of the line through its option's handler (`other` for the rest); false drops the line. */
export function readOptions<L extends Line>(l: L, options: OptionTable<L>, other: OptionHandler<L>): boolean {
  while (!l.done) {
    const opt = l.next() as Token;
    const handle = Object.hasOwn(options, opt.text) ? (options[opt.text] as OptionHandler<L>) : other;
    if (!handle(l, opt)) return false;
  }
  return true;
}

/** The fields of the options routes and rules both take. */
interface Shared {
  tos?: string;
  realms?: string;
  noTrack?: boolean;
  trackGroup?: string;
}

/** inet/inet6, tos/dsfield, realms, no_track and track_group, as routes and rules read them. */
export function sharedOptions(noun: "routes" | "rules") {
  const family: OptionHandler<NetLine<Shared>> = (l, opt) => l.setFamily(opt.text === "inet" ? 4 : 6, opt);
  const tos: OptionHandler<NetLine<Shared>> = (l, opt) => {
    l.r.tos = nameOrNumber(l.c, l.need(opt), 255, "tos");
    return l.r.tos !== undefined;
  };
  const options = {
    inet: family,
    inet6: family,
    tos,
    dsfield: tos,
    realms: (l, opt) => {
      l.r.realms = realms(l.c, l.need(opt), "realms");
      return l.r.realms !== undefined && l.setFamily(4, opt);
    },
    no_track: (l) => {
      l.r.noTrack = true;
      return true;
    },
    track_group: (l, opt) => {
      if (!l.ctx.isStatic) {
        l.c.error(opt, "bad-option", `${l.what}: track_group is only for static ${noun}`);
        l.next();
        return false;
      }
      l.r.trackGroup = l.need(opt)?.text;
      return l.r.trackGroup !== undefined;
    },
  } satisfies OptionTable<NetLine<Shared>>;
  return options;
}
