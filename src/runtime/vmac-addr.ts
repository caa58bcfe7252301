/**
 * Where an instance's VIPs and eVIPs go, and the "address VMACs" they may need: keepalived
 * 2.2.7 vrrp.c vrrp_complete_instance, the loop over vip/evip. Pure: the driver creates
 * the interfaces this plans and looks each address up here.
 *
 * The rules, in keepalived's order:
 * - an address without `dev` (or with the instance's own `interface`) of the instance's
 *   family goes on the instance's VMAC when `use_vmac`, else on the interface;
 * - it gets a VMAC of its own (an "address VMAC") on its interface when it says `use_vmac`,
 *   or when the instance says `use_vmac_addr` and the address is on another interface or
 *   of the other family;
 * - an address VMAC is a private macvlan with the instance's VMAC MAC (use_vmac's MAC, else
 *   RFC 5798 7.3's 00-00-5E-00-01|02-VRID for the address's family), shared by every
 *   address of that family on that interface (if_get_by_vmac), named PREFIX.VRID where
 *   PREFIX is `vmac_addr_prefix`, else `vmac_prefix`, else "vrrp", and PREFIXn.VRID while
 *   that name is taken (create_vmac_name: IPv6 tries 6 first, then 1, 2, ...); a private
 *   macvlan already on that interface with that MAC (a leftover) is that VMAC, reused as it
 *   is under its name (vrrp_if.c if_get_by_vmac: nothing said, nothing changed);
 * - `garp_extra_if SECS [all]` (else global `vrrp_garp_extra_if`): while MASTER, one GARP/NA
 *   every SECS on each VMAC holding an address other than the instance's own interface
 *   (with `all`: on every such interface), the first address there; keepalived turns it off
 *   when there is no address VMAC (nor, with `all`, another interface).
 */
import type { GlobalDefs } from "../config/global/model";
import type { VirtualAddress, VrrpInstance } from "../config/vrrp/model";
import { chooseVmacName } from "./vmac-name";

export interface AddrVmac {
  name: string;
  /** the interface it is a macvlan of */
  base: string;
  family: 4 | 6;
  mac: Uint8Array;
  /** a leftover's ifindex: reused, not created */
  ifindex?: number;
}

export interface VipPlacement {
  /**
   * the interface of each address, by vipKey (none: no interface for it); the driver keeps
   * only those off its default (vrrp-driver.ts exceptDefaults)
   */
  devOf: ReadonlyMap<string, string>;
  /** address VMACs to create, in the order keepalived creates them */
  vmacs: AddrVmac[];
  /** configuration choices keepalived reports (logged once at set-up) */
  notes: string[];
  /** garp_extra_if in effect: seconds (0: none), and the first address on each interface it sends on */
  extraGarp: { intervalS: number; addresses: string[] };
}

export function vipKey(va: VirtualAddress): string {
  return `${va.address}/${va.prefix}`;
}

/** keepalived ll_addr / use_vmac MAC: the configured one (5 octets: the VRID is the 6th), else RFC 5798 7.3. */
export function vmacMac(v: VrrpInstance, family: 4 | 6): Uint8Array {
  const text = v.useVmac?.mac;
  if (text !== undefined) {
    const b = text
      .replace(/:$/, "")
      .split(":")
      .map((p) => Number.parseInt(p, 16));
    if (b.length === 5) b.push(v.virtualRouterId);
    return new Uint8Array(b);
  }
  return new Uint8Array([0x00, 0x00, 0x5e, 0x00, family === 6 ? 0x02 : 0x01, v.virtualRouterId]);
}

/** create_vmac_name with vmac_addr_prefix: the one rule in vmac-name.ts (chooseVmacName). */
export function addrVmacName(prefix: string, vrid: number, family: 4 | 6, taken: (name: string) => boolean): string {
  return chooseVmacName(prefix, family, vrid, taken);
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The placement of `v`'s addresses. `family` is the instance's; `ownVmac` the name of its
 * use_vmac interface (when it has one); `taken` says whether an interface name is in use
 * by anything (the driver asks the link table and the other instances' VMAC names);
 * `leftover` finds a kernel VMAC to reuse for an interface and MAC (if_get_by_vmac).
 */
export function placeVips(
  v: VrrpInstance,
  g: GlobalDefs,
  family: 4 | 6,
  ownVmac: string | undefined,
  taken: (name: string) => boolean,
  leftover?: (base: string, mac: Uint8Array) => { name: string; ifindex: number } | undefined,
): VipPlacement {
  const devOf = new Map<string, string>();
  const vmacs: AddrVmac[] = [];
  const notes: string[] = [];
  const ifname = v.interface;
  const prefix = g.vmacAddrPrefix ?? g.vmacPrefix ?? "vrrp";
  let extraVmac = false;
  let extraIf = false;
  const ifOf = (va: VirtualAddress): string | undefined => {
    const own = va.dev === undefined || va.dev === ifname;
    let useVmac = !!va.useVmac;
    if (useVmac && own && v.useVmac && va.family === family) {
      notes.push(`(${v.name}) use_vmac specified for VIP/eVIP ${vipKey(va)} and vrrp instance`);
      useVmac = false;
    } else if (useVmac && (!own || va.family !== family) && v.useVmacAddr)
      notes.push(`(${v.name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP ${vipKey(va)}`);
    const base = own ? ifname : va.dev;
    if (base === undefined) return undefined;
    if (own && v.useVmac && va.family === family) return ownVmac ?? base;
    const vmac = own ? useVmac || (v.useVmacAddr && va.family !== family) : useVmac || v.useVmacAddr;
    if (!vmac) return base;
    const mac = vmacMac(v, va.family);
    const found = vmacs.find((x) => x.base === base && sameMac(x.mac, mac));
    if (found) return found.name;
    const left = leftover?.(base, mac);
    if (left) {
      vmacs.push({ name: left.name, base, family: va.family, mac, ifindex: left.ifindex });
      return left.name;
    }
    const name = addrVmacName(prefix, v.virtualRouterId, va.family, (n) => taken(n) || vmacs.some((x) => x.name === n));
    vmacs.push({ name, base, family: va.family, mac });
    return name;
  };
  const own = (v.useVmac ? ownVmac : undefined) ?? ifname;
  /** per interface: its first address, and whether it is a VMAC (keepalived is_ours) */
  const extra = new Map<string, { address: string; ours: boolean }>();
  for (const va of [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]) {
    const dev = ifOf(va);
    if (dev === undefined) continue;
    devOf.set(vipKey(va), dev);
    const ours = dev === ownVmac || vmacs.some((x) => x.name === dev);
    if (dev !== own) {
      if (ours) extraVmac = true;
      else extraIf = true;
    }
    if (!extra.has(dev)) extra.set(dev, { address: va.address, ours });
  }
  const setting = v.garpExtraIf ?? g.vrrpGarpExtraIf;
  let intervalS = setting?.interval ?? 0;
  const all = !!setting?.all;
  // vrrp.c: "If there are no extra interfaces, disable vmac_garp_intvl"
  if ((!extraIf && !extraVmac) || (!extraVmac && !all)) intervalS = 0;
  // vrrp_send_vmac_update: VMACs only unless `all`; not the instance's own interface unless vmac_xmit_base
  const addresses = [...extra]
    .filter(([dev, x]) => (x.ours || all) && (dev !== own || (v.vmacXmitBase && !!v.useVmac)))
    .map(([, x]) => x.address);
  return { devOf, vmacs, notes, extraGarp: { intervalS, addresses } };
}
