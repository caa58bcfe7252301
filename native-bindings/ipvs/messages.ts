/**
 * IPVS requests and replies, pure (no I/O): services and destinations to generic
 * netlink bytes and back. Requests are laid out attribute for attribute as libipvs
 * (ipvsadm 1.31) lays them out, so the golden tests compare them byte for byte with
 * captured ipvsadm traffic (test/fixtures/ipvs/).
 */
import { type DecodedAttrs, decodeAttrs, encodeAttrs, type AttrList, type Result, fail, ok } from "../netlink/codec";
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "../netlink/constants";
import { genlMessage, splitGenl } from "../netlink/genl";
import { formatAddress, parseAddress } from "../../src/base/ip";
import * as I from "./constants";
import { IPVS_CMD, IPVS_INFO } from "./schemas";
import type {
  IpvsDest,
  IpvsDestInfo,
  IpvsMethod,
  IpvsProtocol,
  IpvsService,
  IpvsServiceInfo,
  IpvsServiceKey,
  IpvsStats,
  IpvsSyncDaemon,
  IpvsTimeouts,
  IpvsTunType,
} from "./types";

const AF_INET = 2;
const AF_INET6 = 10;
const PROTO_NUM: Record<IpvsProtocol, number> = { TCP: I.IPPROTO_TCP, UDP: I.IPPROTO_UDP, SCTP: I.IPPROTO_SCTP };
const METHOD_NUM: Record<IpvsMethod, number> = {
  NAT: I.IP_VS_CONN_F_MASQ,
  LOCAL: I.IP_VS_CONN_F_LOCALNODE,
  TUN: I.IP_VS_CONN_F_TUNNEL,
  DR: I.IP_VS_CONN_F_DROUTE,
  BYPASS: I.IP_VS_CONN_F_BYPASS,
};
const TUN_NUM: Record<IpvsTunType, number> = {
  ipip: I.IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: I.IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: I.IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};
const invert = <K extends string>(r: Record<K, number>): Map<number, K> =>
  new Map(Object.entries(r).map(([k, v]) => [v as number, k as K]));
const PROTO_NAME = invert(PROTO_NUM);
const METHOD_NAME = invert(METHOD_NUM);
const TUN_NAME = invert(TUN_NUM);

/** A request keel refuses to build (bad address, scheduler name too long): a programming or config error. */
export class IpvsRequestError extends Error {}

/** union nf_inet_addr: 16 bytes whatever the family */
function inetAddr(family: 4 | 6, text: string, what: string): Uint8Array {
  const a = parseAddress(family, text);
  if (!a) throw new IpvsRequestError(`${what}: "${text}" is not an IPv${family} address`);
  const out = new Uint8Array(16);
  out.set(a);
  return out;
}

function netmaskBytes(family: 4 | 6, netmask: number): Uint8Array {
  const b = new Uint8Array(4);
  // IPv4: a __be32 mask; IPv6: a prefix length in host order (ip_vs_ctl.c, ipvsadm's -M)
  new DataView(b.buffer).setUint32(0, netmask >>> 0, family === 6);
  return b;
}

function flagsBytes(flags: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, flags >>> 0, true);
  dv.setUint32(4, 0xffffffff, true); // mask: every flag is set as given
  return b;
}

function serviceName(k: IpvsServiceKey): string {
  if (k.fwmark !== undefined) return `FWM ${k.fwmark}${k.family === 6 ? " IPv6" : ""}`;
  const a = k.family === 6 ? `[${k.address}]` : k.address;
  return `${k.protocol ?? "TCP"} ${a}:${k.port ?? 0}`;
}

/** The identifying attributes (GET_DEST sends only these). */
function keyAttrs(k: IpvsServiceKey): [string, number | Uint8Array][] {
  const list: [string, number | Uint8Array][] = [["af", k.family === 6 ? AF_INET6 : AF_INET]];
  if (k.fwmark !== undefined) {
    list.push(["fwmark", k.fwmark]);
    return list;
  }
  if (k.address === undefined) throw new IpvsRequestError(`${serviceName(k)}: a service needs an address or a fwmark`);
  list.push(
    ["protocol", PROTO_NUM[k.protocol ?? "TCP"]],
    ["addr", inetAddr(k.family, k.address, serviceName(k))],
    ["port", k.port ?? 0],
  );
  return list;
}

