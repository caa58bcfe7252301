/**
 * The global area of keepalived.conf: global_defs and the top-level global statements.
 * Fixtures in test/fixtures/config/global/ (NAME.json: the global part of the model;
 * NAME.diag: the diagnostics), plus the checks that depend on host facts and the
 * conf → model → conf → model round trip.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import { globalDefsSpec } from "../../../src/config/global/defs";
import { globalTopLevel } from "../../../src/config/global/keywords";
import { GLOBAL_PART_KEYS } from "../../../src/config/global/model";
import type { HostFacts, KeelConfig } from "../../../src/config/model";
import { emitConf, parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { parseTomlConfig, toToml } from "../../../src/config/toml";
import { FIXTURES, fixtureTests, load } from "./fixtures";

/** The fields of the model that the global area owns. */
function pickGlobal(c: KeelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of GLOBAL_PART_KEYS) out[k] = c[k];
  return out;
}

const anyHost: HostFacts = { interfaceExists: () => true };

function parseText(text: string, host: HostFacts = anyHost) {
  const r = parseConf("/k.conf", { source: memorySource({ "/k.conf": text }), host, configId: "test" });
  return { ...r, diags: r.diagnostics.items.map(formatDiagnostic) };
}

describe("global fixtures", () => {
  fixtureTests("global", pickGlobal);
});

describe("global round trip (parse → emitConf → parse)", () => {
  const dir = join(FIXTURES, "global");
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".conf"))) {
    test(f, () => {
      const first = load(join(dir, f));
      const text = emitConf(first.config);
      const again = parseText(text);
      // what was valid stays valid (warnings about the config itself may repeat)
      const errors = (d: { severity: string }[]) => d.filter((x) => x.severity === "error").length;
      if (errors(first.diagnostics.items) === 0) expect(again.diags.filter((d) => d.includes("error["))).toEqual([]);
      expect(pickGlobal(again.config)).toEqual(pickGlobal(first.config));
    });
  }
});

describe("global TOML round trip", () => {
  test("every keyword survives model → TOML → model", () => {
    const first = load(join(FIXTURES, "global/all-keywords.conf"));
    const toml = toToml(first.config);
    const again = parseTomlConfig("/k.toml", toml, { host: anyHost, configId: "test" });
    // all-keywords.conf holds keywords keel does not apply: those warnings come back, no other
    const notApplied = (items: { code: string }[]) => items.filter((d) => d.code === "not-applied").length;
    expect(again.diagnostics.items.filter((d) => d.code !== "not-applied").map(formatDiagnostic)).toEqual([]);
    expect(notApplied(again.diagnostics.items)).toBe(notApplied(first.diagnostics.items));
    expect(pickGlobal(again.config)).toEqual(pickGlobal(first.config));
  });
});

describe("coverage", () => {
  test("every global keyword and spelling is used by some fixture", () => {
    const dir = join(FIXTURES, "global");
    const text = readdirSync(dir)
      .filter((f) => f.endsWith(".conf"))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    const used = new Set(text.split(/\s+/));
    const all = [
      ...Object.keys(globalDefsSpec.keywords),
      ...Object.keys(globalDefsSpec.aliases ?? {}),
      ...Object.keys(globalTopLevel),
    ];
    expect(all.filter((k) => !used.has(k))).toEqual([]);
  });

  test("a hand-written TOML table may leave out fields that have defaults", () => {
    const toml =
      '[globalDefs]\nrouterId = "r1"\nsmtpServer = { host = "mail.example.com" }\nnotificationEmail = ["a@example.com"]\n';
    const r = parseTomlConfig("/k.toml", toml, { host: anyHost, configId: "test" });
    expect(r.diagnostics.items.map(formatDiagnostic)).toEqual([]);
    expect(r.config.globalDefs.smtpServer).toEqual({ host: "mail.example.com", port: 25 });
    expect(r.config.globalDefs.routerId).toBe("r1");
  });
});

describe("defaults", () => {
  test("an empty file has keepalived's global defaults", () => {
    const r = parseText("");
    expect(r.diags).toEqual([]);
    const g = r.config.globalDefs;
    expect(g.vrrpMcastGroup4).toBe("224.0.0.18");
    expect(g.vrrpMcastGroup6).toBe("ff02::12");
    expect(g.vrrpGarpMasterRepeat).toBe(5);
    expect(g.vrrpGarpMasterDelay).toBe(5);
    expect(g.vrrpGarpMasterRefreshRepeat).toBe(1);
    expect(g.smtpConnectTimeout).toBe(30);
    expect(g.umask).toBe(0o177);
    expect(g.vrrpVersion).toBe(2);
    expect(g.routerId).toBeUndefined();
    expect(r.config.childWaitTime).toBe(5);
    expect(emitConf(r.config)).toBe("");
  });
});

