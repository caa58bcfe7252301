/**
 * The IPVS table as keel wants it: services and their destinations, in the shape
 * native-bindings/ipvs speaks (structurally the same fields, so the runtime passes
 * these straight through). Pure data; src/lvs never touches the kernel.
 */

export type Protocol = "TCP" | "UDP" | "SCTP";
export type Method = "NAT" | "DR" | "TUN";
/** what a kernel table may hold: LOCAL and BYPASS only in tables someone else made */
export type KernelMethod = Method | "LOCAL" | "BYPASS";

/** What identifies a service in IPVS: (family, protocol, address, port) or (family, fwmark). */
export interface ServiceKey {
  family: 4 | 6;
  protocol?: Protocol;
  address?: string;
  port?: number;
  fwmark?: number;
}

/** include/uapi/linux/ip_vs.h IP_VS_SVC_F_* */
export const SVC_F = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

export interface Service extends ServiceKey {
  scheduler: string;
  /** IP_VS_SVC_F_* (HASHED is the kernel's own and ignored when comparing) */
  flags: number;
  /** persistence timeout, seconds (0: not persistent) */
  timeout: number;
  /** IPv4: the mask as a uint32; IPv6: the prefix length */
  netmask: number;
  pe?: string;
}

export interface Dest {
  address: string;
  port: number;
  /** only when it differs from the service's (IPv4 real servers of an IPv6 TUN service) */
  family?: 4 | 6;
  weight: number;
  method: KernelMethod;
  upperThreshold: number;
  lowerThreshold: number;
  tunType?: "ipip" | "gue" | "gre";
  tunPort?: number;
  tunFlags?: number;
}

export interface ServiceEntry {
  service: Service;
  dests: Dest[];
}

export function serviceId(k: ServiceKey): string {
  if (k.fwmark !== undefined) return `fwmark:${k.family}:${k.fwmark}`;
  return `${k.protocol}:${k.family === 6 ? `[${k.address}]` : k.address}:${k.port ?? 0}`;
}

export function destId(d: { address: string; port: number }): string {
  return d.address.includes(":") ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}
