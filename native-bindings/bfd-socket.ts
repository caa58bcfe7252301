/**
 * BFD's UDP sockets, as keepalived's bfd_open_fd_in / bfd_open_fd_out
 * (keepalived/bfd/bfd_scheduler.c) set them up, plus RFC 5883's multihop port:
 * - a listener per family and port (3784 single hop, RFC 5881 4; 4784 multihop, RFC
 *   5883 3) on the wildcard address, asking for the TTL / hop limit of every datagram
 *   (IP_RECVTTL, IPV6_RECVHOPLIMIT: RFC 5881 5's check needs it) and its destination
 *   (IP_PKTINFO, IPV6_RECVPKTINFO: a session is found by its address pair until the
 *   peer has learnt our discriminator). IPv6 listeners are IPV6_V6ONLY so both families
 *   can hold the port.
 * - a sender per session, bound to its source address and a source port in
 *   49152–65535 (RFC 5881 4; keepalived narrows it to ip_local_port_range when that is
 *   wide enough, keel keeps the RFC's range), sending with TTL / hop limit `ttl` (255
 *   for single hop, RFC 5881 5). With no source address keel binds the wildcard address
 *   to such a port (keepalived lets the kernel pick one, maybe outside the range).
 * Constants from linux/in.h, linux/in6.h, asm-generic/socket.h.
 */
import { parseIpv4, parseIpv6, withoutZone } from "../src/base/ip";
import { SyscallError, check, errno } from "./errno";
import { libc } from "./libc";
import { setNonBlocking } from "./readiness";
import { RecvBatch } from "./recv-batch";
import { AF_INET, AF_INET6, int32, parseSockaddr, sockaddrIn, sockaddrIn6 } from "./structs";

const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IP = 0;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_PKTINFO = 8;
const IP_RECVTTL = 12;
const IPV6_UNICAST_HOPS = 16;
const IPV6_V6ONLY = 26;
const IPV6_RECVPKTINFO = 49;
const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;
const EADDRINUSE = 98;

export const BFD_PORT_SINGLE_HOP = 3784;
export const BFD_PORT_MULTIHOP = 4784;
const SRC_PORT_MIN = 49152;
const SRC_PORT_MAX = 65535;

export interface BfdRx {
  data: Uint8Array;
  family: 4 | 6;
  src: Uint8Array;
  srcPort: number;
  /** the destination address (IP_PKTINFO / IPV6_PKTINFO), when the kernel gave it */
  dst?: Uint8Array;
  /** IPv6: the interface it came in on (IPV6_PKTINFO's ipi6_ifindex) */
  ifindex?: number;
  /** the received TTL / hop limit; undefined when the kernel gave none */
  ttl?: number;
}

export interface BfdListener {
  readonly fd: number;
  readonly family: 4 | 6;
  readonly port: number;
  /** recvmmsg(MSG_DONTWAIT) until the queue is empty or `max` datagrams (recv-batch.ts); returns how many were read. */
  drain(onPacket: (rx: BfdRx) => void, max?: number): number;
  close(): void;
}

export interface BfdSender {
  readonly fd: number;
  /** the bound source port (0: the kernel picks one at the first send) */
  readonly port: number;
  /** the neighbour's interface index when its address named one (fe80::1%eth0), else 0 */
  readonly scope: number;
  send(data: Uint8Array): void;
  close(): void;
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  check(`setsockopt(${what})`, libc.setsockopt(fd, level, name, int32(value), 4));
}

/** An address and its scope: `fe80::1%eth0` is fe80::1 with eth0's index (sin6_scope_id); no zone is scope 0. */
function addrBytes(family: 4 | 6, text: string, op: string): { addr: Uint8Array; scope: number } {
  const zone = family === 6 && text.includes("%") ? text.slice(text.indexOf("%") + 1) : undefined;
  const a = family === 6 ? parseIpv6(withoutZone(text)) : parseIpv4(text);
  if (!a) throw new SyscallError(op, 22, `not an IPv${family} address: ${text}`);
  if (zone === undefined) return { addr: a, scope: 0 };
  const scope = libc.if_nametoindex(Buffer.from(`${zone}\0`));
  if (scope === 0) throw new SyscallError("if_nametoindex", errno(), `${zone} (of ${text})`);
  return { addr: a, scope };
}

function sockaddr(family: 4 | 6, addr: Uint8Array, port: number, scope = 0): Uint8Array {
  return family === 6 ? sockaddrIn6(addr, scope, port) : sockaddrIn(addr, port);
}

