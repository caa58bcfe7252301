// nf_tables: keel's batches against what nft 1.0.6 sent for the same ruleset (captures in
// test/fixtures/nftables/, see its README), byte for byte except the sequence numbers and
// the ACK flag keel adds. The ops come from src/runtime/firewall-plan.ts, so this also
// holds the plan to keepalived's ruleset, message for message.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeBatch, type NftOp } from "../../../native-bindings/nftables";
import {
  EMPTY,
  type FirewallAddress,
  type FirewallSettings,
  addAddresses,
  addVmac,
  cleanup,
  removeAddresses,
  removeVmac,
} from "../../../src/runtime/firewall-plan";

const FIX = join(import.meta.dir, "../../fixtures/nftables");
const captured = (name: string): string[] =>
  readFileSync(join(FIX, `${name}.hex`), "utf8")
    .trim()
    .split("\n");

/** keel's batch as hex lines, seqs zeroed, as the captures (nft numbers its messages 0, 1, ...) */
function lines(ops: NftOp[], ack = false): string[] {
  const b = Buffer.from(encodeBatch(ops, 0, { ack }).bytes);
  const out: string[] = [];
  for (let o = 0; o < b.length; ) {
    const len = b.readUInt32LE(o);
    out.push(b.subarray(o, o + len).toString("hex"));
    o += (len + 3) & ~3;
  }
  return out;
}

const KA: FirewallSettings = { table: "keepalived", priority: -1, counters: false, ifindex: false };
const v4 = (address: string): FirewallAddress => ({ address, family: 4, ifindex: 2, ifname: "eth0", byName: false });
const v6 = (address: string, byName = false): FirewallAddress => ({
  address,
  family: 6,
  ifindex: 1,
  ifname: "lo",
  byName,
});
const none = () => false;
const keysOf = (o: NftOp | undefined): Uint8Array[] => (o && "keys" in o ? o.keys : []);

describe("nf_tables batches against nft's", () => {
  test("IPv4: table, chains, set, drop rules and two VIPs (a strict master's first VIPs)", () => {
    const { ops } = addAddresses(KA, EMPTY, "A", [v4("10.9.0.100"), v4("10.9.0.101")], none);
    expect(lines(ops)).toEqual(captured("ipv4-setup"));
  });

  test("nftables_counters and nftables_priority", () => {
    const { ops } = addAddresses({ ...KA, priority: 5, counters: true }, EMPTY, "A", [v4("192.0.2.1")], none);
    expect(lines(ops)).toEqual(captured("ipv4-counters"));
  });

  test("IPv6: neighbour discovery, link-local chains and sets by interface index", () => {
    const { ops } = addAddresses(KA, EMPTY, "C", [v6("fe80::1234"), v6("2001:db8::5")], none);
    expect(lines(ops)).toEqual(captured("ipv6-setup"));
  });

  test("IPv6 link-local by interface name (dont_track_primary), another table and priority", () => {
    const s = { ...KA, table: "kl", priority: -100 };
    const { ops } = addAddresses(s, EMPTY, "C", [v6("fe80::1234", true)], none);
    expect(lines(ops)).toEqual(captured("ipv6-ifname"));
  });

  test("leaving MASTER: the elements go, IPv4 and IPv6 in one batch", () => {
    const up = addAddresses(KA, EMPTY, "A", [v4("10.9.0.100"), v4("10.9.0.101"), v6("fe80::1234")], none);
    const { ops, next } = removeAddresses(KA, up.next, "A", [v4("10.9.0.100"), v4("10.9.0.101"), v6("fe80::1234")]);
    expect(lines(ops)).toEqual(captured("delete-elements"));
    expect(next.elements.size).toBe(0);
    expect(next.v4Table && next.v6Table).toBe(true);
  });

  test("stop: both tables", () => {
    const up = addAddresses(KA, EMPTY, "A", [v4("10.9.0.100"), v6("2001:db8::5")], none);
    expect(lines(cleanup(KA, up.next).ops)).toEqual(captured("delete-tables"));
  });

  test("keel's own batch asks an ACK for every message and differs from nft's in nothing else", () => {
    const { ops } = addAddresses(KA, EMPTY, "A", [v4("10.9.0.100"), v4("10.9.0.101")], none);
    const withAck = lines(ops, true);
    const nftLines = captured("ipv4-setup");
    expect(withAck.length).toBe(nftLines.length);
    withAck.forEach((h, i) => {
      const b = Buffer.from(h, "hex");
      const inner = i > 0 && i < withAck.length - 1;
      expect(b.readUInt16LE(6) & 4).toBe(inner ? 4 : 0);
      b.writeUInt16LE(b.readUInt16LE(6) & ~4, 6);
      expect(b.toString("hex")).toBe(nftLines[i] as string);
    });
  });
});

