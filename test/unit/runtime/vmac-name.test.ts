// VMAC names as keepalived 2.2.7 chooses them (vrrp.c vrrp_complete_instance, create_vmac_name).
import { describe, expect, test } from "bun:test";
import { chooseVmacName, configVmacNames, pickVmacName, planVmac, vmacCandidate } from "../../../src/runtime/vmac-name";

const free = () => false;
const mac = (family: 4 | 6, vrid: number) => new Uint8Array([0, 0, 0x5e, 0, family === 4 ? 1 : 2, vrid]);

describe("create_vmac_name", () => {
  test("PREFIX.VRID for both families, vmac_prefix instead of vrrp, at most 15 characters", () => {
    expect(chooseVmacName(undefined, 4, 51, free)).toBe("vrrp.51");
    // keepalived made vrrp.86 for a lone IPv6 use_vmac instance (hdiff2, seen live)
    expect(chooseVmacName(undefined, 6, 86, free)).toBe("vrrp.86");
    expect(chooseVmacName("kv", 4, 7, free)).toBe("kv.7");
    expect(chooseVmacName("averyveryverylongprefix", 4, 255, free)).toBe("averyveryve.255");
    expect(chooseVmacName("averyveryverylongprefix", 4, 255, free).length).toBe(15);
  });

  test("a taken name: IPv6 goes to PREFIX6, then PREFIX1, 2, … skipping 6; IPv4 to PREFIX1, 2, …", () => {
    const seen6: string[] = [];
    chooseVmacName(undefined, 6, 9, (n) => seen6.push(n) < 9);
    expect(seen6).toEqual([
      "vrrp.9",
      "vrrp6.9",
      "vrrp1.9",
      "vrrp2.9",
      "vrrp3.9",
      "vrrp4.9",
      "vrrp5.9",
      "vrrp7.9",
      "vrrp8.9",
    ]);
    const seen4: string[] = [];
    chooseVmacName(undefined, 4, 9, (n) => seen4.push(n) < 8);
    expect(seen4).toEqual(["vrrp.9", "vrrp1.9", "vrrp2.9", "vrrp3.9", "vrrp4.9", "vrrp5.9", "vrrp6.9", "vrrp7.9"]);
  });

  test("the cut takes from the prefix, never the number", () => {
    expect(vmacCandidate("averyveryverylongprefix", 255, 6)).toBe("averyveryv6.255");
    expect(vmacCandidate("averyveryverylongprefix", 255, 12)).toBe("averyvery12.255");
    expect(chooseVmacName("averyveryverylongprefix", 6, 255, (n) => n === "averyveryve.255")).toBe("averyveryv6.255");
  });
});

describe("in config order", () => {
  test("an IPv4 and an IPv6 instance with one VRID: the first named gets PREFIX.VRID", () => {
    const names = configVmacNames(undefined, [
      { name: "V6", vrid: 86, family: 6, vmac: {} },
      { name: "V4", vrid: 86, family: 4, vmac: {} },
    ]);
    expect([...names]).toEqual([
      ["V6", "vrrp.86"],
      ["V4", "vrrp1.86"],
    ]);
    const other = configVmacNames(undefined, [
      { name: "V4", vrid: 86, family: 4, vmac: {} },
      { name: "V6", vrid: 86, family: 6, vmac: {} },
    ]);
    expect([...other]).toEqual([
      ["V4", "vrrp.86"],
      ["V6", "vrrp6.86"],
    ]);
  });

  test("a configured name, even a later instance's, is taken; instances without use_vmac get none", () => {
    const names = configVmacNames("kv", [
      { name: "A", vrid: 5, family: 4, vmac: {} },
      { name: "B", vrid: 6, family: 4 },
      { name: "C", vrid: 7, family: 4, vmac: { name: "kv.5" } },
    ]);
    expect([...names]).toEqual([
      ["A", "kv1.5"],
      ["C", "kv.5"],
    ]);
  });
});

