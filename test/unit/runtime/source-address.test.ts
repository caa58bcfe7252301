// Which address an instance sends from, by netlink's address flags (src/runtime/source-address.ts).
import { describe, expect, test } from "bun:test";
import type { IfAddress } from "../../../src/runtime/kernel";
import { OwnAddresses, logDad, usable, usableSource } from "../../../src/runtime/source-address";

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
  test("IPv6: a link-local, tentative or not (keepalived takes it); a dadfailed one is named", () => {
    expect(usableSource(link, [a("fd00::1", 6, 0, 0), a("fe80::1", 6)], 6)).toEqual({ address: "fe80::1" });
    expect(usableSource(link, [a("fe80::1", 6, TENTATIVE)], 6)).toEqual({ address: "fe80::1" });
    expect(usableSource(link, [a("fe80::1", 6, TENTATIVE | DADFAILED)], 6)).toEqual({
      detail: "fe80::1 failed duplicate address detection (dadfailed)",
    });
    // a second, usable link-local wins over a failed one
    expect(usableSource(link, [a("fe80::1", 6, DADFAILED), a("fe80::2", 6)], 6)).toEqual({ address: "fe80::2" });
    expect(usableSource(link, [], 6)).toEqual({ detail: "no IPv6 link-local address" });
  });
  test("usable: still there and not dadfailed", () => {
    expect(usable(link, [a("fe80::1", 6)], "fe80::1")).toBe(true);
    expect(usable(link, [a("fe80::1", 6, TENTATIVE)], "fe80::1")).toBe(true);
    expect(usable(link, [a("fe80::1", 6, DADFAILED)], "fe80::1")).toBe(false);
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

describe("usableSource never takes a VIP (ignore_address_if_ours_or_link_local)", () => {
  test("the VIP is skipped; alone, there is no address", () => {
    const ours = (_i: number, x: string) => x === "10.0.0.1";
    expect(usableSource(link, [a("10.0.0.1", 4), a("10.0.0.2", 4)], 4, ours)).toEqual({ address: "10.0.0.2" });
    expect(usableSource(link, [a("10.0.0.1", 4)], 4, ours)).toEqual({ detail: "no IPv4 address" });
  });
});

describe("OwnAddresses (keepalived_netlink.c netlink_if_address_filter, 2.2.7)", () => {
  const ours = (_i: number, x: string) => x === "10.0.0.1" || x === "fe80::99";
  test("start: the first of each family is named, a VIP too; VIPs then dropped, the first other promoted", () => {
    const own = new OwnAddresses();
    const first = own.seed([a("10.0.0.1", 4), a("fd00::1", 6, 0, 0), a("fe80::1", 6), a("10.0.0.2", 4)], ours);
    expect(first.map((x) => x.address)).toEqual(["10.0.0.1", "fe80::1"]);
    expect(own.ownOf(3, 4)).toBe("10.0.0.2");
    expect(own.ownOf(3, 6)).toBe("fe80::1");
  });
  test("added: true only for the first of the family; a VIP or a global IPv6 address is not one", () => {
    const own = new OwnAddresses();
    expect(own.added(a("10.0.0.1", 4), ours)).toBe(false);
    expect(own.added(a("fd00::1", 6, 0, 0), ours)).toBe(false);
    expect(own.added(a("fe80::99", 6), ours)).toBe(false);
    expect(own.added(a("10.0.0.5", 4, 0x01), ours)).toBe(true); // a secondary counts for keepalived
    expect(own.added(a("10.0.0.5", 4), ours)).toBe(false); // comes again (promoted): have_address
    expect(own.added(a("10.0.0.6", 4), ours)).toBe(false);
    expect(own.added(a("10.0.0.7", 4), ours)).toBe(false);
  });
  test("removed: the own address goes to the last other one; true when none is left", () => {
    const own = new OwnAddresses();
    for (const x of ["10.0.0.5", "10.0.0.6", "10.0.0.7"]) own.added(a(x, 4));
    expect(own.removed(a("10.0.0.6", 4))).toBe(false);
    expect(own.removed(a("10.0.0.5", 4))).toBe(false);
    expect(own.ownOf(3, 4)).toBe("10.0.0.7");
    expect(own.removed(a("10.0.0.7", 4))).toBe(true);
    expect(own.ownOf(3, 4)).toBeUndefined();
    expect(own.removed(a("10.0.0.7", 4))).toBe(false);
    own.added(a("fe80::1", 6));
    expect(own.removed(a("fd00::1", 6, 0, 0))).toBe(false);
    expect(own.removed(a("fe80::1", 6))).toBe(true);
    own.added(a("10.0.0.8", 4));
    own.forget(3);
    expect(own.ownOf(3, 4)).toBeUndefined();
  });
});
