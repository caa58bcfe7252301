/**
 * keel's AgentX subagent against Debian's net-snmp, with keepalived 2.2.7 as the
 * reference: one host, one snmpd (master agent on a unix socket) and snmptrapd; the same
 * configuration run by `keepalived -x -A unix:SOCKET`, then by `keel -x -A unix:SOCKET`,
 * against the same snmpd (keepalived -x also serves the RFC MIBs: only KEEPALIVED-MIB is
 * compared here).
 * - KEEPALIVED-MIB (global and vrrp parts): `snmpwalk -On` gives the same OIDs and values
 *   (normalised as snmp-lab.ts normalise says: the version string, and isAdvertised after
 *   the first instance where keepalived 2.2.7 has a bug); `snmpbulkwalk` (GetBulk) gives
 *   keel's same lines. The config uses every VRRP tracking table: the sync group tracks
 *   an interface, a script, a file and a process (quorum_max 0: "must not run", met with
 *   none), VI_3 a process that never runs and a BFD whose neighbour never answers (both
 *   lower its priority, the same in both), so each state is known without a peer;
 * - traps: start-up to MASTER and the stop raise the same vrrpInstanceStateChange and
 *   vrrpSyncGroupStateChange notifications, and the start-up the same RFC 2787
 *   vrrpTrapNewMaster and RFC 6527 vrrpv3NotifyNewMaster (compared as sets per phase: keepalived sends
 *   a group's trap before its members' at start, keel after);
 * - snmpd restarted under keel: keel logs the loss, registers again, and serves the same walk;
 * - sets (community `private`), with a peer in h2 running VI_1 at priority 95: the values
 *   keepalived refuses are refused with the same errors; vrrpInstanceBasePriority of VI_1
 *   written down to 50 (and vrrpInstancePreempt of VI_2 to preempt, in the same PDU) makes
 *   the peer MASTER, and the walk after shows the same change from both; the peer stops and
 *   h1 is MASTER again before its stop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { SnmpLab, type Trap, normalise } from "./snmp-lab";

const ROOT = ".1.3.6.1.4.1.9586.100.5";
const KA_TRAPS = ".1.3.6.1.4.1.9586.100.5.2.10.0.";
/** vrrpNotifications (RFC 2787) and vrrpv3Notifications (RFC 6527) */
const RFC_TRAPS = [".1.3.6.1.2.1.68.0.", ".1.3.6.1.2.1.207.0."];

/** Run with `-x -A unix:SOCKET` by both (-x: every MIB; traps still need enable_traps). */
const CONF_TEXT = `
global_defs {
  router_id r1
  notification_email {
    ops@example.com
    noc@example.com
  }
  notification_email_from keel@example.com
  smtp_server 10.99.0.25 2525
  smtp_connect_timeout 20
  enable_traps
}
vrrp_script chk_ok {
  script "/bin/true"
  interval 1
  weight 10
  rise 1
  fall 1
}
vrrp_track_file tf1 {
  file "TF1"
  weight 3
  init_file 4
}
vrrp_track_file tf2 {
  file "TF2"
  weight -2
  init_file
}
vrrp_track_process absent {
  process keel-snmpmib-absent
  param_match initial
  quorum_max 0
  delay 0.5
}
vrrp_track_process nothere {
  process keel-snmpmib-none
  weight -5
}
bfd_instance bfd1 {
  neighbor_ip 10.99.0.98
  weight -4
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_interface {
    eth2
  }
  track_script {
    chk_ok weight 0
  }
  track_file {
    tf2
  }
  track_process {
    absent
  }
  notify_master "/bin/true group"
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  track_interface {
    eth0
    eth1
  }
  virtual_ipaddress {
    10.99.0.100/24
    10.99.0.104/24 brd +
  }
  virtual_ipaddress_excluded {
    10.99.0.102/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 90
  advert_int 1
  nopreempt
  virtual_ipaddress {
    10.99.0.101/24
  }
}
vrrp_instance VI_3 {
  state MASTER
  interface eth0
  virtual_router_id 53
  priority 150
  version 3
  advert_int 0.5
  unicast_src_ip 10.99.0.11
  unicast_peer {
    10.99.0.99
  }
  track_script {
    chk_ok
  }
  track_file {
    tf1 weight 7
  }
  track_process {
    nothere
  }
  track_bfd {
    bfd1
  }
  notify_master "/bin/true VI_3"
  virtual_ipaddress {
    10.99.0.103/24
  }
}
`;

