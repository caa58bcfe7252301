/** RFC 5880's state machine and timers in virtual time: two sessions on a wire with a fixed latency. */
import { describe, expect, test } from "bun:test";
import { type BfdPacket, Diag, decodeBfd } from "../../../src/bfd/packet";
import { type BfdAction, BfdSession, type BfdSessionParams } from "../../../src/bfd/session";
import { mulberry32 } from "../../../src/base/random";
import { bfdPacket } from "./packets";

const params = (o: Partial<BfdSessionParams> = {}): BfdSessionParams => ({
  localDiscr: 1,
  minTx: 10_000,
  minRx: 10_000,
  idleTx: 1_000_000,
  detectMult: 3,
  passive: false,
  ...o,
});

interface Sent {
  at: number;
  from: "a" | "b";
  pkt: BfdPacket;
}
interface Moved {
  at: number;
  who: "a" | "b";
  from: string;
  to: string;
  diag: number;
}

/** Two sessions, packets delayed by `latency` ms; `cut` drops what a side sends. */
class Wire {
  now = 0;
  readonly sent: Sent[] = [];
  readonly moves: Moved[] = [];
  readonly cut = { a: false, b: false };
  private queue: { at: number; to: "a" | "b"; bytes: Uint8Array }[] = [];
  readonly a: BfdSession;
  readonly b: BfdSession;
  constructor(
    pa: BfdSessionParams,
    pb: BfdSessionParams,
    readonly latency = 1,
    seed = 1,
  ) {
    this.a = new BfdSession(pa, mulberry32(seed), 0);
    this.b = new BfdSession(pb, mulberry32(seed + 1), 0);
    this.collect();
  }
  session(w: "a" | "b") {
    return w === "a" ? this.a : this.b;
  }
  private collect(): void {
    for (const w of ["a", "b"] as const)
      for (const act of this.session(w).pollActions() as BfdAction[]) {
        if (act.type === "send") {
          this.sent.push({ at: this.now, from: w, pkt: act.fields });
          if (!this.cut[w])
            this.queue.push({ at: this.now + this.latency, to: w === "a" ? "b" : "a", bytes: act.packet });
        } else if (act.type === "transition")
          this.moves.push({ at: this.now, who: w, from: act.from, to: act.to, diag: act.diag });
      }
  }
  /** Runs every event up to `until` ms, in time order. */
  run(until: number): void {
    for (;;) {
      const times = [this.a.pollTimeout(), this.b.pollTimeout(), ...this.queue.map((q) => q.at)].filter(
        (t): t is number => t !== undefined,
      );
      const next = Math.min(...times);
      if (!(next <= until)) break;
      this.now = Math.max(this.now, next);
      const due = this.queue.filter((q) => q.at <= this.now);
      this.queue = this.queue.filter((q) => q.at > this.now);
      for (const q of due) {
        const r = decodeBfd(q.bytes);
        if (r.ok) this.session(q.to).handlePacket(r.value, this.now);
      }
      this.a.handleTimeout(this.now);
      this.b.handleTimeout(this.now);
      this.collect();
    }
    this.now = until;
  }
  gaps(from: "a" | "b", after: number, before = Number.POSITIVE_INFINITY): number[] {
    const ts = this.sent
      .filter((s) => s.from === from && s.at >= after && s.at < before && !s.pkt.final)
      .map((s) => s.at);
    return ts.slice(1).map((t, i) => t - ts[i]!);
  }
}

const up = () => new Wire(params({ localDiscr: 1 }), params({ localDiscr: 2 }));

