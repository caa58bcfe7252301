/**
 * Rtnl: the rtnetlink operations keel needs (VIPs, routes, rules, VMAC macvlans, link
 * state, listings). Each call is one synchronous request/ACK on a NETLINK_ROUTE socket
 * (see socket.ts for why that does not block the main thread); a failure throws
 * NetlinkError {errno, code, extack, request}.
 */
import { libc } from "../libc";
import * as K from "./constants";
import { EBADMSG, ENODEV, NetlinkError } from "./error";
import {
  ADDRESS_REQUEST_MAX,
  decodeAddress,
  decodeLink,
  deleteLinkRequest,
  describeAddress,
  describeIpvlan,
  describeMacvlan,
  type IpvlanSpec,
  ipvlanRequest,
  describeRoute,
  describeRule,
  dumpAddressesRequest,
  dumpLinksRequest,
  type MacvlanMode,
  macvlanRequest,
  macvlanUpdateRequest,
  routeRequest,
  ruleRequest,
  setLinkUpRequest,
  writeAddressRequest,
} from "./messages";
import type { NlMessage } from "./codec";
import { type AckOutcome, NetlinkSocket, type RcvBuf } from "./socket";
import type { AddressInfo, AddressSpec, LinkInfo, RouteSpec, RuleSpec } from "./types";

/**
 * Requests per sendmsg in a batch. Every ACK is its own datagram (~0.5–1 KiB of receive
 * buffer accounting each) and the kernel drops ACKs that do not fit (ENOBUFS), so a
 * batch is cut into chunks that fit the socket's receive buffer with room to spare.
 */
const CHUNK = 128;
const RCVBUF = 4 << 20;
const DUMP_TRIES = 3;

/** Interface name by index (if_indextoname), undefined when there is none. */
export function interfaceName(ifindex: number): string | undefined {
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0xffffffff) return undefined;
  const buf = Buffer.alloc(K.IFNAMSIZ);
  if (libc.if_indextoname(ifindex, buf) === null) return undefined;
  const nul = buf.indexOf(0);
  return buf.toString("utf8", 0, nul < 0 ? buf.length : nul);
}

/** Interface index by name (if_nametoindex), 0 when there is none. */
export function interfaceIndex(name: string): number {
  return libc.if_nametoindex(Buffer.from(`${name}\0`, "utf8"));
}

const fail = (o: AckOutcome, request: string): NetlinkError | undefined =>
  o.errno === 0 ? undefined : new NetlinkError(o.errno, request, o.extack, o.detail);

export class Rtnl {
  private readonly sock: NetlinkSocket;

  /** one chunk of address requests, reused by every batch (batchAddresses) */
  private readonly addrBuf = new Uint8Array(CHUNK * ADDRESS_REQUEST_MAX);
  private readonly addrView = new DataView(this.addrBuf.buffer);

  private constructor(sock: NetlinkSocket) {
    this.sock = sock;
  }

  /** `rcvbuf`: the configured receive buffer (keepalived's *_netlink_cmd_rcv_bufs), else keel's own */
  static open(rcvbuf?: RcvBuf): Rtnl {
    return new Rtnl(
      NetlinkSocket.open(rcvbuf ? { rcvbuf: rcvbuf.bytes, rcvbufForce: rcvbuf.force } : { rcvbuf: RCVBUF }),
    );
  }

  /** The socket's port id: the nlmsg_pid of the notifications its own requests cause. */
  get portId(): number {
    return this.sock.portId;
  }

  close(): void {
    this.sock.close();
  }

  /** One request, one ACK; throws NetlinkError. */
  private request(build: (seq: number) => Uint8Array, describe: () => string): void {
    const seq = this.sock.nextSeq();
    const bytes = build(seq);
    const out = this.sock.transact([{ seq, bytes }]).get(seq);
    const err = out ? fail(out, describe()) : undefined;
    if (!err) return;
    const h = new DataView(bytes.buffer, bytes.byteOffset, 16);
    err.header = { type: h.getUint16(4, true), seq: h.getUint32(8, true), pid: h.getUint32(12, true) };
    throw err;
  }

