/**
 * watchRtnl: link and address changes as they happen, on a separate NETLINK_ROUTE socket
 * bound to RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR and watched through
 * SIGIO (readiness.ts). Each wake-up drains the socket until EAGAIN.
 *
 * When the kernel could not queue a notification (the receive buffer overflowed,
 * recvmsg fails with ENOBUFS) events were lost: the caller gets { type: "overrun" } and
 * resyncs with listLinks/listAddresses. A message that does not decode is reported the
 * same way (state may have been missed), never thrown.
 */
import { SyscallError } from "../errno";
import { watchReadable } from "../readiness";
import { parseMessages } from "./codec";
import * as K from "./constants";
import { ENOBUFS } from "./error";
import { decodeAddress, decodeLink, decodeRoute, decodeRule } from "./messages";
import { NetlinkSocket, type RcvBuf } from "./socket";
import type { RouteGroups, RtnlEvent } from "./types";

const RCVBUF = 8 << 20;

/**
 * `rcvbuf`: the configured receive buffer (keepalived's *_netlink_monitor_rcv_bufs), else
 * keel's own 8 MiB. `routes`: route and rule deletions too (RTM_DELROUTE, RTM_DELRULE) of
 * the families asked for, as keepalived joins each route and rule group only when it has
 * routes or rules of that family to track (vrrp.c set_extra_netlink_monitoring): a full
 * routing table's churn is not read otherwise.
 * `ownPort`: the port id of the socket keel changes routes and rules through; a deletion it
 * caused carries that nlmsg_pid and is not reported, as keepalived_netlink.c
 * netlink_parse_info skips "messages on the kernel reflection channel caused by commands
 * from our cmd channel" (all but RTM_NEWLINK/DELLINK/NEWROUTE).
 */
export function watchRtnl(
  onEvent: (e: RtnlEvent | { type: "overrun" }) => void,
  rcvbuf?: RcvBuf,
  o: { routes?: RouteGroups; ownPort?: number } = {},
): { close(): void } {
  const r = o.routes;
  const routeGroups =
    (r?.ipv4Routes ? K.RTMGRP_IPV4_ROUTE : 0) |
    (r?.ipv6Routes ? K.RTMGRP_IPV6_ROUTE : 0) |
    (r?.ipv4Rules ? K.RTMGRP_IPV4_RULE : 0) |
    (r?.ipv6Rules ? K.RTMGRP_IPV6_RULE : 0);
  const sock = NetlinkSocket.open({
    groups: K.RTMGRP_LINK | K.RTMGRP_IPV4_IFADDR | K.RTMGRP_IPV6_IFADDR | routeGroups,
    rcvbuf: rcvbuf?.bytes ?? RCVBUF,
    rcvbufForce: rcvbuf?.force,
  });
  let closed = false;
  const drain = (): void => {
    while (!closed) {
      let d: Uint8Array | undefined;
      try {
        d = sock.recv();
      } catch (e) {
        if (e instanceof SyscallError && e.errno === ENOBUFS) {
          onEvent({ type: "overrun" });
          continue;
        }
        throw e;
      }
      if (d === undefined) return;
      const msgs = parseMessages(d);
      if (!msgs.ok) {
        onEvent({ type: "overrun" });
        continue;
      }
      for (const m of msgs.value) {
        if (closed) return;
        if (m.type === K.RTM_NEWLINK || m.type === K.RTM_DELLINK) {
          // AF_BRIDGE (and other) link messages describe bridge ports, not the interface
          if (m.payload.length < 1 || m.payload[0] !== K.AF_UNSPEC) continue;
          const l = decodeLink(m);
          if (l.ok) onEvent({ type: "link", action: m.type === K.RTM_NEWLINK ? "new" : "del", link: l.value });
          else onEvent({ type: "overrun" });
        } else if (m.type === K.RTM_NEWADDR || m.type === K.RTM_DELADDR) {
          const a = decodeAddress(m);
          if (a.ok) onEvent({ type: "addr", action: m.type === K.RTM_NEWADDR ? "new" : "del", addr: a.value });
          else if (a.error.code !== "unsupported") onEvent({ type: "overrun" });
        } else if ((m.type === K.RTM_DELROUTE || m.type === K.RTM_DELRULE) && o.ownPort && m.pid === o.ownPort) {
          // our own deletion (a MASTER leaving MASTER, a stop): nothing to react to
        } else if (m.type === K.RTM_DELROUTE) {
          const r = decodeRoute(m);
          if (r.ok) onEvent({ type: "route-del", route: r.value });
          else if (r.error.code !== "unsupported") onEvent({ type: "overrun" });
        } else if (m.type === K.RTM_DELRULE) {
          const r = decodeRule(m);
          if (r.ok) onEvent({ type: "rule-del", rule: r.value });
          else if (r.error.code !== "unsupported") onEvent({ type: "overrun" });
        } else if (m.type === K.NLMSG_OVERRUN) {
          onEvent({ type: "overrun" });
        }
      }
    }
  };
  const stop = watchReadable(sock.fd, drain);
  return {
    close(): void {
      if (closed) return;
      closed = true;
      stop();
      sock.close();
    },
  };
}
