/**
 * VRRP raw sockets, set up as keepalived's open_vrrp_send_socket / open_vrrp_read_socket
 * (keepalived/vrrp/vrrp.c, the if_setsockopt_* helpers in vrrp_if.c) do, but one socket
 * per interface × family × IP protocol for both directions (keepalived's sock pool shares
 * one per interface too). Constants are from linux/in.h, linux/in6.h, asm-generic/socket.h.
 *
 * IPv4: SOCK_RAW proto 112 (51 for VRRPv2 auth_type AH), IP_HDRINCL (keel builds the IP
 * header: TTL 255, TOS 0xc0, as vrrp_build_ip4), IP_PKTINFO for the ingress interface,
 * the group joined with ip_mreqn on the interface, IP_MULTICAST_ALL off so only the
 * groups this socket joined arrive, no multicast loop, SO_BINDTODEVICE.
 * IPv6: SOCK_RAW proto 112, the kernel builds the header: hop limit 255 (RFC 5798 5.1.2.3),
 * traffic class 0xc0 (keepalived if_setsockopt_priority), IPV6_CHECKSUM at offset 6 (the
 * kernel computes and verifies the VRRP checksum with the real pseudo-header),
 * IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO for the checks of RFC 5798 7.1, ff02::12 joined
 * on the interface. With no `source`, the kernel picks the source by RFC 6724 rule 2
 * (matching scope): for ff02::12 out of the interface that is its link-local, the
 * address RFC 5798 5.1.2.2 asks for.
 */
import { ptr } from "bun:ffi";
import { SyscallError, check, errno } from "./errno";
import { libc } from "./libc";
import { formatIpv4, parseIpv4, parseIpv6 } from "../src/base/ip";
import { IPPROTO_VRRP } from "../src/base/vrrp";
import { setNonBlocking } from "./readiness";
import { RecvBatch } from "./recv-batch";
import { AF_INET, AF_INET6, SOCKADDR_IN6_SIZE, int32, ipMreqn, ipv6Mreq, sockaddrIn, sockaddrIn6 } from "./structs";

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
/** SO_TIMESTAMPNS (SO_TIMESTAMPNS_OLD on 64-bit: a struct timespec); its cmsg type is the same number */
const SO_TIMESTAMPNS = 35;
const CLOCK_REALTIME = 0;
/**
 * A datagram's age past this is not believed (counted from the read, as before): the
 * kernel stamps it with CLOCK_REALTIME, so a step of the wall clock between its arrival
 * and the read would show as age; a step this small moves one Master_Down deadline by at
 * most this, against a Skew_Time of hundreds of ms.
 */
export const RX_AGE_MAX_MS = 20;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_FREEBIND = 15;
const IP_PKTINFO = 8;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;
const IPPROTO_IPV6 = 41;
const IPV6_CHECKSUM = 7;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_MULTICAST_ALL = 29;
const IPV6_RECVPKTINFO = 49;
const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;
const IPV6_TCLASS = 67;
const IPV6_FREEBIND = 78;
/**
 * Datagrams read per recvmmsg, and the room for each: no VRRP message is near 8 KiB
 * (RFC 5798 5.1: at most 255 addresses, 4,088 bytes over IPv6; RFC 3768 with AH and an
 * IPv4 header with options stays under 1.2 KB), so a longer datagram is garbage, counted
 * in `truncated`.
 */
const RX_SLOTS = 16;
const RX_SLOT_SIZE = 8192;

const clockBuf = new Uint32Array(4);
const clockPtr = ptr(new Uint8Array(clockBuf.buffer));
/** CLOCK_REALTIME in ms, the clock SO_TIMESTAMPNS stamps with (kernel-timer.ts monotonicMs's arithmetic) */
function realtimeMs(): number {
  libc.clock_gettime(CLOCK_REALTIME, clockPtr);
  return (clockBuf[0]! + clockBuf[1]! * 4294967296) * 1000 + clockBuf[2]! / 1e6;
}

