// VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527) against keepalived 2.2.7's own walk of the
// same keepalived.conf (test/fixtures/snmp/, captured by test/interop/snmp-reference.ts):
// keel's config from that text through keel's loader, its status from a real VrrpDriver
// (statusOf, as the daemon builds it) on the in-memory kernel in virtual time, host h1 with
// the lab's MAC, addresses and ifindex, host h2 the same peer config as in the lab.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { Event, Status } from "../../../src/control/protocol";
import { SimKernel, SimSegment } from "../../../src/demo/sim-kernel";
import { statusOf } from "../../../src/runtime/status";
import { VrrpDriver } from "../../../src/runtime/vrrp-driver";
import { configFromText } from "../../../src/simulate/segment";
import type { MibModule, SnmpSource } from "../../../src/snmp/mib";
import { compareOids, parseOid } from "../../../src/snmp/mib";
import { vrrpRfc2787 } from "../../../src/snmp/vrrp-rfc2787";
import { vrrpv3Rfc6527 } from "../../../src/snmp/vrrpv3-rfc6527";
import { FIXTURES, H1_LINK_LOCAL, H1_MAC, SUBTREES } from "../../interop/snmp-reference";
import { type WalkLine, firstRowPerColumn, normalise, parseWalk, walkLineOf } from "../../interop/snmp-reference-walk";
import { encodeIpv4Packet } from "../../../src/vrrp/ah";
import { encodeAdvert } from "../../../src/vrrp/packet";
import { VirtualTime } from "../../sim/fault-net";

const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

/**
 * h2 (the peer) first, h1 once h2 is MASTER, as the lab starts them; then 20 s of adverts.
 * `inject` then sends raw datagrams onto the segment from a third host (10.99.0.13).
 */
function source(name: string, inject?: (send: (ipPacket: Uint8Array) => void) => void): SnmpSource {
  const time = new VirtualTime(() => 0.5);
  const segment = new SimSegment({ defer: time.defer });
  const host = (node: string, conf: string, ipv4: string, mac?: Uint8Array, ipv6?: string) =>
    new VrrpDriver({
      config: configFromText(conf, node),
      kernel: new SimKernel({ name: node, segment, ipv4, prefixLen: 24, mac, ipv6 }),
      log: pino({ level: "silent" }),
      now: () => time.now,
      timers: time,
      reconcileMs: 1000,
    });
  const peer = host("h2", `global_defs {\n  router_id peer\n}\n${read(`${name}-peer.conf`)}`, "10.99.0.12");
  peer.start();
  time.runUntil(5_000, () => {});
  const conf = read(`${name}.conf`);
  const h1 = host("h1", conf, "10.99.0.11", H1_MAC, H1_LINK_LOCAL);
  h1.start();
  time.runUntil(25_000, () => {});
  if (inject) {
    const x = new SimKernel({ name: "x", segment, ipv4: "10.99.0.13", prefixLen: 24 });
    const opened = x.openChannel({
      family: 4,
      ifname: "eth0",
      proto: 112,
      groups: [],
      onPacket: () => {},
      onError: () => {},
    });
    if (!opened.ok) throw new Error(opened.error.message);
    inject((packet) => opened.value.send("224.0.0.18", packet));
    time.runUntil(25_100, () => {});
  }
  const status: Status = statusOf(h1, "/etc/keepalived/h1.conf", Date.now() - 20_000, new Map());
  return { config: configFromText(conf, "h1"), status, now: Date.now() };
}

const under = (root: string) => (l: WalkLine) => l.oid === root || l.oid.startsWith(`${root}.`);

function keelWalk(m: MibModule, s: SnmpSource): WalkLine[] {
  return m.varbinds(s).map(walkLineOf);
}

describe("VRRP MIBs against keepalived 2.2.7's walk (vrrp-mixed)", () => {
  const s = source("vrrp-mixed");
  const reference = parseWalk(read("vrrp-mixed.walk"));

  test("the instances are in the states the lab had", () => {
    const state = Object.fromEntries(s.status.instances.map((i) => [i.name, i.state]));
    expect(state).toMatchObject({ VI_1: "MASTER", VI_2: "BACKUP", VI_3: "MASTER", VI_4: "MASTER" });
  });

  test("RFC 2787: the same OIDs, types and values", () => {
    const ours = firstRowPerColumn(keelWalk(vrrpRfc2787, s));
    expect(normalise(ours)).toEqual(normalise(reference.filter(under(SUBTREES.rfc2787))));
  });

  test("RFC 6527: the same OIDs, types and values", () => {
    const ours = keelWalk(vrrpv3Rfc6527, s);
    expect(normalise(ours)).toEqual(normalise(reference.filter(under(SUBTREES.rfc6527))));
  });

  test("every row of RFC 2787 (keel serves what keepalived's GetNext skips), sorted", () => {
    const v = vrrpRfc2787.varbinds(s);
    for (let k = 1; k < v.length; k++) expect(compareOids(v[k - 1]!.oid, v[k]!.oid)).toBeLessThan(0);
    const state = v.filter((b) => b.oid.join(".").startsWith("1.3.6.1.2.1.68.1.3.1.3."));
    // VI_1 (VRID 51) MASTER, VI_2 (52) BACKUP; v3 and IPv6 instances are not in RFC 2787
    expect(state.map((b) => [b.oid.at(-1), b.value])).toEqual([
      [51, 3],
      [52, 2],
    ]);
    const master = v.find((b) => b.oid.join(".") === "1.3.6.1.2.1.68.1.3.1.7.2.52");
    expect(master?.value).toBe("10.99.0.12"); // the peer, heard
  });
});

