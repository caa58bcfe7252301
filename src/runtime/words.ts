/**
 * keepalived's log lines for state transitions (vrrp.c, vrrp_scheduler.c), so logs and
 * the alerting built on them read the same with keel.
 */
import type { Action } from "../vrrp/types";

type Transition = Extract<Action, { type: "transition" }>;

/** Read from the transition's cause only: the instance may have moved on since. */
export function transitionLines(t: Transition): string[] {
  const n = `(${t.instance})`;
  const lines: string[] = [];
  switch (t.reason) {
    case "master-down-timer":
    case "preempt":
    case "priority-zero-received":
      // vrrp_scheduler.c vrrp_read_dispatcher_thread / vrrp_goto_master
      lines.push(`${n} Receive advertisement timeout`);
      break;
    case "higher-priority-advert":
    case "equal-priority-higher-ip":
      if (t.cause.reason === t.reason)
        lines.push(
          `${n} Master received advert from ${t.cause.sender.address} with higher priority ${t.cause.sender.priority}, ours ${t.cause.priority.effective}`,
        );
      break;
    default:
      break;
  }
  const init = t.reason === "init" ? " (init)" : "";
  if (t.to === "STOP") lines.push(`${n} Stopping`);
  else lines.push(`${n} Entering ${t.to} STATE${init}`);
  return lines;
}