describe("at set-up, with the kernel's interfaces", () => {
  const base = { prefix: undefined, vrid: 86, reserved: new Set<string>() };

  test("no interface of that name: PREFIX.VRID", () => {
    const got = pickVmacName({ ...base, family: 6, mac: mac(6, 86), links: [{ name: "eth0", kind: "veth" }] });
    expect(got).toEqual({ name: "vrrp.86", adopted: false });
  });

  test("a foreign interface of that name is skipped, not deleted", () => {
    const links = [{ name: "vrrp.86", kind: "dummy" }];
    expect(pickVmacName({ ...base, family: 6, mac: mac(6, 86), links })).toEqual({ name: "vrrp6.86", adopted: false });
    expect(pickVmacName({ ...base, family: 4, mac: mac(4, 86), links })).toEqual({ name: "vrrp1.86", adopted: false });
    // a macvlan of that name with another VRID's MAC is no leftover of this instance
    const other = [{ name: "vrrp.86", kind: "macvlan", mac: mac(4, 87) }];
    expect(pickVmacName({ ...base, family: 4, mac: mac(4, 86), links: other }).name).toBe("vrrp1.86");
  });

  test("the matching leftover (a private macvlan on the interface with the VRRP MAC) is adopted under its name", () => {
    const links = [
      { name: "vrrp.86", kind: "dummy" },
      { name: "old86", kind: "macvlan", mac: mac(6, 86), link: 2, macvlanMode: 1 },
    ];
    const on2 = { ...base, baseIfindex: 2 };
    expect(pickVmacName({ ...on2, family: 6, mac: mac(6, 86), links })).toEqual({ name: "old86", adopted: true });
    // the IPv4 MAC of that VRID is not the IPv6 instance's
    expect(pickVmacName({ ...on2, family: 4, mac: mac(4, 86), links }).adopted).toBe(false);
    // nor one on another interface, nor one in bridge mode (keepalived checks base_ifp and vmac_type)
    expect(pickVmacName({ ...base, baseIfindex: 3, family: 6, mac: mac(6, 86), links }).adopted).toBe(false);
    const bridge = [{ name: "old86", kind: "macvlan", mac: mac(6, 86), link: 2, macvlanMode: 4 }];
    expect(pickVmacName({ ...on2, family: 6, mac: mac(6, 86), links: bridge })).toEqual({
      name: "vrrp.86",
      adopted: false,
    });
  });

  test("with dynamic_interfaces a name the configuration gives a missing interface is taken", () => {
    const dynamic = new Set(["vrrp.56"]);
    expect(pickVmacName({ ...base, family: 4, vrid: 56, mac: mac(4, 56), links: [], dynamic }).name).toBe("vrrp1.56");
  });

  test("another instance's VMAC name is taken, and a leftover it holds is not this instance's", () => {
    const links = [{ name: "vrrp.86", kind: "macvlan", mac: mac(4, 86) }];
    const reserved = new Set(["vrrp.86"]);
    expect(pickVmacName({ ...base, reserved, family: 4, mac: mac(4, 86), links })).toEqual({
      name: "vrrp1.86",
      adopted: false,
    });
    expect(pickVmacName({ ...base, reserved, family: 6, mac: mac(6, 86), links: [] }).name).toBe("vrrp6.86");
  });
});

describe("planVmac: a leftover at start (vrrp_complete_instance, netlink_link_add_vmac)", () => {
  const plan = (configured: string | undefined, links: Parameters<typeof planVmac>[0]["links"]) =>
    planVmac({
      instance: "A",
      prefix: undefined,
      family: 4,
      vrid: 51,
      mac: mac(4, 51),
      configured,
      baseIfindex: 2,
      links,
      reserved: new Set(),
    });
  const lines = (p: ReturnType<typeof plan>) => [...p.notes.map((n) => n.text), ...(p.addLine ? [p.addLine] : [])];

  test("a match under another name is reused; a configured name gives way to it", () => {
    const links = [{ name: "left51", ifindex: 7, kind: "macvlan", mac: mac(4, 51), link: 2, macvlanMode: 1 }];
    const p = plan("vrrpA", links);
    expect(p).toMatchObject({ name: "left51", action: "reuse", ifindex: 7 });
    expect(lines(p)).toEqual([
      "(A) Found matching interface left51",
      "(A) vmac name mismatch vrrpA <=> left51. changing to left51.",
    ]);
    expect(lines(plan(undefined, links))).toEqual(["(A) Found matching interface left51"]);
  });

  test("a configured name's macvlan with the wrong mode is updated; on another interface replaced", () => {
    const bridge = [{ name: "vrrpA", ifindex: 8, kind: "macvlan", mac: mac(4, 51), link: 2, macvlanMode: 4 }];
    const u = plan("vrrpA", bridge);
    expect(u).toMatchObject({ name: "vrrpA", action: "update", ifindex: 8 });
    expect(lines(u)).toEqual([
      "(A) VMAC vrrpA already exists but is incompatible. It will be deleted/updated",
      "(A) Update old VMAC interface vrrpA due to wrong MAC/mode ",
    ]);
    const elsewhere = [{ name: "vrrpA", ifindex: 9, kind: "macvlan", mac: mac(4, 51), link: 3, macvlanMode: 1 }];
    const r = plan("vrrpA", elsewhere);
    expect(r).toMatchObject({ name: "vrrpA", action: "replace", ifindex: 9 });
    expect(lines(r)).toEqual([
      "(A) VMAC vrrpA already exists but is incompatible. It will be deleted/updated",
      "(A) Removing old VMAC interface vrrpA due to conflicting interface",
    ]);
  });

  test("a default name held by a macvlan that does not match is skipped, not touched", () => {
    const links = [{ name: "vrrp.51", ifindex: 8, kind: "macvlan", mac: mac(4, 51), link: 2, macvlanMode: 4 }];
    expect(plan(undefined, links)).toMatchObject({ name: "vrrp1.51", action: "create", notes: [] });
  });

  test("a configured name held by no VMAC is ignored (an error line), and a name made", () => {
    const p = plan("eth0", [{ name: "eth0", ifindex: 2, kind: "veth" }]);
    expect(p).toMatchObject({ name: "vrrp.51", action: "create" });
    expect(p.notes).toEqual([
      {
        level: "error",
        text: "(A) VMAC interface name eth0 already exists as a non VMAC interface. ignoring configured name",
      },
    ]);
  });
});
