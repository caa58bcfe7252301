/**
 * The global part of the model: the `global_defs` block (keepalived core/global_parser.c,
 * stored there in `global_data`) and the top-level keywords that are not blocks of the
 * VRRP or LVS areas (net_namespace, instance, linkbeat_interfaces, ...).
 *
 * Defaults are keepalived's (core/global_data.c alloc_global_data/set_vrrp_defaults and
 * the man page). Fields left `undefined` are either truly optional or take a default that
 * depends on the host or on other settings; the comment says which.
 *
 * Units: fields holding times say so. `seconds` values may carry fractions (keepalived
 * TIMERs have microsecond resolution); `usecs` values are integers of microseconds.
 */
import type { Script } from "../script";
// Declared by the VRRP model too (the two parts were written in parallel); the same
// types keep KeelConfig = GlobalPart & VrrpPart consistent.
import type { InterfaceUpDownDelay, LinkbeatInterface } from "../vrrp/model";

export type { InterfaceUpDownDelay, LinkbeatInterface };

/** `smtp_server HOST [PORT]` */
export interface SmtpServer {
  /** an IP address or a host name (resolved when mail is sent, not when parsing) */
  host: string;
  /** default 25 */
  port: number;
}

/** `notify_fifo PATH [USER [GROUP]]` (and the vrrp_/lvs_ variants) */
export interface NotifyFifo {
  path: string;
  /** owner of the FIFO when keepalived creates it (default: the script user) */
  user?: string;
  group?: string;
}

/** `script_user USER [[:]GROUP]` */
export interface ScriptUser {
  user: string;
  /** a leading ':' means "also set the supplementary groups" (kept as written) */
  group?: string;
}

/** `lvs_sync_daemon IFNAME [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]` */
export interface LvsSyncDaemon {
  interface: string;
  /** the sync daemon's master/backup role follows this vrrp_instance */
  vrrpInstance?: string;
  /** 0..255; default: the VRID of vrrpInstance, else 0 */
  syncId?: number;
  /** 1..65507; kernel default when unset */
  maxLen?: number;
  /** UDP port; kernel default 8848 */
  port?: number;
  /** multicast TTL 1..255; kernel default 1 */
  ttl?: number;
  /** multicast group (IPv4 or IPv6); kernel default 224.0.0.81 */
  group?: string;
}

/** `lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]`: unset ones keep the kernel's value. */
export interface LvsTimeouts {
  /** seconds */
  tcp?: number;
  /** seconds */
  tcpFin?: number;
  /** seconds */
  udp?: number;
}

/** `vrrp_garp_extra_if [all] SECS` */
export interface GarpExtraIf {
  /** seconds, 1..86400 */
  interval: number;
  /** send on every interface of the instance, not only VMACs */
  all: boolean;
}

/** `vrrp_iptables [IN_CHAIN [OUT_CHAIN]]` (no arguments: INPUT and OUTPUT) */
export interface VrrpIptables {
  inChain: string;
  outChain?: string;
}

/**
 * `vrrp_ipsets [ADDR [ADDR6 [ADDR_IF6 [IGMP [MLD [VMAC_ND]]]]]]`. With no names ipsets are
 * not used (`enabled: false`); otherwise the names left out are derived from the given
 * ones as keepalived does, so all six are filled in.
 */
export interface VrrpIpsets {
  enabled: boolean;
  address?: string;
  address6?: string;
  addressIface6?: string;
  igmp?: string;
  mld?: string;
  vmacNd?: string;
}

export const INCLUDE_CHECKS = ["read", "match", "wildcard_match", "brace_match"] as const;
export type IncludeCheck = (typeof INCLUDE_CHECKS)[number];

export interface GlobalDefs {
  // --- configuration handling ---------------------------------------------------
  /** directory for the anonymous copy of the config read at startup (default: memory) */
  tmpConfigDirectory?: string;
  /** directory where config state is saved around reloads (debugging) */
  configSaveDir?: string;
  /** missing include files that are errors; empty: none (keepalived's default) */
  includeCheck: IncludeCheck[];
  /** validate the new config before a reload; the value is the log file (no argument: /dev/null) */
  reloadCheckConfig?: string;
  /** file whose first line schedules a reload (HH:MM:SS or [YY]YY-MM-DD HH:MM:SS[Z]) */
  reloadTimeFile?: string;
  /** keep reload_time_file after the reload (reload daily at a time-only entry) */
  reloadRepeat: boolean;
  /** `reload_file [PATH]`: `{}` means keepalived's default (keepalived.reload in the pid dir) */
  reloadFile?: { path?: string };
  /** seed for ${_RANDOM} (default: time based) */
  randomSeed?: number;
  /** file creation mask bits (default IXUSR|IRWXG|IRWXO = 0o177) */
  umask: number;

