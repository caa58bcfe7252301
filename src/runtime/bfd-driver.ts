/**
 * The BFD sessions of the running configuration (one per bfd_instance), wired to UDP
 * sockets and the clock. The protocol is src/bfd/session.ts's; this file finds the
 * session of each datagram, applies RFC 5881 5's TTL check with keepalived's
 * `max_hops` (bfd_check_packet_ttl: TTL + max_hops must reach the configured ttl;
 * max_hops 255 or -1 turns the check off), runs the timers, and reports a session
 * going Up or leaving it to VRRP's tracker board (track_bfd) and to the checker
 * process (BFD_CHECK) as keepalived's BFD process does through its event pipes
 * (bfd_event_send: VRRP hears instances with `vrrp`, checkers those with `checker`,
 * both hear those with neither).
 *
 * Sessions are found as keepalived's bfd_handle_packet does: by Your Discriminator
 * when it is nonzero, else by the neighbour's address (and our source, when set).
 */
import { diagWord, decodeBfd } from "../bfd/packet";
import { type BfdAction, BfdSession, type BfdView } from "../bfd/session";
import { formatAddress, parseIp, withoutZone } from "../base/ip";
import type { BfdInstance } from "../config/lvs/model";
import type { KeelConfig } from "../config/model";
import type { TrackChange } from "../vrrp/track-board";
import { BFD_PORT_MULTIHOP, BFD_PORT_SINGLE_HOP, type BfdNet, type BfdPort, type BfdRx } from "./bfd-net";
import type { Logger } from "./log";
import { RateLimit } from "./rate-limit";

export interface BfdSessionStatus extends BfdView {
  name: string;
  neighbor: string;
  source?: string;
  multihop: boolean;
  /** wall-clock ms of the last state change */
  since: number;
  transitions: number;
  /** ms from the last packet heard to the Down by detection timeout, the last time it happened */
  lastDetectionMs?: number;
  rx: number;
  tx: number;
  discarded: Record<string, number>;
}

export interface BfdEvent {
  name: string;
  from: string;
  to: string;
  diag: string;
  remoteDiag: string;
  at: number;
}

interface Slot {
  cfg: BfdInstance;
  family: 4 | 6;
  port: number;
  session: BfdSession;
  sender?: { scope: number; send(b: Uint8Array): void; close(): void };
  timer?: ReturnType<typeof setTimeout>;
  timerAt?: number;
  status: Omit<BfdSessionStatus, keyof BfdView>;
  lastRxAt?: number;
}

const ms2us = (ms: number) => Math.round(ms * 1000);

export class BfdDriver {
  private readonly slots = new Map<string, Slot>();
  /** "family:port" → its listener */
  private readonly listeners = new Map<string, BfdPort>();
  private readonly rate = new RateLimit(10_000);
  private readonly usedDiscr = new Set<number>();
  private running = false;
  /** datagrams no session took, by reason */
  readonly unmatched: Record<string, number> = {};

  constructor(
    private config: KeelConfig,
    private readonly o: {
      net: BfdNet;
      log: Logger;
      report: (c: TrackChange) => void;
      /** BFD_CHECK: a session that sends to checkers went Up or left it */
      onChecker?: (name: string, up: boolean) => void;
      onEvent?: (e: BfdEvent) => void;
      /**
       * Called before a log line that the status explains (a new Detection Time, a discarded
       * packet, a failed send): the BFD process sends its status first, so whoever reads the
       * line and then asks `keel status` finds what the line says counted
       */
      beforeLog?: () => void;
      now?: () => number;
      random?: () => number;
    },
  ) {}

