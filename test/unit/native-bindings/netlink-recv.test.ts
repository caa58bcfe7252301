// The shared netlink receive (native-bindings/netlink-recv.ts) on live NETLINK_ROUTE
// sockets (root): the kernel's ack of an NLMSG_NOOP request is what comes back, a datagram
// another port sent first is dropped, nothing queued reads as undefined, and a buffer
// shorter than the datagram says so (MSG_TRUNC).
import { afterEach, expect, test } from "bun:test";
import { libc } from "../../../native-bindings/libc";
import { NetlinkReceiver } from "../../../native-bindings/netlink-recv";
import { NetlinkSocket } from "../../../native-bindings/netlink/socket";

const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const AF_NETLINK = 16;

/** nlmsghdr {16, type, flags, seq, pid 0} */
function header(type: number, flags: number, seq: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, 16, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  return b;
}

/** sockaddr_nl {AF_NETLINK, 0, nl_pid, groups 0} */
function to(portId: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_NETLINK, true);
  v.setUint32(4, portId, true);
  return b;
}

const opened: NetlinkSocket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});
function open(): NetlinkSocket {
  const s = NetlinkSocket.open();
  opened.push(s);
  return s;
}

test("the kernel's datagram comes back; one from another port is dropped; then undefined", () => {
  const a = open();
  const b = open();
  const rx = new NetlinkReceiver(a.fd, 4096, "recvmsg(test)");
  const foreign = header(NLMSG_NOOP, 0, 99);
  const dest = to(a.portId);
  expect(Number(libc.sendto(b.fd, foreign, foreign.length, 0, dest, dest.length))).toBe(16);
  // rtnetlink acks a message below NLMSG_MIN_TYPE at once (netlink_rcv_skb): nlmsgerr, errno 0
  a.send(header(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 7));
  const d = rx.recv();
  expect(d).toBeDefined();
  const v = new DataView(d!.buffer, d!.byteOffset, d!.byteLength);
  expect(v.getUint16(4, true)).toBe(NLMSG_ERROR);
  expect(v.getUint32(8, true)).toBe(7);
  expect(v.getInt32(16, true)).toBe(0);
  expect(rx.truncated).toBe(false);
  // the foreign datagram was queued before the ack and is not returned after it either
  expect(rx.recv()).toBeUndefined();
});

test("a copy: the next datagram does not change the one returned before", () => {
  const a = open();
  const rx = new NetlinkReceiver(a.fd, 4096, "recvmsg(test)");
  a.send(header(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 1));
  a.send(header(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 2));
  const first = rx.recv()!;
  const second = rx.recv()!;
  expect(new DataView(first.buffer, first.byteOffset).getUint32(8, true)).toBe(1);
  expect(new DataView(second.buffer, second.byteOffset).getUint32(8, true)).toBe(2);
});

test("a datagram longer than the buffer: its start, and truncated until a whole one arrives", () => {
  const a = open();
  const small = new NetlinkReceiver(a.fd, 20, "recvmsg(test)");
  a.send(header(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 3));
  const cut = small.recv()!;
  expect(cut.length).toBe(20);
  expect(new DataView(cut.buffer, cut.byteOffset).getUint16(4, true)).toBe(NLMSG_ERROR);
  expect(small.truncated).toBe(true);
  const whole = new NetlinkReceiver(a.fd, 4096, "recvmsg(test)");
  a.send(header(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 4));
  expect(whole.recv()!.length).toBeGreaterThan(20);
  expect(whole.truncated).toBe(false);
});
