// KEEPALIVED-MIB's checker part against keepalived 2.2.7's own walk of the same
// keepalived.conf (test/fixtures/snmp/checker-lvs.*, captured by test/interop/snmp-reference.ts
// in the IPVS VM): keel's config from that text through keel's loader, its status from a real
// CheckerDriver (the checker process's status builder) running the fixture's MISC_CHECKs
// (/bin/true, /bin/false) without IPVS, waited on by its events, never by a fixed time.
// Nothing in this walk depends on time (no traffic: every IPVS counter is 0 in both), so
// nothing is normalised.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { KeelConfig } from "../../../src/config/model";
import type { Event, LvsCounters, Status, VirtualServerStatus } from "../../../src/control/protocol";
import { CheckerDriver } from "../../../src/runtime/checker-driver";
import { configFromText } from "../../../src/simulate/segment";
import { StatsCache } from "../../../src/snmp/checker-stats";
import { checkerNotifications, checkerVarbinds, keepalivedChecker } from "../../../src/snmp/keepalived-checker";
import { type SnmpSource, compareOids, formatOid } from "../../../src/snmp/mib";
import { enabledModules } from "../../../src/snmp/modules";
import { FIXTURES, SUBTREES } from "../../interop/snmp-reference";
import { normalise, parseWalk, walkLineOf } from "../../interop/snmp-reference-walk";

const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

/** A real checker driver on `conf`, its events recorded, and a wait for the next that matches. */
function run(conf: string) {
  const config = configFromText(conf, "ref");
  const events: Event[] = [];
  const waiting: { match: (e: Event) => boolean; resolve: () => void }[] = [];
  const driver = new CheckerDriver({
    config,
    log: pino({ level: "silent" }),
    random: () => 0,
    onEvent: (e) => {
      events.push(e);
      for (const w of waiting.splice(0)) {
        if (w.match(e)) w.resolve();
        else waiting.push(w);
      }
    },
  });
  const next = (match: (e: Event) => boolean) =>
    new Promise<void>((resolve) => {
      if (events.some(match)) resolve();
      else waiting.push({ match, resolve });
    });
  driver.start();
  const source = (): SnmpSource => {
    const status: Status = {
      version: 1,
      keel: "test",
      pid: process.pid,
      startedAt: 0,
      configFile: "/etc/keepalived/ref.conf",
      instances: [],
      virtualServers: driver.status(),
    };
    return { config, status, now: Date.now() };
  };
  return { driver, config, events, next, source };
}

const checked = (rs: string, up: boolean) => (e: Event) => e.event === "checker" && e.realServer === rs && e.up === up;

describe("KEEPALIVED-MIB checker part against keepalived 2.2.7's walk (checker-lvs)", () => {
  const lab = run(read("checker-lvs.conf"));
  afterAll(() => lab.driver.stop());
  const settled = Promise.all([lab.next(checked("10.99.0.11:1", true)), lab.next(checked("10.99.0.11:2", false))]);
  const reference = parseWalk(read("checker-lvs.walk")).filter((l) => l.oid.startsWith(`${SUBTREES.checker}.`));

  test("the same OIDs, types and values", async () => {
    await settled;
    const ours = checkerVarbinds(lab.source()).map(walkLineOf);
    expect(normalise(ours)).toEqual(normalise(reference));
  }, 30_000);

  test("a changed value is seen: quorum 2 → 3", async () => {
    await settled;
    const text = read("checker-lvs.conf").replace("quorum 2", "quorum 3");
    const s = lab.source();
    const config = configFromText(text, "ref");
    const ours = checkerVarbinds({ ...s, config }).map(walkLineOf);
    const diff = normalise(ours).filter((l, k) => l !== normalise(reference)[k]);
    expect(diff).toEqual(["1.3.6.1.4.1.9586.100.5.3.3.1.22.1 = Gauge32: 3"]);
    expect(normalise(ours)).not.toEqual(normalise(reference));
  }, 30_000);

  test("sorted, registered with -x as keepalived's checker process does, its sysORDescr", () => {
    const v = keepalivedChecker.varbinds(lab.source());
    for (let k = 1; k < v.length; k++) expect(compareOids(v[k - 1]!.oid, v[k]!.oid)).toBeLessThan(0);
    const x = enabledModules(lab.config, { snmp: true });
    expect(x.modules.map((m) => m.name)).toEqual(["KEEPALIVED-MIB global", "KEEPALIVED-MIB checker"]);
    expect(keepalivedChecker.description).toBe("The MIB module for Healthchecker");
    expect(enabledModules(lab.config, { vrrpOnly: true }).modules).toEqual([]);
  });
});

