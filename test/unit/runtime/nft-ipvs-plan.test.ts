// nftables_ipvs's nf_tables operations (keepalived 2.2.7 check_nftables.c): what the
// first sync makes, what a reload adds and removes, what stop deletes. The kernel's view
// of the same operations is checked against keepalived's ruleset in
// test/netns/nft-ipvs.test.ts; the bytes here, against what the encoder must say.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeOp, encodeBatch } from "../../../native-bindings/nftables";
import { assignAutoFwmarks } from "../../../src/lvs/auto-fwmark";
import {
  NFT_IPVS_EMPTY,
  cleanupNftIpvs,
  nftIpvsElements,
  nftIpvsSettings,
  planNftIpvs,
} from "../../../src/runtime/nft-ipvs-plan";
import { cfg } from "../lvs/parse-conf";

const c = cfg(readFileSync(join(import.meta.dir, "../../fixtures/nft-ipvs/keepalived.conf"), "utf8"));
const s = nftIpvsSettings(c)!;
const marks = assignAutoFwmarks(c, s.startFwmark);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("nftables_ipvs plan", () => {
  test("settings from global_defs; none without nftables_ipvs", () => {
    expect(s).toEqual({ table: "keepalived_ipvs", priority: -5, counters: false, startFwmark: 2000 });
    expect(nftIpvsSettings(cfg("global_defs {\n  router_id a\n}\n"))).toBeUndefined();
  });

  test("the first sync: table and chain per family, map and rule per protocol, then the elements", () => {
    const step = planNftIpvs(s, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), () => false);
    expect(step.ops.map(describeOp)).toEqual([
      "add table ip keepalived_ipvs",
      "add chain ip keepalived_ipvs in",
      "add map ip keepalived_ipvs tcp_map",
      "add rule ip keepalived_ipvs in",
      "add map ip keepalived_ipvs udp_map",
      "add rule ip keepalived_ipvs in",
      "add table ip6 keepalived_ipvs",
      "add chain ip6 keepalived_ipvs in",
      "add map ip6 keepalived_ipvs tcp_map",
      "add rule ip6 keepalived_ipvs in",
      "add element ip keepalived_ipvs tcp_map (2)",
      "add element ip keepalived_ipvs udp_map (2)",
      "add element ip6 keepalived_ipvs tcp_map (1)",
    ]);
    const chain = step.ops[1];
    expect(chain?.op === "new-chain" && chain.hook).toEqual({ hook: "input", priority: -5 });
    const el = step.ops[10];
    if (el?.op !== "new-elems") throw new Error("not elements");
    // 10.10.0.200 . 80 - 10.10.0.201 . 80 : 2000, as keepalived's nft --debug=netlink shows them
    expect(el.keys.map(hex)).toEqual(["0a0a00c800500000", "0a0a00d200500000"]);
    expect(el.keyEnds?.map(hex)).toEqual(["0a0a00c900500000", "0a0a00d200500000"]);
    expect(el.data?.map(hex)).toEqual(["d0070000", "d0070000"]);
    expect(step.next.elements.size).toBe(5);
  });

  test("a table of the name already there is deleted before the first setup, and only then", () => {
    const first = planNftIpvs(s, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), (f) => f === 6);
    expect(first.ops.slice(0, 2).map(describeOp)).toEqual([
      "delete table ip6 keepalived_ipvs",
      "add table ip keepalived_ipvs",
    ]);
    const again = planNftIpvs(s, first.next, nftIpvsElements(c, marks), () => true);
    expect(again.ops).toEqual([]);
  });

  test("a reload: a removed range goes, a new one comes, the maps and rules stay", () => {
    const first = planNftIpvs(s, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), () => false);
    const c2 = cfg(
      readFileSync(join(import.meta.dir, "../../fixtures/nft-ipvs/keepalived.conf"), "utf8").replace(
        "  10.10.0.210 80\n",
        "  10.10.0.211 80\n",
      ),
    );
    const step = planNftIpvs(s, first.next, nftIpvsElements(c2, assignAutoFwmarks(c2, 2000, marks)), () => true);
    expect(step.ops.map(describeOp)).toEqual([
      "delete element ip keepalived_ipvs tcp_map (1)",
      "delete element ip keepalived_ipvs udp_map (1)",
      "add element ip keepalived_ipvs tcp_map (1)",
      "add element ip keepalived_ipvs udp_map (1)",
    ]);
    const del = step.ops[0];
    if (del?.op !== "del-elems") throw new Error("not a deletion");
    // a range set's element is removed by its key and its end
    expect([del.keys.map(hex), del.keyEnds?.map(hex), del.data]).toEqual([
      ["0a0a00d200500000"],
      ["0a0a00d200500000"],
      undefined,
    ]);
  });

  test("nftables_counters: a counter on the map's elements (NFTA_SET_EXPR) and in the rule before return", () => {
    const step = planNftIpvs({ ...s, counters: true }, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), () => false);
    const set = step.ops[2];
    const rule = step.ops[3];
    if (set?.op !== "new-set" || rule?.op !== "new-rule") throw new Error("not a map and its rule");
    expect(set.counter).toBe(true);
    expect(rule.exprs.slice(-2).map((e) => e.expr)).toEqual(["counter", "verdict"]);
    // NFTA_SET_EXPR { NFTA_EXPR_NAME "counter", NFTA_EXPR_DATA {} }
    const name = Buffer.from("counter\0").toString("hex");
    expect(hex(encodeBatch([set], 1, { ack: false }).bytes)).toContain(`140011800c000100${name}04000280`);
  });

  test("stop deletes the tables that were made", () => {
    const first = planNftIpvs(s, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), () => false);
    expect(cleanupNftIpvs(s, first.next).ops.map(describeOp)).toEqual([
      "delete table ip keepalived_ipvs",
      "delete table ip6 keepalived_ipvs",
    ]);
    expect(cleanupNftIpvs(s, NFT_IPVS_EMPTY).ops).toEqual([]);
  });

  test("the map's and rule's attributes as keepalived sends them (flags, concat fields, user data, registers)", () => {
    const step = planNftIpvs(s, NFT_IPVS_EMPTY, nftIpvsElements(c, marks), () => false);
    const bytes = hex(encodeBatch([step.ops[2]!], 1, { ack: false }).bytes);
    // NFTA_SET_FLAGS = MAP | CONCAT | INTERVAL, KEY_TYPE ipv4_addr . inet_service, KEY_LEN 8
    expect(bytes).toContain("080003000000008c");
    expect(bytes).toContain(`08000400${hex(Uint8Array.of(0, 0, 0x01, 0xcd))}`);
    expect(bytes).toContain("0800050000000008");
    // DATA_TYPE mark (19), DATA_LEN 4; DESC { CONCAT { {FIELD_LEN 4}, {FIELD_LEN 2} } }
    expect(bytes).toContain("0800060000000013" + "0800070000000004");
    expect(bytes).toContain("200009801c000280" + "0c0001800800010000000004" + "0c0001800800010000000002");
    // user data: key and data byte order "host" (setup_set)
    expect(bytes).toContain("10000d00000401000000010401000000");
    const rule = hex(encodeBatch([step.ops[3]!], 1, { ack: false }).bytes);
    // payload dport → NFT_REG32_01 (9); meta set mark from reg 1; verdict NFT_RETURN (-5)
    expect(rule).toContain("0800010000000009");
    expect(rule).toContain("0800020000000003" + "0800030000000001");
    expect(rule).toContain("08000100fffffffb");
  });
});
