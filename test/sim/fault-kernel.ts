/**
 * A Kernel that fails on purpose: it wraps another Kernel (the in-memory SimKernel) and,
 * drawing from a seeded PRNG, makes any call go wrong the ways a real kernel call can:
 *
 * - `fail`: refused with no effect (ENOBUFS, EBUSY: the passing refusals rtnetlink and
 *   raw sockets give under memory pressure);
 * - `failAfter`: done, but reported failed (the netlink ack was lost, the caller cannot
 *   tell); for calls that yield something the thing made is undone again;
 * - `throw`: an exception instead of a value (an implementation bug: the interface
 *   promises values), half of the time before the effect and half after it;
 * - `lostEvent`: a netlink notification is lost and the watcher gets an overrun instead,
 *   as recvmsg on a full netlink socket reports ENOBUFS;
 * - `rxError`: a received datagram is lost with a receive error (socket buffer full).
 *
 * `calm()` sets every rate to 0: the kernel is perfect from then on. Every injected
 * fault is counted in `injected` by `op:kind`, so a test can show that it really
 * exercised each path.
 */
import type {
  ChannelOptions,
  IfAddress,
  Kernel,
  KernelError,
  KernelEvent,
  KernelResult,
  Link,
  RxDatagram,
  VrrpChannel,
} from "../../src/runtime/kernel";
import type { Route, Rule, VirtualAddress } from "../../src/config/vrrp/model";

export interface FaultRates {
  fail: number;
  failAfter: number;
  throw: number;
  lostEvent: number;
  rxError: number;
}

export const NO_FAULTS: FaultRates = { fail: 0, failAfter: 0, throw: 0, lostEvent: 0, rxError: 0 };

type Fate = "ok" | "fail" | "after" | "throw";

export interface FaultHooks {
  /** every send the driver attempts, before its fate is drawn (advert timing is the driver's) */
  onSend?(ifname: string, family: 4 | 6, data: Uint8Array): void;
  /** every datagram that reaches the driver */
  onReceive?(ifname: string, rx: RxDatagram): void;
  /** a VRRP socket the kernel refused to open */
  onOpenRefused?(ifname: string, family: 4 | 6): void;
  /** the clock `lastAt` is read on */
  now?(): number;
}

export class FaultKernel implements Kernel {
  rates: FaultRates;
  /** only calls whose op matches fail (a unit test aims at one call); undefined: all */
  only?: RegExp;
  readonly injected: Record<string, number> = {};
  /** when a fault was last injected, by `op:kind` */
  readonly lastAt: Record<string, number> = {};

  constructor(
    readonly inner: Kernel,
    private readonly rng: () => number,
    rates: FaultRates,
    private readonly hooks: FaultHooks = {},
  ) {
    this.rates = { ...rates };
  }

  calm(): void {
    this.rates = { ...NO_FAULTS };
  }

  links(): KernelResult<Link[]> {
    return this.result("links", () => this.inner.links());
  }

  addresses(): KernelResult<IfAddress[]> {
    return this.result("addresses", () => this.inner.addresses());
  }

