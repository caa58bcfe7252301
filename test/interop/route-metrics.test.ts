/**
 * Routes with metrics, `from`, `pref` and `expires` against Debian's keepalived 2.2.7, as
 * route-encap.test.ts does for encap: the same virtual_routes under keepalived in one
 * namespace and keel in another (each alone on its VRID), and a third namespace gets the
 * same lines from `ip route add`; the kernel's routes (`ip -d -o route`, these destinations
 * only, the `expires` countdown normalised) must be the same in all three. Metrics carry
 * `lock`s (RTAX_LOCK); keel's and keepalived's `rto_min lock` is iproute2's `rto_min`
 * (its iproute_modify always locks it and takes no `lock` word there). The times are at least 200 ms, where
 * keepalived's get_time_rtt and iproute2 agree. `ttl-propagate` needs an MPLS encap that
 * this host's kernel does not have: its bytes are in test/unit/native-bindings/route-metrics.test.ts.
 * On stop both take every one of them away.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { routesConf, unicastRoutes } from "./route-lab";

const HOSTS = ["ka", "keel"] as const;
/** a third namespace where `ip route add` installs the same routes */
const IPR = "ipr";
const ROUTES = [
  "10.93.0.0/24 via 10.99.0.1 dev eth0 mtu lock 1400 advmss 1300 rtt 300ms rttvar lock 250ms rto_min lock 1.5s window 1000 ssthresh 20 cwnd lock 10 reordering 5 hoplimit 64 initcwnd 12 initrwnd 14 quickack 1 features ecn congctl lock cubic fastopen_no_cookie 1",
  "10.94.0.0/24 via 10.99.0.1 dev eth0 metric 5 mtu 1280",
  "2001:db8:8::/64 from 2001:db8:77::/64 via 2001:db8:99::1 dev eth0 pref high",
  "2001:db8:9::/64 via 2001:db8:99::1 dev eth0 expires 300 pref low mtu 1300 hoplimit 9",
];
const DSTS = ["10.93.0.0/24", "10.94.0.0/24", "2001:db8:8::/64", "2001:db8:9::/64"];
let lab: Lab;
const procs: Record<string, Proc> = {};

const conf = (host: string, vrid: number) => routesConf(host, vrid, ROUTES);

// `expires 299sec`: the kernel counts down from the seconds it was given
const routes = (host: string): string[] =>
  unicastRoutes(lab, host, DSTS).map((l) => l.replace(/ expires \d+sec/, " expires Nsec"));

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS, IPR], { ipv6: true });
  // the same IPv6 subnet on all, for the IPv6 gateways (nodad: usable at once)
  [...HOSTS, IPR].forEach((h, i) =>
    lab.exec(h, ["ip", "-6", "addr", "add", `2001:db8:99::${i + 11}/64`, "dev", "eth0", "nodad"]),
  );
  for (const r of ROUTES)
    lab.exec(IPR, [
      "ip",
      "route",
      "add",
      "proto",
      "keepalived",
      "scope",
      "global",
      ...r.replace("rto_min lock", "rto_min").split(" "),
    ]);
  procs.ka = lab.keepalived("ka", conf("ka", 77));
  procs.keel = lab.keel("keel", conf("keel", 78));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("virtual routes with metrics, from, pref and expires, keel against keepalived 2.2.7", () => {
  test("every route is installed with them: as ip route does, as keepalived does", async () => {
    await eventually(() => HOSTS.every((h) => routes(h).length === DSTS.length), 15_000).catch((e) => {
      const said = (h: string) => procs[h]!.lines.map((l) => l.text).filter((t) => /route|netlink/i.test(t));
      throw new Error(
        `${e}\n${HOSTS.map((h) => `${h}: ${JSON.stringify(routes(h))}\n${said(h).join("\n")}`).join("\n")}`,
      );
    });
    const [ka, keel, ipr] = [routes("ka"), routes("keel"), routes(IPR)];
    expect(keel).toEqual(ipr);
    expect(keel).toEqual(ka);
    // the options are there, not only equally absent
    expect(keel[0]).toContain("mtu lock 1400");
    expect(keel[0]).toContain("congctl lock cubic");
    expect(keel[2]).toContain("from 2001:db8:77::/64");
    expect(keel[3]).toContain("expires Nsec");
    expect(keel[3]).toContain("pref low");
  }, 30_000);

  test("on stop, keel takes them all away as keepalived does", async () => {
    for (const h of HOSTS) procs[h]!.kill("SIGTERM");
    await Promise.all(HOSTS.map((h) => procs[h]!.exited));
    for (const h of HOSTS) expect(routes(h)).toEqual([]);
  }, 30_000);
});
