// GARP/NA pacing in virtual time (src/vrrp/garp-pacer.ts, keepalived vrrp_arp.c and
// vrrp_scheduler.c vrrp_arp_thread): what leaves when, in which order.
import { expect, test } from "bun:test";
import { type GarpItem, GarpPacer, type GarpSend, paceRecords } from "../../../src/vrrp/garp-pacer";

const vips = (n: number, ifname = "eth0", base = 1) =>
  Array.from({ length: n }, (_, i) => `10.0.${base}.${i + 1}`).map((address) => ({ address, ifname }));

/** Run the pacer's queue to the end; every send with its virtual time. */
function drain(
  p: GarpPacer,
  first: GarpSend[],
  t0: number,
  live: (i: string, a: string) => boolean = () => true,
): [number, string][] {
  const out: [number, string][] = first.map((s) => [t0, s.address]);
  for (let guard = 0; guard < 10_000; guard++) {
    const at = p.pollTimeout();
    if (at === undefined) return out;
    for (const s of p.handleTimeout(at, live)) out.push([at, s.address]);
  }
  throw new Error("the queue never emptied");
}

const rank = (order: string[]) => (i: string) => order.indexOf(i);

test("without a delay record every address of every repeat leaves at once", () => {
  const p = new GarpPacer(rank(["VI_1"]));
  const items: GarpItem[] = vips(3).map((v) => ({ ...v, family: 4 }));
  const out = p.submit("VI_1", items, 5, 0);
  expect(out).toHaveLength(15);
  expect(p.pollTimeout()).toBeUndefined();
});

test("100 VIPs, 5 repeats, 10 ms: 101 ARPs, one per 10 ms, the first address twice (keepalived's pending flag)", () => {
  const record = { key: "if:eth0", garpMs: 10 };
  const p = new GarpPacer(rank(["VI_1"]));
  const items: GarpItem[] = vips(100).map((v) => ({ ...v, family: 4, record }));
  const first = p.submit("VI_1", items, 5, 1000);
  expect(first.map((s) => s.address)).toEqual(["10.0.1.1"]);
  expect(p.pending).toBe(100);
  const sends = drain(p, first, 1000);
  expect(sends.map(([, a]) => a)).toEqual(["10.0.1.1", ...items.map((i) => i.address)]);
  expect(sends.map(([t]) => t)).toEqual(Array.from({ length: 101 }, (_, i) => 1000 + 10 * i));
});

test("a second burst while the first still waits queues nothing twice and keeps list order", () => {
  const record = { key: "if:eth0", garpMs: 10 };
  const p = new GarpPacer(rank(["VI_1"]));
  const items: GarpItem[] = vips(5).map((v) => ({ ...v, family: 4, record }));
  const first = p.submit("VI_1", items, 1, 0);
  const t = p.pollTimeout() as number;
  const second = p.handleTimeout(t, () => true).map((s) => s.address);
  expect([...first, ...second.map((address) => ({ address }))].map((s) => s.address)).toEqual(["10.0.1.1", "10.0.1.2"]);
  // a new burst at 15 ms (3 still waiting): nothing leaves before 20 ms; each address
  // waits once, in list order, whatever the repeat count
  expect(p.submit("VI_1", items, 3, 15)).toEqual([]);
  expect(p.pending).toBe(5);
  const rest = drain(p, [], 15);
  expect(rest).toEqual([
    [20, "10.0.1.1"],
    [30, "10.0.1.2"],
    [40, "10.0.1.3"],
    [50, "10.0.1.4"],
    [60, "10.0.1.5"],
  ]);
});

