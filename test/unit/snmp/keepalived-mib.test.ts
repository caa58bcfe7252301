/**
 * KEEPALIVED-MIB's global and VRRP parts against what keepalived 2.2.7 served for the same
 * configuration: fixtures/keepalived-2.2.7-walk.txt is `snmpwalk -On` of
 * .1.3.6.1.4.1.9586.100.5 with `keepalived -x` running fixtures/keepalived-snmp.conf (all
 * three instances MASTER, eth0 ifindex 3, eth2 ifindex 5), recorded against Debian's snmpd.
 * test/interop/snmp-keepalived.test.ts does the same live, with both daemons.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { keepalivedGlobal } from "../../../src/snmp/keepalived-global";
import { commandText, keepalivedVrrp } from "../../../src/snmp/keepalived-vrrp";
import { type SnmpSource, type Varbind, compareOids, formatOid } from "../../../src/snmp/mib";
import { walkLine } from "./walk-line";
import { enabledModules } from "../../../src/snmp/modules";
import { normalise } from "../../interop/snmp-lab";

const FIX = join(import.meta.dir, "fixtures");

function instance(name: string, vrid: number, priority: number, ifname: string): InstanceStatus {
  return {
    name,
    interface: ifname,
    vrid,
    family: 4,
    version: name === "VI_3" ? 3 : 2,
    state: "MASTER",
    priority,
    effectivePriority: priority,
    vips: [],
    advertsReceived: 0,
    advertsSent: 0,
    errors: 0,
    faults: [],
  };
}

function source(edit: (text: string) => string = (t) => t): SnmpSource {
  const file = join(tmpdir(), `keel-snmp-${process.pid}-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, edit(readFileSync(join(FIX, "keepalived-snmp.conf"), "utf8")));
  const r = loadConfig(file);
  rmSync(file);
  const status: Status = {
    version: 1,
    keel: "0.0.0",
    pid: 1,
    startedAt: 0,
    configFile: "",
    instances: [instance("VI_1", 51, 100, "eth0"), instance("VI_2", 52, 90, "eth2"), instance("VI_3", 53, 150, "eth0")],
  };
  return {
    config: r.config,
    status,
    now: 0,
    host: { name: "h1", user: "root" },
    interfaces: new Map([
      ["eth0", 3],
      ["eth2", 5],
    ]),
  };
}

describe("KEEPALIVED-MIB global and vrrp, as keepalived 2.2.7 serves them", () => {
  test("the walk gives the same OIDs, types and values", () => {
    const s = source();
    const ours = [...keepalivedGlobal.varbinds(s), ...keepalivedVrrp.varbinds(s)].map(walkLine);
    const theirs = readFileSync(join(FIX, "keepalived-2.2.7-walk.txt"), "utf8").split("\n");
    expect(normalise(ours)).toEqual(normalise(theirs));
  });

  test("varbinds come sorted and unique (GetNext walks them in order)", () => {
    const s = source();
    for (const m of [keepalivedGlobal, keepalivedVrrp]) {
      const vbs = m.varbinds(s);
      for (let i = 1; i < vbs.length; i++)
        expect(compareOids((vbs[i - 1] as Varbind).oid, (vbs[i] as Varbind).oid)).toBeLessThan(0);
    }
  });

  test("a transition raises vrrpInstanceStateChange; the group's follows its last member", () => {
    const s = source();
    const at = 0;
    const trap = (instance: string, from: string, to: string) =>
      keepalivedVrrp.notifications?.({ event: "transition", at, instance, from, to, reason: "x" }, s) ?? [];
    const first = trap("VI_1", "BACKUP", "MASTER");
    expect(first.map((n) => formatOid(n.trapOid))).toEqual(["1.3.6.1.4.1.9586.100.5.2.10.0.2"]);
    expect(first[0]?.varbinds.map(walkLine)).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_1"',
      ".1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 1",
      '.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "r1"',
    ]);
    const last = trap("VI_2", "BACKUP", "MASTER");
    expect(last.map((n) => formatOid(n.trapOid))).toEqual([
      "1.3.6.1.4.1.9586.100.5.2.10.0.2",
      "1.3.6.1.4.1.9586.100.5.2.10.0.1",
    ]);
    expect(last[1]?.varbinds.map(walkLine)).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.1.1.2 = STRING: "G1"',
      ".1.3.6.1.4.1.9586.100.5.2.1.1.3 = INTEGER: 2",
      '.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "r1"',
    ]);
    // stop(5) in a trap, where the tables say unknown(4)
    expect(trap("VI_3", "MASTER", "STOP")[0]?.varbinds[1]?.value).toBe(5);
  });

  test("a fault in one member is the group's: its trap goes with the first FAULT only", () => {
    const s = source();
    const ev = (instance: string) =>
      keepalivedVrrp.notifications?.(
        { event: "transition", at: 0, instance, from: "MASTER", to: "FAULT", reason: "x" },
        s,
      ) ?? [];
    expect(ev("VI_2").map((n) => n.trapOid.at(-1))).toEqual([2, 1]);
    expect(ev("VI_2")[1]?.varbinds[1]?.value).toBe(3);
    const vi2 = s.status.instances.find((i) => i.name === "VI_2");
    if (vi2) vi2.state = "FAULT";
    expect(ev("VI_1").map((n) => n.trapOid.at(-1))).toEqual([2]);
  });

  test("v3_checksum_as_v2 (2.4.3's objects): global 12 and column 36 served once the keyword is used, absent otherwise", () => {
    const oids = (s: SnmpSource) =>
      [...keepalivedGlobal.varbinds(s), ...keepalivedVrrp.varbinds(s)]
        .map(walkLine)
        .filter((l) => /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.(1\.12\.0|2\.3\.1\.36\.)/.test(l));
    // 2.2.7's configuration (the recorded walk above): neither object
    expect(oids(source())).toEqual([]);
    // global on, VI_2 off by its own keyword: keepalived 2.4.3's flag per instance
    // (vrrp_data.c copies the global one, vrrp_parser.c v3_checksum_as_v2 sets or clears it)
    const s = source((t) =>
      t
        .replace("global_defs {", "global_defs {\n  v3_checksum_as_v2")
        .replace("vrrp_instance VI_2 {", "vrrp_instance VI_2 {\n  v3_checksum_as_v2 false"),
    );
    expect(oids(s)).toEqual([
      ".1.3.6.1.4.1.9586.100.5.1.12.0 = INTEGER: 1",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.1 = INTEGER: 1",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.2 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.3 = INTEGER: 1",
    ]);
    // only an instance's keyword: the global object says false(2)
    const one = source((t) => t.replace("vrrp_instance VI_3 {", "vrrp_instance VI_3 {\n  v3_checksum_as_v2"));
    expect(oids(one)).toEqual([
      ".1.3.6.1.4.1.9586.100.5.1.12.0 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.1 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.2 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.3.1.36.3 = INTEGER: 1",
    ]);
    for (const m of [keepalivedGlobal, keepalivedVrrp]) {
      const vbs = m.varbinds(s);
      for (let i = 1; i < vbs.length; i++)
        expect(compareOids((vbs[i - 1] as Varbind).oid, (vbs[i] as Varbind).oid)).toBeLessThan(0);
    }
  });

  test("scripts are shown as keepalived's cmd_str_r: each word quoted, a leading redirection bare", () => {
    expect(commandText({ command: "/usr/bin/check 'a b' c" })).toBe("'/usr/bin/check' 'a b' 'c'");
    expect(commandText({ command: "</dev/tcp/127.0.0.1/80" })).toBe("</dev/tcp/127.0.0.1/80");
  });
});

describe("enable flags → modules (keepalived's global_data.c, vrrp_snmp.c, check_snmp.c)", () => {
  const conf = (globals: string, vs = false) => {
    const text = [
      `global_defs {\n${globals}\n}`,
      "vrrp_instance V { interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress { 10.0.0.1 } }",
      vs ? "virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { } }" : "",
    ].join("\n");
    const path = join(tmpdir(), `keel-snmp-${process.pid}-${Math.random()}.conf`);
    writeFileSync(path, text);
    const c = loadConfig(path).config;
    rmSync(path);
    return c;
  };
  const names = (e: ReturnType<typeof enabledModules>) => e.modules.map((m) => m.name);

  test("nothing asked: no agent", () => {
    expect(enabledModules(conf(""), {}).agent).toBe(false);
  });
  test("enable_snmp_vrrp: the global and vrrp parts; traps only with enable_traps", () => {
    const e = enabledModules(conf("enable_snmp_vrrp"), {});
    expect([e.agent, names(e), e.trapping.length]).toEqual([true, ["KEEPALIVED-MIB global", "KEEPALIVED-MIB vrrp"], 0]);
    expect(enabledModules(conf("enable_snmp_vrrp\nenable_traps"), {}).trapping.length).toBe(2);
  });
  test("the old name enable_snmp_keepalived is enable_snmp_vrrp", () => {
    expect(names(enabledModules(conf("enable_snmp_keepalived"), {}))).toContain("KEEPALIVED-MIB vrrp");
  });
  test("-x turns on every part (not traps); -C leaves the VRRP side out", () => {
    const e = enabledModules(conf(""), { snmp: true });
    expect([e.agent, names(e).slice(0, 2), e.trapping.length]).toEqual([
      true,
      ["KEEPALIVED-MIB global", "KEEPALIVED-MIB vrrp"],
      0,
    ]);
    expect(names(enabledModules(conf("enable_snmp_vrrp"), { checkOnly: true }))).toEqual([]);
  });
  test("enable_snmp_checker with virtual servers: the global part (the checker process holds it)", () => {
    expect(names(enabledModules(conf("enable_snmp_checker", true), {}))).toContain("KEEPALIVED-MIB global");
    expect(enabledModules(conf("enable_snmp_checker"), {}).agent).toBe(false);
  });
});
