import type { BfdStatus, Status } from "../../src/control/protocol";
import { baseStatus, inst } from "./harness";

/** Three instances (MASTER, BACKUP, FAULT), trackers and two virtual servers. */
export function sample(): Status {
  const now = Date.now();
  return baseStatus(
    [
      inst("vi_web", "MASTER", {
        vrid: 51,
        vips: ["10.0.0.100/24", "10.0.0.101/24"],
        master: "10.0.0.2",
        lastTransition: { at: now - 125_000, from: "BACKUP", to: "MASTER", reason: "master-down-timer" },
        advertsSent: 1200,
      }),
      inst("vi_db", "BACKUP", {
        vrid: 52,
        interface: "eth1",
        priority: 100,
        effectivePriority: 90,
        vips: ["10.0.1.100/24"],
        master: "10.0.1.3",
        advertsReceived: 800,
        trackers: [{ kind: "script", name: "chk_pg", weight: -10, ok: false }],
      }),
      inst("vi_mail", "FAULT", { vrid: 53, vips: ["10.0.2.100/24"], faults: ["interface eth2 down"], errors: 3 }),
    ],
    {
      trackers: [
        { kind: "script", name: "chk_pg", ok: false, value: 2, at: now - 3000, ms: 41 },
        { kind: "interface", name: "eth2", ok: false },
        { kind: "file", name: "/run/weight", ok: true, value: 5, at: now - 1000 },
      ],
      virtualServers: [
        {
          name: "10.0.0.100:80/TCP",
          scheduler: "wrr",
          method: "NAT",
          quorum: 1,
          hysteresis: 0,
          aliveWeight: 3,
          quorumUp: true,
          sorryServer: "10.0.9.9:80",
          sorryActive: false,
          suspended: false,
          counters: {
            connections: 120,
            inPackets: 900,
            outPackets: 800,
            inBytes: 50_000,
            outBytes: 400_000,
            cps: 4,
            inBps: 1000,
            outBps: 9000,
          },
          realServers: [
            {
              address: "10.0.0.11:80",
              up: true,
              weight: 3,
              liveWeight: 3,
              checkers: [
                { type: "HTTP_GET", up: true, lastCheck: now - 2000, latencyMs: 12, lastResult: "ok", retries: 0 },
              ],
              counters: {
                connections: 120,
                inPackets: 900,
                outPackets: 800,
                inBytes: 50_000,
                outBytes: 400_000,
                cps: 4,
                inBps: 1000,
                outBps: 9000,
                activeConns: 5,
                inactiveConns: 17,
              },
            },
            {
              address: "10.0.0.12:80",
              up: false,
              weight: 2,
              checkers: [
                {
                  type: "TCP_CHECK",
                  up: false,
                  lastCheck: now - 1000,
                  latencyMs: 3000,
                  lastResult: "connection refused",
                  retries: 1,
                },
              ],
            },
          ],
        },
        {
          name: "fwmark 7",
          scheduler: "rr",
          method: "DR",
          quorum: 4,
          hysteresis: 1,
          aliveWeight: 0,
          quorumUp: false,
          sorryActive: true,
          sorryServer: "10.0.9.10:443",
          suspended: true,
          realServers: [],
        },
      ],
      lvs: { available: true },
    },
  );
}

/** One BFD session as status shows it (times in µs as on the wire). */
export function bfdSession(name: string, state: string, over: Partial<BfdStatus> = {}): BfdStatus {
  return {
    name,
    neighbor: "10.0.0.9",
    source: "10.0.0.1",
    multihop: false,
    state,
    remoteState: state,
    diag: 0,
    localDiscr: 1,
    remoteDiscr: 2,
    desiredMinTx: 10_000,
    requiredMinRx: 10_000,
    remoteMinTx: 10_000,
    remoteMinRx: 10_000,
    remoteDetectMult: 3,
    txInterval: 10_000,
    detectTime: 30_000,
    polling: false,
    since: 1000,
    transitions: 3,
    rx: 100,
    tx: 100,
    discarded: {},
    ...over,
  };
}
