/**
 * A BACKUP's takeover rehearsed on a scratch Instance, its actions dropped (issue 20).
 *
 * A backup sleeps for seconds between adverts; when its Master_Down timer fires, the
 * engine's takeover (handleTimeout → gotoMaster → the transition, the advert, the VIPs'
 * and GARPs' actions) runs code and touches data that nothing has run or touched since
 * the last failover, in JavaScriptCore's interpreter with cold caches: 0.3–0.45 ms from
 * the timer's callback to the advert's action on the 2-CPU bench machine, against
 * 0.08–0.15 ms once the same path has just run (bench/RESULTS.md, "the takeover
 * rehearsed at the pre-wake"). The driver wakes PREWAKE_MS before a BACKUP's deadline
 * (vrrp-driver.ts arm); running this there puts that path in the caches and its inline
 * caches primed when the deadline comes.
 *
 * Nothing is shared with the real instance but its parameters, which the takeover only
 * reads; what the scratch decides goes nowhere.
 */
import { Instance } from "./instance";
import type { InstanceParams } from "./params";
import type { Action, VrrpState } from "./types";

/** The state the scratch instance reached: MASTER, unless `p` cannot take over (a fault). */
export function rehearseTakeover(p: InstanceParams, now: number): VrrpState {
  const scratch = new Instance(p);
  const dropped: Action[] = [];
  scratch.start(now);
  scratch.takeActions(dropped);
  const due = scratch.pollTimeout();
  if (due !== undefined) scratch.handleTimeout(due);
  scratch.takeActions(dropped);
  return scratch.state;
}