  openChannel(o: ChannelOptions): KernelResult<VrrpChannel> {
    const opts: ChannelOptions = { ...o, onPacket: (rx) => this.receive(o, rx) };
    let r: KernelResult<VrrpChannel>;
    try {
      r = this.result(
        "open-channel",
        () => this.inner.openChannel(opts),
        (ch) => ch.close(),
      );
    } catch (e) {
      this.hooks.onOpenRefused?.(o.ifname, o.family);
      throw e;
    }
    if (!r.ok) this.hooks.onOpenRefused?.(o.ifname, o.family);
    return r.ok ? { ok: true, value: this.channel(r.value) } : r;
  }

  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): KernelError | undefined {
    return this.vips(op, [{ address: a, ifindex }])[0];
  }

  /** One fate per address, as a netlink batch answers each request on its own. */
  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (KernelError | undefined)[] {
    const name = `vip-${op}`;
    const fates = items.map(() => this.fate(name));
    const throwing = fates.includes("throw");
    if (throwing && this.rng() < 0.5) this.boom(name);
    const done = this.inner.vips(
      op,
      items.filter((_, i) => fates[i] !== "fail"),
    );
    let k = 0;
    const out = fates.map((f) => {
      if (f === "fail") return this.error(name);
      const r = done[k++];
      return f === "after" ? (r ?? this.error(name)) : r;
    });
    if (throwing) this.boom(name);
    return out;
  }

  route(op: "add" | "del", r: Route, ifindexOf: (name: string) => number | undefined): KernelError | undefined {
    return this.effect(`route-${op}`, () => this.inner.route(op, r, ifindexOf));
  }

  rule(op: "add" | "del", r: Rule): KernelError | undefined {
    return this.effect(`rule-${op}`, () => this.inner.rule(op, r));
  }

  garp(ifname: string, address: string, family: 4 | 6): KernelError | undefined {
    return this.effect("garp", () => this.inner.garp(ifname, address, family));
  }

  createVmac(name: string, link: number, mac: Uint8Array): KernelResult<number> {
    return this.result(
      "create-vmac",
      () => this.inner.createVmac(name, link, mac),
      (i) => this.inner.deleteLink(i),
    );
  }

  deleteLink(ifindex: number): KernelError | undefined {
    return this.effect("delete-link", () => this.inner.deleteLink(ifindex));
  }

  setLinkUp(ifindex: number, up: boolean): KernelError | undefined {
    return this.effect("set-link", () => this.inner.setLinkUp(ifindex, up));
  }

  watch(onEvent: (e: KernelEvent) => void): KernelResult<() => void> {
    const lossy = (e: KernelEvent) => {
      if (e.type !== "overrun" && this.rng() < this.rates.lostEvent) {
        this.count("event:lost");
        onEvent({ type: "overrun" });
        return;
      }
      onEvent(e);
    };
    return this.result(
      "watch",
      () => this.inner.watch(lossy),
      (stop) => stop(),
    );
  }

  close(): void {
    this.inner.close();
  }

  // ---------------------------------------------------------------------------

  private channel(ch: VrrpChannel): VrrpChannel {
    return {
      ifname: ch.ifname,
      family: ch.family,
      send: (dst, data) => {
        this.hooks.onSend?.(ch.ifname, ch.family, data);
        return this.effect("send", () => ch.send(dst, data));
      },
      close: () => ch.close(),
    };
  }

  private receive(o: ChannelOptions, rx: RxDatagram): void {
    if (this.rng() < this.rates.rxError) {
      this.count("receive:fail");
      o.onError(this.error("receive"));
      return;
    }
    this.hooks.onReceive?.(o.ifname, rx);
    o.onPacket(rx);
  }

  private fate(op: string): Fate {
    if (this.only && !this.only.test(op)) return "ok";
    const { fail, failAfter } = this.rates;
    const r = this.rng();
    const f: Fate =
      r < fail ? "fail" : r < fail + failAfter ? "after" : r < fail + failAfter + this.rates.throw ? "throw" : "ok";
    if (f !== "ok") this.count(`${op}:${f}`);
    return f;
  }

  /** A call made for its effect, through its fate. */
  private effect(op: string, fn: () => KernelError | undefined): KernelError | undefined {
    const f = this.fate(op);
    if (f === "fail") return this.error(op);
    if (f === "throw" && this.rng() < 0.5) this.boom(op);
    const err = fn();
    if (f === "throw") this.boom(op);
    return f === "after" ? (err ?? this.error(op)) : err;
  }

  /** A call that yields something, through its fate; `undo` takes back what a lost reply made. */
  private result<T>(op: string, fn: () => KernelResult<T>, undo?: (v: T) => void): KernelResult<T> {
    const f = this.fate(op);
    if (f === "fail") return { ok: false, error: this.error(op) };
    if (f === "throw" && this.rng() < 0.5) this.boom(op);
    const r = fn();
    if (f === "ok") return r;
    if (r.ok) undo?.(r.value);
    if (f === "throw") this.boom(op);
    return { ok: false, error: this.error(op) };
  }

  private error(op: string): KernelError {
    return { op, code: "ENOBUFS", errno: 105, message: `${op}: No buffer space available (injected)` };
  }

  private boom(op: string): never {
    throw new Error(`${op}: injected exception`);
  }

  private count(key: string): void {
    this.injected[key] = (this.injected[key] ?? 0) + 1;
    if (this.hooks.now) this.lastAt[key] = this.hooks.now();
  }
}
