/**
 * vrrp_strict's firewall against Debian's keepalived 2.2.7, one config run by each in
 * turn on the same host: the same `nft -j list ruleset` (handles and counter values
 * aside), also after a reload that gives one master accept mode, the same effect on a client (a ping to a strict master's VIP without accept
 * is dropped, with accept under VRRPv3 it is answered) and nothing left after stop.
 *
 * The config covers the table name, priority and counters globals, IPv4 and IPv6 VIPs,
 * both link-local sets (by interface index, and by name with dont_track_primary), and
 * use_vmac's map, set and rules (IGMP/MLD reports moved to the base interface, router
 * solicitations dropped), for an IPv4 instance with IPv6 excluded VIPs (both families)
 * and an IPv6 one.
 * That a ping was dropped by the firewall, and not lost, is read from the drop rule's
 * counter (nftables_counters), never inferred from a timeout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

const TABLE = "keel_fw";
const CONF = `global_defs {
  router_id fw
  vrrp_strict
  nftables ${TABLE}
  nftables_priority -5
  nftables_counters
}
vrrp_instance A {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.99.0.100/32
    10.99.0.101/32
  }
}
vrrp_instance B {
  interface eth0
  state BACKUP
  virtual_router_id 52
  version 3
  priority 100
  advert_int 1
  accept
  virtual_ipaddress {
    10.99.0.110/32
  }
}
vrrp_instance C {
  interface eth0
  state BACKUP
  virtual_router_id 53
  priority 100
  advert_int 1
  virtual_ipaddress {
    fe80::1234/64
    2001:db8::5/64
  }
}
vrrp_instance D {
  interface eth0
  state BACKUP
  virtual_router_id 54
  priority 100
  advert_int 1
  dont_track_primary
  virtual_ipaddress {
    fe80::5678/64
  }
}
vrrp_instance E {
  interface eth0
  state BACKUP
  virtual_router_id 55
  priority 100
  advert_int 1
  use_vmac
  virtual_ipaddress {
    10.99.0.120/32
  }
  virtual_ipaddress_excluded {
    2001:db8::9/64
  }
}
vrrp_instance F {
  interface eth0
  state BACKUP
  virtual_router_id 56
  priority 100
  advert_int 1
  # named, though keel's default is keepalived's vrrp.56 too (runtime/vmac-name.ts)
  use_vmac vrrp.56
  virtual_ipaddress {
    fe80::56/64
    2001:db8::56/64
  }
}
`;
const INSTANCES = ["A", "B", "C", "D", "E", "F"];
/** the reload: C (VRRPv3, so strict mode keeps it) in accept mode */
const CONF_C_ACCEPT = CONF.replace("virtual_router_id 53\n", "virtual_router_id 53\n  accept\n");

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  for (const c of ["keepalived", "nft", "ping"]) if (!Bun.which(c)) throw new Error(`${c} is needed`);
  lab = Lab.create(["h1", "client"], { ipv6: true });
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

type Json = unknown;
/** `nft -j list ruleset` without what differs from run to run: handles, counter values, set element order. */
function ruleset(): Json[] {
  const j = JSON.parse(lab.exec("h1", ["nft", "-j", "list", "ruleset"])) as { nftables: Record<string, Json>[] };
  const strip = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, Json>)) {
      if (k === "handle") continue;
      if (k === "counter") o[k] = { packets: 0, bytes: 0 };
      else if (k === "elem" && Array.isArray(x))
        o[k] = x.map(strip).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      else o[k] = strip(x);
    }
    return o;
  };
  return j.nftables.filter((o) => !("metainfo" in o)).map(strip);
}