test("a garp_group's interfaces share one spacing; instances take turns in configuration order", () => {
  const records = paceRecords([{ garpInterval: 0.02, interfaces: ["eth0", "eth1"] }], {
    garpInterval: 0,
    gnaInterval: 0,
  });
  const p = new GarpPacer(rank(["VI_A", "VI_B"]));
  const a: GarpItem[] = vips(3, "eth0", 1).map((v) => ({ ...v, family: 4, record: records("eth0") }));
  const b: GarpItem[] = vips(3, "eth1", 2).map((v) => ({ ...v, family: 4, record: records("eth1") }));
  // B becomes master first, A 1 ms later
  const sb = p.submit("VI_B", b, 1, 0);
  const sa = p.submit("VI_A", a, 1, 1);
  expect(sa).toEqual([]);
  const sends = [...drain(p, sb, 0)];
  // one frame per 20 ms across both interfaces; at each turn VI_A's queue is read first
  expect(sends.map(([t]) => t)).toEqual([0, 20, 40, 60, 80, 100]);
  expect(sends.map(([, x]) => x)).toEqual(["10.0.2.1", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.2", "10.0.2.3"]);
});

test("the global interval gives each interface its own record: two interfaces are paced side by side", () => {
  const records = paceRecords([], { garpInterval: 0.01, gnaInterval: 0 });
  const p = new GarpPacer(rank(["VI_A", "VI_B"]));
  const a: GarpItem[] = vips(2, "eth0", 1).map((v) => ({ ...v, family: 4, record: records("eth0") }));
  const b: GarpItem[] = vips(2, "eth1", 2).map((v) => ({ ...v, family: 4, record: records("eth1") }));
  const first = [...p.submit("VI_A", a, 1, 0), ...p.submit("VI_B", b, 1, 0)];
  expect(drain(p, first, 0)).toEqual([
    [0, "10.0.1.1"],
    [0, "10.0.2.1"],
    [10, "10.0.1.2"],
    [10, "10.0.2.2"],
  ]);
});

test("ARPs and NAs keep separate times: a gna_interval alone leaves the ARPs unpaced", () => {
  const records = paceRecords([{ gnaInterval: 0.05, interface: "eth0" }], { garpInterval: 0, gnaInterval: 0 });
  const p = new GarpPacer(rank(["VI_1"]));
  const items: GarpItem[] = [
    { address: "10.0.0.1", ifname: "eth0", family: 4, record: records("eth0") },
    { address: "10.0.0.2", ifname: "eth0", family: 4, record: records("eth0") },
    { address: "fd00::1", ifname: "eth0", family: 6, record: records("eth0") },
    { address: "fd00::2", ifname: "eth0", family: 6, record: records("eth0") },
  ];
  expect(drain(p, p.submit("VI_1", items, 1, 0), 0)).toEqual([
    [0, "10.0.0.1"],
    [0, "10.0.0.2"],
    [0, "fd00::1"],
    [50, "fd00::2"],
  ]);
});

test("an instance that left MASTER (or an address it no longer has) drops out of the queue", () => {
  const record = { key: "if:eth0", garpMs: 10 };
  const p = new GarpPacer(rank(["VI_1"]));
  const items: GarpItem[] = vips(4).map((v) => ({ ...v, family: 4, record }));
  const first = p.submit("VI_1", items, 1, 0);
  const sends = drain(p, first, 0, (_i, a) => a !== "10.0.1.3");
  expect(sends).toEqual([
    [0, "10.0.1.1"],
    [10, "10.0.1.2"],
    [20, "10.0.1.4"],
  ]);
  p.submit("VI_1", items, 1, 100);
  expect(p.pending).toBe(3);
  expect(p.handleTimeout(p.pollTimeout() as number, () => false)).toEqual([]);
  expect(p.pending).toBe(0);
  expect(p.pollTimeout()).toBeUndefined();
});

test("a timer that fires early sends nothing and keeps its deadline", () => {
  const record = { key: "if:eth0", garpMs: 10 };
  const p = new GarpPacer(rank(["VI_1"]));
  p.submit(
    "VI_1",
    vips(2).map((v) => ({ ...v, family: 4 as const, record })),
    1,
    0,
  );
  expect(p.handleTimeout(9.5, () => true)).toEqual([]);
  expect(p.pollTimeout()).toBe(10);
});

test("paceRecords: the first garp_group naming an interface wins; the global default covers the rest", () => {
  const r = paceRecords(
    [
      { garpInterval: 0.001, interface: "eth0" },
      { garpInterval: 0.5, interfaces: ["eth0", "eth1"] },
    ],
    { garpInterval: 0.002, gnaInterval: 0.003 },
  );
  expect(r("eth0")).toEqual({ key: "group:0", garpMs: 1, gnaMs: undefined });
  expect(r("eth1")).toEqual({ key: "group:1", garpMs: 500, gnaMs: undefined });
  expect(r("eth2")).toEqual({ key: "if:eth2", garpMs: 2, gnaMs: 3 });
  expect(r("eth2")).toBe(r("eth2"));
  expect(paceRecords([], { garpInterval: 0, gnaInterval: 0 })("eth0")).toBeUndefined();
});

test("the next gap counts from when a frame really left: a slow first sendto does not shorten it", () => {
  const record = { key: "if:eth0", garpMs: 20 };
  const p = new GarpPacer(rank(["VI_1"]));
  const [first] = p.submit(
    "VI_1",
    vips(2).map((v) => ({ ...v, family: 4 as const, record })),
    1,
    0,
  );
  // the first frame took 12 ms to leave (the socket was opened for it)
  p.sentAt(first as GarpSend, 12);
  expect(p.pollTimeout()).toBe(32);
  expect(p.handleTimeout(31, () => true)).toEqual([]);
  expect(p.handleTimeout(32, () => true).map((s) => s.address)).toEqual(["10.0.1.2"]);
});
