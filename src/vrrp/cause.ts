/**
 * Why an instance is in its state, as data (gobgp's FSMStateReason: a transition says who
 * sent what, not only a word). Every `transition` action carries a `Cause`: the rule that
 * applied (RFC 5798 section or keepalived behaviour) and the numbers it compared. The
 * instance keeps its last decisions and a view of its standing state; `explain.ts` puts
 * both into words. Pure data, no I/O (DESIGN.md rule 1).
 */
import type { TransitionReason, VrrpState } from "./types";

/** What holds an instance in FAULT (keepalived down_instance's reasons), typed. */
export interface Fault {
  /**
   * `init`: waiting for a weight-0 script's first result (keepalived num_script_init), not
   * a real fault; `sync-group`: another member of the instance's sync group is faulted;
   * `address`: interface `name` has no address the instance can send from (keepalived
   * counts a missing saddr as a fault, keepalived_netlink.c: none yet, or an IPv6
   * link-local still tentative or dadfailed), `detail` says which
   */
  kind: "interface" | "script" | "file" | "process" | "bfd" | "sync-group" | "init" | "address";
  name: string;
  /** words for the operator; not part of the fault's identity (faultKey) */
  detail?: string;
}

/**
 * An operator's hold on an instance (keel switchover / keel maintenance), typed so the
 * cause of the transition it makes and `keel explain` say who held it and why.
 * - `switchover`: this node does not preempt the master it handed over to (as if
 *   nopreempt were set) until released; if that master goes silent it still takes over.
 * - `maintenance`: this node never becomes MASTER, even with no master heard.
 * - `standby`: the same for the moment of a `keel switchover --to` another node: the
 *   backups not chosen keep out of the election the resigning master starts.
 * Setting either on a MASTER resigns at once with priority 0 (RFC 5798 6.4.3's shutdown
 * advert), so the backups take over after Skew_Time instead of Master_Down_Interval.
 */
export interface Hold {
  kind: "switchover" | "maintenance" | "standby";
  /** who asked: "root (uid 0, pid 123)" from the control connection's peer credentials */
  by?: string;
  /** the operator's --reason */
  reason?: string;
}

export function faultKey(f: Fault): string {
  return `${f.kind}:${f.name}`;
}

/** One tracked object and what it does to the instance's priority now. */
export interface TrackerShare {
  kind: "script" | "file" | "interface" | "process" | "bfd";
  name: string;
  /** the object's state: up/down (init: a script that has not run), or a file's value */
  status: "up" | "down" | "init" | number;
  /** the weight in force (the track line's, else the object's own; 0 = a fault, not a weight) */
  weight: number;
  /** added to the base priority (keepalived total_priority) */
  delta: number;
  /** weight 0 and in its failed state: it holds the instance in FAULT */
  fault: boolean;
}

/** The instance's own priority when it decided. */
export interface PriorityShare {
  /** configured `priority` */
  base: number;
  /** base + Σ deltas clamped to 1..254 (255 for an owner): what it advertises */
  effective: number;
  trackers: TrackerShare[];
}

/** The timer values in force when it decided, ms. */
export interface TimerShare {
  advertIntMs: number;
  /** Master_Down_Interval (RFC 5798 6.1, keepalived's down_timer_adverts × interval + skew) */
  masterDownMs: number;
  skewMs: number;
}

export interface PreemptShare {
  nopreempt: boolean;
  /** preempt_delay, 0 = none */
  delayMs: number;
}

/** A router whose advert mattered: the master heard, or the one preempted. */
export interface Sender {
  address: string;
  priority: number;
}

interface CauseBase {
  /** the rule that applied, e.g. "RFC 5798 6.4.2" or "keepalived vrrp_init_state" */
  rule: string;
  priority: PriorityShare;
  timers: TimerShare;
  preempt: PreemptShare;
  /** our own primary address (the tie-break on equal priority) */
  source?: string;
}

