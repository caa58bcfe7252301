// keepalived 2.2.7's socket pool dump (vrrp_create_sockpool, dump_sock) from the instances:
// one entry per family, protocol, interface and unicast source or multicast group, in the
// order first needed (seen live beside keepalived: test/interop/reload-lines.test.ts).
import { describe, expect, test } from "bun:test";
import { type PoolMember, sockpoolLines } from "../../../src/runtime/sockpool";

const ifindex = (name: string) => ({ v1: 4, "vrrp.5": 7 })[name];
const m4 = (o: Partial<PoolMember> = {}): PoolMember => ({
  family: 4,
  proto: 112,
  ifname: "v1",
  mcastGroup: "224.0.0.18",
  ...o,
});

describe("sockpoolLines", () => {
  test("unicast instances of one source share an entry, apart from the multicast one, first needed first", () => {
    const lines = sockpoolLines(
      [m4({ unicastSrc: "10.1.0.1" }), m4(), m4({ unicastSrc: "10.1.0.1" }), m4({ unicastSrc: "10.1.0.9" }), m4()],
      ifindex,
    );
    expect(lines).toEqual([
      // keepalived's "fd(12,13) %sicast" with ", un", without the descriptors
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(112), , unicast, address(10.1.0.1)]",
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(112), multicast, address(224.0.0.18)]",
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(112), , unicast, address(10.1.0.9)]",
    ]);
  });

  test("family, AH, another group, a VMAC and a missing interface are entries of their own", () => {
    const lines = sockpoolLines(
      [
        m4(),
        m4({ family: 6, mcastGroup: "ff02::12" }),
        m4({ proto: 51 }),
        m4({ mcastGroup: "224.0.0.19" }),
        m4({ ifname: "vrrp.5" }),
        m4({ ifname: "gone" }),
      ],
      ifindex,
    );
    expect(lines).toEqual([
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(112), multicast, address(224.0.0.18)]",
      "VRRP sockpool: [ifindex(  4), family(IPv6), proto(112), multicast, address(ff02::12)]",
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(51), multicast, address(224.0.0.18)]",
      "VRRP sockpool: [ifindex(  4), family(IPv4), proto(112), multicast, address(224.0.0.19)]",
      "VRRP sockpool: [ifindex(  7), family(IPv4), proto(112), multicast, address(224.0.0.18)]",
      "VRRP sockpool: [ifindex(  0), family(IPv4), proto(112), multicast, address(224.0.0.18)]",
    ]);
  });

  test("an interfaceless unicast instance: ifindex 0, keel's ' bound to' after keepalived's line", () => {
    const bound = { source: "10.9.0.1", vrf: "red" };
    expect(sockpoolLines([m4({ ifname: undefined, unicastSrc: "10.9.0.1", bound })], ifindex)).toEqual([
      "VRRP sockpool: [ifindex(  0), family(IPv4), proto(112), , unicast, address(10.9.0.1)] bound to 10.9.0.1 in VRF red",
    ]);
  });
});
