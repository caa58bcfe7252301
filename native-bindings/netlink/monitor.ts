/**
 * watchRtnl: link and address changes as they happen, on a separate NETLINK_ROUTE socket
 * bound to RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR and watched through
 * SIGIO (readiness.ts). Each wake-up drains the socket until EAGAIN.
 *
 * When the kernel could not queue a notification (the receive buffer overflowed,
 * recvmsg fails with ENOBUFS) events were lost: the caller gets { type: "overrun" } and
 * resyncs with listLinks/listAddresses. A message that does not decode is reported the
 * same way (state may have been missed), never thrown.
 *
 * `onIdle` follows the events of one read once the queue is empty: a caller that derives
 * something from the whole table (the VRRP driver's VIP and source checks) does it once
 * per batch rather than once per event, and on a table that includes every change the
 * kernel acknowledged before (its notifications are queued before the request's ACK).
 * `drain()` reads the queue now, as a wake-up would (issue 20: a 1,000-instance backup
 * going BACKUP read 1,000 RTM_DELADDR one at a time and, for each, compared 1,000 VIPs
 * against a table still missing the RTM_NEWADDRs queued behind it).
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
 * from our cmd channel" (all but RTM_NEWLINK/DELLINK/NEWROUTE). An address change it caused
 * is reported (the table follows it) with `own` set, so that keel's own VIP deletion is not
 * taken for someone's `ip addr del`.
 */
export function watchRtnl(
  onEvent: (e: RtnlEvent | { type: "overrun" }) => void,
  rcvbuf?: RcvBuf,
  o: { routes?: RouteGroups; ownPort?: number; onIdle?: () => void } = {},
): { close(): void; drain(): void } {
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
  let draining = false;
  let delivered = 0;
  // one reader at a time: an event handler that asks for a drain is inside one, which
  // reads to EAGAIN anyway (and the received buffer is reused by the next recv)
  const drain = (): void => {
    if (draining || closed) return;
    draining = true;
    delivered = 0;
    try {
      read();
    } finally {
      draining = false;
      // also after a receive that threw: the events read before it are settled now
      if (delivered > 0 && !closed) o.onIdle?.();
    }
  };
  const deliver = (e: RtnlEvent | { type: "overrun" }): void => {
    delivered++;
    onEvent(e);
  };
  const read = (): void => {
    while (!closed) {
      let d: Uint8Array | undefined;
      try {
        d = sock.recv();
      } catch (e) {
        if (e instanceof SyscallError && e.errno === ENOBUFS) {
          deliver({ type: "overrun" });
          continue;
        }
        throw e;
      }
      if (d === undefined) return;
      const msgs = parseMessages(d);
      if (!msgs.ok) {
        deliver({ type: "overrun" });
        continue;
      }
      for (const m of msgs.value) {
        if (closed) return;
        if (m.type === K.RTM_NEWLINK || m.type === K.RTM_DELLINK) {
          // AF_BRIDGE (and other) link messages describe bridge ports, not the interface
          if (m.payload.length < 1 || m.payload[0] !== K.AF_UNSPEC) continue;
          const l = decodeLink(m);
          if (l.ok) deliver({ type: "link", action: m.type === K.RTM_NEWLINK ? "new" : "del", link: l.value });
          else deliver({ type: "overrun" });
        } else if (m.type === K.RTM_NEWADDR || m.type === K.RTM_DELADDR) {
          const a = decodeAddress(m);
          const own = o.ownPort !== undefined && o.ownPort !== 0 && m.pid === o.ownPort;
          if (a.ok) deliver({ type: "addr", action: m.type === K.RTM_NEWADDR ? "new" : "del", addr: a.value, own });
          else if (a.error.code !== "unsupported") deliver({ type: "overrun" });
        } else if ((m.type === K.RTM_DELROUTE || m.type === K.RTM_DELRULE) && o.ownPort && m.pid === o.ownPort) {
          // our own deletion (a MASTER leaving MASTER, a stop): nothing to react to
        } else if (m.type === K.RTM_DELROUTE) {
          const r = decodeRoute(m);
          if (r.ok) deliver({ type: "route-del", route: r.value });
          else if (r.error.code !== "unsupported") deliver({ type: "overrun" });
        } else if (m.type === K.RTM_DELRULE) {
          const r = decodeRule(m);
          if (r.ok) deliver({ type: "rule-del", rule: r.value });
          else if (r.error.code !== "unsupported") deliver({ type: "overrun" });
        } else if (m.type === K.NLMSG_OVERRUN) {
          deliver({ type: "overrun" });
        }
      }
    }
  };
  const stop = watchReadable(sock.fd, drain);
  return {
    drain,
    close(): void {
      if (closed) return;
      closed = true;
      stop();
      sock.close();
    },
  };
}
