/**
 * nf_tables requests as data (`NftOp`) and their netlink encoding: one nfnetlink batch
 * (NFNL_MSG_BATCH_BEGIN ... END) that the kernel applies as one transaction or not at
 * all. Pure: no I/O, no bun:ffi.
 *
 * The bytes are what `nft -f` (nftables 1.0.6) sends for the same commands, attribute
 * for attribute (test/unit/native-bindings/nftables.test.ts holds them against captures
 * in test/fixtures/nftables/), except that keel asks for an ACK on every message
 * (`ack`), where nft waits for errors only. nf_tables integers are big endian; an
 * interface index inside a set key is in host order (nftables' iface_index type).
 */
import { encodeMessage } from "../netlink/codec";
import { NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST } from "../netlink/constants";
import * as C from "./constants";

export type NftFamily = 4 | 6;
export type Verdict = { kind: "drop" } | { kind: "accept" } | { kind: "return" } | { kind: "goto"; chain: string };
export type Expr =
  | { expr: "payload"; base: "network" | "transport"; offset: number; len: number; dreg: number }
  | { expr: "meta"; key: number; dreg: number }
  /** `meta KEY set` from a register (keepalived's add_meta_sreg) */
  | { expr: "meta-set"; key: number; sreg: number }
  | { expr: "cmp-eq"; sreg: number; data: Uint8Array }
  | { expr: "bitwise"; sreg: number; dreg: number; mask: Uint8Array; xor: Uint8Array }
  | { expr: "lookup"; sreg: number; set: string; dreg?: number }
  | { expr: "dup"; sregAddr: number; sregDev: number }
  | { expr: "counter" }
  | { expr: "verdict"; verdict: Verdict };

interface Where {
  family: NftFamily;
  table: string;
}
export type NftOp =
  | (Where & { op: "new-table" })
  | (Where & { op: "del-table" })
  | (Where & { op: "new-chain"; chain: string; hook?: { hook: "input" | "output"; priority: number } })
  | (Where & {
      op: "new-set";
      set: string;
      keyType: number;
      keyLen: number;
      constant?: boolean;
      size?: number;
      /** a map: its data's type and length (NFT_SET_MAP) */
      map?: { dataType: number; dataLen: number };
      /** a concatenation of ranges: each field's length (NFT_SET_CONCAT | NFT_SET_INTERVAL, NFTA_SET_DESC_CONCAT) */
      concatRanges?: number[];
      /** a counter on every element (NFTA_SET_EXPR) */
      counter?: boolean;
      /** the user data as the set's maker writes it, instead of nft's (see setUserdata) */
      userdata?: Uint8Array;
    })
  /** `data`, for a map's elements: each key's value; `keyEnds`, a range's last key; in the same order */
  | (Where & {
      op: "new-elems" | "del-elems";
      set: string;
      keys: Uint8Array[];
      keyEnds?: Uint8Array[];
      data?: Uint8Array[];
    })
  | (Where & { op: "new-rule"; chain: string; exprs: Expr[] });

// ---------------------------------------------------------------- TLVs

const NLA_F_NESTED = 0x8000;
const te = new TextEncoder();

function tlv(type: number, payload: Uint8Array, nested = false): Uint8Array {
  const len = 4 + payload.length;
  if (len > 0xffff) throw new Error(`nf_tables attribute ${type} too long (${len} bytes): split the request`);
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, len, true);
  dv.setUint16(2, type | (nested ? NLA_F_NESTED : 0), true);
  out.set(payload, 4);
  return out;
}
function cat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const nest = (type: number, ...children: Uint8Array[]) => tlv(type, cat(children), true);
const str = (type: number, s: string) => tlv(type, cat([te.encode(s), new Uint8Array(1)]));
function be32(type: number, n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return tlv(type, b);
}
const value = (type: number, data: Uint8Array) => nest(type, tlv(C.NFTA_DATA.VALUE, data));

// ---------------------------------------------------------------- expressions

const expr = (name: string, ...data: Uint8Array[]) =>
  nest(C.NFTA_LIST_ELEM, str(C.NFTA_EXPR.NAME, name), nest(C.NFTA_EXPR.DATA, ...data));

