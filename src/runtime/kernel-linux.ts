/**
 * The Kernel interface on Linux, through native-bindings/ (rtnetlink, raw VRRP sockets,
 * AF_PACKET GARP / ICMPv6 NA). Config spellings (scope names, route tables, "+"
 * broadcast) are turned into kernel numbers here, as keepalived's vrrp_ipaddress.c,
 * vrrp_iproute.c and vrrp_iprule.c do.
 */
import { type GarpSender, openGarpSender } from "../../native-bindings/garp";
import { type AddressSpec, NetlinkError, type RouteSpec, type RuleSpec, Rtnl, watchRtnl } from "../../native-bindings/netlink";
import { watchReadable } from "../../native-bindings/readiness";
import { openVrrpSocket } from "../../native-bindings/vrrp-socket";
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";
import { formatIpv4, ipv4ToNumber, numberToIpv4, parseIp } from "../base/ip";
import type { ChannelOptions, IfAddress, Kernel, KernelEvent, Link, VrrpChannel } from "./kernel";

/**
 * Datagrams read from one VRRP socket per event-loop turn. A turn of 64 costs well under
 * a millisecond on a slow machine (decode + engine), so a flood delays a timer or a
 * control-socket reply by about that much, not by the whole 1 MiB receive queue.
 */
const RX_BUDGET = 64;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** rtnetlink scope names (/etc/iproute2/rt_scopes) */
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
/** the route tables every system names (/etc/iproute2/rt_tables) */
const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
/** route protocols (/etc/iproute2/rt_protos) */
const PROTOS: Record<string, number> = { redirect: 1, kernel: 2, boot: 3, static: 4, keepalived: 18 };

function num(v: string | number | undefined, names: Record<string, number>): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  if (/^\d+$/.test(v)) return Number(v);
  return names[v];
}

function splitPrefix(text: string, family: 4 | 6): { address?: string; len: number } {
  if (text === "default") return { len: 0 };
  const [address, len] = text.split("/");
  return { address, len: len === undefined ? (family === 4 ? 32 : 128) : Number(len) };
}

