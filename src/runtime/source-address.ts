/**
 * Which of an interface's addresses an instance can send its adverts from, by the address
 * flags netlink reports (IFA_FLAGS): IPv4 the first primary (not IFA_F_SECONDARY)
 * address; IPv6 a link-local (RFC 5798 5.1.2.1) that is not IFA_F_DADFAILED.
 * A tentative link-local (IFA_F_TENTATIVE: duplicate address detection still running) is
 * taken, as keepalived 2.2.7 takes it (netlink_if_address_filter reads no flags): the
 * instance starts as usual ("Entering BACKUP STATE (init)", not FAULT) and a master's
 * adverts are refused by the kernel until DAD ends (keepalived: "send advert error 22"),
 * which with the default DAD (1 probe, 1 s) is over before the first Master_Down_Interval.
 * A failed one (IFA_F_DADFAILED: a duplicate exists, unusable until someone removes it and
 * adds it again) keepalived takes too and its instance never advertises; keel holds the
 * instance in FAULT with the reason instead, and takes an address the moment netlink
 * reports one usable. Pure but for the log line.
 */
import type { IfAddress, Link } from "./kernel";
import type { Logger } from "./log";

const IFA_F_SECONDARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;
const RT_SCOPE_LINK = 253;

export interface SourceChoice {
  address?: string;
  /** why there is none ("fe80::1 is tentative ..."), for the log, status and explain */
  detail?: string;
}

/**
 * The VIPs and eVIPs of the instances on an interface are never its own addresses:
 * keepalived drops them from an interface's addresses at start (vrrp.c remove_residual_vips:
 * "we must not use them as source addresses of adverts. They could exist if keepalived
 * crashed the last time it ran") and never takes one later
 * (keepalived_netlink.c ignore_address_if_ours_or_link_local).
 */
export type OursOn = (ifindex: number, address: string) => boolean;

function candidates(link: Link, addrs: IfAddress[], family: 4 | 6, ours?: OursOn): IfAddress[] {
  return addrs.filter(
    (a) =>
      a.ifindex === link.ifindex &&
      a.family === family &&
      (family === 4 ? !(a.flags & IFA_F_SECONDARY) : a.scope === RT_SCOPE_LINK) &&
      !ours?.(a.ifindex, a.address),
  );
}

const ok = (a: IfAddress) => !(a.flags & IFA_F_DADFAILED);

export function usableSource(link: Link | undefined, addrs: IfAddress[], family: 4 | 6, ours?: OursOn): SourceChoice {
  if (!link) return { detail: "the interface does not exist" };
  const c = candidates(link, addrs, family, ours);
  const good = c.find(ok);
  if (good) return { address: good.address };
  const failed = c.find((a) => a.flags & IFA_F_DADFAILED);
  if (failed) return { detail: `${failed.address} failed duplicate address detection (dadfailed)` };
  return { detail: family === 4 ? "no IPv4 address" : "no IPv6 link-local address" };
}

/** `address` is still on the interface and usable (not dadfailed; a tentative one is). */
export function usable(link: Link | undefined, addrs: IfAddress[], address: string): boolean {
  if (!link) return false;
  return addrs.some((a) => a.ifindex === link.ifindex && a.address === address && ok(a));
}

/** One line when an IPv6 address's DAD ends: failed (any address: a VIP added without nodad too), or done. */
export function logDad(log: Logger, before: IfAddress | undefined, a: IfAddress, ifname: string | undefined): void {
  if (a.family !== 6) return;
  const was = before?.flags ?? 0;
  const on = ifname ?? `ifindex ${a.ifindex}`;
  if (a.flags & IFA_F_DADFAILED && !(was & IFA_F_DADFAILED))
    log.warn(`${a.address} on ${on} failed duplicate address detection (dadfailed): another host has it`);
  else if (was & IFA_F_TENTATIVE && !(a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
    log.info(`${a.address} on ${on} passed duplicate address detection`);
}

/**
 * keepalived's own address of an interface per family (interface_t sin_addr / sin6_addr,
 * the rest in sin_addr_l / sin6_addr_l) as keepalived_netlink.c netlink_if_address_filter
 * (2.2.7) keeps it, for its -D lines "Assigned address A for interface I" (the interface
 * had none of that family) and "Deassigned address A from interface I" (its own address
 * went and no other was left). keepalived's choice differs from the kernel's order:
 * IPv4 takes any address, secondary or not, the first seen; when the own address goes it
 * takes the last other one; IPv6 only link-locals. keel's source choice stays
 * usableSource's (a tentative link-local is not usable); this says only when keepalived
 * writes those lines. Pure.
 */
export class OwnAddresses {
  private readonly table = new Map<string, { own?: string; others: string[] }>();

  private entry(a: IfAddress): { own?: string; others: string[] } {
    const key = `${a.ifindex}|${a.family}`;
    let e = this.table.get(key);
    if (!e) {
      e = { others: [] };
      this.table.set(key, e);
    }
    return e;
  }

  /** ignore_address_if_ours_or_link_local: IPv6 but link-local, and a VIP/eVIP of an instance there */
  private ignored(a: IfAddress, ours?: OursOn): boolean {
    return (a.family === 6 && a.scope !== RT_SCOPE_LINK) || (ours?.(a.ifindex, a.address) ?? false);
  }

  /**
   * The table at start, in the kernel's order (netlink_address_lookup), then vrrp.c
   * remove_residual_vips: a VIP/eVIP is dropped (an IPv6 one only if link-local) and, where
   * the own address was one, the first other address is promoted. Returns the addresses
   * that were first of their interface and family as read, a VIP among them: keepalived
   * logs those ("Assigned address") before it knows where its VIPs go.
   */
  seed(addrs: IfAddress[], ours?: OursOn): IfAddress[] {
    this.table.clear();
    const first = addrs.filter((a) => this.added(a));
    if (ours)
      for (const [key, e] of this.table) {
        const ifindex = Number(key.split("|")[0]);
        e.others = e.others.filter((x) => !ours(ifindex, x));
        if (e.own !== undefined && ours(ifindex, e.own)) e.own = e.others.shift();
      }
    return first;
  }

  /** The interface's own address of a family, as keepalived has it. */
  ownOf(ifindex: number, family: 4 | 6): string | undefined {
    return this.table.get(`${ifindex}|${family}`)?.own;
  }

  /** RTM_NEWADDR: true when the interface had no own address of the family ("Assigned address"). */
  added(a: IfAddress, ours?: OursOn): boolean {
    if (this.ignored(a, ours)) return false;
    const e = this.entry(a);
    if (e.own === undefined) {
      e.own = a.address;
      return true;
    }
    // a known address comes again (a secondary promoted, flags changed): have_address
    if (e.own !== a.address && !e.others.includes(a.address)) e.others.push(a.address);
    return false;
  }

  /** RTM_DELADDR: true when the own address went and no other was left ("Deassigned address"). */
  removed(a: IfAddress): boolean {
    if (a.family === 6 && a.scope !== RT_SCOPE_LINK) return false;
    const e = this.table.get(`${a.ifindex}|${a.family}`);
    if (!e) return false;
    if (e.own === a.address) {
      // list_last_entry(&ifp->sin_addr_l): the last other address becomes the own one
      e.own = e.others.pop();
      return e.own === undefined;
    }
    e.others = e.others.filter((x) => x !== a.address);
    return false;
  }

  /** An interface deleted: its addresses went with it. */
  forget(ifindex: number): void {
    for (const f of [4, 6]) this.table.delete(`${ifindex}|${f}`);
  }
}