function encodeExpr(e: Expr, setId: (set: string) => number | undefined): Uint8Array {
  switch (e.expr) {
    case "payload":
      return expr(
        "payload",
        be32(C.NFTA_PAYLOAD.DREG, e.dreg),
        be32(C.NFTA_PAYLOAD.BASE, e.base === "network" ? C.NFT_PAYLOAD_NETWORK_HEADER : C.NFT_PAYLOAD_TRANSPORT_HEADER),
        be32(C.NFTA_PAYLOAD.OFFSET, e.offset),
        be32(C.NFTA_PAYLOAD.LEN, e.len),
      );
    case "meta":
      return expr("meta", be32(C.NFTA_META.KEY, e.key), be32(C.NFTA_META.DREG, e.dreg));
    case "meta-set":
      return expr("meta", be32(C.NFTA_META.KEY, e.key), be32(C.NFTA_META.SREG, e.sreg));
    case "cmp-eq":
      return expr(
        "cmp",
        be32(C.NFTA_CMP.SREG, e.sreg),
        be32(C.NFTA_CMP.OP, C.NFT_CMP_EQ),
        value(C.NFTA_CMP.DATA, e.data),
      );
    case "bitwise":
      return expr(
        "bitwise",
        be32(C.NFTA_BITWISE.SREG, e.sreg),
        be32(C.NFTA_BITWISE.DREG, e.dreg),
        be32(C.NFTA_BITWISE.LEN, e.mask.length),
        value(C.NFTA_BITWISE.MASK, e.mask),
        value(C.NFTA_BITWISE.XOR, e.xor),
      );
    case "lookup": {
      const id = setId(e.set);
      return expr(
        "lookup",
        be32(C.NFTA_LOOKUP.SREG, e.sreg),
        ...(e.dreg === undefined ? [] : [be32(C.NFTA_LOOKUP.DREG, e.dreg)]),
        str(C.NFTA_LOOKUP.SET, e.set),
        ...(id === undefined ? [] : [be32(C.NFTA_LOOKUP.SET_ID, id)]),
      );
    }
    case "dup":
      return expr("dup", be32(C.NFTA_DUP.SREG_ADDR, e.sregAddr), be32(C.NFTA_DUP.SREG_DEV, e.sregDev));
    case "counter":
      return expr("counter");
    case "verdict": {
      const v = e.verdict;
      const code = { drop: C.NF_DROP, accept: C.NF_ACCEPT, return: C.NFT_RETURN, goto: C.NFT_GOTO }[v.kind];
      const verdict = nest(
        C.NFTA_DATA.VERDICT,
        be32(C.NFTA_VERDICT.CODE, code),
        ...(v.kind === "goto" ? [str(C.NFTA_VERDICT.CHAIN, v.chain)] : []),
      );
      return expr("immediate", be32(C.NFTA_IMMEDIATE.DREG, C.NFT_REG_VERDICT), nest(C.NFTA_IMMEDIATE.DATA, verdict));
    }
  }
}

// ---------------------------------------------------------------- messages

/**
 * nft's set user data (libnftnl udata TLVs): the key's byte order, big endian for an
 * address or ICMPv6 type; a concatenation says "none" and adds the merge flags nft
 * always writes for one. The kernel stores it for `nft list` only.
 */
function setUserdata(keyType: number, map: boolean): Uint8Array {
  // an interface index is in host order (keepalived's setup_set: key and map data alike)
  if (keyType === C.NFT_TYPE.IFINDEX)
    return map ? Uint8Array.of(0, 4, 1, 0, 0, 0, 1, 4, 1, 0, 0, 0) : Uint8Array.of(0, 4, 1, 0, 0, 0);
  if (keyType >> C.NFT_TYPE_BITS === 0) return Uint8Array.of(0, 4, 2, 0, 0, 0);
  return Uint8Array.of(0, 4, 0, 0, 0, 0, 3, 8, 0, 4, 0x0d, 0, 0, 0, 1, 0);
}

const familyNum = (f: NftFamily) => (f === 4 ? C.NFPROTO_IPV4 : C.NFPROTO_IPV6);