describe("checks that use host facts", () => {
  // about the host checks: the warnings that startup_script, default_interface,
  // linkbeat_interfaces ... are not applied are left out (compat.test.ts covers those)
  const hostChecks = (text: string, host?: HostFacts) =>
    parseText(text, host).diags.filter((d) => !d.includes("warning[not-applied]"));
  const host: HostFacts = {
    interfaceExists: (n) => n === "eth0",
    userExists: (n) => n === "root",
    groupExists: (n) => n === "wheel",
  };

  test("unknown script users and groups are warnings", () => {
    const r = hostChecks(
      [
        "global_defs {",
        "  script_user nobodyhere :nogroup",
        "  startup_script /bin/up root :",
        "  shutdown_script /bin/down ghost wheel",
        "  notify_fifo /run/f root staff",
        "}",
      ].join("\n"),
      host,
    );
    expect(r).toEqual([
      "/k.conf:2:3: warning[unknown-user]: script_user: user 'nobodyhere' does not exist on this host",
      "/k.conf:2:3: warning[unknown-group]: script_user: group 'nogroup' does not exist on this host",
      "/k.conf:4:3: warning[unknown-user]: shutdown_script: user 'ghost' does not exist on this host",
      "/k.conf:5:3: warning[unknown-group]: notify_fifo: group 'staff' does not exist on this host",
    ]);
  });

  test("users are not checked when the host cannot tell", () => {
    expect(hostChecks("global_defs {\n  script_user nobodyhere\n}\n")).toEqual([]);
  });

  test("interfaces that do not exist are warnings, unless dynamic_interfaces", () => {
    const text = [
      "global_defs {",
      "  default_interface eth9",
      "  lvs_sync_daemon eth0",
      "}",
      "linkbeat_interfaces {",
      "  eth0",
      "  eth7 MII",
      "}",
      "interface_up_down_delays {",
      "  eth8 1 2",
      "}",
    ].join("\n");
    expect(hostChecks(text, host)).toEqual([
      "/k.conf:2:3: warning[unknown-interface]: default_interface: interface 'eth9' does not exist on this host (set dynamic_interfaces if it is created later)",
      "/k.conf:7:3: warning[unknown-interface]: linkbeat_interfaces: interface 'eth7' does not exist on this host (set dynamic_interfaces if it is created later)",
      "/k.conf:10:3: warning[unknown-interface]: interface_up_down_delays: interface 'eth8' does not exist on this host (set dynamic_interfaces if it is created later)",
    ]);
    expect(hostChecks(text.replace("global_defs {", "global_defs {\n dynamic_interfaces"), host)).toEqual([]);
  });

  test("the default default_interface is not checked", () => {
    expect(hostChecks("global_defs {\n}\n", host)).toEqual([]);
  });
});

describe("origins", () => {
  test("objects made from global keywords know where they were written", () => {
    const r = parseText(
      "global_defs {\n  smtp_server 10.0.0.1\n  lvs_sync_daemon eth0 id 3\n}\nlinkbeat_interfaces {\n  eth1\n}\n",
    );
    expect(r.origins.get(r.config.globalDefs)).toEqual({ file: "/k.conf", line: 1, col: 1 });
    expect(r.origins.get(r.config.globalDefs.smtpServer as object)).toEqual({ file: "/k.conf", line: 2, col: 3 });
    expect(r.origins.get(r.config.globalDefs.lvsSyncDaemon as object)).toEqual({ file: "/k.conf", line: 3, col: 3 });
    expect(r.origins.get(r.config.linkbeatInterfaces[0] as object)).toEqual({ file: "/k.conf", line: 6, col: 3 });
  });
});

describe("never throws", () => {
  test("every keyword with odd arguments only reports", () => {
    const words = ["", "-1", "0", "x", '""', "{", "999999999999999999999", "1.5", "::", "all", "VS", "+read", "|"];
    for (const kw of Object.keys(globalDefsSpec.keywords))
      for (const a of words)
        for (const b of ["", "x", "7"]) expect(() => parseText(`global_defs {\n  ${kw} ${a} ${b}\n}\n`)).not.toThrow();
    for (const kw of Object.keys(globalTopLevel))
      for (const a of words) {
        expect(() => parseText(`${kw} ${a}\n`)).not.toThrow();
        expect(() => parseText(`${kw} {\n  ${a} ${a}\n  x ${a} ${a} ${a}\n}\n`)).not.toThrow();
      }
  });
});
