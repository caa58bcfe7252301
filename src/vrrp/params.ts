/**
 * An instance's settings as the engine uses them: the config model resolved against
 * global_defs (keepalived's vrrp_complete_instance), in the engine's units
 * (centiseconds for advert intervals, milliseconds for delays).
 */
import { effectiveVersion, instanceFamily } from "../config/vrrp/check";
import type { KeelConfig } from "../config/model";
import type { AuthHmac, Route, Rule, TrackRef, VirtualAddress, VrrpInstance } from "../config/vrrp/model";
import { decodeKey, defaultWindow, HMAC_KEY_MAX, HMAC_KEY_MIN, type HmacParams } from "./auth-hmac";

export interface InstanceParams {
  name: string;
  ifname?: string;
  family: 4 | 6;
  version: 2 | 3;
  vrid: number;
  /** configured priority; 255 = address owner */
  priority: number;
  /** `state MASTER` in the config */
  wantMaster: boolean;
  /** configured advert_int in centiseconds (v2: a multiple of 100) */
  advertIntCs: number;
  nopreempt: boolean;
  preemptDelayMs: number;
  /**
   * keepalived 2.4's `timer_expired_backup` (highest_other_priority): the highest priority
   * of the other routers, set only with nopreempt (vrrp_complete_instance resets it
   * otherwise). A MASTER whose engine ran late goes back to BACKUP when one of them may
   * have taken over meanwhile (Instance.timerExpired).
   */
  timerExpiredBackup?: number;
  downTimerAdverts: number;
  vips: VirtualAddress[];
  excluded: VirtualAddress[];
  routes: Route[];
  rules: Rule[];
  /** v2 only; auth_pass cut to 8 characters as keepalived does */
  auth?: { type: "PASS" | "AH"; pass: string };
  /** auth_hmac (auth-hmac.ts), when its active key resolved */
  authHmac?: HmacParams;
  mcastGroup: string;
  unicastPeers: string[];
  unicast: boolean;
  checkUnicastSrc: boolean;
  /**
   * keepalived's unicast_chksum_compat for VRRPv3 over IPv4 (vrrp.c, `old_unicast_checksum`):
   * "new" the RFC 5798 pseudo-header (destination: the packet's), switching to the old one
   * when a unicast advert only checks that way; "never" the same without the switch;
   * "old" the pre-1.3.6 pseudo-header (destination: checksumGroup4) for sending and checking
   */
  checksumCompat: "new" | "never" | "old";
  /** the destination the old pseudo-header carries: global_defs vrrp_mcast_group4, whatever mcast_dst_ip says */
  checksumGroup4: string;
  /**
   * keepalived 2.4's `v3_checksum_as_v2` (VRRP_FLAG_V3_CHECKSUM_AS_V2; the instance's
   * keyword, else global_defs'), VRRPv3 over IPv4 only: adverts are sent with a checksum
   * without the pseudo-header (as Cisco and Juniper read RFC 5798 5.2.8, and RFC 9568
   * 5.2.8 says), and received ones are not checked at all (vrrp.c vrrp_check_packet:
   * the sum is computed and ignored, so both forms are accepted and chk_err never moves).
   * It overrides checksumCompat (vrrp_build_vrrp_v3 skips the pseudo-header altogether).
   */
  v3ChecksumAsV2: boolean;
  /** our primary address for this instance: unicast_src_ip / mcast_src_ip, else the interface's */
  source?: string;
  /** unicast_ttl: the IPv4 TTL of unicast adverts (the config check drops it without peers) */
  unicastTtl?: number;
  garpMasterDelayMs: number;
  garpMasterRepeat: number;
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelayMs: number;
  garpLowerPrioRepeat: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  /** an owner (priority 255) drops every advert it receives */
  ownerIgnoreAdverts: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  track: {
    scripts: TrackRef[];
    files: TrackRef[];
    interfaces: { name: string; weight?: number; reverse?: boolean }[];
    processes: TrackRef[];
    bfds: TrackRef[];
  };
}

/** Reads a `file:` key's text (the runtime's; undefined: unreadable). */
export type ReadKeyFile = (path: string) => string | undefined;

/**
 * auth_hmac as keepalived completes it (vrrp_parser.c key handlers, vrrp_complete_instance):
 * keys that do not decode to 32..64 bytes are left out, and without its active key the
 * extension is disabled ("active_key N is not defined, disabling extension"; the config
 * check reports both); strict mode forces mode enforce; the window defaults from the interval.
 */
export function hmacParams(
  ah: AuthHmac,
  advertIntCs: number,
  strict: boolean,
  readKeyFile?: ReadKeyFile,
): HmacParams | undefined {
  const keys: HmacParams["keys"] = [];
  for (const k of ah.keys) {
    let text: string | undefined = k.value;
    if (text.startsWith("file:")) {
      // vrrp_auth_hmac_read_key_file: a trailing line terminator is dropped
      text = readKeyFile?.(text.slice(5))?.replace(/[\r\n]+$/, "");
    }
    const key = text === undefined ? undefined : decodeKey(text);
    if (key && key.length >= HMAC_KEY_MIN && key.length <= HMAC_KEY_MAX) keys.push({ id: k.id, key });
  }
  if (ah.activeKey === undefined || !keys.some((k) => k.id === ah.activeKey)) return undefined;
  const antiReplayTime = ah.antiReplay === "time";
  return {
    keys,
    activeKey: ah.activeKey,
    antiReplayTime,
    timeWindow: ah.timeWindow ?? defaultWindow(advertIntCs),
    mode: strict ? "enforce" : ah.mode,
  };
}

/**
 * Resolve one configured instance. `interfaceAddress` supplies the primary address of its
 * interface, `readKeyFile` the text of auth_hmac `file:` keys.
 */
