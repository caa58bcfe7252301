/**
 * The driver's side of GARP/NA pacing (src/vrrp/garp-pacer.ts holds the rules): which
 * delay record each interface has under the running configuration, and the one timer
 * that runs the pacer's queue. Sending and logging stay with the caller.
 */
import type { KeelConfig } from "../config/model";
import { type GarpItem, GarpPacer, type GarpSend, type PaceRecord, paceRecords } from "../vrrp/garp-pacer";
import type { Timers } from "./vrrp-driver";

export class GarpOut {
  private readonly pacer: GarpPacer;
  private recordOf: (ifname: string) => PaceRecord | undefined = () => undefined;
  private order = new Map<string, number>();
  private timer: unknown;

  constructor(
    private readonly timers: Timers,
    private readonly now: () => number,
    /** sends due now (from the queue's timer) */
    private readonly deliver: (sends: GarpSend[]) => void,
    /** still MASTER with this address installed (vrrp_arp_thread's check) */
    private readonly live: (instance: string, address: string) => boolean,
  ) {
    this.pacer = new GarpPacer((i) => this.order.get(i) ?? Number.MAX_SAFE_INTEGER);
  }

  /** The running configuration's records (start and every reload; the queue carries over). */
  configure(config: KeelConfig): void {
    const g = config.globalDefs;
    this.recordOf = paceRecords(config.garpGroups, {
      garpInterval: g.vrrpGarpInterval,
      gnaInterval: g.vrrpGnaInterval,
    });
    this.order = new Map(Object.keys(config.vrrpInstances).map((name, i) => [name, i]));
  }

  /**
   * A burst from the engine; returns what leaves now. `base` is the interface whose
   * delay record applies (a VMAC's base interface, keepalived's IF_BASE_IFP).
   */
  submit(
    instance: string,
    items: { address: string; family: 4 | 6; ifname: string; base: string }[],
    count: number,
  ): GarpSend[] {
    const paced: GarpItem[] = items.map((i) => ({ ...i, record: this.recordOf(i.base) }));
    const out = this.pacer.submit(instance, paced, count, this.now());
    this.arm();
    return out;
  }

  /** A frame left (after its sendto returned): the next one through its record waits from now. */
  sentAt(s: GarpSend): void {
    this.pacer.sentAt(s, this.now());
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.stop();
    const at = this.pacer.pollTimeout();
    if (at === undefined) return;
    this.timer = this.timers.set(() => this.onTimer(), Math.max(0, at - this.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    try {
      const sends = this.pacer.handleTimeout(this.now(), this.live);
      if (sends.length > 0) this.deliver(sends);
    } finally {
      this.arm();
    }
  }
}