export interface VrrpRx {
  /** IPv4: the whole IP packet (a raw socket gives the header); IPv6: the VRRP message */
  data: Uint8Array;
  /** ingress interface (IP_PKTINFO / IPV6_PKTINFO) */
  ifindex: number;
  family: 4 | 6;
  /** IPv6: source (msg_name) and destination (IPV6_PKTINFO), 16 bytes each */
  src?: Uint8Array;
  dst?: Uint8Array;
  /** IPv6: IPV6_HOPLIMIT */
  hopLimit?: number;
  /**
   * ms from the kernel's receipt of the datagram (SO_TIMESTAMPNS) to its read, 0 to
   * RX_AGE_MAX_MS; undefined without a stamp. The driver counts the Master_Down timer from
   * the receipt (RFC 5798 6.4.2: reset "if an ADVERTISEMENT is received"), not from when
   * JavaScript got to it: a backup's cold wake-up on a packet took 0.3–1.2 ms before its
   * recvmmsg, against keepalived's 0.07–0.19 (bench/RESULTS.md, hfo3)
   */
  age?: number;
}

export interface VrrpSocketOptions {
  family: 4 | 6;
  /**
   * The interface (SO_BINDTODEVICE, and the multicast interface). None for an interfaceless
   * unicast instance's socket (keepalived open_vrrp_read_socket / open_vrrp_send_socket with
   * no ifp): bound to `source` only, and to `vrf` when given.
   */
  ifname?: string;
  /**
   * With no `ifname`: the VRF device to bind to (keepalived `vrf`: SO_BINDTODEVICE on the
   * VRF's device, before the address is bound, as open_vrrp_read_socket does: an address in
   * a VRF can be bound only from inside it), so the adverts route in the VRF's table.
   */
  vrf?: string;
  /** 112 VRRP (default) or 51 AH (VRRPv2 auth_type AH) */
  proto?: 112 | 51;
  /** multicast group to join on the interface; none for a unicast-only socket */
  group?: string;
  /**
   * Bind to this local address (keepalived unicast_src_ip, as open_vrrp_read_socket
   * does for unicast): IPv6 sends then leave from it (IPv4 sends carry the source in
   * the header keel builds). Binding also filters what arrives: IPv4 raw sockets then
   * get only datagrams addressed to it, multicast included (net/ipv4/raw.c raw_v4_match
   * compares the bound address with every destination); IPv6 ones still get the groups
   * they joined (raw_v6_match checks inet6_mc_check). So give it to unicast sockets.
   * IP(V6)_FREEBIND first, as keepalived, so the address need not be configured yet.
   */
  source?: string;
  /**
   * false: bind `source` without IP(V6)_FREEBIND, so an address not configured is refused
   * (EADDRNOTAVAIL), as keepalived 2.2's open_vrrp_read_socket binds unicast_src ("bind
   * unicast_src %s failed" and the instances to FAULT, "src address not configured")
   */
  freebind?: boolean;
  /**
   * SO_RCVBUF in bytes as keepalived sets it from vrrp_rx_bufs_policy / kernel_rx_buf_size
   * (plain SO_RCVBUF: the kernel caps it at net.core.rmem_max and doubles it); without
   * it keel's own 1 MiB (forced)
   */
  rcvbuf?: number;
}

export interface VrrpSocket {
  readonly fd: number;
  readonly family: 4 | 6;
  /** the interface it is bound to; none for an interfaceless (address-bound) socket */
  readonly ifname?: string;
  /** 0 for an interfaceless socket */
  readonly ifindex: number;
  /** IPv4: `data` is the whole IP packet (IP_HDRINCL); IPv6: the VRRP message. */
  send(dst: string, data: Uint8Array): void;
  /** The socket address `send` gives the kernel for `dst` (kept per destination: do not change it). */
  sockaddr(dst: string): Uint8Array;
  /** Join one more multicast group on the interface. */
  join(group: string): void;
  /**
   * recvmmsg(MSG_DONTWAIT) until the queue is empty (recv-batch.ts), calling onPacket for
   * each datagram; returns how many were read (truncated ones included). A datagram
   * larger than 8 KiB (MSG_TRUNC) is not delivered, only counted in `truncated`: no VRRP
   * message is that long (RFC 5798 5.1: at most 255 addresses), so it can only be
   * garbage. EINTR retries; any other error but EAGAIN throws SyscallError. With `max`,
   * it stops after that many datagrams (returning `max`): more may be queued (readiness.ts).
   * `rx` is one record per socket and `rx.data` a view of the receive buffer, both
   * rewritten for the next datagram: what onPacket keeps it copies (issue 20: a record
   * and a copy per datagram were most of a backup's garbage).
   */
  drain(onPacket: (rx: VrrpRx) => void, max?: number): number;
  readonly truncated: number;
  close(): void;
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  const v = int32(value);
  check(`setsockopt(${what})`, libc.setsockopt(fd, level, name, v, 4));
}

