// Pool, quorum and table logic against keepalived 2.2.7's ipwrapper.c, as tables of
// checker results → IPVS destinations, log lines and notifies.
import { describe, expect, test } from "bun:test";
import { applyOps, diffTables } from "../../../src/lvs/diff";
import { LvsPool } from "../../../src/lvs/pool";
import { serviceKeys } from "../../../src/lvs/services";
import { SVC_F, serviceId } from "../../../src/lvs/table";
import { cfg } from "./parse-conf";

const VS = (extra = "", rsExtra = "") => `
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  ${extra}
  real_server 10.0.1.1 8080 {
    weight 3
    ${rsExtra}
    TCP_CHECK {
    }
  }
  real_server 10.0.1.2 8080 {
    weight 2
    ${rsExtra}
    TCP_CHECK {
    }
  }
  real_server 10.0.1.3 8080 {
    weight 1
    ${rsExtra}
    TCP_CHECK {
    }
  }
}`;

function weights(p: LvsPool) {
  const e = p.desired()[0];
  return Object.fromEntries((e?.dests ?? []).map((d) => [`${d.address}:${d.port}`, d.weight]));
}
const logs = (p: LvsPool) =>
  p
    .poll()
    .filter((e) => e.kind === "log")
    .map((e) => (e as { line: string }).line);

