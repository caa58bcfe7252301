// Where VIPs go and which address VMACs they need: keepalived 2.2.7 vrrp_complete_instance's
// rules (src/runtime/vmac-addr.ts), checked rule by rule without a kernel.
import { expect, test } from "bun:test";
import { createGlobalDefs } from "../../../src/config/global/model";
import { createVrrpInstance } from "../../../src/config/vrrp/model";
import type { VirtualAddress } from "../../../src/config/vrrp/net/address";
import { addrVmacName, placeVips, vmacMac } from "../../../src/runtime/vmac-addr";

function vip(text: string, o: Partial<VirtualAddress> = {}): VirtualAddress {
  const [address = "", prefix] = text.split("/");
  const family = address.includes(":") ? 6 : 4;
  return { address, prefix: Number(prefix ?? (family === 4 ? 32 : 128)), family, ...o };
}

function inst(o: Partial<ReturnType<typeof createVrrpInstance>>) {
  return { ...createVrrpInstance("VI_1"), interface: "eth0", virtualRouterId: 51, ...o };
}

const none = () => false;

test("without use_vmac_addr an address stays on its dev (or the interface); no VMAC, no extra GARPs", () => {
  const v = inst({
    virtualIpaddress: [vip("10.0.0.1/24"), vip("10.1.0.1/24", { dev: "eth1" })],
    garpExtraIf: { interval: 5, all: false },
  });
  const p = placeVips(v, createGlobalDefs(), 4, undefined, none);
  expect(Object.fromEntries(p.devOf)).toEqual({ "10.0.0.1/24": "eth0", "10.1.0.1/24": "eth1" });
  expect(p.vmacs).toEqual([]);
  // an extra interface that is not a VMAC needs `all`
  expect(p.extraGarp.intervalS).toBe(0);
});

test("use_vmac_addr: an address on another interface gets a VMAC there, named vmac_addr_prefix.VRID", () => {
  const g = { ...createGlobalDefs(), vmacPrefix: "vm", vmacAddrPrefix: "vx" };
  const v = inst({
    useVmacAddr: true,
    virtualIpaddress: [vip("10.0.0.1/24"), vip("10.1.0.1/24", { dev: "eth1" }), vip("10.1.0.2/24", { dev: "eth1" })],
    garpExtraIf: { interval: 5, all: false },
  });
  const p = placeVips(v, g, 4, undefined, none);
  expect(Object.fromEntries(p.devOf)).toEqual({
    "10.0.0.1/24": "eth0",
    "10.1.0.1/24": "vx.51",
    "10.1.0.2/24": "vx.51",
  });
  expect(p.vmacs).toEqual([{ name: "vx.51", base: "eth1", family: 4, mac: vmacMac(v, 4) }]);
  expect([...(p.vmacs[0]?.mac ?? [])]).toEqual([0, 0, 0x5e, 0, 1, 51]);
  // one GARP on the VMAC (its first address), none on the instance's own interface
  expect(p.extraGarp).toEqual({ intervalS: 5, addresses: ["10.1.0.1"] });
  // no vmac_addr_prefix: vmac_prefix, else "vrrp"
  expect(placeVips(v, { ...g, vmacAddrPrefix: undefined }, 4, undefined, none).vmacs[0]?.name).toBe("vm.51");
  expect(placeVips(v, createGlobalDefs(), 4, undefined, none).vmacs[0]?.name).toBe("vrrp.51");
});

test("use_vmac_addr: an address of the other family on the instance's interface gets a VMAC with the IPv6 VRRP MAC", () => {
  const v = inst({ useVmacAddr: true, virtualIpaddressExcluded: [vip("fd00::1/64")] });
  const p = placeVips(v, createGlobalDefs(), 4, undefined, none);
  expect(p.devOf.get("fd00::1/64")).toBe("vrrp.51");
  expect([...(p.vmacs[0]?.mac ?? [])]).toEqual([0, 0, 0x5e, 0, 2, 51]);
  expect(p.vmacs[0]?.base).toBe("eth0");
});

test("a VIP's own use_vmac: a VMAC on its dev; with use_vmac on the instance too, its address stays on the instance's VMAC", () => {
  const v = inst({
    useVmac: {},
    virtualIpaddress: [vip("10.0.0.1/24", { useVmac: true }), vip("10.2.0.1/24", { dev: "eth2", useVmac: true })],
    garpExtraIf: { interval: 3, all: false },
  });
  const p = placeVips(v, createGlobalDefs(), 4, "vrrp.51", (n) => n === "vrrp.51");
  expect(Object.fromEntries(p.devOf)).toEqual({ "10.0.0.1/24": "vrrp.51", "10.2.0.1/24": "vrrp1.51" });
  expect(p.notes).toEqual(["(VI_1) use_vmac specified for VIP/eVIP 10.0.0.1/24 and vrrp instance"]);
  expect(p.extraGarp).toEqual({ intervalS: 3, addresses: ["10.2.0.1"] });
});

test("use_vmac's MAC is the VMACs' MAC; five octets take the VRID as the sixth", () => {
  expect([...vmacMac(inst({ useVmac: { mac: "02:11:22:33:44:55" } }), 4)]).toEqual([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
  expect([...vmacMac(inst({ useVmac: { mac: "02:11:22:33:44" } }), 6)]).toEqual([2, 0x11, 0x22, 0x33, 0x44, 51]);
});

test("create_vmac_name: the next free PREFIXn.VRID (IPv6: 6 first), cut to 15 characters", () => {
  const taken = (names: string[]) => (n: string) => names.includes(n);
  expect(addrVmacName("vrrp", 51, 4, taken(["vrrp.51", "vrrp1.51"]))).toBe("vrrp2.51");
  expect(addrVmacName("vrrp", 51, 6, taken(["vrrp.51"]))).toBe("vrrp6.51");
  expect(addrVmacName("vrrp", 51, 6, taken(["vrrp.51", "vrrp6.51", "vrrp1.51"]))).toBe("vrrp2.51");
  expect(
    addrVmacName(
      "vrrp",
      51,
      6,
      taken(["vrrp.51", "vrrp6.51", "vrrp1.51", "vrrp2.51", "vrrp3.51", "vrrp4.51", "vrrp5.51"]),
    ),
  ).toBe("vrrp7.51");
  expect(addrVmacName("averyveryverylongprefix", 255, 4, none)).toBe("averyveryve.255");
  expect(addrVmacName("averyveryverylongprefix", 255, 4, taken(["averyveryve.255"]))).toBe("averyveryv1.255");
});

test("garp_extra_if all: other interfaces too; the global vrrp_garp_extra_if when the instance has none", () => {
  const g = { ...createGlobalDefs(), vrrpGarpExtraIf: { interval: 7, all: true } };
  const v = inst({ virtualIpaddress: [vip("10.0.0.1/24"), vip("10.1.0.1/24", { dev: "eth1" })] });
  expect(placeVips(v, g, 4, undefined, none).extraGarp).toEqual({ intervalS: 7, addresses: ["10.1.0.1"] });
  // the instance's own setting wins, 0 included
  const off = inst({ ...v, garpExtraIf: { interval: 0, all: true } });
  expect(placeVips(off, g, 4, undefined, none).extraGarp.intervalS).toBe(0);
});
