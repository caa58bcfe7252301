/**
 * How keepalived caches the IPVS counters it serves in KEEPALIVED-MIB's checker part
 * (check/ipvswrapper.c ipvs_vs_update_stats / ipvs_rs_update_stats, keepalived 2.3; 2.2.7
 * has the 5 s hard-wired as STATS_REFRESH): a virtual server's counters are read from the
 * kernel on a request at most every snmp_vs_stats_update_interval (default 5 s), its real
 * servers' at most every snmp_rs_stats_update_interval (unset: the virtual server's), each
 * on its own clock. keel's status carries counters the checker process reads once a second;
 * this holds each virtual server's (and its real servers') as they were at the request that
 * last refreshed them, so two walks within the interval see the same numbers, as with
 * keepalived.
 */
import type { LvsCounters, VirtualServerStatus } from "../control/protocol";
import type { SnmpSource } from "./mib";

interface Held {
  at: number;
  counters: (LvsCounters | undefined)[];
}

export class StatsCache {
  private vs = new Map<string, Held>();
  private rs = new Map<string, Held>();

  /** The source with every virtual server's and real server's counters as cached at `now`. */
  view(source: SnmpSource): SnmpSource {
    const g = source.config.globalDefs;
    const vsMs = g.snmpVsStatsUpdateInterval * 1000;
    const rsMs = (g.snmpRsStatsUpdateInterval || g.snmpVsStatsUpdateInterval) * 1000;
    const list = source.status.virtualServers;
    if (!list) return source;
    const seen = new Set<string>();
    const virtualServers = list.map((st, i): VirtualServerStatus => {
      // a reload may reorder or change the services: the key is the position and the name
      const key = `${i}|${st.name}`;
      seen.add(key);
      const [vsCounters] = this.hold(this.vs, key, source.now, vsMs, [st.counters]);
      const rsCounters = this.hold(
        this.rs,
        `${key}|${st.realServers.map((r) => r.address).join(",")}`,
        source.now,
        rsMs,
        st.realServers.map((r) => r.counters),
      );
      return {
        ...st,
        counters: vsCounters,
        realServers: st.realServers.map((r, k) => ({ ...r, counters: rsCounters[k] })),
      };
    });
    for (const k of this.vs.keys()) if (!seen.has(k)) this.vs.delete(k);
    for (const k of this.rs.keys()) if (!seen.has(k.split("|").slice(0, 2).join("|"))) this.rs.delete(k);
    return { ...source, status: { ...source.status, virtualServers } };
  }

  private hold(
    map: Map<string, Held>,
    key: string,
    now: number,
    intervalMs: number,
    fresh: (LvsCounters | undefined)[],
  ): (LvsCounters | undefined)[] {
    const held = map.get(key);
    if (held && now - held.at < intervalMs && now >= held.at) return held.counters;
    map.set(key, { at: now, counters: fresh });
    return fresh;
  }
}
