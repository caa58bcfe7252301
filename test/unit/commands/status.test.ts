// keel status's tables: instances, then real servers with their weights, IPVS's
// connection counts and checkers.
import { expect, test } from "bun:test";
import { formatStatus } from "../../../src/commands/status";
import type { Status } from "../../../src/control/protocol";

const base: Status = {
  version: 1,
  keel: "0",
  pid: 1,
  startedAt: 0,
  configFile: "/etc/keepalived/keepalived.conf",
  instances: [],
};

test("real servers: configured/live weight, active/inactive connections, checkers", () => {
  const st: Status = {
    ...base,
    lvs: { available: true },
    virtualServers: [
      {
        name: "10.0.0.100:80/TCP",
        scheduler: "rr",
        method: "NAT",
        quorum: 2,
        hysteresis: 0,
        aliveWeight: 1,
        quorumUp: false,
        sorryActive: true,
        suspended: false,
        counters: {
          connections: 12,
          inPackets: 0,
          outPackets: 0,
          inBytes: 0,
          outBytes: 0,
          cps: 1,
          inBps: 0,
          outBps: 0,
        },
        realServers: [
          {
            address: "10.0.1.1:80",
            up: true,
            weight: 1,
            liveWeight: 1,
            checkers: [{ type: "HTTP_GET", up: true, retries: 0 }],
            counters: {
              connections: 12,
              inPackets: 0,
              outPackets: 0,
              inBytes: 0,
              outBytes: 0,
              cps: 1,
              inBps: 0,
              outBps: 0,
              activeConns: 3,
              inactiveConns: 7,
            },
          },
          { address: "10.0.1.2:80", up: false, weight: 2, checkers: [{ type: "TCP_CHECK", up: false, retries: 1 }] },
        ],
      },
    ],
  };
  const lines = formatStatus(st).split("\n");
  expect(lines[2]).toMatch(/^VIRTUAL SERVER\s+REAL SERVER\s+STATE\s+WEIGHT\s+CONNS\s+CHECKERS$/);
  expect(lines[3]).toMatch(/^10\.0\.0\.100:80\/TCP \(quorum LOST\)\s+10\.0\.1\.1:80\s+up\s+1\/1\s+3\/7\s+HTTP_GET up$/);
  expect(lines[4]).toMatch(
    /^10\.0\.0\.100:80\/TCP \(quorum LOST\)\s+10\.0\.1\.2:80\s+DOWN\s+2\/-\s+-\s+TCP_CHECK DOWN$/,
  );
  expect(formatStatus({ ...st, lvs: { available: false, error: "no IPVS family" } })).toContain(
    "IPVS unavailable: no IPVS family (checks still run)\n",
  );
  // no virtual servers: the instance table alone
  expect(formatStatus(base).split("\n").filter(Boolean)).toHaveLength(1);
});

test("a reload that did not go cleanly and internal errors are shown; a clean state adds nothing", () => {
  const at = Date.now();
  const refused = formatStatus({
    ...base,
    lastReload: {
      at,
      ok: false,
      applied: false,
      errors: ["keepalived.conf:4:3: error[unknown-keyword]: unknown keyword 'prority'"],
    },
    internalErrors: { vrrp: 0, scripts: 2 },
  });
  expect(refused).toContain(
    "last reload 0s ago: refused, the previous configuration runs\n  keepalived.conf:4:3: error[unknown-keyword]",
  );
  expect(refused).toContain("internal errors: scripts 2 (see the log)\n");
  const partly = formatStatus({
    ...base,
    lastReload: { at, ok: false, applied: true, errors: ["VMAC vrrp.7: EBUSY"] },
  });
  expect(partly).toContain("applied with errors\n  VMAC vrrp.7: EBUSY\n");
  const clean = formatStatus({
    ...base,
    lastReload: { at, ok: true, applied: true, errors: [] },
    internalErrors: { vrrp: 0 },
  });
  expect(clean).toBe(formatStatus(base));
});

test("seen on the wire: the dual master and foreign adverts, one line each", () => {
  const at = Date.now() - 5_000;
  const inst = {
    name: "VI_1",
    vrid: 51,
    family: 4 as const,
    version: 2 as const,
    state: "MASTER",
    priority: 150,
    effectivePriority: 150,
    vips: ["10.0.0.100/32"],
    advertsReceived: 0,
    advertsSent: 0,
    errors: 0,
    faults: [],
  };
  const out = formatStatus({
    ...base,
    instances: [
      {
        ...inst,
        observed: {
          dualMasters: 2,
          dualMaster: {
            peer: "10.0.0.2",
            peerPriority: 100,
            ourPriority: 150,
            since: at,
            over: { at, how: "peer-silent", winner: "10.0.0.1" },
          },
          foreign: [
            {
              reason: "vip-set",
              from: "10.0.0.9",
              detail: "VIPs 10.0.0.200, ours 10.0.0.100",
              at,
              count: 12,
              freeVrids: "1-50,52-255",
            },
          ],
        },
      },
    ],
  });
  expect(out).toContain(
    "VI_1: dual master with 10.0.0.2 (priority 100, ours 150) 5s ago, over 5s ago: 10.0.0.2 fell silent, we stayed MASTER; 2 so far\n",
  );
  expect(out).toContain(
    "VI_1: foreign adverts from 10.0.0.9: vip-set (VIPs 10.0.0.200, ours 10.0.0.100), 12 adverts, last 5s ago; VRIDs heard free: 1-50,52-255\n",
  );
  // nothing seen: no line
  expect(
    formatStatus({ ...base, instances: [inst] })
      .split("\n")
      .filter(Boolean),
  ).toHaveLength(2);
});