  /** RTM_NEWADDR with NLM_F_CREATE|NLM_F_EXCL (EEXIST when present), or NLM_F_REPLACE. */
  addAddress(a: AddressSpec, opts: { replace?: boolean } = {}): void {
    const err = this.batchAddresses("new", [a], opts.replace)[0];
    if (err) throw err;
  }

  delAddress(a: AddressSpec): void {
    const err = this.batchAddresses("del", [a])[0];
    if (err) throw err;
  }

  /** Many RTM_NEWADDR in few sendmsg calls; one result per item (undefined = done). */
  addAddresses(list: AddressSpec[]): (NetlinkError | undefined)[] {
    return this.batchAddresses("new", list);
  }

  delAddresses(list: AddressSpec[]): (NetlinkError | undefined)[] {
    return this.batchAddresses("del", list);
  }

  /**
   * Each chunk's requests are written straight into one buffer kept for it (messages.ts
   * writeAddressRequest) and sent as they lie: no array, DataView or copy per request,
   * and the request's text only for one that fails (issue 20: a failover's add runs
   * this once, cold).
   */
  private batchAddresses(op: "new" | "del", list: AddressSpec[], replace?: boolean): (NetlinkError | undefined)[] {
    const results: (NetlinkError | undefined)[] = new Array(list.length).fill(undefined);
    // the caller's name (the driver's link table), else if_indextoname once per interface
    const names = new Map<number, string | undefined>();
    const nameOf = (a: AddressSpec): string | undefined => {
      if (a.ifname !== undefined) return a.ifname;
      if (!names.has(a.ifindex)) names.set(a.ifindex, interfaceName(a.ifindex));
      return names.get(a.ifindex);
    };
    const out = this.addrBuf;
    const view = this.addrView;
    for (let start = 0; start < list.length; start += CHUNK) {
      const end = Math.min(list.length, start + CHUNK);
      const seqs: number[] = [];
      const index: number[] = [];
      let off = 0;
      let last = -1;
      for (let i = start; i < end; i++) {
        const a = list[i]!;
        const seq = this.sock.nextSeq();
        try {
          // an ACK for the last request only: the others answer only when they fail (socket.ts)
          const n = writeAddressRequest(out, view, off, op, a, seq, { replace, ifname: nameOf(a), ack: false });
          seqs.push(seq);
          index.push(i);
          last = off;
          off += n;
        } catch (e) {
          if (!(e instanceof NetlinkError)) throw e;
          results[i] = e;
        }
      }
      if (last < 0) continue;
      view.setUint16(last + 6, view.getUint16(last + 6, true) | K.NLM_F_ACK, true);
      const acks = this.sock.transactLaidOut(out.subarray(0, off), seqs, true);
      for (let k = 0; k < seqs.length; k++) {
        const o = acks.get(seqs[k]!);
        if (o === undefined || o.errno === 0) continue;
        const a = list[index[k]!]!;
        results[index[k]!] = fail(o, describeAddress(op, a, nameOf(a)));
      }
    }
    return results;
  }

  private dump(request: string, build: (seq: number) => Uint8Array): NlMessage[] {
    for (let i = 1; ; i++) {
      const seq = this.sock.nextSeq();
      const r = this.sock.dump(request, seq, build(seq));
      // a dump that raced a change is flagged NLM_F_DUMP_INTR: take it again
      if (!r.interrupted || i >= DUMP_TRIES) return r.messages;
    }
  }

