/**
 * IPVS attribute layouts as data for the netlink codec (<linux/ip_vs.h>, and the kernel's
 * ip_vs_svc_policy / ip_vs_dest_policy in net/netfilter/ipvs/ip_vs_ctl.c). Ports are in
 * network byte order; addresses are a 16-byte union nf_inet_addr whatever the family;
 * NETMASK is a __be32 mask for IPv4 and a host-order prefix length for IPv6, so it is
 * carried as bytes and interpreted by messages.ts.
 */
import type { AttrSchema } from "../netlink/codec";
import { NLA_F_NESTED } from "../netlink/constants";
import * as I from "./constants";

export const IPVS_STATS: AttrSchema = {
  name: "IPVS_STATS",
  attrs: {
    conns: { type: I.IPVS_STATS_ATTR_CONNS, kind: "u32" },
    inPackets: { type: I.IPVS_STATS_ATTR_INPKTS, kind: "u32" },
    outPackets: { type: I.IPVS_STATS_ATTR_OUTPKTS, kind: "u32" },
    inBytes: { type: I.IPVS_STATS_ATTR_INBYTES, kind: "u64" },
    outBytes: { type: I.IPVS_STATS_ATTR_OUTBYTES, kind: "u64" },
    cps: { type: I.IPVS_STATS_ATTR_CPS, kind: "u32" },
    inPps: { type: I.IPVS_STATS_ATTR_INPPS, kind: "u32" },
    outPps: { type: I.IPVS_STATS_ATTR_OUTPPS, kind: "u32" },
    inBps: { type: I.IPVS_STATS_ATTR_INBPS, kind: "u32" },
    outBps: { type: I.IPVS_STATS_ATTR_OUTBPS, kind: "u32" },
  },
};

/** IPVS_SVC_ATTR_STATS64 / IPVS_DEST_ATTR_STATS64: the same counters, all 64-bit (Linux 4.1+) */
export const IPVS_STATS64: AttrSchema = {
  name: "IPVS_STATS64",
  attrs: Object.fromEntries(Object.entries(IPVS_STATS.attrs).map(([k, v]) => [k, { ...v, kind: "u64" as const }])),
};

export const IPVS_SVC: AttrSchema = {
  name: "IPVS_SVC_ATTR",
  attrs: {
    af: { type: I.IPVS_SVC_ATTR_AF, kind: "u16" },
    protocol: { type: I.IPVS_SVC_ATTR_PROTOCOL, kind: "u16" },
    addr: { type: I.IPVS_SVC_ATTR_ADDR, kind: "binary", sizes: [16] },
    port: { type: I.IPVS_SVC_ATTR_PORT, kind: "be16" },
    fwmark: { type: I.IPVS_SVC_ATTR_FWMARK, kind: "u32" },
    schedName: { type: I.IPVS_SVC_ATTR_SCHED_NAME, kind: "string" },
    /** struct ip_vs_flags { __u32 flags; __u32 mask; } */
    flags: { type: I.IPVS_SVC_ATTR_FLAGS, kind: "binary", sizes: [8] },
    timeout: { type: I.IPVS_SVC_ATTR_TIMEOUT, kind: "u32" },
    netmask: { type: I.IPVS_SVC_ATTR_NETMASK, kind: "binary", sizes: [4] },
    stats: { type: I.IPVS_SVC_ATTR_STATS, kind: "nested", nested: IPVS_STATS },
    peName: { type: I.IPVS_SVC_ATTR_PE_NAME, kind: "string" },
    stats64: { type: I.IPVS_SVC_ATTR_STATS64, kind: "nested", nested: IPVS_STATS64 },
  },
};

