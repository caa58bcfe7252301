/**
 * The files keepalived writes on its signals, in its formats (tools such as
 * keepalived-exporter parse them): SIGUSR2 → $TMPDIR/keepalived.stats
 * (vrrp_print_stats in vrrp_print.c). keel adds $TMPDIR/keel.stats.json beside it with
 * every counter it keeps, including the ones keepalived 2.2's text does not print
 * (checksum, version, VRID errors, packets dropped before an instance).
 */
import { join } from "node:path";
import type { KeelConfig } from "../config/model";
import type { VrrpRouter } from "../vrrp/router";
import { configVmacNames } from "./vmac-name";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";
/** node:os when a dump is written, not when the daemon loads this file (issue 20) */
const tmpdir = () => (require("node:os") as typeof import("node:os")).tmpdir();

export function statsText(router: VrrpRouter): string {
  const out: string[] = [];
  for (const inst of router.instances.values()) {
    const s = inst.stats;
    out.push(
      `VRRP Instance: ${inst.name}`,
      "  Advertisements:",
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      "  Packet Errors:",
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      "  Authentication Errors:",
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
    );
    // keepalived 2.4.3's vrrp_print_stats prints this section for every instance; 2.2.7,
    // whose layout scripts parse, has none: only an instance with auth_hmac (a 2.4 config) gets it
    if (inst.hmac !== undefined)
      out.push(
        "  Authentication Extension Errors:",
        `    Missing: ${s.auth_ext_missing}`,
        `    Malformed: ${s.auth_ext_malformed}`,
        `    Unknown Key: ${s.auth_ext_unknown_key}`,
        `    Invalid HMAC: ${s.auth_ext_invalid_hmac}`,
        `    Stale: ${s.auth_ext_stale}`,
        `    Replay: ${s.auth_ext_replay}`,
      );
    out.push("  Priority Zero:", `    Received: ${s.pri_zero_rcvd}`, `    Sent: ${s.pri_zero_sent}`);
  }
  return `${out.join("\n")}\n`;
}

export function statsJson(router: VrrpRouter, driverDropped: Record<string, number>): string {
  const instances: Record<string, unknown> = {};
  for (const inst of router.instances.values())
    instances[inst.name] = {
      state: inst.state,
      priority: inst.effectivePriority,
      master: inst.masterAddress ?? null,
      stats: inst.stats,
    };
  return `${JSON.stringify({ instances, dropped: { ...router.stats.dropped, unknown_vrid: router.stats.unknown_vrid, ...driverDropped } }, null, 2)}\n`;
}