const conf = () =>
  CONF_TEXT.replace("TF1", join(lab.tmpdir("h1"), "tf1")).replace("TF2", join(lab.tmpdir("h1"), "tf2"));

/** Settled: the three instances and the group MASTER, the script's result good. */
const SETTLED = [
  `${ROOT}.2.1.1.3.1 = INTEGER: 2`,
  `${ROOT}.2.3.1.4.1 = INTEGER: 2`,
  `${ROOT}.2.3.1.4.2 = INTEGER: 2`,
  `${ROOT}.2.3.1.4.3 = INTEGER: 2`,
  `${ROOT}.2.9.1.6.1 = INTEGER: 3`,
];

/** A phase's KEEPALIVED-MIB traps, each as one sorted-comparable line (sysUpTime dropped). */
const trapSet = (traps: Trap[], prefixes: readonly string[] = [KA_TRAPS]) =>
  traps
    .filter((t) => prefixes.some((p) => t.trapOid.startsWith(p)))
    .map((t) => [t.trapOid, ...t.varbinds].join(" | "))
    .sort();

const VI = `${ROOT}.2.3.1`;
/** h2: VI_1 below h1's 100, so it is MASTER only once h1's base priority is written down */
const PEER_CONF = `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 95
  advert_int 1
  virtual_ipaddress {
    10.99.0.100/24
    10.99.0.104/24 brd +
  }
}
`;

let lab: Lab;
let snmp: SnmpLab;
const runs: Record<string, { walk: string[]; start: Trap[]; stop: Trap[] }> = {};
const sets: Record<string, { refused: string[]; done: { ok: boolean; text: string }; walk: string[]; log: string[] }> =
  {};

/** The sets of the write phase against the daemon in h1, with the peer in h2; back as it was after. */
async function writes(name: string, daemon: Proc): Promise<void> {
  const from = daemon.lines.length;
  const peer = lab.keel("h2", PEER_CONF);
  await peer.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
  const refused = [
    snmp.set([`${VI}.7.1`, "i", 0]),
    snmp.set([`${VI}.7.1`, "u", 50]),
    snmp.set([`${VI}.13.1`, "i", 3]),
    // accept: no write method on VRRPv2; on VRRPv3 2.2.7's is built to refuse
    snmp.set([`${VI}.27.1`, "i", 1]),
    snmp.set([`${VI}.27.3`, "i", 1]),
    snmp.set([`${VI}.8.1`, "i", 1]),
    snmp.set([`${VI}.7.9`, "i", 1]),
  ].map((r) => r.text);
  const done = snmp.set([`${VI}.7.1`, "i", 50], [`${VI}.13.2`, "i", 1]);
  await peer.waitFor(/\(VI_1\) Entering MASTER STATE/, 20_000);
  const walk = await eventually(() => {
    const w = snmp.walk(ROOT);
    return w.includes(`${VI}.4.1 = INTEGER: 1`) && w.includes(`${ROOT}.2.1.1.3.1 = INTEGER: 1`) && w;
  }, 20_000);
  // the peer goes (priority 0: h1 is MASTER again at once, at its base priority 50). Not
  // written back: keepalived 2.2.7 answered snmpd no more after a second successful set
  // in this lab (its walks time out), so each daemon takes one
  const back = snmp.trapd.lines.length;
  peer.kill("SIGTERM");
  await peer.exited;
  await eventually(() => {
    const w = snmp.walk(ROOT);
    return SETTLED.every((l) => w.includes(l));
  }, 30_000);
  // and the MASTER traps of that return (the group's, VI_1's, VI_2's) are in, or a late one
  // would be counted among the stop's
  await eventually(() => {
    const t = trapSet(snmp.traps(back));
    return [`${ROOT}.2.1.1.3 = INTEGER: 2`, `"VI_1" | ${VI}.4 = INTEGER: 2`, `"VI_2" | ${VI}.4 = INTEGER: 2`].every(
      (m) => t.some((x) => x.includes(m)),
    );
  }, 20_000);
  const log = daemon.lines
    .slice(from)
    .map((l) => l.text)
    .filter((l) => /SNMP/.test(l));
  sets[name] = { refused, done, walk, log };
}