describe("the plan (keepalived's order of setting up and tearing down)", () => {
  test("an old table of the name is deleted before the first setup, and only then", () => {
    const first = addAddresses(KA, EMPTY, "A", [v4("10.0.0.1")], (f) => f === 6);
    expect(first.ops[0]).toEqual({ op: "del-table", family: 6, table: "keepalived" });
    expect(first.ops[1]).toEqual({ op: "new-table", family: 4, table: "keepalived" });
    const second = addAddresses(KA, first.next, "B", [v6("2001:db8::1")], () => true);
    expect(second.ops.some((o) => o.op === "del-table")).toBe(false);
    expect(second.ops[0]).toEqual({ op: "new-table", family: 6, table: "keepalived" });
  });

  test("a second MASTER period adds only elements; a VIP two instances share leaves with the last", () => {
    const a = addAddresses(KA, EMPTY, "A", [v4("10.0.0.1")], none);
    const b = addAddresses(KA, a.next, "B", [v4("10.0.0.1"), v4("10.0.0.2")], none);
    expect(b.ops.map((o) => o.op)).toEqual(["new-elems"]);
    expect(keysOf(b.ops[0]).map((k) => [...k])).toEqual([[10, 0, 0, 2]]);
    const ra = removeAddresses(KA, b.next, "A", [v4("10.0.0.1")]);
    expect(ra.ops).toEqual([]);
    const rb = removeAddresses(KA, ra.next, "B", [v4("10.0.0.1"), v4("10.0.0.2")]);
    expect(rb.ops.map((o) => o.op)).toEqual(["del-elems"]);
    expect(keysOf(rb.ops[0])).toHaveLength(2);
  });

  test("2,500 VIPs go in messages of at most 1,000 elements, each within netlink's 64 KiB attribute", () => {
    const many = Array.from({ length: 2500 }, (_, i) => v6(`fe80::${(i + 1).toString(16)}`, true));
    const { ops } = addAddresses(KA, EMPTY, "A", many, none);
    const elems = ops.filter((o) => o.op === "new-elems" && o.set === "vips_link_local_name");
    expect(elems.map((o) => keysOf(o).length)).toEqual([1000, 1000, 500]);
    expect(() => encodeBatch(ops, 0, { ack: true })).not.toThrow();
  });

  test("removing what was never added sends nothing (keepalived's start-up clean-up); nothing made, nothing to clean", () => {
    expect(removeAddresses(KA, EMPTY, "A", [v4("10.0.0.1")]).ops).toEqual([]);
    expect(cleanup(KA, EMPTY).ops).toEqual([]);
  });

  test("use_vmac: the family's table, vmac_map (and for IPv6 vmac_set) and their rules once; the VIP sets come after", () => {
    const a = addVmac(KA, EMPTY, { ifindex: 7, base: 2 }, [4, 6], none);
    const what = (ops: NftOp[]) =>
      ops.map((o) => `${o.op} ${o.family} ${"set" in o ? o.set : "chain" in o ? o.chain : ""}`);
    expect(what(a.ops)).toEqual([
      "new-table 4 ",
      "new-chain 4 out",
      "new-set 4 vmac_map",
      "new-rule 4 out",
      "new-elems 4 vmac_map",
      "new-table 6 ",
      "new-chain 6 out",
      "new-set 6 vmac_map",
      "new-set 6 vmac_set",
      "new-rule 6 out",
      "new-rule 6 out",
      "new-elems 6 vmac_map",
      "new-elems 6 vmac_set",
    ]);
    const map = a.ops[4];
    expect(map && "data" in map ? [...(map.data?.[0] ?? [])] : []).toEqual([2, 0, 0, 0]);
    expect(addVmac(KA, a.next, { ifindex: 7, base: 2 }, [4, 6], none).ops).toEqual([]);
    const b = addVmac(KA, a.next, { ifindex: 8, base: 2 }, [6], none);
    expect(what(b.ops)).toEqual(["new-elems 6 vmac_map", "new-elems 6 vmac_set"]);
    // the VIPs of a strict master later: no second table, the in chain and vips set only
    const v = addAddresses(KA, b.next, "A", [v4("10.0.0.1")], () => true);
    expect(what(v.ops)).toEqual([
      "new-chain 4 in",
      "new-set 4 vips",
      "new-rule 4 in",
      "new-rule 4 out",
      "new-elems 4 vips",
    ]);
    const r = removeVmac(KA, v.next, 7);
    expect(what(r.ops)).toEqual(["del-elems 4 vmac_map", "del-elems 6 vmac_map", "del-elems 6 vmac_set"]);
    expect(removeVmac(KA, r.next, 7).ops).toEqual([]);
    expect(cleanup(KA, r.next).ops.map((o) => o.op)).toEqual(["del-table", "del-table"]);
    expect(() => encodeBatch(a.ops, 0, { ack: true })).not.toThrow();
  });
});
