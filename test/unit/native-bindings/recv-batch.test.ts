// The shared receive loop (recv-batch.ts) on a real AF_UNIX datagram socket pair: batches
// of recvmmsg, the `max` bound that leaves the rest queued, truncation, the source
// address slot, and close() stopping delivery mid-batch.
import { expect, test } from "bun:test";
import { check } from "../../../native-bindings/errno";
import { libc } from "../../../native-bindings/libc";
import { RecvBatch } from "../../../native-bindings/recv-batch";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

function pair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", libc.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
  return [fds[0]!, fds[1]!];
}

function send(fd: number, bytes: Uint8Array): void {
  expect(Number(libc.sendto(fd, bytes, bytes.length, 0, null, 0))).toBe(bytes.length);
}

test("reads every queued datagram in batches of `slots`, in order, and stops at `max`", () => {
  const [a, b] = pair();
  for (let i = 0; i < 10; i++) send(b, new Uint8Array([i, i, i]));
  const batch = new RecvBatch(a, 4, 64, "test pair");
  const got: number[][] = [];
  const deliver = (slot: number, length: number) => got.push([...batch.data(slot).subarray(0, length)]);
  // 6 of 10: two calls of 4 and 2; the rest stays queued
  expect(batch.drain(6, deliver)).toBe(6);
  expect(got.map((d) => d[0])).toEqual([0, 1, 2, 3, 4, 5]);
  expect(batch.drain(Number.POSITIVE_INFINITY, deliver)).toBe(4);
  expect(got.map((d) => d[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(got.every((d) => d.length === 3)).toBe(true);
  // an empty queue: EAGAIN, nothing read
  expect(batch.drain(Number.POSITIVE_INFINITY, deliver)).toBe(0);
  libc.close(a);
  libc.close(b);
});

test("a datagram longer than its slot is read, counted as truncated and not delivered", () => {
  const [a, b] = pair();
  send(b, new Uint8Array(100).fill(7));
  send(b, new Uint8Array(64).fill(8));
  const batch = new RecvBatch(a, 4, 64, "test pair");
  const lengths: number[] = [];
  expect(batch.drain(Number.POSITIVE_INFINITY, (slot, length) => lengths.push(length, batch.data(slot)[0]!))).toBe(2);
  expect(lengths).toEqual([64, 8]);
  expect(batch.truncated).toBe(1);
  expect(batch.cmsg(0, 1, 2, 0)).toBe(-1); // no control messages were asked for
  libc.close(a);
  libc.close(b);
});

test("close() from a delivery stops the batch at once", () => {
  const [a, b] = pair();
  for (let i = 0; i < 3; i++) send(b, new Uint8Array([i]));
  const batch = new RecvBatch(a, 8, 16, "test pair");
  let n = 0;
  batch.drain(Number.POSITIVE_INFINITY, () => {
    n++;
    batch.close();
  });
  expect(n).toBe(1);
  expect(batch.drain(Number.POSITIVE_INFINITY, () => n++)).toBe(0);
  libc.close(a);
  libc.close(b);
});

test("view(slot, length) is the datagram without a copy: one view per slot while the length stays, a new one when it changes", () => {
  const [a, b] = pair();
  const batch = new RecvBatch(a, 2, 64, "test pair");
  const seen: Uint8Array[] = [];
  const copies: number[][] = [];
  const deliver = (slot: number, length: number) => {
    const v = batch.view(slot, length);
    seen.push(v);
    copies.push([...v]);
  };
  for (const d of [
    [1, 1, 1],
    [2, 2, 2],
  ])
    send(b, new Uint8Array(d));
  expect(batch.drain(Number.POSITIVE_INFINITY, deliver)).toBe(2);
  for (const d of [
    [3, 3, 3],
    [4, 4, 4, 4],
  ])
    send(b, new Uint8Array(d));
  expect(batch.drain(Number.POSITIVE_INFINITY, deliver)).toBe(2);
  // what each delivery read, in order and at its own length
  expect(copies).toEqual([
    [1, 1, 1],
    [2, 2, 2],
    [3, 3, 3],
    [4, 4, 4, 4],
  ]);
  // slot 0 kept its 3-byte view (now rewritten: views, not copies); slot 1's length changed
  expect(seen[2]).toBe(seen[0]!);
  expect([...seen[0]!]).toEqual([3, 3, 3]);
  expect(seen[3]).not.toBe(seen[1]!);
  expect(seen[3]!.length).toBe(4);
  libc.close(a);
  libc.close(b);
});
