/**
 * NetlinkError: what a failed rtnetlink request throws (DESIGN.md rule 2). The message
 * names the request the way `ip` would write it, then the errno text and name, then the
 * kernel's extended-ACK text when it sent one:
 *   RTM_NEWADDR 10.0.0.1/24 dev eth0: File exists (EEXIST): ipv4: Address already assigned
 */
import { errnoName, strerror } from "../errno";

export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  /** the kernel's NLMSGERR_ATTR_MSG text, when it sent one */
  readonly extack?: string;
  /** the request, e.g. "RTM_NEWADDR 10.0.0.1/24 dev eth0" */
  readonly request: string;
  /** the refused request's nlmsg_type, nlmsg_seq and nlmsg_pid, when one request's ACK said no (Rtnl) */
  header?: { type: number; seq: number; pid: number };
  constructor(errno: number, request: string, extack?: string, detail?: string) {
    const code = errnoName(errno);
    const why = extack ?? detail;
    super(`${request}: ${strerror(errno)} (${code})${why ? `: ${why}` : ""}`);
    this.name = "NetlinkError";
    this.errno = errno;
    this.code = code;
    if (extack !== undefined) this.extack = extack;
    this.request = request;
  }
}

export const EINVAL = 22;
export const ENODEV = 19;
export const ENOBUFS = 105;
export const EBADMSG = 74;
export const ETIMEDOUT = 110;
export const EMSGSIZE = 90;

/** A request keel refused to send (bad address text, label, name length ...): EINVAL with the reason. */
export function invalid(request: string, why: string): NetlinkError {
  return new NetlinkError(EINVAL, request, undefined, why);
}