/** Run one daemon to MASTER, walk, stop it; its traps by phase. `then` runs before the stop. */
async function run(name: string, startIt: () => Proc, then: (p: Proc) => Promise<void>): Promise<void> {
  const mark = snmp.trapd.lines.length;
  const p = startIt();
  const walk = await eventually(() => {
    const w = snmp.walk(ROOT);
    return SETTLED.every((l) => w.includes(l)) && w;
  }, 30_000);
  // the group's MASTER trap is the last of the start-up
  await eventually(() => trapSet(snmp.traps(mark)).some((t) => t.includes(`${ROOT}.2.1.1.3 = INTEGER: 2`)), 10_000);
  // and the RFC new-master traps of all three (v2 ones in both MIBs, VI_3 in RFC 6527 only),
  // which may follow the group's trap
  await eventually(() => trapSet(snmp.traps(mark), RFC_TRAPS).length >= 5, 10_000);
  const start = snmp.traps(mark);
  await then(p);
  const stopMark = snmp.trapd.lines.length;
  if (name === "keepalived") p.killGroup("SIGTERM");
  else p.kill("SIGTERM");
  await p.exited;
  await eventually(() => trapSet(snmp.traps(stopMark)).some((t) => t.includes(`${ROOT}.2.1.1.3 = INTEGER: 5`)), 10_000);
  runs[name] = { walk, start, stop: snmp.traps(stopMark) };
}

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
  // a second link to track (the instance's own eth0 keepalived drops from the table)
  for (const dev of ["eth1", "eth2"]) {
    lab.exec("h1", ["ip", "link", "add", dev, "type", "veth", "peer", "name", `${dev}p`]);
    for (const end of [dev, `${dev}p`]) lab.exec("h1", ["ip", "link", "set", end, "up"]);
  }
  snmp = new SnmpLab(lab, "h1");
  await snmp.start();
  await run(
    "keepalived",
    () => lab.keepalived("h1", conf(), ["-x", "-A", `unix:${snmp.agentx}`]),
    (ka) => writes("keepalived", ka),
  );
  await run(
    "keel",
    () => lab.keel("h1", conf(), ["-x", "-A", `unix:${snmp.agentx}`]),
    async (keel) => {
      // GetBulk through snmpd gives the lines GetNext gave
      runs.bulk = { walk: snmp.walk(ROOT, true), start: [], stop: [] };
      // snmpd goes away and comes back: keel says so once and registers again
      const from = keel.lines.length;
      await snmp.stopSnmpd();
      await keel.waitFor(/SNMP: lost the master agent/, 10_000, from);
      await snmp.startSnmpd();
      await keel.waitFor(/SNMP: connected to the master agent/, 20_000, from);
      runs.again = { walk: snmp.walk(ROOT), start: [], stop: [] };
      await writes("keel", keel);
    },
  );
}, 4 * HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("KEEPALIVED-MIB over AgentX: keel against keepalived 2.2.7", () => {
  test("snmpwalk gives the same OIDs and values", () => {
    expect(normalise(runs.keel?.walk ?? [])).toEqual(normalise(runs.keepalived?.walk ?? []));
    // not vacuous: the global, group, instance, tracked-interface, address, script and file
    // tables, the sync group's tracked objects, the tracked BFDs and processes
    for (const t of [
      ".1.1.0",
      ".2.1.1.2.1",
      ".2.3.1.2.3",
      ".2.4.1.1.1.1",
      ".2.6.1.3.1.3",
      ".2.9.1.2.1",
      ".2.12.1.2.3.1",
      ".2.13.1.4.1",
      ".2.14.1.1.1.1",
      ".2.15.1.2.1.1",
      ".2.16.1.2.1.1",
      ".2.17.1.2.3.1",
      ".2.18.1.3.1",
      ".2.20.1.2.3.1",
      ".2.21.1.14.1",
      ".2.22.1.2.1.1",
    ])
      expect(runs.keel?.walk.some((l) => l.startsWith(`${ROOT}${t} `))).toBe(true);
  });

  test("snmpbulkwalk (GetBulk) gives the same lines as snmpwalk", () => {
    expect(runs.bulk?.walk).toEqual(runs.keel?.walk ?? []);
  });

  test("start-up to MASTER raises the same traps", () => {
    const ours = trapSet(runs.keel?.start ?? []);
    expect(ours).toEqual(trapSet(runs.keepalived?.start ?? []));
    expect(ours.length).toBeGreaterThanOrEqual(7);
  });

  test("start-up raises the same VRRP-MIB and VRRPv3-MIB new-master traps", () => {
    // vrrpTrapNewMaster (RFC 2787) and vrrpv3NotifyNewMaster (RFC 6527): -x serves both MIBs
    const rfc = (traps: Trap[]) => trapSet(traps, RFC_TRAPS);
    const ours = rfc(runs.keel?.start ?? []);
    expect(ours).toEqual(rfc(runs.keepalived?.start ?? []));
    expect(ours.filter((t) => t.startsWith(".1.3.6.1.2.1.68.0.1 ")).length).toBe(2);
    expect(ours.filter((t) => t.startsWith(".1.3.6.1.2.1.207.0.1 ")).length).toBe(3);
  });

  test("the stop raises the same traps", () => {
    expect(trapSet(runs.keel?.stop ?? [])).toEqual(trapSet(runs.keepalived?.stop ?? []));
  });

  test("after snmpd restarts, keel serves the same walk again", () => {
    expect(runs.again?.walk).toEqual(runs.keel?.walk ?? []);
  });
});

