import { describe, expect, test } from "bun:test";
import { computeIcv, encodeIpv4Packet, verifyIpv4Ah } from "../../../src/vrrp/ah";
import {
  type Advert,
  type AdvertErrorCode,
  authPassBytes,
  authPassMatches,
  decodeAdvert,
  decodeIpv4Packet,
  encodeAdvert,
  type Ipv4ErrorCode,
} from "../../../src/vrrp/packet";
import vectorFile from "../../fixtures/vrrp/vectors.json";
import { mutate, randomAddress, randomAdvert, rng } from "./gen";

type Vector = (typeof vectorFile.vectors)[number];
const vectors: Vector[] = vectorFile.vectors;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe("golden vectors captured from keepalived", () => {
  test("cover every case the brief asks for", () => {
    const names = vectors.map((v) => v.name);
    for (const want of ["v2-pass/first", "v2-ah/first", "v3-ipv4/first", "v3-ipv6/first"])
      expect(names).toContain(want);
    expect(vectors.filter((v) => v.expected.priority === 0).length).toBeGreaterThanOrEqual(4);
    expect(vectorFile.keepalivedVersion).toContain("v2.2.7");
  });

  for (const v of vectors) {
    test(`${v.name}: decodes to tshark's fields and re-encodes byte for byte`, () => {
      const e = v.expected;
      const bytes = unhex(v.hex);
      let payload: Uint8Array = bytes;
      if (v.kind === "ipv4-packet") {
        const ip = ok(decodeIpv4Packet(bytes));
        expect(ip.src).toBe(v.src);
        expect(ip.dst).toBe(v.dst);
        expect(ip.ttl).toBe(v.ttl);
        expect(ip.tos).toBe(e.ip!.tos);
        expect(ip.id).toBe(e.ip!.id);
        expect(ip.protocol).toBe(e.ip!.protocol);
        expect(ip.headerChecksum).toBe(e.ip!.checksum);
        if (e.ah) {
          expect(ip.ah).toBeDefined();
          expect({ ...ip.ah!, icv: hex(ip.ah!.icv) }).toEqual({ ...e.ah, reserved: 0 });
          expect(ok(verifyIpv4Ah(ip, v.authPass!, { unicast: v.unicast }))).toEqual({ spi: e.ah.spi, seq: e.ah.seq });
        } else {
          expect(ip.ah).toBeUndefined();
        }
        payload = ip.payload;
      }
      const a = ok(decodeAdvert(payload, { family: e.family as 4 | 6, src: v.src, dst: v.dst }));
      expect(a.version).toBe(e.version as 2 | 3);
      expect(a.type).toBe(e.type as 1);
      expect(a.vrid).toBe(e.vrid);
      expect(a.priority).toBe(e.priority);
      expect(a.family).toBe(e.family as 4 | 6);
      expect(a.advertIntCs).toBe(e.advertIntCs);
      expect(a.authType).toBe(e.authType);
      expect(a.addresses).toEqual(e.addresses);
      expect(a.checksum).toBe(e.checksum);
      if (e.authData !== undefined) expect(hex(a.authData!)).toBe(e.authData);
      else expect(a.authData).toBeUndefined();
      if (a.authType === 1) {
        expect(authPassMatches(a, v.authPass!)).toBe(true);
        expect(authPassMatches(a, "wrong")).toBe(false);
      }

      // re-encode from the decoded fields only (authData is ignored for PASS: authPass wins)
      const fields: Advert = { ...a, authData: a.authType === 1 ? undefined : a.authData };
      const re = encodeAdvert(fields, { src: v.src, dst: v.dst, authPass: v.authPass });
      expect(hex(re)).toBe(hex(payload));
      if (v.kind === "ipv4-packet") {
        const pkt = encodeIpv4Packet({
          src: v.src,
          dst: v.dst,
          ttl: v.ttl,
          id: e.ip!.id,
          tos: e.ip!.tos,
          payload: re,
          ah: e.ah ? { key: v.authPass!, seq: e.ah.seq, unicast: v.unicast } : undefined,
        });
        expect(hex(pkt)).toBe(v.hex);
      }
    });
  }

  test("tshark agrees with every checksum except v2 over IPv6 (it sums v2 without a pseudo-header)", () => {
    for (const v of vectors) {
      const v2v6 = v.expected.version === 2 && v.expected.family === 6;
      expect(`${v.name}:${v.tsharkChecksumStatus}`).toBe(`${v.name}:${v2v6 ? "bad" : "good"}`);
    }
  });

  test("keepalived's AH quirks: TTL in the ICV only for multicast, SPI = source, seq per advert", () => {
    const ahVectors = vectors.filter((v) => v.expected.ah);
    expect(ahVectors.length).toBeGreaterThanOrEqual(4);
    for (const v of ahVectors) {
      const ip = ok(decodeIpv4Packet(unhex(v.hex)));
      // the other TTL rule does not verify
      const wrong = verifyIpv4Ah(ip, v.authPass!, { unicast: !v.unicast });
      expect(wrong.ok ? "ok" : wrong.error.code).toBe("auth-mismatch");
      // auth_pass counts only to 8 characters
      const longer = `${v.authPass!.slice(0, 8)}EXTRA`;
      expect(verifyIpv4Ah(ip, longer, { unicast: v.unicast }).ok).toBe(true);
      expect(verifyIpv4Ah(ip, "not-it", { unicast: v.unicast }).ok).toBe(false);
      expect(ip.ah!.spi).toBe(new DataView(unhex(v.hex).buffer).getUint32(12));
    }
    const seqs = (inst: string) => vectors.filter((v) => v.instance === inst).map((v) => v.expected.ah!.seq);
    expect(seqs("V2_AH").slice(0, 2)).toEqual([1, 2]);
    expect(seqs("V2_AH_UNICAST").slice(0, 2)).toEqual([1, 2]);
  });

  test("v2 PASS sends only the first 8 bytes of auth_pass, zero padded", () => {
    const long = vectors.find((v) => v.name === "v2-pass/first")!;
    expect(long.authPass).toBe("secret12345");
    expect(long.expected.authData).toBe(hex(new TextEncoder().encode("secret12")));
    const short = vectors.find((v) => v.name === "v2-pass-short/first")!;
    expect(short.expected.authData).toBe("6b70000000000000");
    expect(hex(authPassBytes("kp"))).toBe("6b70000000000000");
  });
});