export function openBfdListener(family: 4 | 6, port: number): BfdListener {
  const v6 = family === 6;
  const fd = check("socket", libc.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), `UDP IPv${family}`);
  try {
    if (v6) {
      setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
      setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
      setInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    } else {
      setInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
      setInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
    }
    const sa = sockaddr(family, new Uint8Array(v6 ? 16 : 4), port);
    check("bind", libc.bind(fd, sa, sa.length), `UDP port ${port} (IPv${family})`);
    setNonBlocking(fd);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  // 2 KiB per datagram: longer than any BFD packet keel accepts (dropped as truncated)
  const batch = new RecvBatch(fd, 16, 2048, `BFD port ${port}`);
  let closed = false;
  let sink: (rx: BfdRx) => void = () => {};
  const deliver = (slot: number, length: number): void => {
    const from = parseSockaddr(batch.name(slot).subarray(0, batch.nameLength(slot)));
    if (!from) return;
    const rx: BfdRx = { data: batch.data(slot).slice(0, length), family, src: from.addr, srcPort: from.port };
    if (!v6) {
      const ttl = batch.cmsg(slot, IPPROTO_IP, IP_TTL, 4);
      if (ttl >= 0) rx.ttl = batch.controlInt32(ttl);
      // struct in_pktinfo: ifindex, spec_dst, addr
      const info = batch.cmsg(slot, IPPROTO_IP, IP_PKTINFO, 12);
      if (info >= 0) rx.dst = batch.controlBytes(info + 8, 4);
    } else {
      const hops = batch.cmsg(slot, IPPROTO_IPV6, IPV6_HOPLIMIT, 4);
      if (hops >= 0) rx.ttl = batch.controlInt32(hops);
      // struct in6_pktinfo: addr, ifindex
      const info = batch.cmsg(slot, IPPROTO_IPV6, IPV6_PKTINFO, 20);
      if (info >= 0) {
        rx.dst = batch.controlBytes(info, 16);
        rx.ifindex = batch.controlInt32(info + 16) >>> 0;
      }
    }
    sink(rx);
  };
  return {
    fd,
    family,
    port,
    drain(onPacket, max = Number.POSITIVE_INFINITY) {
      sink = onPacket;
      return batch.drain(max, deliver);
    },
    close() {
      if (closed) return;
      closed = true;
      batch.close();
      libc.close(fd);
    },
  };
}

/**
 * A session's sender. `random` picks the first source port to try (keepalived's
 * rand_intv); the next free one after it is taken, as bfd_open_fd_out does.
 */
export function openBfdSender(o: {
  family: 4 | 6;
  neighbor: string;
  port: number;
  source?: string;
  ttl: number;
  random: () => number;
}): BfdSender {
  const v6 = o.family === 6;
  const fd = check("socket", libc.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), `UDP IPv${o.family}`);
  let port = 0;
  try {
    if (v6) setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.ttl, "IPV6_UNICAST_HOPS");
    else setInt(fd, IPPROTO_IP, IP_TTL, o.ttl, "IP_TTL");
    // with no source address keel still binds the port (the wildcard address), so the
    // source port is in RFC 5881's range; keepalived leaves that one to the kernel
    const src =
      o.source !== undefined ? addrBytes(o.family, o.source, "bind") : { addr: new Uint8Array(v6 ? 16 : 4), scope: 0 };
    port = bindPort(fd, o.family, src.addr, src.scope, o.random);
    setNonBlocking(fd);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  const to = addrBytes(o.family, o.neighbor, "sendto");
  const dst = sockaddr(o.family, to.addr, o.port, to.scope);
  let closed = false;
  return {
    fd,
    port,
    scope: to.scope,
    send(data) {
      if (closed) return;
      const r = libc.sendto(fd, data, data.length, 0, dst, dst.length);
      if (Number(r) === -1) throw new SyscallError("sendto", errno(), `${o.neighbor} port ${o.port}`);
    },
    close() {
      if (closed) return;
      closed = true;
      libc.close(fd);
    },
  };
}

function bindPort(fd: number, family: 4 | 6, addr: Uint8Array, scope: number, random: () => number): number {
  const span = SRC_PORT_MAX - SRC_PORT_MIN + 1;
  const first = SRC_PORT_MIN + Math.floor(random() * span);
  for (let i = 0; i < span; i++) {
    const port = SRC_PORT_MIN + ((first - SRC_PORT_MIN + i) % span);
    const sa = sockaddr(family, addr, port, scope);
    if (Number(libc.bind(fd, sa, sa.length)) === 0) return port;
    const e = errno();
    if (e !== EADDRINUSE) throw new SyscallError("bind", e, `source port ${port}`);
  }
  throw new SyscallError("bind", EADDRINUSE, `no free source port in ${SRC_PORT_MIN}-${SRC_PORT_MAX}`);
}
