/**
 * The VRRP engine's vocabulary: states, typed transition reasons, actions (outputs as
 * data) and keepalived's per-instance statistics. Logs, notify scripts, the TUI and
 * metrics all read these; nothing here does I/O (DESIGN.md rule 1).
 */
import type { Route, Rule, VirtualAddress } from "../config/vrrp/model";
import type { HmacState, ReceivedTrailer } from "./auth-hmac";
import type { Cause } from "./cause";

/** keepalived's states (vrrp.h VRRP_STATE_*), plus STOP after shutdown. */
export type VrrpState = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";

export type TransitionReason =
  /** INIT → BACKUP/FAULT when the engine starts ("Entering BACKUP STATE (init)") */
  | "init"
  /** priority 255 with state MASTER: master at once (RFC 5798 6.4.1) */
  | "address-owner"
  /** backup heard no advert for Master_Down_Interval */
  | "master-down-timer"
  /** backup's timer was cut to Skew_Time by a priority-0 advert */
  | "priority-zero-received"
  /** backup discarded lower-priority adverts and took over (preemption) */
  | "preempt"
  /** master saw a higher-priority advert */
  | "higher-priority-advert"
  /** master saw an equal-priority advert from a higher primary address */
  | "equal-priority-higher-ip"
  /** a weight-0 tracker (script, file, interface, process, bfd) failed */
  | "track-fault"
  /** every fault cleared */
  | "track-recovered"
  /** the instance's interface went down / came back */
  | "interface-down"
  | "interface-up"
  /** pulled along by another member of its sync group */
  | "sync-group"
  /** the engine is stopping (SIGTERM) */
  | "shutdown"
  /** an operator's hold (keel switchover / maintenance, cause.ts Hold) */
  | "hold"
  /** an operator command (control socket) */
  | "command"
  /** a MASTER's tracked virtual route or rule was deleted (keepalived set_vrrp_backup) */
  | "route-deleted"
  /** a MASTER's tracked VIP or eVIP was deleted by someone else (keepalived set_vrrp_backup) */
  | "vip-deleted"
  /** a nopreempt master whose engine ran late went back to BACKUP (keepalived 2.4 timer_expired_backup) */
  | "timer-expired-backup";

/** DELETED: an instance a reload removed, with notify_deleted (keepalived VRRP_STATE_DELETED) */
export type NotifyState = "MASTER" | "BACKUP" | "FAULT" | "STOP" | "DELETED";

export interface AdvertOut {
  instance: string;
  ifname?: string;
  family: 4 | 6;
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** centiseconds (v2 adverts carry whole seconds: cs / 100) */
  advertIntCs: number;
  addresses: string[];
  auth?: { type: "PASS" | "AH"; pass: string };
  /** the multicast group, or every unicast peer */
  destinations: string[];
  unicast: boolean;
  /** source address, when one is configured (unicast_src_ip / mcast_src_ip) */
  source?: string;
  /** IPv4 identification: a per-instance counter that skips 0 (keepalived vrrp->ip_id) */
  ipId: number;
  /** IPv4 TTL of a unicast advert (unicast_ttl; keepalived vrrp_build_ip4's vrrp->ttl), else 255 */
  ttl?: number;
  /** AH sequence number (auth_type AH), 0 otherwise */
  seq: number;
  /**
   * VRRPv3/IPv4 with keepalived's old unicast checksum: the pseudo-header's destination
   * (the IPv4 multicast group) instead of each packet's own (params.ts checksumCompat)
   */
  checksumDst?: string;
  /**
   * auth_hmac, when the instance signs (not receive-only): the instance's signing state;
   * transmit.ts signs once per advert with the wall clock (keepalived vrrp_auth_hmac_sign)
   */
  hmac?: HmacState;
  /** VRRPv3/IPv4 with `v3_checksum_as_v2`: the checksum without the pseudo-header (params.ts) */
  checksumAsV2?: true;
}

