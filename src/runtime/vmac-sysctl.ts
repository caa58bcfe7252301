/**
 * The IPv4 interface parameters keepalived 2.2.7 sets for a VMAC it creates, and on the
 * VMAC's parent (vrrp_if_config.c set_interface_parameters / netlink_set_interface_parameters,
 * reset_interface_parameters; called from vrrp_vmac.c netlink_link_add_vmac and
 * netlink_link_del_vmac):
 *
 * - on a VMAC created or updated for an IPv4 instance (`family == AF_INET && create_interface`):
 *   arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1 (vmac_sysctl). A VMAC
 *   reused as it is (a leftover with the right MAC and mode) and an IPv6 one get none of it.
 * - on its parent, unless it already has both: arp_ignore=1, arp_filter=1 (parent_sysctl),
 *   with a count of the VMACs relying on it (interface_t reset_arp_config). The first VMAC
 *   sets them; a parent that already had 1/1 gets no count, and the next VMAC looks again.
 * - netlink_link_del_vmac, for every IPv4 VMAC keepalived deletes (a reused one too), takes
 *   one from the count; at 0 it writes back the parent's arp_ignore/arp_filter "as they
 *   were". keepalived's interface_t holds them as its netlink monitor last saw them
 *   (keepalived_netlink.c parse_af_spec, on each RTM_NEWLINK), and its own RTM_SETLINK is
 *   reflected as one at once (the kernel's do_setlink notifies an IFLA_AF_SPEC change;
 *   netlink_link_add_vmac's kernel_netlink_poll reads it): so what it writes back is 1/1,
 *   not the values before. Seen live: eth0 at arp_ignore=2 arp_filter=0, keepalived 2.2.7
 *   up (1/1), arp_ignore set to 3 by hand, keepalived stopped: eth0 is 1/1 again. keel
 *   writes back what it reads after its own set, as that reflected view.
 *
 * A refused setting is logged with keepalived's lines and the daemon runs on. keepalived
 * sends the VMAC's four as one netlink request: any refused, none of the parent's is tried.
 *
 * rp_filter=0 on a VMAC does nothing while net.ipv4.conf.all.rp_filter is above 0 (the
 * kernel takes the larger of all's and the interface's; systemd's 50-default.conf sets 2).
 * So before the first VMAC's four, keepalived's clear_rp_filter moves all's value onto every
 * interface below it (default first, so new interfaces get it too) and sets all to 0; at
 * the daemon's stop restore_rp_filter puts back each value it raised that is still the one
 * it set, and all's (vrrp_if_config.c; shutdown_vrrp_instances, not with
 * --dont-release-vrrp). The interfaces' behaviour is unchanged; the VMACs' rp_filter=0 holds.
 * keepalived 2.2.7 itself raises only the interfaces its netlink view has an rp_filter for,
 * which is none from its start's dump (netlink_if_link_populate marks it unread), only those
 * a later RTM_NEWLINK told it about (the VMAC's parent, which the VMAC's creation changed):
 * the others' rp_filter loosens as all goes to 0 (test/interop/vmac-rp-filter.test.ts).
 * keel raises every interface below all's value, as clear_rp_filter means to.
 */
import type { Kernel } from "./kernel";

/** vrrp_if_config.c vmac_sysctl */
const VMAC_PARAMS: readonly (readonly [string, number])[] = [
  ["arp_ignore", 1],
  ["accept_local", 1],
  ["rp_filter", 0],
  ["promote_secondaries", 1],
];

interface Parent {
  /** reset_arp_config: the VMACs relying on keel's set (0: keel set nothing) */
  count: number;
  /** what reset_interface_parameters writes back: the values read after keel's set */
  arpIgnore: number;
  arpFilter: number;
}

export interface VmacSysctlLog {
  info(line: string): void;
}

/** clear_rp_filter's record (keepalived's all_rp_filter, default_rp_filter, each ifp->rp_filter) */
interface RpFilterCleared {
  /** all.rp_filter as it was (above 0) */
  all: number;
  /** default.rp_filter as it was, if it was raised */
  default: number | undefined;
  /** each interface raised to `all`, with its value before */
  raised: Map<string, number>;
}

export class VmacSysctls {
  private readonly parents = new Map<string, Parent>();
  /** each VMAC keel holds: its parent (none: it has none here) and the family of its instance */
  private readonly vmacs = new Map<string, { parent: string | undefined; family: 4 | 6 }>();

  /** set while all.rp_filter is cleared (clearRpFilter), until restoreRpFilter */
  private rpCleared: RpFilterCleared | undefined;

  constructor(
    private readonly kernel: Pick<Kernel, "ipv4Conf">,
    private readonly log: VmacSysctlLog,
    /** every interface of the namespace, by name (keepalived's interface queue) */
    private readonly links: () => Iterable<string> = () => [],
  ) {}

  /**
   * A VMAC taken on: `created` (made or updated now) or reused as it was. `parent` undefined:
   * the parent is not in this namespace (keepalived: base_ifp == ifp, the parent left alone).
   */
  added(vmac: string, parent: string | undefined, family: 4 | 6, created: boolean): void {
    this.vmacs.set(vmac, { parent, family });
    // netlink_link_add_vmac: `if (vrrp->family == AF_INET && create_interface)`
    if (family !== 4 || !created || !this.kernel.ipv4Conf) return;
    // set_interface_parameters: `if (all_rp_filter == UINT_MAX) clear_rp_filter()`
    if (this.rpCleared === undefined) this.clearRpFilter();
    if (!this.setVmac(vmac) || (parent !== undefined && !this.setParent(vmac, parent)))
      this.log.info(`Unable to set parameters for ${vmac}`);
  }