describe("notifications from the driver's own events", () => {
  // real server 1's MISC_CHECK passes while `up` exists; quorum 2 is its weight alone
  const dir = mkdtempSync(join(tmpdir(), "keel-checker-mib-"));
  const flag = join(dir, "up");
  writeFileSync(flag, "");
  const conf = read("checker-lvs.conf").replace("misc_path /bin/true", `misc_path "/usr/bin/test -e ${flag}"`);
  const lab = run(conf);
  afterAll(() => {
    lab.driver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const traps = (e: Event) =>
    checkerNotifications(e, lab.source()).map((n) => ({
      trap: formatOid(n.trapOid),
      varbinds: n.varbinds.map((b) => {
        const l = walkLineOf(b);
        return `${l.oid} = ${l.type}: ${l.value}`;
      }),
    }));
  const C = "1.3.6.1.4.1.9586.100.5.3";
  const service = [
    `${C}.3.1.2 = INTEGER: 2`,
    `${C}.3.1.5 = INTEGER: 1`,
    `${C}.3.1.6 = Hex-STRING: 0A 63 00 64`,
    `${C}.3.1.7 = Gauge32: 80`,
    `${C}.3.1.8 = INTEGER: 1`,
  ];
  const rsTrap = (up: boolean, realUp: number) => ({
    trap: `${C}.5.0.1`,
    varbinds: [
      `${C}.4.1.3 = INTEGER: 1`,
      `${C}.4.1.4 = Hex-STRING: 0A 63 00 0B`,
      `${C}.4.1.5 = Gauge32: 1`,
      `${C}.4.1.6 = INTEGER: ${up ? 1 : 2}`,
      ...service,
      `${C}.3.1.21 = Gauge32: ${realUp}`,
      `${C}.3.1.20 = Gauge32: 2`,
      "1.3.6.1.4.1.9586.100.5.1.2.0 = Hex-STRING: 72 65 66", // "ref"
    ],
  });
  const quorumTrap = (up: boolean, realUp: number) => ({
    trap: `${C}.5.0.2`,
    varbinds: [
      ...service,
      `${C}.3.1.23 = INTEGER: ${up ? 1 : 2}`,
      `${C}.3.1.22 = Gauge32: 2`,
      `${C}.3.1.21 = Gauge32: ${realUp}`,
      `${C}.3.1.20 = Gauge32: 2`,
      "1.3.6.1.4.1.9586.100.5.1.2.0 = Hex-STRING: 72 65 66",
    ],
  });
  const rsEvent = (up: boolean) => (e: Event) =>
    e.event === "real-server" && e.realServer === "10.99.0.11:1" && e.up === up;
  const quorumEvent = (up: boolean) => (e: Event) => e.event === "quorum" && e.up === up;

  test("real server down → realServerStateChange and quorum lost; up → both back", async () => {
    await lab.next(checked("10.99.0.11:1", true));
    await lab.next(checked("10.99.0.11:2", false));
    rmSync(flag);
    await lab.next(rsEvent(false));
    await lab.next(quorumEvent(false));
    const down = lab.events.find(rsEvent(false))!;
    const lost = lab.events.find(quorumEvent(false))!;
    expect(traps(down)).toEqual([rsTrap(false, 0)]);
    expect(traps(lost)).toEqual([quorumTrap(false, 0)]);

    writeFileSync(flag, "");
    await lab.next(rsEvent(true));
    await lab.next(quorumEvent(true));
    expect(traps(lab.events.find(rsEvent(true))!)).toEqual([rsTrap(true, 1)]);
    expect(traps(lab.events.find(quorumEvent(true))!)).toEqual([quorumTrap(true, 1)]);
  }, 60_000);

  test("through the daemon the status lags the events: realServerUp follows the events heard", () => {
    // the checker process sends an event before the status snapshot that includes it: a
    // status where both real servers are as at start (1 up, 2 down), then 1 goes down
    const s = lab.source();
    const vs = s.status.virtualServers![0]!;
    const stale: SnmpSource = {
      ...s,
      status: {
        ...s.status,
        virtualServers: [{ ...vs, realServers: vs.realServers.map((r, k) => ({ ...r, up: k === 0 })) }],
      },
    };
    const down: Event = { event: "real-server", at: 0, virtualServer: vs.name, realServer: "10.99.0.11:1", up: false };
    const lost: Event = { event: "quorum", at: 0, virtualServer: vs.name, up: false, aliveWeight: 0 };
    const realUp = (n: ReturnType<typeof checkerNotifications>) =>
      n[0]?.varbinds.find((b) => formatOid(b.oid) === `${C}.3.1.21`)?.value;
    expect(realUp(keepalivedChecker.notifications!(down, stale))).toBe(0);
    expect(realUp(keepalivedChecker.notifications!(lost, stale))).toBe(0);
    // without what was heard, the stale status would count it up
    expect(realUp(checkerNotifications(lost, stale))).toBe(1);
  });

  test("nothing without enable_traps, nothing for other events", () => {
    const s = lab.source();
    const off: KeelConfig = { ...s.config, globalDefs: { ...s.config.globalDefs, enableTraps: false } };
    const e: Event = {
      event: "quorum",
      at: 0,
      virtualServer: s.status.virtualServers![0]!.name,
      up: true,
      aliveWeight: 2,
    };
    expect(checkerNotifications(e, { ...s, config: off })).toEqual([]);
    expect(checkerNotifications(e, s)).toHaveLength(1);
    expect(checkerNotifications({ event: "priority", at: 0, instance: "x", from: 1, to: 2 }, s)).toEqual([]);
  });

  // last: it stops the driver
  test("the stop (clear_services): the live real server's trap says down, the quorum's stopping(3)", () => {
    const from = lab.events.length;
    lab.driver.stop();
    const stops = lab.events.slice(from).filter((e) => e.event === "real-server" || e.event === "quorum");
    // only the live server (1) goes down; without omega these are the SNMP traps alone
    expect(stops.map((e) => [e.event, "realServer" in e ? e.realServer : "", e.up, e.stopping])).toEqual([
      ["real-server", "10.99.0.11:1", false, true],
      ["quorum", "", false, true],
    ]);
    const [down, stopping] = stops as [Event, Event];
    expect(traps(down)).toEqual([rsTrap(false, 0)]);
    const q = quorumTrap(false, 0);
    q.varbinds[service.length] = `${C}.3.1.23 = INTEGER: 3`;
    expect(traps(stopping)).toEqual([q]);
  });
});

describe("the counters' cache (snmp_vs_stats_update_interval / snmp_rs_stats_update_interval)", () => {
  const config = configFromText(read("checker-lvs.conf"), "ref");
  const counters = (n: number): LvsCounters => ({
    connections: n,
    inPackets: n,
    outPackets: n,
    inBytes: n,
    outBytes: n,
    cps: n,
    inBps: n,
    outBps: n,
  });
  const vs = (n: number): VirtualServerStatus => ({
    name: "10.99.0.100:80/TCP",
    scheduler: "wrr",
    method: "NAT",
    quorum: 2,
    hysteresis: 0,
    aliveWeight: 2,
    quorumUp: true,
    sorryActive: false,
    suspended: false,
    counters: counters(n),
    realServers: [{ address: "10.99.0.11:1", up: true, weight: 2, checkers: [], counters: counters(n + 1) }],
  });
  const at = (now: number, n: number, g: Partial<KeelConfig["globalDefs"]> = {}): SnmpSource => ({
    config: { ...config, globalDefs: { ...config.globalDefs, ...g } },
    status: { version: 1, keel: "t", pid: 1, startedAt: 0, configFile: "x", instances: [], virtualServers: [vs(n)] },
    now,
  });
  const seen = (s: SnmpSource) => {
    const v = s.status.virtualServers![0]!;
    return [v.counters?.connections, v.realServers[0]?.counters?.connections];
  };

  test("5 s by default for both: a later read inside the interval sees the first read's counters", () => {
    const c = new StatsCache();
    expect(seen(c.view(at(1_000, 10)))).toEqual([10, 11]);
    expect(seen(c.view(at(5_999, 20)))).toEqual([10, 11]);
    expect(seen(c.view(at(6_000, 30)))).toEqual([30, 31]);
  });

  test("each on its own interval; the real servers' unset follows the virtual server's", () => {
    const c = new StatsCache();
    const g = { snmpVsStatsUpdateInterval: 1, snmpRsStatsUpdateInterval: 3 };
    expect(seen(c.view(at(0, 10, g)))).toEqual([10, 11]);
    expect(seen(c.view(at(1_000, 20, g)))).toEqual([20, 11]);
    expect(seen(c.view(at(3_000, 30, g)))).toEqual([30, 31]);
    const d = new StatsCache();
    const h = { snmpVsStatsUpdateInterval: 2, snmpRsStatsUpdateInterval: 0 };
    expect(seen(d.view(at(0, 10, h)))).toEqual([10, 11]);
    expect(seen(d.view(at(1_999, 20, h)))).toEqual([10, 11]);
    expect(seen(d.view(at(2_000, 30, h)))).toEqual([30, 31]);
  });
});

// Rows the reference walk has no example of, from check_snmp.c's own index walk
// (check_snmp_vsgroupmember: fwmarks before address ranges; check_snmp_realserver: the
// sorry server is row 1 and the real servers follow; the tunnel columns only for TUN).
describe("groups, fwmark services, sorry servers and tunnels (check_snmp.c's index scheme)", () => {
  const config = configFromText(
    `virtual_server_group G {
  10.0.0.1-3 80
  fwmark 7
  10.0.0.9 80
}
virtual_server group G {
  protocol TCP
  sorry_server 10.0.1.99 80
  real_server 10.0.1.1 80 {
  }
}
virtual_server fwmark 5 {
  lvs_method TUN type gue port 6080 csum
  real_server 10.0.2.1 {
    snmp_name tun
  }
}
`,
    "ref",
  );
  const status: Status = { version: 1, keel: "t", pid: 1, startedAt: 0, configFile: "x", instances: [] };
  const lines = checkerVarbinds({ config, status, now: 0 }).map((b) => {
    const l = walkLineOf(b);
    return `${l.oid.slice("1.3.6.1.4.1.9586.100.5.3.".length)} = ${l.type}: ${l.value}`;
  });
  const has = (...want: string[]) => {
    for (const w of want) expect(lines).toContain(w);
  };

  test("the group and its members: fwmark first, then a range (type 3, two ends) and an address (type 2)", () => {
    has("1.1.2.1 = Hex-STRING: 47", "2.1.2.1.1 = INTEGER: 1", "2.1.3.1.1 = Gauge32: 7");
    has("2.1.2.1.2 = INTEGER: 3", "2.1.6.1.2 = Hex-STRING: 0A 00 00 01", "2.1.7.1.2 = Hex-STRING: 0A 00 00 03");
    has("2.1.2.1.3 = INTEGER: 2", "2.1.5.1.3 = Hex-STRING: 0A 00 00 09", "2.1.8.1.3 = Gauge32: 80");
    expect(lines.filter((l) => l.startsWith("2.1.5.1.2 ") || l.startsWith("2.1.3.1.2 "))).toEqual([]);
  });

  test("a group service names its group; a fwmark service has its mark and no protocol", () => {
    has("3.1.2.1 = INTEGER: 3", "3.1.3.1 = Hex-STRING: 47", "3.1.8.1 = INTEGER: 1");
    has("3.1.2.2 = INTEGER: 1", "3.1.4.2 = Gauge32: 5");
    expect(lines.filter((l) => /^3\.1\.(6|7|8)\.2 /.test(l))).toEqual([]);
  });

  test("the sorry server is row 1 (type 2, no status or weight), the real server row 2", () => {
    has("4.1.2.1.1 = INTEGER: 2", "4.1.4.1.1 = Hex-STRING: 0A 00 01 63", "4.1.2.1.2 = INTEGER: 1");
    has("4.1.4.1.2 = Hex-STRING: 0A 00 01 01", "3.1.20.1 = Gauge32: 1");
    expect(lines.filter((l) => /^4\.1\.(6|7|10|13)\.1\.1 /.test(l))).toEqual([]);
  });

  test("TUN gue: tunnel type 2, its port and checksum; snmp_name", () => {
    has("3.1.10.2 = INTEGER: 3", "3.1.68.2 = INTEGER: 2", "3.1.69.2 = Gauge32: 6080", "3.1.70.2 = INTEGER: 2");
    has("4.1.52.2.1 = INTEGER: 2", "4.1.53.2.1 = Gauge32: 6080", "4.1.54.2.1 = INTEGER: 2");
    has("4.1.55.2.1 = Hex-STRING: 74 75 6E");
  });
});

describe("the LVS sync daemon and timeout scalars (.6, .7)", () => {
  const scalarLines = (globals: string) => {
    const config = configFromText(
      `global_defs {\n${globals}\n}\nvirtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n  }\n}\n`,
      "ref",
    );
    const status: Status = { version: 1, keel: "t", pid: 1, startedAt: 0, configFile: "x", instances: [] };
    return checkerVarbinds({ config, status, now: 0 })
      .map(walkLineOf)
      .filter((l) => /^1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.[67]\./.test(l.oid))
      .map((l) => `${l.oid.slice("1.3.6.1.4.1.9586.100.5.3.".length)} = ${l.type}: ${l.value}`);
  };

  test("none: only lvsSyncDaemonEnabled false", () => {
    expect(scalarLines("")).toEqual(["6.1.0 = INTEGER: 2"]);
  });

  test("every attribute, and the timeouts that are set", () => {
    expect(
      scalarLines(
        "  lvs_sync_daemon eth0 id 9 maxlen 1400 port 8849 ttl 3 group 224.0.0.82\n  lvs_timeouts tcp 900 udp 60",
      ),
    ).toEqual([
      "6.1.0 = INTEGER: 1",
      "6.2.0 = Hex-STRING: 65 74 68 30",
      "6.4.0 = INTEGER: 9",
      "6.5.0 = INTEGER: 1400",
      "6.6.0 = INTEGER: 8849",
      "6.7.0 = INTEGER: 3",
      "6.8.0 = INTEGER: 1",
      "6.9.0 = Hex-STRING: E0 00 00 52",
      "7.1.0 = INTEGER: 900",
      "7.3.0 = INTEGER: 60",
    ]);
  });
});