function body(op: NftOp, setId: (set: string) => number | undefined, newId: () => number): Uint8Array {
  const table = str(1, op.table); // NFTA_{TABLE,CHAIN,SET,SET_ELEM_LIST,RULE}_TABLE are all 1 (NAME for a table)
  switch (op.op) {
    case "new-table":
      return cat([table, be32(C.NFTA_TABLE.FLAGS, 0)]);
    case "del-table":
      return table;
    case "new-chain": {
      if (!op.hook) return cat([table, str(C.NFTA_CHAIN.NAME, op.chain)]);
      const hooknum = op.hook.hook === "input" ? C.NF_INET_LOCAL_IN : C.NF_INET_LOCAL_OUT;
      return cat([
        table,
        str(C.NFTA_CHAIN.NAME, op.chain),
        str(C.NFTA_CHAIN.TYPE, "filter"),
        be32(C.NFTA_CHAIN.POLICY, C.NF_ACCEPT),
        nest(C.NFTA_CHAIN.HOOK, be32(C.NFTA_HOOK.HOOKNUM, hooknum), be32(C.NFTA_HOOK.PRIORITY, op.hook.priority)),
      ]);
    }
    case "new-set": {
      const flags =
        (op.constant ? C.NFT_SET_CONSTANT : 0) |
        (op.map ? C.NFT_SET_MAP : 0) |
        (op.concatRanges ? C.NFT_SET_CONCAT | C.NFT_SET_INTERVAL : 0);
      const desc = [
        ...(op.size === undefined ? [] : [be32(C.NFTA_SET_DESC_SIZE, op.size)]),
        ...(op.concatRanges
          ? [
              nest(
                C.NFTA_SET_DESC_CONCAT,
                ...op.concatRanges.map((n) => nest(C.NFTA_LIST_ELEM, be32(C.NFTA_SET_FIELD_LEN, n))),
              ),
            ]
          : []),
      ];
      return cat([
        table,
        str(C.NFTA_SET.NAME, op.set),
        be32(C.NFTA_SET.FLAGS, flags),
        be32(C.NFTA_SET.KEY_TYPE, op.keyType),
        be32(C.NFTA_SET.KEY_LEN, op.keyLen),
        ...(op.map ? [be32(C.NFTA_SET.DATA_TYPE, op.map.dataType), be32(C.NFTA_SET.DATA_LEN, op.map.dataLen)] : []),
        be32(C.NFTA_SET.ID, newId()),
        ...(desc.length ? [nest(C.NFTA_SET.DESC, ...desc)] : []),
        tlv(C.NFTA_SET.USERDATA, op.userdata ?? setUserdata(op.keyType, !!op.map)),
        ...(op.counter ? [nest(C.NFTA_SET.EXPR, str(C.NFTA_EXPR.NAME, "counter"), nest(C.NFTA_EXPR.DATA))] : []),
      ]);
    }
    case "new-elems":
    case "del-elems": {
      const id = op.op === "new-elems" ? setId(op.set) : undefined;
      const elems = op.keys.map((k, i) => {
        const d = op.data?.[i];
        const end = op.keyEnds?.[i];
        return nest(
          i + 1,
          value(C.NFTA_SET_ELEM_KEY, k),
          ...(end ? [value(C.NFTA_SET_ELEM_KEY_END, end)] : []),
          ...(d ? [value(C.NFTA_SET_ELEM_DATA, d)] : []),
        );
      });
      return cat([
        table,
        str(C.NFTA_SET_ELEM_LIST.SET, op.set),
        ...(id === undefined ? [] : [be32(C.NFTA_SET_ELEM_LIST.SET_ID, id)]),
        nest(C.NFTA_SET_ELEM_LIST.ELEMENTS, ...elems),
      ]);
    }
    case "new-rule":
      return cat([
        table,
        str(C.NFTA_RULE.CHAIN, op.chain),
        nest(C.NFTA_RULE.EXPRESSIONS, ...op.exprs.map((e) => encodeExpr(e, setId))),
      ]);
  }
}

