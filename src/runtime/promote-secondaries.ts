/**
 * `promote_secondaries` (vrrp_instance) and keepalived's automatic setting on VMACs
 * (vrrp_if_config.c set_promote_secondaries / set_interface_parameters): with it, the
 * kernel keeps an interface's secondary addresses when its primary one goes (a VIP in
 * the same subnet as the primary would otherwise take the others down with it).
 * keepalived sets net.ipv4.conf.IF.promote_secondaries = 1 once per interface (a count
 * of the instances that want it), leaves an interface that already had it alone, and
 * resets it to 0 when the last such instance goes or at exit. A VMAC gets it with its
 * other parameters (vmac-sysctl.ts) and goes with it.
 */
import type { Kernel, KernelError } from "./kernel";

export class PromoteSecondaries {
  /** interfaces keel set it on (had 0 before): reset at release */
  private readonly setByUs = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly failed: (e: KernelError, ifname: string) => void,
  ) {}

  /** The interfaces wanting it now (instances' interfaces that exist): set new ones, reset dropped ones. */
  want(ifnames: Iterable<string>): void {
    if (!this.kernel.ipv4Conf) return;
    const wanted = new Set(ifnames);
    for (const ifname of wanted) {
      if (this.setByUs.has(ifname)) continue;
      const r = this.kernel.ipv4Conf(ifname, "promote_secondaries", 1);
      if (!r.ok) this.failed(r.error, ifname);
      else if (r.value === 0) this.setByUs.add(ifname);
    }
    for (const ifname of [...this.setByUs])
      if (!wanted.has(ifname)) {
        this.setByUs.delete(ifname);
        this.reset(ifname);
      }
  }

  /** At stop: back to 0 where keel set it (an interface gone meanwhile is no error). */
  release(): void {
    for (const ifname of this.setByUs) this.reset(ifname);
    this.setByUs.clear();
  }

  private reset(ifname: string): void {
    const r = this.kernel.ipv4Conf?.(ifname, "promote_secondaries", 0);
    if (r && !r.ok && r.error.code !== "ENOENT") this.failed(r.error, ifname);
  }
}
