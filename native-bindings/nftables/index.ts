/** nf_tables for keel: the VRRP firewall's table, chains, sets and rules (keepalived's vrrp_nftables.c). */
export { Nftables, type NftResult } from "./nftables";
export { describeOp, encodeBatch, type Expr, type NftFamily, type NftOp, type Verdict } from "./messages";
export * as nft from "./constants";
