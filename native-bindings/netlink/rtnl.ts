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

/** Address requests written ahead of their send: Rtnl.prepareAddresses, then sendAddresses. */
export interface PreparedAddresses {
  readonly op: "new" | "del";
  readonly list: readonly AddressSpec[];
  /** the written requests back to back: seq 0 and no NLM_F_ACK until sent */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** where each written request starts, then where the last one ends */
  readonly offsets: number[];
  /** the list item each written request is */
  readonly index: number[];
  /** the interface name each was written with (a failure's text) */
  readonly names: (string | undefined)[];
  /** per list item: the request's own error (not sent) */
  readonly errors: (NetlinkError | undefined)[];
}

export class Rtnl {
  private readonly sock: NetlinkSocket;

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
    if (err) throw err;
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
    return this.sendAddresses(this.prepareAddresses("new", list));
  }

  delAddresses(list: AddressSpec[]): (NetlinkError | undefined)[] {
    return this.sendAddresses(this.prepareAddresses("del", list));
  }

  private batchAddresses(op: "new" | "del", list: AddressSpec[], replace?: boolean): (NetlinkError | undefined)[] {
    return this.sendAddresses(this.prepareAddresses(op, list, replace));
  }

  /**
   * An address batch written ahead of its send (sendAddresses): the requests straight
   * into one buffer (messages.ts writeAddressRequest: no array, DataView or copy per
   * request, and the request's text only for one that fails), numbered when sent. A
   * master's VIPs are laid out this way just before its Master_Down deadline
   * (kernel-linux.ts prepareVips), so the transition only numbers and sends them (issue 20).
   * A request refused here (EINVAL) is that item's result, and is not sent.
   */
  prepareAddresses(op: "new" | "del", list: readonly AddressSpec[], replace?: boolean): PreparedAddresses {
    // the caller's name (the driver's link table), else if_indextoname once per interface
    const names = new Map<number, string | undefined>();
    const nameOf = (a: AddressSpec): string | undefined => {
      if (a.ifname !== undefined) return a.ifname;
      if (!names.has(a.ifindex)) names.set(a.ifindex, interfaceName(a.ifindex));
      return names.get(a.ifindex);
    };
    const bytes = new Uint8Array(list.length * ADDRESS_REQUEST_MAX);
    const view = new DataView(bytes.buffer);
    const p: PreparedAddresses = { op, list, bytes, view, offsets: [], index: [], names: [], errors: [] };
    let off = 0;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      const ifname = nameOf(a);
      p.errors.push(undefined);
      try {
        // no ACK asked: sendAddresses asks it of each chunk's last (the others answer only when they fail)
        const n = writeAddressRequest(bytes, view, off, op, a, 0, { replace, ifname, ack: false });
        p.offsets.push(off);
        p.index.push(i);
        p.names.push(ifname);
        off += n;
      } catch (e) {
        if (!(e instanceof NetlinkError)) throw e;
        p.errors[i] = e;
      }
    }
    p.offsets.push(off);
    return p;
  }

  /** Send a prepared batch (prepareAddresses) in chunks of CHUNK; one result per item (undefined = done). */
  sendAddresses(p: PreparedAddresses): (NetlinkError | undefined)[] {
    const results = p.errors.slice();
    const { bytes, view, offsets, index } = p;
    for (let start = 0; start < index.length; start += CHUNK) {
      const end = Math.min(index.length, start + CHUNK);
      const seqs: number[] = [];
      for (let k = start; k < end; k++) {
        const seq = this.sock.nextSeq();
        view.setUint32(offsets[k]! + 8, seq >>> 0, true);
        seqs.push(seq);
      }
      // an ACK for the chunk's last request only: the others answer only when they fail (socket.ts)
      const last = offsets[end - 1]!;
      const flags = view.getUint16(last + 6, true);
      view.setUint16(last + 6, flags | K.NLM_F_ACK, true);
      let acks: Map<number, AckOutcome>;
      try {
        acks = this.sock.transactLaidOut(bytes.subarray(offsets[start]!, offsets[end]!), seqs, true);
      } finally {
        view.setUint16(last + 6, flags, true);
      }
      for (let k = start; k < end; k++) {
        const o = acks.get(seqs[k - start]!);
        if (o === undefined || o.errno === 0) continue;
        results[index[k]!] = fail(o, describeAddress(p.op, p.list[index[k]!]!, p.names[k]));
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
  createMacvlan(o: { name: string; link: number; mac: Uint8Array; mode?: MacvlanMode; master?: number }): number {
    this.request(
      (seq) => macvlanRequest(o, seq),
      () => describeMacvlan(o),
    );
    const index = interfaceIndex(o.name);
    if (index === 0)
      throw new NetlinkError(ENODEV, describeMacvlan(o), undefined, "created, but if_nametoindex does not find it");
    return index;
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
