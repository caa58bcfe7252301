/**
 * A route's lightweight-tunnel encapsulation (RTA_ENCAP + RTA_ENCAP_TYPE) and its next hops
 * (RTA_MULTIPATH), as bytes. Pure; routeRequest (messages.ts) puts them in the request.
 *
 * What goes in mirrors keepalived 2.2.7's vrrp_iproute.c:
 *  - add_encap: the RTA_ENCAP nest (no NLA_F_NESTED bit, as rta_nest and iproute2's
 *    lwt_parse_encap) holding the type's attributes, then RTA_ENCAP_TYPE (u16);
 *  - add_encap_ip / add_encap_ip6: [ID (htobe64)] [DST] [SRC] [TOS|TC] [TTL|HOPLIMIT]
 *    [FLAGS], each only when configured. FLAGS goes in host byte order (rta_addattr16 of
 *    the number as written), where the kernel reads a __be16 (ip_tun_build_state): on a
 *    little-endian host `flags 1` is the kernel's 0x0100. keel sends keepalived's bytes,
 *    so a config means what it means under keepalived; iproute2's `csum` (TUNNEL_CSUM,
 *    __cpu_to_be16(0x01)) is keepalived's `flags 256`;
 *  - add_encap_mpls: MPLS_IPTUNNEL_DST, one struct mpls_label per label (network order,
 *    label << 12, bottom-of-stack bit on the last: parse_mpls_address), no TTL;
 *  - add_encap_ila: ILA_ATTR_LOCATOR, the 64-bit locator in network order (get_addr64);
 *  - add_nexthops / add_nexthop: per next hop a struct rtnexthop (len, flags RTNH_F_ONLINK,
 *    hops = weight - 1, ifindex), then [RTA_GATEWAY | RTA_VIA] [RTA_FLOW] [RTA_ENCAP
 *    RTA_ENCAP_TYPE]. iproute2's parse_one_nh writes the same for the same words.
 */
import { concat, encodeAttrs } from "./codec";
import * as K from "./constants";
import { invalid } from "./error";
import { LWT_ILA, LWT_IP, LWT_IP6, LWT_MPLS, RTA } from "./schemas";
import type { EncapSpec, NexthopSpec } from "./types";
import { parseAddress } from "../../src/base/ip";

const ENCAP_TYPES = {
  mpls: K.LWTUNNEL_ENCAP_MPLS,
  ip: K.LWTUNNEL_ENCAP_IP,
  ila: K.LWTUNNEL_ENCAP_ILA,
  ip6: K.LWTUNNEL_ENCAP_IP6,
} as const;
/** MPLS_LS_LABEL_SHIFT, MPLS_LS_S_SHIFT (mpls.h) */
const LABEL_SHIFT = 12;
const BOS_SHIFT = 8;
const U64_MAX = (1n << 64n) - 1n;

function int(request: string, what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw invalid(request, `${what} ${v} is not 0..${max}`);
  return v;
}

function encapAddr(request: string, what: string, family: 4 | 6, text: string): Uint8Array {
  const b = parseAddress(family, text);
  if (!b) throw invalid(request, `${what} "${text}" is not an IPv${family} address`);
  return b;
}

