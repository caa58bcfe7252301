// Which instance takes an advert, by the socket it came through (RxPacket.via): keepalived
// hands a packet only to the instances of the socket that read it (vrrp_scheduler.c
// vrrp_dispatcher_read looks the VRID up in sock->rb_vrid). An interfaceless unicast
// instance has its own address-bound socket; an instance on eth0 has eth0's. keel's
// socket on eth0 is bound to the device only, so it also reads the adverts sent to the
// interfaceless instance's address: neither instance may take the other socket's packets
// (the interfaceless one would count every advert twice). The simulator (no `via`) keeps
// its one-segment rule: an instance on the interface, or one without.
import { describe, expect, test } from "bun:test";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { type RxPacket, VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";

const TEXT = `vrrp_instance ON_ETH0 {
  interface eth0
  virtual_router_id 7
  priority 100
  unicast_src_ip 10.0.0.5
  unicast_peer {
    10.0.0.12
  }
  virtual_ipaddress {
    192.0.2.7/24
  }
}
vrrp_instance NO_IF {
  virtual_router_id 7
  priority 100
  unicast_src_ip 10.0.1.5
  unicast_peer {
    10.0.1.12
  }
  virtual_ipaddress {
    192.0.2.8/24 dev eth1
    192.0.2.9/24
  }
}
`;

function router(): VrrpRouter {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": TEXT }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  const router = new VrrpRouter(r.config, { interfaceAddress: () => "10.0.0.5" });
  router.start(0);
  router.pollActions();
  return router;
}

/** A VRRPv2 advert for `vrid` from `from` to `to`, as IPv4 bytes. */
function advert(from: string, to: string, vrid = 7): Uint8Array {
  const [pkt] = advertPackets(
    {
      instance: "peer",
      family: 4,
      version: 2,
      vrid,
      priority: 50,
      advertIntCs: 100,
      addresses: ["192.0.2.7"],
      destinations: [to],
      unicast: true,
      ipId: 1,
      seq: 0,
    },
    from,
  );
  return (pkt as { data: Uint8Array }).data;
}

const rcvd = (r: VrrpRouter, name: string) => r.instances.get(name)?.stats.advert_rcvd ?? -1;

describe("adverts by socket: an instance without an interface beside one on eth0", () => {
  test("from eth0's socket: the instance on eth0 only", () => {
    const r = router();
    const rx: RxPacket = { ifname: "eth0", via: "interface", family: 4, data: advert("10.0.1.12", "10.0.1.5") };
    r.handleAdvert(rx, 10);
    expect([rcvd(r, "ON_ETH0"), rcvd(r, "NO_IF")]).toEqual([1, 0]);
  });

  test("from the address-bound socket: the interfaceless instance only, whatever interface it came in on", () => {
    const r = router();
    const rx: RxPacket = { ifname: "eth0", via: "address", family: 4, data: advert("10.0.1.12", "10.0.1.5") };
    r.handleAdvert(rx, 10);
    expect([rcvd(r, "ON_ETH0"), rcvd(r, "NO_IF")]).toEqual([0, 1]);
  });

  test("an address-bound socket's advert with no interfaceless instance of its VRID is an unknown VRID", () => {
    const r = router();
    r.handleAdvert({ ifname: "eth0", via: "address", family: 4, data: advert("10.0.1.12", "10.0.1.5", 8) }, 10);
    expect([rcvd(r, "ON_ETH0"), rcvd(r, "NO_IF"), r.stats.unknown_vrid]).toEqual([0, 0, 1]);
  });

  test("the simulator's packets (no via): the instance on the interface, else the one without", () => {
    const r = router();
    r.handleAdvert({ ifname: "eth0", family: 4, data: advert("10.0.0.12", "10.0.0.5") }, 10);
    r.handleAdvert({ ifname: "eth1", family: 4, data: advert("10.0.1.12", "10.0.1.5") }, 20);
    expect([rcvd(r, "ON_ETH0"), rcvd(r, "NO_IF")]).toEqual([1, 1]);
  });

  test("the instance without an interface advertises only the VIPs that have a dev", () => {
    const r = router();
    expect(r.instances.get("NO_IF")?.p.vips.map((v) => v.address)).toEqual(["192.0.2.8"]);
    expect(r.instances.get("ON_ETH0")?.p.vips.map((v) => v.address)).toEqual(["192.0.2.7"]);
  });
});
