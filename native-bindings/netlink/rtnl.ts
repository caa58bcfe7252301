/**
 * Rtnl: the rtnetlink operations keel needs (VIPs, routes, rules, VMAC macvlans, link
 * state, listings). Each call is one synchronous request/ACK on a NETLINK_ROUTE socket
 * (see socket.ts for why that does not block the main thread); a failure throws
 * NetlinkError {errno, code, extack, request}.
 */
import { libc } from "../libc";
import { SendQueue } from "../send-queue";
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

/** One chunk of laid-out address requests: its bytes [from, to), each request's offset and index in the list. */
interface Chunk {
  from: number;
  to: number;
  at: number[];
  index: number[];
}

/** Address requests laid out by Rtnl.layoutAddresses, sent by Rtnl.sendAddresses (any number of times). */
export interface AddressBatch {
  readonly op: "new" | "del";
  readonly list: readonly AddressSpec[];
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly chunks: readonly Chunk[];
  /** the requests that could not be encoded, by index */
  readonly refused: readonly (NetlinkError | undefined)[];
  readonly nameOf: (a: AddressSpec) => string | undefined;
}

/** A laid-out batch the kernel is to send at a deadline (Rtnl.queueAddresses), until taken back. */
export interface QueuedAddresses {
  readonly batch: AddressBatch;
  readonly seqs: readonly number[];
  readonly ticket: number;
}

const NO_ADDRESS = new Uint8Array(0);
const noAddress = () => NO_ADDRESS;

/** An address's interface name: the caller's (the driver's link table), else if_indextoname once per interface. */
function namer(): (a: AddressSpec) => string | undefined {
  const names = new Map<number, string | undefined>();
  return (a) => {
    if (a.ifname !== undefined) return a.ifname;
    if (!names.has(a.ifindex)) names.set(a.ifindex, interfaceName(a.ifindex));
    return names.get(a.ifindex);
  };
}

/**
 * Up to CHUNK of `list`'s requests from `start`, written at `off` (unnumbered: sendChunk
 * numbers them); their offsets and indexes go to `chunk`, a refusal to `refused`. The end.
 */
