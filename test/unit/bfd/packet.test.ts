import { describe, expect, test } from "bun:test";
import { type BfdPacket, decodeBfd, diagWord, encodeBfd } from "../../../src/bfd/packet";
import { mulberry32 } from "../../../src/base/random";
import { bfdPacket } from "./packets";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

const base = bfdPacket({ myDiscr: 0x11223344 });

describe("BFD Control packet codec (RFC 5880 4.1)", () => {
  test("a Down packet encodes to the RFC layout, byte for byte", () => {
    // version 1, diag 0 | state Down (1) << 6 | mult 3 | length 24 | discriminators | 1 s | 10 ms | 0
    expect(hex(encodeBfd(base))).toBe("20400318112233440000000000" + "0f4240" + "00002710" + "00000000");
  });

  test("round trip of every state, flag and diag", () => {
    for (const state of ["AdminDown", "Down", "Init", "Up"] as const)
      for (const [poll, final] of [
        [false, false],
        [true, false],
        [false, true],
      ] as const) {
        const p: BfdPacket = { ...base, state, poll, final, diag: 7, cpi: true, demand: true, yourDiscr: 9 };
        const r = decodeBfd(encodeBfd(p));
        expect(r).toEqual({ ok: true, value: p });
      }
  });

  const discard: [string, string, string][] = [
    ["truncated", "2040", "shorter than 4 bytes"],
    ["bad-version", "40400318112233440000000000" + "0f424000002710" + "00000000", "version 2"],
    ["bad-length", "20400317112233440000000000" + "0f424000002710" + "00000000", "Length 23"],
    ["bad-length", "20440318112233440000000000" + "0f424000002710" + "00000000", "A bit with Length 24"],
    ["truncated", "2040031c112233440000000000" + "0f424000002710" + "00000000", "Length 28 > 24 bytes"],
    ["zero-detect-mult", "20400018112233440000000000" + "0f424000002710" + "00000000", "Detect Mult 0"],
    ["multipoint", "20410318112233440000000000" + "0f424000002710" + "00000000", "M bit"],
    ["zero-my-discr", "20400318000000000000000000" + "0f424000002710" + "00000000", "My Discriminator 0"],
    ["zero-your-discr", "20c00318112233440000000000" + "0f424000002710" + "00000000", "Up with Your Discriminator 0"],
  ];
  for (const [code, h, what] of discard)
    test(`6.8.6 discards: ${what} → ${code}`, () => {
      const r = decodeBfd(unhex(h));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code as never);
    });

  test("the decoder never throws: 20 000 random and mutated inputs", () => {
    const rand = mulberry32(17);
    const good = encodeBfd(base);
    for (let i = 0; i < 20_000; i++) {
      let b: Uint8Array;
      if (i % 2) {
        b = new Uint8Array(Math.floor(rand() * 40));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      } else {
        b = good.slice();
        b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      }
      const r = decodeBfd(b);
      expect(typeof r.ok).toBe("boolean");
    }
  });

  test("diag words", () => {
    expect(diagWord(1)).toBe("control-detection-time-expired");
    expect(diagWord(3)).toBe("neighbor-signaled-session-down");
    expect(diagWord(20)).toBe("reserved-20");
  });
});
