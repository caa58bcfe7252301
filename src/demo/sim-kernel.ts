/**
 * An in-memory implementation of the Kernel interface (src/runtime/kernel.ts) for the
 * simulated demo: each SimKernel is one host with `lo` and `eth0`, its addresses and
 * VIPs, and VRRP channels; a SimSegment is the Ethernet segment the hosts' eth0 share.
 *
 * What the real kernel does and this one copies:
 * - IPv4 raw sockets (IP_HDRINCL): the sender hands over the whole IP packet; the kernel
 *   fills in the total length and the header checksum and delivers the packet, header
 *   included (TTL unchanged: 255 on one segment), to every socket of the protocol that
 *   joined the group (multicast) or to the host that owns the address (unicast).
 *   Multicast loopback is off (keel turns IP_MULTICAST_LOOP off), so a host does not
 *   hear itself.
 * - IPv6 raw sockets: the payload is the VRRP message; the receiver learns the source
 *   (the sender's link-local), destination and hop limit (255) from cmsgs.
 * - netlink: address and link changes are reported to watchers asynchronously, as
 *   RTM_NEWADDR / RTM_NEWLINK messages arrive after the request returns.
 * - a link that is down neither sends nor receives; IPv4 addresses stay on it.
 *
 * `crash()` freezes the host as SIGKILL leaves it: nothing it sends leaves, nothing it
 * changes takes effect (its VIPs stay), until `revive()`.
 *
 * Errors are KernelError values, as from the Linux implementation; nothing here throws.
 * "Later" (a datagram's delivery, a netlink notification) is a microtask by default; a
 * virtual-time test passes its own `defer` to the segment (test/sim/fault-net.ts).
 */
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";
import type {
  ChannelOptions,
  IfAddress,
  Kernel,
  KernelError,
  KernelEvent,
  KernelResult,
  Link,
  RxDatagram,
  VrrpChannel,
} from "../runtime/kernel";
import { ipv4ToNumber, isMulticast, parseIpv4, parseIpv6 } from "../base/ip";

const IFA_F_SECONDARY = 0x01;
const IFA_F_NODAD = 0x02;

interface OpenChannel {
  kernel: SimKernel;
  o: ChannelOptions;
  closed: boolean;
}

/** A refusal as the Linux kernel would give it. */
function refused(op: string, code: string, message: string): KernelError {
  return { op, code, message };
}

/** One Ethernet segment: every host's interface of the same name is on it. */
export class SimSegment {
  private readonly channels = new Set<OpenChannel>();
  /** datagrams delivered / dropped (for tests and the banner) */
  delivered = 0;
  dropped = 0;
  /** runs `fn` later, never inside the caller (a socket becoming readable, a netlink message) */
  readonly defer: (fn: () => void) => void;

  constructor(o: { defer?: (fn: () => void) => void } = {}) {
    this.defer = o.defer ?? queueMicrotask;
  }

  /** @internal */
  attach(ch: OpenChannel): void {
    this.channels.add(ch);
  }

  /** @internal */
  detach(ch: OpenChannel): void {
    this.channels.delete(ch);
  }

  /** @internal a datagram leaving `from` on `ifname` */
  transmit(
    from: SimKernel,
    ifname: string,
    family: 4 | 6,
    proto: number,
    dst: string,
    data: Uint8Array,
    src6?: Uint8Array,
  ): void {
    const multicast = isMulticast(dst);
    const targets: OpenChannel[] = [];
    for (const ch of this.channels) {
      if (ch.closed || ch.kernel === from || ch.o.ifname !== ifname || ch.o.family !== family || ch.o.proto !== proto)
        continue;
      const link = ch.kernel.linkByName(ifname);
      if (!link?.up || ch.kernel.crashed) continue;
      if (multicast ? !ch.o.groups.includes(dst) : !ch.kernel.owns(dst, link.ifindex)) continue;
      targets.push(ch);
    }
    if (targets.length === 0) this.dropped++;
    for (const ch of targets) {
      const link = ch.kernel.linkByName(ifname);
      if (!link) continue;
      const rx: RxDatagram = { data: data.slice(), ifindex: link.ifindex, family };
      if (family === 6) {
        rx.src = src6;
        rx.dst = parseIpv6(dst);
        rx.hopLimit = 255;
      }
      this.delivered++;
      // the receiver runs later, as a socket becomes readable: never inside the sender's call
      this.defer(() => {
        if (ch.closed || ch.kernel.crashed || !ch.kernel.linkByName(ifname)?.up) return;
        ch.o.onPacket(rx);
      });
    }
  }
}

