/**
 * Sending gratuitous ARP and unsolicited NA from an interface: one AF_PACKET/SOCK_RAW
 * socket per interface, whole Ethernet frames (built in garp-frames.ts) sent with a
 * 20-byte sockaddr_ll naming the interface, as keepalived's send_arp (vrrp_arp.c) and
 * ndisc_send_na (vrrp_ndisc.c) do. keepalived opens one shared socket per kind and
 * names the interface in each sendto; one socket for both kinds per interface is the
 * same on the wire.
 *
 * The socket's protocol is 0, not keepalived's htons(ETH_P_ARP): a packet socket bound
 * to a protocol gets a copy of every such frame the host sees (net/packet/af_packet.c
 * registers a packet_type hook for it), which keepalived then throws away with a
 * "return 0" BPF filter (if_setsockopt_no_receive). Protocol 0 registers no hook, so
 * the socket never receives; sending is unaffected because the kernel takes the frame's
 * protocol from sll_protocol (packet_snd).
 */
import { SyscallError, check, errno } from "./errno";
import { garpFrame, unsolicitedNaFrame } from "./garp-frames";
import { monotonicMs } from "./kernel-timer";
import { libc } from "./libc";
import { parseIpv4, parseIpv6 } from "../src/base/ip";
import { AF_PACKET, sockaddrLl } from "./structs";
import { ifIndex } from "./vrrp-socket";
// libc file calls, not node:fs (DESIGN.md rule 6)
import { readTextFile } from "./file";

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const ETH_P_ARP = 0x0806;
const ETH_P_IPV6 = 0x86dd;

export interface GarpSender {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  sendArp(ipv4: string): void;
  sendNa(ipv6: string): void;
  /**
   * Build the frame sendArp/sendNa will send for this address now, so that the send only
   * sends it (a backup's takeover, made ready at BACKUP: issue 20). Nothing is sent.
   */
  prepare(address: string, family: 4 | 6): void;
  close(): void;
}

/** frames kept per sender: a takeover's VIPs; past this many (reloads that renamed VIPs) they start over */
const KEPT_FRAMES = 4096;
/** keepalived vrrp_ndisc.c: the interface's forwarding, for the NA's Router flag, read again after 5 s */
const ROUTER_CHECK_MS = 5_000;

/**
 * The interface's MAC by SIOCGIFHWADDR on our own socket: asked of the network namespace
 * the socket lives in. /sys/class/net shows the namespace sysfs was mounted for, which
 * is not ours after `-s`/net_namespace (setns moves the thread, not the mounts).
 */
const SIOCGIFHWADDR = 0x8927;
function macOf(fd: number, ifname: string): Uint8Array {
  // struct ifreq: ifr_name[16], then ifr_hwaddr (struct sockaddr: sa_family, sa_data[14])
  const ifr = Buffer.alloc(40);
  ifr.write(ifname.slice(0, 15), 0, "latin1");
  check("ioctl", libc.ioctl(fd, SIOCGIFHWADDR, ifr), `SIOCGIFHWADDR ${ifname}`);
  return new Uint8Array(ifr.subarray(18, 24));
}

/**
 * keepalived sets the NA Router flag when the interface forwards IPv6 (vrrp_ndisc.c
 * ndisc_send_unsolicited_na, which reads it again once 5 s have passed since the last read).
 */
function forwards(ifname: string): boolean {
  try {
    return readTextFile(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`).trim() === "1";
  } catch {
    return false;
  }
}

export function openGarpSender(ifname: string): GarpSender {
  const ifindex = ifIndex(ifname);
  const fd = check("socket", libc.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), "AF_PACKET");
  let mac: Uint8Array;
  try {
    mac = macOf(fd, ifname);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  const arpTo = sockaddrLl({
    ifindex,
    protocol: ETH_P_ARP,
    addr: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  });
  const naTo = sockaddrLl({ ifindex, protocol: ETH_P_IPV6, addr: new Uint8Array([0x33, 0x33, 0, 0, 0, 1]) });
  let closed = false;
  const send = (frame: Uint8Array, to: Uint8Array, what: string) => {
    if (closed) throw new SyscallError("sendto", 9, `${what} on ${ifname}`);
    const r = libc.sendto(fd, frame, frame.length, 0, to, to.length);
    if (Number(r) === -1) throw new SyscallError("sendto", errno(), `${what} on ${ifname}`);
  };
  // the frames by address: an address's frame is the same bytes every time (the MAC is
  // this socket's, read at open; an NA's differs only by the Router flag, checked below)
  const arps = new Map<string, Uint8Array>();
  const nas = new Map<string, { router: boolean; frame: Uint8Array }>();
  const keep = <V>(m: Map<string, V>, k: string, v: V): V => {
    if (m.size >= KEPT_FRAMES) m.clear();
    m.set(k, v);
    return v;
  };
  let router = false;
  let routerAt = Number.NEGATIVE_INFINITY;
  const routerFlag = (): boolean => {
    const now = monotonicMs();
    if (now - routerAt >= ROUTER_CHECK_MS) {
      router = forwards(ifname);
      routerAt = now;
    }
    return router;
  };
  const arpFrame = (ipv4: string): Uint8Array => {
    const kept = arps.get(ipv4);
    if (kept) return kept;
    const a = parseIpv4(ipv4);
    if (!a) throw new SyscallError("sendto", 22, `not an IPv4 address: ${ipv4}`);
    return keep(arps, ipv4, garpFrame(mac, a));
  };
  const naFrame = (ipv6: string): Uint8Array => {
    const r = routerFlag();
    const kept = nas.get(ipv6);
    if (kept?.router === r) return kept.frame;
    const a = parseIpv6(ipv6);
    if (!a) throw new SyscallError("sendto", 22, `not an IPv6 address: ${ipv6}`);
    return keep(nas, ipv6, { router: r, frame: unsolicitedNaFrame(mac, a, r) }).frame;
  };
  return {
    ifindex,
    mac,
    sendArp(ipv4: string): void {
      send(arpFrame(ipv4), arpTo, `gratuitous ARP for ${ipv4}`);
    },
    sendNa(ipv6: string): void {
      send(naFrame(ipv6), naTo, `unsolicited NA for ${ipv6}`);
    },
    prepare(address: string, family: 4 | 6): void {
      if (family === 4) arpFrame(address);
      else naFrame(address);
    },
    close(): void {
      if (closed) return;
      closed = true;
      libc.close(fd);
    },
  };
}