  private now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }
  private random(): number {
    return this.o.random ? this.o.random() : Math.random();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const b of Object.values(this.config.bfdInstances)) if (b.neighborIp) this.addSession(b);
    this.openListeners();
  }

  /**
   * A reload: sessions whose bfd_instance is unchanged run on (no flap at the peer);
   * removed or changed ones are taken AdminDown and closed, new ones start in Down.
   */
  reload(config: KeelConfig): void {
    this.config = config;
    if (!this.running) return;
    const next = config.bfdInstances;
    for (const [name, slot] of [...this.slots]) {
      const b = next[name];
      if (b && JSON.stringify(b) === JSON.stringify(slot.cfg)) continue;
      this.close(slot);
      this.slots.delete(name);
    }
    for (const b of Object.values(next)) if (b.neighborIp && !this.slots.has(b.name)) this.addSession(b);
    this.openListeners();
  }

  /** One listener per family and port some session uses; the others closed. */
  private openListeners(): void {
    const want = new Set([...this.slots.values()].map((s) => `${s.family}:${s.port}`));
    for (const [key, l] of [...this.listeners]) {
      if (want.has(key)) continue;
      l.close();
      this.listeners.delete(key);
    }
    for (const key of want) {
      if (this.listeners.has(key)) continue;
      const [f, p] = key.split(":").map(Number) as [4 | 6, number];
      const l = this.o.net.listen(f, p, (rx) => this.receive(rx, p));
      if (l.ok) this.listeners.set(key, l.value);
      else this.o.log.error(`BFD: cannot listen on UDP port ${p} (IPv${f}): ${l.error}`);
    }
  }

  private addSession(b: BfdInstance): void {
    const family = parseIp(withoutZone(b.neighborIp as string))?.family ?? 4;
    const port = b.multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLE_HOP;
    let discr = 0;
    while (discr === 0 || this.usedDiscr.has(discr)) discr = 1 + Math.floor(this.random() * 0xfffffffe);
    this.usedDiscr.add(discr);
    const now = this.now();
    const session = new BfdSession(
      {
        localDiscr: discr,
        minTx: ms2us(b.minTx),
        minRx: ms2us(b.minRx),
        idleTx: ms2us(b.idleTx),
        detectMult: b.multiplier,
        passive: b.passive,
      },
      () => this.random(),
      now,
    );
    const ttl = b.ttl ?? (family === 4 ? 255 : 64);
    const s = this.o.net.sender({
      family,
      neighbor: b.neighborIp as string,
      port,
      source: b.sourceIp,
      ttl,
      random: () => this.random(),
    });
    if (!s.ok) this.o.log.error(`BFD_Instance(${b.name}) cannot open its socket: ${s.error}`);
    const slot: Slot = {
      cfg: b,
      family,
      port,
      session,
      sender: s.ok ? s.value : undefined,
      status: {
        name: b.name,
        neighbor: b.neighborIp as string,
        source: b.sourceIp,
        multihop: b.multihop,
        since: Date.now(),
        transitions: 0,
        rx: 0,
        tx: 0,
        discarded: {},
      },
    };
    this.slots.set(b.name, slot);
    // keepalived starts a tracked session as down (alloc_vrrp_tracked_bfd: bfd_up = false)
    this.o.log.info(
      `BFD_Instance(${b.name}) starting: neighbor ${b.neighborIp}${b.sourceIp ? ` source ${b.sourceIp}` : ""}`,
    );
    this.pump(slot);
  }

  /**
   * `adminDown`: tell each peer we are going away administratively, so it goes Down at
   * once (6.8.16). Without it the sessions just stop, as a crashed host's would, and the
   * peers find out by their Detection Time (what keepalived's stop_bfd always does).
   */
  stop(adminDown = true): void {
    if (!this.running) return;
    this.running = false;
    for (const slot of this.slots.values()) this.close(slot, adminDown);
    this.slots.clear();
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
  }

  private close(slot: Slot, adminDown = true): void {
    if (adminDown) {
      slot.session.handleAdmin(false, this.now());
      this.flush(slot);
    }
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.sender?.close();
    this.usedDiscr.delete(slot.session.p.localDiscr);
  }

  /** The state of each session that sends to checkers (Up or not), as bfd_event_send writes it at start and reload. */
  checkerStates(): { name: string; up: boolean }[] {
    return [...this.slots.values()]
      .filter((s) => toChecker(s.cfg))
      .map((s) => ({ name: s.cfg.name, up: s.session.view().state === "Up" }));
  }

  status(): BfdSessionStatus[] {
    return [...this.slots.values()].map((s) => ({ ...s.status, ...s.session.view() }));
  }

  private receive(rx: BfdRx, port: number): void {
    const d = decodeBfd(rx.data);
    const src = formatAddress(rx.src) ?? "?";
    if (!d.ok) {
      this.count(undefined, d.error.code);
      this.warnOnce(`decode:${src}:${d.error.code}`, `BFD: discarding a packet from ${src}: ${d.error.message}`);
      return;
    }
    const pkt = d.value;
    const slot = this.find(pkt.yourDiscr, src, rx.dst ? formatAddress(rx.dst) : undefined, port, rx.ifindex);
    if (!slot) {
      this.count(undefined, "no-session");
      return;
    }
    const ttl = slot.cfg.ttl ?? (slot.family === 4 ? 255 : 64);
    const maxHops = slot.cfg.maxHops;
    if (maxHops !== -1 && maxHops !== 255 && rx.ttl !== undefined && rx.ttl + maxHops < ttl) {
      this.count(slot, "bad-ttl");
      this.warnOnce(
        `ttl:${slot.cfg.name}`,
        `BFD_Instance(${slot.cfg.name}) discarding a packet from ${src}: ${slot.family === 4 ? "TTL" : "hop limit"} ${rx.ttl} < ${ttl - maxHops} (RFC 5881 5)`,
      );
      return;
    }
    if (pkt.auth) {
      this.count(slot, "auth");
      return;
    }
    slot.status.rx++;
    slot.lastRxAt = this.now();
    slot.session.handlePacket(pkt, slot.lastRxAt);
    this.pump(slot);
  }

  private find(
    yourDiscr: number,
    src: string,
    dst: string | undefined,
    port: number,
    ifindex?: number,
  ): Slot | undefined {
    for (const s of this.slots.values()) {
      if (s.port !== port) continue;
      // fe80::1%eth0: only what came in on eth0 (the same link-local address may be on another link)
      const scope = s.sender?.scope ?? 0;
      if (scope !== 0 && ifindex !== undefined && ifindex !== scope) continue;
      if (yourDiscr !== 0) {
        if (s.session.p.localDiscr === yourDiscr) return s;
        continue;
      }
      if (sameIp(s.cfg.neighborIp, src) && (!s.cfg.sourceIp || dst === undefined || sameIp(s.cfg.sourceIp, dst)))
        return s;
    }
    return undefined;
  }

  private count(slot: Slot | undefined, code: string): void {
    const t = slot ? slot.status.discarded : this.unmatched;
    t[code] = (t[code] ?? 0) + 1;
  }

  private warnOnce(key: string, line: string): void {
    const n = this.rate.take(key, this.now());
    if (n === undefined) return;
    this.o.beforeLog?.();
    this.o.log.warn(n > 0 ? `${line} (${n} more like it suppressed)` : line);
  }

  /** Carry out the session's actions and arm its timer for the next deadline. */
  private pump(slot: Slot): void {
    this.flush(slot);
    if (!this.running) return;
    const at = slot.session.pollTimeout();
    if (at === slot.timerAt && slot.timer) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.timerAt = at;
    if (at === undefined) return;
    slot.timer = setTimeout(
      () => {
        slot.timer = undefined;
        slot.timerAt = undefined;
        // timers run before the loop reads sockets: after a stall (a GC, a burst of netlink
        // work) the peer's packets may be queued unread, so read them before a Detection
        // Time is believed to have passed in silence (one recvmsg answering EAGAIN when not)
        for (const l of this.listeners.values()) l.drain();
        slot.session.handleTimeout(this.now());
        this.pump(slot);
      },
      Math.max(1, Math.ceil(at - this.now())),
    );
  }

  private flush(slot: Slot): void {
    for (const a of slot.session.pollActions()) this.act(slot, a);
  }

  private act(slot: Slot, a: BfdAction): void {
    const name = slot.cfg.name;
    if (a.type === "send") {
      if (!slot.sender) return;
      try {
        slot.sender.send(a.packet);
        slot.status.tx++;
      } catch (e) {
        this.warnOnce(`send:${name}`, `BFD_Instance(${name}) send failed: ${(e as Error).message}`);
      }
    } else if (a.type === "detect-time") {
      // as for a transition: whoever reads the line finds the status already told
      this.o.beforeLog?.();
      this.o.log.info(`BFD_Instance(${name}) Detection time is ${a.us} us`);
    } else {
      const now = this.now();
      slot.status.transitions++;
      slot.status.since = Date.now();
      const diag = diagWord(a.diag);
      const remoteDiag = diagWord(a.remoteDiag);
      if (a.to === "Down" && a.diag === 1 && slot.lastRxAt !== undefined)
        slot.status.lastDetectionMs = Math.round((now - slot.lastRxAt) * 1000) / 1000;
      // the event (and, from a BFD process, the status with it) and VRRP's and the checkers'
      // news go out before the log line: whoever reads the line finds the state already told
      this.o.onEvent?.({ name, from: a.from, to: a.to, diag, remoteDiag, at: Date.now() });
      // VRRP and checkers hear of Up and of leaving Up (bfd_state_up / bfd_state_fall), not of Init
      if (a.to === "Up" || a.from === "Up") {
        if (toVrrp(slot.cfg)) this.o.report({ kind: "bfd", name, up: a.to === "Up" });
        if (toChecker(slot.cfg)) this.o.onChecker?.(name, a.to === "Up");
      }
      const why =
        a.to === "Down" || a.to === "AdminDown" ? ` (local diagnostic ${diag}, remote diagnostic ${remoteDiag})` : "";
      const line = `BFD_Instance(${name}) Entering ${a.to} state${why}`;
      if (a.from === "Up" || a.to === "Up") this.o.log.warn({ event: "bfd", name, from: a.from, to: a.to, diag }, line);
      else this.o.log.info({ event: "bfd", name, from: a.from, to: a.to, diag }, line);
    }
  }
}

/** bfd_parser.c bfd_end_handler: neither `vrrp` nor `checker` sends to both */
const toVrrp = (b: BfdInstance) => b.vrrp || !b.checker;
const toChecker = (b: BfdInstance) => b.checker || !b.vrrp;

function sameIp(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = parseIp(withoutZone(a))?.bytes;
  const y = parseIp(b)?.bytes;
  return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
}
