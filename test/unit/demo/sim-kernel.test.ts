// The in-memory Kernel: what a raw socket and netlink would do, on one segment.
import { describe, expect, test } from "bun:test";
import type { ChannelOptions, KernelError, KernelEvent, RxDatagram } from "../../../src/runtime/kernel";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { decodeReceived } from "../../../src/vrrp/receive";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { AdvertOut } from "../../../src/vrrp/types";

const tick = () => new Promise((r) => setTimeout(r, 0));

function host(segment: SimSegment, n: number): SimKernel {
  return new SimKernel({ name: `h${n}`, segment, ipv4: `10.213.7.${10 + n}`, prefixLen: 24 });
}

function listen(
  k: SimKernel,
  o: Partial<ChannelOptions> = {},
): { got: RxDatagram[]; close: () => void; send: (dst: string, d: Uint8Array) => void } {
  const got: RxDatagram[] = [];
  const onError = (e: KernelError) => {
    throw new Error(e.message);
  };
  const r = k.openChannel({
    family: 4,
    ifname: "eth0",
    proto: 112,
    groups: ["224.0.0.18"],
    onPacket: (rx) => got.push(rx),
    onError,
    ...o,
  });
  if (!r.ok) throw new Error(r.error.message);
  const ch = r.value;
  return { got, close: () => ch.close(), send: (dst, d) => ch.send(dst, d) };
}

const advert = (priority: number): AdvertOut =>
  ({
    instance: "VI_1",
    family: 4,
    version: 3,
    vrid: 51,
    priority,
    advertIntCs: 100,
    addresses: ["10.213.7.100"],
    destinations: ["224.0.0.18"],
    ipId: 0,
    seq: 0,
    unicast: false,
  }) as unknown as AdvertOut;

describe("SimKernel", () => {
  test("a multicast advert reaches the other hosts with its IPv4 header (TTL 255), not the sender", async () => {
    const seg = new SimSegment();
    const [a, b, c] = [host(seg, 1), host(seg, 2), host(seg, 3)];
    const [la, lb, lc] = [listen(a), listen(b), listen(c)];
    const [pkt] = advertPackets(advert(150), "10.213.7.11");
    if (!pkt) throw new Error("no packet");
    la.send(pkt.dst, pkt.data);
    expect(lb.got.length).toBe(0); // delivered later, never inside the sender's call
    await tick();
    expect(la.got.length).toBe(0);
    expect(lb.got.length).toBe(1);
    expect(lc.got.length).toBe(1);
    const rx = lb.got[0] as RxDatagram;
    expect(rx.ifindex).toBe(b.linkByName("eth0")?.ifindex as number);
    expect(rx.data[0]).toBe(0x45);
    expect(rx.data[8]).toBe(255);
    const d = decodeReceived({ ifname: "eth0", family: 4, data: rx.data });
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.value.from).toBe("10.213.7.11");
      expect(d.value.ttl).toBe(255);
      expect(d.value.priority).toBe(150);
    }
  });

  test("the kernel fixes the header checksum and length (IP_HDRINCL)", async () => {
    const seg = new SimSegment();
    const [a, b] = [host(seg, 1), host(seg, 2)];
    const la = listen(a);
    const lb = listen(b);
    const [pkt] = advertPackets(advert(100), "10.213.7.11");
    if (!pkt) throw new Error("no packet");
    const broken = pkt.data.slice();
    broken[10] = 0;
    broken[11] = 0;
    broken[3] = 0;
    la.send(pkt.dst, broken);
    await tick();
    expect(decodeReceived({ ifname: "eth0", family: 4, data: lb.got[0]?.data ?? new Uint8Array() }).ok).toBe(true);
    expect(la.send("224.0.0.18", new Uint8Array([0x60, 0, 0]))).toMatchObject({ op: "send", code: "EINVAL" });
  });

  test("groups, protocols and unicast addresses select the receivers", async () => {
    const seg = new SimSegment();
    const [a, b, c] = [host(seg, 1), host(seg, 2), host(seg, 3)];
    const la = listen(a);
    const lb = listen(b, { groups: [] });
    const lc = listen(c, { proto: 51 });
    const [pkt] = advertPackets(advert(100), "10.213.7.11");
    if (!pkt) throw new Error("no packet");
    la.send("224.0.0.18", pkt.data);
    await tick();
    expect(lb.got.length + lc.got.length).toBe(0);
    la.send("10.213.7.12", pkt.data);
    await tick();
    expect(lb.got.length).toBe(1);
    expect(lc.got.length).toBe(0);
  });

  test("a down link neither sends nor receives, and netlink reports it", async () => {
    const seg = new SimSegment();
    const [a, b] = [host(seg, 1), host(seg, 2)];
    const la = listen(a);
    const lb = listen(b);
    const events: KernelEvent[] = [];
    b.watch((e) => events.push(e));
    b.setLink("eth0", false);
    expect(events.length).toBe(0); // asynchronous, as netlink
    await tick();
    expect(events).toEqual([
      { type: "link", action: "new", link: expect.objectContaining({ name: "eth0", up: false }) },
    ]);
    const [pkt] = advertPackets(advert(100), "10.213.7.11");
    if (!pkt) throw new Error("no packet");
    la.send(pkt.dst, pkt.data);
    await tick();
    expect(lb.got.length).toBe(0);
    expect(lb.send(pkt.dst, pkt.data)).toMatchObject({ op: "send", code: "ENETDOWN" });
  });

  test("VIPs: added as secondary in the subnet, reported, removed; a crashed host keeps them", async () => {
    const seg = new SimSegment();
    const a = host(seg, 1);
    const events: KernelEvent[] = [];
    a.watch((e) => events.push(e));
    const vip = { address: "10.213.7.100", prefix: 24, family: 4 } as never;
    expect(a.vips("add", [{ address: vip, ifindex: 2 }])).toEqual([undefined]);
    expect(a.vip("add", vip, 2)).toBeUndefined(); // EEXIST is fine
    expect(a.addressesOn("eth0")).toContain("10.213.7.100/24");
    const table = a.addresses();
    expect(table.ok && table.value.find((x) => x.address === "10.213.7.100")?.flags).toBe(1);
    await tick();
    expect(events.map((e) => e.type === "addr" && e.action)).toEqual(["new"]);
    a.crash();
    a.vip("del", vip, 2);
    expect(a.addressesOn("eth0")).toContain("10.213.7.100/24");
    a.revive();
    a.vip("del", vip, 2);
    expect(a.addressesOn("eth0")).not.toContain("10.213.7.100/24");
    expect(a.createVmac("vrrp.51")).toMatchObject({ ok: false, error: { op: "create-vmac" } });
  });
});