export type CauseDetail =
  /** INIT → BACKUP (or FAULT with the faults that hold it) */
  | { reason: "init"; faults: Fault[]; downMs?: number }
  | { reason: "address-owner" }
  /** the master's adverts stopped; `lastHeard` is the master it last heard, if any */
  | { reason: "master-down-timer"; lastHeard?: Sender }
  | { reason: "priority-zero-received"; sender: Sender }
  /** a lower-priority master was preempted (after preempt_delay, if set) */
  | { reason: "preempt"; sender: Sender }
  | { reason: "higher-priority-advert" | "equal-priority-higher-ip"; sender: Sender }
  /** a fault set or cleared; `faults` are the ones left after it */
  | { reason: "track-fault" | "interface-down"; fault: Fault; faults: Fault[] }
  | { reason: "track-recovered" | "interface-up"; fault: Fault; faults: Fault[] }
  /** pulled along by `member` of sync group `group`, which went to `memberState` */
  | { reason: "sync-group"; group: string; member: string; memberState: VrrpState }
  | { reason: "shutdown" }
  /** an operator's hold made a MASTER resign (priority 0 sent) or kept a start from MASTER */
  | { reason: "hold"; hold: Hold }
  | { reason: "command" }
  /** `what`: the route or rule as its config line says it */
  | { reason: "route-deleted"; what: string }
  /** `what`: the VIP or eVIP someone deleted, "ADDR/PREFIX dev IFNAME" */
  | { reason: "vip-deleted"; what: string }
  /**
   * timer_expired_backup: the engine ran `lateMs` late; the last advert went out
   * `sinceAdvertMs` ago, not less than `takeoverMs` (3 intervals + the Skew_Time of
   * priority `highestOther`), so another router may be master now
   */
  | { reason: "timer-expired-backup"; lateMs: number; sinceAdvertMs: number; takeoverMs: number; highestOther: number };

export type Cause = CauseBase & CauseDetail;

/** The cause's reason is one of TransitionReason's words (logs, notify, metrics read it). */
export type CauseReason = CauseDetail["reason"];
const _reasonsAgree: CauseReason extends TransitionReason ? true : false = true;
void _reasonsAgree;

/** The rule each transition reason applies (the `rule` of its cause). */
export const RULES: Record<CauseDetail["reason"], string> = {
  init: "keepalived vrrp_init_state",
  "address-owner": "RFC 5798 6.4.1 (the address owner, priority 255, is master at once)",
  "master-down-timer": "RFC 5798 6.4.2 (Master_Down_Timer fired)",
  "priority-zero-received": "RFC 5798 6.4.2 (priority 0 received: Master_Down_Timer set to Skew_Time)",
  preempt: "RFC 5798 6.4.2 (Preempt_Mode: a lower-priority advert is discarded)",
  "higher-priority-advert": "RFC 5798 6.4.3 (an advert with a greater priority)",
  "equal-priority-higher-ip": "RFC 5798 6.4.3 (equal priority, greater primary address)",
  "track-fault": "keepalived down_instance (a weight-0 tracker failed)",
  "interface-down": "keepalived down_instance (the interface went down)",
  "track-recovered": "keepalived try_up_instance (no fault left)",
  "interface-up": "keepalived try_up_instance (no fault left)",
  "sync-group": "keepalived vrrp_sync.c (a sync group moves together)",
  shutdown: "RFC 5798 6.4.3 (Shutdown: a master sends priority 0)",
  hold: "an operator's hold (keel switchover / maintenance): a master resigns with priority 0 (RFC 5798 6.4.3)",
  command: "an operator command",
  "timer-expired-backup":
    "keepalived 2.4 vrrp.c vrrp_thread_timeout_handler (timer_expired_backup: a nopreempt master that ran late yields to whoever may have taken over)",
  "route-deleted":
    "keepalived keepalived_netlink.c netlink_route_filter / netlink_rule_filter → set_vrrp_backup (to BACKUP, back after the skew time)",
  "vip-deleted":
    "keepalived keepalived_netlink.c netlink_if_address_filter → set_vrrp_backup (a MASTER's VIP deleted: to BACKUP, back after the skew time)",
};

/** One state change, kept in the instance's decision ring. */
export interface Decision {
  /** monotonic ms */
  at: number;
  from: VrrpState;
  to: VrrpState;
  cause: Cause;
}

/** What explains the standing state (explain.ts reads only this). */
export interface InstanceView {
  name: string;
  state: VrrpState;
  /** monotonic ms of the last state change (undefined before the first) */
  since?: number;
  version: 2 | 3;
  vrid: number;
  ifname?: string;
  source?: string;
  vips: string[];
  unicast: boolean;
  priority: PriorityShare;
  timers: TimerShare;
  preempt: PreemptShare;
  /** the faults holding it (FAULT) */
  faults: Fault[];
  /** the master last heard (BACKUP), and when */
  master?: Sender & { heardAt?: number };
  /** monotonic deadlines now armed: Master_Down (BACKUP), next advert (MASTER), preempt_delay's end */
  masterDownAt?: number;
  advertAt?: number;
  preemptAt?: number;
  /** a lower-priority master is being preempted (the down timer runs out on purpose) */
  preempting: boolean;
  /** the sync group it belongs to */
  group?: string;
  /** the operators' holds on it (switchover, maintenance) */
  holds: Hold[];
  /** newest last */
  decisions: Decision[];
}

/** How many decisions an instance keeps. */
export const DECISIONS_KEPT = 32;
