// LinuxKernel is where native-bindings' exceptions become values: calls that the real
// kernel refuses come back as KernelErrors. Only refusals, so nothing on the host changes
// (an interface index that does not exist, an interface name that does not exist).
import { afterAll, describe, expect, test } from "bun:test";
import type { Route } from "../../../src/config/vrrp/model";
import { LinuxKernel } from "../../../src/runtime/kernel-linux";

const NO_IFINDEX = 0x7ffffff0;
const NO_IFNAME = "keelnoif0";
const va = { address: "198.51.100.77", prefix: 32, family: 4 } as never;

describe("LinuxKernel: refusals are values", () => {
  const k = new LinuxKernel();
  afterAll(() => k.close());

  test("the tables read", () => {
    const links = k.links();
    expect(links.ok && links.value.some((l) => l.name === "lo")).toBe(true);
    const addrs = k.addresses();
    expect(addrs.ok && addrs.value.some((a) => a.address === "127.0.0.1")).toBe(true);
  });

  test("a VIP on an interface that does not exist (ENODEV; EPERM without CAP_NET_ADMIN)", () => {
    const err = k.vip("add", va, NO_IFINDEX);
    expect(err?.op).toBe("vip-add");
    expect(["ENODEV", "EPERM"]).toContain(err?.code as string);
    expect(k.vips("add", [{ address: va, ifindex: NO_IFINDEX }])[0]?.code).toBe(err?.code);
  });

  test("a route through an interface that does not exist is refused before the kernel", () => {
    const r = { family: 4, dst: "203.0.113.0/24", dev: NO_IFNAME } as Route;
    expect(k.route("add", r, () => undefined)).toEqual({
      op: "route-add",
      code: "ENODEV",
      message: `no interface ${NO_IFNAME}`,
    });
  });

  test("a next hop through an interface that does not exist, or an encap tos never resolved, is refused before the kernel", () => {
    const hop = { family: 4, dst: "203.0.113.0/24", nexthops: [{ via: "192.0.2.1" }, { dev: NO_IFNAME }] } as Route;
    expect(k.route("add", hop, () => undefined)).toEqual({
      op: "route-add",
      code: "ENODEV",
      message: `no interface ${NO_IFNAME}`,
    });
    const tos = { family: 4, dst: "203.0.113.0/24", encap: { type: "ip", dst: "192.0.2.9", tos: "AF11" } } as Route;
    expect(k.route("add", tos, () => undefined)).toEqual({
      op: "route-add",
      message: "encap ip tos AF11 was not resolved to a number at config load",
    });
  });

  test("links, sockets and GARP senders that cannot be had", () => {
    expect(k.deleteLink(NO_IFINDEX)?.op).toBe("delete-link");
    expect(k.setLinkUp(NO_IFINDEX, true)?.op).toBe("set-link");
    const ch = k.openChannel({
      family: 4,
      ifname: NO_IFNAME,
      proto: 112,
      groups: ["224.0.0.18"],
      onPacket: () => {},
      onError: () => {},
    });
    expect(ch.ok).toBe(false);
    if (!ch.ok) expect(ch.error.op).toBe("open-channel");
    expect(k.garp(NO_IFNAME, "198.51.100.77", 4)?.op).toBe("garp");
  });
});

test("a route or rule already gone is a delete done, said in keepalived's words (netlink_parse_info)", () => {
  // ESRCH / ENOENT from the kernel: nothing on the host changes (an unused table)
  const said: string[] = [];
  const k = new LinuxKernel({ onRefusedDone: (l) => void said.push(l.replace(/seq=\d+/, "seq=N")) });
  try {
    const r = { family: 4, dst: "203.0.113.0/24", ids: { table: 3_987_001, protocol: 18 } } as Route;
    expect(k.route("del", r, () => undefined)).toBeUndefined();
    const rule = { family: 4, action: "table", from: "203.0.113.0/24", priority: 31_999, ids: { table: 3_987_001 } };
    expect(k.rule("del", rule as never)).toBeUndefined();
    expect(said).toEqual([
      "Netlink: error: No such process(3), type=RTM_DELROUTE(25), seq=N, pid=0",
      "Netlink: error: No such file or directory(2), type=RTM_DELRULE(33), seq=N, pid=0",
    ]);
  } finally {
    k.close();
  }
});
