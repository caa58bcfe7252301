/**
 * A route's `encap` and its next hops' at config load: tos / tc names through rt_dsfield
 * and next-hop realms through rt_realms become numbers (config/vrrp/rt-resolve.ts), as
 * keepalived's parse_encap_ip / parse_encap_ip6 (find_rttables_dsfield) and parse_nexthops
 * (get_realms) look them up; an unknown name drops the line with keepalived's message.
 */
import { expect, test } from "bun:test";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import { parseConf } from "../../../src/config/parse";
import type { RtFileAccess } from "../../../src/config/rt-names";
import { memorySource } from "../../../src/config/source";

const FILES: Record<string, string> = {
  "/tmp/ipr/rt_dsfield": "0x0\tdefault\n0x28\tAF11\n",
  "/tmp/ipr/rt_realms": "1 inner\n2 outer\n",
};
const fs: RtFileAccess = {
  readFile: (p) => FILES[p],
  listDir: (p) => (p === "/tmp/ipr" ? Object.keys(FILES).map((f) => f.slice(9)) : undefined),
  exists: (p) => p in FILES || p === "/tmp/ipr",
  isDir: (p) => p === "/tmp/ipr",
};
const load = (routes: string) =>
  parseConf("k.conf", {
    source: memorySource({
      "k.conf": `global_defs {\n  iproute_etc_dir /tmp/ipr\n}\nstatic_routes {\n${routes}\n}\n`,
    }),
    host: { interfaceExists: () => true, rtFiles: fs },
  });

test("encap tos / tc and next-hop realms become numbers; the names stay for keel -t's dump", () => {
  const r = load(
    [
      "  10.1.0.0/16 encap ip id 5 dst 10.9.9.9 tos AF11 dev eth0",
      "  2001:db8:1::/64 encap ip6 dst 2001:db8::9 tc 0x20 dev eth0",
      "  10.2.0.0/16 nexthop via 10.0.0.1 dev eth0 realms inner/outer encap ip dst 10.8.8.8 tos default nexthop via 10.0.0.2 dev eth0",
    ].join("\n"),
  );
  expect(r.diagnostics.items.filter((d) => d.severity === "error")).toEqual([]);
  const [a, b, c] = r.config.staticRoutes;
  expect(a?.encap).toMatchObject({ tos: "AF11", tosId: 0x28 });
  expect(b?.encap).toMatchObject({ tos: "0x20", tosId: 0x20 });
  expect(c?.nexthops?.[0]).toMatchObject({ realms: "inner/outer", realmsId: (1 << 16) | 2 });
  expect(c?.nexthops?.[0]?.encap).toMatchObject({ tos: "default", tosId: 0 });
  expect(c?.nexthops?.[1]?.realmsId).toBeUndefined();
});

test("an unknown dsfield or realm name drops the route with keepalived's message at its line", () => {
  const r = load(
    [
      "  10.1.0.0/16 encap ip dst 10.9.9.9 tos AF99 dev eth0",
      "  2001:db8:1::/64 encap ip6 dst 2001:db8::9 tc AF99 dev eth0",
      "  10.2.0.0/16 nexthop via 10.0.0.1 dev eth0 encap ip dst 10.8.8.8 tos AF98 nexthop via 10.0.0.2 dev eth0",
      "  10.3.0.0/16 nexthop via 10.0.0.1 dev eth0 realms nowhere nexthop via 10.0.0.2 dev eth0",
      "  10.4.0.0/16 encap ip dst 10.9.9.9 tos AF11 dev eth0",
    ].join("\n"),
  );
  expect(r.config.staticRoutes.map((x) => x.dst)).toEqual(["10.4.0.0/16"]);
  expect(r.diagnostics.items.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d))).toEqual([
    "k.conf:5:3: error[unknown-rt-name]: dsfield AF99 not valid for ip encapsulation",
    "k.conf:6:3: error[unknown-rt-name]: tc value AF99 is invalid for ip6 encapsulation",
    "k.conf:7:3: error[unknown-rt-name]: dsfield AF98 not valid for ip encapsulation",
    "k.conf:8:3: error[unknown-rt-name]: Invalid realms nowhere for route",
  ]);
});

test("keepalived's two encap bugs are warned about at the word; an id past 64 bits is keepalived's error", () => {
  const r = load(
    [
      "  10.1.0.0/16 encap ip id 4294967296 dst 10.9.9.9 dev eth0",
      "  10.2.0.0/16 encap ip id 4294967295 dst 10.9.9.9 dev eth0",
      "  10.3.0.0/16 nexthop via 10.0.0.1 dev eth0 encap ip dst 10.8.8.8 nexthop via 10.0.0.2 dev eth0",
      "  10.4.0.0/16 encap ip id 18446744073709551616 dst 10.9.9.9 dev eth0",
      "  2001:db8:1::/64 encap ip6 id 18446744073709551616 dst 2001:db8::9 dev eth0",
    ].join("\n"),
  );
  const said = r.diagnostics.items.map((d) => formatDiagnostic(d)).filter((d) => /keepalived\]|error/.test(d));
  expect(said).toEqual([
    "k.conf:5:27: warning[encap-id-keepalived]: encap id 4294967296: keepalived 2.2.7 installs only its low 32 bits (0; fixed in 2.4.0); keel installs all 64, as keepalived 2.4 does",
    "k.conf:7:45: warning[nexthop-encap-keepalived]: static_routes: keepalived installs this next hop without its encap (vrrp_iproute.c add_nexthop leaves add_encap no room); keel installs it, as ip route does",
    "k.conf:8:27: error[bad-number]: encap id 18446744073709551616 value is invalid",
    "k.conf:9:32: error[bad-number]: id 18446744073709551616 value invalid for IPv6 encapsulation",
  ]);
  expect(r.config.staticRoutes.map((x) => [x.dst, x.encap?.id ?? x.nexthops?.[0]?.encap?.dst])).toEqual([
    ["10.1.0.0/16", "4294967296"],
    ["10.2.0.0/16", "4294967295"],
    ["10.3.0.0/16", "10.8.8.8"],
  ]);
});
