/**
 * Linkbeat: the link state of an interface polled every second by ioctl instead of taken
 * from netlink, as keepalived 2.2.7 does for `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] }`
 * and `linkbeat_use_polling` (global, or in a vrrp_instance for its interface) in
 * vrrp/vrrp_if.c:
 *
 * - init_interface_linkbeat: an interface no instance tracks is not polled ("Turning off
 *   linkbeat for IF since not used for tracking"); one that does not exist is down;
 * - init_linkbeat_status: the method is found in keepalived's order: MII (SIOCGMIIPHY +
 *   SIOCGMIIREG BMSR), then ETHTOOL (ETHTOOL_GLINK; configured and failing, MII is tried),
 *   else IOCTL; a configured method that does not work is replaced ("(IF): Configured
 *   linkbeat type MII not supported, using ETHTOOL"); an interface up by the method must
 *   also be IFF_UP and IFF_RUNNING (SIOCGIFFLAGS);
 * - if_linkbeat_refresh_thread, every POLLING_DELAY (1 s): the same probe again (a failed
 *   MII/ETHTOOL probe counts as up, then the flags decide, as keepalived's int-to-bool
 *   does), "Linkbeat reports IF up|down" on a change; netlink's up/down for a polled
 *   interface is ignored (keepalived_netlink.c netlink_if_link_filter), and
 *   interface_up_down_delays do not apply to it.
 *
 * The ioctls are native-bindings/linkbeat.ts, behind `LinkbeatProbe` so the choices here
 * run in unit tests with a driver that has MII (no virtual device in a namespace has).
 */
import type { KeelConfig } from "../config/model";
import type { Logger } from "./log";
import type { Timers } from "./vrrp-driver";

/** One ioctl's answer: a value, or the errno it was refused with. */
export type Answer<T> = { ok: true; value: T } | { ok: false; errno: number };

/** The ioctls (native-bindings/linkbeat.ts LinkbeatSocket). */
export interface LinkbeatProbe {
  miiPhy(ifname: string): Answer<number>;
  miiRead(ifname: string, phy: number, reg: number): Answer<number>;
  ethtoolLink(ifname: string): Answer<boolean>;
  flags(ifname: string): Answer<number>;
  close(): void;
}

export type LinkbeatType = "MII" | "ETHTOOL" | "IOCTL";

/** keepalived's POLLING_DELAY (TIMER_HZ: one second) */
export const POLLING_DELAY_MS = 1000;
const MII_BMCR = 0x00;
const MII_BMSR = 0x01;
const BMSR_LSTATUS = 0x0004;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const ENODEV = 19;

interface Polled {
  /** configured (linkbeat_interfaces' word), undefined: find one */
  configured?: LinkbeatType;
  /** in use (keepalived's lb_type), undefined until found (the interface did not exist) */
  type?: LinkbeatType;
  up: boolean;
  timer?: unknown;
  /** the MII PHY address of the last SIOCGMIIPHY */
  phy: number;
}

export interface LinkbeatOptions {
  timers: Timers;
  log: Logger;
  /** opens the ioctl socket (at start, when an interface is polled) */
  open: () => LinkbeatProbe;
  /** strerror of an errno, for keepalived's "SIOCGMIIREG on IF failed: ..." */
  describe: (errno: number) => string;
  /** a poll found the link changed */
  onChange: (ifname: string, up: boolean) => void;
}

/** The interfaces `config` asks to poll, with their configured method (vrrp_parser.c, vrrp.c). */
export function polledInterfaces(config: KeelConfig): Map<string, LinkbeatType | undefined> {
  const out = new Map<string, LinkbeatType | undefined>();
  for (const lb of config.linkbeatInterfaces) if (lb.name !== undefined) out.set(lb.name, lb.type);
  for (const v of Object.values(config.vrrpInstances)) {
    if (v.interface === undefined || out.has(v.interface)) continue;
    // a VMAC/ipvlan instance's interface is the VMAC, whose netlink reports work:
    // keepalived turns polling off for it (init_interface_linkbeat)
    if (v.useVmac || v.useIpvlan) continue;
    if (v.linkbeatUsePolling || config.linkbeatUsePolling) out.set(v.interface, undefined);
  }
  return out;
}

export class Linkbeat {
  private readonly polled = new Map<string, Polled>();
  private probe: LinkbeatProbe | undefined;

  constructor(private readonly o: LinkbeatOptions) {}

