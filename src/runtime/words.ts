/**
 * keepalived's log lines for state transitions (vrrp.c, vrrp_scheduler.c), so logs and
 * the alerting built on them read the same with keel.
 */
import type { Action } from "../vrrp/types";

type Transition = Extract<Action, { type: "transition" }>;

/**
 * The lines keepalived writes for a transition only with -D (LOG_DETAIL_BIT), ahead of
 * transitionLines': keel writes them at debug level, which -D turns on.
 */
export function transitionDetailLines(t: Transition): string[] {
  switch (t.reason) {
    case "master-down-timer":
    case "preempt":
    case "priority-zero-received":
    // an address owner at start: vrrp_init_state makes it time out of BACKUP at once
    // (ms_down_timer 1), through the same timeout
    case "address-owner":
      // vrrp_scheduler.c vrrp_dispatcher_read_timeout (2.2.7): "if (__test_bit(LOG_DETAIL_BIT,
      // &debug)) log_message(LOG_INFO, "(%s) Receive advertisement timeout", ...)"
      return [`(${t.instance}) Receive advertisement timeout`];
    default:
      return [];
  }
}

/** Read from the transition's cause only: the instance may have moved on since. */
export function transitionLines(t: Transition): string[] {
  const n = `(${t.instance})`;
  const lines: string[] = [];
  switch (t.reason) {
    case "higher-priority-advert":
    case "equal-priority-higher-ip":
      if (t.cause.reason === t.reason)
        lines.push(
          `${n} Master received advert from ${t.cause.sender.address} with higher priority ${t.cause.sender.priority}, ours ${t.cause.priority.effective}`,
        );
      break;
    case "timer-expired-backup":
      // keepalived 2.4 vrrp_thread_timeout_handler's line ("%u.%6.6u", microseconds),
      // once per late wake-up there, once per instance it moved here
      if (t.cause.reason === t.reason) {
        const us = Math.floor(t.cause.lateMs * 1000);
        lines.push(
          `VRRP thread timer expired ${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")} seconds ago`,
        );
      }
      break;
    default:
      break;
  }
  // an instance that starts in FAULT: keepalived vrrp_init_state writes "Entering FAULT
  // STATE (init)" only when its state changes there, and vrrp_complete_init has set every
  // instance with a fault (or in a sync group with one) to FAULT already, with "(%s)
  // entering FAULT state" (startFaultLines); one only waiting for its weight-0 scripts'
  // first results gets no line at all from Debian's 2.2.7 (seen live, start-fault.test.ts)
  if (t.reason === "init" && t.to === "FAULT") return lines;
  const init = t.reason === "init" ? " (init)" : "";
  // keepalived writes no state line for an instance at a stop (vrrp_daemon.c stop_vrrp:
  // restore_vrrp_interfaces, then the STOP notifies): the daemon's own "Stopping" says it
  if (t.to !== "STOP") lines.push(`${n} Entering ${t.to} STATE${init}`);
  return lines;
}
