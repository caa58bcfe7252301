/**
 * Named route tables, protocols and realms against Debian's keepalived 2.2.7: the same
 * configuration runs under keepalived in one namespace and keel in another (each alone on
 * its VRID), with a temporary iproute2 directory naming table 100 `mytable`, protocol 77
 * `myproto` and realms 5/6 `inner`/`outer`. keel reads it through `iproute_etc_dir`;
 * keepalived 2.2.7, which has no such keyword (it logs it as unknown), reads /etc/iproute2,
 * so the directory is bind-mounted there in a mount namespace of its own (withIproute2),
 * never over the host's. `ip route show table all` and `ip rule` (run with the same
 * directory, so they print the names) must be the same in both namespaces.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance, withIproute2 } from "../netns/harness";

const HOSTS = ["ka", "keel"] as const;

let lab: Lab;
let iproute2: string;
const procs: Record<string, Proc> = {};

const conf = (host: string, vrid: number) =>
  [
    `global_defs {\n  router_id ${host}\n  iproute_etc_dir ${iproute2}\n}`,
    "static_routes {\n  192.0.2.0/25 dev eth0 table mytable protocol myproto no_track\n  192.0.2.128/25 dev eth0 table mytable\n}",
    instance({
      vrid,
      state: "MASTER",
      priority: 200,
      version: 3,
      advertInt: 0.2,
      vips: [`10.99.0.${vrid}/24`],
      extra: [
        "virtual_routes {",
        "  198.51.100.0/24 dev eth0 table mytable",
        "  203.0.113.0/24 dev eth0 table mytable protocol myproto realms inner/outer no_track",
        "  198.18.0.0/16 dev eth0 table 0x65 scope link",
        "}",
        "virtual_rules {",
        "  from 198.51.100.0/24 table mytable priority 1000",
        "  to 203.0.113.0/24 table 0x65 tos 0x10 priority 1001",
        "}",
      ],
    }),
  ].join("\n");

/** A namespace's routes of every table (what differs by host aside: its own and its VIP's address). */
const show = (host: string, cmd: string[]) =>
  lab
    .exec(host, [...withIproute2(iproute2), "ip", ...cmd])
    .split("\n")
    .filter((l) => l !== "" && !l.includes("10.99.0."))
    .join("\n");

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  iproute2 = join(lab.dir, "iproute2");
  // keepalived 2.2.7 reads no rt_tables.d: the lab's table is in rt_tables itself
  mkdirSync(iproute2);
  writeFileSync(join(iproute2, "rt_tables"), "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n100\tmytable\n");
  // hex, as strtoul reads it; no comment after it: 2.2.7 skips such a line (2.4 strips the comment)
  writeFileSync(join(iproute2, "rt_protos"), "# protocols of this lab\n18\tkeepalived\n0x4d\tmyproto\n");
  writeFileSync(join(iproute2, "rt_realms"), "0\tcosmos\n5\tinner\n6\touter\n");
  procs.ka = lab.keepalived("ka", conf("ka", 73), [], { iproute2 });
  procs.keel = lab.keel("keel", conf("keel", 74));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("named tables, protocols and realms", () => {
  test("keel's routes of every table are keepalived's, names included", () => {
    const ka = show("ka", ["route", "show", "table", "all"]);
    expect(ka).toContain("203.0.113.0/24 dev eth0 table mytable proto myproto realms inner/outer");
    expect(show("keel", ["route", "show", "table", "all"])).toBe(ka);
  });

  test("keel's rules are keepalived's", () => {
    const ka = show("ka", ["rule", "show"]);
    expect(ka).toContain("1000:\tfrom 198.51.100.0/24 lookup mytable");
    expect(show("keel", ["rule", "show"])).toBe(ka);
  });
});

/**
 * keepalived_netlink.c netlink_route_filter: RTM_DELROUTE of a tracked route of a MASTER
 * makes it leave MASTER (set_vrrp_backup) with a Master_Down of the skew time, so alone it
 * is MASTER again at once and adds its routes back; a tracked static route is added again.
 */
describe("route deletions (netlink route events)", () => {
  const mark = () => Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
  const routes = (h: string) => show(h, ["route", "show", "table", "mytable"]);

  test("a MASTER's tracked virtual route deleted: BACKUP, then MASTER again with it, as keepalived", async () => {
    const from = mark();
    for (const h of HOSTS) lab.exec(h, ["ip", "route", "del", "198.51.100.0/24", "dev", "eth0", "table", "100"]);
    await Promise.all(
      HOSTS.map(async (h) => {
        await procs[h]!.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000, from[h]);
        await procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000, from[h]);
      }),
    );
    await eventually(() => HOSTS.every((h) => routes(h).includes("198.51.100.0/24")), 10_000);
    expect(routes("keel")).toBe(routes("ka"));
  }, 60_000);

  test("a MASTER's tracked virtual rule deleted: the same (netlink_rule_filter)", async () => {
    const from = mark();
    for (const h of HOSTS) lab.exec(h, ["ip", "rule", "del", "priority", "1000"]);
    await Promise.all(
      HOSTS.map(async (h) => {
        await procs[h]!.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000, from[h]);
        await procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000, from[h]);
      }),
    );
    await eventually(() => HOSTS.every((h) => show(h, ["rule", "show"]).includes("1000:")), 10_000);
    expect(show("keel", ["rule", "show"])).toBe(show("ka", ["rule", "show"]));
  }, 60_000);

  test("a no_track virtual route deleted: nothing happens, as with keepalived", async () => {
    const from = mark();
    for (const h of HOSTS) lab.exec(h, ["ip", "route", "del", "203.0.113.0/24", "dev", "eth0", "table", "100"]);
    // the tracked static route's restore below proves the event was read; no transition before it
    for (const h of HOSTS) lab.exec(h, ["ip", "route", "del", "192.0.2.128/25", "dev", "eth0", "table", "100"]);
    await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/Restoring deleted static route/, 30_000, from[h])));
    for (const h of HOSTS) {
      const said = procs[h]!.lines.slice(from[h]).map((l) => l.text);
      expect(said.filter((t) => /Entering (BACKUP|MASTER) STATE/.test(t))).toEqual([]);
    }
    await eventually(() => HOSTS.every((h) => routes(h).includes("192.0.2.128/25")), 10_000);
    for (const h of HOSTS) expect(routes(h)).not.toContain("203.0.113.0/24");
    expect(routes("keel")).toBe(routes("ka"));
  }, 60_000);
});
