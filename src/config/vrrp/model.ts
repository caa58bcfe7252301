/**
 * The VRRP side of the configuration model: vrrp_instance, vrrp_sync_group,
 * vrrp_script, track_file, vrrp_track_process, track_group, garp_group and static
 * addresses/routes/rules. (linkbeat_interfaces and interface_up_down_delays, which
 * keepalived also installs in vrrp_parser.c, are in the global part.)
 *
 * Defaults are keepalived's (vrrp_data.c alloc_vrrp, alloc_vrrp_script, ...). A field that
 * keepalived inherits from a global_defs setting when the instance leaves it out
 * (garp_master_*, down_timer_adverts, version, strict_mode, smtp_alert, ...) stays
 * `undefined` here: undefined means "the global value", which the runtime resolves.
 */
import type { Script } from "../script";
import type { VirtualAddress } from "./net/address";
import type { Route } from "./net/route";
import type { Rule } from "./net/rule";

export type { Route, Rule, VirtualAddress };

/** One line of a track_interface block. */
export interface TrackInterface {
  name: string;
  /** -253..253; 0 (the default) = FAULT when the interface is down */
  weight: number;
  reverse: boolean;
}

/**
 * One line of a track_script / track_file / track_process / track_bfd block.
 * `weight`/`reverse` undefined = the tracked object's own weight (keepalived copies it).
 */
export interface TrackRef {
  name: string;
  weight?: number;
  reverse?: boolean;
}

