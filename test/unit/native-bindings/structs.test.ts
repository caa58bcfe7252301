/**
 * Golden bytes for the structs keel hands the kernel. Layouts: linux/in.h (sockaddr_in,
 * ip_mreqn), linux/in6.h (sockaddr_in6, ipv6_mreq), linux/if_packet.h (sockaddr_ll),
 * bits/socket.h (msghdr, cmsghdr, CMSG_* on LP64), bits/types/struct_iovec.h.
 */
import { ptr } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { parseIpv4, parseIpv6 } from "../../../src/base/ip";
import {
  MSGHDR_SIZE,
  MsgBuffers,
  buildCmsgs,
  cmsgAlign,
  cmsgLen,
  cmsgSpace,
  cmsgs,
  iovec,
  ipMreqn,
  ipv6Mreq,
  msghdr,
  parseSockaddr,
  sockaddrIn,
  sockaddrIn6,
  sockaddrLl,
} from "../../../native-bindings/structs";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const u64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const addr = (b: Uint8Array) => BigInt(ptr(b));

describe("socket addresses", () => {
  test("sockaddr_in: family 2 little-endian, port big-endian, address, 8 zero bytes = 16", () => {
    const sa = sockaddrIn(parseIpv4("224.0.0.18")!, 0x1234);
    expect(sa.length).toBe(16);
    expect(hex(sa)).toBe("0200" + "1234" + "e0000012" + "0000000000000000");
  });
  test("sockaddr_in6: family 10, port, flowinfo, address, scope id = 28", () => {
    const sa = sockaddrIn6(parseIpv6("ff02::12")!, 3);
    expect(sa.length).toBe(28);
    expect(hex(sa)).toBe("0a00" + "0000" + "00000000" + "ff020000000000000000000000000012" + "03000000");
  });
  test("parseSockaddr reads back both families and rejects short or unknown ones", () => {
    const six = parseSockaddr(sockaddrIn6(parseIpv6("fe80::1")!, 7, 112));
    expect(six && { ...six, addr: hex(six.addr) }).toEqual({
      family: 6,
      addr: "fe800000000000000000000000000001",
      port: 112,
      scopeId: 7,
    });
    const four = parseSockaddr(sockaddrIn(parseIpv4("10.1.2.3")!));
    expect(four && hex(four.addr)).toBe("0a010203");
    expect(parseSockaddr(new Uint8Array(8))).toBeUndefined();
    expect(parseSockaddr(sockaddrIn6(new Uint8Array(16)).subarray(0, 20))).toBeUndefined();
  });
  test("sockaddr_ll: family 17, protocol big-endian, ifindex, hatype 1, pkttype, halen, addr[8] = 20", () => {
    const sa = sockaddrLl({ ifindex: 2, protocol: 0x0806, addr: new Uint8Array([255, 255, 255, 255, 255, 255]) });
    expect(sa.length).toBe(20);
    expect(hex(sa)).toBe("1100" + "0806" + "02000000" + "0100" + "00" + "06" + "ffffffffffff0000");
  });
  test("ip_mreqn (12) and ipv6_mreq (20)", () => {
    expect(hex(ipMreqn(parseIpv4("224.0.0.18")!, 5))).toBe("e0000012" + "00000000" + "05000000");
    expect(hex(ipv6Mreq(parseIpv6("ff02::12")!, 5))).toBe("ff020000000000000000000000000012" + "05000000");
  });
});

