// src/base/mac.ts: MAC text <-> bytes.
import { describe, expect, test } from "bun:test";
import { formatMac, parseMac } from "../../../src/base/mac";

describe("MAC addresses", () => {
  test("parse and format", () => {
    expect(parseMac("02:00:5E:10:0:ff")).toEqual(Uint8Array.of(2, 0, 0x5e, 0x10, 0, 0xff));
    expect(formatMac(Uint8Array.of(2, 0, 0x5e, 0x10, 0, 0xff))).toBe("02:00:5e:10:00:ff");
    const bad = [
      "",
      "02:00:5e:10:00",
      "02:00:5e:10:00:ff:01",
      "02:00:5e:10:00:fff",
      "g2:00:5e:10:00:ff",
      "02::5e:10:00:ff",
    ];
    for (const text of bad) {
      expect(parseMac(text)).toBeUndefined();
    }
  });
});
