/**
 * A transition's cause in words, for the simulate timeline: the engine's own renderer
 * (src/vrrp/explain.ts), so a simulated timeline says exactly what `keel explain` and the
 * daemon's transition events say about the same decision.
 */
import type { Cause } from "../vrrp/cause";
import { describeCause, explain } from "../vrrp/explain";
import type { Instance } from "../vrrp/instance";

/** one transition's cause */
export function causeWords(cause: Cause): string {
  return describeCause(cause);
}

/**
 * Why a backup that outranks the master stays BACKUP (nopreempt): its standing state in
 * `keel explain`'s sentence, without the "since" clock time (virtual time has no wall clock).
 */
export function heldWords(inst: Instance, now: number): string {
  const e = explain(inst.view(), { now, wallOf: (mono) => mono, timeOf: () => "" });
  return `stays BACKUP: ${e.sentence.replace(/^BACKUP since :\s*/, "")}`;
}