describe("round trip", () => {
  test("2,000 random valid adverts: encode → decode gives the advert back", () => {
    const r = rng(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const { advert, src, dst, authPass } = randomAdvert(r);
      const bytes = encodeAdvert(advert, { src, dst, authPass });
      const back = ok(decodeAdvert(bytes, { family: advert.family, src, dst }));
      const { checksum, ...fields } = back;
      expect(checksum).toBe((bytes[6]! << 8) | bytes[7]!);
      const want: Advert = { ...advert };
      if (advert.version === 2 && advert.family === 4) {
        want.authData = authPass !== undefined ? authPassBytes(authPass) : (advert.authData ?? new Uint8Array(8));
      }
      expect(fields).toEqual(want);
      // and byte for byte again
      expect(hex(encodeAdvert(back, { src, dst, authPass }))).toBe(hex(bytes));
    }
  });

  test("IPv4 packets with and without AH, multicast and unicast", () => {
    const r = rng(7);
    for (let i = 0; i < 500; i++) {
      const g = randomAdvert(r);
      if (g.advert.family !== 4) continue;
      const payload = encodeAdvert(g.advert, g);
      const withAh = g.advert.version === 2 && r.bool();
      const unicast = r.bool();
      const key = r.pick(["ahsecret", "k", "0123456789"]);
      const seq = r.u32();
      const ttl = r.int(0, 255);
      const id = r.int(0, 0xffff);
      const pkt = encodeIpv4Packet({
        src: g.src,
        dst: g.dst,
        ttl,
        id,
        payload,
        ah: withAh ? { key, seq, unicast } : undefined,
      });
      const ip = ok(decodeIpv4Packet(pkt));
      expect([ip.src, ip.dst, ip.ttl, ip.id, ip.tos, ip.protocol]).toEqual([
        g.src,
        g.dst,
        ttl,
        id,
        0xc0,
        withAh ? 51 : 112,
      ]);
      expect(hex(ip.payload)).toBe(hex(payload));
      if (withAh) {
        expect(ok(verifyIpv4Ah(ip, key, { unicast }))).toEqual({ spi: ip.ah!.spi, seq });
        // unicast: TTL is outside the ICV, so a changed TTL still verifies; multicast: it does not
        const changed = Uint8Array.from(pkt);
        changed[8] = (ttl + 1) & 0xff;
        const sum = new DataView(changed.buffer);
        sum.setUint16(10, 0);
        let s = 0;
        for (let k = 0; k < 20; k += 2) s += sum.getUint16(k);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        sum.setUint16(10, ~s & 0xffff);
        const ip2 = ok(decodeIpv4Packet(changed));
        expect(verifyIpv4Ah(ip2, key, { unicast }).ok).toBe(unicast);
      }
    }
  });

  test("link padding after the IP total length is dropped", () => {
    const v = vectors.find((x) => x.name === "v3-ipv4-unicast/first")!;
    const padded = new Uint8Array(46);
    padded.set(unhex(v.hex));
    const ip = ok(decodeIpv4Packet(padded));
    expect(ip.packet.length).toBe(32);
    expect(ok(decodeAdvert(ip.payload, { family: 4, src: ip.src, dst: ip.dst })).addresses).toEqual(["192.0.2.123"]);
  });

  test("v3_checksum_as_v2 (keepalived compat): no pseudo-header on send, not checked on receive", () => {
    const advert: Advert = {
      version: 3,
      type: 1,
      vrid: 9,
      priority: 100,
      family: 4,
      advertIntCs: 100,
      authType: 0,
      addresses: ["10.0.0.9"],
    };
    const asV2 = encodeAdvert(advert, { v3ChecksumAsV2: true });
    const rfc = encodeAdvert(advert, { src: "10.0.0.1", dst: "224.0.0.18" });
    expect(hex(asV2)).not.toBe(hex(rfc));
    const code = (r: ReturnType<typeof decodeAdvert>) => (r.ok ? "ok" : r.error.code);
    expect(code(decodeAdvert(asV2, { family: 4, src: "10.0.0.1", dst: "224.0.0.18" }))).toBe("bad-checksum");
    expect(code(decodeAdvert(asV2, { family: 4, src: "10.0.0.1", dst: "224.0.0.18", v3ChecksumAsV2: true }))).toBe(
      "ok",
    );
    // byte-form addresses work like text
    expect(
      code(decodeAdvert(rfc, { family: 4, src: new Uint8Array([10, 0, 0, 1]), dst: new Uint8Array([224, 0, 0, 18]) })),
    ).toBe("ok");
  });
});

