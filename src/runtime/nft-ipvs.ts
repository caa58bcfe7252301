/**
 * nftables_ipvs on the kernel: nft-ipvs-plan.ts's steps applied through the nf_tables
 * port (nft-port.ts), each step one batch (all of it or nothing), the plan's state kept
 * only once the kernel took it. The checker child holds one: synced at start and at each
 * reload before the IPVS services change (keepalived marks before it adds the fwmark
 * service), stopped after they are removed.
 */
import type { NftFamily } from "../../native-bindings/nftables";
import type { NftPort } from "./firewall";
import type { KernelError, KernelResult } from "./kernel";
import {
  NFT_IPVS_EMPTY,
  type NftIpvsElement,
  type NftIpvsSettings,
  type NftIpvsState,
  cleanupNftIpvs,
  planNftIpvs,
} from "./nft-ipvs-plan";

export class NftIpvs {
  private state: NftIpvsState = NFT_IPVS_EMPTY;
  private port?: NftPort;

  constructor(
    readonly settings: NftIpvsSettings,
    private readonly open: () => KernelResult<NftPort>,
  ) {}

  /** The maps hold exactly `want` (tables, maps and rules made on first use). */
  sync(want: readonly NftIpvsElement[]): KernelError | undefined {
    if (!this.port && want.length === 0) return undefined;
    if (!this.port) {
      const r = this.open();
      if (!r.ok) return r.error;
      this.port = r.value;
    }
    const port = this.port;
    let lookupError: KernelError | undefined;
    const exists = (f: NftFamily) => {
      const r = port.tableExists(f, this.settings.table);
      if (!r.ok) lookupError = r.error;
      return r.ok && r.value;
    };
    const step = planNftIpvs(this.settings, this.state, want, exists);
    const err = lookupError ?? port.apply(step.ops);
    if (err) return err;
    this.state = step.next;
    return undefined;
  }

  /** Stop: the tables go (nft_ipvs_end). */
  stop(): KernelError | undefined {
    if (!this.port) return undefined;
    const step = cleanupNftIpvs(this.settings, this.state);
    const err = this.port.apply(step.ops);
    this.state = step.next;
    this.port.close();
    this.port = undefined;
    return err;
  }
}
