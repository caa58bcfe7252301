// An IPv6 VMAC's link-local as keepalived 2.2.7 gives it (vrrp_vmac.c set_link_local_address,
// make_link_local_address; keepalived_netlink.c netlink_if_address_filter).
import { describe, expect, test } from "bun:test";
import { eui64LinkLocal, followParent, vmacLinkLocal } from "../../../src/runtime/vmac-link-local";

const mac = (s: string) => new Uint8Array(s.split(":").map((x) => Number.parseInt(x, 16)));
const parentMac = mac("02:99:00:00:00:0b");

describe("make_link_local_address", () => {
  test("fe80::/64 with the modified EUI-64 (universal/local bit flipped, ff:fe in the middle)", () => {
    expect(eui64LinkLocal(parentMac)).toBe("fe80::99:ff:fe00:b");
    expect(eui64LinkLocal(mac("00:00:5e:00:02:56"))).toBe("fe80::200:5eff:fe00:256");
    expect(eui64LinkLocal(mac("52:54:00:12:34:56"))).toBe("fe80::5054:ff:fe12:3456");
  });
});

describe("set_link_local_address", () => {
  test("the configured source, else the parent's own link-local, else the one its MAC makes", () => {
    expect(vmacLinkLocal({ configured: "fe80::9", parentOwn: "fe80::1:2", parentMac })).toBe("fe80::9");
    expect(vmacLinkLocal({ parentOwn: "fe80::1:2", parentMac })).toBe("fe80::1:2");
    expect(vmacLinkLocal({ parentMac })).toBe("fe80::99:ff:fe00:b");
    expect(vmacLinkLocal({})).toBeUndefined();
  });
});

describe("following the parent", () => {
  test("its own link-local; none left: the one its MAC makes while up, else what there is", () => {
    expect(followParent({ current: "fe80::1:2", parentOwn: "fe80::1:3", parentUp: true, parentMac })).toBe("fe80::1:3");
    expect(followParent({ current: "fe80::1:3", parentUp: true, parentMac })).toBe("fe80::99:ff:fe00:b");
    expect(followParent({ current: "fe80::1:3", parentUp: false, parentMac })).toBe("fe80::1:3");
    expect(followParent({ current: undefined, parentUp: true })).toBeUndefined();
  });
});
