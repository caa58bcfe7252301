/**
 * BFD Control packets (src/bfd/packet.ts decodeBfd, which the BFD driver calls on every
 * UDP datagram to ports 3784/4784). Beyond "never throws": a valid result re-encodes to
 * the same first 24 bytes (the decoder reads nothing it does not keep, and keel's packets
 * carry no authentication section), and each discard names a rule of RFC 5880 6.8.6.
 */
import fc from "fast-check";
import { type BfdPacket, STATE_CODES, decodeBfd, encodeBfd } from "../../../../src/bfd/packet";
import { bfdPacket } from "../../bfd/packets";
import { mutated, randomBytes } from "../gen";
import { type Target, checkResult, expectThat, hit, noThrow } from "../harness";

const CODES = new Set([
  "truncated",
  "bad-version",
  "bad-length",
  "zero-detect-mult",
  "multipoint",
  "zero-my-discr",
  "zero-your-discr",
]);

const packet: fc.Arbitrary<BfdPacket> = fc.record({
  diag: fc.integer({ min: 0, max: 31 }),
  state: fc.constantFrom(...STATE_CODES),
  poll: fc.boolean(),
  final: fc.boolean(),
  cpi: fc.boolean(),
  auth: fc.constant(false),
  demand: fc.boolean(),
  detectMult: fc.integer({ min: 0, max: 255 }),
  myDiscr: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
  yourDiscr: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
  desiredMinTx: fc.integer({ min: 0, max: 0xffffffff }),
  requiredMinRx: fc.integer({ min: 0, max: 0xffffffff }),
  requiredMinEchoRx: fc.integer({ min: 0, max: 0xffffffff }),
});

const seeds = [encodeBfd(bfdPacket())];

export const bfd: Target = {
  name: "bfd",
  budgetMs: 200,
  ciRuns: 3000,
  mustReach: ["ok", "up", "truncated", "bad-length", "zero-your-discr"],
  reached: new Map(),
  run(input) {
    const r = noThrow("decodeBfd", () => decodeBfd(input));
    if (checkResult("decodeBfd", r, CODES)) {
      const p = r.value as BfdPacket;
      hit(bfd, "ok");
      if (p.state === "Up") hit(bfd, "up");
      expectThat(p.detectMult > 0 && p.myDiscr !== 0, "a valid packet with Detect Mult or My Discriminator 0");
      if (!p.auth) {
        const again = encodeBfd(p);
        expectThat(
          Buffer.from(again).equals(Buffer.from(input.subarray(0, 24))) || input[3] !== 24,
          "does not re-encode to the bytes it came from",
        );
      }
    } else hit(bfd, (r as { error: { code: string } }).error.code);
  },
  inputs() {
    return fc.oneof(
      packet.map((p) => encodeBfd(p)),
      packet.chain((p) => mutated([encodeBfd(p)])),
      mutated(seeds),
      randomBytes(64),
    );
  },
};
