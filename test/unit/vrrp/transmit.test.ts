// The send path's kept packets (transmit.ts advertPacketsShared, issue 20): each advert it
// hands out is byte for byte what a fresh encode gives (advertPackets: encodeAdvert and
// encodeIpv4Packet from scratch), for random instances, priorities, IP ids, TTLs and
// destinations, in any order of calls, and the bytes it returned before are rewritten
// for the next advert (which is why the driver sends them at once).
import { expect, test } from "bun:test";
import { advertPackets, advertPacketsShared, encodeAhead } from "../../../src/vrrp/transmit";
import type { AdvertOut } from "../../../src/vrrp/types";
import { randomAddress, rng } from "./gen";

interface Inst {
  base: AdvertOut;
  src: string;
}

function randomInstance(r: ReturnType<typeof rng>, k: number): Inst {
  const family = r.bool() ? 4 : 6;
  const version = family === 6 ? 3 : r.bool(0.7) ? 3 : 2;
  const unicast = r.bool(0.4);
  const pass = r.bool(0.5) ? `pw${r.int(0, 1e6)}` : "";
  const base: AdvertOut = {
    instance: `VI_${k}`,
    family,
    version,
    vrid: r.int(1, 255),
    priority: 100,
    advertIntCs: version === 2 ? r.int(1, 255) * 100 : r.int(1, 4095),
    // the engine hands the same array with every advert of an instance
    addresses: Array.from({ length: r.int(0, 20) }, () => randomAddress(r, family)),
    destinations: unicast
      ? Array.from({ length: r.int(1, 3) }, () => randomAddress(r, family))
      : [family === 4 ? "224.0.0.18" : "ff02::12"],
    unicast,
    ipId: 0,
    seq: 0,
  };
  if (version === 2 && family === 4 && pass) base.auth = { type: "PASS", pass };
  if (family === 4 && unicast && r.bool(0.3)) base.ttl = r.int(1, 255);
  if (family === 4 && version === 3 && unicast && r.bool(0.2)) base.checksumDst = "224.0.0.18";
  return { base, src: randomAddress(r, family) };
}

test("advertPacketsShared gives the bytes of a fresh encode, for 5,000 random adverts of 50 instances", () => {
  const r = rng(20_2026);
  const insts = Array.from({ length: 50 }, (_, k) => randomInstance(r, k));
  for (let i = 0; i < 5_000; i++) {
    const inst = insts[r.int(0, insts.length - 1)]!;
    // what moves between adverts: the priority (trackers), the IP id, sometimes the source
    const advert: AdvertOut = {
      ...inst.base,
      priority: r.pick([0, 100, 100, 100, r.int(1, 255)]),
      ipId: r.int(1, 0xffff),
    };
    if (r.bool(0.01)) inst.src = randomAddress(r, advert.family);
    const fresh = advertPackets(advert, inst.src);
    const kept = advertPacketsShared(advert, inst.src);
    expect(kept.length).toBe(fresh.length);
    for (let j = 0; j < fresh.length; j++) {
      expect(kept[j]!.dst).toBe(fresh[j]!.dst);
      expect(Buffer.from(kept[j]!.data).toString("hex")).toBe(Buffer.from(fresh[j]!.data).toString("hex"));
    }
  }
});

test("the kept bytes are the instance's one buffer: the next advert rewrites them (IP id and header checksum)", () => {
  const advert: AdvertOut = {
    instance: "VI_1",
    family: 4,
    version: 3,
    vrid: 7,
    priority: 150,
    advertIntCs: 100,
    addresses: ["10.0.0.100"],
    destinations: ["224.0.0.18"],
    unicast: false,
    ipId: 1,
    seq: 0,
  };
  const first = advertPacketsShared(advert, "10.0.0.1")[0]!.data;
  const copy = first.slice();
  const second = advertPacketsShared({ ...advert, ipId: 2 }, "10.0.0.1")[0]!.data;
  expect(second).toBe(first);
  expect([second[4], second[5]]).toEqual([0, 2]);
  expect(Buffer.from(second).equals(Buffer.from(copy))).toBe(false);
  expect(Buffer.from(second).toString("hex")).toBe(
    Buffer.from(advertPackets({ ...advert, ipId: 2 }, "10.0.0.1")[0]!.data).toString("hex"),
  );
});

test("AH adverts and values the wire cannot carry go through the fresh encode (its errors, its ICV per sequence)", () => {
  const advert: AdvertOut = {
    instance: "VI_AH",
    family: 4,
    version: 2,
    vrid: 9,
    priority: 100,
    advertIntCs: 100,
    addresses: ["10.0.0.9"],
    destinations: ["224.0.0.18"],
    unicast: false,
    ipId: 5,
    seq: 3,
    auth: { type: "AH", pass: "secret" },
  };
  const a = advertPacketsShared(advert, "10.0.0.1")[0]!.data;
  const b = advertPacketsShared({ ...advert, seq: 4, ipId: 6 }, "10.0.0.1")[0]!.data;
  expect(a).not.toBe(b);
  expect(Buffer.from(a).toString("hex")).toBe(Buffer.from(advertPackets(advert, "10.0.0.1")[0]!.data).toString("hex"));
  const plain: AdvertOut = { ...advert, instance: "VI_P", auth: undefined, version: 3, addresses: ["10.0.0.8"] };
  expect(() => advertPacketsShared({ ...plain, ipId: 0x10000 }, "10.0.0.1")).toThrow(/id 65536 out of range/);
  expect(() => advertPacketsShared({ ...plain, ttl: 256 }, "10.0.0.1")).toThrow(/ttl 256 out of range/);
  expect(() => advertPacketsShared(plain, "fe80::1")).toThrow(RangeError);
});

test("encodeAhead: an auth_hmac advert is not signed ahead (that would spend a sequence number), nor an AH one built", () => {
  const base: AdvertOut = {
    instance: "VI_1",
    family: 4,
    version: 3,
    vrid: 7,
    priority: 100,
    advertIntCs: 100,
    addresses: ["10.0.0.100"],
    destinations: ["224.0.0.18"],
    unicast: false,
    ipId: 0,
    seq: 0,
  };
  let signed = 0;
  const hmac = {
    sign: () => {
      signed++;
      return new Uint8Array(40);
    },
  } as unknown as NonNullable<AdvertOut["hmac"]>;
  encodeAhead({ ...base, hmac }, "10.0.0.2");
  expect(signed).toBe(0);
  // what it does encode is what the send then finds: the same bytes as a fresh encode
  encodeAhead(base, "10.0.0.2");
  const fresh = advertPackets({ ...base, ipId: 5 }, "10.0.0.2");
  const kept = advertPacketsShared({ ...base, ipId: 5 }, "10.0.0.2");
  expect(Buffer.from(kept[0]!.data).toString("hex")).toBe(Buffer.from(fresh[0]!.data).toString("hex"));
});
