import { describe, expect, test } from "bun:test";
import {
  type SearchRange,
  answerBulk,
  answerGet,
  answerNext,
  decodePdu,
  encodeNotify,
  encodeRegister,
  encodeResponse,
  pduLength,
} from "../../../src/snmp/agentx";
import type { Varbind } from "../../../src/snmp/mib";

const vb = (oid: number[], value: number): Varbind => ({ oid, type: "Integer", value });
const LIST = [
  vb([1, 3, 6, 1, 4, 1, 9, 1, 0], 1),
  vb([1, 3, 6, 1, 4, 1, 9, 2, 1], 2),
  vb([1, 3, 6, 1, 4, 1, 9, 2, 2], 3),
];
const range = (start: number[], include = false, end: number[] = []): SearchRange => ({ start, include, end });

/** A master agent's request PDU, built by hand from RFC 2741 6.1 and 5.1 (big-endian). */
function request(type: number, ranges: number[][], extra: number[] = []): Uint8Array {
  const body: number[] = [...extra];
  const u32 = (n: number) => body.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  for (const oid of ranges) {
    // prefix form: 1.3.6.1.4.rest
    body.push(oid.length - 5, 4, 0, 0);
    for (const n of oid.slice(5)) u32(n);
    body.push(0, 0, 0, 0); // null end
  }
  const h = [1, type, 0x10, 0, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9];
  const len = body.length;
  return Uint8Array.from([...h, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, ...body]);
}

describe("AgentX codec", () => {
  test("a GetNext from the master decodes with its ids and ranges", () => {
    const bytes = request(6, [[1, 3, 6, 1, 4, 1, 9]]);
    expect(pduLength(bytes)).toBe(bytes.length);
    const d = decodePdu(bytes);
    if (!d.ok) throw new Error(d.error.message);
    expect(d.value).toMatchObject({ kind: "getnext", sessionId: 7, transactionId: 8, packetId: 9 });
    if (d.value.kind !== "getnext") throw new Error("kind");
    expect(d.value.ranges).toEqual([{ start: [1, 3, 6, 1, 4, 1, 9], include: false, end: [] }]);
  });
  test("GetBulk carries non-repeaters and max-repetitions before the ranges", () => {
    const d = decodePdu(request(7, [[1, 3, 6, 1, 4, 1, 9]], [0, 0, 0, 5]));
    expect(d.ok && d.value.kind === "getbulk" && [d.value.nonRepeaters, d.value.maxRepetitions]).toEqual([0, 5]);
  });
  test("a PDU cut short is an error value, never a throw", () => {
    const bytes = request(5, [[1, 3, 6, 1, 4, 1, 9, 1, 0]]);
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.slice(0, n);
      // the header's payload length still claims the whole PDU
      expect(decodePdu(cut).ok).toBe(false);
    }
    expect(decodePdu(bytes).ok).toBe(true);
    expect(decodePdu(Uint8Array.from([2, ...bytes.slice(1)])).ok).toBe(false);
  });
  test("a little-endian PDU (NETWORK_BYTE_ORDER clear) reads in its own order", () => {
    const h = [1, 13, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0];
    const d = decodePdu(Uint8Array.from(h));
    expect(d.ok && [d.value.sessionId, d.value.packetId]).toEqual([5, 3]);
  });
  test("Register: prefix-compressed subtree, priority 127, payload length in the header", () => {
    const b = encodeRegister({ sessionId: 1, transactionId: 0, packetId: 2 }, [1, 3, 6, 1, 4, 1, 9586, 100, 5, 1]);
    expect([...b.slice(0, 4)]).toEqual([1, 3, 0x10, 0]);
    expect(pduLength(b)).toBe(b.length);
    expect([...b.slice(20, 28)]).toEqual([0, 127, 0, 0, 5, 4, 0, 0]);
    expect(new DataView(b.buffer).getUint32(28)).toBe(1);
    expect(new DataView(b.buffer).getUint32(b.length - 4)).toBe(1);
  });
  test("octet strings carry raw bytes, padded to 4; IpAddress as 4 octets", () => {
    const ids = { sessionId: 1, transactionId: 2, packetId: 3 };
    const b = encodeResponse(ids, {
      varbinds: [
        { oid: [1, 3], type: "OctetString", value: Uint8Array.from([0x0a, 0xff, 0x80]) },
        { oid: [1, 4], type: "IpAddress", value: "10.9.0.1" },
      ],
    });
    const body = [...b.slice(28)];
    // type 4, OID 1.3 (no prefix), length 3, bytes, one pad
    expect(body.slice(0, 24)).toEqual([
      0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 3, 0x0a, 0xff, 0x80, 0,
    ]);
    expect(body.slice(-8)).toEqual([0, 0, 0, 4, 10, 9, 0, 1]);
  });
  test("Notify starts with the varbinds it is given (snmpTrapOID.0 first)", () => {
    const b = encodeNotify({ sessionId: 1, transactionId: 0, packetId: 4 }, [
      {
        oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0],
        type: "ObjectIdentifier",
        value: [1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 10, 0, 2],
      },
    ]);
    expect(b[1]).toBe(12);
    expect([...b.slice(20, 28)]).toEqual([0, 6, 0, 0, 6, 6, 0, 0]);
  });
});

describe("answering from sorted varbinds", () => {
  test("Get: exact match or noSuchObject", () => {
    expect(answerGet(LIST, range([1, 3, 6, 1, 4, 1, 9, 2, 1]))).toEqual(LIST[1] as Varbind);
    expect(answerGet(LIST, range([1, 3, 6, 1, 4, 1, 9, 2]))).toEqual({
      oid: [1, 3, 6, 1, 4, 1, 9, 2],
      exception: "noSuchObject",
    });
  });
  test("GetNext: strictly after, or at the start with include; the end bounds it", () => {
    expect(answerNext(LIST, range([1, 3, 6, 1, 4, 1, 9, 1, 0]))).toEqual(LIST[1] as Varbind);
    expect(answerNext(LIST, range([1, 3, 6, 1, 4, 1, 9, 1, 0], true))).toEqual(LIST[0] as Varbind);
    expect(answerNext(LIST, range([1, 3, 6, 1, 4, 1, 9, 1, 0], false, [1, 3, 6, 1, 4, 1, 9, 2]))).toEqual({
      oid: [1, 3, 6, 1, 4, 1, 9, 1, 0],
      exception: "endOfMibView",
    });
  });
  test("GetBulk: non-repeaters once, then rounds over the repeaters until all end", () => {
    const r = answerBulk(LIST, 1, 5, [range([1, 3, 6, 1, 4, 1, 9]), range([1, 3, 6, 1, 4, 1, 9, 1])]);
    expect(r.map((v) => ("exception" in v ? v.exception : v.value))).toEqual([1, 1, 2, 3, "endOfMibView"]);
    expect(answerBulk(LIST, 0, 2, [range([1, 3])])).toHaveLength(2);
  });
});
