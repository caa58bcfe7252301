/**
 * Lines of virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress: the grammar
 * of `ip address add` (keepalived vrrp_ipaddress.c alloc_ipaddress). keepalived drops a
 * whole line on most mistakes; so do we, after a diagnostic at the offending word.
 */
import { didYouMean as didYouMeanImpl } from "../../diagnostics";
import type { Ctx } from "../../schema";
import type { Token } from "../../tree";
import { type Family, Line, nameOrNumber, parsePrefixed, plainIp, uint } from "./common";

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
          c.error(
            opt,
            "family-mismatch",
            `${ctx.what}: an IPv6 address (${first.text}) cannot have a broadcast address`,
          );
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
          if (p.hadPrefix && p.prefix !== (a.family === 4 ? 32 : 128))
            c.warning(
              first,
              "peer-with-prefix",
              `${ctx.what}: a prefix length cannot be given together with a peer address; it is ignored`,
            );
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
        c.error(
          opt,
          "bad-option",
          `${ctx.what}: unknown address option '${w}'${guess ? `; did you mean '${guess}'?` : ""}`,
        );
        return undefined;
      }
    }
  }
  if (a.broadcast && a.peer) {
    c.warning(
      first,
      "broadcast-with-peer",
      `${ctx.what}: broadcast and peer cannot both be given; the broadcast address is ignored`,
    );
  }
  if (a.family === 6 && a.scope !== undefined)
    c.warning(
      first,
      "ipv6-scope",
      `${ctx.what}: a scope cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`,
    );
  if (a.family === 6 && a.label !== undefined)
    c.warning(
      first,
      "ipv6-label",
      `${ctx.what}: a label cannot be given for IPv6 addresses (${first.text}); keepalived ignores it`,
    );
  if (ctx.isStatic && a.trackGroup && !a.dev)
    c.error(
      first,
      "track-group-needs-dev",
      `${ctx.what}: track_group needs a dev on ${first.text}`,
    );
  return ok ? c.origin(a, first) : undefined;
}

const ADDRESS_WORDS = [
  "dev", "scope", "brd", "broadcast", "label", "peer", "home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin",
  "no_track", "preferred_lft", "track_group", "use_vmac",
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