function writeChunk(
  out: Uint8Array,
  view: DataView,
  off: number,
  op: "new" | "del",
  list: readonly AddressSpec[],
  start: number,
  replace: boolean | undefined,
  nameOf: (a: AddressSpec) => string | undefined,
  chunk: Chunk,
  refused: (NetlinkError | undefined)[],
): number {
  const end = Math.min(list.length, start + CHUNK);
  for (let i = start; i < end; i++) {
    const a = list[i]!;
    try {
      // an ACK for the last request only (sendChunk): the others answer only when they fail (socket.ts)
      const n = writeAddressRequest(out, view, off, op, a, 0, { replace, ifname: nameOf(a), ack: false });
      chunk.at.push(off);
      chunk.index.push(i);
      off += n;
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      refused[i] = e;
    }
  }
  return off;
}

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
    const nameOf = namer();
    const chunk: Chunk = { from: 0, to: 0, at: [], index: [] };
    for (let start = 0; start < list.length; start += CHUNK) {
      chunk.at.length = 0;
      chunk.index.length = 0;
      chunk.to = writeChunk(this.addrBuf, this.addrView, 0, op, list, start, replace, nameOf, chunk, results);
      this.sendChunk(this.addrBuf, this.addrView, chunk, op, list, nameOf, results);
    }
    return results;
  }

  /**
   * `list`'s requests laid out ahead, in a buffer of their own, for sendAddresses: a backup
   * lays out its VIPs' RTM_NEWADDR before its Master_Down deadline, so that the failover
   * only numbers and sends them (issue 20). A request that cannot be encoded is refused
   * here, as batchAddresses refuses it.
   */
  layoutAddresses(op: "new" | "del", list: readonly AddressSpec[], replace?: boolean): AddressBatch {
    // the most a list can take; kept at its size (one instance's batch lives until its VIPs change)
    const most = new Uint8Array(Math.max(1, list.length) * ADDRESS_REQUEST_MAX);
    const mostView = new DataView(most.buffer);
    const refused: (NetlinkError | undefined)[] = new Array(list.length).fill(undefined);
    const nameOf = namer();
    const chunks: Chunk[] = [];
    let off = 0;
    for (let start = 0; start < list.length; start += CHUNK) {
      const chunk: Chunk = { from: off, to: off, at: [], index: [] };
      chunk.to = off = writeChunk(most, mostView, off, op, list, start, replace, nameOf, chunk, refused);
      chunks.push(chunk);
    }
    const bytes = most.slice(0, off);
    return { op, list, bytes, view: new DataView(bytes.buffer), chunks, refused, nameOf };
  }

  /**
   * A laid-out batch numbered now and handed to the kernel to send by itself when
   * CLOCK_MONOTONIC reaches `at` ms (send-queue.ts): a takeover's VIPs in at the
   * Master_Down deadline, whatever the event loop does then (issue 20). One chunk only
   * (up to CHUNK addresses); undefined when it cannot be queued. Every queued batch is
   * taken back by sendAddresses (its ACKs read) or settleQueued.
   */
  queueAddresses(batch: AddressBatch, at: number): QueuedAddresses | undefined {
    const chunk = batch.chunks[0];
    if (batch.chunks.length !== 1 || chunk === undefined || chunk.at.length === 0) return undefined;
    const q = SendQueue.get();
    if (typeof q === "string") return undefined;
    const seqs = this.number(batch.view, chunk);
    const data = batch.bytes.subarray(chunk.from, chunk.to);
    // no msg_name: an unconnected netlink socket's datagram goes to the kernel (port 0)
    const ticket = q.queue(this.sock.fd, at, [{ dst: "kernel", data }], noAddress);
    if (ticket === undefined) return undefined;
    this.sock.expectLater(seqs);
    return { batch, seqs, ticket };
  }

  /**
   * A queued batch taken back: its results (one per item, as sendAddresses) when the
   * kernel sent it, undefined when it was cancelled before its deadline or its send
   * failed (then nothing of it reached rtnetlink).
   */
  settleQueued(queued: QueuedAddresses): (NetlinkError | undefined)[] | undefined {
    const q = SendQueue.get();
    const outcome = typeof q === "string" ? "cancelled" : q.settle(queued.ticket);
    if (outcome !== "sent") {
      this.sock.forget(queued.seqs);
      return undefined;
    }
    const { batch, seqs } = queued;
    const results = batch.refused.slice();
    this.results(batch, batch.chunks[0]!, seqs, this.sock.collect(seqs, true), results);
    return results;
  }

  /**
   * A laid-out batch (layoutAddresses) numbered and sent, as batchAddresses sends its own;
   * one result per item. `queued`: the same batch queued (queueAddresses), taken back
   * first: what the kernel sent is only answered.
   */
  sendAddresses(batch: AddressBatch, queued?: QueuedAddresses): (NetlinkError | undefined)[] {
    const sent = queued === undefined ? undefined : this.settleQueued(queued);
    if (sent !== undefined) return sent;
    const results = batch.refused.slice();
    for (const chunk of batch.chunks)
      this.sendChunk(batch.bytes, batch.view, chunk, batch.op, batch.list, batch.nameOf, results);
    return results;
  }

  /**
   * One chunk's requests numbered (a batch laid out ahead is sent with numbers of its
   * time), the last one asking for the ACK, sent in one sendmsg; the kernel answers only
   * the ones that fail and the last (socket.ts).
   */
  private sendChunk(
    bytes: Uint8Array,
    view: DataView,
    chunk: Chunk,
    op: "new" | "del",
    list: readonly AddressSpec[],
    nameOf: (a: AddressSpec) => string | undefined,
    results: (NetlinkError | undefined)[],
  ): void {
    if (chunk.at.length === 0) return;
    const seqs = this.number(view, chunk);
    const acks = this.sock.transactLaidOut(bytes.subarray(chunk.from, chunk.to), seqs, true);
    this.results({ op, list, nameOf }, chunk, seqs, acks, results);
  }

  /** A chunk's requests numbered in place, the last one asking for the ACK; their numbers. */
  private number(view: DataView, chunk: Chunk): number[] {
    const n = chunk.at.length;
    const seqs: number[] = new Array(n);
    for (let k = 0; k < n; k++) {
      seqs[k] = this.sock.nextSeq();
      view.setUint32(chunk.at[k]! + 8, seqs[k]!, true);
    }
    const last = chunk.at[n - 1]!;
    view.setUint16(last + 6, view.getUint16(last + 6, true) | K.NLM_F_ACK, true);
    return seqs;
  }

  /** A chunk's ACKs as results: a request that failed gets its error, by its index in the list. */
  private results(
    b: Pick<AddressBatch, "op" | "list" | "nameOf">,
    chunk: Chunk,
    seqs: readonly number[],
    acks: Map<number, AckOutcome>,
    results: (NetlinkError | undefined)[],
  ): void {
    for (let k = 0; k < seqs.length; k++) {
      const o = acks.get(seqs[k]!);
      if (o === undefined || o.errno === 0) continue;
      const a = b.list[chunk.index[k]!]!;
      results[chunk.index[k]!] = fail(o, describeAddress(b.op, a, b.nameOf(a)));
    }
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
