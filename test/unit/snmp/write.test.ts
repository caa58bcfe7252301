/**
 * KEEPALIVED-MIB's write methods (src/snmp/write-vrrp.ts, write-checker.ts) as keepalived
 * 2.2.7's take a value (vrrp_snmp.c, check_snmp.c), and what the writes do: a VRRP
 * engine's priority and preemption, a real checker driver's weight (the path of `keel rs
 * weight`), each read back through the MIB.
 */
import { afterAll, describe, expect, test } from "bun:test";
import pino from "pino";
import type { InstanceStatus, Status } from "../../../src/control/protocol";
import { CheckerDriver } from "../../../src/runtime/checker-driver";
import { configFromText } from "../../../src/simulate/segment";
import { ResError, type SetVarbind } from "../../../src/snmp/agentx";
import { CHECK_OID, keepalivedChecker } from "../../../src/snmp/keepalived-checker";
import { VRRP_OID, keepalivedVrrp } from "../../../src/snmp/keepalived-vrrp";
import { type Oid, type SnmpSource, compareOids } from "../../../src/snmp/mib";
import { type SnmpWrite, planSet } from "../../../src/snmp/write-set";
import { VrrpRouter } from "../../../src/vrrp/router";

const VRRP_CONF = `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.9.0.100/24
  }
}
vrrp_instance VI_3 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 150
  version 3
  nopreempt
  virtual_ipaddress {
    10.9.0.103/24
  }
}
`;

const int = (oid: Oid, value: number): SetVarbind => ({ oid, type: "Integer", value });
const col = (c: number, i: number): Oid => [...VRRP_OID, 3, 1, c, i];
const valueAt = (vbs: { oid: Oid; value: unknown }[], oid: Oid) =>
  vbs.find((v) => compareOids(v.oid, oid) === 0)?.value;

/** A VRRP engine on VRRP_CONF, its status as the daemon builds the fields the MIB reads. */
function vrrpLab() {
  const config = configFromText(VRRP_CONF, "w");
  const router = new VrrpRouter(config);
  router.start(0);
  const source = (): SnmpSource => {
    const instances = [...router.instances.values()].map(
      (i): InstanceStatus => ({
        name: i.name,
        vrid: i.p.vrid,
        family: 4,
        version: i.p.version,
        state: i.state,
        priority: i.p.priority,
        effectivePriority: i.effectivePriority,
        preempt: !i.p.nopreempt,
        vips: [],
        advertsReceived: 0,
        advertsSent: 0,
        errors: 0,
        faults: [],
      }),
    );
    const status: Status = { version: 1, keel: "t", pid: 1, startedAt: 0, configFile: "x", instances };
    return { config, status, now: 0 };
  };
  /** what the daemon's apply does for a VRRP write (operations.ts snmpWrite) */
  const apply = (w: SnmpWrite) => {
    if (w.kind === "vrrp-priority")
      router.handleCommand({ type: "base-priority", instance: w.instance, priority: w.priority }, 1);
    if (w.kind === "vrrp-preempt") router.handleCommand({ type: "preempt", instance: w.instance, on: w.preempt }, 1);
  };
  return { router, source, apply };
}

describe("vrrpInstanceTable writes (vrrp_snmp_instance_priority, _preempt, _accept)", () => {
  test("the values keepalived refuses, and those keel refuses where keepalived truncates", () => {
    const { source } = vrrpLab();
    const s = source();
    const test1 = (vb: SetVarbind) => {
      const r = keepalivedVrrp.testSet?.(vb, s);
      return r?.ok ? "ok" : r?.error;
    };
    expect(test1(int(col(7, 1), 50))).toBe("ok");
    expect(test1(int(col(7, 1), 255))).toBe("ok");
    expect(test1(int(col(7, 1), 0))).toBe(ResError.wrongValue);
    // keepalived takes the low byte: 256 is refused as 0, 300 would become 44
    expect(test1(int(col(7, 1), 256))).toBe(ResError.wrongValue);
    expect(test1(int(col(7, 1), 300))).toBe(ResError.wrongValue);
    expect(test1(int(col(7, 1), -1))).toBe(ResError.wrongValue);
    expect(test1({ oid: col(7, 1), type: "Gauge32", value: 50 })).toBe(ResError.wrongType);
    expect(test1(int(col(13, 1), 2))).toBe("ok");
    expect(test1(int(col(13, 1), 3))).toBe(ResError.wrongValue);
    expect(test1({ oid: col(13, 1), type: "OctetString", value: new Uint8Array([1]) })).toBe(ResError.wrongType);
    // accept: no write method on a VRRPv2 instance; 2.2.7 built without ALLOW_SNMP_SET_ACCEPT on v3
    expect(test1(int(col(27, 1), 1))).toBe(ResError.notWritable);
    expect(test1(int(col(27, 2), 1))).toBe(ResError.noAccess);
    // RWRITE columns without a write method, read-only ones, rows that do not exist
    for (const oid of [col(28, 1), col(29, 1), col(8, 1), col(7, 3), [...VRRP_OID, 1, 1, 2, 1]])
      expect(test1(int(oid, 1))).toBe(ResError.notWritable);
  });

  test("a base priority write moves the running engine; the walk and the undo follow", () => {
    const { router, source, apply } = vrrpLab();
    const plan = planSet([keepalivedVrrp], [int(col(7, 1), 50), int(col(13, 2), 1)], source());
    if (!plan.ok) throw new Error(`refused: ${plan.error}`);
    for (const w of plan.writes) apply(w.write);
    const vi1 = router.instances.get("VI_1");
    expect([vi1?.p.priority, vi1?.effectivePriority]).toEqual([50, 50]);
    expect(router.instances.get("VI_3")?.p.nopreempt).toBe(false);
    const walk = keepalivedVrrp.varbinds(source());
    expect([7, 8].map((c) => valueAt(walk, col(c, 1)))).toEqual([50, 50]);
    expect(valueAt(walk, col(13, 2))).toBe(1);
    // UndoSet: the values TestSet saw
    for (const w of [...plan.writes].reverse()) apply(w.undo);
    expect([vi1?.p.priority, vi1?.effectivePriority, router.instances.get("VI_3")?.p.nopreempt]).toEqual([
      100,
      100,
      true,
    ]);
  });

  test("as keepalived's vrrp_set_effective_priority: an owner's effective priority does not move", () => {
    const { router, apply } = vrrpLab();
    const vi1 = router.instances.get("VI_1");
    apply({ kind: "vrrp-priority", instance: "VI_1", priority: 255 });
    expect([vi1?.isOwner, vi1?.effectivePriority]).toEqual([true, 100]);
    apply({ kind: "vrrp-priority", instance: "VI_1", priority: 20 });
    expect([vi1?.isOwner, vi1?.effectivePriority]).toEqual([false, 20]);
  });
});

