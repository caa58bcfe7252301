/**
 * The kernel's process events connector, sans I/O: the bytes of the subscribe message and
 * a decoder for what the kernel sends (uapi linux/connector.h, linux/cn_proc.h).
 *
 * One datagram = struct nlmsghdr (16) + struct cn_msg (20: cb_id {idx, val}, seq, ack,
 * len u16, flags u16) + struct proc_event (what u32, cpu u32, timestamp_ns u64, then the
 * event_data union). Everything is host order (little-endian on the machines keel runs
 * on). The kernel sends one event per datagram (drivers/connector/cn_proc.c builds each
 * message at a 4-byte offset so that proc_event lands 8-byte aligned; keepalived's
 * handle_proc_ev relies on it), but the decoder walks every message it is given.
 *
 * The decoder never throws: short, inconsistent or foreign messages are reported as
 * { kind: "malformed" } or skipped, so a bad datagram cannot stop the daemon.
 */

export const NETLINK_CONNECTOR = 11;
/** cb_id of the process events connector (connector.h) */
export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;
/** enum proc_cn_mcast_op */
export const PROC_CN_MCAST_LISTEN = 1;
export const PROC_CN_MCAST_IGNORE = 2;

/** enum what (cn_proc.h) */
export const PROC_EVENT = {
  NONE: 0x0,
  FORK: 0x1,
  EXEC: 0x2,
  UID: 0x4,
  GID: 0x40,
  SID: 0x80,
  PTRACE: 0x100,
  COMM: 0x200,
  NONZERO_EXIT: 0x20000000,
  COREDUMP: 0x40000000,
  EXIT: 0x80000000,
} as const;

const NLMSG_HDRLEN = 16;
const CN_MSG_LEN = 20;
/** what, cpu, timestamp_ns: the event_data union starts here */
const EVENT_HDR = 16;
const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

export type ProcEvent =
  /** PROC_EVENT_NONE with cn_msg.ack set: the kernel's answer to LISTEN (err 0 = subscribed) */
  | { kind: "ack"; err: number }
  | {
      kind: "fork";
      cpu: number;
      seq: number;
      parentPid: number;
      parentTgid: number;
      childPid: number;
      childTgid: number;
    }
  | { kind: "exec"; cpu: number; seq: number; pid: number; tgid: number }
  | { kind: "comm"; cpu: number; seq: number; pid: number; tgid: number; comm: string }
  | { kind: "exit"; cpu: number; seq: number; pid: number; tgid: number; exitCode: number; exitSignal: number }
  /** uid, gid, sid, ptrace, coredump, and kinds a newer kernel adds */
  | { kind: "other"; cpu: number; seq: number; what: number }
  | { kind: "malformed"; reason: string };

/**
 * The subscribe (LISTEN) or unsubscribe (IGNORE) message, as keepalived's set_proc_ev_listen:
 * nlmsg_type NLMSG_DONE, a cn_msg to CN_IDX_PROC/CN_VAL_PROC carrying one u32 op.
 */
export function encodeMcastOp(op: number, portId: number): Uint8Array {
  const b = new Uint8Array(NLMSG_HDRLEN + CN_MSG_LEN + 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true); // nlmsg_len
  v.setUint16(4, NLMSG_DONE, true); // nlmsg_type
  v.setUint16(6, 0, true); // nlmsg_flags
  v.setUint32(8, 0, true); // nlmsg_seq
  v.setUint32(12, portId, true); // nlmsg_pid
  v.setUint32(16, CN_IDX_PROC, true);
  v.setUint32(20, CN_VAL_PROC, true);
  v.setUint32(24, 0, true); // seq
  v.setUint32(28, 0, true); // ack
  v.setUint16(32, 4, true); // len
  v.setUint16(34, 0, true); // flags
  v.setUint32(36, op, true);
  return b;
}

/** Every event in one datagram from the connector socket. Never throws. */
export function decodeProcEvents(d: Uint8Array): ProcEvent[] {
  const out: ProcEvent[] = [];
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let off = 0;
  while (off + NLMSG_HDRLEN <= d.length) {
    const len = v.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > d.length) {
      out.push({ kind: "malformed", reason: `netlink length ${len} at offset ${off} of a ${d.length}-byte datagram` });
      return out;
    }
    const type = v.getUint16(off + 4, true);
    if (type !== NLMSG_NOOP && type !== NLMSG_ERROR) {
      const e = decodeOne(v, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
      if (e) out.push(e);
    }
    off += (len + 3) & ~3;
  }
  if (off < d.length && out.length === 0) out.push({ kind: "malformed", reason: `${d.length}-byte datagram` });
  return out;
}

/** One cn_msg + proc_event at `at`, `n` bytes; undefined for another connector's message. */
function decodeOne(v: DataView, at: number, n: number): ProcEvent | undefined {
  if (n < CN_MSG_LEN) return { kind: "malformed", reason: `cn_msg of ${n} bytes` };
  if (v.getUint32(at, true) !== CN_IDX_PROC || v.getUint32(at + 4, true) !== CN_VAL_PROC) return undefined;
  const seq = v.getUint32(at + 8, true);
  const ack = v.getUint32(at + 12, true);
  const dataLen = v.getUint16(at + 16, true);
  const p = at + CN_MSG_LEN;
  if (dataLen > n - CN_MSG_LEN) return { kind: "malformed", reason: `cn_msg.len ${dataLen} past the message` };
  if (dataLen < EVENT_HDR + 4) return { kind: "malformed", reason: `proc_event of ${dataLen} bytes` };
  const what = v.getUint32(p, true);
  const cpu = v.getUint32(p + 4, true);
  const d = p + EVENT_HDR;
  const room = dataLen - EVENT_HDR;
  const u32 = (i: number) => v.getUint32(d + 4 * i, true);
  // keepalived: PROC_EVENT_NONE is the ack and only it carries cn_msg.ack
  if ((what === PROC_EVENT.NONE) !== (ack !== 0)) return undefined;
  const need = (words: number): ProcEvent | undefined =>
    room < words * 4 ? { kind: "malformed", reason: `event ${what} with ${room} bytes of data` } : undefined;
  switch (what) {
    case PROC_EVENT.NONE:
      return need(1) ?? { kind: "ack", err: u32(0) };
    case PROC_EVENT.FORK:
      return (
        need(4) ?? {
          kind: "fork",
          cpu,
          seq,
          parentPid: u32(0),
          parentTgid: u32(1),
          childPid: u32(2),
          childTgid: u32(3),
        }
      );
    case PROC_EVENT.EXEC:
      return need(2) ?? { kind: "exec", cpu, seq, pid: u32(0), tgid: u32(1) };
    case PROC_EVENT.COMM: {
      const bad = need(2 + 4);
      if (bad) return bad;
      const bytes = new Uint8Array(v.buffer, v.byteOffset + d + 8, 16);
      const end = bytes.indexOf(0);
      const comm = new TextDecoder().decode(bytes.subarray(0, end < 0 ? 16 : end));
      return { kind: "comm", cpu, seq, pid: u32(0), tgid: u32(1), comm };
    }
    case PROC_EVENT.EXIT:
      return need(4) ?? { kind: "exit", cpu, seq, pid: u32(0), tgid: u32(1), exitCode: u32(2), exitSignal: u32(3) };
    default:
      return { kind: "other", cpu, seq, what };
  }
}