export function instanceParams(
  config: KeelConfig,
  v: VrrpInstance,
  interfaceAddress?: (ifname: string, family: 4 | 6) => string | undefined,
  readKeyFile?: ReadKeyFile,
): InstanceParams {
  const g = config.globalDefs;
  const family = instanceFamily(v);
  const version = effectiveVersion(config, v);
  const strict = v.strictMode ?? g.vrrpStrict;
  // keepalived: v2 adverts carry whole seconds; v3 centiseconds (rounded)
  const advertIntCs =
    version === 2 ? Math.max(1, Math.round(v.advertInt)) * 100 : Math.max(1, Math.round(v.advertInt * 100));
  const unicast = v.unicastPeers.length > 0 || v.unicastFaultNoPeer;
  const authHmac = v.authHmac ? hmacParams(v.authHmac, advertIntCs, strict, readKeyFile) : undefined;
  // keepalived: "auth_hmac cannot be combined with authentication, dropping legacy auth"
  const auth =
    version === 2 && !strict && !v.authHmac && v.authentication?.authType && v.authentication.authPass
      ? { type: v.authentication.authType, pass: v.authentication.authPass.slice(0, 8) }
      : undefined;
  // keepalived vrrp_parser.c: use_ipvlan's address is also the source address (unless one was set)
  const ipvlanSource = v.useIpvlan?.address?.split("/")[0];
  const source =
    v.unicastSrcIp ??
    v.mcastSrcIp ??
    ipvlanSource ??
    (v.interface !== undefined ? interfaceAddress?.(v.interface, family) : undefined);
  const sec = (s: number | undefined, d: number) => (s ?? d) * 1000;
  // keepalived vrrp_complete_instance: under strict mode the initial state follows
  // ownership ("State MASTER must match being address owner"), and with AH a non-owner
  // starts as BACKUP ("Initial state master is incompatible with AH authentication");
  // nopreempt and preempt_delay are then judged on the settled state
  const owner = v.priority === 255;
  let wantMaster = v.state === "MASTER";
  if (strict) wantMaster = owner;
  else if (auth?.type === "AH" && wantMaster && !owner) wantMaster = false;
  return {
    name: v.name,
    ifname: v.interface,
    family,
    version,
    vrid: v.virtualRouterId,
    priority: v.priority,
    wantMaster,
    advertIntCs,
    // keepalived ignores nopreempt / preempt_delay for an initial MASTER and for the owner
    nopreempt: v.nopreempt && !wantMaster && !owner,
    // keepalived vrrp_complete_instance: "preempt_delay is incompatible with strict mode - resetting"
    preemptDelayMs: wantMaster || v.nopreempt || strict ? 0 : v.preemptDelay * 1000,
    // "expired_timer_backup requires nopreempt - resetting", judged after nopreempt was
    // cleared for an owner or an initial MASTER (vrrp_complete_instance's order)
    timerExpiredBackup: v.nopreempt && !wantMaster && !owner ? v.timerExpiredBackup : undefined,
    downTimerAdverts: strict ? 3 : (v.downTimerAdverts ?? g.vrrpDownTimerAdverts),
    // keepalived vrrp_complete_instance: with no interface, a VIP/eVIP without dev is removed
    vips: v.virtualIpaddress.filter((a) => a.family === family && (v.interface !== undefined || a.dev !== undefined)),
    excluded: v.virtualIpaddressExcluded.filter((a) => v.interface !== undefined || a.dev !== undefined),
    routes: v.virtualRoutes,
    rules: v.virtualRules,
    auth: auth as InstanceParams["auth"],
    ...(authHmac ? { authHmac } : {}),
    mcastGroup: v.mcastDstIp ?? (family === 4 ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6),
    unicastPeers: v.unicastPeers.map((p) => p.address),
    unicast,
    checkUnicastSrc: v.checkUnicastSrc || g.vrrpCheckUnicastSrc,
    // the model's "auto" is the keyword without argument (keepalived CHKSUM_COMPATIBILITY_CONFIG)
    checksumCompat: v.oldUnicastChecksum === undefined ? "new" : v.oldUnicastChecksum === "never" ? "never" : "old",
    checksumGroup4: g.vrrpMcastGroup4,
    v3ChecksumAsV2: family === 4 && version === 3 && (v.v3ChecksumAsV2 ?? g.v3ChecksumAsV2),
    source,
    unicastTtl: unicast && family === 4 ? v.unicastTtl : undefined,
    garpMasterDelayMs: sec(v.garpMasterDelay, g.vrrpGarpMasterDelay),
    garpMasterRepeat: v.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
    garpMasterRefreshMs: sec(v.garpMasterRefresh, g.vrrpGarpMasterRefresh),
    garpMasterRefreshRepeat: v.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    // strict mode (RFC behaviour, keepalived vrrp_complete_instance): no repeat GARPs on a
    // lower-priority advert, no advert in answer to one, none to a higher one either
    garpLowerPrioDelayMs: strict ? 0 : sec(v.garpLowerPrioDelay, g.vrrpGarpLowerPrioDelay ?? g.vrrpGarpMasterDelay),
    garpLowerPrioRepeat: strict ? 0 : (v.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat),
    lowerPrioNoAdvert: strict || (v.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert),
    higherPrioSendAdvert: !strict && (v.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert),
    ownerIgnoreAdverts: v.priority === 255 && (strict || (v.ownerIgnoreAdverts ?? g.vrrpOwnerIgnoreAdverts)),
    skipCheckAdvAddr: v.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    strict,
    track: {
      scripts: v.trackScripts,
      files: v.trackFiles,
      interfaces: v.trackInterfaces,
      processes: v.trackProcesses,
      bfds: v.trackBfds,
    },
  };
}
