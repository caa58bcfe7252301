/**
 * The in-memory kernel the daemon tests drive: one SimKernel host (src/demo/sim-kernel.ts)
 * plus what it lacks for these tests, macvlan links (VMACs) on eth0, and a way to make a
 * chosen kernel call fail as the real one can (EBUSY on a link delete, EPERM on a socket).
 */
import type { Route, Rule, VirtualAddress } from "../../../src/config/vrrp/model";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import type { ChannelOptions, IfAddress, Kernel, KernelEvent, Link, VrrpChannel } from "../../../src/runtime/kernel";

type Call = "deleteLink" | "openChannel" | "createVmac" | "addresses" | "vips";

export class TestKernel implements Kernel {
  readonly sim = new SimKernel({ name: "h1", segment: new SimSegment(), ipv4: "10.0.0.1", prefixLen: 24 });
  private readonly macvlans = new Map<number, Link & { parent: number }>();
  private macvlanAddrs: IfAddress[] = [];
  private nextIndex = 100;
  private readonly failures: { call: Call; match: (arg: string) => boolean; error: Error }[] = [];
  closed = false;

  /** Every later `call` whose argument (a link name, an ifname) matches throws `error`. */
  failOn(call: Call, match: (arg: string) => boolean, error: Error): void {
    this.failures.push({ call, match, error });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  private check(call: Call, arg: string): void {
    const f = this.failures.find((x) => x.call === call && x.match(arg));
    if (f) throw f.error;
  }

  links(): Link[] {
    return [...this.sim.links(), ...[...this.macvlans.values()].map((l) => ({ ...l }))];
  }

  addresses(): IfAddress[] {
    this.check("addresses", "");
    return [...this.sim.addresses(), ...this.macvlanAddrs.map((a) => ({ ...a }))];
  }

  linkByName(name: string): Link | undefined {
    return this.links().find((l) => l.name === name);
  }

  openChannel(o: ChannelOptions): VrrpChannel {
    this.check("openChannel", o.ifname);
    const vmac = [...this.macvlans.values()].find((l) => l.name === o.ifname);
    if (!vmac) return this.sim.openChannel(o);
    // a macvlan sends on its parent's wire
    const parent = this.sim.links().find((l) => l.ifindex === vmac.parent)?.name ?? "eth0";
    const ch = this.sim.openChannel({ ...o, ifname: parent });
    return { ifname: o.ifname, family: o.family, send: (d, data) => ch.send(d, data), close: () => ch.close() };
  }

  vip(op: "add" | "del", a: VirtualAddress, ifindex: number): string | undefined {
    return this.vips(op, [{ address: a, ifindex }])[0];
  }

  vips(op: "add" | "del", items: { address: VirtualAddress; ifindex: number }[]): (string | undefined)[] {
    this.check("vips", op);
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

  route(op: "add" | "del", r: Route): string | undefined {
    return this.sim.route(op, r);
  }

  rule(op: "add" | "del", r: Rule): string | undefined {
    return this.sim.rule(op, r);
  }

  garp(ifname: string, address: string, family: 4 | 6): string | undefined {
    if (this.linkByName(ifname)?.kind === "macvlan") return undefined;
    return this.sim.garp(ifname, address, family);
  }

  createVmac(name: string, link: number, mac: Uint8Array): number {
    this.check("createVmac", name);
    if (this.linkByName(name)) throw Object.assign(new Error("File exists"), { code: "EEXIST" });
    const ifindex = this.nextIndex++;
    this.macvlans.set(ifindex, { ifindex, name, up: false, kind: "macvlan", mac, parent: link });
    return ifindex;
  }

  deleteLink(ifindex: number): void {
    const l = this.macvlans.get(ifindex);
    this.check("deleteLink", l?.name ?? String(ifindex));
    if (!l) {
      this.sim.deleteLink(ifindex);
      return;
    }
    this.macvlans.delete(ifindex);
    this.macvlanAddrs = this.macvlanAddrs.filter((a) => a.ifindex !== ifindex);
  }

  setLinkUp(ifindex: number, up: boolean): void {
    const l = this.macvlans.get(ifindex);
    if (l) l.up = up;
    else this.sim.setLinkUp(ifindex, up);
  }

  private readonly watchers = new Set<(e: KernelEvent) => void>();

  watch(onEvent: (e: KernelEvent) => void): () => void {
    this.watchers.add(onEvent);
    const off = this.sim.watch(onEvent);
    return () => {
      this.watchers.delete(onEvent);
      off();
    };
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
