/**
 * The VRRP firewall on the kernel: firewall-plan.ts's steps applied through nf_tables
 * (native-bindings/nftables), each as one batch (all of it or nothing), the plan's state
 * kept only when the kernel took the batch. Failures are values (KernelError) for the
 * driver to log and count; the driver's reconcile then asks again (keepalived does not
 * retry: a refused batch there leaves the VIP reachable until the next transition).
 *
 * The port (nft-port.ts on Linux) opens at first use (keepalived opens its socket with the
 * first rule), so a configuration that needs no firewall never touches nf_tables.
 */
import type { NftFamily, NftOp } from "../../native-bindings/nftables";
import type { KernelError, KernelResult } from "./kernel";
import {
  EMPTY,
  type FirewallAddress,
  type FirewallSettings,
  type FirewallState,
  type FirewallVmac,
  type Step,
  addAddresses,
  addVmac,
  cleanup,
  removeAddresses,
  removeVmac,
} from "./firewall-plan";

export interface NftPort {
  apply(ops: readonly NftOp[]): KernelError | undefined;
  tableExists(family: NftFamily, table: string): KernelResult<boolean>;
  close(): void;
}

export class VipFirewall {
  private state: FirewallState = EMPTY;
  private port?: NftPort;
  /** what each instance put in the sets, by address: removed as it was added */
  private readonly held = new Map<string, Map<string, FirewallAddress>>();

  constructor(
    readonly settings: FirewallSettings,
    private readonly open: () => KernelResult<NftPort>,
  ) {}

  /** The instance's VIPs into the drop sets (before they go up). */
  add(instance: string, addrs: readonly FirewallAddress[]): KernelError | undefined {
    const err = this.plan((exists) => addAddresses(this.settings, this.state, instance, addrs, exists));
    if (err) return err;
    const mine = this.held.get(instance) ?? new Map<string, FirewallAddress>();
    for (const a of addrs) mine.set(a.address, a);
    this.held.set(instance, mine);
    return undefined;
  }

  /**
   * The instance's VIPs out of the sets (after they went down), or all it holds;
   * addresses it never added are skipped.
   */
  remove(instance: string, addresses?: readonly string[]): KernelError | undefined {
    const mine = this.held.get(instance);
    const addrs = addresses ? addresses.flatMap((a) => mine?.get(a) ?? []) : [...(mine?.values() ?? [])];
    if (addrs.length === 0 || !this.port) return undefined;
    const step = removeAddresses(this.settings, this.state, instance, addrs);
    const err = this.port.apply(step.ops);
    if (err) return err;
    this.state = step.next;
    for (const a of addrs) mine?.delete(a.address);
    return undefined;
  }

  /** A VMAC (as it is made) into the VMAC map and set of `families` (keepalived firewall_add_vmac). */
  addVmac(vmac: FirewallVmac, families: readonly NftFamily[]): KernelError | undefined {
    return this.plan((exists) => addVmac(this.settings, this.state, vmac, families, exists));
  }

  /** A VMAC (as it goes) out of the map and set (keepalived firewall_remove_vmac). */
  removeVmac(ifindex: number): KernelError | undefined {
    if (!this.port) return undefined;
    const step = removeVmac(this.settings, this.state, ifindex);
    const err = this.port.apply(step.ops);
    if (err) return err;
    this.state = step.next;
    return undefined;
  }

  /** Whether the instance has VIPs in the sets. */
  holds(instance: string): boolean {
    return (this.held.get(instance)?.size ?? 0) > 0;
  }

  /** Stop: both tables go (keepalived's firewall_fini), whatever is in them. */
  stop(): KernelError | undefined {
    if (!this.port) return undefined;
    const step = cleanup(this.settings, this.state);
    const err = this.port.apply(step.ops);
    this.state = step.next;
    this.held.clear();
    this.port.close();
    this.port = undefined;
    return err;
  }

  /**
   * Open the port if need be, plan with the kernel's answer to "does the table exist" (the
   * first addition makes it), apply, and take the planned state only once applied.
   */
  private plan(make: (exists: (f: NftFamily) => boolean) => Step): KernelError | undefined {
    const port = this.portOrError();
    if ("op" in port) return port;
    let lookupError: KernelError | undefined;
    const exists = (f: NftFamily) => {
      const r = port.tableExists(f, this.settings.table);
      if (!r.ok) lookupError = r.error;
      return r.ok && r.value;
    };
    const step = make(exists);
    const err = lookupError ?? port.apply(step.ops);
    if (err) return err;
    this.state = step.next;
    return undefined;
  }

  private portOrError(): NftPort | KernelError {
    if (this.port) return this.port;
    const r = this.open();
    if (!r.ok) return r.error;
    this.port = r.value;
    return r.value;
  }
}
