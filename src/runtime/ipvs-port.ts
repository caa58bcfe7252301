/**
 * The IPVS table as the checker runtime uses it: read it, apply a diff's operations, flush.
 * Backed by native-bindings/ipvs (generic netlink, what keepalived's libipvs speaks);
 * tests can hand the driver any other IpvsPort. On a kernel without IPVS, openIpvs
 * returns why, and the checkers still run (the child logs it once; VRRP is not affected).
 */
import { Ipvs, type IpvsStats } from "../../native-bindings/ipvs";
import type { LvsCounters } from "../control/protocol";
import type { IpvsOp } from "../lvs/diff";
import type { IpvsControl } from "./lvs-globals";
import { type ServiceEntry, destId, serviceId } from "../lvs/table";

export interface IpvsPort extends IpvsControl {
  read(): ServiceEntry[];
  /** the operations in order, batched; one outcome each (undefined: done) */
  apply(ops: readonly IpvsOp[]): (Error | undefined)[];
  flush(): void;
  close(): void;
  /** The kernel's counters, by serviceId and by `${serviceId}|${destId}` (numbers: they never reach 2^53 in practice). */
  counters(): Map<string, LvsCounters>;
}

function fromStats(st: IpvsStats | undefined): LvsCounters {
  const n = (v: bigint | undefined) => Number(v ?? 0n);
  return {
    connections: n(st?.conns),
    inPackets: n(st?.inPackets),
    outPackets: n(st?.outPackets),
    inBytes: n(st?.inBytes),
    outBytes: n(st?.outBytes),
    cps: n(st?.cps),
    inBps: n(st?.inBps),
    outBps: n(st?.outBps),
    inPps: n(st?.inPps),
    outPps: n(st?.outPps),
  };
}

export function ipvsPort(ipvs: Ipvs): IpvsPort {
  return {
    read: () => ipvs.list(),
    apply: (ops) => ipvs.apply(ops),
    flush: () => ipvs.flush(),
    close: () => ipvs.close(),
    setTimeouts: (t) => ipvs.setTimeouts(t),
    timeouts: () => ipvs.timeouts(),
    startDaemon: (d) => ipvs.startDaemon(d),
    stopDaemon: (st) => ipvs.stopDaemon(st),
    counters: () => {
      const out = new Map<string, LvsCounters>();
      for (const e of ipvs.list()) {
        const sid = serviceId(e.service);
        out.set(sid, fromStats(e.service.stats));
        for (const d of e.dests)
          out.set(`${sid}|${destId(d)}`, {
            ...fromStats(d.stats),
            activeConns: d.activeConns,
            inactiveConns: d.inactiveConns,
            persistentConns: d.persistentConns,
          });
      }
      return out;
    },
  };
}

/**
 * Open IPVS; when the kernel has no IPVS family yet, load the module and try again, as
 * keepalived's ipvs_start does (keepalived_modprobe("ip_vs")).
 */
export function openIpvsControl(netns?: string): Ipvs {
  try {
    return Ipvs.open(netns);
  } catch (e) {
    if ((e as { errno?: number }).errno !== 2) throw e;
    const modprobe = Bun.which("modprobe") ?? Bun.which("modprobe", { PATH: "/sbin:/usr/sbin" });
    if (!modprobe) throw e;
    const r = Bun.spawnSync([modprobe, "ip_vs"], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    if (r.exitCode !== 0)
      throw new Error(`${(e as Error).message}; modprobe ip_vs: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}`);
    return Ipvs.open(netns);
  }
}

/** `netns`: net_namespace_ipvs (the IPVS socket only is opened there; "" is the default namespace) */
export async function openIpvs(netns?: string): Promise<{ port: IpvsPort; version: string } | { error: string }> {
  let ipvs: Ipvs;
  try {
    ipvs = openIpvsControl(netns);
  } catch (e) {
    return { error: `IPVS is not available: ${(e as Error).message}` };
  }
  try {
    // GET_INFO proves the family answers (and that we may talk to it: CAP_NET_ADMIN)
    const { version } = ipvs.info();
    ipvs.list();
    return { port: ipvsPort(ipvs), version };
  } catch (e) {
    ipvs.close();
    return { error: `IPVS is not available: ${(e as Error).message}` };
  }
}