describe("iovec and msghdr", () => {
  test("iovec: base pointer and length per entry, 16 bytes each; keeps the buffers", () => {
    const a = new Uint8Array(40);
    const b = new Uint8Array(3);
    const io = iovec([a, b]);
    expect(io.bytes.length).toBe(32);
    expect(u64(io.bytes, 0)).toBe(addr(a));
    expect(u64(io.bytes, 8)).toBe(40n);
    expect(u64(io.bytes, 16)).toBe(addr(b));
    expect(u64(io.bytes, 24)).toBe(3n);
    expect(io.keep).toEqual([a, b]);
  });
  test("msghdr: 56 bytes, name/iov/control pointers and lengths at the LP64 offsets", () => {
    const name = new Uint8Array(28);
    const data = new Uint8Array(100);
    const control = new Uint8Array(64);
    const m = msghdr({ name, iov: [data], control });
    expect(m.bytes.length).toBe(MSGHDR_SIZE);
    const v = new DataView(m.bytes.buffer);
    expect(u64(m.bytes, 0)).toBe(addr(name));
    expect(v.getUint32(8, true)).toBe(28);
    expect(v.getUint32(12, true)).toBe(0); // padding
    const iov = m.keep[0]!;
    expect(u64(m.bytes, 16)).toBe(addr(iov));
    expect(u64(iov, 0)).toBe(addr(data));
    expect(u64(m.bytes, 24)).toBe(1n);
    expect(u64(m.bytes, 32)).toBe(addr(control));
    expect(u64(m.bytes, 40)).toBe(64n);
    expect(v.getInt32(48, true)).toBe(0);
    // every buffer the struct points at is held by it
    for (const b of [name, data, control]) expect(m.keep).toContain(b);
  });
  test("msghdr without name or control leaves those fields zero", () => {
    const m = msghdr({ iov: [new Uint8Array(4)] });
    expect(hex(m.bytes.subarray(0, 16))).toBe("00".repeat(16));
    expect(hex(m.bytes.subarray(32, 56))).toBe("00".repeat(24));
  });
  test("MsgBuffers.reset restores namelen, controllen and flags that recvmsg rewrote", () => {
    const m = new MsgBuffers(2048);
    const v = new DataView(m.msg.buffer);
    v.setUint32(8, 16, true);
    v.setBigUint64(40, 20n, true);
    v.setInt32(48, 0x20, true);
    expect([m.nameLength, m.controlLength, m.flags]).toEqual([16, 20, 0x20]);
    m.reset();
    expect([m.nameLength, m.controlLength, m.flags]).toEqual([28, 256, 0]);
    expect(u64(m.msg, 0)).toBe(addr(m.name));
    expect(u64(m.msg, 32)).toBe(addr(m.control));
  });
  test("the msghdr still points at name and control after they are read as a receive path reads them", () => {
    // JavaScriptCore moves a small typed array's storage the first time its .buffer is read
    // (a DataView, a subarray): a msghdr built before that would send recvmsg's source address
    // and control messages into freed memory, and the reader would see the first datagram's
    // forever. Before stablePtr the addresses differed after this walk (and the runtime aborted
    // under load with VRRP and BFD in one process).
    const m = new MsgBuffers(2048);
    const before = [u64(m.msg, 0), u64(m.msg, 32)];
    cmsgs(m.control, 0);
    void new DataView(m.name.buffer, m.name.byteOffset, 28);
    void m.name.subarray(0, 16);
    expect([addr(m.name), addr(m.control)]).toEqual(before);
    expect([u64(m.msg, 0), u64(m.msg, 32)]).toEqual(before);
    // and a plain iovec over a small buffer, read afterwards
    const small = new Uint8Array(64);
    const io = iovec([small]);
    void new DataView(small.buffer);
    expect(u64(io.bytes, 0)).toBe(addr(small));
  });
});

describe("control messages", () => {
  test("CMSG_ALIGN / CMSG_LEN / CMSG_SPACE on LP64", () => {
    expect([0, 1, 8, 9, 12, 20].map(cmsgAlign)).toEqual([0, 8, 8, 16, 16, 24]);
    expect(cmsgLen(4)).toBe(20);
    expect(cmsgSpace(4)).toBe(24);
    expect(cmsgLen(20)).toBe(36); // in6_pktinfo
    expect(cmsgSpace(20)).toBe(40);
  });
  test("buildCmsgs lays out headers, data and zero padding as CMSG_NXTHDR expects", () => {
    const pktinfo = new Uint8Array(20).fill(0xaa);
    const hop = new Uint8Array([255, 0, 0, 0]);
    const c = buildCmsgs([
      { level: 41, type: 50, data: pktinfo },
      { level: 41, type: 52, data: hop },
    ]);
    expect(c.length).toBe(40 + 24);
    expect(hex(c.subarray(0, 16))).toBe("2400000000000000" + "29000000" + "32000000");
    expect(hex(c.subarray(36, 40))).toBe("00000000"); // pad to 8
    expect(hex(c.subarray(40, 64))).toBe("1400000000000000" + "29000000" + "34000000" + "ff000000" + "00000000");
    expect(cmsgs(c, c.length).map((m) => [m.level, m.type, hex(m.data)])).toEqual([
      [41, 50, "aa".repeat(20)],
      [41, 52, "ff000000"],
    ]);
  });
  test("the walk: aligned headers; a header that does not fit or is too short ends it", () => {
    const c = new Uint8Array(64);
    const v = new DataView(c.buffer);
    // IP_PKTINFO (level 0, type 8), 12 bytes of data → cmsg_len 28, next at 32
    v.setBigUint64(0, 28n, true);
    v.setInt32(8, 0, true);
    v.setInt32(12, 8, true);
    v.setInt32(16, 7, true);
    // IPV6_HOPLIMIT (41, 52), 4 bytes → len 20
    v.setBigUint64(32, 20n, true);
    v.setInt32(40, 41, true);
    v.setInt32(44, 52, true);
    v.setInt32(48, 255, true);
    expect(cmsgs(c, 52).map((m) => [m.level, m.type, m.data.length])).toEqual([
      [0, 8, 12],
      [41, 52, 4],
    ]);
    expect(cmsgs(c, 40).length).toBe(1); // the second header does not fit
    expect(cmsgs(c, 1000).length).toBe(2); // never reads past the buffer
    v.setBigUint64(32, 8n, true); // cmsg_len below the header size
    expect(cmsgs(c, 52).length).toBe(1);
    expect(cmsgs(c, 0)).toEqual([]);
  });
});
