import { describe, expect, test } from "bun:test";
import { formatIpv4, formatIpv6, parseIpv6 } from "../../../src/base/ip";
import { AddressKeys, ipv4Text, ipv6Text } from "../../../src/vrrp/address-text";

describe("address text from packets", () => {
  test("IPv4: the text of the bytes at the offset, one string per address", () => {
    const b = Uint8Array.of(0, 0, 10, 0, 0, 1, 255, 255, 255, 255);
    expect(ipv4Text(b, 2)).toBe("10.0.0.1");
    expect(ipv4Text(b, 6)).toBe("255.255.255.255");
    const again = Uint8Array.of(10, 0, 0, 1);
    expect(ipv4Text(again, 0)).toBe(ipv4Text(b, 2));
  });

  test("IPv6: RFC 5952 text, and a different address is never taken for a cached one", () => {
    const a = parseIpv6("2001:db8::1")!;
    const c = parseIpv6("fe80::1:2")!;
    expect(ipv6Text(a, 0)).toBe("2001:db8::1");
    expect(ipv6Text(c, 0)).toBe("fe80::1:2");
    const inside = new Uint8Array(20);
    inside.set(a, 4);
    expect(ipv6Text(inside, 4)).toBe("2001:db8::1");
    // changing the bytes after the first call gives the new text (the table copies them)
    inside[19] = 2;
    expect(ipv6Text(inside, 4)).toBe("2001:db8::2");
  });

  test("more addresses than the table holds: every answer still right", () => {
    const b = new Uint8Array(16);
    b[0] = 0x20;
    for (let i = 0; i < 20_000; i++) {
      b[14] = i >> 8;
      b[15] = i & 0xff;
      expect(ipv6Text(b, 0)).toBe(formatIpv6(b));
      const q = Uint8Array.of(10, i >> 8, i & 0xff, 7);
      expect(ipv4Text(q, 0)).toBe(formatIpv4(q));
    }
  });
});

test("AddressKeys: has() as a Set's, short lists searched in order and long ones hashed; duplicates counted once", () => {
  for (const n of [0, 1, 2, 8, 9, 1000]) {
    const keys = Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 0xff}.1`);
    const k = new AddressKeys([...keys, ...keys.slice(0, 3)]);
    expect(k.size).toBe(n);
    expect(k.list).toEqual(keys);
    for (const a of keys) expect(k.has(a)).toBe(true);
    // the same text made anew (as a decoded packet's), not the same string object
    for (const a of keys.slice(0, 5)) expect(k.has(a.split(".").join("."))).toBe(true);
    expect(k.has("10.255.255.1")).toBe(false);
    expect(k.has("")).toBe(false);
  }
});
