/**
 * Which of an interface's addresses an instance can send its adverts from, by the address
 * flags netlink reports (IFA_FLAGS): IPv4 the first primary (not IFA_F_SECONDARY)
 * address; IPv6 a link-local (RFC 5798 5.1.2.1) that is not IFA_F_TENTATIVE (duplicate
 * address detection still running: the kernel refuses to send from it, EADDRNOTAVAIL)
 * and not IFA_F_DADFAILED (a duplicate exists: it stays unusable until someone removes
 * it and adds it again). keepalived takes a tentative or failed link-local all the same
 * and its instance then cannot advertise; keel holds the instance in FAULT with the
 * reason instead, and takes the address the moment netlink reports it usable.
 * Pure but for the log line.
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

function candidates(link: Link, addrs: IfAddress[], family: 4 | 6): IfAddress[] {
  return addrs.filter(
    (a) =>
      a.ifindex === link.ifindex &&
      a.family === family &&
      (family === 4 ? !(a.flags & IFA_F_SECONDARY) : a.scope === RT_SCOPE_LINK),
  );
}

const ok = (a: IfAddress) => !(a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));

export function usableSource(link: Link | undefined, addrs: IfAddress[], family: 4 | 6): SourceChoice {
  if (!link) return { detail: "the interface does not exist" };
  const c = candidates(link, addrs, family);
  const good = c.find(ok);
  if (good) return { address: good.address };
  const failed = c.find((a) => a.flags & IFA_F_DADFAILED);
  if (failed) return { detail: `${failed.address} failed duplicate address detection (dadfailed)` };
  const tentative = c.find((a) => a.flags & IFA_F_TENTATIVE);
  if (tentative) return { detail: `${tentative.address} is tentative (duplicate address detection running)` };
  return { detail: family === 4 ? "no IPv4 address" : "no IPv6 link-local address" };
}

/** `address` is still on the interface and usable. */
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
