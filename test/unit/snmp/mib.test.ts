import { describe, expect, test } from "bun:test";
import { compareOids, formatOid, parseOid } from "../../../src/snmp/mib";

describe("OIDs", () => {
  test("parse and format round-trip, with or without the leading dot", () => {
    expect(parseOid(".1.3.6.1.4.1.9586")).toEqual([1, 3, 6, 1, 4, 1, 9586]);
    expect(formatOid(parseOid("1.3.6.1.2.1.68"))).toBe("1.3.6.1.2.1.68");
  });
  test("a bad arc is refused, naming the OID", () => {
    expect(() => parseOid("1.3.x")).toThrow("bad OID 1.3.x: x");
    expect(() => parseOid("1.3.-1")).toThrow("bad OID");
  });
  test("lexicographic order: a prefix sorts first, arcs compare as numbers", () => {
    const oids = ["1.3.6.1.10", "1.3.6.1.9", "1.3.6.1", "1.3.6.1.9.1"].map(parseOid);
    expect(oids.sort(compareOids).map(formatOid)).toEqual(["1.3.6.1", "1.3.6.1.9", "1.3.6.1.9.1", "1.3.6.1.10"]);
  });
});