describe("session establishment (RFC 5880 6.8.6 state table)", () => {
  test("Down → Init → Up on both sides, the three-way handshake", () => {
    const w = up();
    w.run(3000);
    expect(w.a.view().state).toBe("Up");
    expect(w.b.view().state).toBe("Up");
    const path = (who: "a" | "b") => w.moves.filter((m) => m.who === who).map((m) => `${m.from}>${m.to}`);
    // whoever hears Down first goes Init; the other hears Init and goes straight Up
    expect([path("a").join(","), path("b").join(",")].sort()).toEqual(["Down>Init,Init>Up", "Down>Up"]);
    expect(w.a.view().remoteDiscr).toBe(2);
    expect(w.b.view().remoteDiscr).toBe(1);
  });

  test("before Up the session sends at most once a second, jittered 75–100 % (6.8.3, 6.8.7)", () => {
    const w = new Wire(params({ localDiscr: 1 }), params({ localDiscr: 2 }));
    w.cut.b = true; // a never hears b: it stays Down and slow
    w.run(30_000);
    const g = w.gaps("a", 0);
    expect(g.length).toBeGreaterThan(25);
    for (const x of g) {
      expect(x).toBeGreaterThanOrEqual(750);
      expect(x).toBeLessThanOrEqual(1000);
    }
    expect(Math.min(...g)).toBeLessThan(800);
    expect(Math.max(...g)).toBeGreaterThan(950);
    expect(w.sent.filter((s) => s.from === "a").every((s) => s.pkt.desiredMinTx === 1_000_000)).toBe(true);
  });

  test("idle_tx above 1 s is the slow interval", () => {
    const w = new Wire(params({ localDiscr: 1, idleTx: 2_000_000 }), params({ localDiscr: 2 }));
    w.cut.b = true;
    w.run(20_000);
    for (const x of w.gaps("a", 0)) expect(x).toBeGreaterThanOrEqual(1500);
  });

  test("Up: a Poll Sequence for the new interval, answered by a Final without P (6.8.3, 6.8.7)", () => {
    const w = up();
    w.run(3000);
    const firstUp = Math.min(...w.moves.filter((m) => m.to === "Up").map((m) => m.at));
    const polls = w.sent.filter((s) => s.pkt.poll && s.at >= firstUp);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((s) => s.pkt.desiredMinTx === 10_000)).toBe(true);
    const finals = w.sent.filter((s) => s.pkt.final);
    expect(finals.length).toBeGreaterThan(0);
    expect(finals.every((s) => !s.pkt.poll)).toBe(true);
    // each Final goes out the moment its Poll arrives (latency 1 ms), not on the timer
    for (const f of finals) expect(polls.some((p) => p.from !== f.from && f.at - p.at === w.latency)).toBe(true);
    expect(w.a.view().polling).toBe(false);
    expect(w.b.view().polling).toBe(false);
  });

  test("Up at 10 ms: sends every 7.5–10 ms; the detection time is 3 × 10 ms", () => {
    const w = up();
    w.run(3000);
    const g = w.gaps("a", 2000);
    expect(g.length).toBeGreaterThan(80);
    for (const x of g) {
      expect(x).toBeGreaterThanOrEqual(7.5);
      expect(x).toBeLessThanOrEqual(10);
    }
    expect(w.a.view().detectTime).toBe(30_000);
    expect(w.a.view().txInterval).toBe(10_000);
  });

  test("the slower of our tx and the peer's rx wins; detection uses the slower of our rx and its tx", () => {
    const w = new Wire(
      params({ localDiscr: 1, minTx: 10_000, minRx: 50_000 }),
      params({ localDiscr: 2, minTx: 20_000, minRx: 30_000, detectMult: 5 }),
    );
    w.run(5000);
    expect(w.a.view().state).toBe("Up");
    expect(w.a.view().txInterval).toBe(30_000); // max(10 ms, b's rx 30 ms)
    expect(w.b.view().txInterval).toBe(50_000); // max(20 ms, a's rx 50 ms)
    expect(w.a.view().detectTime).toBe(5 * 50_000); // b's mult × max(a rx 50, b tx 20)
    expect(w.b.view().detectTime).toBe(3 * 30_000); // a's mult × max(b rx 30, a tx 10)
  });

  test("Detect Mult 1 jitters 75–90 % (6.8.7)", () => {
    const w = new Wire(params({ localDiscr: 1, detectMult: 1 }), params({ localDiscr: 2 }));
    w.run(3000);
    const g = w.gaps("a", 2000);
    for (const x of g) {
      expect(x).toBeGreaterThanOrEqual(7.5);
      expect(x).toBeLessThanOrEqual(9.0000001);
    }
  });
});

describe("going Down", () => {
  test("peer silent: Down with diag 1 exactly a Detection Time after the last packet (6.8.4)", () => {
    const w = up();
    w.run(3000);
    w.cut.b = true;
    const lastFromB = Math.max(...w.sent.filter((s) => s.from === "b").map((s) => s.at));
    w.run(4000);
    const down = w.moves.find((m) => m.who === "a" && m.to === "Down");
    expect(down?.diag).toBe(Diag.ControlDetectionTimeExpired);
    expect(down!.at).toBeCloseTo(lastFromB + w.latency + 30, 6);
    // the remote is forgotten (6.8.1) and a falls back to the slow rate
    expect(w.a.view().remoteDiscr).toBe(0);
    expect(w.a.view().desiredMinTx).toBe(1_000_000);
    // b hears a's Down and follows with diag 3
    const bDown = w.moves.find((m) => m.who === "b" && m.to === "Down");
    expect(bDown?.diag).toBe(Diag.NeighborSignaledSessionDown);
  });

  test("and back Up when the peer speaks again", () => {
    const w = up();
    w.run(3000);
    w.cut.b = true;
    w.run(5000);
    w.cut.b = false;
    w.run(9000);
    expect(w.a.view().state).toBe("Up");
    expect(w.b.view().state).toBe("Up");
    // rising clears the diag (keepalived's bfd_state_rise)
    expect(w.a.view().diag).toBe(Diag.None);
  });

  test("AdminDown: the peer goes Down with diag 3; packets are then ignored until enabled", () => {
    const w = up();
    w.run(3000);
    w.a.handleAdmin(false, w.now);
    w.run(3100);
    expect(w.moves.find((m) => m.who === "a" && m.to === "AdminDown")?.diag).toBe(Diag.AdministrativelyDown);
    expect(w.moves.find((m) => m.who === "b" && m.to === "Down")?.diag).toBe(Diag.NeighborSignaledSessionDown);
    // b keeps sending Down; a in AdminDown does not move
    w.run(6000);
    expect(w.a.view().state).toBe("AdminDown");
    expect(w.b.view().state).toBe("Down");
    w.a.handleAdmin(true, w.now);
    w.run(10_000);
    expect(w.a.view().state).toBe("Up");
    expect(w.b.view().state).toBe("Up");
  });
});

