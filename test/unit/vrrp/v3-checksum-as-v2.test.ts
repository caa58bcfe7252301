// keepalived 2.4's v3_checksum_as_v2 (global_defs and vrrp_instance; RFC 9568 5.2.8, the
// way Cisco and Juniper read RFC 5798 5.2.8): a VRRPv3/IPv4 advert's checksum covers the
// VRRP message only, no pseudo-header. keepalived 2.4.3's vrrp.c: vrrp_build_vrrp_v3
// leaves the pseudo-header out when sending, and vrrp_check_packet computes the sum but
// ignores it when receiving (both forms are taken, a damaged one too, and chk_err stays
// 0); without the flag a checksum without pseudo-header is "Invalid VRRPv3 checksum".
// A real router is fed adverts as bytes and its own adverts are checked byte by byte.
import { describe, expect, test } from "bun:test";
import { internetChecksum } from "../../../src/vrrp/checksum";
import { decodeAdvert, encodeAdvert } from "../../../src/vrrp/packet";
import type { VrrpRouter } from "../../../src/vrrp/router";
import type { Action } from "../../../src/vrrp/types";
import { GROUP, PEER, US, actionsOf, checksOver, ownAdvert, peerAdvert, routerOf } from "./router-bytes";

function router(keyword: string, global = "", version = 3, vrid = 7): VrrpRouter {
  return routerOf(
    `global_defs {\nvrrp_version ${version}\n${global}\n}\n` +
      `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id ${vrid}\npriority 150\nadvert_int 1\n` +
      `${keyword}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n}\n`,
  );
}

/** The peer's advert to the group, with the checksum keel would send (asV2: no pseudo-header). */
const advertFromPeer = (priority: number, asV2: boolean) =>
  peerAdvert({ priority, ...(asV2 ? { checksumAsV2: true as const } : {}) });

const rxErrors = (r: VrrpRouter): Action[] => actionsOf(r, "rx-error");
const withPseudo = (msg: Uint8Array) => checksOver(msg, GROUP);
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
    const data = peerAdvert({ version: 2, priority: 200 });
    data[20 + 6]! ^= 0x5a;
    r.handleAdvert({ ifname: "eth0", family: 4, data }, 1000);
    expect(rxErrors(r)).toMatchObject([{ code: "bad-checksum" }]);
  });
});

// Recorded 01:42 UTC 2026-12-06: keepalived 2.4.3 (built from the v2.4.3 tag) in two
// network namespaces on a veth pair, VRID 42, advert_int 1, VIP 192.0.2.42, vrrp_version 3;
// 10.77.0.1 priority 200 with v3_checksum_as_v2, 10.77.0.2 priority 100 without; tcpdump
// on 10.77.0.2's side. tshark's vrrp.v3_checksum_as_in_v2 preference: FALSE calls the
// first checksum bad and the second good, TRUE the other way round. What they did:
// 10.77.0.2 logged "(VI_1) Invalid VRRPv3 checksum from 10.77.0.1" and became MASTER
// too; 10.77.0.1 stayed MASTER, "Received advert from 10.77.0.2 with lower priority 100,
// ours 200, forcing new election" (the netns test checks keel does the same).
// the first IPv4 packet of each (the Ethernet header cut)
const FROM_24_WITH_FLAG = { src: "10.77.0.1", ip: "45c0002000010000ff70d04c0a4d0001e0000012312ac80100644445c000022a" };
const FROM_24_WITHOUT = { src: "10.77.0.2", ip: "45c0002000010000ff70d04b0a4d0002e0000012312a64010064bd67c000022a" };
const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const msgOf = (p: { ip: string }) => p.ip.slice(40);

describe("v3_checksum_as_v2: keepalived 2.4.3's bytes", () => {
  test("keel encodes what keepalived 2.4.3 sent, with and without the flag", () => {
    const advert = (priority: number) => ({
      version: 3 as const,
      type: 1 as const,
      vrid: 42,
      priority,
      family: 4 as const,
      advertIntCs: 100,
      authType: 0,
      addresses: ["192.0.2.42"],
    });
    const withFlag = encodeAdvert(advert(200), { src: FROM_24_WITH_FLAG.src, dst: GROUP, v3ChecksumAsV2: true });
    expect(Buffer.from(withFlag).toString("hex")).toBe(msgOf(FROM_24_WITH_FLAG));
    const without = encodeAdvert(advert(100), { src: FROM_24_WITHOUT.src, dst: GROUP });
    expect(Buffer.from(without).toString("hex")).toBe(msgOf(FROM_24_WITHOUT));
  });

  test("received as keepalived 2.4.3 took them: the flag takes both, no flag only the pseudo-header one", () => {
    const cases = [
      ["v3_checksum_as_v2", FROM_24_WITH_FLAG, []],
      ["v3_checksum_as_v2", FROM_24_WITHOUT, []],
      ["", FROM_24_WITH_FLAG, [{ code: "bad-checksum", message: expect.stringContaining("Invalid VRRPv3 checksum") }]],
      ["", FROM_24_WITHOUT, []],
    ] as const;
    for (const [keyword, p, errors] of cases) {
      const r = start(router(keyword, "", 3, 42));
      r.handleAdvert({ ifname: "eth0", family: 4, data: hex(p.ip) }, 1000);
      expect(rxErrors(r)).toMatchObject(errors as unknown as object[]);
      // taken ones are heard: the instance (priority 150) follows 200, and ignores 100 it would preempt
      const master = r.instances.get("VI_1")!.view().master;
      if (errors.length > 0) expect(master).toBeUndefined();
      else expect(master).toMatchObject({ address: p.src });
    }
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