describe("pool", () => {
  test("non-alpha: every real server is in the pool at start; the quorum is gained", () => {
    const p = new LvsPool(cfg(VS()));
    p.init();
    expect(weights(p)).toEqual({ "10.0.1.1:8080": 3, "10.0.1.2:8080": 2, "10.0.1.3:8080": 1 });
    expect(logs(p)).toEqual(["Gained quorum 1+0=1 <= 6 for VS [10.0.0.1]:tcp:80"]);
    const svc = p.desired()[0]?.service;
    expect(svc).toMatchObject({
      family: 4,
      protocol: "TCP",
      address: "10.0.0.1",
      port: 80,
      scheduler: "wrr",
      flags: 0,
      timeout: 0,
    });
  });

  test("a failed checker removes its server; recovery adds it back", () => {
    const p = new LvsPool(cfg(VS()));
    p.init();
    p.poll();
    p.checker(0, 1, "down", false);
    expect(weights(p)).toEqual({ "10.0.1.1:8080": 3, "10.0.1.3:8080": 1 });
    const ev = p.poll();
    expect(ev[0]).toEqual({ kind: "log", line: "Removing service [10.0.1.2]:tcp:8080 from VS [10.0.0.1]:tcp:80" });
    expect(ev[1]).toMatchObject({ kind: "rs-notify", up: false });
    p.checker(0, 1, "up", false);
    expect(weights(p)).toEqual({ "10.0.1.1:8080": 3, "10.0.1.2:8080": 2, "10.0.1.3:8080": 1 });
    expect(logs(p)).toEqual(["Adding service [10.0.1.2]:tcp:8080 to VS [10.0.0.1]:tcp:80"]);
  });

  test("inhibit_on_failure keeps a failed server with weight 0", () => {
    const p = new LvsPool(cfg(VS("", "inhibit_on_failure")));
    p.init();
    p.poll();
    p.checker(0, 0, "down", false);
    expect(weights(p)).toEqual({ "10.0.1.1:8080": 0, "10.0.1.2:8080": 2, "10.0.1.3:8080": 1 });
    expect(logs(p)).toEqual(["Disabling service [10.0.1.1]:tcp:8080 of VS [10.0.0.1]:tcp:80"]);
  });

  test("alpha: servers wait for their first success", () => {
    const c = cfg(VS("alpha"));
    const p = new LvsPool(c);
    for (let r = 0; r < 3; r++) p.startFailed(0, r);
    p.init();
    expect(weights(p)).toEqual({});
    p.checker(0, 2, "up", false);
    expect(weights(p)).toEqual({ "10.0.1.3:8080": 1 });
  });

  test("quorum with hysteresis brings the sorry server in and out", () => {
    const p = new LvsPool(cfg(VS("quorum 4\n hysteresis 1\n sorry_server 10.0.2.1 8080\n")));
    p.init();
    expect(logs(p)).toEqual(["Gained quorum 4+1=5 <= 6 for VS [10.0.0.1]:tcp:80"]);
    // 6 → 4: still >= 4-1=3, quorum kept
    p.checker(0, 1, "down", false);
    expect(p.vss[0]?.quorumUp).toBe(true);
    p.poll();
    // 4 → 1: lost (< 3); the sorry server replaces the live ones
    p.checker(0, 0, "down", false);
    expect(logs(p)).toEqual([
      "Removing service [10.0.1.1]:tcp:8080 from VS [10.0.0.1]:tcp:80",
      "Lost quorum 4-1=3 > 1 for VS [10.0.0.1]:tcp:80",
      "Adding sorry server [10.0.2.1]:tcp:8080 to VS [10.0.0.1]:tcp:80",
      "Removing alive servers from the pool for VS [10.0.0.1]:tcp:80",
    ]);
    expect(weights(p)).toEqual({ "10.0.2.1:8080": 1 });
    // 1 → 3: below 4+1=5, still down
    p.checker(0, 1, "up", false);
    expect(weights(p)).toEqual({ "10.0.2.1:8080": 1 });
    // 3 → 6: gained, the sorry server leaves
    p.checker(0, 0, "up", false);
    expect(weights(p)).toEqual({ "10.0.1.1:8080": 3, "10.0.1.2:8080": 2, "10.0.1.3:8080": 1 });
  });

  test("a sorry server with inhibit is always there, weight 0 until needed; quorum notifies carry keepalived's alert text", () => {
    const p = new LvsPool(cfg(VS("quorum 6\n sorry_server 10.0.2.1 8080\n sorry_server_inhibit")));
    p.init();
    expect(weights(p)["10.0.2.1:8080"]).toBe(0);
    p.poll();
    p.checker(0, 2, "down", false);
    const vsn = p.poll().find((e) => e.kind === "vs-notify");
    expect(vsn).toMatchObject({ up: false, alert: "=> Lost quorum 6+0=6 <= 5 <=" });
    expect(weights(p)["10.0.2.1:8080"]).toBe(1);
  });

  test("misc_dynamic / track_file weights: clamped, logged, and counted in the quorum", () => {
    const p = new LvsPool(cfg(VS()));
    p.init();
    p.poll();
    p.setWeight(0, 0, 10);
    expect(weights(p)["10.0.1.1:8080"]).toBe(10);
    expect(logs(p)).toEqual([
      "Changing weight from 3 to 10 for active service [10.0.1.1]:tcp:8080 of VS [10.0.0.1]:tcp:80",
    ]);
    p.setWeight(0, 0, -5);
    expect(weights(p)["10.0.1.1:8080"]).toBe(0);
  });

  test("a checker among several: the server is down while any has failed", () => {
    const text = `virtual_server 10.0.0.1 80 {
      protocol TCP
      real_server 10.0.1.1 80 {
        TCP_CHECK {
        }
        HTTP_GET {
          url {
            path /
          }
        }
      }
    }`;
    const p = new LvsPool(cfg(text));
    p.init();
    p.checker(0, 0, "down", false);
    p.checker(0, 0, "down", false);
    p.checker(0, 0, "up", false);
    expect(weights(p)).toEqual({});
    p.checker(0, 0, "up", false);
    expect(weights(p)).toEqual({ "10.0.1.1:80": 1 });
  });

  test("omega: stopping notifies every live server down and the quorum down", () => {
    const p = new LvsPool(cfg(VS("omega\n quorum_down /bin/true")));
    p.init();
    p.poll();
    p.stop();
    const ev = p.poll();
    expect(ev.filter((e) => e.kind === "rs-notify" && !e.up && e.stopping)).toHaveLength(3);
    expect(ev.at(-1)).toMatchObject({ kind: "vs-notify", up: false, alert: "=> Shutting down <=" });
  });

  test("without omega: the stop's events are the SNMP traps alone (snmpOnly), one per live server and the quorum", () => {
    const p = new LvsPool(cfg(VS("quorum_down /bin/true")));
    p.init();
    p.poll();
    p.stop();
    const ev = p.poll().filter((e) => e.kind !== "log");
    expect(
      ev.map((e) => [e.kind, "up" in e && e.up, "stopping" in e && e.stopping, "snmpOnly" in e && e.snmpOnly]),
    ).toEqual([
      ["rs-notify", false, true, true],
      ["rs-notify", false, true, true],
      ["rs-notify", false, true, true],
      ["vs-notify", false, true, true],
    ]);
  });

  test("lvs_flush_on_stop: only the quorum goes down (update_vs_notifies); -I: clear_services never runs", () => {
    const p = new LvsPool(cfg(VS("omega")));
    p.init();
    p.poll();
    p.stop("flush");
    expect(p.poll().map((e) => e.kind)).toEqual(["vs-notify"]);
    const kept = new LvsPool(cfg(VS("omega")));
    kept.init();
    kept.poll();
    kept.stop("keep");
    expect(kept.poll()).toEqual([]);
  });
});

