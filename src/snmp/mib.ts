/**
 * What a MIB module keel serves over AgentX (RFC 2741) is, apart from the agent that
 * serves it: a subtree root and a pure function from keel's state to the subtree's
 * variable bindings, sorted by OID. The agent (src/snmp/agent*) answers Get, GetNext and
 * GetBulk from these lists and sends notifications; the MIB modules (KEEPALIVED-MIB,
 * VRRP-MIB of RFC 2787, VRRPv3-MIB of RFC 6527) know nothing of sockets or BER, so each
 * is tested by comparing its varbinds with what keepalived 2.2.7 serves for the same
 * configuration.
 */
import type { KeelConfig } from "../config/model";
import type { Event, Status } from "../control/protocol";
import type { SetVarbind } from "./agentx";
import type { SetCheck } from "./write-set";

/** The SMIv2 types a varbind can carry (RFC 2578 7.1), as net-snmp's ObjectType names them. */
export type SnmpType =
  | "Integer"
  | "OctetString"
  | "ObjectIdentifier"
  | "IpAddress"
  | "Counter32"
  | "Gauge32"
  | "TimeTicks"
  | "Counter64";

export type Oid = readonly number[];

export interface Varbind {
  oid: Oid;
  type: SnmpType;
  /** Integer/Counter32/Gauge32/TimeTicks: number; Counter64: bigint; OctetString: string or
   * bytes; IpAddress: dotted quad; ObjectIdentifier: an Oid. */
  value: number | bigint | string | Uint8Array | Oid;
}

/** Everything a MIB module may read. Pure data: a module never asks the daemon anything. */
export interface SnmpSource {
  config: KeelConfig;
  status: Status;
  /** Wall clock (ms since the epoch) of this read: TimeTicks are computed from it. */
  now: number;
  /**
   * The host as keepalived reads it at start: `name` (uname's nodename: the default
   * router_id) and `user` (the effective user's name: the default
   * notification_email_from is user@name). Absent: neither default is served.
   */
  host?: { name: string; user: string };
  /** ifindex by interface name, as the kernel last told (KEEPALIVED-MIB's ifIndex columns; absent: 0) */
  interfaces?: ReadonlyMap<string, number>;
  /**
   * A script's first word as keepalived stores it: searched in PATH and, unless
   * use_symlink_paths, resolved to its real path (/bin/true → /usr/bin/true). Absent: as
   * written.
   */
  programPath?: (word: string) => string;
}

export interface MibModule {
  /** e.g. "KEEPALIVED-MIB vrrp", for logs */
  name: string;
  /** The subtree registered with the master agent. */
  root: Oid;
  /** sysORDescr of its sysORTable row (default "The MIB module for " + name) */
  description?: string;
  /** Every varbind under root, sorted by OID (compareOids). */
  varbinds(source: SnmpSource): Varbind[];
  /**
   * keepalived's write methods for this subtree (src/snmp/write-set.ts): what a set of `vb`
   * would do, or why not. Absent: every object is read-only (notWritable).
   */
  testSet?(vb: SetVarbind, source: SnmpSource): SetCheck;
  /** The notifications (RFC 3416 4.2.6: snmpTrapOID.0 first) this event raises, if any. */
  notifications?(event: Event, source: SnmpSource): Notification[];
}

export interface Notification {
  /** snmpTrapOID.0's value */
  trapOid: Oid;
  varbinds: Varbind[];
}

/** Lexicographic OID order (RFC 2578 7.7): the order GetNext walks. */
export function compareOids(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function parseOid(text: string): Oid {
  return text
    .replace(/^\./, "")
    .split(".")
    .map((part) => {
      const n = Number(part);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`bad OID ${text}: ${part}`);
      return n;
    });
}

export function formatOid(oid: Oid): string {
  return oid.join(".");
}
