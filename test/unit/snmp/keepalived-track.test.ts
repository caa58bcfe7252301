/**
 * KEEPALIVED-MIB's tracking tables .14-.22 (src/snmp/keepalived-vrrp-track.ts) on what the
 * live comparison (test/interop/snmp-keepalived.test.ts) cannot show without a BFD peer: a
 * sync group's track_bfd (a down BFD at weight 0 would hold the lab's group in FAULT), a
 * weighted track_bfd dropped in a sync group without sync_group_tracking_weight, and a
 * process tracker's count and quorum from status. Plus the start held only by weight-0
 * scripts, which keepalived spends in INIT without a trap.
 */
import { describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { keepalivedVrrp } from "../../../src/snmp/keepalived-vrrp";
import type { SnmpSource } from "../../../src/snmp/mib";
import { walkLine } from "./walk-line";

const CONF = `
bfd_instance b1 {
  neighbor_ip 10.9.0.2
  weight -4
}
bfd_instance b2 {
  neighbor_ip 10.9.0.3
  weight 6 reverse
}
vrrp_track_process p1 {
  process sshd
  quorum 2
  quorum_max 4
  fork_delay 1.5
}
vrrp_sync_group G1 {
  group {
    A
    B
  }
  track_bfd {
    b2
  }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  track_bfd {
    b1
  }
  virtual_ipaddress {
    10.9.0.100
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  track_process {
    p1
  }
  virtual_ipaddress {
    10.9.0.101
  }
}
`;

function source(): SnmpSource {
  const path = join(tmpdir(), `keel-snmp-track-${process.pid}.conf`);
  writeFileSync(path, CONF);
  const config = loadConfig(path).config;
  rmSync(path);
  const inst = (name: string): InstanceStatus => ({ name, state: "BACKUP" }) as InstanceStatus;
  const status = {
    instances: [inst("A"), inst("B")],
    trackers: [{ kind: "process", name: "p1", ok: true, value: 3 }],
    bfd: [{ name: "b2", state: "Up" }],
  } as unknown as Status;
  return { config, status, now: 0 };
}

const rows = (prefix: string) =>
  keepalivedVrrp
    .varbinds(source())
    .map(walkLine)
    .filter((l) => l.startsWith(`.1.3.6.1.4.1.9586.100.5.2.${prefix}`));

describe("KEEPALIVED-MIB tracked BFDs and processes", () => {
  test("vrrpBfdTable: every bfd_instance, its result a plain 0/1 from status", () => {
    expect(rows("18.")).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.18.1.2.1 = STRING: "b1"',
      '.1.3.6.1.4.1.9586.100.5.2.18.1.2.2 = STRING: "b2"',
      ".1.3.6.1.4.1.9586.100.5.2.18.1.3.1 = INTEGER: 0",
      ".1.3.6.1.4.1.9586.100.5.2.18.1.3.2 = INTEGER: 1",
      ".1.3.6.1.4.1.9586.100.5.2.18.1.4.1 = INTEGER: -4",
      ".1.3.6.1.4.1.9586.100.5.2.18.1.4.2 = INTEGER: 6",
      ".1.3.6.1.4.1.9586.100.5.2.18.1.5.1 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.18.1.5.2 = INTEGER: 1",
    ]);
  });

  test("a weighted track_bfd in a sync group without tracking weight is dropped; the group's own is listed", () => {
    expect(rows("17.")).toEqual([]);
    expect(rows("19.")).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.19.1.2.1.1 = STRING: "b2"',
      ".1.3.6.1.4.1.9586.100.5.2.19.1.3.1.1 = INTEGER: 6",
      ".1.3.6.1.4.1.9586.100.5.2.19.1.4.1.1 = INTEGER: 1",
    ]);
  });

  test("vrrpProcessTable: quorum, delays in µs, the count and result from status", () => {
    expect(rows("21.")).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.21.1.2.1 = STRING: "p1"',
      '.1.3.6.1.4.1.9586.100.5.2.21.1.3.1 = STRING: "sshd"',
      '.1.3.6.1.4.1.9586.100.5.2.21.1.4.1 = ""',
      ".1.3.6.1.4.1.9586.100.5.2.21.1.5.1 = INTEGER: 0",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.6.1 = INTEGER: 0",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.7.1 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.8.1 = Gauge32: 2",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.9.1 = INTEGER: 4",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.10.1 = Gauge32: 1500000",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.11.1 = Gauge32: 0",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.12.1 = INTEGER: 2",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.13.1 = INTEGER: 3",
      ".1.3.6.1.4.1.9586.100.5.2.21.1.14.1 = INTEGER: 1",
    ]);
    expect(rows("20.")).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.20.1.2.2.1 = STRING: "p1"',
      ".1.3.6.1.4.1.9586.100.5.2.20.1.3.2.1 = INTEGER: 0",
      ".1.3.6.1.4.1.9586.100.5.2.20.1.4.2.1 = INTEGER: 2",
    ]);
  });
});

describe("KEEPALIVED-MIB traps at a start held by scripts", () => {
  const trap = (faults: string[]) =>
    keepalivedVrrp.notifications?.(
      { event: "transition", at: 0, instance: "A", from: "INIT", to: "FAULT", reason: "init", faults },
      source(),
    ) ?? [];
  test("waiting only for weight-0 scripts' first results: no trap (keepalived stays in INIT)", () => {
    expect(trap(["init:chk"])).toEqual([]);
  });
  test("the tables show such a wait as init(0), as keepalived's INIT, a real fault as fault(3)", () => {
    const state = (faults: string[]) => {
      const src = source();
      for (const i of src.status.instances) Object.assign(i, { state: "FAULT", faults });
      const col = (c: string) =>
        keepalivedVrrp
          .varbinds(src)
          .map(walkLine)
          .filter((l) => l.startsWith(`.1.3.6.1.4.1.9586.100.5.2.${c}`))
          .map((l) => l.split(": ")[1]);
      return [...col("3.1.4."), ...col("1.1.3.")];
    };
    expect(state(["init:chk"])).toEqual(["0", "0", "0"]);
    expect(state(["bfd:b1"])).toEqual(["3", "3", "3"]);
  });
  test("a real fault at start: the FAULT trap", () => {
    // the instance's, then its group's (the first member in FAULT)
    expect(trap(["init:chk", "bfd:b1"]).map((n) => n.trapOid.at(-1))).toEqual([2, 1]);
  });
});
