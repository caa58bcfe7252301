/**
 * One BFD session (RFC 5880), sans-I/O: `handlePacket(pkt, now)`, `handleTimeout(now)`,
 * `handleAdmin(up, now)` in; `pollActions()` and `pollTimeout()` out. `now` is ms on a
 * monotonic clock; the wire carries µs. Asynchronous mode only, no Echo, no
 * authentication, Demand mode never asked for (keepalived's BFD likewise).
 *
 * The rules in this file:
 * - Reception, RFC 5880 6.8.6 (after the codec's packet-level checks): a packet with the
 *   A bit is discarded (no authentication in use), so is every packet in AdminDown. The
 *   remote variables are copied; a Final ends our Poll Sequence; the state table below.
 *   A Poll is answered at once with a Final (6.8.7: "without respect to the transmission
 *   timer").
 * - State table (6.8.6, h11-style data):
 *     local \ received  AdminDown      Down   Init   Up
 *     Down              -              Init   Up     -
 *     Init              Down (diag 3)  -      Up     Up
 *     Up                Down (diag 3)  Down(3) -     -
 * - Detection time (6.8.4, asynchronous mode): the remote Detect Mult × max(our
 *   RequiredMinRxInterval, the remote DesiredMinTxInterval), counted from the last
 *   packet received. Expiry in Init or Up → Down with diag 1; in any state it also
 *   forgets the remote (bfd.RemoteDiscr = 0, 6.8.1).
 * - Transmission (6.8.7): every max(bfd.DesiredMinTxInterval, bfd.RemoteMinRxInterval),
 *   less 0–25 % jitter (10–25 % when our Detect Mult is 1); not at all while
 *   bfd.RemoteMinRxInterval is 0, nor while passive and bfd.RemoteDiscr is 0, nor while
 *   the remote asks for Demand mode and both ends are Up.
 * - Slow start (6.8.3): while not Up, bfd.DesiredMinTxInterval is at least 1 s (the
 *   configured idle_tx, keepalived's name for it). On Up it drops to min_tx, and on
 *   leaving Up it returns: each change of our intervals starts a Poll Sequence (P set in
 *   every packet until a Final arrives). An increase while Up takes effect on the
 *   transmit timer only once the Poll Sequence is over; a decrease at once.
 * - A state change sends a packet at once (so the peer need not wait a slow interval to
 *   learn it); so does the start of a Poll Sequence.
 */
import { type BfdPacket, type BfdState, Diag, encodeBfd } from "./packet";

export interface BfdSessionParams {
  /** bfd.LocalDiscr, nonzero and unique on this host */
  localDiscr: number;
  /** µs: min_tx, min_rx, idle_tx of bfd_instance */
  minTx: number;
  minRx: number;
  idleTx: number;
  detectMult: number;
  passive: boolean;
}

export type BfdAction =
  | { type: "send"; packet: Uint8Array; fields: BfdPacket }
  | { type: "transition"; from: BfdState; to: BfdState; diag: number; remoteDiag: number }
  | { type: "detect-time"; us: number };

/** What the session believes, for status and tests. */
export interface BfdView {
  state: BfdState;
  diag: number;
  remoteState: BfdState;
  remoteDiscr: number;
  localDiscr: number;
  /** µs advertised now */
  desiredMinTx: number;
  requiredMinRx: number;
  remoteMinRx: number;
  remoteMinTx: number;
  remoteDetectMult: number;
  /** µs: the negotiated transmit interval before jitter, and the detection time */
  txInterval: number;
  detectTime: number;
  polling: boolean;
}

/** Timers as data: one deadline per timer, `undefined` is "not armed". */
type TimerName = "tx" | "detect";

/** A packet of the slow phase is at most this many µs apart (RFC 5880 6.8.3). */
export const SLOW_TX_US = 1_000_000;

