/**
 * One BFD Control packet for tests: a Down packet from discriminator 1 at the slow
 * pre-Up rate (1 s Desired Min TX, RFC 5880 6.8.3), with whatever the test changes.
 */
import type { BfdPacket } from "../../../src/bfd/packet";

export function bfdPacket(o: Partial<BfdPacket> = {}): BfdPacket {
  return {
    diag: 0,
    state: "Down",
    poll: false,
    final: false,
    cpi: false,
    auth: false,
    demand: false,
    detectMult: 3,
    myDiscr: 1,
    yourDiscr: 0,
    desiredMinTx: 1_000_000,
    requiredMinRx: 10_000,
    requiredMinEchoRx: 0,
    ...o,
  };
}
