import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../../src/base/random";
import {
  MAX_MESSAGE,
  type Message,
  type Value,
  decodeMessage,
  encodeMessage,
  marshal,
  messageLength,
  splitSignature,
  unmarshal,
} from "../../../src/dbus/marshal";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ""), "hex"));

describe("marshalling (D-Bus Specification, Message Protocol)", () => {
  test("strings: u32 length, bytes, NUL; signatures: u8 length", () => {
    expect(hex(marshal("s", ["ab"]))).toBe("02000000616200");
    expect(hex(marshal("g", ["su"]))).toBe("02737500");
    expect(hex(marshal("o", ["/"]))).toBe("010000002f00");
  });

  test("each value is aligned to its size from the start; padding is zero", () => {
    // y at 0, pad to 4, u32 length 1, "a", NUL
    expect(hex(marshal("ys", [7, "a"]))).toBe("07000000" + "01000000" + "6100");
    // y, pad to 8, int64 -2
    expect(hex(marshal("yx", [1, -2n]))).toBe("01000000" + "00000000" + "feffffffffffffff");
    expect(hex(marshal("bq", [true, 0x1234]))).toBe("01000000" + "3412");
  });

  test("an array's length excludes the padding to its first element", () => {
    // a(yv) with one (1, <s "x">): length 4..8 pad, struct at 8
    const b = marshal("a(yv)", [[[1, { sig: "s", value: "x" }]]]);
    expect(hex(b)).toBe("0a000000" + "00000000" + "01" + "01" + "7300" + "01000000" + "7800");
    expect(hex(marshal("at", [[]]))).toBe("00000000" + "00000000");
  });

  test("round trip of nested types", () => {
    const sig = "a{sv}(us)atadnqiybgo";
    const values: Value[] = [
      [
        ["Name", { sig: "(s)", value: ["VI_1"] }],
        ["State", { sig: "(us)", value: [2, "Master"] }],
        ["Deep", { sig: "av", value: [{ sig: "ay", value: [1, 2, 3] }] }],
      ],
      [98, "Stop"],
      [0n, 18446744073709551615n],
      [1.5, -0],
      -32768,
      65535,
      -1,
      255,
      false,
      "a{sv}",
      "/org/keepalived/Vrrp1/Vrrp",
    ];
    const r = unmarshal(sig, marshal(sig, values));
    expect(r).toEqual({ ok: true, value: values });
  });

  test("signatures: complete types, dict entries only in arrays with a basic key, depth limits", () => {
    expect(splitSignature("sa{sv}(us)")).toEqual({ ok: true, value: ["s", "a{sv}", "(us)"] });
    for (const bad of ["a{vs}", "{sv}", "(", "()", "a", "a{s}", "a{sss}", "z", `${"a".repeat(33)}y`, "(".repeat(33)])
      expect(splitSignature(bad).ok).toBe(false);
    expect(splitSignature(`${"a".repeat(32)}y`).ok).toBe(true);
    expect(splitSignature("s".repeat(256)).ok).toBe(false);
  });
});

describe("unmarshalling never throws and says why", () => {
  const cases: [string, string, string, RegExp][] = [
    ["truncated string", "s", "05000000616263", /ends inside/],
    ["no NUL", "s", "0100000061ff", /NUL/],
    ["NUL inside", "s", "020000000000" + "00", /NUL inside/],
    ["not UTF-8", "s", "01000000ff00", /UTF-8/],
    ["padding", "ys", "01000100" + "0100000061" + "00", /padding/],
    ["boolean 2", "b", "02000000", /boolean/],
    ["array overrun", "aq", "0300000001000200", /overrun|ends inside/],
    ["bad variant signature", "v", "017a0000", /signature/],
    ["object path", "o", "0300000061622f00", /object path/],
    ["bytes after", "y", "0102", /after/],
  ];
  for (const [what, sig, h, why] of cases)
    test(what, () => {
      const r = unmarshal(sig, bytes(h));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(why);
    });

  test("variants nested past 64 levels are refused, not recursed without end", () => {
    // 70 nested variants of signature "v": each is 01 76 00 (sig "v")
    const b = bytes("017600".repeat(70) + "0179" + "00" + "05");
    const r = unmarshal("v", b);
    expect(r.ok).toBe(false);
  });
});

