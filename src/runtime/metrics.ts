/**
 * Prometheus metrics (`--metrics ADDR:PORT`, off by default): the names and labels that
 * keepalived-exporter publishes (mehdy/keepalived-exporter), so dashboards and alerts
 * built on it keep working with keel, plus keel's own under `keel_`.
 */
import type { VrrpDriver } from "./vrrp-driver";
import type { VrrpState, VrrpStats } from "../vrrp/types";
import type { BfdStatus, LvsCounters, VirtualServerStatus } from "../control/protocol";

/** keepalived's state numbers (vrrp.h): what keepalived_vrrp_state reports. */
const STATE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 0 };
const STATES: VrrpState[] = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"];

const COUNTERS: [string, keyof VrrpStats, string][] = [
  ["keepalived_advertisements_received_total", "advert_rcvd", "Advertisements received"],
  ["keepalived_advertisements_sent_total", "advert_sent", "Advertisements sent"],
  ["keepalived_become_master_total", "become_master", "Became master"],
  ["keepalived_release_master_total", "release_master", "Released master"],
  ["keepalived_packet_length_errors_total", "packet_len_err", "Packet length errors"],
  ["keepalived_advertisements_interval_errors_total", "advert_interval_err", "Advertisement interval errors"],
  ["keepalived_ip_ttl_errors_total", "ip_ttl_err", "TTL errors"],
  ["keepalived_invalid_type_received_total", "invalid_type_rcvd", "Invalid type errors"],
  ["keepalived_address_list_errors_total", "addr_list_err", "Address list errors"],
  ["keepalived_authentication_invalid_total", "invalid_authtype", "Authentication invalid"],
  ["keepalived_authentication_mismatch_total", "authtype_mismatch", "Authentication mismatch"],
  ["keepalived_authentication_failure_total", "auth_failure", "Authentication failure"],
  ["keepalived_priority_zero_received_total", "pri_zero_rcvd", "Priority zero received"],
  ["keepalived_priority_zero_sent_total", "pri_zero_sent", "Priority zero sent"],
  ["keel_checksum_errors_total", "chk_err", "Adverts with a bad checksum"],
  ["keel_version_errors_total", "vers_err", "Adverts of the wrong VRRP version"],
  // auth_hmac (keepalived 2.4.3's auth_ext_* stats)
  ["keel_auth_hmac_missing_total", "auth_ext_missing", "auth_hmac: adverts without a trailer (mode enforce)"],
  ["keel_auth_hmac_malformed_total", "auth_ext_malformed", "auth_hmac: malformed trailers"],
  ["keel_auth_hmac_unknown_key_total", "auth_ext_unknown_key", "auth_hmac: trailers with an unknown key id"],
  ["keel_auth_hmac_invalid_total", "auth_ext_invalid_hmac", "auth_hmac: trailers whose HMAC does not verify"],
  ["keel_auth_hmac_stale_total", "auth_ext_stale", "auth_hmac: trailers outside the time window"],
  ["keel_auth_hmac_replay_total", "auth_ext_replay", "auth_hmac: replayed trailers"],
];

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(l: Record<string, string | number | undefined>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(String(v ?? ""))}"`)
    .join(",")}}`;
}

export interface ScriptView {
  /** last result: true good, false bad, undefined not run yet */
  status(name: string): boolean | undefined;
  running(name: string): boolean;
  names(): string[];
}

export function renderMetrics(
  driver: VrrpDriver,
  scripts: ScriptView | undefined,
  lvs?: VirtualServerStatus[],
  /** the daemon's caught exceptions by part (src/runtime/daemon-faults.ts) */
  internalErrors?: Record<string, number>,
  bfd?: BfdStatus[],
): string {
  const out: string[] = [];
  const head = (name: string, help: string, type: "gauge" | "counter") =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  head("keepalived_up", "Status", "gauge");
  out.push("keepalived_up 1");
  const insts = [...driver.router.instances.values()];
  head("keepalived_vrrp_state", "State of vrrp", "gauge");
  for (const i of insts)
    for (const v of i.p.vips)
      out.push(
        `keepalived_vrrp_state${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid, ip_address: `${v.address}/${v.prefix}` })} ${STATE[i.state] ?? 0}`,
      );
  head("keepalived_vrrp_excluded_state", "State of vrrp with excluded VIP", "gauge");
  for (const i of insts)
    for (const v of i.p.excluded)
      out.push(
        `keepalived_vrrp_excluded_state${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid, ip_address: `${v.address}/${v.prefix}` })} ${STATE[i.state] ?? 0}`,
      );
  for (const [name, key, help] of COUNTERS) {
    head(name, help, "counter");
    for (const i of insts)
      out.push(`${name}${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid })} ${i.stats[key]}`);
  }
  if (scripts) {
    head("keepalived_script_status", "Tracker Script Status", "gauge");
    for (const n of scripts.names()) {
      const s = scripts.status(n);
      if (s !== undefined) out.push(`keepalived_script_status${labels({ name: n })} ${s ? 1 : 0}`);
    }
    head("keepalived_script_state", "Tracker Script State", "gauge");
    for (const n of scripts.names())
      out.push(`keepalived_script_state${labels({ name: n })} ${scripts.running(n) ? 1 : 0}`);
  }
  // one series per state (Prometheus' enum style), with the family: keepalived_vrrp_state has a
  // line per VIP only, so an instance without VIPs is absent, and an IPv4 and an IPv6 instance
  // on one VRID are two virtual routers (RFC 5798, Abstract: the families' virtual routers "do
  // not overlap") that alerts must not count together (contrib/prometheus/keel-alerts.yml)
  head("keel_vrrp_state", "1 for the instance's current state, 0 for the others", "gauge");
  for (const i of insts)
    for (const state of STATES)
      out.push(
        `keel_vrrp_state${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid, family: i.p.family === 6 ? "inet6" : "inet", state })} ${i.state === state ? 1 : 0}`,
      );
  // every transition by where it went and why (the cause's word, src/vrrp/cause.ts): flapping
  // between BACKUP and FAULT (a tracker going up and down) moves no VIP and shows in no
  // keepalived_*_master_total, yet leaves the cluster without a standby
  head("keel_vrrp_transitions_total", "State changes, by new state and reason", "counter");
  for (const i of insts)
    for (const [key, n] of driver.transitions.get(i.name) ?? []) {
      const [to, reason] = key.split(" ");
      out.push(
        `keel_vrrp_transitions_total${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid, to, reason })} ${n}`,
      );
    }
  head("keel_vrrp_priority", "Configured priority (255: address owner)", "gauge");
  for (const i of insts)
    out.push(`keel_vrrp_priority${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid })} ${i.p.priority}`);
  head("keel_vrrp_effective_priority", "Priority after tracker weights", "gauge");
  for (const i of insts)
    out.push(
      `keel_vrrp_effective_priority${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid })} ${i.effectivePriority}`,
    );
  // [wire] seen on the wire (src/vrrp/observe.ts): every instance has a dual-master line,
  // foreign adverts a line per reason seen
  head(
    "keel_vrrp_dual_master_total",
    "Times another router was MASTER for the VRID while this one was (split brain)",
    "counter",
  );
  for (const i of insts)
    out.push(
      `keel_vrrp_dual_master_total${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid })} ${driver.observations.dualMasters(i.name)}`,
    );
  head("keel_vrrp_foreign_adverts_total", "Adverts for the VRID from outside the cluster, by reason", "counter");
  for (const i of insts)
    for (const [reason, n] of driver.observations.foreignTotals.get(i.name) ?? [])
      out.push(
        `keel_vrrp_foreign_adverts_total${labels({ iname: i.name, intf: i.p.ifname, vrid: i.p.vrid, reason })} ${n}`,
      );
  head("keel_packets_dropped_total", "Packets dropped before reaching an instance, by reason", "counter");
  const dropped: Record<string, number> = {
    ...driver.router.stats.dropped,
    unknown_vrid: driver.router.stats.unknown_vrid,
    ...driver.dropped,
  };
  for (const [reason, n] of Object.entries(dropped)) out.push(`keel_packets_dropped_total${labels({ reason })} ${n}`);
  if (lvs) renderLvs(lvs, head, out);
  if (bfd) renderBfd(bfd, head, out);
  if (internalErrors) {
    head("keel_internal_errors_total", "Unexpected exceptions the daemon caught, by part", "counter");
    for (const [part, n] of Object.entries(internalErrors))
      out.push(`keel_internal_errors_total${labels({ part })} ${n}`);
  }
  return `${out.join("\n")}\n`;
}

/** RFC 5880 4.1's state codes: AdminDown 0, Down 1, Init 2, Up 3. */
const BFD_STATE: Record<string, number> = { AdminDown: 0, Down: 1, Init: 2, Up: 3 };

/** The BFD sessions (src/runtime/bfd-driver.ts): state, transitions, Detection Time, packets. */
function renderBfd(
  sessions: BfdStatus[],
  head: (n: string, h: string, t: "gauge" | "counter") => void,
  out: string[],
): void {
  const l = (b: BfdStatus) => labels({ name: b.name, neighbor: b.neighbor });
  head("keel_bfd_session_state", "BFD session state (0 AdminDown, 1 Down, 2 Init, 3 Up)", "gauge");
  for (const b of sessions) out.push(`keel_bfd_session_state${l(b)} ${BFD_STATE[b.state] ?? 1}`);
  head("keel_bfd_transitions_total", "BFD session state changes", "counter");
  for (const b of sessions) out.push(`keel_bfd_transitions_total${l(b)} ${b.transitions}`);
  head("keel_bfd_detection_time_seconds", "Negotiated Detection Time (RFC 5880 6.8.4)", "gauge");
  for (const b of sessions) out.push(`keel_bfd_detection_time_seconds${l(b)} ${b.detectTime / 1e6}`);
  head("keel_bfd_last_detection_seconds", "Last packet heard to Down by detection timeout, the last time", "gauge");
  for (const b of sessions)
    if (b.lastDetectionMs !== undefined) out.push(`keel_bfd_last_detection_seconds${l(b)} ${b.lastDetectionMs / 1000}`);
  head("keel_bfd_packets_total", "BFD Control packets, by direction", "counter");
  for (const b of sessions) {
    out.push(`keel_bfd_packets_total${labels({ name: b.name, neighbor: b.neighbor, direction: "rx" })} ${b.rx}`);
    out.push(`keel_bfd_packets_total${labels({ name: b.name, neighbor: b.neighbor, direction: "tx" })} ${b.tx}`);
  }
}

/** The checker process's latest report: virtual servers, real servers and their checkers. */
function renderLvs(
  vss: VirtualServerStatus[],
  head: (n: string, h: string, t: "gauge" | "counter") => void,
  out: string[],
): void {
  head("keel_lvs_virtual_server_quorum_up", "1 while the live weight meets the virtual server's quorum", "gauge");
  for (const v of vss)
    out.push(`keel_lvs_virtual_server_quorum_up${labels({ virtual_server: v.name })} ${v.quorumUp ? 1 : 0}`);
  head("keel_lvs_virtual_server_alive_weight", "Sum of the weights of live real servers", "gauge");
  for (const v of vss)
    out.push(`keel_lvs_virtual_server_alive_weight${labels({ virtual_server: v.name })} ${v.aliveWeight}`);
  head("keel_lvs_real_server_up", "1 while every checker of the real server passes", "gauge");
  for (const v of vss)
    for (const r of v.realServers)
      out.push(`keel_lvs_real_server_up${labels({ virtual_server: v.name, real_server: r.address })} ${r.up ? 1 : 0}`);
  head("keel_lvs_real_server_weight", "Weight of the real server in the IPVS table (absent: not in it)", "gauge");
  for (const v of vss)
    for (const r of v.realServers)
      if (r.liveWeight !== undefined)
        out.push(
          `keel_lvs_real_server_weight${labels({ virtual_server: v.name, real_server: r.address })} ${r.liveWeight}`,
        );
  const checkers = vss.flatMap((v) =>
    v.realServers.flatMap((r) =>
      r.checkers.map((c, i) => ({
        c,
        l: labels({ virtual_server: v.name, real_server: r.address, checker: `${c.type}#${i}` }),
      })),
    ),
  );
  head("keel_lvs_checker_up", "Checker state", "gauge");
  for (const { c, l } of checkers) out.push(`keel_lvs_checker_up${l} ${c.up ? 1 : 0}`);
  head("keel_lvs_checker_duration_seconds", "Duration of the checker's last attempt", "gauge");
  for (const { c, l } of checkers)
    if (c.latencyMs !== undefined) out.push(`keel_lvs_checker_duration_seconds${l} ${c.latencyMs / 1000}`);
  // IPVS's own counters (what ipvsadm -Ln --stats and the connection columns show)
  const rss = vss.flatMap((v) =>
    v.realServers
      .filter((r) => r.counters)
      .map((r) => ({ c: r.counters as LvsCounters, l: { virtual_server: v.name, real_server: r.address } })),
  );
  const svcs = vss
    .filter((v) => v.counters)
    .map((v) => ({ c: v.counters as LvsCounters, l: { virtual_server: v.name } }));
  if (rss.length === 0 && svcs.length === 0) return;
  head("keel_lvs_real_server_active_connections", "Connections IPVS holds established to the real server", "gauge");
  for (const { c, l } of rss) out.push(`keel_lvs_real_server_active_connections${labels(l)} ${c.activeConns ?? 0}`);
  head(
    "keel_lvs_real_server_inactive_connections",
    "Connections IPVS holds to the real server in other states",
    "gauge",
  );
  for (const { c, l } of rss) out.push(`keel_lvs_real_server_inactive_connections${labels(l)} ${c.inactiveConns ?? 0}`);
  for (const [what, list] of [
    ["real_server", rss],
    ["virtual_server", svcs],
  ] as const) {
    head(`keel_lvs_${what}_connections_total`, "Connections IPVS scheduled", "counter");
    for (const { c, l } of list) out.push(`keel_lvs_${what}_connections_total${labels(l)} ${c.connections}`);
    head(`keel_lvs_${what}_packets_total`, "Packets IPVS forwarded, by direction", "counter");
    for (const { c, l } of list)
      for (const [d, n] of [
        ["in", c.inPackets],
        ["out", c.outPackets],
      ] as const)
        out.push(`keel_lvs_${what}_packets_total${labels({ ...l, direction: d })} ${n}`);
    head(`keel_lvs_${what}_bytes_total`, "Bytes IPVS forwarded, by direction", "counter");
    for (const { c, l } of list)
      for (const [d, n] of [
        ["in", c.inBytes],
        ["out", c.outBytes],
      ] as const)
        out.push(`keel_lvs_${what}_bytes_total${labels({ ...l, direction: d })} ${n}`);
  }
}

/** Serve /metrics on "ADDR:PORT" (":PORT" = every address). */
export function serveMetrics(listen: string, render: () => string): { stop(): void; port: number } {
  const i = listen.lastIndexOf(":");
  const host = i > 0 ? listen.slice(0, i).replace(/^\[|\]$/g, "") : "0.0.0.0";
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--metrics ${listen}: not ADDR:PORT`);
  const server = Bun.serve({
    hostname: host,
    port,
    fetch(req) {
      if (new URL(req.url).pathname !== "/metrics")
        return new Response("keel: metrics are at /metrics\n", { status: 404 });
      return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
    },
  });
  return { stop: () => server.stop(true), port: server.port ?? port };
}
