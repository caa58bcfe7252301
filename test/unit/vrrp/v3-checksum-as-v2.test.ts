// keepalived 2.4's v3_checksum_as_v2 (global_defs and vrrp_instance; RFC 9568 5.2.8, the
// way Cisco and Juniper read RFC 5798 5.2.8): a VRRPv3/IPv4 advert's checksum covers the
// VRRP message only, no pseudo-header. keepalived 2.4.3's vrrp.c: vrrp_build_vrrp_v3
// leaves the pseudo-header out when sending, and vrrp_check_packet computes the sum but
// ignores it when receiving (both forms are taken, a damaged one too, and chk_err stays
// 0); without the flag a checksum without pseudo-header is "Invalid VRRPv3 checksum".
// A real router is fed adverts as bytes and its own adverts are checked byte by byte.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../src/base/ip";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { internetChecksum, ipv4PseudoHeader } from "../../../src/vrrp/checksum";
import { decodeAdvert } from "../../../src/vrrp/packet";
import { VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { Action } from "../../../src/vrrp/types";

const US = "10.0.0.5";
const PEER = "10.0.0.12";
const GROUP = "224.0.0.18";

function router(keyword: string, global = "", version = 3): VrrpRouter {
  const text =
    `global_defs {\nvrrp_version ${version}\n${global}\n}\n` +
    `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\npriority 100\nadvert_int 1\n` +
    `${keyword}\nvirtual_ipaddress {\n192.0.2.7/24\n}\n}\n`;
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return new VrrpRouter(r.config, { interfaceAddress: () => US });
}

/** The peer's advert to the group as IPv4 bytes, with the checksum keel would send (asV2: no pseudo-header). */
function advertFromPeer(priority: number, asV2: boolean): Uint8Array {
  const [pkt] = advertPackets(
    {
      instance: "peer",
      family: 4,
      version: 3,
      vrid: 7,
      priority,
      advertIntCs: 100,
      addresses: ["192.0.2.7"],
      destinations: [GROUP],
      unicast: false,
      ipId: 1,
      seq: 0,
      ...(asV2 ? { checksumAsV2: true as const } : {}),
    },
    PEER,
  );
  return (pkt as { data: Uint8Array }).data;
}

function rxErrors(r: VrrpRouter): Action[] {
  return r.pollActions().filter((a) => a.type === "rx-error");
}

/** Run until the instance sends an advert; return its VRRP message (IPv4 header cut). */
function ownAdvert(r: VrrpRouter, from: number): Uint8Array {
  for (let t = from; t < from + 10_000; t += 100) {
    r.handleTimeout(t);
    for (const a of r.pollActions())
      if (a.type === "send-advert") return (advertPackets(a.advert, US)[0] as { data: Uint8Array }).data.subarray(20);
  }
  throw new Error("no advert");
}

const withPseudo = (msg: Uint8Array) =>
  internetChecksum(ipv4PseudoHeader(parseIpv4(US)!, parseIpv4(GROUP)!, msg.length), msg) === 0;
const withoutPseudo = (msg: Uint8Array) => internetChecksum(msg) === 0;

describe("v3_checksum_as_v2: sending", () => {
  test("the instance's keyword: the checksum has no pseudo-header", () => {
    const r = router("v3_checksum_as_v2");
    r.start(0);
    const msg = ownAdvert(r, 0);
    expect(withoutPseudo(msg)).toBe(true);
    expect(withPseudo(msg)).toBe(false);
  });

  test("global_defs' keyword sets every instance; the instance's 'false' turns it off again", () => {
    expect(withoutPseudo(ownAdvert(start(router("", "v3_checksum_as_v2")), 0))).toBe(true);
    const off = ownAdvert(start(router("v3_checksum_as_v2 false", "v3_checksum_as_v2")), 0);
    expect(withPseudo(off)).toBe(true);
  });

  test("without it: RFC 5798's pseudo-header, as before", () => {
    const msg = ownAdvert(start(router("")), 0);
    expect(withPseudo(msg)).toBe(true);
    expect(withoutPseudo(msg)).toBe(false);
  });

  test("it overrides old_unicast_checksum (vrrp_build_vrrp_v3 builds no pseudo-header at all)", () => {
    const text = `v3_checksum_as_v2\nold_unicast_checksum\nunicast_src_ip ${US}\nunicast_peer {\n${PEER}\n}`;
    const msg = ownAdvert(start(router(text)), 0);
    expect(withoutPseudo(msg)).toBe(true);
  });

  test("VRRPv2 is untouched (its checksum never had a pseudo-header)", () => {
    const msg = ownAdvert(start(router("v3_checksum_as_v2", "", 2)), 0);
    expect(msg[0]! >> 4).toBe(2);
    expect(withoutPseudo(msg)).toBe(true);
  });
});

describe("v3_checksum_as_v2: receiving", () => {
  test("with it, both forms are taken and a wrong checksum too (keepalived ignores the sum); chk_err stays 0", () => {
    const r = start(router("v3_checksum_as_v2"));
    const inst = r.instances.get("VI_1")!;
    const damaged = advertFromPeer(200, true);
    damaged[20 + 6]! ^= 0x5a;
    for (const [at, data] of [
      [1000, advertFromPeer(200, true)],
      [1100, advertFromPeer(200, false)],
      [1200, damaged],
    ] as const) {
      r.handleAdvert({ ifname: "eth0", family: 4, data }, at);
      expect(rxErrors(r)).toEqual([]);
      // heard: the higher-priority master it follows, as of this advert
      expect(inst.view().master).toEqual({ address: PEER, priority: 200, heardAt: at });
    }
    expect(inst.stats.chk_err).toBe(0);
    expect(inst.state).toBe("BACKUP");
  });

  test("without it, an advert without pseudo-header is a checksum error (keepalived: Invalid VRRPv3 checksum)", () => {
    const r = start(router(""));
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(200, true) }, 1000);
    expect(rxErrors(r)).toMatchObject([{ code: "bad-checksum", instance: "VI_1" }]);
    expect(r.instances.get("VI_1")!.stats.chk_err).toBe(1);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(200, false) }, 1100);
    expect(rxErrors(r)).toEqual([]);
  });

  test("a VRRPv2 instance with it still checks its checksums", () => {
    const r = start(router("v3_checksum_as_v2", "", 2));
    const [pkt] = advertPackets(
      {
        instance: "peer",
        family: 4,
        version: 2,
        vrid: 7,
        priority: 200,
        advertIntCs: 100,
        addresses: ["192.0.2.7"],
        destinations: [GROUP],
        unicast: false,
        ipId: 1,
        seq: 0,
      },
      PEER,
    );
    const data = (pkt as { data: Uint8Array }).data;
    data[20 + 6]! ^= 0x5a;
    r.handleAdvert({ ifname: "eth0", family: 4, data }, 1000);
    expect(rxErrors(r)).toMatchObject([{ code: "bad-checksum" }]);
  });
});

describe("v3_checksum_as_v2: the codec", () => {
  test("encode without the pseudo-header, decode with or without checking", () => {
    const msg = advertFromPeer(100, true).subarray(20);
    const opts = { family: 4 as const, src: PEER, dst: GROUP };
    expect(decodeAdvert(msg, opts)).toMatchObject({ ok: false, error: { code: "bad-checksum" } });
    expect(decodeAdvert(msg, { ...opts, v3ChecksumAsV2: true })).toMatchObject({ ok: true, value: { priority: 100 } });
  });
});

function start(r: VrrpRouter): VrrpRouter {
  r.start(0);
  r.pollActions();
  return r;
}
