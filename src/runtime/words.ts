/**
 * keepalived's log lines for state transitions (vrrp.c, vrrp_scheduler.c), so logs and
 * the alerting built on them read the same with keel.
 */
import type { Instance } from "../vrrp/instance";
import type { Action } from "../vrrp/types";

type Transition = Extract<Action, { type: "transition" }>;

export function transitionLines(t: Transition, inst: Instance | undefined): string[] {
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
      if (inst?.masterAddress !== undefined)
        lines.push(
          `${n} Master received advert from ${inst.masterAddress} with higher priority ${inst.masterPriority ?? "?"}, ours ${inst.effectivePriority}`,
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
