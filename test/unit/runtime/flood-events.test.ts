// The VRRP driver's control-socket events under a flood of bad packets: one rx-error
// event per (instance, code, sender) per second carrying a count, not one per packet
// (17-19k per flood got an actively reading subscriber dropped). A VrrpDriver on the
// in-memory kernel, with a virtual clock: the counts are exact.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Event } from "../../../src/control/protocol";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { RxErrorEvents } from "../../../src/runtime/rx-error-events";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { encodeIpv4Packet } from "../../../src/vrrp/ah";
import { encodeAdvert } from "../../../src/vrrp/packet";

const CONF = [
  "global_defs {\n  vrrp_version 3\n}",
  "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 150",
  "  virtual_ipaddress {\n    10.213.7.100/32\n  }\n}\n",
].join("\n");

function config() {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": CONF }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return r.config;
}

/** A v3 advert from `src` for VRID 51, with the given TTL (255 is valid). */
function packet(src: string, ttl: number): Uint8Array {
  const vrrp = encodeAdvert(
    {
      version: 3,
      type: 1,
      vrid: 51,
      priority: 200,
      family: 4,
      advertIntCs: 100,
      authType: 0,
      addresses: ["10.213.7.100"],
    },
    { src, dst: "224.0.0.18" },
  );
  return encodeIpv4Packet({ src, dst: "224.0.0.18", id: 1, payload: vrrp, ttl });
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("rx-error events under a flood", () => {
  test("10,000 packets with a bad TTL from two senders: two events per sender, counts adding up", async () => {
    const seg = new SimSegment();
    const k1 = new SimKernel({ name: "h1", segment: seg, ipv4: "10.213.7.11", prefixLen: 24 });
    const k2 = new SimKernel({ name: "h2", segment: seg, ipv4: "10.213.7.12", prefixLen: 24 });
    let clock = 0;
    const events: Event[] = [];
    const driver = new VrrpDriver({
      config: config(),
      kernel: k1,
      log: pino({ level: "silent" }),
      now: () => clock,
      onEvent: (e) => events.push(e),
    });
    driver.start();
    const opened = k2.openChannel({
      family: 4,
      ifname: "eth0",
      proto: 112,
      groups: [],
      onPacket: () => {},
      onError: () => {},
    });
    if (!opened.ok) throw new Error(opened.error.message);
    const flooder = opened.value;
    const bad = { a: packet("10.213.7.12", 64), b: packet("10.213.7.13", 64) };
    for (let i = 0; i < 10_000; i++) {
      // 50 µs apart in virtual time: the whole flood fits in half of one window
      clock += 0.05;
      flooder.send("224.0.0.18", i % 2 === 0 ? bad.a : bad.b);
      if (i % 500 === 0) await settle();
    }
    await settle();
    expect(driver.instance("VI_1")?.stats.ip_ttl_err).toBe(10_000);
    driver.stop(); // reports what is still pending
    const rx = events.filter((e): e is Extract<Event, { event: "rx-error" }> => e.event === "rx-error");
    // per sender: the first packet at once, the other 4,999 in one event
    expect(rx.map((e) => [e.from, e.code, e.count])).toEqual([
      ["10.213.7.12", "bad-ttl", 1],
      ["10.213.7.13", "bad-ttl", 1],
      ["10.213.7.12", "bad-ttl", 4_999],
      ["10.213.7.13", "bad-ttl", 4_999],
    ]);
    k1.close();
    k2.close();
  });

  test("RxErrorEvents: one event per kind per window; senders beyond the limit fold into '*'", async () => {
    let clock = 0;
    const got: [string, number][] = [];
    const agg = new RxErrorEvents(
      (e) => got.push([e.from, e.count ?? 1]),
      () => clock,
      1_000,
      2,
    );
    for (let i = 0; i < 100; i++) agg.add({ instance: "VI_1", from: `10.0.0.${i}`, code: "bad-ttl" });
    // two kinds tracked, every other sender in the "*" kind: its first at once, the rest pending
    expect(got).toEqual([
      ["10.0.0.0", 1],
      ["10.0.0.1", 1],
      ["*", 1],
    ]);
    clock = 1_000;
    await new Promise((r) => setTimeout(r, 1_100)); // the window's own timer, in real time
    expect(got.slice(3)).toEqual([["*", 97]]);
    agg.flush();
  });
});
