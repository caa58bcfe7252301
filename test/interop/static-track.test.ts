/**
 * track_group on a static route against Debian's keepalived 2.2.7 (vrrp_static_track.c):
 * the same configuration runs under keepalived in one namespace and keel in another
 * (each alone on its VRID). The route's interface (dum0, one end of a veth pair) goes down: the kernel
 * drops the route and the group's instance goes to FAULT (it tracks dum0 through the
 * group, unweighted). dum0 comes up: the daemon adds the route again ("Restoring deleted
 * static route", vrrp_if.c interface_up) and the instance comes back to MASTER. At each
 * step the two namespaces' `ip route` must be the same. A static address someone deletes
 * comes back at once, in both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance } from "../netns/harness";

const HOSTS = ["ka", "keel"] as const;
const ROUTE = "198.51.100.0/24";

const conf = (host: string, vrid: number) =>
  [
    `global_defs {\n  router_id ${host}\n}`,
    "track_group TG {\n  group {\n    VI_1\n  }\n}",
    "static_ipaddress {\n  192.168.78.1/24 dev dum0\n}",
    `static_routes {\n  ${ROUTE} via 192.168.77.254 dev dum0 track_group TG\n}`,
    instance({ vrid, state: "MASTER", priority: 200, version: 3, advertInt: 0.2, vips: [`10.99.0.${vrid}/24`] }),
  ].join("\n");

let lab: Lab;
const procs: Record<string, Proc> = {};

/** A namespace's main table, without what differs by host (eth0's own address). */
const routes = (host: string) =>
  lab
    .exec(host, ["ip", "route", "show"])
    .replace(/ src 10\.99\.0\.\d+/g, "")
    .trim();

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    // a veth pair inside the namespace (this kernel has no dummy driver); dum0p keeps carrier
    lab.exec(h, ["ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum0p"]);
    lab.exec(h, ["ip", "addr", "add", "192.168.77.1/24", "dev", "dum0"]);
    lab.exec(h, ["ip", "link", "set", "dum0p", "up"]);
    lab.exec(h, ["ip", "link", "set", "dum0", "up"]);
  }
  procs.ka = lab.keepalived("ka", conf("ka", 71));
  procs.keel = lab.keel("keel", conf("keel", 72));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("static route with track_group", () => {
  test("added at start, as keepalived adds it", () => {
    for (const h of HOSTS) expect(routes(h)).toContain(`${ROUTE} via 192.168.77.254 dev dum0`);
    expect(routes("keel")).toBe(routes("ka"));
  });

  test("interface down: route gone, the group's instance in FAULT, as with keepalived", async () => {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "dum0", "down"]);
    await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering FAULT STATE/, 30_000, from[h])));
    for (const h of HOSTS) expect(routes(h)).not.toContain(ROUTE);
    expect(routes("keel")).toBe(routes("ka"));
  }, 60_000);

  test("interface up: the route is restored and the instance is MASTER again, as with keepalived", async () => {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "dum0", "up"]);
    await Promise.all(
      HOSTS.map(async (h) => {
        await procs[h]!.waitFor(/Restoring deleted static route/, 30_000, from[h]);
        await procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000, from[h]);
      }),
    );
    await eventually(() => HOSTS.every((h) => routes(h).includes(`${ROUTE} via 192.168.77.254 dev dum0`)), 10_000);
    expect(routes("keel")).toBe(routes("ka"));
  }, 60_000);

  test("a deleted static address is restored, as keepalived restores it", async () => {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    for (const h of HOSTS) lab.exec(h, ["ip", "addr", "del", "192.168.78.1/24", "dev", "dum0"]);
    await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/Restoring deleted static address/, 30_000, from[h])));
    await eventually(() => HOSTS.every((h) => lab.addrs(h, "dum0").includes("192.168.78.1/24")), 10_000);
    expect(lab.addrs("keel", "dum0")).toEqual(lab.addrs("ka", "dum0"));
  }, 60_000);
});