describe("every error code from a crafted packet", () => {
  const v2 = unhex(vectors.find((v) => v.name === "v2-pass/first")!.hex).subarray(20); // 24-byte v2 advert, 2 addrs
  const v3 = vectors.find((v) => v.name === "v3-ipv4/first")!;
  const v3msg = unhex(v3.hex).subarray(20);
  const v4opts = { family: 4 as const, src: "192.0.2.1", dst: "224.0.0.18" };

  /** set bytes, then fix the v2 checksum so only the intended check fails */
  function v2With(edit: (b: Uint8Array) => void, fixChecksum = true): Uint8Array {
    const b = Uint8Array.from(v2);
    edit(b);
    if (fixChecksum) {
      b[6] = 0;
      b[7] = 0;
      let s = 0;
      for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      b[6] = (~s >> 8) & 0xff;
      b[7] = ~s & 0xff;
    }
    return b;
  }

  const advertCases: Record<AdvertErrorCode, () => ReturnType<typeof decodeAdvert>> = {
    truncated: () => decodeAdvert(v2.subarray(0, 7), v4opts),
    "bad-version": () =>
      decodeAdvert(
        v2With((b) => (b[0] = 0x41)),
        v4opts,
      ),
    "bad-type": () =>
      decodeAdvert(
        v2With((b) => (b[0] = 0x22)),
        v4opts,
      ),
    "bad-length": () => decodeAdvert(v2.subarray(0, 22), v4opts),
    "address-count-mismatch": () =>
      decodeAdvert(
        v2With((b) => (b[3] = 3)),
        v4opts,
      ),
    "bad-checksum": () =>
      decodeAdvert(
        v2With((b) => (b[2] = 1), false),
        v4opts,
      ),
    "bad-vrid": () =>
      decodeAdvert(
        v2With((b) => (b[1] = 0)),
        v4opts,
      ),
    "bad-auth-type": () =>
      decodeAdvert(
        v2With((b) => (b[4] = 3)),
        v4opts,
      ),
    "bad-interval": () =>
      decodeAdvert(
        v2With((b) => (b[5] = 0)),
        v4opts,
      ),
  };
  for (const [code, run] of Object.entries(advertCases)) {
    test(`decodeAdvert: ${code}`, () => {
      const r = run();
      expect(r.ok ? "ok" : r.error.code).toBe(code);
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(0);
    });
  }

  test("decodeAdvert: v3 interval 0 is bad-interval, v3 reserved bits are ignored", () => {
    const zero = encodeAdvert(
      { version: 3, type: 1, vrid: 1, priority: 1, family: 4, advertIntCs: 1, authType: 0, addresses: [] },
      { src: "10.0.0.1", dst: "224.0.0.18" },
    );
    // interval 1 → 0 changes the sum by 1: keep the checksum right by adding 1 back
    zero[5] = 0;
    const c = ((zero[6]! << 8) | zero[7]!) + 1;
    zero[6] = (c >> 8) & 0xff;
    zero[7] = c & 0xff;
    const r = decodeAdvert(zero, { family: 4, src: "10.0.0.1", dst: "224.0.0.18" });
    expect(r.ok ? "ok" : r.error.code).toBe("bad-interval");

    const rsvd = Uint8Array.from(v3msg);
    rsvd[4]! |= 0xf0; // reserved bits set; checksum now off by 0xf000: fix it
    const s = ((rsvd[6]! << 8) | rsvd[7]!) - 0xf000;
    const fixed = s < 0 ? s + 0xffff : s;
    rsvd[6] = (fixed >> 8) & 0xff;
    rsvd[7] = fixed & 0xff;
    expect(ok(decodeAdvert(rsvd, { family: 4, src: v3.src, dst: v3.dst })).advertIntCs).toBe(25);
  });

  test("decodeAdvert: v3 checksum depends on the pseudo-header", () => {
    expect(decodeAdvert(v3msg, { family: 4, src: v3.src, dst: v3.dst }).ok).toBe(true);
    const r = decodeAdvert(v3msg, { family: 4, src: "192.0.2.9", dst: v3.dst });
    expect(r.ok ? "ok" : r.error.code).toBe("bad-checksum");
    const bad = decodeAdvert(v3msg, { family: 4, src: "not-an-ip", dst: v3.dst });
    expect(bad.ok ? "ok" : bad.error.code).toBe("bad-checksum");
  });

  const ahPkt = unhex(vectors.find((v) => v.name === "v2-ah/first")!.hex);
  const plain = unhex(vectors.find((v) => v.name === "v2-none/first")!.hex);
  function withIpChecksum(b: Uint8Array): Uint8Array {
    const dv = new DataView(b.buffer, b.byteOffset);
    dv.setUint16(10, 0);
    let s = 0;
    const ihl = Math.min((b[0]! & 15) * 4, b.length & ~1);
    for (let i = 0; i < ihl; i += 2) s += dv.getUint16(i);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    dv.setUint16(10, ~s & 0xffff);
    return b;
  }
  function edit(src: Uint8Array, f: (b: Uint8Array) => void, fix = true): Uint8Array {
    const b = Uint8Array.from(src);
    f(b);
    return fix ? withIpChecksum(b) : b;
  }

  const ipCases: Record<Ipv4ErrorCode, () => ReturnType<typeof decodeIpv4Packet>> = {
    truncated: () => decodeIpv4Packet(plain.subarray(0, plain.length - 1)),
    "bad-ip-header": () => decodeIpv4Packet(edit(plain, (b) => (b[0] = 0x44))),
    "bad-ip-checksum": () => decodeIpv4Packet(edit(plain, (b) => (b[8] = 1), false)),
    "not-vrrp": () => decodeIpv4Packet(edit(plain, (b) => (b[9] = 17))),
    "bad-ah-header": () => decodeIpv4Packet(edit(ahPkt, (b) => (b[21] = 3))),
  };
  for (const [code, run] of Object.entries(ipCases)) {
    test(`decodeIpv4Packet: ${code}`, () => {
      const r = run();
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    });
  }

  test("decodeIpv4Packet: more header problems", () => {
    const code = (b: Uint8Array) => {
      const r = decodeIpv4Packet(b);
      return r.ok ? "ok" : r.error.code;
    };
    expect(code(new Uint8Array(19))).toBe("truncated");
    expect(code(edit(plain, (b) => (b[0] = 0x65)))).toBe("bad-ip-header"); // version 6
    expect(code(edit(plain, (b) => (b[0] = 0x4f)))).toBe("truncated"); // IHL 60 > 40 bytes
    expect(code(edit(plain, (b) => (b[3] = 10)))).toBe("bad-ip-header"); // total length < IHL
    expect(code(edit(plain, (b) => (b[6] = 0x20)))).toBe("bad-ip-header"); // MF
    expect(code(edit(plain, (b) => (b[6] = 0x40)))).toBe("ok"); // DF is fine
    expect(code(edit(ahPkt, (b) => (b[20] = 6)))).toBe("not-vrrp"); // AH protecting TCP
    expect(code(edit(ahPkt.subarray(0, 30), (b) => (b[3] = 30)))).toBe("truncated"); // AH cut short
    expect(code(edit(ahPkt.subarray(0, 40), (b) => (b[3] = 40)))).toBe("truncated"); // ICV cut short
  });

  test("verifyIpv4Ah: no-ah, auth-mismatch, bad-spi", () => {
    const code = (r: ReturnType<typeof verifyIpv4Ah>) => (r.ok ? "ok" : r.error.code);
    expect(code(verifyIpv4Ah(ok(decodeIpv4Packet(plain)), "ahsecret"))).toBe("no-ah");
    const ip = ok(decodeIpv4Packet(ahPkt));
    expect(code(verifyIpv4Ah(ip, "ahsecret"))).toBe("ok");
    expect(code(verifyIpv4Ah(ip, "ahsecreT"))).toBe("auth-mismatch");
    // flip one VRRP byte: the ICV covers the payload
    expect(code(verifyIpv4Ah(ok(decodeIpv4Packet(edit(ahPkt, (b) => (b[46]! ^= 1)))), "ahsecret"))).toBe(
      "auth-mismatch",
    );
    // TOS and the header checksum are outside the ICV
    expect(code(verifyIpv4Ah(ok(decodeIpv4Packet(edit(ahPkt, (b) => (b[1] = 0)))), "ahsecret"))).toBe("ok");
    // a correct ICV over a foreign SPI
    const payload = ip.payload;
    const foreign = encodeIpv4Packet({
      src: ip.src,
      dst: ip.dst,
      id: ip.id,
      payload,
      ah: { key: "ahsecret", seq: 1, spi: 1234 },
    });
    expect(code(verifyIpv4Ah(ok(decodeIpv4Packet(foreign)), "ahsecret"))).toBe("bad-spi");
  });

  test("computeIcv ignores the ICV bytes it is given", () => {
    const ip = ok(decodeIpv4Packet(ahPkt));
    const ahHdr = Uint8Array.from(ahPkt.subarray(20, 44));
    const a = computeIcv(ahPkt.subarray(0, 20), ahHdr, ip.payload, "ahsecret");
    ahHdr.fill(0xaa, 12);
    expect(hex(computeIcv(ahPkt.subarray(0, 20), ahHdr, ip.payload, "ahsecret"))).toBe(hex(a));
    expect(hex(a)).toBe(hex(ip.ah!.icv));
  });
});