  // --- processes ------------------------------------------------------------------
  /** process names (default: the program's own name); process_names sets the children's */
  processName?: string;
  vrrpProcessName?: string;
  checkerProcessName?: string;
  bfdProcessName?: string;
  /** keep symlinks in script paths instead of resolving them */
  useSymlinkPaths: boolean;
  /** set a script's supplementary groups by default */
  setSupplementaryGroups: boolean;
  /** refuse root scripts whose path a non-root user can change; default user keepalived_script only */
  enableScriptSecurity: boolean;
  /** default user/group for scripts (default keepalived_script if it exists, else root) */
  scriptUser?: ScriptUser;
  startupScript?: Script;
  /** seconds, 1..1000 */
  startupScriptTimeout: number;
  shutdownScript?: Script;
  /** seconds, 1..1000 */
  shutdownScriptTimeout: number;
  /** cap on automatic realtime priority increases: 0 none, -1 none and no warning, else 1..99 */
  maxAutoPriority: number;
  /** usecs late after which the priority is raised; 1..10000000 */
  minAutoPriorityDelay: number;
  /** nice values, -20..19 */
  vrrpPriority: number;
  checkerPriority: number;
  bfdPriority: number;
  /** mlockall() the child process */
  vrrpNoSwap: boolean;
  checkerNoSwap: boolean;
  bfdNoSwap: boolean;
  /** SCHED_RR priority 1..99 (unset: normal scheduling) */
  vrrpRtPriority?: number;
  checkerRtPriority?: number;
  bfdRtPriority?: number;
  /** CPU ids the child may run on (unset: any) */
  vrrpCpuAffinity?: number[];
  checkerCpuAffinity?: number[];
  bfdCpuAffinity?: number[];
  /** RLIMIT_RTTIME in usecs when running realtime (minimum 2) */
  vrrpRlimitRttime: number;
  checkerRlimitRttime: number;
  bfdRlimitRttime: number;

  // --- notification e-mail ----------------------------------------------------------
  /** router_id (default: the host name, resolved at run time) */
  routerId?: string;
  /** recipients, as written (may include a display name) */
  notificationEmail: string[];
  /** From: address (default keepalived@HOSTNAME, resolved at run time) */
  notificationEmailFrom?: string;
  smtpServer?: SmtpServer;
  /** HELO name (default: the host name) */
  smtpHeloName?: string;
  /** seconds */
  smtpConnectTimeout: number;
  /** default smtp_alert for everything / vrrp / checkers; unset: only where asked */
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  /** log every failed checker attempt, not only state changes */
  checkerLogAllFailures: boolean;
  /** no mail for FAULT transitions */
  noEmailFaults: boolean;
  /** send notifies for real servers at startup */
  rsInitNotifies: boolean;
  /** no mail on every real server state change, only add/remove */
  noCheckerEmails: boolean;

  // --- notify FIFOs -------------------------------------------------------------
  notifyFifo?: NotifyFifo;
  /** run with the FIFO path as last argument */
  notifyFifoScript?: Script;
  vrrpNotifyFifo?: NotifyFifo;
  vrrpNotifyFifoScript?: Script;
  lvsNotifyFifo?: NotifyFifo;
  lvsNotifyFifoScript?: Script;
  /** write priority changes to the notify FIFOs */
  vrrpNotifyPriorityChanges: boolean;
  /** write the vrrp states to the FIFOs after a reload */
  fifoWriteVrrpStatesOnReload: boolean;