  /** Every IPv4 and/or IPv6 address (RTM_GETADDR dump). */
  listAddresses(family?: 4 | 6): AddressInfo[] {
    const request = `RTM_GETADDR dump${family ? ` IPv${family}` : ""}`;
    const out: AddressInfo[] = [];
    for (const m of this.dump(request, (seq) => dumpAddressesRequest(family ?? 0, seq))) {
      if (m.type !== K.RTM_NEWADDR) continue;
      const a = decodeAddress(m);
      if (a.ok) out.push(a.value);
      else if (a.error.code !== "unsupported") throw new NetlinkError(EBADMSG, request, undefined, a.error.message);
    }
    return out;
  }

  /** Every link (RTM_GETLINK dump). */
  listLinks(): LinkInfo[] {
    const request = "RTM_GETLINK dump";
    const out: LinkInfo[] = [];
    for (const m of this.dump(request, (seq) => dumpLinksRequest(seq))) {
      if (m.type !== K.RTM_NEWLINK) continue;
      const l = decodeLink(m);
      if (!l.ok) throw new NetlinkError(EBADMSG, request, undefined, l.error.message);
      out.push(l.value);
    }
    return out;
  }

  addRoute(r: RouteSpec): void {
    const name = r.ifindex === undefined ? undefined : interfaceName(r.ifindex);
    this.request(
      (seq) => routeRequest("new", r, seq, { ifname: name }),
      () => describeRoute("new", r, name),
    );
  }

  delRoute(r: RouteSpec): void {
    const name = r.ifindex === undefined ? undefined : interfaceName(r.ifindex);
    this.request(
      (seq) => routeRequest("del", r, seq, { ifname: name }),
      () => describeRoute("del", r, name),
    );
  }

  addRule(r: RuleSpec): void {
    this.request(
      (seq) => ruleRequest("new", r, seq),
      () => describeRule("new", r),
    );
  }

  delRule(r: RuleSpec): void {
    this.request(
      (seq) => ruleRequest("del", r, seq),
      () => describeRule("del", r),
    );
  }

  /**
   * A macvlan on `link` (keepalived's use_vmac: mode private unless told), created down.
   * Returns the new interface's index.
   */
  createMacvlan(o: {
    name: string;
    link: number;
    mac: Uint8Array;
    mode?: MacvlanMode;
    master?: number;
    index?: number;
  }): number {
    this.request(
      (seq) => macvlanRequest(o, seq),
      () => describeMacvlan(o),
    );
    const index = interfaceIndex(o.name);
    if (index === 0)
      throw new NetlinkError(ENODEV, describeMacvlan(o), undefined, "created, but if_nametoindex does not find it");
    return index;
  }

  /** An existing macvlan made private with `mac`, in `master` (0: none): keepalived's update of a leftover VMAC. */
  updateMacvlan(o: { index: number; mac: Uint8Array; master?: number }): void {
    const name = interfaceName(o.index);
    this.request(
      (seq) => macvlanUpdateRequest(o, seq),
      () => `RTM_NEWLINK dev ${name ?? `#${o.index}`} type macvlan mode private`,
    );
  }

  /** An L2 ipvlan on `link` (keepalived's use_ipvlan), created up. Returns its index. */
  createIpvlan(o: IpvlanSpec): number {
    this.request(
      (seq) => ipvlanRequest(o, seq),
      () => describeIpvlan(o),
    );
    const index = interfaceIndex(o.name);
    if (index === 0)
      throw new NetlinkError(ENODEV, describeIpvlan(o), undefined, "created, but if_nametoindex does not find it");
    return index;
  }

  deleteLink(ifindex: number): void {
    const name = interfaceName(ifindex);
    this.request(
      (seq) => deleteLinkRequest(ifindex, seq),
      () => `RTM_DELLINK dev ${name ?? `#${ifindex}`}`,
    );
  }

  setLinkUp(ifindex: number, up: boolean): void {
    const name = interfaceName(ifindex);
    this.request(
      (seq) => setLinkUpRequest(ifindex, up, seq),
      () => `RTM_NEWLINK dev ${name ?? `#${ifindex}`} ${up ? "up" : "down"}`,
    );
  }
}
