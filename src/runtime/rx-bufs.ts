/**
 * Socket receive buffers as keepalived 2.2.7 sizes them, pure.
 *
 * VRRP sockets (vrrp_scheduler.c vrrp_create_sockpool, vrrp_if.c for the MTU policy,
 * vrrp.c open_vrrp_read_socket): a socket's SO_RCVBUF is the sum, over the instances that
 * receive on it, of the instance's `kernel_rx_buf_size`, else `vrrp_rx_bufs_policy SIZE`,
 * else `vrrp_rx_bufs_multiplier` (default 3) × the advert's length (policy ADVERT,
 * vrrp_adv_len: the VRRP packet, plus the IPv4 header and the AH header for IPv4), else ×
 * the interface's MTU (policy MTU). A sum of 0 sets nothing there; keel then keeps its own
 * 1 MiB (forced), so that a burst does not overflow while its one thread is busy.
 * keepalived has a socket per interface, family, protocol and unicast source; keel one
 * per interface, family and protocol, so unicast instances with different sources add up
 * on one socket.
 *
 * Netlink sockets (keepalived_netlink.c netlink_socket, netlink_set_rx_buf_size): the
 * command (`*_netlink_cmd_rcv_bufs`) and monitor (`*_netlink_monitor_rcv_bufs`) sockets
 * of the VRRP (`vrrp_*`) and checker (`lvs_*`) processes get SO_RCVBUF, or
 * SO_RCVBUFFORCE with `*_force`. Unset, keel keeps its own sizes (4 MiB command, 8 MiB
 * monitor, forced) where keepalived has 64 KiB.
 */
import type { GlobalDefs } from "../config/global/model";
import type { RcvBuf } from "../../native-bindings/netlink";

export interface RxMember {
  family: 4 | 6;
  version: 2 | 3;
  /** VIPs in the advert */
  vips: number;
  ah: boolean;
  /** the instance's kernel_rx_buf_size */
  kernelRxBufSize?: number;
  /** the receiving interface's MTU, when known */
  mtu?: number;
}

const VRRP_HEADER = 8;
const VRRP_AUTH_LEN = 8;
const IPV4_HEADER = 20;
/** ipsec_ah_t: next header, length, reserved, SPI, sequence, 12 bytes of HMAC-96 */
const AH_HEADER = 24;

/** vrrp_adv_len */
export function advertLength(m: RxMember): number {
  if (m.family === 6) return VRRP_HEADER + 16 * m.vips;
  const pkt = VRRP_HEADER + (m.version === 2 ? VRRP_AUTH_LEN : 0) + 4 * m.vips;
  return pkt + IPV4_HEADER + (m.ah ? AH_HEADER : 0);
}

/** One instance's share of its socket's SO_RCVBUF (0: none). */
export function memberShare(
  g: Pick<GlobalDefs, "vrrpRxBufsPolicy" | "vrrpRxBufsSize" | "vrrpRxBufsMultiplier">,
  m: RxMember,
): number {
  if (m.kernelRxBufSize) return m.kernelRxBufSize;
  if (g.vrrpRxBufsSize !== undefined) return g.vrrpRxBufsSize;
  if (g.vrrpRxBufsPolicy === "advert") return g.vrrpRxBufsMultiplier * advertLength(m);
  if (g.vrrpRxBufsPolicy === "mtu" && m.mtu !== undefined) return g.vrrpRxBufsMultiplier * m.mtu;
  return 0;
}

/** The netlink sockets' buffers of one process, when the configuration sets them. */
export function netlinkBufs(g: GlobalDefs, proc: "vrrp" | "lvs"): { cmd?: RcvBuf; monitor?: RcvBuf } {
  const one = (bytes: number | undefined, force: boolean) => (bytes ? { bytes, force } : undefined);
  return proc === "vrrp"
    ? {
        cmd: one(g.vrrpNetlinkCmdRcvBufs, g.vrrpNetlinkCmdRcvBufsForce),
        monitor: one(g.vrrpNetlinkMonitorRcvBufs, g.vrrpNetlinkMonitorRcvBufsForce),
      }
    : {
        cmd: one(g.lvsNetlinkCmdRcvBufs, g.lvsNetlinkCmdRcvBufsForce),
        monitor: one(g.lvsNetlinkMonitorRcvBufs, g.lvsNetlinkMonitorRcvBufsForce),
      };
}
