/**
 * The set PDUs of RFC 2741 7.2.4 as the codec reads them: TestSet's varbinds of every
 * type (5.4), the later phases, and malformed ones, which are error values naming the
 * header (so the agent can answer parseError), never throws.
 */
import { describe, expect, test } from "bun:test";
import { PduType, decodePdu } from "../../../src/snmp/agentx";

const u16 = (n: number) => [(n >>> 8) & 255, n & 255];
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** 5.1 with prefix 4 (1.3.6.1.4.rest) */
const oid = (rest: number[]) => [rest.length, 4, 0, 0, ...rest.flatMap(u32)];
const octets = (b: number[]) => [...u32(b.length), ...b, ...Array((4 - (b.length % 4)) % 4).fill(0)];
const varbind = (type: number, name: number[], data: number[]) => [...u16(type), 0, 0, ...oid(name), ...data];

/** A master agent's PDU, big-endian, session 7, transaction 8, packet 9. */
function pdu(type: number, body: number[]): Uint8Array {
  return Uint8Array.from([1, type, 0x10, 0, ...u32(7), ...u32(8), ...u32(9), ...u32(body.length), ...body]);
}

const NAME = [1, 9586, 100, 5, 2, 3, 1, 7, 1];

describe("AgentX set PDUs", () => {
  test("TestSet: each varbind with its type and value", () => {
    const body = [
      ...varbind(2, NAME, u32(-5 >>> 0)),
      ...varbind(66, NAME, u32(0xfffffffe)),
      ...varbind(4, NAME, octets([0x61, 0x62, 0x63])),
      ...varbind(64, NAME, octets([10, 0, 0, 1])),
      ...varbind(70, NAME, [...u32(1), ...u32(2)]),
      ...varbind(6, NAME, oid([1, 2])),
      ...varbind(5, NAME, []),
    ];
    const d = decodePdu(pdu(PduType.TestSet, body));
    if (!d.ok) throw new Error(d.error.message);
    expect(d.value).toMatchObject({ kind: "testset", sessionId: 7, transactionId: 8, packetId: 9 });
    if (d.value.kind !== "testset") throw new Error("kind");
    const name = [1, 3, 6, 1, 4, ...NAME];
    expect(d.value.varbinds).toEqual([
      { oid: name, type: "Integer", value: -5 },
      { oid: name, type: "Gauge32", value: 0xfffffffe },
      { oid: name, type: "OctetString", value: Uint8Array.from([0x61, 0x62, 0x63]) },
      { oid: name, type: "IpAddress", value: Uint8Array.from([10, 0, 0, 1]) },
      { oid: name, type: "Counter64", value: (1n << 32n) + 2n },
      { oid: name, type: "ObjectIdentifier", value: [1, 3, 6, 1, 4, 1, 2] },
      { oid: name, type: "Null", value: null },
    ]);
  });

  test("a little-endian TestSet (NETWORK_BYTE_ORDER clear) reads its Integer in that order", () => {
    const le = (n: number) => u32(n).reverse();
    // v.type 2 and reserved as little-endian u16s, then OID "3" (n_subid 1, no prefix), then 200
    const body = [2, 0, 0, 0, 1, 0, 0, 0, ...le(3), ...le(200)];
    const header = [1, PduType.TestSet, 0, 0, ...le(7), ...le(8), ...le(9), ...le(body.length)];
    const bytes = Uint8Array.from([...header, ...body]);
    const d = decodePdu(bytes);
    expect(d.ok && d.value.kind === "testset" && d.value.varbinds).toEqual([{ oid: [3], type: "Integer", value: 200 }]);
  });

  test("CommitSet, UndoSet, CleanupSet carry only their header", () => {
    for (const [type, kind] of [
      [PduType.CommitSet, "commitset"],
      [PduType.UndoSet, "undoset"],
      [PduType.CleanupSet, "cleanupset"],
    ] as const) {
      const d = decodePdu(pdu(type, []));
      expect(d.ok && [d.value.kind, d.value.transactionId]).toEqual([kind, 8]);
    }
  });

  test("malformed TestSets: an error value with the header, at every cut, never a throw", () => {
    const good = pdu(PduType.TestSet, [...varbind(2, NAME, u32(50)), ...varbind(4, NAME, octets([1, 2, 3, 4, 5]))]);
    for (let n = 0; n < good.length; n++) {
      // the body cut short while the header's payload length still claims it all
      const cut = good.slice(0, n);
      const d = decodePdu(cut);
      expect(d.ok).toBe(false);
      if (!d.ok && n >= 20) expect(d.error.header?.transactionId).toBe(8);
    }
    // a payload length that ends inside a varbind: the rest is not read as the next PDU's
    const short = Uint8Array.from(good);
    new DataView(short.buffer).setUint32(16, 10);
    const s = decodePdu(short);
    expect(!s.ok && s.error.code).toBe("truncated");
    // an unknown value type, an IpAddress that is not 4 octets, an octet string longer than the PDU
    const bad = [
      pdu(PduType.TestSet, varbind(99, NAME, u32(1))),
      pdu(PduType.TestSet, varbind(64, NAME, octets([10, 0, 0]))),
      pdu(PduType.TestSet, varbind(4, NAME, [...u32(0xffffffff), 1, 2, 3, 4])),
    ];
    expect(bad.map((b) => decodePdu(b)).map((d) => !d.ok && d.error.code)).toEqual([
      "malformed",
      "malformed",
      "truncated",
    ]);
    for (const b of bad) {
      const d = decodePdu(b);
      expect(!d.ok && d.error.header?.type).toBe(PduType.TestSet);
    }
    // random bytes after a valid header: never a throw
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 255;
    };
    for (let i = 0; i < 2000; i++) {
      const body = Array.from({ length: rnd() % 64 }, rnd);
      expect(() => decodePdu(pdu(PduType.TestSet, body))).not.toThrow();
    }
  });
});
