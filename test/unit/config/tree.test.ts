import { describe, expect, test } from "bun:test";
import { Diagnostics, formatDiagnostic } from "../../../src/config/diagnostics";
import { preprocess } from "../../../src/config/preprocess";
import { memorySource } from "../../../src/config/source";
import { type Node, buildTree } from "../../../src/config/tree";

function tree(text: string) {
  const d = new Diagnostics();
  const nodes = buildTree(preprocess("/k.conf", memorySource({ "/k.conf": text }), d, { configId: "x" }), d);
  return { nodes, diags: d.items.map(formatDiagnostic) };
}

function shape(nodes: Node[]): unknown[] {
  return nodes.map((n) => {
    const head = [n.keyword.text, ...n.args.map((a) => (a.quoted ? `"${a.text}"` : a.text))].join(" ");
    return n.block ? { [head]: shape(n.block) } : head;
  });
}

describe("block tree", () => {
  test("braces on the same line, the next line, and inline blocks", () => {
    const r = tree(
      "vrrp_instance VI_1 {\n  track_script { chk_a chk_b }\n  virtual_ipaddress\n  {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
    );
    expect(r.diags).toEqual([]);
    expect(shape(r.nodes)).toEqual([
      { "vrrp_instance VI_1": [{ track_script: ["chk_a chk_b"] }, { virtual_ipaddress: ["10.0.0.1/24 dev eth0"] }] },
    ]);
  });
  test("an undefined ${NAME} stays one word, not a word and a block (keepalived exits 0 for such files)", () => {
    const r = tree("global_defs {\n  router_id ${NOPE}\n  script_user a${X}b\n}\nafter\n");
    expect(shape(r.nodes)).toEqual([{ global_defs: ["router_id ${NOPE}", "script_user a${X}b"] }, "after"]);
    expect(r.diags.every((d) => d.includes("warning[undefined-variable]"))).toBe(true);
    // a brace that does not close a name is still a brace
    expect(shape(tree("a ${ x }\n").nodes)).toEqual([{ "a $": ["x"] }]);
  });
  test("a quoted string is one token and keeps braces and blanks", () => {
    const r = tree('notify "/bin/x { y }"  root\n');
    expect(shape(r.nodes)).toEqual(['notify "/bin/x { y }" root']);
  });
  test("tokens carry file, line and column", () => {
    const r = tree("a {\n   priority   250\n}\n");
    const p = r.nodes[0]?.block?.[0];
    expect(p?.keyword.loc).toEqual({ file: "/k.conf", line: 2, col: 4 });
    expect(p?.args[0]?.loc).toEqual({ file: "/k.conf", line: 2, col: 15 });
  });
  test("an unclosed block names the line where it was opened", () => {
    const r = tree("global_defs {\n  router_id x\nvrrp_instance A {\n}\n");
    expect(r.diags).toEqual([
      "/k.conf:4:2: error[unclosed-block]: 'global_defs' block is not closed before the end of the configuration\n  note: the block was opened here: /k.conf:1:13",
    ]);
  });
  test("an extra '}' and an orphan '{' are errors", () => {
    expect(tree("a\n}\n").diags[0]).toContain("2:1: error[extra-brace]");
    expect(tree("{\n}\n").diags[0]).toContain("1:1: error[unexpected-brace]");
  });
  test("an unterminated quote is reported at the quote", () => {
    expect(tree('a "b c\n').diags).toContain("/k.conf:1:3: error[unterminated-quote]: unterminated quote");
  });
});
