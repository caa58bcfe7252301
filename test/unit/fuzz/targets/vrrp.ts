/**
 * VRRP packets as the raw sockets hand them over (src/vrrp/receive.ts → packet.ts, ah.ts):
 * - vrrp-ipv4: the whole IPv4 packet (header, keepalived's AH header, the v2/v3 message);
 * - vrrp-ipv6: a corpus file is source (16 bytes) + destination (16 bytes) + the VRRP message,
 *   as recvmsg gives the message and its cmsg addresses.
 * Seeds: keepalived's captured adverts (test/fixtures/vrrp/vectors.json) and valid adverts of
 * every shape from the codec tests' generator, encoded, then mutated.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { encodeIpv4Packet, verifyIpv4Ah } from "../../../../src/vrrp/ah";
import { canonicalIp, formatIpv6, parseIpv4, parseIpv6 } from "../../../../src/base/ip";
import { decodeAdvert, decodeIpv4Packet, encodeAdvert } from "../../../../src/vrrp/packet";
import { decodeReceived } from "../../../../src/vrrp/receive";
import type { ReceivedAdvert } from "../../../../src/vrrp/types";
import { randomAdvert, rng } from "../../vrrp/gen";
import { hexBytes, mutated, randomBytes } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

const ADVERT_CODES = ["truncated", "bad-version", "bad-type", "bad-length", "address-count-mismatch", "bad-checksum"];
const MORE_ADVERT_CODES = ["bad-vrid", "bad-auth-type", "bad-interval"];
const IP_CODES = ["truncated", "bad-ip-header", "bad-ip-checksum", "not-vrrp", "bad-ah-header"];
const RX_CODES = new Set([...ADVERT_CODES, ...MORE_ADVERT_CODES, ...IP_CODES, "no-address"]);
const AH_CODES = new Set(["no-ah", "auth-mismatch", "bad-spi"]);

type Vector = { kind: "ipv4-packet" | "ipv6-payload"; hex: string; src: string; dst: string };
const vectors: Vector[] = JSON.parse(
  readFileSync(join(import.meta.dir, "../../../fixtures/vrrp/vectors.json"), "utf8"),
).vectors;

/** valid packets of every shape: v2/v3, PASS/AH/none, 0..255 addresses (fixed seed: same pool each run) */
function generated(family: 4 | 6, n: number): Uint8Array[] {
  const r = rng(family === 4 ? 44 : 66);
  const out: Uint8Array[] = [];
  while (out.length < n) {
    const g = randomAdvert(r, 6);
    if (g.advert.family !== family) continue;
    const msg = encodeAdvert(g.advert, g);
    if (family === 6) {
      out.push(Uint8Array.from([...parseIpv6(g.src)!, ...parseIpv6(g.dst)!, ...msg]));
      continue;
    }
    const ah = g.advert.version === 2 && g.advert.authType === 2 ? { key: "secret", seq: r.u32() } : undefined;
    out.push(encodeIpv4Packet({ src: g.src, dst: g.dst, id: r.int(0, 65535), payload: msg, ah }));
  }
  return out;
}

/** the fields both decoders report, for comparing them */
function view(x: unknown): unknown {
  if (typeof x !== "object" || x === null) return x;
  const o = x as Record<string, unknown>;
  if ("ok" in o) return o.ok ? view(o.value) : (o.error as { code: string }).code;
  const { version, vrid, priority, advertIntCs, authType, addresses, authData } = o;
  return {
    version,
    vrid,
    priority,
    advertIntCs,
    authType,
    addresses,
    authData: authData && [...(authData as Uint8Array)],
  };
}

function checkReceived(v: ReceivedAdvert, family: 4 | 6): void {
  expectThat(v.version === 2 || v.version === 3, `version ${v.version}`);
  expectThat(Number.isInteger(v.vrid) && v.vrid >= 1 && v.vrid <= 255, `vrid ${v.vrid}`);
  expectThat(Number.isInteger(v.priority) && v.priority >= 0 && v.priority <= 255, `priority ${v.priority}`);
  expectThat(Number.isInteger(v.advertIntCs) && v.advertIntCs > 0, `advertIntCs ${v.advertIntCs}`);
  expectThat(v.addresses.length <= 255, `${v.addresses.length} addresses`);
  const parse = family === 4 ? parseIpv4 : parseIpv6;
  for (const a of [...v.addresses, v.from, v.to]) {
    // canonical text: what the engine compares with the configured addresses
    expectThat(parse(a) !== undefined && canonicalIp(a) === a, `address '${a}' is not canonical IPv${family} text`);
  }
  if (v.authData) expectThat(v.authData.length === 8, `authData of ${v.authData.length} bytes`);
}

