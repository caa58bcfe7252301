/**
 * Sending gratuitous ARP and unsolicited NA from an interface: one AF_PACKET/SOCK_RAW
 * socket per interface (keepalived opens one shared garp_fd and names the interface in
 * each sendto's sockaddr_ll; keel binds per interface so a VMAC and its base never mix).
 * Frames are built in garp-frames.ts.
 */
import { readFileSync } from "node:fs";
import { SyscallError, check, errno } from "./errno";
import { garpFrame, unsolicitedNaFrame } from "./garp-frames";
import { libc } from "./libc";
import { parseIpv4, parseIpv6 } from "./netlink/ip";
import { AF_PACKET, sockaddrLl } from "./structs";
import { ifIndex } from "./vrrp-socket";

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
  close(): void;
}

function macOf(ifname: string): Uint8Array {
  const text = readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim();
  return new Uint8Array(text.split(":").map((h) => Number.parseInt(h, 16)));
}

/** keepalived sets the NA Router flag when the interface forwards IPv6 (vrrp_ndisc.c). */
function forwards(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, "utf8").trim() === "1";
  } catch {
    return false;
  }
}

export function openGarpSender(ifname: string): GarpSender {
  const ifindex = ifIndex(ifname);
  const mac = macOf(ifname);
  // protocol 0: a send-only packet socket receives nothing
  const fd = check("socket", libc.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), "AF_PACKET");
  const arpTo = sockaddrLl({ ifindex, protocol: ETH_P_ARP, addr: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) });
  const naTo = sockaddrLl({ ifindex, protocol: ETH_P_IPV6, addr: new Uint8Array([0x33, 0x33, 0, 0, 0, 1]) });
  let closed = false;
  const send = (frame: Uint8Array, to: Uint8Array, what: string) => {
    if (closed) throw new SyscallError("sendto", 9, `${what} on ${ifname}`);
    const r = libc.sendto(fd, frame, frame.length, 0, to, to.length);
    if (Number(r) === -1) throw new SyscallError("sendto", errno(), `${what} on ${ifname}`);
  };
  return {
    ifindex,
    mac,
    sendArp(ipv4: string): void {
      const a = parseIpv4(ipv4);
      if (!a) throw new SyscallError("sendto", 22, `not an IPv4 address: ${ipv4}`);
      send(garpFrame(mac, a), arpTo, `gratuitous ARP for ${ipv4}`);
    },
    sendNa(ipv6: string): void {
      const a = parseIpv6(ipv6);
      if (!a) throw new SyscallError("sendto", 22, `not an IPv6 address: ${ipv6}`);
      send(unsolicitedNaFrame(mac, a, forwards(ifname)), naTo, `unsolicited NA for ${ipv6}`);
    },
    close(): void {
      if (closed) return;
      closed = true;
      libc.close(fd);
    },
  };
}
