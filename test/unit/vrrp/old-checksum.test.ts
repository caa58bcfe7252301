// keepalived's old VRRPv3 unicast checksum (vrrp.c with _WITH_UNICAST_CHKSUM_COMPAT_, as
// Debian's 2.2.7 is built: "OLD_CHKSUM_COMPAT"): the pseudo-header's destination is the
// IPv4 multicast group (global vrrp_mcast_group4) instead of the packet's. A real router
// is fed adverts as bytes and its own adverts are checked byte by byte:
// - `old_unicast_checksum`: sends the old checksum, takes only the old one;
// - no keyword: sends the new one; a unicast advert that checks only the old way is taken
//   and switches the instance (keepalived "Setting unicast VRRPv3 checksum to old version");
// - `old_unicast_checksum never`: the new one only, never a switch.
import { describe, expect, test } from "bun:test";
import type { VrrpRouter } from "../../../src/vrrp/router";
import { PEER, US, actionsOf as actions, checksOver, ownAdvert, peerAdvert, routerOf } from "./router-bytes";

function router(keyword: string, global = ""): VrrpRouter {
  return routerOf(
    `global_defs {\nvrrp_version 3\n${global}}\n` +
      `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\npriority 100\nadvert_int 1\n` +
      `unicast_src_ip ${US}\nunicast_peer {\n${PEER}\n}\n${keyword}\nvirtual_ipaddress {\n192.0.2.7/24\n}\n}\n`,
  );
}

/** The peer's unicast advert to us, its checksum over `checksumDst` (undefined: the new way). */
const advertFromPeer = (priority: number, checksumDst?: string) =>
  peerAdvert({ priority, destinations: [US], unicast: true, checksumDst });

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