export class BfdSession {
  private state: BfdState = "Down";
  private diag: number = Diag.None;
  private remoteState: BfdState = "Down";
  private remoteDiag = 0;
  private remoteDiscr = 0;
  /** 6.8.1: initialised to 1 µs */
  private remoteMinRx = 1;
  private remoteMinTx = 0;
  private remoteDetectMult = 0;
  private remoteDemand = false;
  /** what we advertise */
  private desiredMinTx: number;
  /** what the transmit timer uses: lags an increase made while Up until the Final */
  private txBasis: number;
  private polling = false;
  private readonly timers: Record<TimerName, number | undefined> = { tx: undefined, detect: undefined };
  private actions: BfdAction[] = [];
  private detectTimeUs = 0;

  constructor(
    readonly p: BfdSessionParams,
    private readonly random: () => number,
    now: number,
  ) {
    this.desiredMinTx = this.slowTx();
    this.txBasis = this.desiredMinTx;
    this.armTx(now);
  }

  view(): BfdView {
    return {
      state: this.state,
      diag: this.diag,
      remoteState: this.remoteState,
      remoteDiscr: this.remoteDiscr,
      localDiscr: this.p.localDiscr,
      desiredMinTx: this.desiredMinTx,
      requiredMinRx: this.p.minRx,
      remoteMinRx: this.remoteMinRx,
      remoteMinTx: this.remoteMinTx,
      remoteDetectMult: this.remoteDetectMult,
      txInterval: Math.max(this.txBasis, this.remoteMinRx),
      detectTime: this.detectTimeUs,
      polling: this.polling,
    };
  }

