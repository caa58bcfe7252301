/**
 * KEEPALIVED-MIB's address (static ones too), route, rule and next-hop tables
 * (src/snmp/keepalived-vrrp-routes.ts) against what keepalived 2.2.7 served for the same
 * configuration: fixtures/keepalived-2.2.7-routes-walk.txt is `snmpwalk -On` of .2.6,
 * .2.7, .2.8 and .2.11 with `keepalived -x` running fixtures/keepalived-routes.conf in a
 * lab namespace (VI_1 MASTER, every route and rule taken by the kernel, eth0 ifindex 2,
 * eth1 ifindex 4), recorded against Debian's snmpd with the lab of
 * test/interop/snmp-lab.ts (eth1 a veth as there). Not in the live comparison
 * (test/interop/snmp-keepalived.test.ts): with static_rules beside an instance's rules and
 * more instances, keepalived 2.2.7's agent hangs in that walk.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { keepalivedVrrp } from "../../../src/snmp/keepalived-vrrp";
import type { SnmpSource } from "../../../src/snmp/mib";
import { walkLine } from "./walk-line";

const FIX = join(import.meta.dir, "fixtures");
const TABLES = /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.(6|7|8|11)\./;

function source(state: string): SnmpSource {
  const { config } = loadConfig(join(FIX, "keepalived-routes.conf"));
  const vi1 = { name: "VI_1", state, version: 2, family: 4 } as InstanceStatus;
  return {
    config,
    status: { instances: [vi1] } as unknown as Status,
    now: 0,
    interfaces: new Map([
      ["eth0", 2],
      ["eth1", 4],
    ]),
  };
}

const ours = (state: string) =>
  keepalivedVrrp
    .varbinds(source(state))
    .map(walkLine)
    .filter((l) => TABLES.test(l));

describe("KEEPALIVED-MIB routes, rules and next hops, as keepalived 2.2.7 serves them", () => {
  test("the walk gives the same OIDs, types and values", () => {
    const theirs = readFileSync(join(FIX, "keepalived-2.2.7-routes-walk.txt"), "utf8")
      .split("\n")
      .filter((l) => TABLES.test(l));
    expect(ours("MASTER")).toEqual(theirs);
    // not vacuous: static rows (instance 0), a multipath route's next hops, advmss (served
    // only with hoplimit), a rule's assigned preference
    for (const oid of [".6.1.3.0.1", ".7.1.3.0.1", ".7.1.25.1.2", ".8.1.25.0.1", ".8.1.25.1.1", ".11.1.6.1.4.2"])
      expect(theirs.some((l) => l.startsWith(`.1.3.6.1.4.1.9586.100.5.2${oid} `))).toBe(true);
  });

  test("a BACKUP's routes and rules are not set; the static ones are", () => {
    const set = ours("BACKUP").filter((l) => /\.2\.(7\.1\.14|8\.1\.7)\./.test(l));
    expect(set.filter((l) => l.endsWith("INTEGER: 1")).map((l) => l.split(" ")[0]?.split(".").at(-2))).toEqual([
      "0",
      "0",
    ]);
    expect(set.filter((l) => l.endsWith("INTEGER: 2")).length).toBe(10);
  });
});