/** The one's complement sum of 16-bit words (the IPv4 header checksum). */
function ipv4HeaderChecksum(b: Uint8Array, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface SimHostOptions {
  name: string;
  segment: SimSegment;
  /** eth0's primary IPv4 address and prefix */
  ipv4: string;
  prefixLen: number;
  /** eth0's link-local IPv6 address (default fe80::N from the IPv4's last byte) */
  ipv6?: string;
  mac?: Uint8Array;
}

export class SimKernel implements Kernel {
  readonly name: string;
  private readonly segment: SimSegment;
  private readonly linkTable = new Map<number, Link>();
  private addrs: IfAddress[] = [];
  private readonly watchers = new Set<(e: KernelEvent) => void>();
  private readonly open = new Set<OpenChannel>();
  crashed = false;
  /** what the host did, for tests: GARPs sent, routes and rules installed */
  readonly garps: { ifname: string; address: string; family: 4 | 6 }[] = [];
  readonly routes: Route[] = [];
  readonly rules: Rule[] = [];

  constructor(o: SimHostOptions) {
    this.name = o.name;
    this.segment = o.segment;
    const last = Number(o.ipv4.split(".")[3] ?? 1);
    this.linkTable.set(1, { ifindex: 1, name: "lo", up: true, kind: "loopback" });
    this.linkTable.set(2, {
      ifindex: 2,
      name: "eth0",
      up: true,
      kind: "veth",
      mac: o.mac ?? new Uint8Array([0x02, 0x00, 0x5e, 0x10, 0x00, last & 0xff]),
    });
    this.addrs.push({ ifindex: 1, family: 4, address: "127.0.0.1", prefixLen: 8, scope: 254, flags: 0 });
    this.addrs.push({ ifindex: 2, family: 4, address: o.ipv4, prefixLen: o.prefixLen, scope: 0, flags: 0 });
    this.addrs.push({
      ifindex: 2,
      family: 6,
      address: o.ipv6 ?? `fe80::${last.toString(16)}`,
      prefixLen: 64,
      scope: 253,
      flags: 0,
    });
  }

  // ---------------------------------------------------------------------------
  // the Kernel interface

  links(): KernelResult<Link[]> {
    return { ok: true, value: [...this.linkTable.values()].map((l) => ({ ...l })) };
  }

  addresses(): KernelResult<IfAddress[]> {
    return { ok: true, value: this.addrs.map((a) => ({ ...a })) };
  }

  openChannel(o: ChannelOptions): KernelResult<VrrpChannel> {
    // the simulated segment delivers by interface: it has no address-bound sockets
    if (o.unbound) return { ok: false, error: refused("open-channel", "EOPNOTSUPP", "no interfaceless sockets here") };
    const link = this.linkByName(o.ifname);
    if (!link) return { ok: false, error: refused("open-channel", "ENODEV", `no interface ${o.ifname}`) };
    const ch: OpenChannel = { kernel: this, o: { ...o, groups: [...o.groups] }, closed: false };
    this.open.add(ch);
    this.segment.attach(ch);
    const channel: VrrpChannel = {
      ifname: o.ifname,
      family: o.family,
      send: (dst, data) => this.send(ch, dst, data),
      close: () => {
        if (ch.closed) return;
        ch.closed = true;
        this.open.delete(ch);
        this.segment.detach(ch);
      },
    };
    return { ok: true, value: channel };
  }

  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): KernelError | undefined {
    return this.vips(op, [{ address: a, ifindex }])[0];
  }

  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (KernelError | undefined)[] {
    return items.map(({ address: a, ifindex }) => {
      if (this.crashed) return undefined;
      if (!this.linkTable.has(ifindex)) return refused(`vip-${op}`, "ENODEV", "No such device");
      const family: 4 | 6 = a.address.includes(":") ? 6 : 4;
      const have = this.addrs.find((x) => x.ifindex === ifindex && x.address === a.address && x.prefixLen === a.prefix);
      if (op === "add") {
        if (have) return undefined; // EEXIST: the state we wanted
        // a second address in an existing subnet is secondary, as the kernel marks it
        const secondary =
          family === 4 &&
          this.addrs.some(
            (x) =>
              x.ifindex === ifindex &&
              x.family === 4 &&
              x.prefixLen === a.prefix &&
              sameSubnet(x.address, a.address, a.prefix),
          );
        const addr: IfAddress = {
          ifindex,
          family,
          address: a.address,
          prefixLen: a.prefix,
          scope: family === 6 && a.address.toLowerCase().startsWith("fe80") ? 253 : 0,
          flags: (secondary ? IFA_F_SECONDARY : 0) | (family === 6 ? IFA_F_NODAD : 0),
        };
        this.addrs.push(addr);
        // the kernel names the requester's port in IPv4's notifications (rtmsg_ifa), not IPv6's
        this.emit({ type: "addr", action: "new", addr: { ...addr }, own: family === 4 });
        return undefined;
      }
      if (!have) return undefined; // EADDRNOTAVAIL: already gone
      this.addrs = this.addrs.filter((x) => x !== have);
      this.emit({ type: "addr", action: "del", addr: { ...have }, own: family === 4 });
      return undefined;
    });
  }

  route(op: "add" | "del", r: Route): KernelError | undefined {
    if (this.crashed) return undefined;
    const key = JSON.stringify(r);
    const i = this.routes.findIndex((x) => JSON.stringify(x) === key);
    if (op === "add" && i < 0) this.routes.push(r);
    if (op === "del" && i >= 0) this.routes.splice(i, 1);
    return undefined;
  }

  rule(op: "add" | "del", r: Rule): KernelError | undefined {
    if (this.crashed) return undefined;
    const key = JSON.stringify(r);
    const i = this.rules.findIndex((x) => JSON.stringify(x) === key);
    if (op === "add" && i < 0) this.rules.push(r);
    if (op === "del" && i >= 0) this.rules.splice(i, 1);
    return undefined;
  }

  garp(ifname: string, address: string, family: 4 | 6): KernelError | undefined {
    if (this.crashed) return undefined;
    const link = this.linkByName(ifname);
    if (!link) return refused("garp", "ENODEV", "No such device");
    if (!link.up) return refused("garp", "ENETDOWN", "Network is down");
    this.garps.push({ ifname, address, family });
    if (this.garps.length > 1000) this.garps.splice(0, 500);
    return undefined;
  }

  createVmac(name: string): KernelResult<number> {
    const why = `cannot create ${name}: the simulated network has no macvlan`;
    return { ok: false, error: refused("create-vmac", "EOPNOTSUPP", why) };
  }

  deleteLink(ifindex: number): KernelError | undefined {
    const link = this.linkTable.get(ifindex);
    if (this.crashed) return undefined;
    if (!link) return refused("delete-link", "ENODEV", "No such device");
    this.linkTable.delete(ifindex);
    this.addrs = this.addrs.filter((a) => a.ifindex !== ifindex);
    this.emit({ type: "link", action: "del", link: { ...link } });
    return undefined;
  }

  setLinkUp(ifindex: number, up: boolean): KernelError | undefined {
    const link = this.linkTable.get(ifindex);
    if (this.crashed) return undefined;
    if (!link) return refused("set-link", "ENODEV", "No such device");
    if (link.up === up) return undefined;
    link.up = up;
    this.emit({ type: "link", action: "new", link: { ...link } });
    return undefined;
  }

  watch(onEvent: (e: KernelEvent) => void): KernelResult<() => void> {
    this.watchers.add(onEvent);
    return { ok: true, value: () => void this.watchers.delete(onEvent) };
  }

  close(): void {
    for (const ch of [...this.open]) {
      ch.closed = true;
      this.segment.detach(ch);
    }
    this.open.clear();
    this.watchers.clear();
  }

  // ---------------------------------------------------------------------------
  // the simulation's own controls

  /** `ip link set eth0 down|up` (the demo's "cut the link"); works on a crashed host too. */
  setLink(ifname: string, up: boolean): void {
    const link = this.linkByName(ifname);
    if (!link || link.up === up) return;
    link.up = up;
    if (!this.crashed) this.emit({ type: "link", action: "new", link: { ...link } });
  }

  /**
   * Someone else's `ip addr del ADDR/PREFIX dev IFNAME` (the RTM_DELADDR a daemon sees for
   * a deletion it did not make). Returns whether the address was there.
   */
  deleteAddress(ifname: string, cidr: string): boolean {
    const link = this.linkByName(ifname);
    const [address, prefix] = cidr.split("/");
    const have = this.addrs.find(
      (x) => x.ifindex === link?.ifindex && x.address === address && String(x.prefixLen) === prefix,
    );
    if (!have) return false;
    this.addrs = this.addrs.filter((x) => x !== have);
    if (!this.crashed) this.emit({ type: "addr", action: "del", addr: { ...have } });
    return true;
  }

  /** The host stops as SIGKILL leaves it: its addresses stay, nothing more leaves it. */
  crash(): void {
    this.crashed = true;
    this.close();
  }

  revive(): void {
    this.crashed = false;
  }

  linkByName(name: string): Link | undefined {
    for (const l of this.linkTable.values()) if (l.name === name) return l;
    return undefined;
  }

  /** Whether an address is on the host's interface (unicast delivery). */
  owns(address: string, ifindex: number): boolean {
    return this.addrs.some((a) => a.ifindex === ifindex && a.address === address);
  }

  /** Addresses on an interface as "ADDR/PREFIX" (what `ip addr` would show). */
  addressesOn(ifname: string): string[] {
    const link = this.linkByName(ifname);
    return link ? this.addrs.filter((a) => a.ifindex === link.ifindex).map((a) => `${a.address}/${a.prefixLen}`) : [];
  }

  private send(ch: OpenChannel, dst: string, data: Uint8Array): KernelError | undefined {
    if (ch.closed) return refused("send", "EBADF", "Bad file descriptor");
    if (this.crashed) return undefined;
    const link = this.linkByName(ch.o.ifname);
    if (!link) return refused("send", "ENODEV", `sendto ${dst} on ${ch.o.ifname}: No such device`);
    // a down link: the kernel refuses (ENETDOWN); the driver logs it, rate-limited
    if (!link.up) return refused("send", "ENETDOWN", `sendto ${dst} on ${ch.o.ifname}: Network is down`);
    if (ch.o.family === 6) return this.send6(ch, link, dst, data);
    if (parseIpv4(dst) === undefined) return refused("send", "EINVAL", `sendto ${dst}: Invalid argument`);
    if (data.length < 20 || (data[0] !== undefined && data[0] >> 4 !== 4))
      return refused("send", "EINVAL", "sendto: not an IPv4 packet (IP_HDRINCL)");
    const ihl = ((data[0] ?? 0x45) & 0x0f) * 4;
    if (ihl < 20 || ihl > data.length) return refused("send", "EINVAL", "sendto: bad IPv4 header length");
    // IP_HDRINCL (raw(7)): the kernel always fills in the total length and the checksum
    const pkt = data.slice();
    pkt[2] = pkt.length >> 8;
    pkt[3] = pkt.length & 0xff;
    pkt[10] = 0;
    pkt[11] = 0;
    const sum = ipv4HeaderChecksum(pkt, ihl);
    pkt[10] = sum >> 8;
    pkt[11] = sum & 0xff;
    this.segment.transmit(this, ch.o.ifname, 4, ch.o.proto, dst, pkt);
    return undefined;
  }

  private send6(ch: OpenChannel, link: Link, dst: string, data: Uint8Array): KernelError | undefined {
    if (parseIpv6(dst) === undefined) return refused("send", "EINVAL", `sendto ${dst}: Invalid argument`);
    const ll = this.addrs.find((a) => a.ifindex === link.ifindex && a.family === 6 && a.scope === 253);
    this.segment.transmit(this, ch.o.ifname, 6, ch.o.proto, dst, data, ll ? parseIpv6(ll.address) : undefined);
    return undefined;
  }

  private emit(e: KernelEvent): void {
    if (this.watchers.size === 0) return;
    // netlink notifications arrive after the request returns
    this.segment.defer(() => {
      if (this.crashed) return;
      for (const w of [...this.watchers]) w(e);
    });
  }
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const x = parseIpv4(a);
  const y = parseIpv4(b);
  if (!x || !y) return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipv4ToNumber(x) & mask) >>> 0 === (ipv4ToNumber(y) & mask) >>> 0;
}
