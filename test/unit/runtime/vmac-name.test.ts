// VMAC names: vmac_prefix.VRID, cut to IFNAMSIZ as keepalived's create_vmac_name cuts them.
import { expect, test } from "bun:test";
import { vmacName } from "../../../src/runtime/vmac-name";

test("vrrp.VRID by default, vrrp6.VRID for IPv6, vmac_prefix instead of vrrp, at most 15 characters", () => {
  expect(vmacName(undefined, 4, 51)).toBe("vrrp.51");
  expect(vmacName(undefined, 6, 51)).toBe("vrrp6.51");
  expect(vmacName("kv", 4, 7)).toBe("kv.7");
  expect(vmacName("averyveryverylongprefix", 4, 255)).toBe("averyveryve.255");
  expect(vmacName("averyveryverylongprefix", 4, 255).length).toBe(15);
});