/**
 * Every service attribute, as libipvs fills them for any command that names a service:
 * a destination or delete request carries the key with an empty scheduler, no flags,
 * timeout 0 and the full netmask (the kernel reads only the key then).
 */
function serviceAttrs(s: IpvsServiceKey & Partial<IpvsService>): AttrList {
  if (s.scheduler !== undefined && s.scheduler.length >= I.IP_VS_SCHEDNAME_MAXLEN)
    throw new IpvsRequestError(
      `${serviceName(s)}: scheduler "${s.scheduler}" is longer than ${I.IP_VS_SCHEDNAME_MAXLEN - 1} characters`,
    );
  if (s.pe !== undefined && s.pe.length >= I.IP_VS_PENAME_MAXLEN)
    throw new IpvsRequestError(
      `${serviceName(s)}: persistence engine "${s.pe}" is longer than ${I.IP_VS_PENAME_MAXLEN - 1} characters`,
    );
  const list: [string, number | string | Uint8Array][] = [...keyAttrs(s), ["schedName", s.scheduler ?? ""]];
  if (s.pe) list.push(["peName", s.pe]);
  list.push(
    ["flags", flagsBytes(s.flags ?? 0)],
    ["timeout", s.timeout ?? 0],
    ["netmask", netmaskBytes(s.family, s.netmask ?? (s.family === 6 ? 128 : 0xffffffff))],
  );
  return list;
}

function destAttrs(serviceFamily: 4 | 6, d: IpvsDest): AttrList {
  const family = d.family ?? serviceFamily;
  return [
    ["addrFamily", family === 6 ? AF_INET6 : AF_INET],
    ["addr", inetAddr(family, d.address, `real server ${d.address}`)],
    ["port", d.port],
    ["fwdMethod", METHOD_NUM[d.method]],
    ["weight", d.weight],
    ["tunType", TUN_NUM[d.tunType ?? "ipip"]],
    ["tunPort", d.tunPort ?? 0],
    ["tunFlags", d.tunFlags ?? 0],
    ["uThresh", d.upperThreshold],
    ["lThresh", d.lowerThreshold],
  ];
}

const REQ = NLM_F_REQUEST | NLM_F_ACK;

export type ServiceCmd = typeof I.IPVS_CMD_NEW_SERVICE | typeof I.IPVS_CMD_SET_SERVICE;
export type DestCmd = typeof I.IPVS_CMD_NEW_DEST | typeof I.IPVS_CMD_SET_DEST | typeof I.IPVS_CMD_DEL_DEST;

/** IPVS_CMD_NEW_SERVICE / SET_SERVICE with every field */
export function serviceRequest(family: number, seq: number, cmd: ServiceCmd, s: IpvsService): Uint8Array {
  return genlMessage(family, REQ, seq, cmd, I.IPVS_GENL_VERSION, encodeAttrs(IPVS_CMD, [["service", serviceAttrs(s)]]));
}

export function delServiceRequest(family: number, seq: number, k: IpvsServiceKey): Uint8Array {
  return genlMessage(
    family,
    REQ,
    seq,
    I.IPVS_CMD_DEL_SERVICE,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [["service", serviceAttrs(k)]]),
  );
}

/** IPVS_CMD_NEW_DEST / SET_DEST / DEL_DEST: the service's key, then the destination */
export function destRequest(family: number, seq: number, cmd: DestCmd, k: IpvsServiceKey, d: IpvsDest): Uint8Array {
  return genlMessage(
    family,
    REQ,
    seq,
    cmd,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [
      ["service", serviceAttrs(k)],
      ["dest", destAttrs(k.family, d)],
    ]),
  );
}

export function flushRequest(family: number, seq: number): Uint8Array {
  return genlMessage(family, REQ, seq, I.IPVS_CMD_FLUSH, I.IPVS_GENL_VERSION);
}

export function getInfoRequest(family: number, seq: number): Uint8Array {
  return genlMessage(family, REQ, seq, I.IPVS_CMD_GET_INFO, I.IPVS_GENL_VERSION);
}

