/**
 * Routes with `encap` and `nexthop` groups against Debian's keepalived 2.2.7: the same
 * virtual_routes run under keepalived in one namespace and keel in another (each alone on
 * its VRID), and the kernel's routes (`ip -d -j route show table all`, these destinations
 * only) must be the same: single-path and multipath, IPv4 `encap ip` and IPv6 `encap ip6`
 * (lightweight tunnels on a veth; this host has no MPLS or ILA tunnels, those are compared
 * in the VM: test/vm/guest/ifaces-e2e.ts). A third namespace gets the same lines from
 * `ip route add`: keel's routes are iproute2's, and keepalived's but for two keepalived
 * bugs keel warns about. On stop both take every one of them away.
 *
 * `flags 256` is keepalived's host-order LWTUNNEL_IP_FLAGS: the kernel reads a __be16, so
 * on this little-endian host the route carries TUNNEL_CSUM (0x0001) and `ip` prints csum.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { routesConf, unicastRoutes } from "./route-lab";

const HOSTS = ["ka", "keel"] as const;
/** a third namespace where `ip route add` installs the same routes */
const IPR = "ipr";
const ROUTES = [
  "10.91.0.0/24 via 10.99.0.1 dev eth0 encap ip id 5 dst 10.9.9.9 src 10.9.9.1 tos 0x10 ttl 3 flags 256",
  "10.92.0.0/24 dev eth0 encap ip id 18446744073709551615 dst 10.9.9.9",
  "10.89.0.0/24 nexthop via 10.99.0.1 dev eth0 weight 2 encap ip id 9 dst 10.8.8.8 nexthop via 10.99.0.2 dev eth0",
  "2001:db8:5::/64 via 2001:db8:99::1 dev eth0 encap ip6 id 7 dst 2001:db8::9 tc 0x20 hoplimit 4",
  "2001:db8:7::/64 nexthop via 2001:db8:99::1 dev eth0 encap ip6 id 9 dst 2001:db8::8 nexthop via 2001:db8:99::2 dev eth0 weight 3",
];
const DSTS = ["10.91.0.0/24", "10.92.0.0/24", "10.89.0.0/24", "2001:db8:5::/64", "2001:db8:7::/64"];

let lab: Lab;
const procs: Record<string, Proc> = {};

const conf = (host: string, vrid: number) => routesConf(host, vrid, ROUTES);

const routes = (host: string): string[] => unicastRoutes(lab, host, DSTS);

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS, IPR], { ipv6: true });
  // the same IPv6 subnet on all, for the IPv6 gateways (nodad: usable at once)
  [...HOSTS, IPR].forEach((h, i) =>
    lab.exec(h, ["ip", "-6", "addr", "add", `2001:db8:99::${i + 11}/64`, "dev", "eth0", "nodad"]),
  );
  // iproute2's spelling of keepalived's host-order `flags 256` is `csum` (see the top)
  for (const r of ROUTES)
    lab.exec(IPR, [
      "ip",
      "route",
      "add",
      "proto",
      "keepalived",
      "scope",
      "global",
      ...r.replace("flags 256", "csum").split(" "),
    ]);
  procs.ka = lab.keepalived("ka", conf("ka", 75));
  procs.keel = lab.keel("keel", conf("keel", 76));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("encapsulated and multipath virtual routes, keel against keepalived 2.2.7", () => {
  test("every route is installed with its encap and next hops: as ip route does, as keepalived does but for its two bugs", async () => {
    await eventually(() => HOSTS.every((h) => routes(h).length === DSTS.length), 15_000).catch((e) => {
      // say which routes are missing and what each daemon said about routes
      const said = (h: string) => procs[h]!.lines.map((l) => l.text).filter((t) => /route|netlink|encap/i.test(t));
      throw new Error(
        `${e}\n${HOSTS.map((h) => `${h}: ${JSON.stringify(routes(h))}\n${said(h).join("\n")}`).join("\n")}`,
      );
    });
    const [ka, keel, ipr] = [routes("ka"), routes("keel"), routes(IPR)];
    // keel installs each route as `ip route add` does for the same line
    expect(keel).toEqual(ipr);
    expect(keel[0]).toBe(
      "unicast 10.91.0.0/24 encap ip id 5 src 10.9.9.1 dst 10.9.9.9 ttl 3 tos 16 csum via 10.99.0.1 dev eth0 table main proto keepalived scope global",
    );
    // and as keepalived 2.2.7 does, but for two of its bugs that keel warns about at the
    // line (route.ts): an id past 32 bits keeps its low 32 (read_unsigned64, fixed in
    // 2.4.0), and a next hop's encap is never sent (add_nexthop, still in 2.4.3)
    const asKeepalived227 = (l: string) =>
      l.replace("id 18446744073709551615", "id 4294967295").replace(/nexthop encap .*? via/g, "nexthop via");
    expect(ka).toEqual(keel.map(asKeepalived227));
    expect(keel.map(asKeepalived227)).not.toEqual(keel);
    const warned = procs.keel!.lines.map((l) => l.text).filter((t) => /-keepalived\]/.test(t));
    expect(warned.map((t) => /warning\[([a-z-]+)\]/.exec(t)?.[1])).toEqual([
      "encap-id-keepalived",
      "nexthop-encap-keepalived",
      "nexthop-encap-keepalived",
    ]);
  }, 30_000);

  test("on stop, keel takes them all away as keepalived does", async () => {
    for (const h of HOSTS) procs[h]!.kill("SIGTERM");
    await Promise.all(HOSTS.map((h) => procs[h]!.exited));
    for (const h of HOSTS) expect(routes(h)).toEqual([]);
  }, 30_000);
});