  // --- VRRP defaults ---------------------------------------------------------------
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  /** interface for static addresses with no `dev` */
  defaultInterface: string;
  /** interfaces may come and go; `allowIfChanges` also lets them change type */
  dynamicInterfaces: boolean;
  allowIfChanges: boolean;
  disableLocalIgmp: boolean;
  v3ChecksumAsV2: boolean;
  /**
   * vrrp_min_garp: one GARP/NA and no second burst. When set, the garp fields below
   * hold the values it implies unless the config set them explicitly.
   */
  vrrpMinGarp: boolean;
  /** GARPs per burst after becoming MASTER */
  vrrpGarpMasterRepeat: number;
  /** seconds until the second burst (0: none) */
  vrrpGarpMasterDelay: number;
  /** seconds between refresh bursts while MASTER (0: none) */
  vrrpGarpMasterRefresh: number;
  vrrpGarpMasterRefreshRepeat: number;
  /** after a lower priority advert while MASTER; unset: as vrrpGarpMasterRepeat */
  vrrpGarpLowerPrioRepeat?: number;
  /** seconds; unset: as vrrpGarpMasterDelay */
  vrrpGarpLowerPrioDelay?: number;
  /** seconds between GARP messages on an interface */
  vrrpGarpInterval: number;
  /** seconds between unsolicited NA messages on an interface */
  vrrpGnaInterval: number;
  vrrpGarpExtraIf?: GarpExtraIf;
  /** adverts missed before the master is declared down, 1..100 */
  vrrpDownTimerAdverts: number;
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  vrrpVersion: 2 | 3;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  vrrpOwnerIgnoreAdverts: boolean;
  logUnknownVrids: boolean;
  /** seconds before the vrrp instances start */
  vrrpStartupDelay: number;
  /** seconds after boot before the instances start (resolved against uptime at start) */
  vrrpDelayAfterBoot?: number;
  /** receive buffer sizing: a policy (MTU|ADVERT) ... */
  vrrpRxBufsPolicy?: "mtu" | "advert";
  /** ... or a fixed size in bytes */
  vrrpRxBufsSize?: number;
  vrrpRxBufsMultiplier: number;
  /** VMAC interface name prefix (default "vrrp") */
  vmacPrefix?: string;
  /** for VMACs of VIPs not on the instance's interface (default: vmacPrefix) */
  vmacAddrPrefix?: string;

  // --- firewall ----------------------------------------------------------------------
  vrrpIptables?: VrrpIptables;
  vrrpIpsets?: VrrpIpsets;
  /** nftables table for VRRP (keyword without a name: "keepalived") */
  nftables?: string;
  nftablesPriority: number;
  nftablesCounters: boolean;
  nftablesIfindex: boolean;
  /** nftables table for IPVS fwmarks (keyword without a name: "keepalived_ipvs") */
  nftablesIpvs?: string;
  nftablesIpvsPriority: number;
  nftablesIpvsStartFwmark: number;

  // --- LVS ------------------------------------------------------------------------
  lvsSyncDaemon?: LvsSyncDaemon;
  lvsTimeouts?: LvsTimeouts;
  /** flush IPVS at startup */
  lvsFlush: boolean;
  /** at shutdown: remove each service/server ("none"), flush all ("full"), or remove services ("vs") */
  lvsFlushOnStop: "none" | "full" | "vs";

  // --- netlink buffers (bytes; unset: system default) ---------------------------------
  vrrpNetlinkCmdRcvBufs?: number;
  vrrpNetlinkCmdRcvBufsForce: boolean;
  vrrpNetlinkMonitorRcvBufs?: number;
  vrrpNetlinkMonitorRcvBufsForce: boolean;
  lvsNetlinkCmdRcvBufs?: number;
  lvsNetlinkCmdRcvBufsForce: boolean;
  lvsNetlinkMonitorRcvBufs?: number;
  lvsNetlinkMonitorRcvBufsForce: boolean;
  processMonitorRcvBufs?: number;
  processMonitorRcvBufsForce: boolean;

  // --- SNMP / DBus / dumps -------------------------------------------------------------
  /** AgentX socket (unset: net-snmp's default, unix:/var/agentx/master) */
  snmpSocket?: string;
  enableTraps: boolean;
  enableSnmpVrrp: boolean;
  enableSnmpRfcv2: boolean;
  enableSnmpRfcv3: boolean;
  enableSnmpChecker: boolean;
  /** seconds, 0.001..30 */
  snmpVsStatsUpdateInterval: number;
  /** seconds, 0.001..30 (0: not set) */
  snmpRsStatsUpdateInterval: number;
  enableDbus: boolean;
  dbusServiceName: string;
  dbusNoInterfaceName: string;
  /** put instance and namespace in the .data/.stats file names */
  dataUseInstance: boolean;
  jsonVersion: 1 | 2;
  stateDumpFile?: string;
  statsDumpFile?: string;
  jsonDumpFile?: string;
  iprouteUsrDir?: string;
  iprouteEtcDir?: string;
}

export interface GlobalPart {
  globalDefs: GlobalDefs;
  /** run in this network namespace (implies the pid directory) */
  netNamespace?: string;
  /** namespace for IPVS; "" is the default namespace */
  netNamespaceIpvs?: string;
  namespaceWithIpsets: boolean;
  /** instance name for pid files (implies the pid directory) */
  instance?: string;
  /** pid files under /run/keepalived/ */
  usePidDir: boolean;
  /** poll link state (MII/ETHTOOL/ioctl) on every interface instead of netlink */
  linkbeatUsePolling: boolean;
  /** `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] }` */
  linkbeatInterfaces: LinkbeatInterface[];
  /** `interface_up_down_delays { IFNAME DOWN [UP] }` */
  interfaceUpDownDelays: InterfaceUpDownDelay[];
  /** seconds the parent waits for children to exit */
  childWaitTime: number;
}

