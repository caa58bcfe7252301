/**
 * The receive side of a netlink socket, shared by netlink/socket.ts (rtnetlink, generic
 * netlink) and proc-connector.ts (NETLINK_CONNECTOR): one datagram a recvmsg(MSG_DONTWAIT)
 * into a buffer allocated once per socket, beside it the sender's struct sockaddr_nl, and
 * the iovec + msghdr pointing at both, built once (structs.ts msghdr, whose pointers are
 * stablePtr's and whose buffers this object holds). A call only restores the two fields
 * the kernel rewrites; what arrived is copied out, as the next call overwrites the buffer.
 *
 * Only the kernel's datagrams are kept (nl_pid 0): another process may unicast to a
 * netlink port. keepalived's process monitor drops them alike (track_process.c
 * handle_proc_ev: `addr.nl_pid != 0`).
 */
import { EAGAIN, EINTR, errno, SyscallError } from "./errno";
import { libc } from "./libc";
import { MSG_DONTWAIT, MSG_TRUNC } from "./netlink/constants";
import { MSGHDR, msghdr, type Pinned } from "./structs";

/** struct sockaddr_nl (linux/netlink.h): family u16, pad u16, nl_pid u32, nl_groups u32 */
const SOCKADDR_NL_SIZE = 12;

export class NetlinkReceiver {
  private readonly data: Uint8Array;
  private readonly name = new Uint8Array(SOCKADDR_NL_SIZE);
  // held: the kernel writes through the pointers it holds
  private readonly pinned: Pinned;
  private readonly header: DataView;
  private readonly sender: DataView;

  /** `syscall` names the socket in errors, e.g. "recvmsg(AF_NETLINK)". */
  constructor(
    private readonly fd: number,
    size: number,
    private readonly syscall: string,
  ) {
    this.data = new Uint8Array(size);
    this.pinned = msghdr({ name: this.name, iov: [this.data] });
    this.header = new DataView(this.pinned.bytes.buffer);
    this.sender = new DataView(this.name.buffer);
  }

  /**
   * The next datagram from the kernel, copied; undefined when none is queued (EAGAIN).
   * EINTR is retried. Throws SyscallError (ENOBUFS: the receive queue overflowed and
   * messages were lost).
   */
  recv(): Uint8Array | undefined {
    for (;;) {
      // recvmsg rewrites msg_namelen and msg_flags (msg_controllen stays 0: no control buffer)
      this.header.setUint32(MSGHDR.namelen, SOCKADDR_NL_SIZE, true);
      this.header.setInt32(MSGHDR.flags, 0, true);
      const n = libc.recvmsg(this.fd, this.pinned.bytes, MSG_DONTWAIT);
      if (n < 0n) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === EAGAIN) return undefined;
        throw new SyscallError(this.syscall, e);
      }
      if (this.sender.getUint32(4, true) !== 0) continue; // not from the kernel
      return this.data.slice(0, Number(n));
    }
  }

  /** The last datagram recv() returned was longer than the buffer (MSG_TRUNC): its end is lost. */
  get truncated(): boolean {
    return (this.header.getInt32(MSGHDR.flags, true) & MSG_TRUNC) !== 0;
  }
}