/** "a:b:c:d", four 16-bit hex groups, as keepalived's get_addr64: 8 bytes, network order. */
export function ilaLocator(text: string): Uint8Array | undefined {
  const groups = text.split(":");
  if (groups.length !== 4 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  groups.forEach((g, i) => dv.setUint16(i * 2, Number.parseInt(g, 16), false));
  return b;
}

/** The attributes inside RTA_ENCAP for one encapsulation. */
function encapPayload(request: string, e: EncapSpec): Uint8Array {
  switch (e.type) {
    case "mpls": {
      if (e.labels.length > 2)
        throw invalid(request, `${e.labels.length} MPLS labels (keepalived's MAX_MPLS_LABELS is 2)`);
      const b = new Uint8Array(4 * e.labels.length);
      const dv = new DataView(b.buffer);
      e.labels.forEach((l, i) => {
        const bos = i === e.labels.length - 1 ? 1 << BOS_SHIFT : 0;
        dv.setUint32(i * 4, ((int(request, "MPLS label", l, 0xfffff) << LABEL_SHIFT) | bos) >>> 0, false);
      });
      return encodeAttrs(LWT_MPLS, [["dst", b]]);
    }
    case "ila": {
      const loc = ilaLocator(e.locator);
      if (!loc) throw invalid(request, `ILA locator "${e.locator}" is not four 16-bit hex groups`);
      return encodeAttrs(LWT_ILA, [["locator", loc]]);
    }
    case "ip":
    case "ip6": {
      const fam: 4 | 6 = e.type === "ip" ? 4 : 6;
      const attrs: [string, Uint8Array | number][] = [];
      if (e.id !== undefined) {
        if (e.id < 0n || e.id > U64_MAX) throw invalid(request, `encap id ${e.id} is not 0..${U64_MAX}`);
        const id = new Uint8Array(8);
        new DataView(id.buffer).setBigUint64(0, e.id, false);
        attrs.push(["id", id]);
      }
      if (e.dst !== undefined) attrs.push(["dst", encapAddr(request, `encap ${e.type} dst`, fam, e.dst)]);
      if (e.src !== undefined) attrs.push(["src", encapAddr(request, `encap ${e.type} src`, fam, e.src)]);
      if (e.tos !== undefined) attrs.push([fam === 4 ? "tos" : "tc", int(request, "encap tos", e.tos, 255)]);
      if (e.ttl !== undefined) attrs.push([fam === 4 ? "ttl" : "hoplimit", int(request, "encap ttl", e.ttl, 255)]);
      if (e.flags !== undefined) attrs.push(["flags", int(request, "encap flags", e.flags, 0xffff)]);
      return encodeAttrs(fam === 4 ? LWT_IP : LWT_IP6, attrs);
    }
  }
}

/** RTA_ENCAP then RTA_ENCAP_TYPE, as add_encap appends them. */
export function encapAttrs(request: string, e: EncapSpec): [string, Uint8Array | number][] {
  if (!(e.type in ENCAP_TYPES)) throw invalid(request, `encap type "${(e as { type: string }).type}"`);
  return [
    ["encap", encapPayload(request, e)],
    ["encapType", ENCAP_TYPES[e.type]],
  ];
}

function nexthopRecord(request: string, family: 4 | 6, n: NexthopSpec): Uint8Array {
  const attrs: [string, Uint8Array | number][] = [];
  if (n.via !== undefined) {
    const same = parseAddress(family, n.via);
    if (same) attrs.push(["gateway", same]);
    else {
      // a next hop of the other family: RTA_VIA, struct rtvia (add_addrfam2rta)
      const other: 4 | 6 = family === 4 ? 6 : 4;
      const b = encapAddr(request, "nexthop via", other, n.via);
      const via = new Uint8Array(2 + b.length);
      new DataView(via.buffer).setUint16(0, other === 4 ? K.AF_INET : K.AF_INET6, true);
      via.set(b, 2);
      attrs.push(["via", via]);
    }
  }
  if (n.realms !== undefined) attrs.push(["flow", int(request, "nexthop realms", n.realms, 0xffffffff)]);
  const body = concat([encodeAttrs(RTA, attrs), ...(n.encap ? [encodeAttrs(RTA, encapAttrs(request, n.encap))] : [])]);
  const rec = new Uint8Array(K.RTNEXTHOP_SIZE + body.length);
  const dv = new DataView(rec.buffer);
  dv.setUint16(0, rec.length, true);
  dv.setUint8(2, n.onlink ? K.RTNH_F_ONLINK : 0);
  const weight = n.weight === undefined ? 1 : int(request, "nexthop weight", n.weight, 256);
  if (weight < 1) throw invalid(request, "nexthop weight 0 is not 1..256");
  dv.setUint8(3, weight - 1);
  if (n.ifindex !== undefined) {
    if (!Number.isInteger(n.ifindex) || n.ifindex <= 0 || n.ifindex > 0x7fffffff)
      throw invalid(request, `interface index ${n.ifindex} is not valid`);
    dv.setInt32(4, n.ifindex, true);
  }
  rec.set(body, K.RTNEXTHOP_SIZE);
  return rec;
}

/** RTA_MULTIPATH's payload: one struct rtnexthop record per next hop, in order. */
export function multipathPayload(request: string, family: 4 | 6, hops: readonly NexthopSpec[]): Uint8Array {
  return concat(hops.map((n) => nexthopRecord(request, family, n)));
}

/** `encap ip id 5 dst 10.9.9.9`, for request descriptions and messages. */
export function describeEncap(e: EncapSpec): string {
  switch (e.type) {
    case "mpls":
      return `encap mpls ${e.labels.join("/")}`;
    case "ila":
      return `encap ila ${e.locator}`;
    default: {
      const p = [`encap ${e.type}`];
      if (e.id !== undefined) p.push(`id ${e.id}`);
      if (e.dst !== undefined) p.push(`dst ${e.dst}`);
      if (e.src !== undefined) p.push(`src ${e.src}`);
      if (e.tos !== undefined) p.push(`${e.type === "ip" ? "tos" : "tc"} ${e.tos}`);
      if (e.ttl !== undefined) p.push(`${e.type === "ip" ? "ttl" : "hoplimit"} ${e.ttl}`);
      if (e.flags !== undefined) p.push(`flags ${e.flags}`);
      return p.join(" ");
    }
  }
}
