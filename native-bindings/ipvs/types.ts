/**
 * IPVS services and destinations as keel reads and writes them. src/lvs/table.ts uses the
 * same field names and values, so the runtime passes its objects straight through.
 */
export type IpvsProtocol = "TCP" | "UDP" | "SCTP";
/** IP_VS_CONN_F_MASQ / DROUTE / TUNNEL; LOCAL and BYPASS only appear when reading a table someone else made */
export type IpvsMethod = "NAT" | "DR" | "TUN" | "LOCAL" | "BYPASS";
export type IpvsTunType = "ipip" | "gue" | "gre";

/** What identifies a service: (family, protocol, address, port) or (family, fwmark). */
export interface IpvsServiceKey {
  family: 4 | 6;
  protocol?: IpvsProtocol;
  address?: string;
  port?: number;
  fwmark?: number;
}

export interface IpvsService extends IpvsServiceKey {
  scheduler: string;
  /** IP_VS_SVC_F_* */
  flags: number;
  /** persistence timeout in seconds */
  timeout: number;
  /** IPv4: the mask as a uint32 (0xffffff00 for /24); IPv6: the prefix length */
  netmask: number;
  /** persistence engine ("sip") */
  pe?: string;
}

export interface IpvsStats {
  conns: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  /** rates, per second, as the kernel estimates them */
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export interface IpvsDest {
  address: string;
  port: number;
  /** only when it differs from the service's (IPv4 real servers of an IPv6 TUN service) */
  family?: 4 | 6;
  weight: number;
  method: IpvsMethod;
  upperThreshold: number;
  lowerThreshold: number;
  tunType?: IpvsTunType;
  tunPort?: number;
  tunFlags?: number;
}

/** A destination as read back: its connection counts and statistics too. */
export interface IpvsDestInfo extends IpvsDest {
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats?: IpvsStats;
}

export interface IpvsServiceInfo extends IpvsService {
  stats?: IpvsStats;
}

export interface IpvsEntry {
  service: IpvsServiceInfo;
  dests: IpvsDestInfo[];
}

/** IPVS protocol timeouts in seconds (ipvsadm --set); 0 in a request leaves that one as it is */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** A connection synchronisation daemon (ipvsadm --start-daemon) */
export interface IpvsSyncDaemon {
  state: "master" | "backup";
  /** the interface its multicast goes through */
  interface: string;
  syncId: number;
  /** kernel defaults when unset: maxlen from the MTU, port 8848, TTL 1, group 224.0.0.81 */
  maxLen?: number;
  port?: number;
  ttl?: number;
  group?: string;
}

/** One change to the table (src/lvs/diff.ts's IpvsOp has the same shape). */
export type IpvsChange =
  | { op: "add-service"; service: IpvsService }
  | { op: "edit-service"; service: IpvsService }
  | { op: "del-service"; key: IpvsServiceKey }
  | { op: "add-dest"; key: IpvsServiceKey; dest: IpvsDest }
  | { op: "edit-dest"; key: IpvsServiceKey; dest: IpvsDest }
  | { op: "del-dest"; key: IpvsServiceKey; dest: IpvsDest };
