/**
 * ICMP / ICMPv6 echo for PING_CHECK: one raw socket per family (CAP_NET_RAW; keel runs
 * as root like keepalived), watched through SIGIO (readiness.ts), replies matched to
 * their request by identifier and sequence. keepalived uses ping sockets (SOCK_DGRAM,
 * which need net.ipv4.ping_group_range); a raw socket works on every kernel without
 * touching that sysctl. The kernel fills the ICMPv6 checksum; ours is RFC 1071.
 */
import { ptr } from "bun:ffi";
import { EAGAIN, EINTR, SyscallError, check, errno } from "./errno";
import { libc } from "./libc";
import { parseAddress } from "../src/base/ip";
import { watchReadable } from "./readiness";
import { AF_INET, AF_INET6, sockaddrIn, sockaddrIn6 } from "./structs";

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

interface Pending {
  resolve(ok: boolean): void;
}

class EchoSocket {
  readonly fd: number;
  private readonly pending = new Map<number, Pending>();
  private readonly buf = new Uint8Array(2048);
  private stopWatch: () => void;
  private id = (process.pid & 0xffff) ^ 0x6b65;
  private seq = 0;

  constructor(readonly family: 4 | 6) {
    this.fd = check(
      "socket(ICMP)",
      libc.socket(
        family === 4 ? AF_INET : AF_INET6,
        SOCK_RAW | SOCK_CLOEXEC,
        family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
      ),
    );
    this.stopWatch = watchReadable(this.fd, () => this.drain());
  }

  private drain(): void {
    for (;;) {
      const n = Number(libc.recvfrom(this.fd, ptr(this.buf), BigInt(this.buf.length), 0, null, null));
      if (n < 0) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === EAGAIN) return;
        throw new SyscallError("recvfrom(ICMP)", e);
      }
      // IPv4 raw sockets hand over the IP header too
      const off = this.family === 4 ? ((this.buf[0] ?? 0x45) & 0x0f) * 4 : 0;
      const type = this.buf[off];
      if (type !== (this.family === 4 ? 0 : 129)) continue; // echo reply only
      const id = ((this.buf[off + 4] ?? 0) << 8) | (this.buf[off + 5] ?? 0);
      const seq = ((this.buf[off + 6] ?? 0) << 8) | (this.buf[off + 7] ?? 0);
      if (id !== this.id) continue;
      const p = this.pending.get(seq);
      if (p) {
        this.pending.delete(seq);
        p.resolve(true);
      }
    }
  }

  /** Send one echo request; resolves true on its reply, false after `timeoutMs` or on abort. */
  echo(address: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const addr = parseAddress(this.family, address);
    if (!addr) return Promise.reject(new Error(`not an IPv${this.family} address: ${address}`));
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    const pkt = new Uint8Array(16);
    pkt[0] = this.family === 4 ? 8 : 128;
    pkt[4] = this.id >> 8;
    pkt[5] = this.id & 0xff;
    pkt[6] = seq >> 8;
    pkt[7] = seq & 0xff;
    pkt.set(new TextEncoder().encode("keelping"), 8);
    if (this.family === 4) {
      const c = checksum(pkt);
      pkt[2] = c >> 8;
      pkt[3] = c & 0xff;
    }
    const sa = this.family === 4 ? sockaddrIn(addr) : sockaddrIn6(addr);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (ok: boolean) => {
        if (timer) clearTimeout(timer);
        this.pending.delete(seq);
        signal?.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      this.pending.set(seq, { resolve: done });
      timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener("abort", onAbort);
      const r = Number(libc.sendto(this.fd, ptr(pkt), BigInt(pkt.length), 0, ptr(sa), sa.length));
      if (r < 0) done(false);
    });
  }

  close(): void {
    this.stopWatch();
    libc.close(this.fd);
  }
}

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const sockets = new Map<4 | 6, EchoSocket>();

/** ICMP echo to `address`; the socket for its family is opened once and shared. */
export function icmpEcho(address: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const family = address.includes(":") ? 6 : 4;
  let s = sockets.get(family);
  if (!s) {
    s = new EchoSocket(family);
    sockets.set(family, s);
  }
  return s.echo(address, timeoutMs, signal);
}
