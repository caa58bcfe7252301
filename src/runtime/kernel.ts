/**
 * What the VRRP driver needs from the kernel, as one interface. The Linux
 * implementation (kernel-linux.ts) is native-bindings/; keeping the driver on this
 * interface keeps src/runtime free of FFI and states exactly which kernel effects an
 * engine action has.
 */
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";

export interface Link {
  ifindex: number;
  name: string;
  /** IFF_UP && IFF_RUNNING: keepalived's IF_ISUP */
  up: boolean;
  mac?: Uint8Array;
  kind?: string;
}

export interface IfAddress {
  ifindex: number;
  family: 4 | 6;
  address: string;
  prefixLen: number;
  /** RT_SCOPE_*: 253 link, 0 universe, 254 host */
  scope: number;
  /** IFA_F_SECONDARY etc. */
  flags: number;
}

/** A received VRRP datagram (see native-bindings/vrrp-socket.ts). */
export interface RxDatagram {
  data: Uint8Array;
  ifindex: number;
  family: 4 | 6;
  src?: Uint8Array;
  dst?: Uint8Array;
  hopLimit?: number;
}

export interface VrrpChannel {
  readonly ifname: string;
  readonly family: 4 | 6;
  send(dst: string, data: Uint8Array): void;
  close(): void;
}

export interface ChannelOptions {
  family: 4 | 6;
  ifname: string;
  /** IP protocol: 112 VRRP, 51 AH (VRRPv2 auth_type AH) */
  proto: 112 | 51;
  /** multicast groups to join on the interface */
  groups: string[];
  onPacket(rx: RxDatagram): void;
  onError(e: Error): void;
}

export type KernelEvent =
  | { type: "link"; action: "new" | "del"; link: Link }
  | { type: "addr"; action: "new" | "del"; addr: IfAddress }
  | { type: "overrun" };

export interface Kernel {
  links(): Link[];
  addresses(): IfAddress[];
  openChannel(o: ChannelOptions): VrrpChannel;
  /** add (or, with `del`, remove) a VIP; returns an error message, or undefined */
  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): string | undefined;
  /** many VIPs in one netlink batch; one result per item */
  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (string | undefined)[];
  route(op: "add" | "del", r: Route, ifindexOf: (name: string) => number | undefined): string | undefined;
  rule(op: "add" | "del", r: Rule): string | undefined;
  garp(ifname: string, address: string, family: 4 | 6): string | undefined;
  createVmac(name: string, link: number, mac: Uint8Array): number;
  deleteLink(ifindex: number): void;
  setLinkUp(ifindex: number, up: boolean): void;
  watch(onEvent: (e: KernelEvent) => void): () => void;
  close(): void;
}