/** "+": all host bits set; "-": none (iproute2's `broadcast +`). */
function broadcastOf(va: VirtualAddress): string | undefined {
  if (va.family !== 4 || va.broadcast === undefined) return undefined;
  if (va.broadcast !== "+" && va.broadcast !== "-") return va.broadcast;
  const b = parseIp(va.address)?.bytes;
  if (!b) return undefined;
  const n = ipv4ToNumber(b);
  const mask = va.prefix === 0 ? 0 : (0xffffffff << (32 - va.prefix)) >>> 0;
  const out = va.broadcast === "+" ? (n | ~mask) >>> 0 : (n & mask) >>> 0;
  return formatIpv4(numberToIpv4(out));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

export class LinuxKernel implements Kernel {
  private readonly rtnl = Rtnl.open();
  private readonly garps = new Map<string, GarpSender>();

  links(): Link[] {
    return this.rtnl.listLinks().map((l) => ({
      ifindex: l.ifindex,
      name: l.name,
      up: (l.flags & IFF_UP) !== 0 && (l.flags & IFF_RUNNING) !== 0,
      mac: l.mac,
      kind: l.kind,
    }));
  }

  addresses(): IfAddress[] {
    return this.rtnl.listAddresses().map((a) => ({ ifindex: a.ifindex, family: a.family, address: a.address, prefixLen: a.prefixLen, scope: a.scope, flags: a.flags }));
  }

  openChannel(o: ChannelOptions): VrrpChannel {
    // every instance on an interface uses the same group in practice (224.0.0.18 /
    // ff02::12); a second group on the same socket is joined by the pool below
    const sock = openVrrpSocket({ family: o.family, ifname: o.ifname, proto: o.proto, group: o.groups[0] });
    for (const g of o.groups.slice(1)) sock.join?.(g);
    const stop = watchReadable(sock.fd, () => {
      try {
        // a bounded turn, then the loop's timers and control socket (readiness.ts)
        return sock.drain(o.onPacket, RX_BUDGET) >= RX_BUDGET;
      } catch (e) {
        o.onError(e instanceof Error ? e : new Error(String(e)));
        return false;
      }
    });
    return {
      ifname: o.ifname,
      family: o.family,
      send: (dst, data) => sock.send(dst, data),
      close: () => {
        stop();
        sock.close();
      },
    };
  }

  vip(op: "add" | "del", va: VirtualAddress, ifindex: number): string | undefined {
    return this.vips(op, [{ address: va, ifindex }])[0];
  }

  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (string | undefined)[] {
    const specs = items.map((i) => this.addressSpec(i.address, i.ifindex));
    const results = op === "add" ? this.rtnl.addAddresses(specs) : this.rtnl.delAddresses(specs);
    return results.map((e) => {
      if (!e) return undefined;
      // already there / already gone: the state we wanted
      if (op === "add" && e.code === "EEXIST") return undefined;
      if (op === "del" && (e.code === "EADDRNOTAVAIL" || e.code === "ENOENT" || e.code === "ENODEV")) return undefined;
      return e.message;
    });
  }

  private addressSpec(va: VirtualAddress, ifindex: number): AddressSpec {
    return {
      ifindex,
      family: va.family,
      address: va.address,
      prefixLen: va.prefix,
      label: va.label,
      scope: num(va.scope, SCOPES),
      broadcast: broadcastOf(va),
      peer: va.peer,
      // keepalived adds IPv6 VIPs with IFA_F_NODAD: a VIP moving between hosts must be
      // usable at once, not tentative for a DAD round
      nodad: va.family === 6 ? true : undefined,
      noprefixroute: va.noPrefixRoute,
    };
  }

  route(op: "add" | "del", r: Route, ifindexOf: (name: string) => number | undefined): string | undefined {
    const dst = splitPrefix(r.dst, r.family);
    const spec: RouteSpec = {
      family: r.family,
      dst: dst.address,
      prefixLen: dst.len,
      table: num(r.table, TABLES),
      metric: r.metric,
      via: r.via,
      ifindex: r.dev === undefined ? undefined : ifindexOf(r.dev),
      src: r.src,
      scope: num(r.scope, SCOPES),
      protocol: num(r.protocol, PROTOS),
      type: r.type === "blackhole" || r.type === "unreachable" || r.type === "prohibit" || r.type === "local" ? r.type : "unicast",
    };
    if (r.dev !== undefined && spec.ifindex === undefined) return `no interface ${r.dev}`;
    try {
      if (op === "add") this.rtnl.addRoute(spec);
      else this.rtnl.delRoute(spec);
      return undefined;
    } catch (e) {
      if (op === "add" && code(e) === "EEXIST") return undefined;
      if (op === "del" && (code(e) === "ESRCH" || code(e) === "ENOENT")) return undefined;
      return message(e);
    }
  }

  rule(op: "add" | "del", r: Rule): string | undefined {
    const from = r.from === undefined ? undefined : splitPrefix(r.from, r.family);
    const to = r.to === undefined ? undefined : splitPrefix(r.to, r.family);
    const table = num(r.table, TABLES);
    if (table === undefined && r.action === "table") return `unknown table ${r.table}`;
    const spec: RuleSpec = {
      family: r.family,
      from: from?.address,
      fromLen: from?.len,
      to: to?.address,
      toLen: to?.len,
      table: table ?? 254,
      priority: r.priority,
      fwmark: r.fwmark,
      fwmask: r.fwmask,
      iif: r.iif,
      oif: r.oif,
      invert: r.not,
    };
    try {
      if (op === "add") this.rtnl.addRule(spec);
      else this.rtnl.delRule(spec);
      return undefined;
    } catch (e) {
      if (op === "add" && code(e) === "EEXIST") return undefined;
      if (op === "del" && (code(e) === "ENOENT" || code(e) === "ESRCH")) return undefined;
      return message(e);
    }
  }

  garp(ifname: string, address: string, family: 4 | 6): string | undefined {
    try {
      let s = this.garps.get(ifname);
      if (!s) {
        s = openGarpSender(ifname);
        this.garps.set(ifname, s);
      }
      if (family === 4) s.sendArp(address);
      else s.sendNa(address);
      return undefined;
    } catch (e) {
      // the interface may have been recreated (a VMAC): reopen next time
      this.garps.get(ifname)?.close();
      this.garps.delete(ifname);
      return message(e);
    }
  }

  createVmac(name: string, link: number, mac: Uint8Array): number {
    return this.rtnl.createMacvlan({ name, link, mac, mode: "private" });
  }

  deleteLink(ifindex: number): void {
    this.rtnl.deleteLink(ifindex);
  }

  setLinkUp(ifindex: number, up: boolean): void {
    this.rtnl.setLinkUp(ifindex, up);
  }

  watch(onEvent: (e: KernelEvent) => void): () => void {
    const w = watchRtnl((e) => {
      if (e.type === "overrun") onEvent(e);
      else if (e.type === "link")
        onEvent({
          type: "link",
          action: e.action,
          link: { ifindex: e.link.ifindex, name: e.link.name, up: (e.link.flags & IFF_UP) !== 0 && (e.link.flags & IFF_RUNNING) !== 0, mac: e.link.mac, kind: e.link.kind },
        });
      else onEvent({ type: "addr", action: e.action, addr: { ifindex: e.addr.ifindex, family: e.addr.family, address: e.addr.address, prefixLen: e.addr.prefixLen, scope: e.addr.scope, flags: e.addr.flags } });
    });
    return () => w.close();
  }

  close(): void {
    for (const g of this.garps.values()) g.close();
    this.garps.clear();
    this.rtnl.close();
  }
}

export { NetlinkError };