export const IPVS_DEST: AttrSchema = {
  name: "IPVS_DEST_ATTR",
  attrs: {
    addr: { type: I.IPVS_DEST_ATTR_ADDR, kind: "binary", sizes: [16] },
    port: { type: I.IPVS_DEST_ATTR_PORT, kind: "be16" },
    fwdMethod: { type: I.IPVS_DEST_ATTR_FWD_METHOD, kind: "u32" },
    weight: { type: I.IPVS_DEST_ATTR_WEIGHT, kind: "u32" },
    uThresh: { type: I.IPVS_DEST_ATTR_U_THRESH, kind: "u32" },
    lThresh: { type: I.IPVS_DEST_ATTR_L_THRESH, kind: "u32" },
    activeConns: { type: I.IPVS_DEST_ATTR_ACTIVE_CONNS, kind: "u32" },
    inactConns: { type: I.IPVS_DEST_ATTR_INACT_CONNS, kind: "u32" },
    persistConns: { type: I.IPVS_DEST_ATTR_PERSIST_CONNS, kind: "u32" },
    stats: { type: I.IPVS_DEST_ATTR_STATS, kind: "nested", nested: IPVS_STATS },
    addrFamily: { type: I.IPVS_DEST_ATTR_ADDR_FAMILY, kind: "u16" },
    stats64: { type: I.IPVS_DEST_ATTR_STATS64, kind: "nested", nested: IPVS_STATS64 },
    tunType: { type: I.IPVS_DEST_ATTR_TUN_TYPE, kind: "u8" },
    tunPort: { type: I.IPVS_DEST_ATTR_TUN_PORT, kind: "be16" },
    tunFlags: { type: I.IPVS_DEST_ATTR_TUN_FLAGS, kind: "u16" },
  },
};

export const IPVS_DAEMON: AttrSchema = {
  name: "IPVS_DAEMON_ATTR",
  attrs: {
    state: { type: I.IPVS_DAEMON_ATTR_STATE, kind: "u32" },
    mcastIfn: { type: I.IPVS_DAEMON_ATTR_MCAST_IFN, kind: "string" },
    syncId: { type: I.IPVS_DAEMON_ATTR_SYNC_ID, kind: "u32" },
    syncMaxlen: { type: I.IPVS_DAEMON_ATTR_SYNC_MAXLEN, kind: "u16" },
    /** struct in_addr, network order */
    mcastGroup: { type: I.IPVS_DAEMON_ATTR_MCAST_GROUP, kind: "binary", sizes: [4] },
    mcastGroup6: { type: I.IPVS_DAEMON_ATTR_MCAST_GROUP6, kind: "binary", sizes: [16] },
    /** host order (ip_vs_sync.c converts it with cpu_to_be16) */
    mcastPort: { type: I.IPVS_DAEMON_ATTR_MCAST_PORT, kind: "u16" },
    mcastTtl: { type: I.IPVS_DAEMON_ATTR_MCAST_TTL, kind: "u8" },
  },
};

/** The command's top-level attributes. The nests carry NLA_F_NESTED, as libipvs (ipvsadm, keepalived) sends them. */
export const IPVS_CMD: AttrSchema = {
  name: "IPVS_CMD_ATTR",
  attrs: {
    service: { type: I.IPVS_CMD_ATTR_SERVICE, kind: "nested", nested: IPVS_SVC, flags: NLA_F_NESTED },
    dest: { type: I.IPVS_CMD_ATTR_DEST, kind: "nested", nested: IPVS_DEST, flags: NLA_F_NESTED },
    daemon: { type: I.IPVS_CMD_ATTR_DAEMON, kind: "nested", nested: IPVS_DAEMON, flags: NLA_F_NESTED },
    timeoutTcp: { type: I.IPVS_CMD_ATTR_TIMEOUT_TCP, kind: "u32" },
    timeoutTcpFin: { type: I.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, kind: "u32" },
    timeoutUdp: { type: I.IPVS_CMD_ATTR_TIMEOUT_UDP, kind: "u32" },
  },
};

export const IPVS_INFO: AttrSchema = {
  name: "IPVS_INFO_ATTR",
  attrs: {
    version: { type: I.IPVS_INFO_ATTR_VERSION, kind: "u32" },
    connTabSize: { type: I.IPVS_INFO_ATTR_CONN_TAB_SIZE, kind: "u32" },
  },
};