describe("encode rejects what the wire cannot carry", () => {
  const base: Advert = {
    version: 3,
    type: 1,
    vrid: 1,
    priority: 100,
    family: 4,
    advertIntCs: 100,
    authType: 0,
    addresses: ["10.0.0.1"],
  };
  const o = { src: "10.0.0.2", dst: "224.0.0.18" };
  const cases: [string, Advert, typeof o | object][] = [
    ["vrid 0", { ...base, vrid: 0 }, o],
    ["vrid 256", { ...base, vrid: 256 }, o],
    ["priority 256", { ...base, priority: 256 }, o],
    ["v3 interval 0", { ...base, advertIntCs: 0 }, o],
    ["v3 interval 4096", { ...base, advertIntCs: 4096 }, o],
    ["v2 interval 150 cs", { ...base, version: 2, advertIntCs: 150 }, o],
    ["v2 interval 256 s", { ...base, version: 2, advertIntCs: 25600 }, o],
    ["v2 auth type 3", { ...base, version: 2, authType: 3 }, o],
    ["v3 with auth", { ...base, authType: 1 }, o],
    ["IPv6 address in an IPv4 advert", { ...base, addresses: ["::1"] }, o],
    ["256 addresses", { ...base, addresses: Array(256).fill("10.0.0.1") }, o],
    ["v3 without src/dst", base, {}],
    ["v2 IPv6 without src/dst", { ...base, version: 2, family: 6, addresses: ["2001:db8::1"] }, {}],
    ["authData of 7 bytes", { ...base, version: 2, authData: new Uint8Array(7) }, o],
  ];
  for (const [name, advert, opts] of cases) {
    test(name, () => {
      expect(() => encodeAdvert(advert, opts)).toThrow(RangeError);
    });
  }
  test("v2 over IPv4 needs no src/dst", () => {
    expect(encodeAdvert({ ...base, version: 2 }).length).toBe(20);
  });
  test("encodeIpv4Packet rejects bad addresses and fields", () => {
    const payload = new Uint8Array(8);
    expect(() => encodeIpv4Packet({ src: "::1", dst: "224.0.0.18", id: 1, payload })).toThrow(RangeError);
    expect(() => encodeIpv4Packet({ src: "10.0.0.1", dst: "224.0.0.18", id: 70000, payload })).toThrow(RangeError);
    expect(() => encodeIpv4Packet({ src: "10.0.0.1", dst: "224.0.0.18", id: 1, ttl: 256, payload })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeIpv4Packet({ src: "10.0.0.1", dst: "224.0.0.18", id: 1, payload, ah: { key: "k", seq: -1 } }),
    ).toThrow(RangeError);
  });
});