export function createGlobalDefs(): GlobalDefs {
  return {
    includeCheck: [],
    reloadRepeat: false,
    umask: 0o177,
    useSymlinkPaths: false,
    setSupplementaryGroups: false,
    enableScriptSecurity: false,
    startupScriptTimeout: 10,
    shutdownScriptTimeout: 10,
    maxAutoPriority: 0,
    minAutoPriorityDelay: 1_000_000,
    vrrpPriority: 0,
    checkerPriority: 0,
    bfdPriority: 0,
    vrrpNoSwap: false,
    checkerNoSwap: false,
    bfdNoSwap: false,
    vrrpRlimitRttime: 10_000,
    checkerRlimitRttime: 10_000,
    bfdRlimitRttime: 10_000,
    notificationEmail: [],
    smtpConnectTimeout: 30,
    checkerLogAllFailures: false,
    noEmailFaults: false,
    rsInitNotifies: false,
    noCheckerEmails: false,
    vrrpNotifyPriorityChanges: false,
    fifoWriteVrrpStatesOnReload: false,
    vrrpMcastGroup4: "224.0.0.18",
    vrrpMcastGroup6: "ff02::12",
    defaultInterface: "eth0",
    dynamicInterfaces: false,
    allowIfChanges: false,
    disableLocalIgmp: false,
    v3ChecksumAsV2: false,
    vrrpMinGarp: false,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterDelay: 5,
    vrrpGarpMasterRefresh: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: 0,
    vrrpGnaInterval: 0,
    vrrpDownTimerAdverts: 3,
    vrrpLowerPrioNoAdvert: false,
    // keel's default, not keepalived's (false): a master yielding to a higher-priority
    // advert sends one advert at its own priority, so a winner that did not hear it as
    // master during a split brain does now and re-announces its VIPs (garp_lower_prio_repeat;
    // issue 18, COMPATIBILITY.md "Defaults that differ"). `vrrp_higher_prio_send_advert false`
    // restores keepalived's behaviour
    vrrpHigherPrioSendAdvert: true,
    vrrpVersion: 2,
    vrrpCheckUnicastSrc: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpStrict: false,
    vrrpOwnerIgnoreAdverts: false,
    logUnknownVrids: false,
    vrrpStartupDelay: 0,
    vrrpRxBufsMultiplier: 3,
    nftablesPriority: -1,
    nftablesCounters: false,
    nftablesIfindex: false,
    nftablesIpvsPriority: -1,
    nftablesIpvsStartFwmark: 1000,
    lvsFlush: false,
    lvsFlushOnStop: "none",
    vrrpNetlinkCmdRcvBufsForce: false,
    vrrpNetlinkMonitorRcvBufsForce: false,
    lvsNetlinkCmdRcvBufsForce: false,
    lvsNetlinkMonitorRcvBufsForce: false,
    processMonitorRcvBufsForce: false,
    enableTraps: false,
    enableSnmpVrrp: false,
    enableSnmpRfcv2: false,
    enableSnmpRfcv3: false,
    enableSnmpChecker: false,
    snmpVsStatsUpdateInterval: 5,
    snmpRsStatsUpdateInterval: 0,
    enableDbus: false,
    dbusServiceName: "org.keepalived.Vrrp1",
    dbusNoInterfaceName: "none",
    dataUseInstance: false,
    jsonVersion: 1,
  };
}

export function createGlobalPart(): GlobalPart {
  return {
    globalDefs: createGlobalDefs(),
    namespaceWithIpsets: false,
    usePidDir: false,
    linkbeatUsePolling: false,
    linkbeatInterfaces: [],
    interfaceUpDownDelays: [],
    childWaitTime: 5,
  };
}

/** Every field of GlobalPart (the compiler checks the list is complete), e.g. to pick the part out of a KeelConfig. */
const PART_FIELDS: Record<keyof GlobalPart, true> = {
  globalDefs: true,
  netNamespace: true,
  netNamespaceIpvs: true,
  namespaceWithIpsets: true,
  instance: true,
  usePidDir: true,
  linkbeatUsePolling: true,
  linkbeatInterfaces: true,
  interfaceUpDownDelays: true,
  childWaitTime: true,
};
export const GLOBAL_PART_KEYS = Object.keys(PART_FIELDS) as (keyof GlobalPart)[];
