/**
 * Golden bytes for the structs keel hands the kernel and the GARP / NA frames it sends
 * (layouts from linux/in.h, in6.h, if_packet.h, RFC 826 and RFC 4861 4.4).
 */
import { describe, expect, test } from "bun:test";
import { garpFrame, icmp6Checksum, unsolicitedNaFrame } from "../../../native-bindings/garp-frames";
import { parseIpv4, parseIpv6 } from "../../../native-bindings/netlink/ip";
import { cmsgs, ipMreqn, ipv6Mreq, sockaddrIn, sockaddrIn6, sockaddrLl } from "../../../native-bindings/structs";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const MAC = new Uint8Array([0x02, 0x99, 0, 0, 0, 0x0b]);

describe("structs", () => {
  test("sockaddr_in: family 2 (host order), port big-endian, address, 8 zero bytes", () => {
    expect(hex(sockaddrIn(parseIpv4("224.0.0.18")!, 0x1234))).toBe("02001234e000001200000000" + "00000000");
  });
  test("sockaddr_in6: family 10, port, flowinfo, address, scope id", () => {
    expect(hex(sockaddrIn6(parseIpv6("ff02::12")!, 3))).toBe(`0a000000` + `00000000` + `ff020000000000000000000000000012` + `03000000`);
  });
  test("sockaddr_ll: family 17, protocol big-endian, ifindex, hatype 1, halen, address", () => {
    expect(hex(sockaddrLl({ ifindex: 2, protocol: 0x0806, addr: new Uint8Array([255, 255, 255, 255, 255, 255]) }))).toBe(
      "1100" + "0806" + "02000000" + "0100" + "00" + "06" + "ffffffffffff0000",
    );
  });
  test("ip_mreqn and ipv6_mreq", () => {
    expect(hex(ipMreqn(parseIpv4("224.0.0.18")!, 5))).toBe("e0000012" + "00000000" + "05000000");
    expect(hex(ipv6Mreq(parseIpv6("ff02::12")!, 5))).toBe("ff020000000000000000000000000012" + "05000000");
  });
  test("the cmsg walk: aligned headers, a truncated one ends the walk", () => {
    const c = new Uint8Array(64);
    const v = new DataView(c.buffer);
    // IP_PKTINFO (level 0, type 8), 12 bytes of data → cmsg_len 28, next at 32
    v.setBigUint64(0, 28n, true);
    v.setInt32(8, 0, true);
    v.setInt32(12, 8, true);
    v.setInt32(16, 7, true);
    // IPV6_HOPLIMIT (41, 52), 4 bytes → len 20
    v.setBigUint64(32, 20n, true);
    v.setInt32(40, 41, true);
    v.setInt32(44, 52, true);
    v.setInt32(48, 255, true);
    const got = cmsgs(c, 52);
    expect(got.map((m) => [m.level, m.type, m.data.length])).toEqual([
      [0, 8, 12],
      [41, 52, 4],
    ]);
    expect(cmsgs(c, 40).length).toBe(1); // the second header does not fit
  });
});

describe("gratuitous ARP (keepalived send_gratuitous_arp)", () => {
  test("broadcast request, sender = target = the VIP, target MAC broadcast", () => {
    const f = garpFrame(MAC, parseIpv4("10.99.0.100")!);
    expect(hex(f)).toBe(
      "ffffffffffff" + "02990000000b" + "0806" + // Ethernet
        "0001" + "0800" + "06" + "04" + "0001" + // htype, ptype, hlen, plen, op request
        "02990000000b" + "0a630064" + // sender
        "ffffffffffff" + "0a630064", // target
    );
  });
});

describe("unsolicited neighbour advertisement (RFC 4861 4.4, keepalived vrrp_ndisc.c)", () => {
  const vip = parseIpv6("fd00:99::100")!;
  test("layout: all-nodes, hop limit 255, O flag, target and its link-layer address", () => {
    const f = unsolicitedNaFrame(MAC, vip, false);
    expect(f.length).toBe(14 + 40 + 32);
    expect(hex(f.subarray(0, 14))).toBe("333300000001" + "02990000000b" + "86dd");
    expect(hex(f.subarray(14, 22))).toBe("60000000" + "0020" + "3a" + "ff");
    expect(hex(f.subarray(22, 38))).toBe(hex(vip));
    expect(hex(f.subarray(38, 54))).toBe("ff020000000000000000000000000001");
    const m = f.subarray(54);
    expect(m[0]).toBe(136);
    expect(m[4]).toBe(0x20); // Override only
    expect(hex(m.subarray(8, 24))).toBe(hex(vip));
    expect(hex(m.subarray(24, 32))).toBe("0201" + "02990000000b");
    expect(unsolicitedNaFrame(MAC, vip, true)[54 + 4]).toBe(0xa0); // Router + Override
  });
  test("the checksum verifies: summing the pseudo-header and message with it gives 0xffff", () => {
    const f = unsolicitedNaFrame(MAC, vip, false);
    const m = f.subarray(54);
    // icmp6Checksum of a message that already carries its checksum is 0 (~0xffff)
    expect(icmp6Checksum(f.subarray(22, 38), f.subarray(38, 54), m)).toBe(0);
    // and a known vector: RFC 1071 arithmetic on an all-zero message
    expect(icmp6Checksum(new Uint8Array(16), new Uint8Array(16), new Uint8Array(8))).toBe(~(8 + 58) & 0xffff);
  });
});
