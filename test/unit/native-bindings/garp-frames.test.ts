/**
 * The GARP and unsolicited NA frames keel sends, against frames keepalived 2.2.7 sent
 * (captured with dumpcap in a namespace: an instance with virtual_ipaddress
 * 10.99.0.100 and virtual_ipaddress_excluded fd00:99::100 on eth0 with MAC
 * 02:99:00:00:00:0b, IPv6 forwarding off), and field by field against RFC 826 and
 * RFC 4861 4.4.
 */
import { describe, expect, test } from "bun:test";
import { garpFrame, icmp6Checksum, unsolicitedNaFrame } from "../../../native-bindings/garp-frames";
import { parseIpv4, parseIpv6 } from "../../../src/base/ip";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const MAC = new Uint8Array([0x02, 0x99, 0, 0, 0, 0x0b]);

// frames 1 and 2 of keepalived's capture, byte for byte
const KEEPALIVED_GARP = "ffffffffffff02990000000b0806000108000604000102990000000b0a630064ffffffffffff0a630064";
const KEEPALIVED_NA =
  "33330000000102990000000b86dd6000000000203afffd000099000000000000000000000100ff020000000000000000000000000001" +
  "880056c820000000fd000099000000000000000000000100020102990000000b";

describe("gratuitous ARP (keepalived vrrp_arp.c send_gratuitous_arp_immediate)", () => {
  test("is keepalived's frame byte for byte", () => {
    expect(hex(garpFrame(MAC, parseIpv4("10.99.0.100")!))).toBe(KEEPALIVED_GARP);
  });
  test("RFC 826 fields: broadcast request, sender = target = the VIP, target MAC broadcast", () => {
    const f = garpFrame(MAC, parseIpv4("10.99.0.100")!);
    expect(hex(f)).toBe(
      "ffffffffffff" +
        "02990000000b" +
        "0806" + // Ethernet: broadcast, our MAC, ETHERTYPE_ARP
        "0001" +
        "0800" +
        "06" +
        "04" +
        "0001" + // ar_hrd ether, ar_pro IPv4, hln, pln, ARPOP_REQUEST
        "02990000000b" +
        "0a630064" + // sender MAC, sender IP
        "ffffffffffff" +
        "0a630064", // target MAC (keepalived: hw_addr_bcast), target IP
    );
  });
});

describe("unsolicited neighbour advertisement (keepalived vrrp_ndisc.c, RFC 4861 4.4 / 7.2.6)", () => {
  const vip = parseIpv6("fd00:99::100")!;
  test("is keepalived's frame byte for byte (its checksum included)", () => {
    expect(hex(unsolicitedNaFrame(MAC, vip, false))).toBe(KEEPALIVED_NA);
  });
  test("layout: all-nodes, hop limit 255, O flag, target and its link-layer address", () => {
    const f = unsolicitedNaFrame(MAC, vip, false);
    expect(f.length).toBe(14 + 40 + 32);
    expect(hex(f.subarray(0, 14))).toBe("333300000001" + "02990000000b" + "86dd"); // RFC 2464 7
    expect(hex(f.subarray(14, 22))).toBe("60000000" + "0020" + "3a" + "ff"); // payload 32, ICMPv6, hop limit 255
    expect(hex(f.subarray(22, 38))).toBe(hex(vip)); // source = the VIP
    expect(hex(f.subarray(38, 54))).toBe("ff020000000000000000000000000001");
    const m = f.subarray(54);
    expect(m[0]).toBe(136); // ND_NEIGHBOR_ADVERT
    expect(m[1]).toBe(0);
    expect(m[4]).toBe(0x20); // Override only: S must be 0 in an unsolicited NA
    expect(hex(m.subarray(8, 24))).toBe(hex(vip));
    expect(hex(m.subarray(24, 32))).toBe("0201" + "02990000000b"); // option 2, length 1 (8 octets), MAC
    expect(unsolicitedNaFrame(MAC, vip, true)[54 + 4]).toBe(0xa0); // Router + Override when forwarding
  });
  test("the ICMPv6 checksum verifies (RFC 4443 2.3): summing it back in gives 0", () => {
    for (const router of [false, true]) {
      const f = unsolicitedNaFrame(MAC, vip, router);
      expect(icmp6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54))).toBe(0);
    }
    // RFC 1071 arithmetic on an all-zero message: only length and next header count
    expect(icmp6Checksum(new Uint8Array(16), new Uint8Array(16), new Uint8Array(8))).toBe(~(8 + 58) & 0xffff);
    // odd lengths pad with a zero byte
    expect(icmp6Checksum(new Uint8Array(16), new Uint8Array(16), new Uint8Array([0x01]))).toBe(
      ~(0x0100 + 1 + 58) & 0xffff,
    );
  });
});