export const vrrpIpv4: Target = {
  name: "vrrp-ipv4",
  budgetMs: 500,
  ciRuns: 3000,
  mustReach: ["v2 ok", "v3 ok", "ah", "ah verified", "ip bad-ip-checksum", "ip truncated", "ip bad-ah-header"],
  reached: new Map(),
  run(data) {
    const r = noThrow("decodeReceived(v4)", () => decodeReceived({ ifname: "eth0", family: 4, data }));
    if (checkResult("decodeReceived(v4)", r, RX_CODES)) {
      checkReceived(r.value, 4);
      hit(vrrpIpv4, `v${r.value.version} ok`);
      const ah = r.value.ah;
      if (ah) {
        hit(vrrpIpv4, "ah");
        expectThat(Number.isInteger(ah.seq) && ah.seq >= 0 && ah.seq <= 0xffffffff, `AH seq ${ah.seq}`);
        for (const pass of ["secret", "", "x".repeat(100)]) {
          const ok = noThrow("ah.verify", () => ah.verify(pass));
          expectThat(typeof ok === "boolean", "ah.verify returned a non-boolean");
          if (ok) hit(vrrpIpv4, "ah verified");
        }
      }
    }
    // the message on its own, as the old-peer option reads it (no pseudo-header checksum)
    const ip = noThrow("decodeIpv4Packet", () => decodeIpv4Packet(data));
    if (checkResult("decodeIpv4Packet", ip, new Set(IP_CODES))) {
      const p = ip.value;
      const a = noThrow("decodeAdvert(v4)", () =>
        decodeAdvert(p.payload, { family: 4, src: p.src, dst: p.dst, v3ChecksumAsV2: true }),
      );
      checkResult("decodeAdvert(v4)", a, RX_CODES);
      // The receive path decodes in place (offset, length, the addresses' precomputed sum);
      // the plain call with the addresses as text must come to the same answer.
      const plain = noThrow("decodeAdvert(v4)", () => decodeAdvert(p.payload, { family: 4, src: p.src, dst: p.dst }));
      const same = r.ok
        ? plain.ok && JSON.stringify(view(plain.value)) === JSON.stringify(view(r.value))
        : !plain.ok && plain.error.code === r.error.code;
      expectThat(same, `decodeReceived and decodeAdvert disagree: ${JSON.stringify([view(r), view(plain)])}`);
      // the unicast pseudo-header variant, which decodeReceived picks only for unicast sources
      const v = noThrow("verifyIpv4Ah", () => verifyIpv4Ah(p, "secret", { unicast: true }));
      checkResult("verifyIpv4Ah", v, AH_CODES);
    } else hit(vrrpIpv4, `ip ${ip.error.code}`);
  },
  inputs() {
    const seeds = [...vectors.filter((v) => v.kind === "ipv4-packet").map((v) => hexBytes(v.hex)), ...generated(4, 48)];
    // noise that at least looks like an IPv4 header start, so it gets past the first check
    const noise = randomBytes(160).map((b) => {
      if (b.length > 0 && b[0]! % 3 !== 0) b[0] = 0x45;
      return b;
    });
    return fc.oneof(
      { weight: 1, arbitrary: noise },
      { weight: 1, arbitrary: fc.constantFrom(...seeds).map((b) => b.slice()) },
      { weight: 6, arbitrary: mutated(seeds) },
    );
  },
};

export const vrrpIpv6: Target = {
  name: "vrrp-ipv6",
  budgetMs: 500,
  ciRuns: 2000,
  mustReach: ["v2 ok", "v3 ok", "bad-checksum", "no-address"],
  reached: new Map(),
  run(input) {
    const src = input.length >= 16 ? input.subarray(0, 16) : undefined;
    const dst = input.length >= 32 ? input.subarray(16, 32) : undefined;
    const data = input.subarray(Math.min(32, input.length));
    const r = noThrow("decodeReceived(v6)", () =>
      decodeReceived({ ifname: "eth0", family: 6, data, src, dst, hopLimit: 255 }),
    );
    if (src && dst) {
      // the simulator passes the addresses as text, the socket as bytes: the same packet either way
      const rx = {
        ifname: "eth0",
        family: 6 as const,
        data,
        src: formatIpv6(src),
        dst: formatIpv6(dst),
        hopLimit: 255,
      };
      const t = noThrow("decodeReceived(v6, text)", () => decodeReceived(rx));
      expectThat(JSON.stringify(view(t)) === JSON.stringify(view(r)), "addresses as text and as bytes disagree");
    }
    if (checkResult("decodeReceived(v6)", r, RX_CODES)) {
      checkReceived(r.value, 6);
      expectThat(r.value.ttl === 255, `hop limit ${r.value.ttl}`);
      hit(vrrpIpv6, `v${r.value.version} ok`);
    } else hit(vrrpIpv6, r.error.code);
  },
  inputs() {
    const captured = vectors
      .filter((v) => v.kind === "ipv6-payload")
      .map((v) => Uint8Array.from([...parseIpv6(v.src)!, ...parseIpv6(v.dst)!, ...hexBytes(v.hex)]));
    const seeds = [...captured, ...generated(6, 32)];
    return fc.oneof(
      { weight: 1, arbitrary: randomBytes(200) },
      { weight: 1, arbitrary: fc.constantFrom(...seeds).map((b) => b.slice()) },
      { weight: 6, arbitrary: mutated(seeds) },
    );
  },
};
