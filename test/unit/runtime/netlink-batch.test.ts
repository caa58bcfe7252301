// Issue 20: address events are read in batches, as netlink delivers them. The kernel queues
// the notification of a VIP the driver adds or removes before it acknowledges the request,
// but the driver reads it only at the monitor's next wake-up. A 1,000-instance backup that
// left MASTER and took it again before the wake-up read its 1,000 RTM_DELADDR one at a
// time and, after each, "restored" every VIP whose RTM_NEWADDR was still queued behind
// them (10^5 netlink requests; its VRRP sockets overflowed and the instances flapped).
// Here a kernel holds the notifications as a netlink socket's queue does (QueuedKernel),
// in virtual time: the counts are exact, and nothing waits on a clock.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { Kernel, KernelEvent, WatchOptions } from "../../../src/runtime/kernel";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { encodeIpv4Packet } from "../../../src/vrrp/ah";
import { encodeAdvert } from "../../../src/vrrp/packet";
import { VirtualTime } from "../../sim/fault-net";
import { configFromText, globalDefs, vrrpInstance } from "../../sim/harness";

const N = 40;

/**
 * A SimKernel whose netlink notifications wait in a queue until read: at a wake-up
 * (`wake`, the SIGIO of the real monitor) or when the driver asks (`readEvents`), then
 * `onIdle`, as native-bindings/netlink/monitor.ts delivers them. VIP requests are
 * counted per address.
 */
class QueuedKernel implements Kernel {
  readonly queue: KernelEvent[] = [];
  adds = 0;
  private watcher?: { onEvent: (e: KernelEvent) => void; o?: WatchOptions };
  private reading = false;

  private readonly k: Kernel;

  constructor(sim: SimKernel) {
    this.k = sim;
    sim.watch((e) => this.queue.push(e));
  }

  links = () => this.k.links();
  addresses = () => this.k.addresses();
  openChannel: Kernel["openChannel"] = (o) => this.k.openChannel(o);
  vip: Kernel["vip"] = (op, a, ifindex) => {
    if (op === "add") this.adds++;
    return this.k.vip(op, a, ifindex);
  };
  vips: Kernel["vips"] = (op, items) => {
    if (op === "add") this.adds += items.length;
    return this.k.vips(op, items);
  };
  route: Kernel["route"] = (op, r, ifindexOf) => this.k.route(op, r, ifindexOf);
  rule: Kernel["rule"] = (op, r) => this.k.rule(op, r);
  garp: Kernel["garp"] = (ifname, address, family) => this.k.garp(ifname, address, family);
  createVmac: Kernel["createVmac"] = (name, link, mac, master) => this.k.createVmac(name, link, mac, master);
  deleteLink: Kernel["deleteLink"] = (ifindex) => this.k.deleteLink(ifindex);
  setLinkUp: Kernel["setLinkUp"] = (ifindex, up) => this.k.setLinkUp(ifindex, up);
  close = () => this.k.close();

  watch(onEvent: (e: KernelEvent) => void, o?: WatchOptions) {
    this.watcher = { onEvent, o };
    const stop = () => {
      this.watcher = undefined;
    };
    return { ok: true as const, value: stop };
  }

  readEvents(): undefined {
    const w = this.watcher;
    if (!w || this.reading) return;
    this.reading = true;
    let n = 0;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift(), n++) w.onEvent(e);
    } finally {
      this.reading = false;
    }
    if (n > 0) w.o?.onIdle?.();
    return undefined;
  }

  /** the monitor's SIGIO */
  wake(): void {
    this.readEvents();
  }
}

/** A v3 advert for `vrid` at priority 200 from the peer: the instance leaves MASTER. */
function advert(vrid: number): Uint8Array {
  const src = "10.0.0.2";
  const vrrp = encodeAdvert(
    {
      version: 3,
      type: 1,
      vrid,
      priority: 200,
      family: 4,
      advertIntCs: 100,
      authType: 0,
      addresses: [`192.168.1.${vrid}`],
    },
    { src, dst: "224.0.0.18" },
  );
  return encodeIpv4Packet({ src, dst: "224.0.0.18", id: vrid, payload: vrrp, ttl: 255 });
}

describe("address events read in batches (issue 20)", () => {
  test(`${N} instances leave MASTER and take it again before a wake-up: no VIP is re-added`, () => {
    const time = new VirtualTime(() => 0.5);
    const segment = new SimSegment({ defer: time.defer });
    const sim = new SimKernel({ name: "h1", segment, ipv4: "10.0.0.1", prefixLen: 24 });
    const peer = new SimKernel({ name: "h2", segment, ipv4: "10.0.0.2", prefixLen: 24 });
    const k = new QueuedKernel(sim);
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => void lines.push(s) });
    const blocks = Array.from({ length: N }, (_, i) =>
      vrrpInstance({ name: `VI_${i + 1}`, vrid: i + 1, priority: 100 }),
    );
    const config = configFromText(`${globalDefs(3)}\n${blocks.join("\n")}`, "h1");
    const driver = new VrrpDriver({ config, kernel: k, log, now: () => time.now, timers: time, reconcileMs: 1000 });
    const run = (ms: number) => time.runUntil(time.now + ms, () => {});
    const masters = () => [...Array(N).keys()].filter((i) => driver.instance(`VI_${i + 1}`)?.state === "MASTER").length;
    driver.start();
    // the tables are read: the first reconcile pass starts the engine
    run(1_100);
    k.wake();
    run(4_000); // Master_Down_Interval (3 × 1 s + skew): every instance MASTER, its VIP added
    expect(masters()).toBe(N);
    k.wake();
    expect(k.adds).toBe(N);
    const opened = peer.openChannel({ family: 4, ifname: "eth0", proto: 112, groups: [], onPacket() {}, onError() {} });
    if (!opened.ok) throw new Error(opened.error.message);
    for (let v = 1; v <= N; v++) opened.value.send("224.0.0.18", advert(v));
    run(50);
    expect(masters()).toBe(0);
    // no more adverts: MASTER again after Master_Down_Interval; the RTM_DELADDRs of the
    // first release and the RTM_NEWADDRs of this take-over are both still queued when a
    // wake-up comes, unless a VIP check read them first
    run(4_000);
    expect(masters()).toBe(N);
    k.wake();
    run(3_000); // reconcile passes
    k.wake();
    const restored = lines.filter((l) => l.includes("restored"));
    expect(restored).toEqual([]);
    expect(k.adds).toBe(2 * N);
    // the table the driver acts on is the kernel's: every VIP there, once
    const table = sim.addresses();
    expect(table.ok ? table.value.filter((a) => a.address.startsWith("192.168.1.")).length : -1).toBe(N);
    driver.stop();
    sim.close();
    peer.close();
  });
});