describe("reception rules (6.8.6) and transmission limits (6.8.7)", () => {
  const pkt = (o: Partial<BfdPacket>): BfdPacket => bfdPacket({ myDiscr: 99, ...o });

  test("Down + received Down → Init; Init + received Up → Up; Up + received Down → Down (diag 3)", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.handlePacket(pkt({ state: "Down" }), 1);
    expect(s.view().state).toBe("Init");
    s.handlePacket(pkt({ state: "Up", yourDiscr: 1 }), 2);
    expect(s.view().state).toBe("Up");
    s.handlePacket(pkt({ state: "Down", yourDiscr: 1 }), 3);
    expect(s.view().state).toBe("Down");
    expect(s.view().diag).toBe(Diag.NeighborSignaledSessionDown);
  });

  test("Down ignores a received Up (it must hear Down or Init first)", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.handlePacket(pkt({ state: "Up", yourDiscr: 1 }), 1);
    expect(s.view().state).toBe("Down");
  });

  test("the A bit, or a Your Discriminator not ours, is discarded", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.handlePacket(pkt({ auth: true }), 1);
    s.handlePacket(pkt({ yourDiscr: 7 }), 1);
    expect(s.view().state).toBe("Down");
    expect(s.view().remoteDiscr).toBe(0);
  });

  test("a Poll is answered at once with a Final, P clear", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.pollActions();
    s.handlePacket(pkt({ poll: true }), 5);
    const sends = s.pollActions().filter((a) => a.type === "send");
    expect(sends.some((a) => a.type === "send" && a.fields.final && !a.fields.poll)).toBe(true);
  });

  test("passive: silent until the peer has spoken", () => {
    const s = new BfdSession(params({ passive: true }), () => 0.5, 0);
    for (let t = 0; t <= 5000; t += 100) s.handleTimeout(t);
    expect(s.pollActions().filter((a) => a.type === "send")).toEqual([]);
    s.handlePacket(pkt({}), 5001);
    expect(s.pollActions().filter((a) => a.type === "send").length).toBeGreaterThan(0);
  });

  test("Required Min RX 0 from the peer stops periodic transmission", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.handlePacket(pkt({ requiredMinRx: 0 }), 1);
    s.pollActions();
    // until the Detection Time (3 s) ends and forgets it
    for (let t = 2; t <= 2900; t += 50) s.handleTimeout(t);
    expect(s.pollActions().filter((a) => a.type === "send")).toEqual([]);
  });

  test("the peer's Demand bit with both Up stops periodic transmission", () => {
    const s = new BfdSession(params(), () => 0.5, 0);
    s.handlePacket(pkt({ state: "Init" }), 1);
    expect(s.view().state).toBe("Up");
    s.handlePacket(pkt({ state: "Up", yourDiscr: 1, demand: true, final: true }), 2);
    s.pollActions();
    for (let t = 3; t <= 2000; t += 5) s.handleTimeout(t);
    expect(s.pollActions().filter((a) => a.type === "send")).toEqual([]);
  });

  test("pollTimeout is the next of the transmit and detection deadlines", () => {
    const s = new BfdSession(params(), () => 0, 0);
    expect(s.pollTimeout()).toBe(750); // 75 % of 1 s, no detection timer before a packet
    s.handlePacket(pkt({ desiredMinTx: 100_000, detectMult: 2 }), 10);
    // detection: 2 × max(10 ms, 100 ms) = 200 ms after the packet
    expect(s.view().detectTime).toBe(200_000);
    expect(s.pollTimeout()).toBeLessThanOrEqual(210);
  });
});
