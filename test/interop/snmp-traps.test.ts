/**
 * The RFC notifications for rejected adverts, and KEEPALIVED-MIB's route encap columns,
 * keel against keepalived 2.2.7: one lab host h1 with Debian's snmpd (AgentX master) and
 * snmptrapd (snmp-lab.ts), the same configuration (enable_snmp_vrrp, enable_snmp_rfc:
 * both RFC MIBs, enable_traps) run by keepalived and then by keel:
 * - h2 sends one malformed advert at a time (snmp-bad-advert.ts: a frame on an AF_PACKET
 *   socket), each waited for at snmptrapd before the next: a wrong password and no auth
 *   to VI_1 (VRRPv2, PASS) raise RFC 2787 vrrpTrapAuthFailure (vrrpTrapPacketSrc,
 *   vrrpTrapAuthErrorType authFailure / authTypeMismatch); a VRRPv2 advert and one with
 *   TTL 64 to VI_2 (VRRPv3) raise RFC 6527 vrrpv3ProtoError (versionError, ipTtlError).
 *   The traps received are the same from both, sysUpTime.0 left out;
 * - VI_1's virtual_routes carry `encap` (ip, ip6, mpls, ila, and ip on one next hop): the
 *   walk of vrrpRouteTable (.2.7) and vrrpRouteNextHopTable (.2.11) is the same from both
 *   but for vrrpRouteIsSet (.7.1.14): this kernel has no MPLS or ILA lightweight tunnels,
 *   so keepalived marks those routes not set where keel, whose routes are the MASTER's,
 *   serves them set (src/snmp/keepalived-vrrp-routes.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { SnmpLab, type Trap } from "./snmp-lab";

const ROUTES = ".1.3.6.1.4.1.9586.100.5.2.7";
const NEXT_HOPS = ".1.3.6.1.4.1.9586.100.5.2.11";
const AUTH_FAILURE = ".1.3.6.1.2.1.68.0.2";
const PROTO_ERROR = ".1.3.6.1.2.1.207.0.2";

const CONF = (agentx: string) => `
global_defs {
  router_id r1
  enable_snmp_vrrp
  enable_snmp_rfc
  enable_traps
  snmp_socket unix:${agentx}
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.99.0.100/24
  }
  virtual_routes {
    10.91.0.0/24 encap ip id 5 dst 10.9.9.9 src 10.99.0.11 tos 0x10 ttl 3 flags 1 dev eth0
    10.90.0.0/24 encap mpls 100/200 via 10.99.0.1 dev eth0
    10.89.0.0/24 nexthop via 10.99.0.2 dev eth0 encap ip id 9 dst 10.8.8.8 nexthop via 10.99.0.3 dev eth0
    2001:db8:5::/64 encap ip6 id 7 dst 2001:db8::9 tc 0x20 hoplimit 4 dev eth0
    2001:db8:6::/64 encap ila 1:2:3:4 dev eth0
  }
}
vrrp_instance VI_2 {
  state MASTER
  interface eth0
  virtual_router_id 52
  priority 100
  version 3
  advert_int 1
  virtual_ipaddress {
    10.99.0.101/24
  }
}
`;

/** The bad adverts, in order, and the notification each raises. */
const SENDS = [
  { kind: "bad-pass", vrid: 51, trap: AUTH_FAILURE },
  { kind: "no-auth", vrid: 51, trap: AUTH_FAILURE },
  { kind: "bad-version", vrid: 52, trap: PROTO_ERROR },
  { kind: "bad-ttl", vrid: 52, trap: PROTO_ERROR },
] as const;

const line = (t: Trap) => [t.trapOid, ...t.varbinds].join(" | ");

let lab: Lab;
let snmp: SnmpLab;
const runs: Record<string, { traps: string[][]; routes: string[] }> = {};

async function run(name: string, start: () => Proc): Promise<void> {
  const p = start();
  for (const vi of ["VI_1", "VI_2"]) await p.waitFor(new RegExp(`\\(${vi}\\) Entering MASTER STATE`), 30_000);
  // registered (nothing logs it in snmpd): the route table is served
  const routes = await eventually(() => {
    const w = [...snmp.walk(ROUTES), ...snmp.walk(NEXT_HOPS)];
    return w.some((l) => l.startsWith(`${ROUTES}.1.46.`)) && w;
  }, 30_000);
  const traps: string[][] = [];
  for (const s of SENDS) {
    const mark = snmp.trapd.lines.length;
    lab.exec("h2", [
      process.execPath,
      join(import.meta.dir, "snmp-bad-advert.ts"),
      "eth0",
      lab.ip("h2"),
      String(s.vrid),
      s.kind,
    ]);
    const got = await eventually(() => {
      const t = snmp.traps(mark).filter((x) => x.trapOid === s.trap);
      return t.length > 0 && t;
    }, 15_000);
    traps.push(got.map(line));
  }
  if (name === "keepalived") p.killGroup("SIGTERM");
  else p.kill("SIGTERM");
  await p.exited;
  runs[name] = { traps, routes };
}

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"], { ipv6: true });
  snmp = new SnmpLab(lab, "h1");
  await snmp.start();
  await run("keepalived", () => lab.keepalived("h1", CONF(snmp.agentx)));
  await run("keel", () => lab.keel("h1", CONF(snmp.agentx)));
}, 4 * HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("RFC notifications for rejected adverts: keel against keepalived 2.2.7", () => {
  test("each bad advert raises the same notification at snmptrapd", () => {
    const ka = runs.keepalived!.traps;
    expect(ka.map((t) => t.length)).toEqual([1, 1, 1, 1]);
    // not vacuous: the error types keepalived names (RFC 2787 authFailure 3,
    // authTypeMismatch 2; RFC 6527 versionError 2, ipTtlError 1)
    expect(ka.map((t) => t[0]?.split(" = INTEGER: ")[1])).toEqual(["3", "2", "2", "1"]);
    expect(runs.keel!.traps).toEqual(ka);
  });
});

describe("KEEPALIVED-MIB route encap columns: keel against keepalived 2.2.7", () => {
  test("vrrpRouteTable and vrrpRouteNextHopTable walk the same (isSet aside)", () => {
    const notSet = (w: string[]) => w.filter((l) => !l.startsWith(`${ROUTES}.1.14.`));
    const ka = runs.keepalived!.routes;
    // every encap column keepalived serves for these routes is there
    for (const c of [46, 47, 48, 49, 50, 51, 52, 53, 54])
      expect(ka.some((l) => l.startsWith(`${ROUTES}.1.${c}.`))).toBe(true);
    // keepalived 2.2.7 serves no next hop's encap columns (.11.1.10-18), though it has them
    expect(ka.some((l) => l.startsWith(`${NEXT_HOPS}.1.3.`))).toBe(true);
    expect(notSet(runs.keel!.routes)).toEqual(notSet(ka));
  });
});
