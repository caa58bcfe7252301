// Which address an instance sends from, by netlink's address flags (src/runtime/source-address.ts).
import { describe, expect, test } from "bun:test";
import type { IfAddress } from "../../../src/runtime/kernel";
import { logDad, usable, usableSource } from "../../../src/runtime/source-address";

const link = { ifindex: 3, name: "eth1", up: true };
const a = (address: string, family: 4 | 6, flags = 0, scope = family === 6 ? 253 : 0): IfAddress => ({
  ifindex: 3,
  family,
  address,
  prefixLen: family === 4 ? 24 : 64,
  scope,
  flags,
});
const TENTATIVE = 0x40;
const DADFAILED = 0x08;

describe("usableSource", () => {
  test("IPv4: the first primary address; secondaries and other interfaces do not count", () => {
    expect(usableSource(link, [a("10.0.0.2", 4, 0x01), a("10.0.0.1", 4)], 4)).toEqual({ address: "10.0.0.1" });
    expect(usableSource(link, [{ ...a("10.0.0.1", 4), ifindex: 9 }], 4)).toEqual({ detail: "no IPv4 address" });
    expect(usableSource(undefined, [], 4)).toEqual({ detail: "the interface does not exist" });
  });
  test("IPv6: a link-local that finished DAD; a tentative or dadfailed one is named", () => {
    expect(usableSource(link, [a("fd00::1", 6, 0, 0), a("fe80::1", 6)], 6)).toEqual({ address: "fe80::1" });
    expect(usableSource(link, [a("fe80::1", 6, TENTATIVE)], 6)).toEqual({
      detail: "fe80::1 is tentative (duplicate address detection running)",
    });
    expect(usableSource(link, [a("fe80::1", 6, TENTATIVE | DADFAILED)], 6)).toEqual({
      detail: "fe80::1 failed duplicate address detection (dadfailed)",
    });
    // a second, usable link-local wins over a failed one
    expect(usableSource(link, [a("fe80::1", 6, DADFAILED), a("fe80::2", 6)], 6)).toEqual({ address: "fe80::2" });
    expect(usableSource(link, [], 6)).toEqual({ detail: "no IPv6 link-local address" });
  });
  test("usable: still there and not tentative", () => {
    expect(usable(link, [a("fe80::1", 6)], "fe80::1")).toBe(true);
    expect(usable(link, [a("fe80::1", 6, TENTATIVE)], "fe80::1")).toBe(false);
    expect(usable(link, [], "fe80::1")).toBe(false);
  });
});

describe("logDad", () => {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
  test("one line when DAD fails or passes, none for IPv4 or unchanged flags", () => {
    const l = log as unknown as Parameters<typeof logDad>[0];
    logDad(l, undefined, a("fe80::1", 6, TENTATIVE), "eth1");
    logDad(l, a("fe80::1", 6, TENTATIVE), a("fe80::1", 6, DADFAILED), "eth1");
    logDad(l, a("fe80::1", 6, DADFAILED), a("fe80::1", 6, DADFAILED), "eth1");
    logDad(l, a("fe80::2", 6, TENTATIVE), a("fe80::2", 6), "eth1");
    logDad(l, undefined, a("10.0.0.1", 4), "eth1");
    expect(lines).toEqual([
      "warn fe80::1 on eth1 failed duplicate address detection (dadfailed): another host has it",
      "info fe80::2 on eth1 passed duplicate address detection",
    ]);
  });
});