  pollActions(): BfdAction[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const d of Object.values(this.timers)) if (d !== undefined && (t === undefined || d < t)) t = d;
    return t;
  }

  /** A packet that passed the codec and whose session the driver found (by discriminator or address). */
  handlePacket(pkt: BfdPacket, now: number): void {
    if (pkt.auth) return; // 6.8.6: A bit set and no authentication in use
    if (pkt.yourDiscr !== 0 && pkt.yourDiscr !== this.p.localDiscr) return;
    if (this.state === "AdminDown") return;
    this.remoteDiscr = pkt.myDiscr;
    this.remoteState = pkt.state;
    this.remoteDiag = pkt.diag;
    this.remoteDemand = pkt.demand;
    this.remoteMinRx = pkt.requiredMinRx;
    this.remoteMinTx = pkt.desiredMinTx;
    this.remoteDetectMult = pkt.detectMult;
    if (pkt.final && this.polling) {
      this.polling = false;
      this.txBasis = this.desiredMinTx;
    }
    this.updateDetect(now);
    this.receiveState(pkt.state, now);
    if (pkt.poll) this.send(now, { final: true });
    this.reviewTx(now);
  }

  handleTimeout(now: number): void {
    const d = this.timers.detect;
    if (d !== undefined && d <= now) {
      this.timers.detect = undefined;
      this.remoteDiscr = 0;
      this.remoteState = "Down";
      this.remoteMinRx = 1;
      this.remoteDemand = false;
      if (this.state === "Init" || this.state === "Up") this.changeState("Down", Diag.ControlDetectionTimeExpired, now);
    }
    const t = this.timers.tx;
    if (t !== undefined && t <= now) {
      this.timers.tx = undefined;
      if (this.maySend()) this.send(now, {});
      this.armTx(now);
    }
  }

  /** AdminDown (6.8.16: the peer is told with diag 7) or back to Down. */
  handleAdmin(up: boolean, now: number): void {
    if (!up && this.state !== "AdminDown") {
      this.changeState("AdminDown", Diag.AdministrativelyDown, now);
      this.timers.detect = undefined;
    } else if (up && this.state === "AdminDown") {
      this.changeState("Down", Diag.None, now);
    }
  }

  private receiveState(rs: BfdState, now: number): void {
    if (rs === "AdminDown") {
      if (this.state !== "Down") this.changeState("Down", Diag.NeighborSignaledSessionDown, now);
      return;
    }
    if (this.state === "Down") {
      if (rs === "Down") this.changeState("Init", Diag.None, now);
      else if (rs === "Init") this.changeState("Up", Diag.None, now);
    } else if (this.state === "Init") {
      if (rs === "Init" || rs === "Up") this.changeState("Up", Diag.None, now);
    } else if (this.state === "Up" && rs === "Down") {
      this.changeState("Down", Diag.NeighborSignaledSessionDown, now);
    }
  }

  /** The one place the state changes: exit, transition, entry (intervals, a packet at once). */
  private changeState(to: BfdState, diag: number, now: number): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    // the diag says why the session went down; rising clears it, as keepalived's
    // bfd_state_rise does (RFC 5880 leaves it open)
    this.diag = to === "Up" || to === "Init" ? Diag.None : diag;
    this.actions.push({ type: "transition", from, to, diag, remoteDiag: this.remoteDiag });
    this.setDesiredTx(to === "Up" ? this.p.minTx : this.slowTx(), now);
    this.send(now, {});
    this.armTx(now);
  }

  private slowTx(): number {
    return Math.max(this.p.minTx, this.p.idleTx, SLOW_TX_US);
  }

  /** 6.8.3: a change of DesiredMinTxInterval starts a Poll Sequence; an increase while Up waits for it. */
  private setDesiredTx(us: number, now: number): void {
    if (us === this.desiredMinTx) return;
    const increase = us > this.desiredMinTx;
    this.desiredMinTx = us;
    if (!(increase && this.state === "Up")) this.txBasis = us;
    this.polling = true;
    this.updateDetect(now, false);
  }

  /** 6.8.4: Detection Time from the last packet; `restart` false keeps its start, changes only its length. */
  private updateDetect(now: number, restart = true): void {
    if (this.remoteDetectMult === 0) return;
    const us = this.remoteDetectMult * Math.max(this.p.minRx, this.remoteMinTx);
    if (us !== this.detectTimeUs) {
      this.detectTimeUs = us;
      this.actions.push({ type: "detect-time", us });
    }
    if (this.state === "AdminDown") return;
    if (restart) this.lastRx = now;
    if (this.lastRx !== undefined) this.timers.detect = this.lastRx + us / 1000;
  }
  private lastRx: number | undefined;

  private maySend(): boolean {
    if (this.remoteMinRx === 0) return false;
    if (this.p.passive && this.remoteDiscr === 0) return false;
    if (this.remoteDemand && this.state === "Up" && this.remoteState === "Up") return false;
    return true;
  }

  /** The transmit interval changed (a remote RequiredMinRx, the end of a Poll): never wait longer than the new one. */
  private reviewTx(now: number): void {
    const t = this.timers.tx;
    const ceiling = now + this.txIntervalMs();
    if (t === undefined || t > ceiling) this.armTx(now);
  }

  private txIntervalMs(): number {
    return Math.max(this.txBasis, this.remoteMinRx) / 1000;
  }

  /** 6.8.7 jitter: 75–100 % of the interval, 75–90 % when bfd.DetectMult is 1. */
  private armTx(now: number): void {
    const spread = this.p.detectMult === 1 ? 0.15 : 0.25;
    this.timers.tx = now + this.txIntervalMs() * (0.75 + spread * this.random());
  }

  private send(_now: number, o: { final?: boolean }): void {
    // a Final answers a Poll and must not carry P (6.8.7: never both bits)
    const final = o.final === true;
    if (!final && !this.maySend()) return;
    const fields: BfdPacket = {
      diag: this.diag,
      state: this.state,
      poll: this.polling && !final,
      final,
      cpi: false,
      auth: false,
      demand: false,
      detectMult: this.p.detectMult,
      myDiscr: this.p.localDiscr,
      yourDiscr: this.remoteDiscr,
      desiredMinTx: this.desiredMinTx,
      requiredMinRx: this.p.minRx,
      requiredMinEchoRx: 0,
    };
    this.actions.push({ type: "send", packet: encodeBfd(fields), fields });
  }
}