export function dumpServicesRequest(family: number, seq: number): Uint8Array {
  return genlMessage(family, REQ | NLM_F_DUMP, seq, I.IPVS_CMD_GET_SERVICE, I.IPVS_GENL_VERSION);
}

export function dumpDestsRequest(family: number, seq: number, k: IpvsServiceKey): Uint8Array {
  return genlMessage(
    family,
    REQ | NLM_F_DUMP,
    seq,
    I.IPVS_CMD_GET_DEST,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [["service", keyAttrs(k)]]),
  );
}

/** IPVS_CMD_SET_CONFIG: the three protocol timeouts (ipvsadm --set; 0 keeps the current value) */
export function setTimeoutsRequest(family: number, seq: number, t: IpvsTimeouts): Uint8Array {
  return genlMessage(
    family,
    REQ,
    seq,
    I.IPVS_CMD_SET_CONFIG,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [
      ["timeoutTcp", t.tcp],
      ["timeoutTcpFin", t.tcpFin],
      ["timeoutUdp", t.udp],
    ]),
  );
}

export function getTimeoutsRequest(family: number, seq: number): Uint8Array {
  return genlMessage(family, REQ, seq, I.IPVS_CMD_GET_CONFIG, I.IPVS_GENL_VERSION);
}

const STATE_NUM = { master: I.IP_VS_STATE_MASTER, backup: I.IP_VS_STATE_BACKUP } as const;

/** IPVS_CMD_NEW_DAEMON, attributes in libipvs's order (ipvs_start_daemon) */
export function startDaemonRequest(family: number, seq: number, d: IpvsSyncDaemon): Uint8Array {
  if (d.interface.length >= I.IP_VS_IFNAME_MAXLEN)
    throw new IpvsRequestError(
      `sync daemon: interface name "${d.interface}" is longer than ${I.IP_VS_IFNAME_MAXLEN - 1} characters`,
    );
  const list: [string, number | string | Uint8Array][] = [
    ["state", STATE_NUM[d.state]],
    ["mcastIfn", d.interface],
    ["syncId", d.syncId],
  ];
  if (d.maxLen) list.push(["syncMaxlen", d.maxLen]);
  if (d.port) list.push(["mcastPort", d.port]);
  if (d.ttl) list.push(["mcastTtl", d.ttl]);
  if (d.group) {
    const v6 = d.group.includes(":");
    const a = parseAddress(v6 ? 6 : 4, d.group);
    if (!a) throw new IpvsRequestError(`sync daemon: "${d.group}" is not a multicast address`);
    list.push([v6 ? "mcastGroup6" : "mcastGroup", a]);
  }
  return genlMessage(
    family,
    REQ,
    seq,
    I.IPVS_CMD_NEW_DAEMON,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [["daemon", list]]),
  );
}

/** IPVS_CMD_DEL_DAEMON: the role alone */
export function stopDaemonRequest(family: number, seq: number, state: IpvsSyncDaemon["state"]): Uint8Array {
  return genlMessage(
    family,
    REQ,
    seq,
    I.IPVS_CMD_DEL_DAEMON,
    I.IPVS_GENL_VERSION,
    encodeAttrs(IPVS_CMD, [["daemon", [["state", STATE_NUM[state]]]]]),
  );
}

export function dumpDaemonsRequest(family: number, seq: number): Uint8Array {
  return genlMessage(family, REQ | NLM_F_DUMP, seq, I.IPVS_CMD_GET_DAEMON, I.IPVS_GENL_VERSION);
}

/** how a request is named in errors, the way ipvsadm's arguments name it */
export function describeService(k: IpvsServiceKey): string {
  return serviceName(k);
}

// ---------------------------------------------------------------- replies

function stats(v: DecodedAttrs["x"]): IpvsStats | undefined {
  if (!v || typeof v !== "object" || v instanceof Uint8Array || Array.isArray(v)) return undefined;
  const a = v as DecodedAttrs;
  const big = (x: unknown): bigint => (typeof x === "bigint" ? x : typeof x === "number" ? BigInt(x) : 0n);
  return {
    conns: big(a.conns),
    inPackets: big(a.inPackets),
    outPackets: big(a.outPackets),
    inBytes: big(a.inBytes),
    outBytes: big(a.outBytes),
    cps: big(a.cps),
    inPps: big(a.inPps),
    outPps: big(a.outPps),
    inBps: big(a.inBps),
    outBps: big(a.outBps),
  };
}

