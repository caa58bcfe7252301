/**
 * src/base/ip.ts: inet_pton parsing, glibc inet_ntop text, and the address tests every
 * layer shares (multicast, link-local, IPv4 as a number).
 */
import { describe, expect, test } from "bun:test";
import { isIP as nodeIsIP } from "node:net";
import { mulberry32u } from "../../../src/base/random";
import {
  canonicalIp,
  formatAddress,
  formatIpv4,
  formatIpv6,
  ipv4ToNumber,
  isIP,
  isLinkLocal6,
  isLinkLocalMulticast6,
  isMulticast,
  isMulticastBytes,
  numberToIpv4,
  parseAddress,
  parseIp,
  parseIpv4,
  parseIpv6,
  withoutZone,
} from "../../../src/base/ip";

describe("addresses (inet_pton / inet_ntop)", () => {
  test("IPv4", () => {
    expect(parseIpv4("192.0.2.1")).toEqual(new Uint8Array([192, 0, 2, 1]));
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3."]) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
  });

  test("IPv6 canonical text as glibc prints it", () => {
    const cases: [string, string][] = [
      ["2001:0db8:0000:0000:0000:0000:0000:0071", "2001:db8::71"],
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of equal runs
      ["2001:db8::1:0:0:0:1", "2001:db8:0:1::1"], // longest run wins
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single 0 group stays
      ["::", "::"],
      ["::1", "::1"],
      ["1::", "1::"],
      ["FE80::A", "fe80::a"],
      ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
      ["::ffff:c000:201", "::ffff:192.0.2.1"],
      ["::192.0.2.1", "::192.0.2.1"],
      ["::0.0.0.5", "::5"],
      ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
      ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ];
    for (const [input, want] of cases) expect(`${input} → ${canonicalIp(input)}`).toBe(`${input} → ${want}`);
  });

  test("IPv6 rejects what inet_pton rejects", () => {
    for (const bad of [
      "",
      ":",
      ":::",
      "1:2",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      "12345::",
      "g::",
      ":1::",
      "1:",
      "fe80::1%eth0",
      "1.2.3.4::",
      "::1.2.3",
      "::256.1.1.1",
    ]) {
      expect(parseIpv6(bad)).toBeUndefined();
    }
  });

  test("format → parse round trip on random bytes", () => {
    const next = mulberry32u(11);
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: 16 }, () => next() & 0xff);
      for (let k = 0; k < 16; k += 2) if (next() & 1) b[k] = b[k + 1] = 0;
      expect(parseIpv6(formatIpv6(b))).toEqual(b);
    }
  });
});

describe("either family", () => {
  test("parseIp and parseAddress pick the family; formatAddress goes back by length", () => {
    expect(parseIp("10.1.2.3")).toEqual({ family: 4, bytes: Uint8Array.of(10, 1, 2, 3) });
    expect(parseIp("::1")?.family).toBe(6);
    expect(parseIp("nope")).toBeUndefined();
    expect(parseAddress(4, "::1")).toBeUndefined();
    expect(parseAddress(6, "10.0.0.1")).toBeUndefined();
    expect(formatAddress(parseAddress(6, "fe80::1")!)).toBe("fe80::1");
    expect(formatAddress(parseAddress(4, "10.0.0.1")!)).toBe("10.0.0.1");
    expect(formatAddress(new Uint8Array(5))).toBeUndefined();
  });

  test("formatting at an offset", () => {
    const b = Uint8Array.of(9, 9, 192, 0, 2, 1);
    expect(formatIpv4(b, 2)).toBe("192.0.2.1");
    const c = new Uint8Array(18);
    c.set(parseIpv6("2001:db8::1")!, 2);
    expect(formatIpv6(c, 2)).toBe("2001:db8::1");
  });

  test("IPv4 as an unsigned number and back", () => {
    expect(ipv4ToNumber(parseIpv4("255.255.255.0")!)).toBe(0xffffff00);
    expect(ipv4ToNumber(Uint8Array.of(0, 10, 0, 0, 1), 1)).toBe(0x0a000001);
    expect(formatIpv4(numberToIpv4(0xc0000201))).toBe("192.0.2.1");
    expect(formatIpv4(numberToIpv4(0xffffffff))).toBe("255.255.255.255");
  });
});

describe("address classes", () => {
  test("multicast: 224.0.0.0/4 and ff00::/8, a zone allowed", () => {
    for (const yes of ["224.0.0.18", "239.255.255.255", "ff02::12", "FF05::1", "ff02::12%eth0"]) {
      expect(isMulticast(yes)).toBe(true);
    }
    for (const no of ["223.255.255.255", "240.0.0.1", "10.0.0.1", "fe80::1", "::", "", "ff02", "224.0.0"]) {
      expect(isMulticast(no)).toBe(false);
    }
    expect(isMulticastBytes(Uint8Array.of(0xe0, 0, 0, 18))).toBe(true);
    expect(isMulticastBytes(Uint8Array.of(0xff, 2))).toBe(false);
  });

  test("link-local multicast (ffX2::) and link-local unicast (fe80::/10)", () => {
    expect(isLinkLocalMulticast6("ff02::12")).toBe(true);
    expect(isLinkLocalMulticast6("ff12::1")).toBe(true);
    expect(isLinkLocalMulticast6("ff05::1")).toBe(false);
    expect(isLinkLocalMulticast6("224.0.0.18")).toBe(false);
    expect(isLinkLocal6("fe80::1")).toBe(true);
    expect(isLinkLocal6("febf::1%eth0")).toBe(true);
    expect(isLinkLocal6("fec0::1")).toBe(false);
    expect(isLinkLocal6("10.0.0.1")).toBe(false);
  });

  test("withoutZone drops an IPv6 zone only", () => {
    expect(withoutZone("fe80::1%eth0")).toBe("fe80::1");
    expect(withoutZone("10.0.0.1%x")).toBe("10.0.0.1%x");
    expect(withoutZone("::1")).toBe("::1");
  });
});

describe("isIP answers as node:net's (the config's keyword tables use it instead)", () => {
  test("a corpus of edge cases", () => {
    const cases = [
      "1.2.3.4",
      "0.0.0.0",
      "01.2.3.4",
      "1.2.3.04",
      "00.0.0.0",
      "1.2.3",
      "256.1.1.1",
      "1.2.3.4/24",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.4%eth0",
      "",
      "abc",
      "::",
      "::1",
      "FE80::A",
      "::ffff:1.2.3.4",
      "::1.2.3.4",
      "1:2:3:4:5:6:1.2.3.4",
      "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::",
      "::2:3:4:5:6:7:8",
      "1::2::3",
      "12345::",
      "fe80::1%eth0",
      "fe80::1%1",
      "fe80::1%25eth0",
      "fe80::1%",
      "fe80::1%eth0%x",
      "fe80::1%a.b:c-d",
      "fe80::1%eth 0",
      "%eth0",
      "1.2.3.4%",
      "::%x",
      ":::",
      "1:::2",
    ];
    for (const c of cases) expect([c, isIP(c) as number]).toEqual([c, nodeIsIP(c)]);
  });

  test("random strings over the address alphabet", () => {
    const next = mulberry32u(20);
    const alphabet = "0123456789abcdefABCDEF:.%-ez";
    for (let i = 0; i < 20_000; i++) {
      const len = 1 + (next() % 20);
      let s = "";
      for (let k = 0; k < len; k++) s += alphabet[next() % alphabet.length];
      expect([s, isIP(s) as number]).toEqual([s, nodeIsIP(s)]);
    }
  });
});
