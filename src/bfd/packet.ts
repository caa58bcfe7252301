/**
 * BFD Control packets (RFC 5880 4.1) without authentication: encode, and a decoder
 * that never throws and applies the packet-level discard rules of RFC 5880 6.8.6 in
 * their order. The session-level rules (Your Discriminator names no session, the A bit
 * while no authentication is in use, TTL/hop limit) need the session: the driver and
 * the engine apply those.
 *
 *  0                   1                   2                   3
 *  |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
 *  |                       My Discriminator                        |
 *  |                      Your Discriminator                       |
 *  |                    Desired Min TX Interval                    |
 *  |                   Required Min RX Interval                    |
 *  |                 Required Min Echo RX Interval                 |
 */

export const BFD_VERSION = 1;
/** the mandatory part; with the A bit at least 2 more bytes of authentication header */
export const BFD_HEADER_LEN = 24;

export type BfdState = "AdminDown" | "Down" | "Init" | "Up";
export const STATE_CODES: readonly BfdState[] = ["AdminDown", "Down", "Init", "Up"];

/** Diagnostic codes, RFC 5880 4.1. */
export const Diag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;

const DIAG_WORDS = [
  "no-diagnostic",
  "control-detection-time-expired",
  "echo-function-failed",
  "neighbor-signaled-session-down",
  "forwarding-plane-reset",
  "path-down",
  "concatenated-path-down",
  "administratively-down",
  "reverse-concatenated-path-down",
];

/** A diag code in words (the codes 9–31 are reserved). */
export function diagWord(d: number): string {
  return DIAG_WORDS[d] ?? `reserved-${d}`;
}

export interface BfdPacket {
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  /** Control Plane Independent */
  cpi: boolean;
  auth: boolean;
  demand: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  /** microseconds */
  desiredMinTx: number;
  requiredMinRx: number;
  requiredMinEchoRx: number;
}

export type BfdDecodeError = {
  code:
    | "truncated"
    | "bad-version"
    | "bad-length"
    | "zero-detect-mult"
    | "multipoint"
    | "zero-my-discr"
    | "zero-your-discr";
  message: string;
};

export type BfdDecoded = { ok: true; value: BfdPacket } | { ok: false; error: BfdDecodeError };

function fail(code: BfdDecodeError["code"], message: string): BfdDecoded {
  return { ok: false, error: { code, message } };
}

/** RFC 5880 6.8.6, the rules that need only the packet, in the RFC's order. */
export function decodeBfd(b: Uint8Array): BfdDecoded {
  if (b.length < 4) return fail("truncated", `${b.length} bytes: shorter than a BFD header`);
  const version = b[0]! >> 5;
  if (version !== BFD_VERSION) return fail("bad-version", `version ${version}, expected ${BFD_VERSION}`);
  const length = b[3]!;
  const auth = (b[1]! & 0x04) !== 0;
  const min = auth ? BFD_HEADER_LEN + 2 : BFD_HEADER_LEN;
  if (length < min) return fail("bad-length", `Length field ${length} is less than ${min}`);
  if (length > b.length) return fail("truncated", `Length field ${length} is more than the ${b.length} bytes received`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const p: BfdPacket = {
    diag: b[0]! & 0x1f,
    state: STATE_CODES[b[1]! >> 6]!,
    poll: (b[1]! & 0x20) !== 0,
    final: (b[1]! & 0x10) !== 0,
    cpi: (b[1]! & 0x08) !== 0,
    auth,
    demand: (b[1]! & 0x02) !== 0,
    detectMult: b[2]!,
    myDiscr: v.getUint32(4),
    yourDiscr: v.getUint32(8),
    desiredMinTx: v.getUint32(12),
    requiredMinRx: v.getUint32(16),
    requiredMinEchoRx: v.getUint32(20),
  };
  if (p.detectMult === 0) return fail("zero-detect-mult", "Detect Mult is zero");
  if (b[1]! & 0x01) return fail("multipoint", "the Multipoint (M) bit is set");
  if (p.myDiscr === 0) return fail("zero-my-discr", "My Discriminator is zero");
  if (p.yourDiscr === 0 && p.state !== "Down" && p.state !== "AdminDown")
    return fail("zero-your-discr", `Your Discriminator is zero in state ${p.state}`);
  return { ok: true, value: p };
}

/** A Control packet with no authentication section (keel, like keepalived, has none). */
export function encodeBfd(p: BfdPacket): Uint8Array {
  const b = new Uint8Array(BFD_HEADER_LEN);
  const v = new DataView(b.buffer);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] =
    (STATE_CODES.indexOf(p.state) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.cpi ? 0x08 : 0) |
    (p.demand ? 0x02 : 0);
  b[2] = p.detectMult;
  b[3] = BFD_HEADER_LEN;
  v.setUint32(4, p.myDiscr >>> 0);
  v.setUint32(8, p.yourDiscr >>> 0);
  v.setUint32(12, p.desiredMinTx >>> 0);
  v.setUint32(16, p.requiredMinRx >>> 0);
  v.setUint32(20, p.requiredMinEchoRx >>> 0);
  return b;
}