describe("KEEPALIVED-MIB sets: keel against keepalived 2.2.7", () => {
  test("the values keepalived refuses are refused with the same errors", () => {
    const ours = sets.keel?.refused ?? [];
    expect(ours).toEqual(sets.keepalived?.refused ?? []);
    expect(ours).toHaveLength(7);
    // not vacuous: each is an error, the first a wrongValue, the v3 accept noAccess
    for (const r of ours) expect(r).toContain("Reason: ");
    expect(ours[0]).toContain("wrongValue");
    expect(ours[4]).toContain("noAccess");
  });

  test("base priority written down: the peer becomes MASTER; the walk after is the same", () => {
    expect(sets.keel?.done).toEqual(sets.keepalived?.done ?? { ok: false, text: "" });
    expect(sets.keel?.done.ok).toBe(true);
    const walk = sets.keel?.walk ?? [];
    expect(normalise(walk)).toEqual(normalise(sets.keepalived?.walk ?? []));
    for (const l of [`${VI}.7.1 = INTEGER: 50`, `${VI}.8.1 = INTEGER: 50`, `${VI}.13.2 = INTEGER: 1`])
      expect(walk).toContain(l);
  });

  test("keel logs each write as an operation by snmp, as keepalived logs it", () => {
    const ka = sets.keepalived?.log ?? [];
    expect(ka.some((l) => l.includes("(VI_1) base priority changed from 100 to 50 via SNMP"))).toBe(true);
    const ours = sets.keel?.log ?? [];
    for (const l of [
      "(VI_1) base priority changed from 100 to 50 via SNMP, by snmp",
      "(VI_2) preemption enabled with SNMP, by snmp",
    ])
      expect(ours.some((o) => o.includes(l))).toBe(true);
  });
});
