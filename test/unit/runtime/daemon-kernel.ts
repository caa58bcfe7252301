/**
 * The in-memory kernel the daemon tests drive: one SimKernel host (src/demo/sim-kernel.ts)
 * plus what it lacks for these tests, macvlan links (VMACs) on eth0, and a way to make a
 * chosen kernel call fail as the real one can (EBUSY on a link delete, EPERM on a socket):
 * as a KernelError value, as the Kernel interface returns failures.
 */
import type { Route, Rule, VirtualAddress } from "../../../src/config/vrrp/model";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import {
  type ChannelOptions,
  type IfAddress,
  type Kernel,
  type KernelError,
  type KernelEvent,
  type KernelResult,
  type Link,
  type VrrpChannel,
  kernelError,
} from "../../../src/runtime/kernel";

type Call = "deleteLink" | "openChannel" | "createVmac" | "addresses" | "vips";

export class TestKernel implements Kernel {
  readonly sim = new SimKernel({ name: "h1", segment: new SimSegment(), ipv4: "10.0.0.1", prefixLen: 24 });
  private readonly macvlans = new Map<number, Link & { parent: number }>();
  private macvlanAddrs: IfAddress[] = [];
  private nextIndex = 100;
  private readonly failures: { call: Call; match: (arg: string) => boolean; error: Error }[] = [];
  closed = false;

  /** Every later `call` whose argument (a link name, an ifname) matches fails with `error`. */
  failOn(call: Call, match: (arg: string) => boolean, error: Error): void {
    this.failures.push({ call, match, error });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  private check(call: Call, arg: string): KernelError | undefined {
    const f = this.failures.find((x) => x.call === call && x.match(arg));
    return f ? kernelError(call, f.error) : undefined;
  }

  private simLinks(): Link[] {
    const r = this.sim.links();
    return r.ok ? r.value : [];
  }

  links(): KernelResult<Link[]> {
    return { ok: true, value: [...this.simLinks(), ...[...this.macvlans.values()].map((l) => ({ ...l }))] };
  }

  addresses(): KernelResult<IfAddress[]> {
    const err = this.check("addresses", "");
    if (err) return { ok: false, error: err };
    const sim = this.sim.addresses();
    return { ok: true, value: [...(sim.ok ? sim.value : []), ...this.macvlanAddrs.map((a) => ({ ...a }))] };
  }

  linkByName(name: string): Link | undefined {
    const r = this.links();
    return r.ok ? r.value.find((l) => l.name === name) : undefined;
  }

  openChannel(o: ChannelOptions): KernelResult<VrrpChannel> {
    const err = this.check("openChannel", o.ifname);
    if (err) return { ok: false, error: err };
    const vmac = [...this.macvlans.values()].find((l) => l.name === o.ifname);
    if (!vmac) return this.sim.openChannel(o);
    // a macvlan sends on its parent's wire
    const parent = this.simLinks().find((l) => l.ifindex === vmac.parent)?.name ?? "eth0";
    const r = this.sim.openChannel({ ...o, ifname: parent });
    if (!r.ok) return r;
    const ch = r.value;
    const value: VrrpChannel = {
      ifname: o.ifname,
      family: o.family,
      send: (d, data) => ch.send(d, data),
      close: () => ch.close(),
    };
    return { ok: true, value };
  }

  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): KernelError | undefined {
    return this.vips(op, [{ address: a, ifindex }])[0];
  }

  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (KernelError | undefined)[] {
    const err = this.check("vips", op);
    if (err) return items.map(() => err);
    return items.map((it) => {
      if (!this.macvlans.has(it.ifindex)) return this.sim.vips(op, [it])[0];
      const same = (x: IfAddress) => x.ifindex === it.ifindex && x.address === it.address.address;
      this.macvlanAddrs = this.macvlanAddrs.filter((x) => !same(x));
      if (op === "add") {
        const family = it.address.address.includes(":") ? 6 : 4;
        this.macvlanAddrs.push({
          ifindex: it.ifindex,
          family,
          address: it.address.address,
          prefixLen: it.address.prefix,
          scope: 0,
          flags: 0,
        });
      }
      return undefined;
    });
  }

  route(op: "add" | "del", r: Route): KernelError | undefined {
    return this.sim.route(op, r);
  }

  rule(op: "add" | "del", r: Rule): KernelError | undefined {
    return this.sim.rule(op, r);
  }

  garp(ifname: string, address: string, family: 4 | 6): KernelError | undefined {
    if (this.linkByName(ifname)?.kind === "macvlan") return undefined;
    return this.sim.garp(ifname, address, family);
  }

  createVmac(name: string, link: number, mac: Uint8Array): KernelResult<number> {
    const err = this.check("createVmac", name);
    if (err) return { ok: false, error: err };
    if (this.linkByName(name))
      return { ok: false, error: { op: "create-vmac", code: "EEXIST", message: "File exists" } };
    const ifindex = this.nextIndex++;
    // a private macvlan on `link`, as netlink reports one (IFLA_LINK, IFLA_MACVLAN_MODE 1)
    this.macvlans.set(ifindex, { ifindex, name, up: false, kind: "macvlan", mac, parent: link, link, macvlanMode: 1 });
    return { ok: true, value: ifindex };
  }

  deleteLink(ifindex: number): KernelError | undefined {
    const l = this.macvlans.get(ifindex);
    const err = this.check("deleteLink", l?.name ?? String(ifindex));
    if (err) return err;
    if (!l) return this.sim.deleteLink(ifindex);
    this.macvlans.delete(ifindex);
    this.macvlanAddrs = this.macvlanAddrs.filter((a) => a.ifindex !== ifindex);
    return undefined;
  }

  setLinkUp(ifindex: number, up: boolean): KernelError | undefined {
    const l = this.macvlans.get(ifindex);
    if (!l) return this.sim.setLinkUp(ifindex, up);
    l.up = up;
    return undefined;
  }

  private readonly watchers = new Set<(e: KernelEvent) => void>();

  watch(onEvent: (e: KernelEvent) => void): KernelResult<() => void> {
    this.watchers.add(onEvent);
    const off = this.sim.watch(onEvent);
    const stop = () => {
      this.watchers.delete(onEvent);
      if (off.ok) off.value();
    };
    return { ok: true, value: stop };
  }

  /** A netlink event as it is, to the watchers, now (a malformed one makes a handler throw). */
  emit(e: KernelEvent): void {
    for (const w of [...this.watchers]) w(e);
  }

  /** netlink's ENOBUFS: the watchers are told to read the tables again */
  overrun(): void {
    for (const w of [...this.watchers]) w({ type: "overrun" });
  }

  close(): void {
    this.closed = true;
    this.sim.close();
  }
}
