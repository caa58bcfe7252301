// Diagnostics in bulk: exact counts, a bounded number kept, and a report that prints the
// first few of each kind and then one summary line (a 100 MB configuration once printed
// 1.77 M warning lines and held every one of them).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli";
import {
  Diagnostics,
  PRINT_PER_KIND,
  RETAIN_PER_KIND,
  formatDiagnostic,
  renderDiagnostics,
} from "../../../src/config/diagnostics";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";

const dir = mkdtempSync(join(tmpdir(), "keel-diags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const host = { interfaceExists: () => true };

/** `n` vrrp_script blocks that nothing uses: one `unused-script` warning each. */
function unusedScripts(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `vrrp_script chk_${i} {\n    script /bin/true\n}\n`;
  return s;
}

function parse(text: string) {
  return parseConf("/k.conf", { source: memorySource({ "/k.conf": text }), host, configId: "x" });
}

async function keelTest(text: string) {
  const file = join(dir, `k${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  let err = "";
  const code = await main(["-t", "-f", file], {
    out: () => {},
    err: (s) => {
      err += s;
    },
  });
  return { code, lines: err.trimEnd().split("\n"), file };
}

describe("many diagnostics of one kind", () => {
  test("1000 unused scripts: counted exactly, 100 kept, 10 printed and one summary line", () => {
    const r = parse(unusedScripts(1000));
    const d = r.diagnostics;
    expect(d.warningCount).toBe(1000);
    expect(d.errorCount).toBe(0);
    const kind = d.kinds.get("warning[unused-script]");
    expect(kind).toEqual({ severity: "warning", code: "unused-script", count: 1000, kept: 100 });
    expect(d.items.length).toBe(RETAIN_PER_KIND);
    const lines = renderDiagnostics(d);
    expect(lines.length).toBe(PRINT_PER_KIND + 1);
    expect(lines[0]).toBe("/k.conf:1:13: warning[unused-script]: vrrp_script chk_0 is not used");
    expect(lines[9]).toBe("/k.conf:28:13: warning[unused-script]: vrrp_script chk_9 is not used");
    expect(lines[10]).toBe("... and 990 more warning[unused-script] like this");
  });

  test("keel -t prints 10 + 1 lines and the exact total; errors still fail", async () => {
    const ok = await keelTest(unusedScripts(1000));
    expect(ok.code).toBe(0);
    expect(ok.lines.length).toBe(PRINT_PER_KIND + 2);
    expect(ok.lines[10]).toBe("... and 990 more warning[unused-script] like this");
    expect(ok.lines[11]).toBe(`keel: ${ok.file}: 0 errors, 1000 warnings`);

    // 1500 scripts without a command: one error each, plus the 1500 unused warnings
    const bad = await keelTest(unusedScripts(1500).replaceAll("    script /bin/true\n", ""));
    expect(bad.code).toBe(5);
    expect(bad.lines.filter((l) => l.includes(": error[missing-keyword]: ")).length).toBe(PRINT_PER_KIND);
    expect(bad.lines).toContain("... and 1,490 more error[missing-keyword] like this");
    expect(bad.lines).toContain("... and 1,490 more warning[unused-script] like this");
    expect(bad.lines.at(-1)).toBe(`keel: ${bad.file}: 1500 errors, 1500 warnings`);
  });

  test("kinds are summarised separately and fewer than 10 of a kind get no summary", () => {
    const d = new Diagnostics();
    for (let i = 1; i <= 25; i++) d.warning({ file: "f", line: i, col: 1 }, "a", `a ${i}`);
    for (let i = 1; i <= 3; i++) d.error({ file: "f", line: i, col: 2 }, "b", `b ${i}`);
    expect(renderDiagnostics(d)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `f:${i + 1}:1: warning[a]: a ${i + 1}`),
      "f:1:2: error[b]: b 1",
      "f:2:2: error[b]: b 2",
      "f:3:2: error[b]: b 3",
      "... and 15 more warning[a] like this",
    ]);
    expect([d.errorCount, d.warningCount]).toEqual([3, 25]);
  });
});

describe("duplicates", () => {
  test("the same diagnostic at the same place counts once, whether kept or only counted", () => {
    const d = new Diagnostics();
    for (let round = 0; round < 2; round++)
      for (let i = 1; i <= 300; i++) d.warning({ file: "f", line: i, col: 3 }, "w", "same text");
    expect(d.warningCount).toBe(300);
    expect(d.items.length).toBe(RETAIN_PER_KIND);
  });
  test("same text elsewhere, or other text at the same place, is not a duplicate", () => {
    const d = new Diagnostics();
    d.error({ file: "f", line: 1, col: 1 }, "e", "x");
    d.error({ file: "g", line: 1, col: 1 }, "e", "x");
    d.error({ file: "f", line: 1, col: 2 }, "e", "x");
    d.error({ file: "f", line: 1, col: 1 }, "e", "y");
    d.error({ file: "f", line: 1, col: 1 }, "e", "x", ["a note"]);
    d.warning({ file: "f", line: 1, col: 1 }, "e", "x");
    d.error({ file: "f", line: 1, col: 1 }, "e", "x");
    expect([d.errorCount, d.warningCount]).toEqual([5, 1]);
  });
  test("a distinct diagnostic is counted and kept like any other but never looked up as a duplicate", () => {
    const d = new Diagnostics();
    const at = { file: "f", line: 2, col: 5 };
    d.distinct("warning", at, "unused-script", "vrrp_script a is not used");
    d.warning(at, "unused-script", "vrrp_script a is not used");
    d.distinct("error", at, "e", "x");
    expect([d.errorCount, d.warningCount]).toEqual([1, 2]);
    expect(d.items.map(formatDiagnostic)).toEqual([
      "f:2:5: warning[unused-script]: vrrp_script a is not used",
      "f:2:5: warning[unused-script]: vrrp_script a is not used",
      "f:2:5: error[e]: x",
    ]);
  });
  test("a ~SEQ line reports its mistake once", () => {
    const r = parse("~SEQ(i, 1, 500) vrrp_script s$i { bogus }\n");
    expect(r.diagnostics.kinds.get("error[unknown-keyword]")?.count).toBe(1);
    expect(r.diagnostics.warningCount).toBe(500);
  });
});

describe("order", () => {
  test("line errors, then tree errors, then block errors, as when each ran over the whole file", () => {
    // block a's handlers run as soon as b starts, before the tree reads the stray '}' and
    // before the preprocessor reads ${UNDEFINED}
    const text = [
      "vrrp_script a {",
      "    script /bin/true",
      "    bogus",
      "}",
      "vrrp_script b {",
      "    script /bin/true",
      "}",
      "}",
      "x ${UNDEFINED}",
      "",
    ].join("\n");
    expect(parse(text).diagnostics.items.map(formatDiagnostic)).toEqual([
      "/k.conf:9:1: warning[undefined-variable]: ${UNDEFINED} is not defined; left as written, as one word (keepalived splits it at its braces)",
      "/k.conf:8:1: error[extra-brace]: '}' closes no block",
      "/k.conf:3:5: error[unknown-keyword]: unknown keyword 'bogus' in vrrp_script",
      "/k.conf:9:1: error[unknown-keyword]: unknown keyword 'x' in the top level",
      "/k.conf:1:13: warning[unused-script]: vrrp_script a is not used",
      "/k.conf:5:13: warning[unused-script]: vrrp_script b is not used",
    ]);
  });
  test("TOML positions are mapped with the counts kept", () => {
    const d = new Diagnostics();
    for (let i = 1; i <= 150; i++) d.warning({ file: "v", line: i, col: 1 }, "w", `w ${i}`);
    const m = d.map((x) => ({ ...x, file: "t.toml" }));
    expect(m.warningCount).toBe(150);
    expect(m.kinds.get("warning[w]")?.count).toBe(150);
    expect(m.items[0]?.file).toBe("t.toml");
    expect(renderDiagnostics(m).at(-1)).toBe("... and 140 more warning[w] like this");
  });
});

describe("keel -t and a loopback vrf", () => {
  // keepalived vrrp_parser.c vrrp_vrf_handler (2.2.7 and 2.4.3): "(VI_1) cannot use a
  // loopback interface (lo) for VRF - ignoring", asked of the kernel (lo is a loopback in
  // every namespace); a VRF-less interface is taken as it is, keepalived says nothing
  const conf = (vrf: string) =>
    `vrrp_instance VI_1 {\n    virtual_router_id 9\n    priority 100\n    unicast_src_ip 10.9.0.1\n` +
    `    unicast_peer {\n        10.9.0.2\n    }\n    vrf ${vrf}\n    virtual_ipaddress {\n        172.16.0.9/16 dev lo\n    }\n}\n`;

  test("vrf lo: keepalived's words, a warning", async () => {
    const r = await keelTest(conf("lo"));
    expect(r.lines).toContain(
      `${r.file}:1:15: warning[vrf-ignored]: (VI_1) cannot use a loopback interface (lo) for VRF - ignoring`,
    );
    expect(r.code).toBe(0);
  });

  test("the loopback answer comes from the kernel: lo yes, a missing name unknown", async () => {
    const { localHost } = await import("../../../src/config/parse");
    expect(localHost.isLoopback?.("lo")).toBe(true);
    expect(localHost.isLoopback?.("no-such-if0")).toBeUndefined();
  });
});

describe("an IPv6 instance's first VIP", () => {
  // keepalived vrrp.c vrrp_complete_instance: a multicast IPv6 instance whose first VIP is
  // not link local gets "(X) the first IPv6 VIP address should be link local" (logged), in
  // strict mode "must" (a config error); a unicast instance is not asked
  const conf = (extra: string, vips: string) =>
    `vrrp_instance VI_6 {\n    interface eth0\n    virtual_router_id 6\n    priority 100\n${extra}` +
    `    virtual_ipaddress {\n${vips}    }\n}\n`;
  const said = (text: string) =>
    parse(text)
      .diagnostics.items.filter((d) => d.code === "ipv6-first-vip")
      .map(formatDiagnostic);

  test("not link local: keepalived's words, at the VIP's line", () => {
    expect(said(conf("", "        2001:db8::1/64\n        fe80::1/64\n"))).toEqual([
      "/k.conf:6:9: warning[ipv6-first-vip]: (VI_6) the first IPv6 VIP address should be link local",
    ]);
  });
  test("strict mode: must", () => {
    expect(said(conf("    strict_mode\n", "        2001:db8::1/64\n"))).toEqual([
      "/k.conf:7:9: warning[ipv6-first-vip]: (VI_6) the first IPv6 VIP address must be link local",
    ]);
  });
  test("a link-local first VIP, a unicast instance, an IPv4 instance: nothing", () => {
    expect(said(conf("", "        fe80::1/64\n        2001:db8::1/64\n"))).toEqual([]);
    expect(said(conf("    unicast_peer {\n        2001:db8::2\n    }\n", "        2001:db8::1/64\n"))).toEqual([]);
    expect(said(conf("", "        10.0.0.1/24\n"))).toEqual([]);
  });
});