  /** The VMAC goes (keel deletes it: its instance removed, or the daemon stops). */
  removed(vmac: string): void {
    const held = this.vmacs.get(vmac);
    this.vmacs.delete(vmac);
    // netlink_link_del_vmac: `if (vrrp->family == AF_INET) reset_interface_parameters(base_ifp)`
    if (held?.family !== 4 || held.parent === undefined) return;
    const p = this.parents.get(held.parent);
    if (!p || p.count === 0 || --p.count > 0) return;
    this.parents.delete(held.parent);
    this.resetParent(held.parent, p);
  }

  /**
   * keepalived clear_rp_filter: all.rp_filter above 0 moved onto default and each interface
   * below it, then all set to 0, each change said in keepalived's NOTICE line (default's
   * and all's; the interfaces' silently). Nothing when all is 0 (it is looked at again at
   * the next VMAC, as keepalived's all_rp_filter stays unset).
   */
  private clearRpFilter(): void {
    const all = this.conf("all", "rp_filter");
    if (!all.ok) {
      this.log.info("Unable to read sysctl net.ipv4.conf.all.rp_filter");
      return;
    }
    if (all.value === 0) return;
    const cleared: RpFilterCleared = { all: all.value, default: undefined, raised: new Map() };
    this.rpCleared = cleared;
    const def = this.conf("default", "rp_filter");
    if (def.ok && def.value < all.value) {
      this.log.info(`NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from ${def.value} to ${all.value}`);
      this.conf("default", "rp_filter", all.value);
      cleared.default = def.value;
    }
    for (const ifname of this.links()) {
      const now = this.conf(ifname, "rp_filter");
      if (!now.ok) {
        this.log.info(`Unable to read rp_filter for ${ifname}`);
        continue;
      }
      if (now.value >= all.value) continue;
      if (this.conf(ifname, "rp_filter", all.value).ok) cleared.raised.set(ifname, now.value);
    }
    this.log.info(`NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from ${all.value} to 0`);
    this.conf("all", "rp_filter", 0);
  }

  /**
   * keepalived restore_rp_filter, at the daemon's stop: all's value back if all is still 0,
   * default's and each interface's if they still hold all's (a value changed since is left).
   */
  restoreRpFilter(): void {
    const c = this.rpCleared;
    if (c === undefined) return;
    this.rpCleared = undefined;
    const all = this.conf("all", "rp_filter");
    if (all.ok && all.value === 0) {
      this.log.info(`NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to ${c.all}`);
      this.conf("all", "rp_filter", c.all);
    }
    if (c.default !== undefined) {
      const def = this.conf("default", "rp_filter");
      if (def.ok && def.value === c.all) {
        this.log.info(`NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to ${c.default}`);
        this.conf("default", "rp_filter", c.default);
      }
    }
    for (const [ifname, before] of c.raised) {
      const now = this.conf(ifname, "rp_filter");
      if (now.ok && now.value === c.all) this.conf(ifname, "rp_filter", before);
    }
  }

  /** The parent's count (reset_arp_config); the unit test reads it. */
  relying(parent: string): number {
    return this.parents.get(parent)?.count ?? 0;
  }

  private setVmac(vmac: string): boolean {
    for (const [key, value] of VMAC_PARAMS) if (!this.conf(vmac, key, value).ok) return false;
    return true;
  }

  private setParent(vmac: string, parent: string): boolean {
    const p = this.parents.get(parent);
    if (p && p.count > 0) {
      p.count++;
      return true;
    }
    const ignore = this.conf(parent, "arp_ignore");
    const filter = this.conf(parent, "arp_filter");
    // keepalived reads them from its netlink view; one it cannot read is not 1: set both
    if (ignore.ok && filter.ok && ignore.value === 1 && filter.value === 1) return true;
    if (!this.conf(parent, "arp_ignore", 1).ok || !this.conf(parent, "arp_filter", 1).ok) {
      this.log.info(`Set base flags on ${parent} failed for VMAC ${vmac}`);
      return false;
    }
    const after = (key: string) => {
      const r = this.conf(parent, key);
      return r.ok ? r.value : 1;
    };
    this.parents.set(parent, { count: 1, arpIgnore: after("arp_ignore"), arpFilter: after("arp_filter") });
    return true;
  }

  private resetParent(parent: string, p: Parent): void {
    const ignore = this.conf(parent, "arp_ignore", p.arpIgnore);
    // netlink_reset_interface_parameters: a parent that is gone has nothing to change
    if (!ignore.ok && ignore.error.code === "ENOENT") return;
    if (ignore.ok && this.conf(parent, "arp_filter", p.arpFilter).ok) return;
    this.log.info(`reset interface flags on ${parent} failed`);
    this.log.info(`Unable to reset parameters for ${parent}`);
  }

  private conf(ifname: string, key: string, value?: number) {
    const set = this.kernel.ipv4Conf;
    if (!set) return { ok: false as const, error: { op: "ipv4-conf", message: "no ipv4 conf" } };
    return set.call(this.kernel, ifname, key, value);
  }
}
