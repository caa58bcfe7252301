/**
 * Ipvs: the kernel's IPVS table over generic netlink, what ipvsadm and keepalived's
 * libipvs do, without either. Each call is one synchronous request on a NETLINK_GENERIC
 * socket (the kernel handles it inside sendmsg; see ../netlink/socket.ts). A refused
 * request throws NetlinkError naming the operation the way ipvsadm's arguments would:
 *   IPVS_CMD_NEW_DEST TCP 10.0.0.1:80 -> 10.0.0.2:80: File exists (EEXIST)
 */
import { NLM_F_DUMP_INTR } from "../netlink/constants";
import { EBADMSG, NetlinkError } from "../netlink/error";
import { resolveFamily } from "../netlink/genl";
import { NETLINK_GENERIC } from "../netlink/constants";
import { inNetNamespace } from "../netns";
import type { NlMessage } from "../netlink/codec";
import { NetlinkSocket } from "../netlink/socket";
import * as I from "./constants";
import {
  decodeDaemon,
  decodeDest,
  decodeTimeouts,
  dumpDaemonsRequest,
  getTimeoutsRequest,
  setTimeoutsRequest,
  startDaemonRequest,
  stopDaemonRequest,
  decodeInfo,
  decodeService,
  delServiceRequest,
  describeService,
  destRequest,
  dumpDestsRequest,
  dumpServicesRequest,
  flushRequest,
  getInfoRequest,
  serviceRequest,
} from "./messages";
import type {
  IpvsChange,
  IpvsDest,
  IpvsDestInfo,
  IpvsEntry,
  IpvsService,
  IpvsServiceInfo,
  IpvsServiceKey,
  IpvsSyncDaemon,
  IpvsTimeouts,
} from "./types";

const ENOENT = 2;
const DUMP_TRIES = 3;
/**
 * Changes per sendmsg in apply(). Every ACK is its own datagram in the receive buffer
 * (1 MiB here), and the kernel drops ACKs that do not fit (ENOBUFS), so a long list goes
 * in chunks that fit with room to spare (as Rtnl's batches do).
 */
const CHUNK = 128;

export class Ipvs {
  private readonly sock: NetlinkSocket;
  /** the IPVS family id this boot's kernel assigned */
  readonly family: number;

  private constructor(sock: NetlinkSocket, family: number) {
    this.sock = sock;
    this.family = family;
  }

  /**
   * Open a socket and resolve the IPVS family. Throws NetlinkError; ENOENT means this
   * kernel has no IPVS (not built, or the ip_vs module not loaded: `modprobe ip_vs`).
   * `netns` (net_namespace_ipvs): the socket is opened in that namespace, and every
   * request on it acts there (keepalived's nl_ipvs_connect); "" is the default one.
   */
  static open(netns?: string): Ipvs {
    const openSocket = () => NetlinkSocket.open({ protocol: NETLINK_GENERIC, rcvbuf: 1 << 20 });
    const sock = netns === undefined ? openSocket() : inNetNamespace(netns, openSocket);
    try {
      const f = resolveFamily(sock, I.IPVS_GENL_NAME);
      return new Ipvs(sock, f.id);
    } catch (e) {
      sock.close();
      if (e instanceof NetlinkError && e.errno === ENOENT)
        throw new NetlinkError(ENOENT, e.request, undefined, "the kernel has no IPVS family (modprobe ip_vs)");
      throw e;
    }
  }

  /** IPVS version ("1.2.1") and connection table size, as `ipvsadm -Ln` prints in its first line */
  info(): { version: string; connTabSize: number } {
    const seq = this.sock.nextSeq();
    const { messages } = this.sock.dump("IPVS_CMD_GET_INFO", seq, getInfoRequest(this.family, seq));
    const m = messages.find((x) => x.type === this.family);
    if (!m) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_INFO", undefined, "no reply");
    const r = decodeInfo(m.payload);
    if (!r.ok) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_INFO", undefined, r.error.message);
    return r.value;
  }