/** Packets the IPv4 `in` chain's drop rule has counted. */
function droppedIn(): number {
  const j = JSON.parse(lab.exec("h1", ["nft", "-j", "list", "chain", "ip", TABLE, "in"])) as {
    nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[];
  };
  return j.nftables.flatMap((o) => o.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
}

const ping = (addr: string) =>
  Bun.spawnSync(["ip", "netns", "exec", lab.ns("client"), "ping", "-n", "-c", "1", "-W", "2", addr]).exitCode;

interface Run {
  ruleset: Json[];
  /** after the reload that gave C accept mode */
  reloaded: Json[];
  log: string;
}

/** The elements of the IPv6 `vips` set. */
function v6Vips(): string[] {
  const j = JSON.parse(lab.exec("h1", ["nft", "-j", "list", "set", "ip6", TABLE, "vips"])) as {
    nftables: { set?: { elem?: string[] } }[];
  };
  return j.nftables.flatMap((o) => o.set?.elem ?? []);
}

/** Start `start`, wait until every instance is MASTER with its VIPs set, look, ping, reload, stop. */
async function run(start: () => Proc, conf: string): Promise<Run> {
  expect(ruleset()).toEqual([]);
  const p = start();
  for (const i of INSTANCES) await p.waitFor(new RegExp(`\\(${i}\\) setting VIPs\\.`), 30_000);
  const seen = ruleset();
  const before = droppedIn();
  expect(ping("10.99.0.100")).not.toBe(0);
  await eventually(() => droppedIn() > before);
  expect(ping("10.99.0.110")).toBe(0);
  expect(v6Vips().sort()).toEqual(["2001:db8::5", "2001:db8::56", "2001:db8::9"]);
  lab.file(conf, CONF_C_ACCEPT);
  p.kill("SIGHUP");
  await eventually(() => !v6Vips().includes("2001:db8::5"), 30_000, 200);
  const reloaded = ruleset();
  p.kill("SIGTERM");
  await p.exited;
  expect(ruleset()).toEqual([]);
  return { ruleset: seen, reloaded, log: p.text() };
}

describe("vrrp_strict's firewall, keel beside keepalived", () => {
  let ka: Run;
  let keel: Run;

  test("keepalived: the drop sets hold a strict master's VIPs; a ping to one is dropped, with accept it is answered", async () => {
    ka = await run(() => lab.keepalived("h1", CONF), "h1-ka.conf");
    expect(ka.log).toContain("(A) setting firewall drop rule");
  }, 120_000);

  test("keel: the same, and nothing left after stop", async () => {
    keel = await run(() => lab.keel("h1", CONF), "h1.conf");
    expect(keel.log).toContain("(A) setting firewall drop rule");
    expect(keel.log).not.toContain("(B) setting firewall drop rule");
  }, 120_000);

  test("the same ruleset: tables, chains, sets, elements and rules", () => {
    const sets = ka.ruleset.flatMap((o) => {
      const set = (o as { set?: { family: string; table: string; name: string } }).set;
      return set ? [`${set.family} ${set.table} ${set.name}`] : [];
    });
    const maps = ka.ruleset.flatMap((o) => {
      const map = (o as { map?: { family: string; name: string; elem: unknown } }).map;
      return map ? [`${map.family} ${map.name} ${JSON.stringify(map.elem)}`] : [];
    });
    expect(sets).toEqual([
      `ip ${TABLE} vips`,
      `ip6 ${TABLE} vmac_set`,
      `ip6 ${TABLE} vips`,
      `ip6 ${TABLE} neighbor-discovery`,
      `ip6 ${TABLE} vips_link_local`,
      `ip6 ${TABLE} vips_link_local_name`,
    ]);
    expect(maps).toEqual(['ip vmac_map [["vrrp.55","eth0"]]', 'ip6 vmac_map [["vrrp.55","eth0"],["vrrp.56","eth0"]]']);
    expect(keel.ruleset).toEqual(ka.ruleset);
  });

  test("a reload that gives a master accept mode takes its VIPs out of the sets, as keepalived's does", () => {
    expect(keel.reloaded).toEqual(ka.reloaded);
  });
});