const usecTime = (ms: number) => {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const us = String(Math.round((ms % 1000) * 1000)).padStart(6, "0");
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${(ms / 1000).toFixed(6)} (${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${us} ${d.getFullYear()})`;
};

/** Whether the configuration names keepalived 2.4's v3_checksum_as_v2, globally or in an instance. */
const v3ChecksumNamed = (config: KeelConfig): boolean =>
  config.globalDefs.v3ChecksumAsV2 || Object.values(config.vrrpInstances).some((v) => v.v3ChecksumAsV2 !== undefined);

/**
 * SIGUSR1 → $TMPDIR/keepalived.data: the VRRP topology in keepalived's layout
 * (vrrp_data.c dump_vrrp), the lines tools read (instance, state, wantstate, interface,
 * VRID, priorities, VIPs). Sections keel has no counterpart for are left out.
 */
export function dataText(
  router: VrrpRouter,
  lastTransitionEpochMs: (name: string) => number | undefined,
  config: KeelConfig,
  /** the Interfaces section's lines (VrrpDriver.interfaceDump: keepalived's dump_if, in part) */
  interfaces: string[] = [],
): string {
  const g = config.globalDefs;
  const v3Named = v3ChecksumNamed(config);
  const out = [
    "------< Global definitions >------",
    ` Router ID = ${g.routerId ?? "(none)"}`,
    // keepalived 2.4.3 dump_global_data prints this always; 2.2.7 (no v3_checksum_as_v2)
    // never: keel prints it, and the instances' line below, for a configuration that
    // names the keyword (a 2.4 one), so a 2.2.7 configuration's dump keeps 2.2.7's lines
    ...(v3Named ? [` Use VRRPv2 checksum for VRRPv3 IPv4 = ${g.v3ChecksumAsV2 ? "yes" : "no"}`] : []),
    ` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`,
    ` VRRP strict mode = ${g.vrrpStrict ? "true" : "false"}`,
    "------< VRRP Topology >------",
  ];
  for (const inst of router.instances.values()) {
    const p = inst.p;
    const v = config.vrrpInstances[inst.name];
    const lt = lastTransitionEpochMs(inst.name);
    out.push(
      ` VRRP Instance = ${inst.name}`,
      `   VRRP Version = ${p.version}`,
      `   State = ${inst.state}`,
      `   Wantstate = ${inst.wantState}`,
      `   Number of interface and track script faults = ${inst.faultList().length}`,
    );
    if (lt !== undefined) out.push(`   Last transition = ${usecTime(lt)}`);
    // keepalived vrrp_data.c dump_vrrp: "not configured" for an interfaceless instance, then its VRF
    out.push(`   Interface = ${p.ifname ?? "not configured"}`);
    if (v?.vrf !== undefined && p.ifname === undefined) out.push(`   VRF = ${v.vrf}`);
    if (p.source) out.push(`   Using src_ip = ${p.source}`);
    if (!p.unicast) out.push(`   Multicast address ${p.mcastGroup}`);
    else for (const peer of p.unicastPeers) out.push(`   Unicast peer ${peer}`);
    out.push(
      `   Virtual Router ID = ${p.vrid}`,
      `   Priority = ${p.priority}`,
      `   Effective priority = ${inst.effectivePriority}`,
      `   Total priority = ${inst.totalPriority}`,
      `   Advert interval = ${p.advertIntCs * 10} milli-sec`,
      `   Preempt = ${p.nopreempt ? "disabled" : "enabled"}`,
    );
    if (v?.preemptDelay) out.push(`   Preempt delay = ${v.preemptDelay} secs`);
    // 2.4.3 dump_vrrp: for a VRRPv3 IPv4 instance, after the authentication lines
    if (v3Named && p.version === 3 && p.family === 4)
      out.push(`   VRRPv3 uses VRRPv2 checksum = ${p.v3ChecksumAsV2 ? "enabled" : "disabled"}`);
    // vrrp_instance `debug`: keepalived 2.2.7 reads vrrp->debug only here (vrrp_data.c dump_vrrp)
    if (v?.debug) out.push(`   Debug level = ${v.debug}`);
    const dev = (a: { dev?: string }) => a.dev ?? p.ifname ?? "";
    // keepalived's format_ipaddress: no "/prefix" for a host address
    const addr = (a: { address: string; prefix: number; family: 4 | 6 }) =>
      a.prefix === (a.family === 4 ? 32 : 128) ? a.address : `${a.address}/${a.prefix}`;
    out.push(`   Virtual IP (${p.vips.length}):`);
    for (const a of p.vips)
      out.push(`     ${addr(a)} dev ${dev(a)} scope ${a.scope ?? "global"}${inst.vipSet ? " set" : ""}`);
    if (p.excluded.length > 0) {
      out.push(`   Virtual IP Excluded (${p.excluded.length}):`);
      for (const a of p.excluded)
        out.push(`     ${addr(a)} dev ${dev(a)} scope ${a.scope ?? "global"}${inst.vipSet ? " set" : ""}`);
    }
  }
  // vrrp_data.c dump_data_vrrp: the interface queue after the instances
  if (interfaces.length > 0) out.push("------< Interfaces >------", ...interfaces);
  return `${out.join("\n")}\n`;
}

/** keepalived's tmp_dir: $TMPDIR, else /tmp (main.c). */
export const dumpDir = (): string => process.env.TMPDIR || tmpdir();

/**
 * A dump appears whole or not at all: written to a new file beside it (O_EXCL, mode
 * 0600), then renamed over it. keepalived fopen()s the name and writes into it, so a
 * reader that saw the file could read it half-written (the package test read an empty
 * keepalived.json that way), and a symlink planted at the name was followed; rename(2)
 * replaces the name itself.
 */
export function writeDumpFile(path: string, text: string): void {
  const fs = nodeFs();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The SIGUSR1 file's path (keepalived 2.4.3 global_data.c open_dump_file; 2.2.7 names it
 * the same way without `state_dump_file`): `state_dump_file` gives the directory when it
 * starts with '/' (up to its last '/', the whole of it when it ends with one; else
 * TMPDIR) and the file name when it does not end with '/' (else keepalived.data). With
 * `data_use_instance` and a network namespace or an `instance` name, ".NAMESPACE_INSTANCE"
 * (either alone without the `_`) goes before the name's last dot.
 */
export function dataFilePath(config: KeelConfig, namespace: string | undefined, tmp = dumpDir()): string {
  const spec = config.globalDefs.stateDumpFile;
  let dir = tmp;
  if (spec?.startsWith("/")) dir = spec.endsWith("/") ? spec.slice(0, -1) : spec.slice(0, spec.lastIndexOf("/"));
  const name = spec && !spec.endsWith("/") ? spec.slice(spec.lastIndexOf("/") + 1) : "keepalived.data";
  const dot = name.lastIndexOf(".") < 0 ? name.length : name.lastIndexOf(".");
  const ns = namespace ?? config.netNamespace;
  const inst = config.instance;
  const tag =
    config.globalDefs.dataUseInstance && (ns !== undefined || inst !== undefined)
      ? `.${ns ?? ""}${ns !== undefined && inst !== undefined ? "_" : ""}${inst ?? ""}`
      : "";
  return `${dir}/${name.slice(0, dot)}${tag}${name.slice(dot)}`;
}

export function writeData(
  router: VrrpRouter,
  lastTransitionEpochMs: (name: string) => number | undefined,
  config: KeelConfig,
  namespace?: string,
  interfaces: string[] = [],
): string {
  const path = dataFilePath(config, namespace);
  writeDumpFile(path, dataText(router, lastTransitionEpochMs, config, interfaces));
  return path;
}

const STATE_NUM: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 97 };

/** What the JSON dump's version 2 says of a vrrp_track_process (trackers.ts processState). */
export type ProcessState = (name: string) =>
  | {
      count: number;
      up: boolean;
      forkPending: boolean;
      terminatePending: boolean;
    }
  | undefined;

/**
 * The JSON signal (SIGRTMIN+2) → $TMPDIR/keepalived.json: keepalived's vrrp_json.c
 * layout, `[{"data": {...}, "stats": {...}}]` per instance, which keepalived-exporter's
 * --ka.json mode reads. `json_version 2` (keepalived 2.3+) wraps the array as
 * `{"vrrp": [...]}` and adds `"track_process": [...]` when there are vrrp_track_process
 * blocks (vrrp_json_dump, vrrp_json_vprocess_dump).
 */
export function jsonDump(
  router: VrrpRouter,
  lastTransitionEpochMs: (name: string) => number | undefined,
  config: KeelConfig,
  processState?: ProcessState,
  vmacIfname?: (instance: string) => string | undefined,
): string {
  const g = config.globalDefs;
  // the name the driver chose at set-up (vmac-name.ts); without one, the config's in its order
  const byConfig = configVmacNames(
    g.vmacPrefix,
    Object.values(config.vrrpInstances).map((v) => ({
      name: v.name,
      vrid: v.virtualRouterId,
      family: v.virtualIpaddress[0]?.family ?? 4,
      vmac: v.useVmac,
    })),
  );
  const out = [...router.instances.values()].map((inst) => {
    const p = inst.p;
    const v = config.vrrpInstances[inst.name];
    const s = inst.stats;
    const vip = (a: { address: string; prefix: number; dev?: string; scope?: string }) =>
      `${a.address}/${a.prefix} dev ${a.dev ?? p.ifname ?? ""} scope ${a.scope ?? "global"}${inst.vipSet ? " set" : ""}`;
    return {
      data: {
        iname: inst.name,
        dont_track_primary: v?.dontTrackPrimary ? 1 : 0,
        skip_check_adv_addr: p.skipCheckAdvAddr ? 1 : 0,
        strict_mode: (v?.strictMode ?? g.vrrpStrict) ? 1 : 0,
        vmac_ifname: v?.useVmac ? (vmacIfname?.(inst.name) ?? byConfig.get(inst.name) ?? "") : "",
        ifp_ifname: p.ifname ?? "",
        master_priority: inst.masterPriority ?? 0,
        last_transition: (lastTransitionEpochMs(inst.name) ?? 0) / 1000,
        garp_delay: p.garpMasterDelayMs / 1000,
        garp_refresh: p.garpMasterRefreshMs / 1000,
        garp_rep: p.garpMasterRepeat,
        garp_refresh_rep: v?.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
        garp_lower_prio_delay: p.garpLowerPrioDelayMs / 1000,
        garp_lower_prio_rep: p.garpLowerPrioRepeat,
        lower_prio_no_advert: p.lowerPrioNoAdvert ? 1 : 0,
        higher_prio_send_advert: p.higherPrioSendAdvert ? 1 : 0,
        vrid: p.vrid,
        base_priority: p.priority,
        effective_priority: inst.effectivePriority,
        vipset: inst.vipSet,
        promote_secondaries: false,
        adver_int: p.advertIntCs / 100,
        master_adver_int: inst.masterAdverIntCs / 100,
        accept: 1,
        nopreempt: p.nopreempt,
        preempt_delay: p.preemptDelayMs / 1000,
        state: STATE_NUM[inst.state] ?? 0,
        wantstate: STATE_NUM[inst.wantState] ?? 0,
        version: p.version,
        smtp_alert: false,
        notify_deleted: false,
        vips: p.vips.map(vip),
        ...(p.excluded.length > 0 ? { evips: p.excluded.map(vip) } : {}),
        auth_type: p.auth ? (p.auth.type === "PASS" ? 1 : 2) : 0,
        // vrrp_json.c vrrp_json_auth_dump: auth_data, the auth_pass as keepalived stores it
        // (cut to 8 characters, params.ts), and only when there is an auth_type
        ...(p.auth ? { auth_data: p.auth.pass } : {}),
      },
      stats: {
        advert_rcvd: s.advert_rcvd,
        advert_sent: s.advert_sent,
        become_master: s.become_master,
        release_master: s.release_master,
        packet_len_err: s.packet_len_err,
        advert_interval_err: s.advert_interval_err,
        ip_ttl_err: s.ip_ttl_err,
        invalid_type_rcvd: s.invalid_type_rcvd,
        addr_list_err: s.addr_list_err,
        invalid_authtype: s.invalid_authtype,
        authtype_mismatch: s.authtype_mismatch,
        auth_failure: s.auth_failure,
        // keepalived 2.4.3's vrrp_json_stats_dump writes these for every instance (2.2.7's
        // has none): as in the stats dump, only an instance with auth_hmac (a 2.4 config)
        // gets them, so a 2.2.7 configuration's JSON keeps 2.2.7's keys
        ...(inst.hmac !== undefined
          ? {
              auth_ext_missing: s.auth_ext_missing,
              auth_ext_malformed: s.auth_ext_malformed,
              auth_ext_unknown_key: s.auth_ext_unknown_key,
              auth_ext_invalid_hmac: s.auth_ext_invalid_hmac,
              auth_ext_stale: s.auth_ext_stale,
              auth_ext_replay: s.auth_ext_replay,
            }
          : {}),
        pri_zero_rcvd: s.pri_zero_rcvd,
        pri_zero_sent: s.pri_zero_sent,
      },
    };
  });
  if (g.jsonVersion !== 2) return JSON.stringify(out);
  const procs = Object.values(config.vrrpTrackProcesses);
  if (procs.length === 0) return JSON.stringify({ vrrp: out });
  const track_process = procs.map((p) => {
    const st = processState?.(p.name) ?? { count: 0, up: false, forkPending: false, terminatePending: false };
    return {
      process: p.process ?? "",
      ...(p.params?.length ? { parameters: p.params.join(" ") } : {}),
      param_match: p.params?.length ? (p.paramMatch ?? "exact") : (p.paramMatch ?? "none"),
      min_processes: p.quorum,
      ...(p.quorumMax !== undefined ? { max_processes: p.quorumMax } : {}),
      current_processes: st.count,
      have_quorum: st.up,
      weight: p.weightReverse ? -p.weight : p.weight,
      terminate_delay: p.terminateDelay ?? 0,
      fork_delay: p.forkDelay ?? 0,
      fork_delay_timer_running: st.forkPending,
      terminate_delay_timer_running: st.terminatePending,
      full_command: p.fullCommand,
    };
  });
  return JSON.stringify({ vrrp: out, track_process });
}

/**
 * keepalived (2.4.3 too) writes keepalived.json in TMPDIR whatever `json_dump_file`
 * says: the keyword is parsed, and read nowhere (vrrp_json.c vrrp_print_json).
 */
export function writeJson(
  router: VrrpRouter,
  lastTransitionEpochMs: (name: string) => number | undefined,
  config: KeelConfig,
  processState?: ProcessState,
  vmacIfname?: (instance: string) => string | undefined,
): string {
  const path = join(dumpDir(), "keepalived.json");
  writeDumpFile(path, jsonDump(router, lastTransitionEpochMs, config, processState, vmacIfname));
  return path;
}

/** STATS_CLEAR (SIGRTMAX-1): every instance's counters back to zero. */
export function clearStats(router: VrrpRouter): void {
  for (const inst of router.instances.values())
    for (const k of Object.keys(inst.stats) as (keyof typeof inst.stats)[]) inst.stats[k] = 0;
}

/**
 * keepalived writes its dumps under TMPDIR (default /tmp), mode 0600; keepalived.stats
 * there whatever `stats_dump_file` says (2.4.3 parses it and reads it nowhere:
 * vrrp_print.c vrrp_print_stats).
 */
export function writeStats(router: VrrpRouter, driverDropped: Record<string, number>): string {
  const dir = dumpDir();
  const path = join(dir, "keepalived.stats");
  writeDumpFile(join(dir, "keel.stats.json"), statsJson(router, driverDropped));
  writeDumpFile(path, statsText(router));
  return path;
}
