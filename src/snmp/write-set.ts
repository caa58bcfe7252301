/**
 * SNMP writes (RFC 2741 7.2.4) apart from the agent that carries them: what a module's
 * write method decides for one varbind, and the TestSet of a whole PDU. Pure: a module
 * answers with a write to make (and the write that undoes it), never makes it; the daemon
 * applies writes through the same paths as its operators' (src/runtime/operations.ts).
 *
 * keepalived's write methods (vrrp/vrrp_snmp.c, check/check_snmp.c) check the value in
 * RESERVE1 and find the object in RESERVE2, both here at TestSet; they change it in COMMIT,
 * here at CommitSet, with UndoSet putting the old value back.
 */
import type { SetVarbind } from "./agentx";
import { ResError } from "./agentx";
import { type MibModule, type Oid, type SnmpSource, compareOids } from "./mib";

/** A change to the running daemon that a write asks for. */
export type SnmpWrite =
  /** vrrpInstanceBasePriority: the instance's base priority (1..255) */
  | { kind: "vrrp-priority"; instance: string; priority: number }
  /** vrrpInstancePreempt */
  | { kind: "vrrp-preempt"; instance: string; preempt: boolean }
  /**
   * realServerWeight, through `keel rs weight`'s path; the names as the checker process's
   * status has them. weight null (an undo only): back to the checkers' weight (`keel rs enable`).
   */
  | { kind: "rs-weight"; virtualServer: string; realServer: string; weight: number | null };

/** A write method's answer at TestSet: the write and its undo, or an RFC 3416 error. */
export type SetCheck = { ok: true; write: SnmpWrite; undo: SnmpWrite } | { ok: false; error: number };

/** A TestSet's outcome: every varbind's write in order, or the first failure (index from 1). */
export type SetPlan =
  | { ok: true; writes: { write: SnmpWrite; undo: SnmpWrite }[] }
  | { ok: false; error: number; index: number };

export function isUnder(oid: Oid, root: Oid): boolean {
  return oid.length > root.length && compareOids(oid.slice(0, root.length), root) === 0;
}

/**
 * 7.2.4.1: each varbind goes to the module whose subtree holds it; one under no module
 * keel serves, or a module without write methods, is notWritable (what net-snmp answers
 * for an object with no write method). The first error ends the test.
 */
export function planSet(modules: readonly MibModule[], varbinds: readonly SetVarbind[], source: SnmpSource): SetPlan {
  const writes: { write: SnmpWrite; undo: SnmpWrite }[] = [];
  for (const [i, vb] of varbinds.entries()) {
    const m = modules.find((mod) => isUnder(vb.oid, mod.root));
    const check: SetCheck = m?.testSet?.(vb, source) ?? { ok: false, error: ResError.notWritable };
    if (!check.ok) return { ok: false, error: check.error, index: i + 1 };
    writes.push({ write: check.write, undo: check.undo });
  }
  return { ok: true, writes };
}

/** The text of a write for logs: "base priority 50", "weight 3". */
export function describeWrite(w: SnmpWrite): string {
  switch (w.kind) {
    case "vrrp-priority":
      return `(${w.instance}) base priority ${w.priority}`;
    case "vrrp-preempt":
      return `(${w.instance}) preemption ${w.preempt ? "enabled" : "disabled"}`;
    case "rs-weight":
      return `real server ${w.realServer} of ${w.virtualServer}: ${w.weight === null ? "enabled" : `weight ${w.weight}`}`;
  }
}