const LVS_CONF = `
virtual_server 10.99.0.100 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  sorry_server 10.99.0.50 80
  real_server 10.99.0.11 1 {
    weight 2
    MISC_CHECK {
      misc_path /bin/true
    }
  }
  real_server 10.99.0.11 2 {
    weight 3
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
`;

describe("realServerWeight writes (check_snmp_realserver_weight) through a real checker driver", () => {
  const config = configFromText(LVS_CONF, "w");
  const driver = new CheckerDriver({ config, log: pino({ level: "silent" }), random: () => 0, onEvent: () => {} });
  driver.start();
  afterAll(() => driver.stop());
  const source = (): SnmpSource => ({
    config,
    status: {
      version: 1,
      keel: "t",
      pid: 1,
      startedAt: 0,
      configFile: "x",
      instances: [],
      virtualServers: driver.status(),
    },
    now: Date.now(),
  });
  const weight = (r: number): Oid => [...CHECK_OID, 4, 1, 7, 1, r];
  const apply = (w: SnmpWrite) => {
    if (w.kind !== "rs-weight") throw new Error(w.kind);
    return driver.operate(
      w.weight === null
        ? { action: "enable", virtualServer: w.virtualServer, realServer: w.realServer, by: "snmp" }
        : { action: "weight", virtualServer: w.virtualServer, realServer: w.realServer, weight: w.weight, by: "snmp" },
    );
  };

  test("row 1 is the sorry server (no weight column: notWritable); a real server takes 0..65535", () => {
    const s = source();
    const r = (vb: SetVarbind) => {
      const c = keepalivedChecker.testSet?.(vb, s);
      return c?.ok ? c.write : c?.error;
    };
    expect(r(int(weight(1), 5))).toBe(ResError.notWritable);
    expect(r(int(weight(3), 7))).toEqual({
      kind: "rs-weight",
      virtualServer: "10.99.0.100:80/TCP",
      realServer: "10.99.0.11:2",
      weight: 7,
    });
    expect(r(int(weight(3), 65536))).toBe(ResError.wrongValue);
    expect(r(int(weight(3), -1))).toBe(ResError.wrongValue);
    expect(r({ oid: weight(3), type: "Counter32", value: 1 })).toBe(ResError.wrongType);
    expect(r(int(weight(4), 1))).toBe(ResError.notWritable);
    expect(r(int([...CHECK_OID, 4, 1, 6, 1, 2], 1))).toBe(ResError.notWritable);
  });

  test("the weight reaches the driver, the walk shows it, the undo gives the checkers' weight back", () => {
    const plan = planSet([keepalivedChecker], [int(weight(2), 9)], source());
    if (!plan.ok) throw new Error(`refused: ${plan.error}`);
    const w = plan.writes[0] as { write: SnmpWrite; undo: SnmpWrite };
    expect(apply(w.write)).toBeUndefined();
    expect(driver.status()[0]?.realServers[0]?.operator).toMatchObject({ action: "weight", weight: 9, by: "snmp" });
    expect(valueAt(keepalivedChecker.varbinds(source()), weight(2))).toBe(9);
    expect(w.undo).toMatchObject({ weight: null });
    expect(apply(w.undo)).toBeUndefined();
    expect(driver.status()[0]?.realServers[0]?.operator).toBeUndefined();
    expect(valueAt(keepalivedChecker.varbinds(source()), weight(2))).toBe(2);
  });
});
