/**
 * nf_tables netlink numbers (linux/netfilter/nf_tables.h, linux/netfilter/nfnetlink.h),
 * only those keel sends: the same table, chains, sets, maps and rules as keepalived
 * 2.2.7's vrrp_nftables.c (the VRRP firewall) and check_nftables.c (nftables_ipvs). Pure data.
 */
export const NETLINK_NETFILTER = 12;
export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNETLINK_V0 = 0;
export const NFNL_MSG_BATCH_BEGIN = 16;
export const NFNL_MSG_BATCH_END = 17;

/** enum nf_tables_msg_types */
export const NFT_MSG = {
  NEWTABLE: 0,
  GETTABLE: 1,
  DELTABLE: 2,
  NEWCHAIN: 3,
  NEWRULE: 6,
  NEWSET: 9,
  NEWSETELEM: 12,
  DELSETELEM: 14,
} as const;

export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

export const NFTA_TABLE = { NAME: 1, FLAGS: 2 } as const;
export const NFTA_CHAIN = { TABLE: 1, NAME: 3, HOOK: 4, POLICY: 5, TYPE: 7 } as const;
export const NFTA_HOOK = { HOOKNUM: 1, PRIORITY: 2 } as const;
export const NFTA_SET = {
  TABLE: 1,
  NAME: 2,
  FLAGS: 3,
  KEY_TYPE: 4,
  KEY_LEN: 5,
  DATA_TYPE: 6,
  DATA_LEN: 7,
  DESC: 9,
  ID: 10,
  USERDATA: 13,
  EXPR: 17,
} as const;
export const NFTA_SET_DESC_SIZE = 1;
export const NFTA_SET_DESC_CONCAT = 2;
export const NFTA_SET_FIELD_LEN = 1;
export const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3, SET_ID: 4 } as const;
export const NFTA_SET_ELEM_KEY = 1;
export const NFTA_SET_ELEM_DATA = 2;
export const NFTA_SET_ELEM_KEY_END = 10;
export const NFTA_LIST_ELEM = 1;
export const NFTA_DATA = { VALUE: 1, VERDICT: 2 } as const;
export const NFTA_VERDICT = { CODE: 1, CHAIN: 2 } as const;
export const NFTA_RULE = { TABLE: 1, CHAIN: 2, EXPRESSIONS: 4 } as const;
export const NFTA_EXPR = { NAME: 1, DATA: 2 } as const;
export const NFTA_PAYLOAD = { DREG: 1, BASE: 2, OFFSET: 3, LEN: 4 } as const;
export const NFTA_META = { DREG: 1, KEY: 2, SREG: 3 } as const;
export const NFTA_CMP = { SREG: 1, OP: 2, DATA: 3 } as const;
export const NFTA_LOOKUP = { SET: 1, SREG: 2, DREG: 3, SET_ID: 4 } as const;
export const NFTA_DUP = { SREG_ADDR: 1, SREG_DEV: 2 } as const;
export const NFTA_BITWISE = { SREG: 1, DREG: 2, LEN: 3, MASK: 4, XOR: 5 } as const;
export const NFTA_IMMEDIATE = { DREG: 1, DATA: 2 } as const;

/** registers: the verdict register and the 128-bit ones keepalived uses (NFT_REG_1, NFT_REG_2) */
export const NFT_REG_VERDICT = 0;
export const NFT_REG_1 = 1;
export const NFT_REG_2 = 2;
export const NFT_PAYLOAD_NETWORK_HEADER = 1;
export const NFT_PAYLOAD_TRANSPORT_HEADER = 2;
export const NFT_CMP_EQ = 0;
/** enum nft_meta_keys */
export const NFT_META = { MARK: 3, IIF: 4, OIF: 5, IIFNAME: 6, OIFNAME: 7, L4PROTO: 16, OIFKIND: 27 } as const;
/** verdicts: NF_DROP, NF_ACCEPT, NFT_GOTO (-4), NFT_RETURN (-5) */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NFT_GOTO = -4;
export const NFT_RETURN = -5;
/** netfilter hooks */
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_LOCAL_OUT = 3;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_CONSTANT = 0x2;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_CONCAT = 0x80;

/** nftables' datatype numbers (nftables include/datatype.h), as set key types; a concatenation is (a << 6) | b */
export const NFT_TYPE = {
  IPADDR: 7,
  IP6ADDR: 8,
  INET_SERVICE: 13,
  MARK: 19,
  IFINDEX: 20,
  ICMPV6_TYPE: 29,
  IFNAME: 41,
} as const;
export const NFT_TYPE_BITS = 6;
export const IFNAMSIZ = 16;