describe("fuzz: decoding never throws", () => {
  const advertCodes = new Set<string>([
    "truncated",
    "bad-version",
    "bad-type",
    "bad-length",
    "address-count-mismatch",
    "bad-checksum",
    "bad-vrid",
    "bad-auth-type",
    "bad-interval",
  ]);
  const ipCodes = new Set<string>(["truncated", "bad-ip-header", "bad-ip-checksum", "not-vrrp", "bad-ah-header"]);

  test("10,000 random and mutated packets (seeded)", () => {
    const r = rng(20240601);
    const seeds = vectors.map((v) => ({ bytes: unhex(v.hex), v }));
    const stats = { ipOk: 0, advertOk: 0, ahOk: 0 };
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      let family: 4 | 6 = r.bool() ? 4 : 6;
      let src = randomAddress(r, family);
      let dst = randomAddress(r, family);
      const kind = r.int(0, 3);
      if (kind === 0) {
        bytes = r.bytes(r.int(0, 120)); // pure noise
        if (bytes.length && r.bool()) bytes[0] = r.pick([0x45, 0x21, 0x31, 0x46]);
      } else if (kind === 1) {
        const s = r.pick(seeds); // mutate a real keepalived packet
        bytes = mutate(r, s.bytes);
        family = s.v.kind === "ipv4-packet" ? 4 : 6;
        if (r.bool(0.7)) {
          src = s.v.src;
          dst = s.v.dst;
        }
      } else {
        const g = randomAdvert(r, 4); // mutate a random valid advert, sometimes wrapped in IPv4 (+AH)
        let b = encodeAdvert(g.advert, g);
        family = g.advert.family;
        src = g.src;
        dst = g.dst;
        if (family === 4 && kind === 3) {
          b = encodeIpv4Packet({
            src,
            dst,
            id: r.int(0, 65535),
            payload: b,
            ah: r.bool() ? { key: "k", seq: r.u32() } : undefined,
          });
        }
        bytes = r.bool(0.85) ? mutate(r, b) : b;
      }
      const ip = decodeIpv4Packet(bytes);
      if (ip.ok) {
        stats.ipOk++;
        const a = decodeAdvert(ip.value.payload, { family: 4, src: ip.value.src, dst: ip.value.dst });
        if (a.ok) stats.advertOk++;
        else expect(advertCodes.has(a.error.code)).toBe(true);
        if (ip.value.ah && verifyIpv4Ah(ip.value, "k", { unicast: r.bool() }).ok) stats.ahOk++;
      } else {
        expect(ipCodes.has(ip.error.code)).toBe(true);
      }
      const asV2 = r.bool(0.1);
      const a = decodeAdvert(bytes, { family, src, dst, v3ChecksumAsV2: asV2 });
      if (a.ok) {
        stats.advertOk++;
        expect(a.value.addresses.length).toBe(bytes[3]!);
        // whatever decodes re-encodes to the same bytes, except what decode normalises:
        // v3 reserved bits, and v3_checksum_as_v2 (whose checksum is not checked)
        if (!(a.value.version === 3 && (asV2 || (bytes[4]! & 0xf0) !== 0))) {
          expect(hex(encodeAdvert(a.value, { src, dst }))).toBe(hex(bytes));
        }
      } else {
        expect(advertCodes.has(a.error.code)).toBe(true);
      }
    }
    // the mix reaches deep code paths, not only the first length check
    expect(stats.ipOk).toBeGreaterThan(300);
    expect(stats.advertOk).toBeGreaterThan(300);
  });
});
