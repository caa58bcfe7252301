/**
 * A transition's cause in words, for the simulate timeline. The one place that renders
 * causes here: when the engine's typed causes and src/vrrp/explain.ts's `describeCause`
 * land, this function becomes a call to it (the same words as `keel explain`).
 */
import type { TransitionReason, VrrpState } from "../vrrp/types";

export type CauseInput =
  | {
      kind?: "transition";
      to: VrrpState;
      reason: TransitionReason;
      /** the instance's effective priority after the transition, when the engine knows it */
      priority?: number;
    }
  /** a backup that outranks the master and stays: nothing moved, and this is why */
  | { kind: "held"; master: string; masterPriority: number; priority: number; rule: "nopreempt" };

export function causeWords(c: CauseInput): string {
  if (c.kind === "held")
    return `stays BACKUP: the master ${c.master} now has priority ${c.masterPriority}, below my ${c.priority}, but nopreempt is set: a backup does not take over from a master it still hears (RFC 5798 6.4.2, Preempt_Mode false)`;
  const mine = c.priority === undefined ? "" : ` (my priority ${c.priority})`;
  switch (c.reason) {
    case "init":
      if (c.to === "FAULT") return "started in FAULT: a tracked object is failing";
      return c.to === "MASTER" ? "started as MASTER" : `started; waiting to hear a master${mine}`;
    case "address-owner":
      return "priority 255: the address owner becomes MASTER at once (RFC 5798 6.4.1)";
    case "master-down-timer":
      return `no advert from a master for Master_Down_Interval (RFC 5798 6.4.2)${mine}`;
    case "priority-zero-received":
      return "the master sent priority 0 (it is stopping): took over after Skew_Time (RFC 5798 6.4.2)";
    case "preempt":
      return `the master advertises a lower priority and preemption is on${mine}`;
    case "higher-priority-advert":
      return `heard an advert with a higher priority (RFC 5798 6.4.3)${mine}`;
    case "equal-priority-higher-ip":
      return "heard an advert with the same priority from a higher address (RFC 5798 6.4.3)";
    case "track-fault":
      return "a tracked script, file, interface or process with weight 0 failed";
    case "track-recovered":
      return "every tracked object is healthy again";
    case "interface-down":
      return "the interface went down";
    case "interface-up":
      return "the interface came back up";
    case "sync-group":
      return "pulled along by another member of its sync group";
    case "shutdown":
      return "stopping (SIGTERM): sent priority 0";
    case "command":
      return "an operator command";
  }
}
