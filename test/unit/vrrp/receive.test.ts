// The receive path the router uses: captured keepalived packets through decodeReceived
// (the in-place decode with the header's address sum), and failures that still name the VRID.
import { describe, expect, test } from "bun:test";
import { parseIpv4, parseIpv6 } from "../../../src/base/ip";
import { encodeIpv4Packet } from "../../../src/vrrp/ah";
import { HMAC_TRAILER_LEN } from "../../../src/vrrp/auth-hmac";
import { internetChecksum } from "../../../src/vrrp/checksum";
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
    hmac: a.hmac
      ? {
          pdu: [...a.hmac.pdu],
          trailer: [...a.hmac.trailer],
          src: [...a.hmac.src],
          wallMs: a.hmac.wallMs,
        }
      : undefined,
  });

  test("5,000 random and damaged packets: the same result as decodeReceived, through one record", () => {
    // every form the router decodes: the old checksum's group, auth_hmac's trailer (a
    // packet with one appended, or without), v3_checksum_as_v2
    const r = rng(5798);
    const out = receivedRecord();
    let ok = 0;
    let failed = 0;
    let trailers = 0;
    for (let i = 0; i < 5_000; i++) {
      const g = randomAdvert(r, 6);
      const { advert } = g;
      const family = advert.family;
      const bare = encodeAdvert(advert, { src: g.src, dst: g.dst, authPass: g.authPass });
      const hmac = r.bool(0.3);
      const msg = hmac && r.bool(0.7) ? Uint8Array.from([...bare, ...r.bytes(HMAC_TRAILER_LEN)]) : bare;
      const whole =
        family === 4
          ? encodeIpv4Packet({ src: g.src, dst: g.dst, id: r.int(0, 0xffff), ttl: r.int(0, 255), payload: msg })
          : msg;
      const data = r.bool(0.4) ? mutate(r, whole) : whole;
      const rx: RxPacket =
        family === 4
          ? { ifname: "eth0", family: 4, data, wallMs: 1_700_000_000_000 + i }
          : {
              ifname: "eth0",
              family: 6,
              data,
              src: r.bool(0.9) ? parseIpv6(g.src) : g.src,
              dst: r.bool(0.02) ? undefined : parseIpv6(g.dst),
              hopLimit: r.bool(0.9) ? 255 : undefined,
              wallMs: 1_700_000_000_000 + i,
            };
      const group = family === 4 && r.bool(0.1) ? parseIpv4("224.0.0.18") : undefined;
      const asV2 = r.bool(0.2);
      const want = decodeReceived(rx, group, hmac, asV2);
      const got = decodeReceivedInto(rx, out, group, hmac, asV2);
      if (want.ok) {
        ok++;
        if (want.value.hmac) trailers++;
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
    expect(trailers).toBeGreaterThan(100);
  });

  test("what the instance marked on the record (an auth_hmac refusal) is gone with the next advert", () => {
    const out = receivedRecord();
    const pkt = encodeIpv4Packet({
      src: "10.0.0.1",
      dst: "224.0.0.18",
      id: 1,
      payload: encodeAdvert(
        {
          version: 3,
          type: 1,
          vrid: 7,
          priority: 100,
          family: 4,
          advertIntCs: 100,
          authType: 0,
          addresses: ["10.0.0.100"],
        },
        { src: "10.0.0.1", dst: "224.0.0.18" },
      ),
    });
    const signed = Uint8Array.from([...pkt, ...new Uint8Array(HMAC_TRAILER_LEN)]);
    // the trailer counts in the IP total length (and so the header checksum)
    signed[3] = signed.length;
    signed[10] = 0;
    signed[11] = 0;
    const ck = internetChecksum(signed.subarray(0, 20));
    signed[10] = ck >> 8;
    signed[11] = ck & 0xff;
    const a = decodeReceivedInto({ ifname: "eth0", family: 4, data: signed }, out, undefined, true);
    expect(a).toBe(out);
    expect(out.hmac?.trailer.length).toBe(HMAC_TRAILER_LEN);
    out.hmacFailure = "auth_ext_invalid_hmac";
    decodeReceivedInto({ ifname: "eth0", family: 4, data: pkt }, out, undefined, true);
    expect(out.hmac).toBeUndefined();
    expect(out.hmacFailure).toBeUndefined();
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