describe("services", () => {
  test("persistence, scheduler flags, fwmark and groups with ranges", () => {
    const c = cfg(`
virtual_server_group web {
  10.0.0.1-3 80
  fwmark 7
}
virtual_server group web {
  lb_algo sh
  sh-port
  protocol TCP
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  real_server 10.0.1.1 80 {
  }
}
virtual_server fwmark 9 {
  lb_algo mh
  mh-fallback
  lb_kind DR
  real_server 10.0.1.1 80 {
  }
}`);
    const keys = serviceKeys(c, c.virtualServers[0]!);
    expect(keys.map(serviceId)).toEqual(["TCP:10.0.0.1:80", "TCP:10.0.0.2:80", "TCP:10.0.0.3:80", "fwmark:4:7"]);
    const p = new LvsPool(c);
    p.init();
    const d = p.desired();
    expect(d).toHaveLength(5);
    expect(d[0]?.service).toMatchObject({
      scheduler: "sh",
      flags: SVC_F.PERSISTENT | SVC_F.SCHED2,
      timeout: 300,
      netmask: 0xffffff00,
    });
    expect(d[4]?.service).toMatchObject({ fwmark: 9, scheduler: "mh", flags: SVC_F.SCHED1 });
    expect(d[4]?.dests[0]).toMatchObject({ method: "DR", port: 0 }); // keepalived clears the port of a DR fwmark real server
  });
});

describe("diff", () => {
  test("only the difference, and never a service keel does not own", () => {
    const p = new LvsPool(cfg(VS()));
    p.init();
    const want = p.desired();
    const foreign = {
      service: {
        family: 4 as const,
        protocol: "TCP" as const,
        address: "192.0.2.9",
        port: 1,
        scheduler: "rr",
        flags: 0,
        timeout: 0,
        netmask: 0xffffffff,
      },
      dests: [],
    };
    let ops = diffTables(want, [foreign], new Set());
    expect(ops.map((o) => o.op)).toEqual(["add-service", "add-dest", "add-dest", "add-dest"]);
    let kernel = applyOps([foreign], ops);
    expect(diffTables(want, kernel, new Set(want.map((e) => serviceId(e.service))))).toEqual([]);
    p.checker(0, 0, "down", false);
    p.setWeight(0, 1, 7);
    ops = diffTables(p.desired(), kernel, new Set());
    expect(ops.map((o) => `${o.op}:${"dest" in o ? `${o.dest.address}/${o.dest.weight}` : ""}`)).toEqual([
      "del-dest:10.0.1.1/3",
      "edit-dest:10.0.1.2/7",
    ]);
    kernel = applyOps(kernel, ops);
    // a config without the service removes it (it was owned), the foreign one stays
    ops = diffTables([], kernel, new Set(want.map((e) => serviceId(e.service))));
    expect(ops).toEqual([{ op: "del-service", key: { family: 4, protocol: "TCP", address: "10.0.0.1", port: 80 } }]);
  });
});