  addService(s: IpvsService): void {
    this.ack(`IPVS_CMD_NEW_SERVICE ${describeService(s)}`, (seq) =>
      serviceRequest(this.family, seq, I.IPVS_CMD_NEW_SERVICE, s),
    );
  }

  editService(s: IpvsService): void {
    this.ack(`IPVS_CMD_SET_SERVICE ${describeService(s)}`, (seq) =>
      serviceRequest(this.family, seq, I.IPVS_CMD_SET_SERVICE, s),
    );
  }

  delService(k: IpvsServiceKey): void {
    this.ack(`IPVS_CMD_DEL_SERVICE ${describeService(k)}`, (seq) => delServiceRequest(this.family, seq, k));
  }

  addDest(k: IpvsServiceKey, d: IpvsDest): void {
    this.ack(`IPVS_CMD_NEW_DEST ${destName(k, d)}`, (seq) => destRequest(this.family, seq, I.IPVS_CMD_NEW_DEST, k, d));
  }

  editDest(k: IpvsServiceKey, d: IpvsDest): void {
    this.ack(`IPVS_CMD_SET_DEST ${destName(k, d)}`, (seq) => destRequest(this.family, seq, I.IPVS_CMD_SET_DEST, k, d));
  }

  delDest(k: IpvsServiceKey, d: IpvsDest): void {
    this.ack(`IPVS_CMD_DEL_DEST ${destName(k, d)}`, (seq) => destRequest(this.family, seq, I.IPVS_CMD_DEL_DEST, k, d));
  }

  /**
   * Several changes, CHUNK to a sendmsg, in order (the kernel handles a batch's messages
   * one after another, so a destination may follow its service in the same batch). One
   * outcome per change: undefined when done, else the NetlinkError.
   */
  apply(changes: readonly IpvsChange[]): (NetlinkError | undefined)[] {
    const out: (NetlinkError | undefined)[] = [];
    for (let start = 0; start < changes.length; start += CHUNK) {
      const chunk = changes.slice(start, start + CHUNK).map((c) => {
        const seq = this.sock.nextSeq();
        return { seq, bytes: this.request(c, seq), name: changeName(c) };
      });
      const acks = this.sock.transact(chunk);
      for (const r of chunk) {
        const a = acks.get(r.seq);
        out.push(a && a.errno !== 0 ? new NetlinkError(a.errno, r.name, a.extack, a.detail) : undefined);
      }
    }
    return out;
  }

  private request(c: IpvsChange, seq: number): Uint8Array {
    switch (c.op) {
      case "add-service":
        return serviceRequest(this.family, seq, I.IPVS_CMD_NEW_SERVICE, c.service);
      case "edit-service":
        return serviceRequest(this.family, seq, I.IPVS_CMD_SET_SERVICE, c.service);
      case "del-service":
        return delServiceRequest(this.family, seq, c.key);
      case "add-dest":
        return destRequest(this.family, seq, I.IPVS_CMD_NEW_DEST, c.key, c.dest);
      case "edit-dest":
        return destRequest(this.family, seq, I.IPVS_CMD_SET_DEST, c.key, c.dest);
      case "del-dest":
        return destRequest(this.family, seq, I.IPVS_CMD_DEL_DEST, c.key, c.dest);
    }
  }

  /** every service and destination (ipvsadm -C) */
  flush(): void {
    this.ack("IPVS_CMD_FLUSH", (seq) => flushRequest(this.family, seq));
  }

  /** The whole table: every service with its destinations (ipvsadm -Ln). */
  list(): IpvsEntry[] {
    const services = this.dumpAll("IPVS_CMD_GET_SERVICE", (seq) => dumpServicesRequest(this.family, seq)).map((m) => {
      const s = decodeService(m.payload);
      if (!s.ok) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_SERVICE", undefined, s.error.message);
      return s.value;
    });
    return services.map((service) => ({ service, dests: this.dests(service) }));
  }

  /** One service's destinations. */
  dests(k: IpvsServiceKey | IpvsServiceInfo): IpvsDestInfo[] {
    const what = `IPVS_CMD_GET_DEST ${describeService(k)}`;
    return this.dumpAll(what, (seq) => dumpDestsRequest(this.family, seq, k)).map((m) => {
      const d = decodeDest(m.payload, k.family);
      if (!d.ok) throw new NetlinkError(EBADMSG, what, undefined, d.error.message);
      return d.value;
    });
  }

