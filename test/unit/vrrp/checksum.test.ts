import { describe, expect, test } from "bun:test";
import {
  finish,
  internetChecksum,
  ipv4PseudoHeader,
  ipv6PseudoHeader,
  pseudoHeaderSum,
  sum16,
} from "../../../src/vrrp/checksum";
import { parseIpv4, parseIpv6 } from "../../../src/base/ip";
import { rng } from "./gen";

describe("internet checksum (RFC 1071)", () => {
  test("RFC 1071 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2", () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(internetChecksum(b)).toBe(~0xddf2 & 0xffff);
    expect(finish(sum16(b))).toBe(~0xddf2 & 0xffff);
  });

  test("a buffer carrying its own checksum sums to 0", () => {
    const b = new Uint8Array([0x45, 0, 0, 0x1c, 0, 1, 0, 0, 0xff, 0x70, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18]);
    const c = internetChecksum(b);
    b[10] = c >> 8;
    b[11] = c & 0xff;
    expect(internetChecksum(b)).toBe(0);
  });

  test("segments of any length pair bytes across boundaries; odd tail is zero padded", () => {
    const r = rng(3);
    for (let i = 0; i < 300; i++) {
      const all = r.bytes(r.int(0, 64));
      const cut1 = r.int(0, all.length);
      const cut2 = r.int(cut1, all.length);
      const whole = internetChecksum(all);
      expect(internetChecksum(all.subarray(0, cut1), all.subarray(cut1, cut2), all.subarray(cut2))).toBe(whole);
      const padded = new Uint8Array(all.length + (all.length & 1));
      padded.set(all);
      expect(internetChecksum(padded)).toBe(whole);
    }
  });

  test("large sums fold correctly", () => {
    const ones = new Uint8Array(65534).fill(0xff);
    expect(internetChecksum(ones)).toBe(0);
    expect(finish(0xffff * 100000)).toBe(0);
  });

  test("pseudo-headers: layout and the allocation-free sum agree", () => {
    const s4 = parseIpv4("192.0.2.1")!;
    const d4 = parseIpv4("224.0.0.18")!;
    const h4 = ipv4PseudoHeader(s4, d4, 20);
    expect(Buffer.from(h4).toString("hex")).toBe("c0000201e000001200700014");
    expect(finish(pseudoHeaderSum(s4, d4, 20))).toBe(internetChecksum(h4));
    const s6 = parseIpv6("fe80::a")!;
    const d6 = parseIpv6("ff02::12")!;
    const h6 = ipv6PseudoHeader(s6, d6, 40);
    expect(Buffer.from(h6).toString("hex")).toBe(
      "fe80000000000000000000000000000aff020000000000000000000000000012" + "00000028" + "00000070",
    );
    expect(finish(pseudoHeaderSum(s6, d6, 40))).toBe(internetChecksum(h6));
  });
});
