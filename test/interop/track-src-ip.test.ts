/**
 * track_src_ip: keel does what keepalived.conf(5) says ("if the configured src_ip doesn't
 * exist or is removed put the instance into fault state"); Debian's keepalived 2.2.7 runs
 * beside it on the same configuration and shows that it does not (its is_tracking_saddr
 * compares a sockaddr as an in_addr and never matches; src/runtime/vrrp-driver.ts
 * trackConfiguredSource). Each in its own namespace, an instance on dum0 (one end of a
 * veth pair) whose only address is its unicast_src_ip; the VIP is on eth0, so dum0 is left
 * without an address, the one case keepalived looks at the source at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const HOSTS = ["ka", "keel"] as const;
const CONF = `global_defs {
  router_id tsi
}
vrrp_instance VI_1 {
  state MASTER
  interface dum0
  virtual_router_id 81
  priority 200
  version 3
  advert_int 0.2
  unicast_src_ip 192.168.79.1
  unicast_peer {
    192.168.79.2
  }
  track_src_ip
  virtual_ipaddress {
    192.0.2.81/32 dev eth0
  }
}
`;

let lab: Lab;
const procs: Record<string, Proc> = {};

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    lab.exec(h, ["ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum0p"]);
    lab.exec(h, ["ip", "addr", "add", "192.168.79.1/24", "dev", "dum0"]);
    lab.exec(h, ["ip", "link", "set", "dum0p", "up"]);
    lab.exec(h, ["ip", "link", "set", "dum0", "up"]);
  }
  procs.ka = lab.keepalived("ka", CONF);
  procs.keel = lab.keel("keel", CONF);
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("track_src_ip", () => {
  test("the source address leaves its interface: keel's instance goes to FAULT, keepalived's stays MASTER", async () => {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    for (const h of HOSTS) lab.exec(h, ["ip", "addr", "del", "192.168.79.1/24", "dev", "dum0"]);
    await procs.keel!.waitFor(/\(VI_1\) Entering FAULT STATE/, 30_000, from.keel);
    expect(procs.keel!.text()).toContain("(VI_1) no address to send adverts from on dum0: 192.168.79.1 (track_src_ip)");
    // keepalived has seen the deletion (its own line) and left its instance alone
    await procs.ka!.waitFor(/Deassigned address 192\.168\.79\.1 from interface dum0/, 30_000, from.ka);
    expect(procs.ka!.lines.slice(from.ka).some((l) => /Entering (FAULT|BACKUP) STATE/.test(l.text))).toBe(false);
  }, 60_000);

  test("the address comes back: keel's instance is MASTER again", async () => {
    const from = procs.keel!.lines.length;
    for (const h of HOSTS) lab.exec(h, ["ip", "addr", "add", "192.168.79.1/24", "dev", "dum0"]);
    await procs.keel!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000, from);
  }, 60_000);
});