export type Action =
  | { type: "send-advert"; advert: AdvertOut }
  | {
      type: "add-vips" | "del-vips";
      instance: string;
      ifname?: string;
      addresses: VirtualAddress[];
      excluded: VirtualAddress[];
      routes: Route[];
      rules: Rule[];
    }
  /** gratuitous ARP (IPv4) / unsolicited NA (IPv6) for each address, `count` times */
  | { type: "send-garp"; instance: string; ifname?: string; addresses: string[]; count: number }
  /** `reason` is `cause.reason`, kept as a word for logs, notify and metrics; `cause` says why with the numbers */
  | { type: "transition"; instance: string; from: VrrpState; to: VrrpState; reason: TransitionReason; cause: Cause }
  | { type: "notify"; kind: "INSTANCE" | "GROUP"; name: string; state: NotifyState; priority: number }
  /**
   * a sync group pulls its other members after one member's move (keepalived vrrp_sync.c
   * vrrp_sync_master / _backup / _fault: "VRRP_Group(%s) Syncing instances to %s state"),
   * after that member's actions and before the others'
   */
  | { type: "group-sync"; group: string; state: "MASTER" | "BACKUP" | "FAULT" }
  | { type: "priority"; instance: string; from: number; to: number }
  /** a packet that failed to decode, or an advert rejected by the instance's checks (vrrp_check_packet), in keepalived's words */
  | { type: "rx-error"; instance?: string; from: string; code: string; message: string }
  /**
   * a master heard a lower-priority advert and answers it (keepalived "forcing new
   * election"); `suppressed`: answerable adverts left unanswered since the last answer
   */
  | {
      type: "master-rx-lower-pri";
      instance: string;
      from: string;
      priority: number;
      /** our effective priority */
      ours: number;
      suppressed: number;
    }
  /** keepalived "Setting unicast VRRPv3 checksum to old version": an advert from `from` only checked the old way */
  | { type: "old-checksum"; instance: string; from: string }
  /** what the instance saw on the wire beyond its own election (src/vrrp/observe.ts) */
  | { type: "observed"; instance: string; observation: Observation }
  /**
   * a VRRPv3 backup took a master's advert interval as its Master_Adver_Interval (RFC 5798
   * 6.4.2; keepalived update_master_adver_int), centiseconds
   */
  | { type: "master-adver-int"; instance: string; from: number; to: number };

/**
 * Why an advert for our VRID is not from one of our own routers (src/vrrp/observe.ts):
 * `unknown-router` (unicast: a source not in unicast_peer), `vip-set` (another VIP set:
 * a VRID collision), `advert-int` (v2: another advert_int), `version`, `auth` (another
 * auth type or password, or a failed AH or auth_hmac check).
 */
export type ForeignReason = "unknown-router" | "vip-set" | "advert-int" | "version" | "auth";
export const FOREIGN_REASONS: readonly ForeignReason[] = ["unknown-router", "vip-set", "advert-int", "version", "auth"];

/** One observation; `now`-free: the engine's clock stays inside it (the runtime stamps epoch times). */
export type Observation =
  /**
   * a MASTER (for at least one advert interval) heard another router's advert that loses
   * to ours: that router is master too, so the two did not hear each other (split brain)
   */
  | { kind: "dual-master"; peer: string; peerPriority: number; ourPriority: number }
  /**
   * the dual master is over. `how`: `peer-silent` (the peer sent nothing for 3 of its
   * advert intervals: it yielded or died; we won), `we-yielded` (a higher advert from
   * `winner`), `we-left` (a fault or a stop: no winner known). `winner` is the address
   * left MASTER; `lastingMs` runs from the first advert heard to the end
   */
  | {
      kind: "dual-master-over";
      peer: string;
      winner?: string;
      lastingMs: number;
      how: "peer-silent" | "we-yielded" | "we-left";
    }
  /** an advert for our VRID from outside our cluster; `freeVrids`: (vip-set) VRIDs not heard on this interface, as ranges */
  | { kind: "foreign-advert"; reason: ForeignReason; from: string; detail: string; freeVrids?: string };

/** keepalived's vrrp_stats, by the names its SIGUSR2 dump and SNMP use. */
export interface VrrpStats {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  chk_err: number;
  vers_err: number;
  vrid_err: number;
  /** auth_hmac (keepalived 2.4.3 "Authentication Extension Errors") */
  auth_ext_missing: number;
  auth_ext_malformed: number;
  auth_ext_unknown_key: number;
  auth_ext_invalid_hmac: number;
  auth_ext_stale: number;
  auth_ext_replay: number;
}

export function zeroStats(): VrrpStats {
  return {
    advert_rcvd: 0,
    advert_sent: 0,
    become_master: 0,
    release_master: 0,
    packet_len_err: 0,
    advert_interval_err: 0,
    ip_ttl_err: 0,
    invalid_type_rcvd: 0,
    addr_list_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
    pri_zero_rcvd: 0,
    pri_zero_sent: 0,
    chk_err: 0,
    vers_err: 0,
    vrid_err: 0,
    auth_ext_missing: 0,
    auth_ext_malformed: 0,
    auth_ext_unknown_key: 0,
    auth_ext_invalid_hmac: 0,
    auth_ext_stale: 0,
    auth_ext_replay: 0,
  };
}

/** An advert as the instance sees it: decoded, with what the socket told about it. */
export interface ReceivedAdvert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  advertIntCs: number;
  /** v2 only: 0 none, 1 PASS, 2 AH */
  authType: number;
  /** v2 PASS: the 8 bytes of authentication data */
  authData?: Uint8Array;
  addresses: string[];
  /** the sender (IP source address) */
  from: string;
  /** the IP destination: multicast group or our unicast address */
  to: string;
  /** IPv4 TTL / IPv6 hop limit, -1 if unknown */
  ttl: number;
  /** IPv4 AH header, when present: verify the ICV with the instance's key */
  ah?: { verify(pass: string): boolean; seq: number };
  /** auth_hmac's trailer, split off by receive.ts for an instance that has auth_hmac */
  hmac?: ReceivedTrailer;
  /** set by the instance's check when auth_hmac refused the advert (observe.ts: a foreign advert, reason auth) */
  hmacFailure?: string;
}
