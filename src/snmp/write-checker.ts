/**
 * KEEPALIVED-MIB realServerTable's one writable column, realServerWeight (.4.1.7.V.R), as
 * keepalived 2.2.7's check_snmp_realserver_weight takes it (src/snmp/write-set.ts): an
 * Integer, for a real server (the sorry server, row 1 when there is one, has no weight
 * column and so no write method: notWritable); committed, update_svr_wgt changes the
 * weight and IPVS follows if the server is in the table. keel applies it as `keel rs weight`
 * does (the checker process, src/runtime/checker-driver.ts operate): IPVS at once, the
 * checkers going on, kept until `keel rs enable` or a reload.
 *
 * Where keel differs: keepalived stores the low byte of the value (`*var_val`), so 256
 * becomes 0 and 300 becomes 44; keel takes 0..65535 (the weights its config takes) as they
 * are and refuses anything else with wrongValue.
 */
import { ResError, type SetVarbind } from "./agentx";
import type { SnmpSource } from "./mib";
import type { SetCheck } from "./write-set";

/** The varbind's OID below the checker subtree: [4, 1, 7, V, R] for realServerWeight. */
export function checkerTestSet(rel: readonly number[], vb: SetVarbind, source: SnmpSource): SetCheck {
  const deny = (error: number): SetCheck => ({ ok: false, error });
  const [table, entry, col, v, r] = rel;
  if (rel.length !== 5 || table !== 4 || entry !== 1 || col !== 7 || v === undefined || r === undefined)
    return deny(ResError.notWritable);
  const vs = source.config.virtualServers[v - 1];
  const vst = source.status.virtualServers?.[v - 1];
  const ri = r - 1 - (vs?.sorryServer ? 1 : 0);
  const rst = vst?.realServers[ri];
  if (!vs || !vst || ri < 0 || ri >= vs.realServers.length || !rst) return deny(ResError.notWritable);
  if (vb.type !== "Integer" || typeof vb.value !== "number") return deny(ResError.wrongType);
  if (vb.value < 0 || vb.value > 65535) return deny(ResError.wrongValue);
  const target = { kind: "rs-weight" as const, virtualServer: vst.name, realServer: rst.address };
  return {
    ok: true,
    write: { ...target, weight: vb.value },
    undo: { ...target, weight: rst.operator?.action === "weight" ? rst.operator.weight : null },
  };
}