export function ifIndex(ifname: string): number {
  const i = libc.if_nametoindex(Buffer.from(`${ifname}\0`));
  if (i === 0) throw new SyscallError("if_nametoindex", errno(), ifname);
  return i;
}

/** Link-local unicast (fe80::/10) or link-scope multicast (ffX2::/16): needs a scope id. */
function linkScoped(a: Uint8Array): boolean {
  return (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) || (a[0] === 0xff && (a[1]! & 0x0f) === 0x02);
}

function bindSource(fd: number, family: 4 | 6, source: string, ifindex: number, freebind: boolean): void {
  if (family === 6) {
    const a = parseIpv6(source);
    if (!a) throw new SyscallError("bind", 22, `not an IPv6 address: ${source}`);
    if (freebind) setInt(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1, "IPV6_FREEBIND");
    const sa = sockaddrIn6(a, linkScoped(a) ? ifindex : 0);
    check("bind", libc.bind(fd, sa, sa.length), source);
  } else {
    const a = parseIpv4(source);
    if (!a) throw new SyscallError("bind", 22, `not an IPv4 address: ${source}`);
    if (freebind) setInt(fd, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
    const sa = sockaddrIn(a);
    check("bind", libc.bind(fd, sa, sa.length), source);
  }
}

export function openVrrpSocket(o: VrrpSocketOptions): VrrpSocket {
  if (o.ifname === undefined && o.source === undefined)
    throw new SyscallError("socket", 22, "a VRRP socket needs an interface or a source address");
  if (o.ifname === undefined && o.group !== undefined)
    throw new SyscallError("socket", 22, `multicast group ${o.group} without an interface`);
  const ifindex = o.ifname === undefined ? 0 : ifIndex(o.ifname);
  const label = o.ifname ?? `${o.source}${o.vrf === undefined ? "" : `%${o.vrf}`}`;
  const proto = o.proto ?? IPPROTO_VRRP;
  const v6 = o.family === 6;
  const fd = check(
    "socket",
    libc.socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto),
    `raw IPv${o.family} proto ${proto}`,
  );
  try {
    // the interface; with none, the VRF's device (keepalived: "bind to VRF %s failed")
    const device = o.ifname ?? o.vrf;
    if (device !== undefined) {
      const name = Buffer.from(`${device}\0`);
      check("setsockopt(SO_BINDTODEVICE)", libc.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length), device);
    }
    // a 1 MiB receive queue rides out a burst (many instances, a flood) while the main
    // thread is busy; SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN
    if (o.rcvbuf !== undefined) setInt(fd, SOL_SOCKET, SO_RCVBUF, o.rcvbuf, "SO_RCVBUF");
    else if (Number(libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int32(1 << 20), 4)) !== 0)
      setInt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF");
    if (!v6) {
      setInt(fd, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL");
      setInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
      setInt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
      setInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
      setInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL");
      if (ifindex !== 0)
        check(
          "setsockopt(IP_MULTICAST_IF)",
          libc.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(new Uint8Array(4), ifindex), 12),
        );
    } else {
      // level IPPROTO_IPV6 as keepalived's if_setsockopt_ipv6_checksum: net/ipv6/raw.c
      // rawv6_setsockopt accepts it there for every raw protocol but ICMPv6 (which wants SOL_RAW)
      setInt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6, "IPV6_CHECKSUM");
      setInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
      setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
      setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");
      setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
      setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS");
      setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
      if (ifindex !== 0) setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF");
      setInt(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0, "IPV6_TCLASS");
    }
    setInt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
    if (o.source !== undefined) bindSource(fd, o.family, o.source, ifindex, o.freebind ?? true);
    setNonBlocking(fd);
  } catch (e) {
    libc.close(fd);
    throw e;
  }

  const batch = new RecvBatch(fd, RX_SLOTS, RX_SLOT_SIZE, label);
  let closed = false;
  // one closure per socket, not per drain, and one record refilled per datagram (drain's
  // contract): a steady IPv4 stream is read without allocating
  let sink: (rx: VrrpRx) => void = () => {};
  const rx: VrrpRx = { data: batch.data(0), ifindex, family: o.family };
  /** CLOCK_REALTIME at this drain's read, ms (taken at the first stamped datagram) */
  let readAt = Number.NaN;
  const deliver = (slot: number, length: number): void => {
    rx.data = batch.view(slot, length);
    rx.ifindex = ifindex;
    rx.age = undefined;
    const ts = batch.cmsg(slot, SOL_SOCKET, SO_TIMESTAMPNS, 16);
    if (ts >= 0) {
      if (Number.isNaN(readAt)) readAt = realtimeMs();
      // struct timespec { time_t tv_sec; long tv_nsec }, read as 32-bit halves: no BigInt
      const sec = (batch.controlInt32(ts) >>> 0) + (batch.controlInt32(ts + 4) >>> 0) * 4294967296;
      const age = readAt - (sec * 1000 + batch.controlInt32(ts + 8) / 1e6);
      if (age >= 0 && age <= RX_AGE_MAX_MS) rx.age = age;
    }
    if (!v6) {
      const at = batch.cmsg(slot, IPPROTO_IP, IP_PKTINFO, 4);
      if (at >= 0) rx.ifindex = batch.controlInt32(at);
    } else {
      rx.dst = undefined;
      rx.src = undefined;
      rx.hopLimit = undefined;
      const info = batch.cmsg(slot, IPPROTO_IPV6, IPV6_PKTINFO, 20);
      if (info >= 0) {
        rx.dst = batch.controlBytes(info, 16);
        rx.ifindex = batch.controlInt32(info + 16);
      }
      const hops = batch.cmsg(slot, IPPROTO_IPV6, IPV6_HOPLIMIT, 4);
      if (hops >= 0) rx.hopLimit = batch.controlInt32(hops);
      if (batch.nameLength(slot) >= SOCKADDR_IN6_SIZE) rx.src = batch.name(slot).slice(8, 24);
    }
    sink(rx);
  };
  const dstCache = new Map<string, Uint8Array>();

  const join = (group: string) => {
    if (v6) {
      const g = parseIpv6(group);
      if (!g) throw new SyscallError("setsockopt(IPV6_ADD_MEMBERSHIP)", 22, `bad group ${group}`);
      check(
        "setsockopt(IPV6_ADD_MEMBERSHIP)",
        libc.setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, ipv6Mreq(g, ifindex), 20),
        `${group} on ${label}`,
      );
    } else {
      const g = parseIpv4(group);
      if (!g) throw new SyscallError("setsockopt(IP_ADD_MEMBERSHIP)", 22, `bad group ${group}`);
      check(
        "setsockopt(IP_ADD_MEMBERSHIP)",
        libc.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(g, ifindex), 12),
        `${group} on ${label}`,
      );
    }
  };
  if (o.group !== undefined) {
    try {
      join(o.group);
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  const sockaddrFor = (dst: string): Uint8Array => {
    let sa = dstCache.get(dst);
    if (sa) return sa;
    if (v6) {
      const a = parseIpv6(dst);
      if (!a) throw new SyscallError("sendto", 22, `bad destination ${dst}`);
      // link-local unicast and link-scope multicast need the interface as scope (RFC 4007 6)
      sa = sockaddrIn6(a, linkScoped(a) ? ifindex : 0);
    } else {
      const a = parseIpv4(dst);
      if (!a) throw new SyscallError("sendto", 22, `bad destination ${dst}`);
      sa = sockaddrIn(a);
    }
    if (dstCache.size > 1024) dstCache.clear();
    dstCache.set(dst, sa);
    return sa;
  };

  return {
    fd,
    family: o.family,
    ifname: o.ifname,
    ifindex,
    get truncated() {
      return batch.truncated;
    },
    join,
    sockaddr: sockaddrFor,
    send(dst: string, data: Uint8Array): void {
      const sa = sockaddrFor(dst);
      const r = libc.sendto(fd, data, data.length, 0, sa, sa.length);
      if (Number(r) === -1) throw new SyscallError("sendto", errno(), `${dst} on ${label}`);
    },
    drain(onPacket: (rx: VrrpRx) => void, max = Number.POSITIVE_INFINITY): number {
      sink = onPacket;
      readAt = Number.NaN;
      return batch.drain(max, deliver);
    },
    close(): void {
      if (closed) return;
      closed = true;
      batch.close();
      libc.close(fd);
    },
  };
}

/** The source of an IPv4 packet as text (for logs of undecodable packets). */
export function ipv4Source(packet: Uint8Array): string | undefined {
  return packet.length >= 20 ? formatIpv4(packet.subarray(12, 16)) : undefined;
}