export interface Tracking {
  trackInterfaces: TrackInterface[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  trackBfds: TrackRef[];
}

export interface UnicastPeer {
  address: string;
  /** received TTL/hop limit must be >= this (0..255, default 0) */
  minTtl?: number;
  /** received TTL/hop limit must be <= this (0..255, default 255) */
  maxTtl?: number;
}

export interface VmacSettings {
  /** macvlan name (default: runtime/vmac-name.ts, vrrp.VRID unless taken) */
  name?: string;
  /** MAC address; 5 octets means the VRID is the 6th */
  mac?: string;
  netlinkNotifyMsg?: boolean;
  /** link group (number or name from /etc/iproute2/group) */
  group?: string;
}

export interface IpvlanSettings {
  name?: string;
  /** ADDR[/PREFIX] configured on the ipvlan (also used as the source address) */
  address?: string;
  mode?: "bridge" | "private" | "vepa";
  group?: string;
}

export interface Authentication {
  authType?: "PASS" | "AH";
  /** keepalived uses only the first 8 characters */
  authPass?: string;
}

export interface AuthHmacKey {
  id: number;
  /** as written: an ASCII string, `hex:...` or `file:PATH` */
  value: string;
}

export interface AuthHmac {
  keys: AuthHmacKey[];
  activeKey?: number;
  /** seconds, 1..300; default max(3 x advert_int, 5) */
  timeWindow?: number;
  antiReplay: "time" | "monotonic";
  mode: "enforce" | "permissive" | "receive-only";
}

export interface GarpExtraIf {
  /** seconds between GARPs on the extra interfaces, 0..86400 (0 disables) */
  interval: number;
  all: boolean;
}

export type VrrpState = "MASTER" | "BACKUP";

export interface VrrpInstance extends Tracking {
  name: string;
  /** initial state; keepalived derives it from the priority when absent (255 → MASTER) */
  state: VrrpState;
  interface?: string;
  vrf?: string;
  /** 1..255; 0 = not set (an error, reported by the checks) */
  virtualRouterId: number;
  /** 1..255, 255 = address owner; default 100, or 255 with state MASTER and no priority */
  priority: number;
  /** seconds (v2: whole seconds 1..255; v3: 0.01..40.95 in 10 ms steps) */
  advertInt: number;
  /** 2 or 3; undefined = global vrrp_version (IPv6 instances always use 3) */
  version?: 2 | 3;
  authentication?: Authentication;
  authHmac?: AuthHmac;
  virtualIpaddress: VirtualAddress[];
  virtualIpaddressExcluded: VirtualAddress[];
  noVirtualIpaddress: boolean;
  promoteSecondaries: boolean;
  virtualRoutes: Route[];
  virtualRules: Rule[];
  useVmac?: VmacSettings;
  useVmacAddr: boolean;
  vmacXmitBase: boolean;
  useIpvlan?: IpvlanSettings;
  nativeIpv6: boolean;
  dontTrackPrimary: boolean;
  mcastSrcIp?: string;
  unicastSrcIp?: string;
  mcastDstIp?: string;
  trackSrcIp: boolean;
  unicastPeers: UnicastPeer[];
  unicastFaultNoPeer: boolean;
  checkUnicastSrc: boolean;
  /** 0..255 (IPv4 default 255; IPv6 the kernel default) */
  unicastTtl?: number;
  /** old_unicast_checksum: "auto" (the keyword alone) or "never" */
  oldUnicastChecksum?: "auto" | "never";
  /** undefined = global v3_checksum_as_v2 */
  v3ChecksumAsV2?: boolean;
  /** accept / no_accept; undefined = accept unless strict mode (or priority 255) */
  accept?: boolean;
  /** undefined = global vrrp_skip_check_adv_addr */
  skipCheckAdvAddr?: boolean;
  /** undefined = global vrrp_strict */
  strictMode?: boolean;
  nopreempt: boolean;
  /** seconds, 0..1000 */
  preemptDelay: number;
  /** 0..4 (not implemented by keepalived either) */
  debug: number;
  notifyMaster?: Script;
  notifyBackup?: Script;
  notifyFault?: Script;
  notifyStop?: Script;
  /** notify_deleted [SCRIPT]: send DELETED rather than FAULT on removal at reload */
  notifyDeleted?: { script?: Script };
  notify?: Script;
  notifyMasterRxLowerPri?: Script;
  /** undefined = global smtp_alert_vrrp / smtp_alert */
  smtpAlert?: boolean;
  notifyPriorityChanges?: boolean;
  /** deprecated here; global lvs_sync_daemon replaces it */
  lvsSyncDaemonInterface?: string;
  /** seconds; undefined = global vrrp_garp_master_delay */
  garpMasterDelay?: number;
  /** seconds; undefined = global vrrp_garp_master_refresh */
  garpMasterRefresh?: number;
  garpMasterRepeat?: number;
  garpMasterRefreshRepeat?: number;
  /** seconds */
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  garpExtraIf?: GarpExtraIf;
  /** 1..100; undefined = global vrrp_down_timer_adverts (default 3) */
  downTimerAdverts?: number;
  /** timer_expired_backup: the highest priority of other instances, 1..254 (default 254) */
  timerExpiredBackup?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  ownerIgnoreAdverts?: boolean;
  /** bytes */
  kernelRxBufSize?: number;
  /** deprecated: linkbeat_interfaces replaces it */
  linkbeatUsePolling: boolean;
}

export interface VrrpSyncGroup extends Tracking {
  name: string;
  /** member vrrp_instance names */
  group: string[];
  notifyMaster?: Script;
  notifyBackup?: Script;
  notifyFault?: Script;
  notifyStop?: Script;
  notify?: Script;
  smtpAlert?: boolean;
  /** sync_group_tracking_weight (global_tracking is its deprecated spelling) */
  syncGroupTrackingWeight: boolean;
  notifyPriorityChanges?: boolean;
}

export interface VrrpScript {
  name: string;
  script?: Script;
  /** seconds (ms resolution), default 1 */
  interval: number;
  /** seconds; undefined = the interval */
  timeout?: number;
  /** -253..253, default 0 (= FAULT after `fall` failures) */
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  initFail: boolean;
}

export interface TrackFile {
  name: string;
  file?: string;
  /** -254..254, default 1 */
  weight: number;
  weightReverse: boolean;
  /** init_file [VALUE] [overwrite] */
  initFile?: { value: number; overwrite: boolean };
}

export interface TrackProcess {
  name: string;
  process?: string;
  /** parameters after the process name: matching uses the command line */
  params?: string[];
  paramMatch?: "exact" | "initial" | "partial";
  /** -254..254, default 0 */
  weight: number;
  weightReverse: boolean;
  /** 1..65535, default 1 */
  quorum: number;
  /** 0..65535; undefined = unlimited */
  quorumMax?: number;
  /** seconds */
  forkDelay?: number;
  /** seconds */
  terminateDelay?: number;
  fullCommand: boolean;
}

export interface TrackGroup {
  name: string;
  /** vrrp_instance names */
  group: string[];
}

export interface GarpGroup {
  /** seconds (µs resolution) */
  garpInterval?: number;
  /** seconds (µs resolution) */
  gnaInterval?: number;
  interface?: string;
  interfaces?: string[];
}

/**
 * linkbeat_interfaces / interface_up_down_delays lines. The blocks are parsed by the global
 * part (global/interfaces.ts), which takes these types from here.
 */
export interface LinkbeatInterface {
  name: string;
  type?: "MII" | "ETHTOOL" | "IOCTL";
}

export interface InterfaceUpDownDelay {
  interface: string;
  /** seconds (µs resolution), 0..255 */
  downDelay: number;
  /** seconds; undefined = 0 (keepalived's parser, not the man page's "same as down") */
  upDelay?: number;
}

export interface VrrpPart {
  vrrpInstances: Record<string, VrrpInstance>;
  vrrpSyncGroups: Record<string, VrrpSyncGroup>;
  vrrpScripts: Record<string, VrrpScript>;
  trackFiles: Record<string, TrackFile>;
  vrrpTrackProcesses: Record<string, TrackProcess>;
  trackGroups: Record<string, TrackGroup>;
  garpGroups: GarpGroup[];
  staticIpaddresses: VirtualAddress[];
  staticRoutes: Route[];
  staticRules: Rule[];
}

export function createVrrpPart(): VrrpPart {
  // Maps keyed by names from the config have no prototype: a block or a reference named
  // "constructor" or "__proto__" is then a name like any other (fuzzing found both taken for
  // an existing block, and "__proto__" replacing the map's prototype).
  return {
    vrrpInstances: Object.create(null),
    vrrpSyncGroups: Object.create(null),
    vrrpScripts: Object.create(null),
    trackFiles: Object.create(null),
    vrrpTrackProcesses: Object.create(null),
    trackGroups: Object.create(null),
    garpGroups: [],
    staticIpaddresses: [],
    staticRoutes: [],
    staticRules: [],
  };
}

function createTracking(): Tracking {
  return { trackInterfaces: [], trackScripts: [], trackFiles: [], trackProcesses: [], trackBfds: [] };
}

export function createVrrpInstance(name = ""): VrrpInstance {
  return {
    name,
    state: "BACKUP",
    virtualRouterId: 0,
    priority: 100,
    advertInt: 1,
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    noVirtualIpaddress: false,
    promoteSecondaries: false,
    virtualRoutes: [],
    virtualRules: [],
    useVmacAddr: false,
    vmacXmitBase: false,
    nativeIpv6: false,
    dontTrackPrimary: false,
    trackSrcIp: false,
    unicastPeers: [],
    unicastFaultNoPeer: false,
    checkUnicastSrc: false,
    nopreempt: false,
    preemptDelay: 0,
    debug: 0,
    linkbeatUsePolling: false,
    ...createTracking(),
  };
}

export function createVrrpSyncGroup(name = ""): VrrpSyncGroup {
  return { name, group: [], syncGroupTrackingWeight: false, ...createTracking() };
}

export function createVrrpScript(name = ""): VrrpScript {
  return { name, interval: 1, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false };
}

export function createTrackFile(name = ""): TrackFile {
  return { name, weight: 1, weightReverse: false };
}

export function createTrackProcess(name = ""): TrackProcess {
  return { name, weight: 0, weightReverse: false, quorum: 1, fullCommand: false };
}

export function createTrackGroup(name = ""): TrackGroup {
  return { name, group: [] };
}

export function createAuthHmac(): AuthHmac {
  return { keys: [], antiReplay: "time", mode: "enforce" };
}
