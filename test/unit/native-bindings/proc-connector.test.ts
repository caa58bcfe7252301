// The process events connector codec against datagrams captured from Linux 6.18 (a
// listener's view of `sh -c 'printf keeltestcomm > /proc/self/comm; exit 3'` and of a
// second listener's LISTEN ack), the subscribe message's bytes, and a live socket.
import { expect, test } from "bun:test";
import { ProcConnector } from "../../../native-bindings/proc-connector";
import {
  decodeProcEvents,
  encodeMcastOp,
  PROC_CN_MCAST_IGNORE,
  PROC_CN_MCAST_LISTEN,
} from "../../../native-bindings/proc-connector-codec";

const CAPTURED = {
  ack: "4c000000030000000400000000000000010000000100000004000000010000002800000000000000000000004aef6981d63b0000000000000000000000000000000000000000000000000000",
  fork: "4c000000030000000500000000000000010000000100000005000000000000002800000001000000000000009ad57381d63b0000d36a0000d36a0000d96a0000d96a00000000000000000000",
  exec: "4c00000003000000010000000000000001000000010000000100000000000000280000000200000001000000b9548881d63b0000d96a0000d96a000000000000000000000000000000000000",
  comm: "4c000000030000000200000000000000010000000100000002000000000000002800000000020000010000003b57ab81d63b0000d96a0000d96a00006b65656c74657374636f6d6d00000000",
  exit: "4c00000003000000030000000000000001000000010000000300000000000000280000000000008001000000b32cb081d63b0000d96a0000d96a00000003000011000000d36a0000d36a0000",
};
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

test("captured datagrams decode to the events the kernel sent", () => {
  expect(decodeProcEvents(bytes(CAPTURED.ack))).toEqual([{ kind: "ack", err: 0 }]);
  expect(decodeProcEvents(bytes(CAPTURED.fork))).toEqual([
    { kind: "fork", cpu: 0, seq: 5, parentPid: 27347, parentTgid: 27347, childPid: 27353, childTgid: 27353 },
  ]);
  expect(decodeProcEvents(bytes(CAPTURED.exec))).toEqual([{ kind: "exec", cpu: 1, seq: 1, pid: 27353, tgid: 27353 }]);
  expect(decodeProcEvents(bytes(CAPTURED.comm))).toEqual([
    { kind: "comm", cpu: 1, seq: 2, pid: 27353, tgid: 27353, comm: "keeltestcomm" },
  ]);
  // exit_code is the wait status (3 << 8), exit_signal SIGCHLD
  expect(decodeProcEvents(bytes(CAPTURED.exit))).toEqual([
    { kind: "exit", cpu: 1, seq: 3, pid: 27353, tgid: 27353, exitCode: 768, exitSignal: 17 },
  ]);
});

test("the LISTEN / IGNORE message is keepalived's set_proc_ev_listen layout", () => {
  expect(Buffer.from(encodeMcastOp(PROC_CN_MCAST_LISTEN, 0x1234)).toString("hex")).toBe(
    // nlmsghdr {40, NLMSG_DONE, 0, seq 0, pid}, cn_msg {1, 1, 0, 0, len 4, 0}, op 1
    "28000000030000000000000034120000" + "0100000001000000000000000000000004000000" + "01000000",
  );
  expect(encodeMcastOp(PROC_CN_MCAST_IGNORE, 1)[36]).toBe(2);
});

test("every truncation and corruption of a captured datagram decodes without throwing", () => {
  for (const h of Object.values(CAPTURED)) {
    const full = bytes(h);
    for (let n = 0; n < full.length; n++) {
      const evs = decodeProcEvents(full.subarray(0, n));
      // a cut message is never taken for a real event
      for (const e of evs) expect(e.kind).toBe("malformed");
    }
    for (let i = 0; i < full.length; i++) {
      const b = full.slice();
      b[i] = b[i]! ^ 0xff;
      expect(() => decodeProcEvents(b)).not.toThrow();
    }
  }
});

test("another connector's message, or an event whose ack flag disagrees with its kind, is skipped", () => {
  const other = bytes(CAPTURED.fork);
  other[16] = 2; // cb_id.idx of another connector
  expect(decodeProcEvents(other)).toEqual([]);
  const acked = bytes(CAPTURED.fork);
  acked[28] = 1; // cn_msg.ack on a fork: keepalived ignores it
  expect(decodeProcEvents(acked)).toEqual([]);
});

test("a live socket sees a child's fork, exec and exit (root, initial namespace)", async () => {
  const c = ProcConnector.open();
  try {
    expect(c.rcvBuf()).toBeGreaterThan(0);
    c.setRcvBuf({ bytes: 1 << 20, force: true });
    expect(c.rcvBuf()).toBe(2 << 20); // the kernel doubles what is set
    const child = Bun.spawn(["true"]);
    await child.exited;
    const kinds: string[] = [];
    for (;;) {
      const evs = c.recv();
      if (!evs) break;
      for (const e of evs) {
        if (e.kind === "fork" && e.childTgid === child.pid) kinds.push("fork");
        if ((e.kind === "exec" || e.kind === "exit") && e.tgid === child.pid) kinds.push(e.kind);
      }
    }
    expect(kinds).toEqual(["fork", "exec", "exit"]);
  } finally {
    c.close();
  }
});