function familyOf(af: unknown, where: string): Result<4 | 6> {
  if (af === AF_INET) return ok(4);
  if (af === AF_INET6) return ok(6);
  return fail("unsupported", `${where}: address family ${String(af)}`);
}

function addrText(family: 4 | 6, b: unknown, where: string): Result<string> {
  if (!(b instanceof Uint8Array)) return fail("bad-message", `${where}: no address`);
  const s = formatAddress(family === 4 ? b.subarray(0, 4) : b);
  return s === undefined ? fail("bad-attribute", `${where}: bad address`) : ok(s);
}

function commandAttrs(payload: Uint8Array, want: number, what: string): Result<DecodedAttrs> {
  const g = splitGenl(payload);
  if (!g.ok) return g;
  if (g.value.cmd !== want) return fail("bad-message", `${what}: unexpected command ${g.value.cmd}`);
  return decodeAttrs(IPVS_CMD, g.value.attrs);
}

/** One IPVS_CMD_NEW_SERVICE message of a GET_SERVICE dump. */
export function decodeService(payload: Uint8Array): Result<IpvsServiceInfo> {
  const top = commandAttrs(payload, I.IPVS_CMD_NEW_SERVICE, "IPVS service");
  if (!top.ok) return top;
  const a = top.value.service as DecodedAttrs | undefined;
  if (!a || typeof a !== "object") return fail("bad-message", "IPVS service: no IPVS_CMD_ATTR_SERVICE");
  const fam = familyOf(a.af, "IPVS service");
  if (!fam.ok) return fam;
  const family = fam.value;
  const flagsRaw =
    a.flags instanceof Uint8Array ? new DataView(a.flags.buffer, a.flags.byteOffset, 8).getUint32(0, true) : 0;
  const mask =
    a.netmask instanceof Uint8Array
      ? new DataView(a.netmask.buffer, a.netmask.byteOffset, 4).getUint32(0, family === 6)
      : family === 6
        ? 128
        : 0xffffffff;
  const s: IpvsServiceInfo = {
    family,
    scheduler: typeof a.schedName === "string" ? a.schedName : "",
    flags: flagsRaw,
    timeout: typeof a.timeout === "number" ? a.timeout : 0,
    netmask: mask,
  };
  if (typeof a.fwmark === "number" && a.fwmark !== 0) s.fwmark = a.fwmark;
  else {
    const proto = PROTO_NAME.get(a.protocol as number);
    if (!proto) return fail("unsupported", `IPVS service: protocol ${String(a.protocol)}`);
    const addr = addrText(family, a.addr, "IPVS service");
    if (!addr.ok) return addr;
    s.protocol = proto;
    s.address = addr.value;
    s.port = typeof a.port === "number" ? a.port : 0;
  }
  if (typeof a.peName === "string" && a.peName !== "") s.pe = a.peName;
  const st = stats(a.stats64) ?? stats(a.stats);
  if (st) s.stats = st;
  return ok(s);
}