const MSG: Record<NftOp["op"], { type: number; flags: number }> = {
  "new-table": { type: C.NFT_MSG.NEWTABLE, flags: 0 },
  "del-table": { type: C.NFT_MSG.DELTABLE, flags: 0 },
  "new-chain": { type: C.NFT_MSG.NEWCHAIN, flags: NLM_F_CREATE },
  "new-set": { type: C.NFT_MSG.NEWSET, flags: NLM_F_CREATE },
  "new-elems": { type: C.NFT_MSG.NEWSETELEM, flags: NLM_F_CREATE },
  "del-elems": { type: C.NFT_MSG.DELSETELEM, flags: 0 },
  "new-rule": { type: C.NFT_MSG.NEWRULE, flags: NLM_F_CREATE | NLM_F_APPEND },
};

function nfgen(family: number, resId: number): Uint8Array {
  const b = Uint8Array.of(family, C.NFNETLINK_V0, 0, 0);
  new DataView(b.buffer).setUint16(2, resId, false);
  return b;
}

export interface EncodedBatch {
  bytes: Uint8Array;
  /** the seq of each op's message, in order (the batch's own begin and end take the seqs around them) */
  seqs: number[];
}

/**
 * One batch: BATCH_BEGIN (seq `seq`), the ops (seq+1...), BATCH_END. A set created in
 * the batch gets an id (1, 2, ... as nft numbers them) that later lookups and
 * elements of the same batch name it by, as nft does.
 */
export function encodeBatch(ops: readonly NftOp[], seq: number, o: { ack: boolean }): EncodedBatch {
  const ids = new Map<string, number>();
  const parts: Uint8Array[] = [];
  const seqs: number[] = [];
  const batchMsg = (type: number, s: number) =>
    encodeMessage({ type, flags: NLM_F_REQUEST, seq: s, pid: 0 }, nfgen(0, C.NFNL_SUBSYS_NFTABLES));
  parts.push(batchMsg(C.NFNL_MSG_BATCH_BEGIN, seq));
  let s = seq;
  for (const op of ops) {
    s = (s + 1) >>> 0;
    const key = (set: string) => `${op.family}|${op.table}|${set}`;
    const b = body(
      op,
      (set) => ids.get(key(set)),
      () => {
        const id = ids.size + 1;
        if (op.op === "new-set") ids.set(key(op.set), id);
        return id;
      },
    );
    const m = MSG[op.op];
    const flags = NLM_F_REQUEST | m.flags | (o.ack ? NLM_F_ACK : 0);
    parts.push(
      encodeMessage(
        { type: (C.NFNL_SUBSYS_NFTABLES << 8) | m.type, flags, seq: s, pid: 0 },
        nfgen(familyNum(op.family), 0),
        b,
      ),
    );
    seqs.push(s);
  }
  parts.push(batchMsg(C.NFNL_MSG_BATCH_END, (s + 1) >>> 0));
  return { bytes: cat(parts), seqs };
}

/** A table lookup (NFT_MSG_GETTABLE): answered by the table, or ENOENT. */
export function getTableRequest(family: NftFamily, table: string, seq: number): Uint8Array {
  return encodeMessage(
    { type: (C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG.GETTABLE, flags: NLM_F_REQUEST | NLM_F_ACK, seq, pid: 0 },
    nfgen(familyNum(family), 0),
    str(C.NFTA_TABLE.NAME, table),
  );
}

/** An op in nft's words, for logs and errors ("add rule ip keepalived in"). */
export function describeOp(op: NftOp): string {
  const fam = op.family === 4 ? "ip" : "ip6";
  switch (op.op) {
    case "new-table":
      return `add table ${fam} ${op.table}`;
    case "del-table":
      return `delete table ${fam} ${op.table}`;
    case "new-chain":
      return `add chain ${fam} ${op.table} ${op.chain}`;
    case "new-set":
      return `add ${op.map ? "map" : "set"} ${fam} ${op.table} ${op.set}`;
    case "new-elems":
      return `add element ${fam} ${op.table} ${op.set} (${op.keys.length})`;
    case "del-elems":
      return `delete element ${fam} ${op.table} ${op.set} (${op.keys.length})`;
    case "new-rule":
      return `add rule ${fam} ${op.table} ${op.chain}`;
  }
}