describe("notifications", () => {
  const s = source("vrrp-mixed");
  const traps = (enableTraps: boolean): SnmpSource => ({
    ...s,
    config: { ...s.config, globalDefs: { ...s.config.globalDefs, enableTraps } },
  });
  const on = traps(true);
  const off = traps(false);
  const newMaster = (instance: string): Event => ({
    event: "transition",
    at: 0,
    instance,
    from: "BACKUP",
    to: "MASTER",
    reason: "master-down-timer",
  });

  test("nothing without enable_traps", () => {
    expect(vrrpRfc2787.notifications?.(newMaster("VI_1"), off)).toEqual([]);
    expect(vrrpv3Rfc6527.notifications?.(newMaster("VI_1"), off)).toEqual([]);
  });

  test("vrrpTrapNewMaster and vrrpv3NewMaster carry our address (and the reason)", () => {
    expect(vrrpRfc2787.notifications?.(newMaster("VI_1"), on)).toEqual([
      {
        trapOid: parseOid("1.3.6.1.2.1.68.0.1"),
        varbinds: [{ oid: parseOid("1.3.6.1.2.1.68.1.3.1.7.2.51"), type: "IpAddress", value: "10.99.0.11" }],
      },
    ]);
    const v3 = vrrpv3Rfc6527.notifications?.(newMaster("VI_4"), on) ?? [];
    expect(v3.map((n) => n.trapOid.join("."))).toEqual(["1.3.6.1.2.1.207.0.1"]);
    expect(v3[0]!.varbinds.map((b) => walkLineOf(b))).toEqual([
      {
        oid: "1.3.6.1.2.1.207.1.1.1.1.3.2.54.2",
        type: "Hex-STRING",
        value: "FE 80 00 00 00 00 00 00 00 99 00 FF FE 00 00 0B",
      },
      { oid: "1.3.6.1.2.1.207.1.2.5.1.2.2.54.2", type: "INTEGER", value: "3" },
    ]);
    // a VRRPv3 instance is not in RFC 2787; an instance without VIPs is in neither
    expect(vrrpRfc2787.notifications?.(newMaster("VI_3"), on)).toEqual([]);
    expect(vrrpv3Rfc6527.notifications?.(newMaster("VI_5"), on)).toEqual([]);
  });

  test("vrrpTrapAuthFailure and vrrpv3ProtoError from rejected packets", () => {
    const rx = (code: string): Event => ({ event: "rx-error", at: 0, instance: "VI_2", from: "10.99.0.66", code });
    expect(vrrpRfc2787.notifications?.(rx("auth-failure"), on)).toEqual([
      {
        trapOid: parseOid("1.3.6.1.2.1.68.0.2"),
        varbinds: [
          { oid: parseOid("1.3.6.1.2.1.68.1.5.2.52"), type: "IpAddress", value: "10.99.0.66" },
          { oid: parseOid("1.3.6.1.2.1.68.1.6.2.52"), type: "Integer", value: 3 },
        ],
      },
    ]);
    expect(vrrpv3Rfc6527.notifications?.(rx("bad-ttl"), on)).toEqual([
      {
        trapOid: parseOid("1.3.6.1.2.1.207.0.2"),
        varbinds: [{ oid: parseOid("1.3.6.1.2.1.207.1.2.5.1.6.2.52.1"), type: "Integer", value: 1 }],
      },
    ]);
    // a TTL error is no auth failure, an auth failure no protocol error
    expect(vrrpRfc2787.notifications?.(rx("bad-ttl"), on)).toEqual([]);
    expect(vrrpv3Rfc6527.notifications?.(rx("auth-failure"), on)).toEqual([]);
  });
});

describe("vrrpv3StatisticsProtoErrReason: the last protocol error", () => {
  /** a VRRPv3 advert for VI_3 (VRID 53) from 10.99.0.13 with IPv4 TTL `ttl` (RFC 5798 7.1 wants 255) */
  const advert = (ttl: number) => {
    const vrrp = encodeAdvert(
      {
        version: 3,
        type: 1,
        vrid: 53,
        priority: 200,
        family: 4,
        advertIntCs: 50,
        authType: 0,
        addresses: ["10.99.0.103"],
      },
      { src: "10.99.0.13", dst: "224.0.0.18" },
    );
    return encodeIpv4Packet({ src: "10.99.0.13", dst: "224.0.0.18", id: 1, payload: vrrp, ttl });
  };
  const reason = (s: SnmpSource) =>
    vrrpv3Rfc6527.varbinds(s).find((b) => b.oid.join(".") === "1.3.6.1.2.1.207.1.2.5.1.6.2.53.1")?.value;

  test("noError (0) before any, ipTtlError (1) after an advert with TTL 64", () => {
    expect(reason(source("vrrp-mixed"))).toBe(0);
    const s = source("vrrp-mixed", (send) => send(advert(64)));
    expect(s.status.instances.find((i) => i.name === "VI_3")?.protoError).toBe("bad-ttl");
    expect(reason(s)).toBe(1);
  });
});