/** One IPVS_CMD_NEW_DEST message of a GET_DEST dump (serviceFamily: a dest without ADDR_FAMILY, before Linux 5.3, has the service's). */
export function decodeDest(payload: Uint8Array, serviceFamily: 4 | 6): Result<IpvsDestInfo> {
  const top = commandAttrs(payload, I.IPVS_CMD_NEW_DEST, "IPVS destination");
  if (!top.ok) return top;
  const a = top.value.dest as DecodedAttrs | undefined;
  if (!a || typeof a !== "object") return fail("bad-message", "IPVS destination: no IPVS_CMD_ATTR_DEST");
  const fam = a.addrFamily === undefined ? ok(serviceFamily) : familyOf(a.addrFamily, "IPVS destination");
  if (!fam.ok) return fam;
  const addr = addrText(fam.value, a.addr, "IPVS destination");
  if (!addr.ok) return addr;
  const fwd = typeof a.fwdMethod === "number" ? a.fwdMethod & I.IP_VS_CONN_F_FWD_MASK : 0;
  const num = (x: unknown): number => (typeof x === "number" ? x : 0);
  const d: IpvsDestInfo = {
    address: addr.value,
    port: num(a.port),
    weight: num(a.weight),
    method: METHOD_NAME.get(fwd) ?? "NAT",
    upperThreshold: num(a.uThresh),
    lowerThreshold: num(a.lThresh),
    activeConns: num(a.activeConns),
    inactiveConns: num(a.inactConns),
    persistentConns: num(a.persistConns),
  };
  if (fam.value !== serviceFamily) d.family = fam.value;
  if (d.method === "TUN") {
    d.tunType = TUN_NAME.get(num(a.tunType)) ?? "ipip";
    if (num(a.tunPort)) d.tunPort = num(a.tunPort);
    if (num(a.tunFlags)) d.tunFlags = num(a.tunFlags);
  }
  const st = stats(a.stats64) ?? stats(a.stats);
  if (st) d.stats = st;
  return ok(d);
}

/** The IPVS_CMD_SET_INFO reply to GET_INFO: version (as ipvsadm prints it, "1.2.1") and the connection table size. */
export function decodeInfo(payload: Uint8Array): Result<{ version: string; connTabSize: number }> {
  const g = splitGenl(payload);
  if (!g.ok) return g;
  if (g.value.cmd !== I.IPVS_CMD_SET_INFO) return fail("bad-message", `IPVS info: unexpected command ${g.value.cmd}`);
  const a = decodeAttrs(IPVS_INFO, g.value.attrs);
  if (!a.ok) return a;
  const v = typeof a.value.version === "number" ? a.value.version : 0;
  return ok({
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTabSize: typeof a.value.connTabSize === "number" ? a.value.connTabSize : 0,
  });
}

/** The GET_CONFIG reply (IPVS_CMD_SET_CONFIG with the three timeouts). */
export function decodeTimeouts(payload: Uint8Array): Result<IpvsTimeouts> {
  const top = commandAttrs(payload, I.IPVS_CMD_SET_CONFIG, "IPVS timeouts");
  if (!top.ok) return top;
  const n = (x: unknown) => (typeof x === "number" ? x : 0);
  return ok({ tcp: n(top.value.timeoutTcp), tcpFin: n(top.value.timeoutTcpFin), udp: n(top.value.timeoutUdp) });
}

/** One IPVS_CMD_NEW_DAEMON message of a GET_DAEMON dump. */
export function decodeDaemon(payload: Uint8Array): Result<IpvsSyncDaemon> {
  const top = commandAttrs(payload, I.IPVS_CMD_NEW_DAEMON, "IPVS sync daemon");
  if (!top.ok) return top;
  const a = top.value.daemon as DecodedAttrs | undefined;
  if (!a || typeof a !== "object") return fail("bad-message", "IPVS sync daemon: no IPVS_CMD_ATTR_DAEMON");
  const state = a.state === I.IP_VS_STATE_MASTER ? "master" : a.state === I.IP_VS_STATE_BACKUP ? "backup" : undefined;
  if (!state) return fail("bad-attribute", `IPVS sync daemon: state ${String(a.state)}`);
  const d: IpvsSyncDaemon = {
    state,
    interface: typeof a.mcastIfn === "string" ? a.mcastIfn : "",
    syncId: typeof a.syncId === "number" ? a.syncId : 0,
  };
  if (typeof a.syncMaxlen === "number") d.maxLen = a.syncMaxlen;
  if (typeof a.mcastPort === "number") d.port = a.mcastPort;
  if (typeof a.mcastTtl === "number") d.ttl = a.mcastTtl;
  const g =
    a.mcastGroup6 instanceof Uint8Array
      ? formatAddress(a.mcastGroup6)
      : a.mcastGroup instanceof Uint8Array
        ? formatAddress(a.mcastGroup)
        : undefined;
  // the kernel reports the group it uses; :: / 0.0.0.0 only when none was ever set
  if (g && g !== "::" && g !== "0.0.0.0") d.group = g;
  return ok(d);
}