  /** ipvsadm --set TCP TCPFIN UDP (0 leaves one as it is) */
  setTimeouts(t: IpvsTimeouts): void {
    this.ack(`IPVS_CMD_SET_CONFIG tcp ${t.tcp} tcpfin ${t.tcpFin} udp ${t.udp}`, (seq) =>
      setTimeoutsRequest(this.family, seq, t),
    );
  }

  /** ipvsadm -L --timeout */
  timeouts(): IpvsTimeouts {
    const seq = this.sock.nextSeq();
    const { messages } = this.sock.dump("IPVS_CMD_GET_CONFIG", seq, getTimeoutsRequest(this.family, seq));
    const m = messages.find((x) => x.type === this.family);
    if (!m) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_CONFIG", undefined, "no reply");
    const r = decodeTimeouts(m.payload);
    if (!r.ok) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_CONFIG", undefined, r.error.message);
    return r.value;
  }

  /** ipvsadm --start-daemon */
  startDaemon(d: IpvsSyncDaemon): void {
    this.ack(`IPVS_CMD_NEW_DAEMON ${d.state} ${d.interface} syncid ${d.syncId}`, (seq) =>
      startDaemonRequest(this.family, seq, d),
    );
  }

  /** ipvsadm --stop-daemon */
  stopDaemon(state: IpvsSyncDaemon["state"]): void {
    this.ack(`IPVS_CMD_DEL_DAEMON ${state}`, (seq) => stopDaemonRequest(this.family, seq, state));
  }

  /** the running sync daemons (ipvsadm -L --daemon) */
  daemons(): IpvsSyncDaemon[] {
    return this.dumpAll("IPVS_CMD_GET_DAEMON", (seq) => dumpDaemonsRequest(this.family, seq)).map((m) => {
      const d = decodeDaemon(m.payload);
      if (!d.ok) throw new NetlinkError(EBADMSG, "IPVS_CMD_GET_DAEMON", undefined, d.error.message);
      return d.value;
    });
  }

  close(): void {
    this.sock.close();
  }

  private ack(request: string, build: (seq: number) => Uint8Array): void {
    const seq = this.sock.nextSeq();
    const o = this.sock.transact([{ seq, bytes: build(seq) }]).get(seq);
    if (o && o.errno !== 0) throw new NetlinkError(o.errno, request, o.extack, o.detail);
  }

  /** A dump, redone when the kernel flags it inconsistent (the table changed under it). */
  private dumpAll(request: string, build: (seq: number) => Uint8Array): NlMessage[] {
    for (let i = 0; ; i++) {
      const seq = this.sock.nextSeq();
      const r = this.sock.dump(request, seq, build(seq));
      const intr = r.interrupted || r.messages.some((m) => m.flags & NLM_F_DUMP_INTR);
      if (!intr || i + 1 >= DUMP_TRIES) return r.messages.filter((m) => m.type === this.family);
    }
  }
}

function changeName(c: IpvsChange): string {
  switch (c.op) {
    case "add-service":
      return `IPVS_CMD_NEW_SERVICE ${describeService(c.service)}`;
    case "edit-service":
      return `IPVS_CMD_SET_SERVICE ${describeService(c.service)}`;
    case "del-service":
      return `IPVS_CMD_DEL_SERVICE ${describeService(c.key)}`;
    case "add-dest":
      return `IPVS_CMD_NEW_DEST ${destName(c.key, c.dest)}`;
    case "edit-dest":
      return `IPVS_CMD_SET_DEST ${destName(c.key, c.dest)}`;
    case "del-dest":
      return `IPVS_CMD_DEL_DEST ${destName(c.key, c.dest)}`;
  }
}

function destName(k: IpvsServiceKey, d: IpvsDest): string {
  const a = d.address.includes(":") ? `[${d.address}]` : d.address;
  return `${describeService(k)} -> ${a}:${d.port}`;
}
