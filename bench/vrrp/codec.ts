/**
 * Bench: the VRRP wire codec (src/vrrp/packet.ts, ah.ts).
 *
 * 1. Fuzz: 1,000,000 seeded random / mutated packets (noise, mutations of the captured
 *    keepalived vectors, mutations of random valid adverts and IPv4(+AH) packets) through
 *    decodeIpv4Packet, decodeAdvert and verifyIpv4Ah. Any exception is a failure (exit 1).
 * 2. Timing: ns per decode of single captured adverts (packets/s implied), and encode.
 *
 *   bun bench/vrrp/codec.ts [--packets N] [--seed S]
 */
import { encodeIpv4Packet, verifyIpv4Ah } from "../../src/vrrp/ah";
import { decodeAdvert, decodeIpv4Packet, encodeAdvert } from "../../src/vrrp/packet";
import vectorFile from "../../test/fixtures/vrrp/vectors.json";
import { mutate, randomAddress, randomAdvert, rng } from "../../test/unit/vrrp/gen";

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const total = flag("packets", 1_000_000);
const seed = flag("seed", 0xc0dec);
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const seeds = vectorFile.vectors.map((v) => ({ v, bytes: unhex(v.hex) }));

// ---- fuzz ----------------------------------------------------------------------------
const r = rng(seed);
const codes = new Map<string, number>();
const count = (k: string) => codes.set(k, (codes.get(k) ?? 0) + 1);
let thrown = 0;
let firstThrow: { err: unknown; hex: string } | undefined;
const t0 = Bun.nanoseconds();
for (let i = 0; i < total; i++) {
  let bytes: Uint8Array = new Uint8Array(0);
  try {
    let family: 4 | 6 = r.bool() ? 4 : 6;
    let src = randomAddress(r, family);
    let dst = randomAddress(r, family);
    const kind = r.int(0, 3);
    if (kind === 0) {
      bytes = r.bytes(r.int(0, 120));
      if (bytes.length && r.bool()) bytes[0] = r.pick([0x45, 0x21, 0x31, 0x46]);
    } else if (kind === 1) {
      const s = r.pick(seeds);
      bytes = mutate(r, s.bytes);
      family = s.v.kind === "ipv4-packet" ? 4 : 6;
      if (r.bool(0.7)) {
        src = s.v.src;
        dst = s.v.dst;
      }
    } else {
      const g = randomAdvert(r, 4);
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
      count("ipv4:ok");
      const a = decodeAdvert(ip.value.payload, { family: 4, src: ip.value.src, dst: ip.value.dst });
      count(a.ok ? "ipv4+advert:ok" : `ipv4+advert:${a.error.code}`);
      if (ip.value.ah) {
        const v = verifyIpv4Ah(ip.value, "k");
        count(v.ok ? "ah:ok" : `ah:${v.error.code}`);
      }
    } else {
      count(`ipv4:${ip.error.code}`);
    }
    const a = decodeAdvert(bytes, { family, src, dst });
    count(a.ok ? "advert:ok" : `advert:${a.error.code}`);
  } catch (err) {
    thrown++;
    firstThrow ??= { err, hex: Buffer.from(bytes).toString("hex") };
  }
}
const fuzzMs = (Bun.nanoseconds() - t0) / 1e6;
console.log(
  `fuzz: ${total.toLocaleString("en")} packets (seed ${seed}) in ${(fuzzMs / 1000).toFixed(2)} s, ${thrown} threw`,
);
for (const [k, n] of [...codes].sort()) console.log(`  ${k.padEnd(36)} ${n.toLocaleString("en").padStart(10)}`);
if (firstThrow) console.log("first throw:", firstThrow.err, firstThrow.hex);

// ---- timing ----------------------------------------------------------------------------
function bench(name: string, fn: () => unknown, iterations = 1_000_000): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm up the JIT
  let sink = 0;
  const start = Bun.nanoseconds();
  for (let i = 0; i < iterations; i++) if (fn()) sink++;
  const ns = (Bun.nanoseconds() - start) / iterations;
  const perSec = 1e9 / ns;
  console.log(
    `  ${name.padEnd(56)} ${ns.toFixed(0).padStart(6)} ns   ${Math.round(perSec).toLocaleString("en").padStart(12)} /s${sink ? "" : "  (?)"}`,
  );
}

const vec = (name: string) => seeds.find((s) => s.v.name === name)!;
const v2 = vec("v2-pass/first");
const v3 = vec("v3-ipv4/first");
const v6 = vec("v3-ipv6/first");
const ah = vec("v2-ah/first");
console.log("decode (one captured keepalived advert, repeated):");
bench("v2 PASS  IPv4 packet → decodeIpv4Packet+decodeAdvert", () => {
  const ip = decodeIpv4Packet(v2.bytes);
  return ip.ok && decodeAdvert(ip.value.payload, { family: 4, src: ip.value.src, dst: ip.value.dst }).ok;
});
bench("v3       IPv4 packet → decodeIpv4Packet+decodeAdvert", () => {
  // as src/vrrp/receive.ts does it: no views, the address sum from the IP header
  const ip = decodeIpv4Packet(v3.bytes);
  if (!ip.ok) return false;
  const p = ip.value;
  return decodeAdvert(p.packet, {
    family: 4,
    addressSum: p.addressSum,
    offset: p.payloadOffset,
    length: p.totalLength - p.payloadOffset,
  }).ok;
});
const v3payload = v3.bytes.subarray(20);
const v3src = new Uint8Array([192, 0, 2, 1]);
const v3dst = new Uint8Array([224, 0, 0, 18]);
bench(
  "v3       IPv4 decodeAdvert only (byte src/dst)",
  () => decodeAdvert(v3payload, { family: 4, src: v3src, dst: v3dst }).ok,
);
bench(
  "v3       IPv6 payload → decodeAdvert (text src/dst)",
  () => decodeAdvert(v6.bytes, { family: 6, src: v6.v.src, dst: v6.v.dst }).ok,
);
bench(
  "v2 AH    IPv4 packet → decode + verifyIpv4Ah (HMAC-MD5)",
  () => {
    const ip = decodeIpv4Packet(ah.bytes);
    return (
      ip.ok &&
      verifyIpv4Ah(ip.value, "ahsecret").ok &&
      decodeAdvert(ip.value.payload, { family: 4, src: ip.value.src, dst: ip.value.dst }).ok
    );
  },
  200_000,
);
console.log("encode:");
const adv3 = decodeAdvert(v3payload, { family: 4, src: v3src, dst: v3dst });
if (!adv3.ok) throw new Error("vector does not decode");
bench(
  "v3       IPv4 encodeAdvert + encodeIpv4Packet",
  () =>
    encodeIpv4Packet({ src: v3src, dst: v3dst, id: 1, payload: encodeAdvert(adv3.value, { src: v3src, dst: v3dst }) })
      .length,
);

if (thrown) {
  console.error(`FAIL: ${thrown} decodes threw`);
  process.exit(1);
}
