// keepalived's old VRRPv3 unicast checksum (vrrp.c with _WITH_UNICAST_CHKSUM_COMPAT_, as
// Debian's 2.2.7 is built: "OLD_CHKSUM_COMPAT"): the pseudo-header's destination is the
// IPv4 multicast group (global vrrp_mcast_group4) instead of the packet's. A real router
// is fed adverts as bytes and its own adverts are checked byte by byte:
// - `old_unicast_checksum`: sends the old checksum, takes only the old one;
// - no keyword: sends the new one; a unicast advert that checks only the old way is taken
//   and switches the instance (keepalived "Setting unicast VRRPv3 checksum to old version");
// - `old_unicast_checksum never`: the new one only, never a switch.
import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../src/base/ip";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { internetChecksum, ipv4PseudoHeader } from "../../../src/vrrp/checksum";
import { VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { Action } from "../../../src/vrrp/types";

const US = "10.0.0.5";
const PEER = "10.0.0.12";

function router(keyword: string, global = ""): VrrpRouter {
  const text =
    `global_defs {\nvrrp_version 3\n${global}}\n` +
    `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\npriority 100\nadvert_int 1\n` +
    `unicast_src_ip ${US}\nunicast_peer {\n${PEER}\n}\n${keyword}\nvirtual_ipaddress {\n192.0.2.7/24\n}\n}\n`;
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return new VrrpRouter(r.config, { interfaceAddress: () => US });
}

/** The peer's advert to us as IPv4 bytes, its checksum over `checksumDst` (undefined: the new way). */
function advertFromPeer(priority: number, checksumDst?: string): Uint8Array {
  const [pkt] = advertPackets(
    {
      instance: "peer",
      family: 4,
      version: 3,
      vrid: 7,
      priority,
      advertIntCs: 100,
      addresses: ["192.0.2.7"],
      destinations: [US],
      unicast: true,
      ipId: 1,
      seq: 0,
      checksumDst,
    },
    PEER,
  );
  return (pkt as { data: Uint8Array }).data;
}

function actions(r: VrrpRouter, type: Action["type"]): Action[] {
  return r.pollActions().filter((a) => a.type === type);
}

/** Run until the instance sends an advert; return its VRRP message as sent to PEER. */
function ownAdvert(r: VrrpRouter, from: number): Uint8Array {
  for (let t = from; t < from + 10_000; t += 100) {
    r.handleTimeout(t);
    for (const a of r.pollActions())
      if (a.type === "send-advert") return (advertPackets(a.advert, US)[0] as { data: Uint8Array }).data.subarray(20);
  }
  throw new Error("no advert");
}

/** Is `msg`'s checksum right over the pseudo-header with destination `dst`? */
const checksOver = (msg: Uint8Array, dst: string) =>
  internetChecksum(ipv4PseudoHeader(parseIpv4(US)!, parseIpv4(dst)!, msg.length), msg) === 0;

describe("old_unicast_checksum", () => {
  test("the keyword: adverts carry the old checksum, and only old ones are taken", () => {
    const r = router("old_unicast_checksum");
    r.start(0);
    const msg = ownAdvert(r, 0);
    expect(checksOver(msg, "224.0.0.18")).toBe(true);
    expect(checksOver(msg, PEER)).toBe(false);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(200, "224.0.0.18") }, 5000);
    expect(actions(r, "rx-error")).toEqual([]);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(200) }, 5100);
    expect(actions(r, "rx-error")).toMatchObject([{ code: "bad-checksum", instance: "VI_1" }]);
  });

  test("the old pseudo-header holds global vrrp_mcast_group4", () => {
    const r = router("old_unicast_checksum", "vrrp_mcast_group4 224.0.0.99\n");
    r.start(0);
    expect(checksOver(ownAdvert(r, 0), "224.0.0.99")).toBe(true);
  });

  test("no keyword: new checksum until a peer's advert checks only the old way, then old", () => {
    const r = router("");
    r.start(0);
    expect(checksOver(ownAdvert(r, 0), PEER)).toBe(true);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(50) }, 4000);
    expect(actions(r, "rx-error")).toEqual([]);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(50, "224.0.0.18") }, 4100);
    const acts = r.pollActions();
    expect(acts.filter((a) => a.type === "rx-error")).toEqual([]);
    expect(acts.filter((a) => a.type === "old-checksum")).toEqual([
      { type: "old-checksum", instance: "VI_1", from: PEER },
    ]);
    const msg = ownAdvert(r, 4200);
    expect(checksOver(msg, "224.0.0.18")).toBe(true);
    // from now on a new-way advert is an error, as in keepalived's CHKSUM_COMPATIBILITY_AUTO
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(50) }, 9000);
    expect(actions(r, "rx-error")).toMatchObject([{ code: "bad-checksum" }]);
  });

  test("never: an old-way advert is a checksum error and nothing switches", () => {
    const r = router("old_unicast_checksum never");
    r.start(0);
    r.handleAdvert({ ifname: "eth0", family: 4, data: advertFromPeer(50, "224.0.0.18") }, 4000);
    const acts = r.pollActions();
    expect(acts.filter((a) => a.type === "rx-error")).toMatchObject([{ code: "bad-checksum" }]);
    expect(acts.filter((a) => a.type === "old-checksum")).toEqual([]);
    expect(checksOver(ownAdvert(r, 4100), PEER)).toBe(true);
  });
});
