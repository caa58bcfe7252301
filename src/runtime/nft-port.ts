/**
 * The VRRP firewall's port on Linux: nf_tables through native-bindings/nftables, its
 * throws and refusals turned into KernelErrors (the boundary kernel-linux.ts is for the
 * rest of the kernel). Kept apart from firewall.ts so that the driver, which the
 * simulations run, imports no native code.
 */
import { Nftables } from "../../native-bindings/nftables";
import type { NftPort } from "./firewall";
import { type KernelResult, attempt, kernelError } from "./kernel";

/** The Linux nf_tables port (native-bindings/nftables), or why it cannot open. */
export function openNftPort(): KernelResult<NftPort> {
  const r = attempt("nft-open", () => Nftables.open());
  if (!r.ok) return r;
  const n = r.value;
  return {
    ok: true,
    value: {
      apply: (ops) => {
        try {
          const res = n.apply(ops);
          return res.ok ? undefined : kernelError("firewall", res.error);
        } catch (e) {
          return kernelError("firewall", e);
        }
      },
      tableExists: (family, table) => {
        const res = attempt("firewall", () => n.tableExists(family, table));
        if (!res.ok) return res;
        return res.value.ok
          ? { ok: true, value: res.value.value }
          : { ok: false, error: kernelError("firewall", res.value.error) };
      },
      close: () => n.close(),
    },
  };
}
