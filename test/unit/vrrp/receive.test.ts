// The receive path the router uses: captured keepalived packets through decodeReceived
// (the in-place decode with the header's address sum), and failures that still name the VRID.
import { describe, expect, test } from "bun:test";
import { decodeReceived } from "../../../src/vrrp/receive";
import vectorFile from "../../fixtures/vrrp/vectors.json";

const hex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

describe("decodeReceived", () => {
  const ipv4 = vectorFile.vectors.filter((v) => v.kind === "ipv4-packet");
  test.each(ipv4.map((v) => [v.name, v] as const))("%s decodes as the captured values", (_name, v) => {
    const r = decodeReceived({ ifname: "eth0", family: 4, data: hex(v.hex) });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toMatchObject({
      vrid: v.expected.vrid,
      priority: v.expected.priority,
      advertIntCs: v.expected.advertIntCs,
      addresses: v.expected.addresses,
      from: v.src,
      to: v.dst,
      ttl: v.ttl,
    });
    expect(r.value.ah !== undefined).toBe(v.expected.authType === 2);
  });
  test("a corrupted v3 checksum is reported with the VRID, so the instance can count it", () => {
    const v = ipv4.find((x) => x.expected.version === 3);
    if (!v) throw new Error("no v3 vector");
    const data = hex(v.hex);
    data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 0xff;
    expect(decodeReceived({ ifname: "eth0", family: 4, data })).toMatchObject({
      ok: false,
      error: { code: "bad-checksum", vrid: v.expected.vrid },
    });
  });
  test("an IPv6 packet without its addresses is an error, not a throw", () => {
    expect(decodeReceived({ ifname: "eth0", family: 6, data: new Uint8Array(8) })).toMatchObject({
      ok: false,
      error: { code: "no-address" },
    });
  });
});
