/**
 * nf_tables over NETLINK_NETFILTER: send one batch (a transaction: all of it or
 * nothing) and collect the kernel's answer to each message, or ask whether a table
 * exists. Kernel refusals come back as values (`NftResult`), never thrown; only
 * opening the socket can throw (SyscallError).
 */
import { NetlinkError } from "../netlink/error";
import { NetlinkSocket } from "../netlink/socket";
import { NETLINK_NETFILTER } from "./constants";
import { describeOp, encodeBatch, getTableRequest, type NftFamily, type NftOp } from "./messages";

const ENOENT = 2;

export type NftResult = { ok: true } | { ok: false; error: NetlinkError };

export class Nftables {
  private constructor(private readonly sock: NetlinkSocket) {}

  static open(): Nftables {
    return new Nftables(NetlinkSocket.open({ protocol: NETLINK_NETFILTER }));
  }

  /**
   * Apply `ops` as one batch. The kernel answers every message that asked for an ACK
   * (in a failed batch too, with the errors where they arose): the first error names
   * its op.
   */
  apply(ops: readonly NftOp[]): NftResult {
    if (ops.length === 0) return { ok: true };
    const seq = this.sock.nextSeq();
    const batch = encodeBatch(ops, seq, { ack: true });
    // the batch's begin and end take a seq each: keep the socket's counter past them
    for (let i = 0; i <= ops.length; i++) this.sock.nextSeq();
    const [first, ...rest] = batch.seqs;
    if (first === undefined) return { ok: true };
    // one sendmsg for the whole batch: the first request carries every message's bytes
    const acks = this.sock.transact([
      { seq: first, bytes: batch.bytes },
      ...rest.map((s) => ({ seq: s, bytes: new Uint8Array(0) })),
    ]);
    for (let i = 0; i < ops.length; i++) {
      const a = acks.get(batch.seqs[i] as number);
      const op = ops[i] as NftOp;
      if (a && a.errno !== 0)
        return { ok: false, error: new NetlinkError(a.errno, describeOp(op), a.extack, a.detail) };
    }
    return { ok: true };
  }

  /** Whether `table` exists in `family` (keepalived's check_table before it deletes an old one). */
  tableExists(family: NftFamily, table: string): { ok: true; value: boolean } | { ok: false; error: NetlinkError } {
    const seq = this.sock.nextSeq();
    const a = this.sock.transact([{ seq, bytes: getTableRequest(family, table, seq) }]).get(seq);
    if (!a || a.errno === 0) return { ok: true, value: true };
    if (a.errno === ENOENT) return { ok: true, value: false };
    const fam = family === 4 ? "ip" : "ip6";
    return { ok: false, error: new NetlinkError(a.errno, `list table ${fam} ${table}`, a.extack, a.detail) };
  }

  close(): void {
    this.sock.close();
  }
}