  /**
   * init_interface_linkbeat: decide what is polled, probe each once, start the timers.
   * `exists` says whether the kernel has the interface now.
   */
  start(config: KeelConfig, tracked: ReadonlySet<string>, exists: (ifname: string) => boolean): void {
    this.stop();
    for (const [name, configured] of polledInterfaces(config)) {
      if (!tracked.has(name)) {
        this.o.log.info(`Turning off linkbeat for ${name} since not used for tracking`);
        continue;
      }
      if (!this.probe) {
        try {
          this.probe = this.o.open();
        } catch (e) {
          this.o.log.info(`open linkbeat init socket failed - ${(e as Error).message}`);
          this.polled.clear();
          return;
        }
      }
      const p: Polled = { configured, up: false, phy: 0 };
      this.polled.set(name, p);
      if (exists(name)) p.up = this.init(name, p);
      p.timer = this.o.timers.set(() => this.refresh(name, exists), POLLING_DELAY_MS);
    }
    if (this.polled.size > 0) this.o.log.info("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
  }

  /** Whether `ifname`'s link state comes from polling (netlink's is then ignored). */
  polls(ifname: string): boolean {
    return this.polled.has(ifname);
  }

  /** The polled state of `ifname` (false for one not polled). */
  up(ifname: string): boolean {
    return this.polled.get(ifname)?.up ?? false;
  }

  /** keepalived dump_if's line for the interface. */
  nicLine(ifname: string): string {
    const p = this.polled.get(ifname);
    if (!p) return "   NIC netlink status update";
    if (p.type === "MII") return "   NIC support MII regs";
    if (p.type === "ETHTOOL") return "   NIC support ETHTOOL GLINK interface";
    return "   NIC ioctl refresh polling";
  }

  /** The polled interfaces and the method in use (status, tests). */
  methods(): Record<string, LinkbeatType | undefined> {
    return Object.fromEntries([...this.polled].map(([n, p]) => [n, p.type]));
  }

  stop(): void {
    for (const p of this.polled.values()) if (p.timer !== undefined) this.o.timers.clear(p.timer);
    this.polled.clear();
    this.probe?.close();
    this.probe = undefined;
  }

  private refresh(name: string, exists: (ifname: string) => boolean): void {
    const p = this.polled.get(name);
    const probe = this.probe;
    if (!p || !probe) return;
    const was = p.up;
    let up = true;
    if (!exists(name)) {
      up = false;
      // keepalived's lb_type stays: a recreated interface is probed the same way
    } else if (p.type === undefined) {
      up = this.init(name, p);
    } else {
      // keepalived assigns the int probe result to a bool: -1 (failed) counts as up
      if (p.type === "MII") up = this.miiProbe(name, p) !== 0;
      else if (p.type === "ETHTOOL") up = this.ethtoolProbe(name) !== 0;
      // "update ifp->flags to get the new IFF_RUNNING status. Some buggy drivers need this..."
      if (up) up = this.ioctlFlags(name);
    }
    p.up = up;
    if (up !== was) {
      this.o.log.info(`Linkbeat reports ${name} ${up ? "up" : "down"}`);
      this.o.onChange(name, up);
    }
    if (this.polled.get(name) === p) p.timer = this.o.timers.set(() => this.refresh(name, exists), POLLING_DELAY_MS);
  }

  /** init_linkbeat_status */
  private init(name: string, p: Polled): boolean {
    let up = false;
    let type: LinkbeatType | undefined = p.configured;
    if (type === undefined || type === "MII") {
      const s = this.miiProbe(name, p);
      if (s >= 0) {
        type = "MII";
        up = s === 1;
      } else type = undefined;
    }
    if (type === undefined || type === "ETHTOOL") {
      const s = this.ethtoolProbe(name);
      if (s >= 0) {
        type = "ETHTOOL";
        up = s === 1;
      } else if (type !== undefined) {
        // ETHTOOL configured but not working: MII
        const m = this.miiProbe(name, p);
        if (m >= 0) {
          type = "MII";
          up = m === 1;
        } else type = undefined;
      }
    }
    if (type === undefined || type === "IOCTL") {
      type = "IOCTL";
      up = true;
    }
    if (up) up = this.ioctlFlags(name);
    p.type = type;
    if (p.configured !== undefined && p.configured !== type)
      this.o.log.info(`(${name}): Configured linkbeat type ${p.configured} not supported, using ${type}`);
    return up;
  }

  /** if_mii_probe: -1 without MII, else 1 (link) or 0 */
  private miiProbe(name: string, p: Polled): number {
    const probe = this.probe as LinkbeatProbe;
    const phy = probe.miiPhy(name);
    if (!phy.ok) return -1;
    p.phy = phy.value;
    // the driver must answer for BMSR through MII: some do not
    if (!probe.miiRead(name, p.phy, MII_BMSR).ok) return -1;
    return this.miiStatus(name, p.phy);
  }

  /** if_mii_status: BMSR's link bit is sticky (latched low): read twice */
  private miiStatus(name: string, phy: number): number {
    const bmcr = this.miiRead(name, phy, MII_BMCR);
    const bmsr = bmcr === 0xffff ? 0 : this.miiRead(name, phy, MII_BMSR);
    if (bmcr === 0xffff || bmsr === 0) {
      this.o.log.error(`No MII transceiver present for ${name} !!!`);
      return -1;
    }
    const again = this.miiRead(name, phy, MII_BMSR);
    return (bmsr | again) & BMSR_LSTATUS ? 1 : 0;
  }

  /** if_mii_read: 0xffff when the ioctl fails */
  private miiRead(name: string, phy: number, reg: number): number {
    const r = (this.probe as LinkbeatProbe).miiRead(name, phy, reg);
    if (r.ok) return r.value;
    this.o.log.error(`SIOCGMIIREG on ${name} failed: ${this.o.describe(r.errno)}`);
    return 0xffff;
  }

  /** if_ethtool_probe: -1 unsupported, else 1 or 0 */
  private ethtoolProbe(name: string): number {
    const r = (this.probe as LinkbeatProbe).ethtoolLink(name);
    return r.ok ? (r.value ? 1 : 0) : -1;
  }

  /** if_ioctl_flags: up unless IFF_UP or IFF_RUNNING is missing; a failure other than ENODEV counts as up */
  private ioctlFlags(name: string): boolean {
    const r = (this.probe as LinkbeatProbe).flags(name);
    if (!r.ok) return r.errno !== ENODEV;
    return (r.value & (IFF_UP | IFF_RUNNING)) === (IFF_UP | IFF_RUNNING);
  }
}
