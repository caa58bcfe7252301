/**
 * An IPv6 instance whose interface's link-local is still tentative (duplicate address
 * detection running) when the daemon starts, beside Debian's keepalived 2.2.7 (each alone
 * in its namespace on a veth pair, same configuration, both with -D). keepalived takes
 * the link-local whatever its flags (keepalived_netlink.c netlink_if_address_filter reads
 * none): the instance starts in BACKUP ("(V6) Entering BACKUP STATE (init)"), not FAULT,
 * and becomes MASTER at its Master_Down_Interval; the kernel refuses its adverts while the
 * address is tentative ("send advert error 22"). keel now takes it too (source-address.ts).
 * DAD is made to last far beyond the test (60 probes, 1 s apart), so the address is
 * tentative throughout, whatever the load: no timing in the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
let lab: Lab;
const procs: Record<string, Proc> = {};

const conf = `global_defs {
  router_id v6source
}
vrrp_instance V6 {
  state MASTER
  interface v6
  virtual_router_id 20
  priority 200
  advert_int 1
  virtual_ipaddress {
    fd00::20/64
  }
}
`;

const STATE = /^\(V6\):? (entering|Entering|removing|setting|no address)/;
const lines = (h: string) => procs[h]!.lines.map((l) => bare(l.text)).filter((t) => STATE.test(t));

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create([...HOSTS], { ipv6: true });
  for (const h of HOSTS) {
    lab.exec(h, ["ip", "link", "add", "v6", "type", "veth", "peer", "name", "v6p"]);
    // the lab turns DAD off by default; this interface gets a long one
    lab.exec(h, ["sysctl", "-qw", "net.ipv6.conf.v6.accept_dad=1", "net.ipv6.conf.v6.dad_transmits=60"]);
    lab.exec(h, ["ip", "link", "set", "v6p", "up"]);
    lab.exec(h, ["ip", "link", "set", "v6", "up"]);
  }
  // the kernel adds the EUI-64 link-local when the link comes up: wait until it is listed
  await eventually(() =>
    HOSTS.every((h) => /scope link tentative/.test(lab.exec(h, ["ip", "-6", "addr", "show", "dev", "v6"]))),
  );
  procs.ka = lab.keepalived("ka", conf);
  procs.keel = lab.keel("keel", conf);
  for (const h of HOSTS) await procs[h]!.waitFor(/\(V6\) setting VIPs\./, 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("IPv6 source: a tentative link-local at start, beside keepalived 2.2.7", () => {
  test("taken as keepalived takes it: BACKUP (init), then MASTER, no FAULT", () => {
    // still tentative: what the daemons saw is what the test meant
    for (const h of HOSTS)
      expect(lab.exec(h, ["ip", "-6", "addr", "show", "dev", "v6"])).toMatch(/scope link tentative/);
    const ka = lines("ka");
    expect(ka).toEqual([
      "(V6) removing VIPs.",
      "(V6) Entering BACKUP STATE (init)",
      "(V6) Entering MASTER STATE",
      "(V6) setting VIPs.",
    ]);
    expect(lines("keel")).toEqual(ka);
  });
});
