// The receive path the router uses: captured keepalived packets through decodeReceived
// (the in-place decode with the header's address sum), and failures that still name the VRID.
import { describe, expect, test } from "bun:test";
import { parseIpv4, parseIpv6 } from "../../../src/base/ip";
import { encodeIpv4Packet } from "../../../src/vrrp/ah";
import { encodeAdvert } from "../../../src/vrrp/packet";
import {
  type DecodeFailure,
  decodeReceived,
  decodeReceivedInto,
  isDecodeFailure,
  receivedRecord,
} from "../../../src/vrrp/receive";
import type { RxPacket } from "../../../src/vrrp/router";
import type { ReceivedAdvert } from "../../../src/vrrp/types";
import { mutate, randomAdvert, rng } from "./gen";
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

// The router's hot path (decodeReceivedInto, issue 20) against decodeReceived: for valid
// and damaged packets of both families, one record refilled across all of them gives the
// same advert, or the same failure (code, message, VRID), as a fresh decode.
describe("decodeReceivedInto", () => {
  const plain = (a: ReceivedAdvert) => ({
    version: a.version,
    vrid: a.vrid,
    priority: a.priority,
    advertIntCs: a.advertIntCs,
    authType: a.authType,
    authData: a.authData ? [...a.authData] : undefined,
    addresses: [...a.addresses],
    from: a.from,
    to: a.to,
    ttl: a.ttl,
    ah: a.ah ? a.ah.seq : undefined,
  });

  test("5,000 random and damaged packets: the same result as decodeReceived, through one record", () => {
    const r = rng(5798);
    const out = receivedRecord();
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 5_000; i++) {
      const g = randomAdvert(r, 6);
      const { advert } = g;
      const family = advert.family;
      const msg = encodeAdvert(advert, { src: g.src, dst: g.dst, authPass: g.authPass });
      const whole =
        family === 4
          ? encodeIpv4Packet({ src: g.src, dst: g.dst, id: r.int(0, 0xffff), ttl: r.int(0, 255), payload: msg })
          : msg;
      const data = r.bool(0.4) ? mutate(r, whole) : whole;
      const rx: RxPacket =
        family === 4
          ? { ifname: "eth0", family: 4, data }
          : {
              ifname: "eth0",
              family: 6,
              data,
              src: r.bool(0.9) ? parseIpv6(g.src) : g.src,
              dst: r.bool(0.02) ? undefined : parseIpv6(g.dst),
              hopLimit: r.bool(0.9) ? 255 : undefined,
            };
      const group = family === 4 && r.bool(0.1) ? parseIpv4("224.0.0.18") : undefined;
      const want = decodeReceived(rx, group);
      const got = decodeReceivedInto(rx, out, group);
      if (want.ok) {
        ok++;
        expect(isDecodeFailure(got)).toBe(false);
        expect(plain(got as ReceivedAdvert)).toEqual(plain(want.value));
      } else {
        failed++;
        expect(isDecodeFailure(got)).toBe(true);
        expect({ ...(got as DecodeFailure) }).toEqual({ ...want.error });
      }
    }
    // both outcomes were exercised many times
    expect(ok).toBeGreaterThan(1_000);
    expect(failed).toBeGreaterThan(500);
  });

  test("the record and its address list are reused for adverts of the same shape", () => {
    const out = receivedRecord();
    const advert = {
      version: 3 as const,
      type: 1 as const,
      vrid: 7,
      priority: 100,
      family: 4 as const,
      advertIntCs: 100,
      authType: 0,
      addresses: ["10.0.0.100", "10.0.0.101"],
    };
    const pkt = (priority: number) =>
      encodeIpv4Packet({
        src: "10.0.0.1",
        dst: "224.0.0.18",
        id: 1,
        payload: encodeAdvert({ ...advert, priority }, { src: "10.0.0.1", dst: "224.0.0.18" }),
      });
    const a = decodeReceivedInto({ ifname: "eth0", family: 4, data: pkt(100) }, out);
    const list = out.addresses;
    const b = decodeReceivedInto({ ifname: "eth0", family: 4, data: pkt(90) }, out);
    expect(a).toBe(out);
    expect(b).toBe(out);
    expect(out.addresses).toBe(list);
    expect(out.priority).toBe(90);
    expect(out.addresses).toEqual(["10.0.0.100", "10.0.0.101"]);
  });
});
