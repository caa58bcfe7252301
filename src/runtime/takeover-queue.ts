/**
 * A BACKUP's VIPs handed to the kernel to add at its Master_Down deadline by itself
 * (DESIGN.md "Kernel I/O", issue 20): as a MASTER's next advert is (advert-queue.ts),
 * so that the addresses are in at the deadline whatever the event loop is doing then.
 * keel's share of "last advert heard → VIP" above Master_Down_Interval was the timer's
 * wake-up, the engine's takeover and the request's send, 0.3–1 ms on the bench machine
 * against keepalived's select() loop (bench/RESULTS.md, "Failover above
 * Master_Down_Interval"); the kernel's own timer leaves only rtnetlink's work.
 *
 * Queued at the deadline's pre-wake (vrrp-driver.ts arm, PREWAKE_MS before it), never in
 * steady state: a BACKUP whose master speaks never gets that close to its deadline, so a
 * backup pays nothing per advert. Only the request laid out at BACKUP (prepareTakeover:
 * the very items applyVips sends) and only for an instance whose deadline is simply its
 * takeover (Instance.takeoverAt), without firewall rules to go in before the addresses.
 *
 * The engine stays the one that decides. At the deadline it runs its takeover as before;
 * applyVips hands the kernel the same items and Kernel.vips takes the queued request
 * back, reading its answers (or sending it, if the deadline had not yet come). After every
 * pump the queued request is kept only while its instance still waits in BACKUP on the
 * same deadline; else it is taken back: nothing was added if its deadline had not come,
 * and addresses the kernel added for a takeover the engine did not make (an advert that
 * arrived before the deadline, read after it) are removed again.
 */
import type { Instance } from "../vrrp/instance";
import type { Kernel, KernelError, VipTarget } from "./kernel";

interface Queued<T> {
  inst: Instance;
  at: number;
  items: readonly T[];
}

export class TakeoverQueue<T extends VipTarget> {
  private queued: Queued<T> | undefined;

  constructor(
    private readonly kernel: Kernel,
    /** the kernel added these for a takeover the engine did not make: `results` as Kernel.vips's */
    private readonly undo: (instance: string, items: readonly T[], results: (KernelError | undefined)[]) => void,
  ) {}

  /** Queue `inst`'s laid-out VIPs (`items`) for its takeover deadline `at` (Instance.takeoverAt). */
  queue(inst: Instance, at: number, items: readonly T[]): void {
    if (this.queued !== undefined || items.length === 0 || !this.kernel.queueVips) return;
    if (this.kernel.queueVips(items, at)) this.queued = { inst, at, items };
  }

  /** applyVips sends these items: Kernel.vips takes their queued request back itself. */
  claim(items: readonly T[]): void {
    if (this.queued?.items === items) this.queued = undefined;
  }

  /** After a pump: kept while its instance (`current`'s, not a reload's old one) waits on the same deadline. */
  follow(current: (name: string) => Instance | undefined): void {
    const q = this.queued;
    if (q === undefined) return;
    if (current(q.inst.name) === q.inst && q.inst.takeoverAt() === q.at) return;
    this.cancel();
  }

  /** Take back what is queued (a change, a reload, the stop); what the kernel added is undone. */
  cancel(): void {
    const q = this.queued;
    if (q === undefined) return;
    this.queued = undefined;
    const results = this.kernel.unqueueVips?.(q.items);
    if (results !== undefined) this.undo(q.inst.name, q.items, results);
  }
}
