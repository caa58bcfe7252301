/**
 * A VMAC's default name against Debian's keepalived 2.2.7 (vrrp.c vrrp_complete_instance,
 * create_vmac_name; src/runtime/vmac-name.ts): one host, the same config run by
 * keepalived, then by keel, each must make the same macvlans.
 *
 * - V6 (IPv6, VRID 86, first in the config): vrrp.86, PREFIX.VRID as for IPv4 (keel once
 *   made vrrp6.86; hdiff2 saw keepalived make vrrp.86);
 * - V4 (IPv4, VRID 86, after it): vrrp.86 is V6's, so vrrp1.86;
 * - W6 (IPv6, VRID 87): a bridge vrrp.87 is in the way (not deleted), so vrrp6.87.
 * Each VMAC has no address made from its MAC (addr_gen_mode 1, none) and the IPv4 one
 * no IPv6 (disable_ipv6 1): vrrp_vmac.c netlink_link_add_vmac.
 *
 * Each run ends once every instance is MASTER (the VMACs are made before that); the links
 * are read then, with the JSON dump's vmac_ifname (the name chosen at set-up), and the
 * VMACs must be gone after the daemon stops (the bridge stays).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const CONF = `global_defs {
  router_id vmacname
  vrrp_garp_master_delay 0
}
vrrp_instance V6 {
  interface eth0
  state MASTER
  virtual_router_id 86
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    2001:db8:86::100/64
  }
}
vrrp_instance V4 {
  interface eth0
  state MASTER
  virtual_router_id 86
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    10.99.0.186/24
  }
}
vrrp_instance W6 {
  interface eth0
  state MASTER
  virtual_router_id 87
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    2001:db8:87::100/64
  }
}
`;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived (Debian's 2.2.7) is needed");
  lab = Lab.create(["h1"], { ipv6: true });
  // a foreign interface holding W6's first choice
  lab.exec("h1", ["ip", "link", "add", "vrrp.87", "type", "bridge"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface LinkJson {
  ifname: string;
  link?: string;
  address: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
}

/** Every macvlan and bridge: kind, mode, parent, MAC. */
function links(): Record<string, string> {
  const all = JSON.parse(lab.exec("h1", ["ip", "-j", "-d", "link", "show"])) as LinkJson[];
  const out: Record<string, string> = {};
  for (const l of all) {
    const kind = l.linkinfo?.info_kind;
    // vrrp_vmac.c netlink_link_add_vmac: IPv6 off on an IPv4 VMAC (link_set_ipv6), no address from its MAC (ADDR_GEN_MODE NONE)
    const v6 = (key: string) => lab.exec("h1", ["cat", `/proc/sys/net/ipv6/conf/${l.ifname}/${key}`]).trim();
    if (kind === "macvlan")
      out[l.ifname] =
        `macvlan ${l.linkinfo?.info_data?.mode} on ${l.link} ${l.address} disable_ipv6 ${v6("disable_ipv6")} addr_gen_mode ${v6("addr_gen_mode")}`;
    else if (kind === "bridge") out[l.ifname] = "bridge";
  }
  return out;
}

/** The JSON signal's (SIGRTMIN+2) vmac_ifname per instance, once the file is written. */
async function jsonNames(p: Proc): Promise<Record<string, string>> {
  const path = `${lab.tmpdir("h1")}/keepalived.json`;
  rmSync(path, { force: true });
  p.kill(36);
  for (let i = 0; i < 200; i++) {
    const f = Bun.file(path);
    const text = (await f.exists()) ? await f.text() : "";
    // written whole by one write: parseable once it is all there
    try {
      const dump = JSON.parse(text) as { data: { iname: string; vmac_ifname: string } }[];
      return Object.fromEntries(dump.map((d) => [d.data.iname, d.data.vmac_ifname]));
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error("no parseable keepalived.json after the JSON signal");
}

describe("a VMAC's default name: keepalived 2.2.7 and keel", () => {
  for (const kind of ["keepalived", "keel"] as const)
    test(`${kind}: vrrp.86 (IPv6, first), vrrp1.86 (IPv4 after it), vrrp6.87 (vrrp.87 taken)`, async () => {
      const p = kind === "keel" ? lab.keel("h1", CONF) : lab.keepalived("h1", CONF);
      for (const i of ["V6", "V4", "W6"]) await p.waitFor(new RegExp(`\\(${i}\\) Entering MASTER STATE`), 30_000);
      const during = links();
      expect(await jsonNames(p)).toEqual({ V6: "vrrp.86", V4: "vrrp1.86", W6: "vrrp6.87" });
      p.kill("SIGTERM");
      await p.exited;
      expect(during).toEqual({
        "vrrp.86": "macvlan private on eth0 00:00:5e:00:02:56 disable_ipv6 0 addr_gen_mode 1",
        "vrrp1.86": "macvlan private on eth0 00:00:5e:00:01:56 disable_ipv6 1 addr_gen_mode 1",
        "vrrp6.87": "macvlan private on eth0 00:00:5e:00:02:57 disable_ipv6 0 addr_gen_mode 1",
        "vrrp.87": "bridge",
      });
      expect(links()).toEqual({ "vrrp.87": "bridge" });
    }, 90_000);
});
