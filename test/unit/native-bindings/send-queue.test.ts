// Packets the kernel sends at a deadline by itself (send-queue.ts over uring.ts): an
// io_uring timeout linked to a sendmsg. Sent while JavaScript is busy (the test spins
// without returning to the event loop: nothing in this process but the kernel can send
// then), never before the deadline, not at all once cancelled, and a send that fails is
// reported with its errno. A datagram socket pair stands for the VRRP socket (no network).
import { expect, test } from "bun:test";
import { monotonicMs } from "../../../native-bindings/kernel-timer";
import { libc } from "../../../native-bindings/libc";
import { SendQueue } from "../../../native-bindings/send-queue";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const NONE = new Uint8Array(0);

function pair(): [number, number] {
  const fds = new Int32Array(2);
  if (libc.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) !== 0) throw new Error("socketpair failed");
  return [fds[0]!, fds[1]!];
}

/** what is waiting on `fd`, without blocking */
function readAll(fd: number): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(256);
  for (;;) {
    const n = Number(libc.recvfrom(fd, buf, buf.length, MSG_DONTWAIT, null, null));
    if (n < 0) return out;
    out.push(new TextDecoder().decode(buf.subarray(0, n)));
  }
}

/** busy until `ms` on CLOCK_MONOTONIC: the event loop does not run */
function spinUntil(ms: number): void {
  while (monotonicMs() < ms) {}
}

function queue(): SendQueue {
  const q = SendQueue.get();
  // a kernel without io_uring (or one a seccomp filter hides) says why: this test needs it
  if (typeof q === "string") throw new Error(`no send queue here: ${q}`);
  return q;
}

const packet = (text: string) => ({ dst: "peer", data: new TextEncoder().encode(text) });

test("sent at the deadline while JavaScript is busy, and not before it", () => {
  const q = queue();
  const [a, b] = pair();
  const start = monotonicMs();
  const ticket = q.queue(a, start + 60, [packet("one"), packet("two")], () => NONE);
  expect(ticket).toBeNumber();
  spinUntil(start + 40);
  const early = readAll(b);
  // a descheduled test may read past the deadline: then the packets may be there
  if (monotonicMs() < start + 60) expect(early).toEqual([]);
  spinUntil(start + 200);
  expect([...early, ...readAll(b)]).toEqual(["one", "two"]);
  libc.close(a);
  libc.close(b);
});

test("a cancelled send does not leave; the bytes were copied when queued", () => {
  const q = queue();
  const [a, b] = pair();
  const start = monotonicMs();
  const p = packet("kept");
  // cancelled long before its deadline, however slowly this test runs
  const gone = q.queue(a, start + 300, [packet("cancelled")], () => NONE);
  const kept = q.queue(a, start + 40, [p], () => NONE);
  p.data.fill(0x21); // the caller rewrites its buffer: the queued copy is unchanged
  q.cancel(gone as number);
  spinUntil(start + 400);
  expect(readAll(b)).toEqual(["kept"]);
  q.reap();
  expect(q.inUse).toBe(0); // the cancelled send's slot too
  expect(kept).not.toBe(gone);
  libc.close(a);
  libc.close(b);
});

test("a send that fails is reported, with its ticket, destination and errno", () => {
  const q = queue();
  const [a, b] = pair();
  libc.close(b); // the peer is gone: the send is refused (ECONNREFUSED)
  const failures: [number, string, number][] = [];
  const ticket = q.queue(
    a,
    monotonicMs() + 10,
    [packet("lost")],
    () => NONE,
    (t, dst, e) => failures.push([t, dst, e]),
  );
  spinUntil(monotonicMs() + 80);
  q.reap();
  expect(failures).toEqual([[ticket as number, "peer", 111]]);
  libc.close(a);
});

test("cancelFd: nothing queued on a socket leaves once it is to be closed", () => {
  const q = queue();
  const [a, b] = pair();
  const start = monotonicMs();
  q.queue(a, start + 300, [packet("x")], () => NONE);
  q.queue(a, start + 310, [packet("y")], () => NONE);
  q.cancelFd(a);
  spinUntil(start + 400);
  expect(readAll(b)).toEqual([]);
  q.reap();
  expect(q.inUse).toBe(0);
  libc.close(a);
  libc.close(b);
});

test("a burst of completions larger than the ring is read back whole: every slot is free again", () => {
  const q = queue();
  const [a, b] = pair();
  libc.close(b); // each send fails at once (ECONNREFUSED): no socket buffer to wait on
  const start = monotonicMs();
  const failures: number[] = [];
  // two completions each (the timeout's, the send's): 9,000, past the ring's 8,192
  for (let i = 0; i < 4500; i++)
    expect(
      q.queue(
        a,
        start + 200,
        [packet("x")],
        () => NONE,
        (t) => failures.push(t),
      ),
    ).toBeNumber();
  expect(q.inUse).toBe(4500);
  spinUntil(start + 400);
  q.reap(); // the ring's completions, then the kernel's overflow list
  expect(failures.length).toBe(4500);
  expect(q.inUse).toBe(0);
  libc.close(a);
});

test("settle: taken back before its deadline it is cancelled, after it it was sent, a refused one says its errno", () => {
  const q = queue();
  const [a, b] = pair();
  const start = monotonicMs();
  const early = q.queue(a, start + 300, [packet("early")], () => NONE) as number;
  const late = q.queue(a, start + 30, [packet("late")], () => NONE) as number;
  expect(q.settle(early)).toBe("cancelled");
  // past the deadline, the completion not yet read: settle reads it
  spinUntil(start + 80);
  expect(q.settle(late)).toBe("sent");
  expect(readAll(b)).toEqual(["late"]);
  // once read by a reap, the outcome is still known
  const reaped = q.queue(a, monotonicMs() + 5, [packet("reaped")], () => NONE) as number;
  spinUntil(monotonicMs() + 40);
  q.reap();
  expect(q.settle(reaped)).toBe("sent");
  expect(readAll(b)).toEqual(["reaped"]);
  libc.close(b);
  const failures: number[] = [];
  const refused = q.queue(
    a,
    monotonicMs() + 5,
    [packet("refused")],
    () => NONE,
    (t) => failures.push(t),
  ) as number;
  spinUntil(monotonicMs() + 40);
  expect(q.settle(refused)).toBe(111); // ECONNREFUSED, to the caller of settle and not also to onFailure
  expect(failures).toEqual([]);
  expect(q.inUse).toBe(0);
  libc.close(a);
});
