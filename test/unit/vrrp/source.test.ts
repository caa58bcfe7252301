// A source address learned at run time (Instance.setSource, router.handleSource):
// keepalived_netlink.c copies a new address into a missing saddr and tries the instance
// up, and downs it when its saddr goes. keel holds it in FAULT `address` meanwhile.
import { describe, expect, test } from "bun:test";
import { faultWords } from "../../../src/vrrp/explain";
import { Instance } from "../../../src/vrrp/instance";
import { advertPackets } from "../../../src/vrrp/transmit";
import { params } from "./one-instance";

describe("source address learned from the interface", () => {
  const fresh = () => new Instance({ ...params("priority 100"), source: undefined });

  test("none at start: FAULT with the reason; one arrives: BACKUP, then MASTER sending from it", () => {
    const i = fresh();
    i.setSource(undefined, "no IPv4 address", 0);
    i.start(0);
    expect(i.state).toBe("FAULT");
    expect(i.faultList().map(faultWords)).toEqual([
      "interface eth0 has no address to send adverts from (no IPv4 address)",
    ]);
    i.setSource("10.0.0.7", undefined, 100);
    expect(i.state).toBe("BACKUP");
    expect(i.p.source).toBe("10.0.0.7");
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("MASTER");
    const adverts = i.pollActions().filter((a) => a.type === "send-advert");
    expect(adverts.length).toBeGreaterThan(0);
  });

  test("the address goes: FAULT; the reason can change without a new fault; a new one recovers", () => {
    const i = fresh();
    i.setSource("fe80::1", undefined, 0);
    i.start(0);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("MASTER");
    i.setSource(undefined, "fe80::1 is tentative (duplicate address detection running)", 10);
    expect(i.state).toBe("FAULT");
    i.pollActions();
    i.setSource(undefined, "fe80::1 failed duplicate address detection (dadfailed)", 20);
    expect(i.pollActions()).toEqual([]);
    expect(i.faultList().map((f) => f.detail)).toEqual(["fe80::1 failed duplicate address detection (dadfailed)"]);
    i.setSource("fe80::2", undefined, 30);
    expect(i.state).toBe("BACKUP");
    expect(i.faultList()).toEqual([]);
  });
});

describe("unicast_ttl (keepalived vrrp_build_ip4: ip->ttl = vrrp->ttl)", () => {
  const ttlOf = (body: string) => {
    const i = new Instance(params(body));
    i.start(0);
    i.handleTimeout(i.pollTimeout() ?? 0);
    const a = i.pollActions().find((x) => x.type === "send-advert");
    if (a?.type !== "send-advert") throw new Error("no advert");
    return advertPackets(a.advert, "10.0.0.5").map((p) => p.data[8]);
  };
  test("a unicast IPv4 advert leaves with unicast_ttl; without it, and multicast, with 255", () => {
    expect(ttlOf("priority 100\nunicast_peer {\n10.0.0.9\n}\nunicast_ttl 5")).toEqual([5]);
    expect(ttlOf("priority 100\nunicast_peer {\n10.0.0.9\n}")).toEqual([255]);
    expect(ttlOf("priority 100")).toEqual([255]);
  });
});