const call: Message = {
  type: "call",
  flags: 0,
  serial: 7,
  path: "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4",
  interface: "org.freedesktop.DBus.Properties",
  member: "Get",
  destination: "org.keepalived.Vrrp1",
  sender: ":1.5",
  signature: "ss",
  body: ["org.keepalived.Vrrp1.Instance", "State"],
};

describe("messages", () => {
  test("round trip, and messageLength frames it", () => {
    const b = encodeMessage(call);
    expect(messageLength(b)).toEqual({ ok: true, value: b.length });
    expect(messageLength(b.subarray(0, 15))).toEqual({ ok: true, value: 0 });
    expect(decodeMessage(b)).toEqual({ ok: true, value: call });
  });

  test("the fixed header: byte order 'l', type, flags, version 1, body length, serial", () => {
    const b = encodeMessage({
      type: "signal",
      flags: 0,
      serial: 3,
      path: "/a",
      interface: "x.y",
      member: "Z",
      signature: "u",
      body: [2],
    });
    expect(hex(b.subarray(0, 12))).toBe("6c040001" + "04000000" + "03000000");
    expect(hex(b.subarray(b.length - 4))).toBe("02000000");
    expect(b.length % 8).toBe(4);
  });

  test("a big-endian message (byte order 'B') is read too", () => {
    // Ping to "/" : fields PATH "/" and MEMBER "Ping", no body
    const f: number[] = [];
    const u32 = (n: number) => f.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    const pad8 = () => {
      while (f.length % 8) f.push(0);
    };
    f.push(1, 1, 0x6f, 0);
    u32(1);
    f.push(0x2f, 0);
    pad8();
    f.push(3, 1, 0x73, 0);
    u32(4);
    f.push(...Buffer.from("Ping"), 0);
    const fieldsLen = f.length;
    pad8();
    const head = [0x42, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
    const lenBytes = [(fieldsLen >>> 24) & 255, (fieldsLen >>> 16) & 255, (fieldsLen >>> 8) & 255, fieldsLen & 255];
    const msg = new Uint8Array([...head, ...lenBytes, ...f]);
    const d = decodeMessage(msg);
    expect(d).toEqual({
      ok: true,
      value: { type: "call", flags: 0, serial: 9, path: "/", member: "Ping", signature: "", body: [] },
    });
  });

  test("a readable header with an unreadable body keeps the header (the call gets an error answer)", () => {
    const b = encodeMessage({ ...call, signature: "s", body: ["x"] });
    // the body's string length: 1 → 9 (past the end); the header says the same body length
    const at = b.length - 6;
    b[at] = 9;
    const d = decodeMessage(b);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.error).toMatch(/^body:/);
      expect(d.header?.serial).toBe(7);
      expect(d.header?.sender).toBe(":1.5");
    }
  });

  test("impossible fixed headers and missing required fields are errors", () => {
    const b = encodeMessage(call);
    const badOrder = b.slice();
    badOrder[0] = 0x41;
    expect(messageLength(badOrder).ok).toBe(false);
    const badVersion = b.slice();
    badVersion[3] = 2;
    expect(messageLength(badVersion).ok).toBe(false);
    const huge = b.slice();
    new DataView(huge.buffer).setUint32(4, MAX_MESSAGE, true);
    expect(messageLength(huge).ok).toBe(false);
    const noMember = encodeMessage({ ...call, member: undefined });
    expect(decodeMessage(noMember)).toEqual({ ok: false, error: "method call without PATH or MEMBER" });
    const zeroSerial = b.slice();
    zeroSerial[8] = 0;
    expect(decodeMessage(zeroSerial).ok).toBe(false);
  });

  test("mutated messages never make the decoder throw (seeded, 20000 cases)", () => {
    const base = encodeMessage(call);
    const rnd = mulberry32(16);
    let refused = 0;
    for (let n = 0; n < 20000; n++) {
      const b = base.slice(0, base.length - (n % 3 === 0 ? Math.floor(rnd() * 8) : 0));
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      messageLength(b);
      if (!decodeMessage(b).ok) refused++;
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
