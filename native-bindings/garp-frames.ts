/**
 * The frames that announce a VIP's new home, byte for byte as keepalived builds them.
 *
 * Gratuitous ARP (vrrp_arp.c send_gratuitous_arp, RFC 5227 3 / RFC 826): an Ethernet
 * broadcast ARP *request* whose sender and target protocol addresses are both the VIP,
 * sender hardware address = the interface's (or the VMAC's) MAC, target hardware address
 * = the broadcast address.
 *
 * Unsolicited neighbour advertisement (vrrp_ndisc.c ndisc_send_unsolicited_na, RFC 4861
 * 4.4 and 7.2.6): IPv6 from the VIP to ff02::1 (Ethernet 33:33:00:00:00:01), hop limit
 * 255, ICMPv6 type 136 with the Override flag (and Router when the interface forwards),
 * target = the VIP, option 2 (target link-layer address) = the MAC.
 */

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function garpFrame(mac: Uint8Array, vip: Uint8Array): Uint8Array {
  const f = new Uint8Array(42);
  const v = new DataView(f.buffer);
  f.set(BROADCAST, 0);
  f.set(mac.subarray(0, 6), 6);
  v.setUint16(12, 0x0806); // ETHERTYPE_ARP
  v.setUint16(14, 1); // ar_hrd ARPHRD_ETHER
  v.setUint16(16, 0x0800); // ar_pro ETHERTYPE_IP
  f[18] = 6; // ar_hln
  f[19] = 4; // ar_pln
  v.setUint16(20, 1); // ar_op ARPOP_REQUEST
  f.set(mac.subarray(0, 6), 22); // sender MAC
  f.set(vip.subarray(0, 4), 28); // sender IP
  f.set(BROADCAST, 32); // target MAC (keepalived: hw_addr_bcast)
  f.set(vip.subarray(0, 4), 38); // target IP
  return f;
}

/** RFC 4443 2.3: the ones' complement sum over the IPv6 pseudo-header and the message. */
export function icmp6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  let sum = 0;
  const add16 = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  };
  add16(src);
  add16(dst);
  sum += msg.length; // upper-layer length (< 65536)
  sum += 58; // next header ICMPv6
  add16(msg);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function unsolicitedNaFrame(mac: Uint8Array, vip: Uint8Array, router: boolean): Uint8Array {
  const ICMP_LEN = 24 + 8; // NA + target link-layer address option
  const f = new Uint8Array(14 + 40 + ICMP_LEN);
  const v = new DataView(f.buffer);
  // Ethernet: 33:33 + low 32 bits of ff02::1 (RFC 2464 7)
  f.set([0x33, 0x33, 0x00, 0x00, 0x00, 0x01], 0);
  f.set(mac.subarray(0, 6), 6);
  v.setUint16(12, 0x86dd);
  // IPv6 header
  const ip = 14;
  v.setUint32(ip, 0x60000000);
  v.setUint16(ip + 4, ICMP_LEN);
  f[ip + 6] = 58; // next header ICMPv6
  f[ip + 7] = 255; // hop limit (RFC 4861 7.1.2)
  f.set(vip.subarray(0, 16), ip + 8);
  const allNodes = new Uint8Array(16);
  allNodes[0] = 0xff;
  allNodes[1] = 0x02;
  allNodes[15] = 1;
  f.set(allNodes, ip + 24);
  // ICMPv6 neighbour advertisement
  const m = ip + 40;
  f[m] = 136;
  f[m + 1] = 0;
  f[m + 4] = (router ? 0x80 : 0) | 0x20; // R, S = 0 (unsolicited), O
  f.set(vip.subarray(0, 16), m + 8);
  f[m + 24] = 2; // ND_OPT_TARGET_LINKADDR
  f[m + 25] = 1; // length in units of 8 octets
  f.set(mac.subarray(0, 6), m + 26);
  v.setUint16(m + 2, icmp6Checksum(vip, allNodes, f.subarray(m)));
  return f;
}
