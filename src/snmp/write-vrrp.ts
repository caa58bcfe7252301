/**
 * KEEPALIVED-MIB vrrpInstanceTable's writable columns (.3.1.COL.I), as keepalived 2.2.7's
 * write methods in vrrp/vrrp_snmp.c take them (src/snmp/write-set.ts):
 *
 *   .7  vrrpInstanceBasePriority  vrrp_snmp_instance_priority: Integer, not 0; the total
 *       priority moves by the difference and the effective one follows (clamped 1..254,
 *       unchanged for an address owner: vrrp_set_effective_priority)
 *   .13 vrrpInstancePreempt       vrrp_snmp_instance_preempt: 1 preempt, 2 noPreempt
 *   .27 vrrpInstanceAccept        writable in the MIB, but 2.2.7 is built without
 *       ALLOW_SNMP_SET_ACCEPT: noAccess on a VRRPv3 instance; a VRRPv2 one has no write
 *       method (notWritable)
 *   .28/.29 promoteSecondaries, useLinkbeat: RWRITE in the table, no write method: notWritable
 *
 * Where keel differs: keepalived stores the low byte of the value (`*var_val` is the first
 * byte of a long), so 256 is refused as 0 and 300 becomes 44; keel refuses anything outside
 * 1..255 with wrongValue rather than apply a priority nobody asked for.
 */
import { ResError, type SetVarbind } from "./agentx";
import type { SnmpSource } from "./mib";
import type { SetCheck } from "./write-set";

/** The varbind's OID below the VRRP subtree: [3, 1, COL, I] for the instance table. */
export function vrrpTestSet(rel: readonly number[], vb: SetVarbind, source: SnmpSource): SetCheck {
  const deny = (error: number): SetCheck => ({ ok: false, error });
  const [table, entry, col, index] = rel;
  if (rel.length !== 4 || table !== 3 || entry !== 1 || col === undefined || index === undefined)
    return deny(ResError.notWritable);
  const cfg = Object.values(source.config.vrrpInstances)[index - 1];
  const st = cfg && source.status.instances.find((s) => s.name === cfg.name);
  if (!cfg || !st) return deny(ResError.notWritable);
  const instance = cfg.name;
  if (col === 27) return deny(st.version === 3 ? ResError.noAccess : ResError.notWritable);
  if (col !== 7 && col !== 13) return deny(ResError.notWritable);
  // RESERVE1: the type, then the value
  if (vb.type !== "Integer" || typeof vb.value !== "number") return deny(ResError.wrongType);
  const v = vb.value;
  if (col === 7) {
    if (v < 1 || v > 255) return deny(ResError.wrongValue);
    return {
      ok: true,
      write: { kind: "vrrp-priority", instance, priority: v },
      undo: { kind: "vrrp-priority", instance, priority: st.priority },
    };
  }
  if (v !== 1 && v !== 2) return deny(ResError.wrongValue);
  return {
    ok: true,
    write: { kind: "vrrp-preempt", instance, preempt: v === 1 },
    undo: { kind: "vrrp-preempt", instance, preempt: st.preempt ?? !cfg.nopreempt },
  };
}
