/**
 * VRRP keyword tables: every fixture under test/fixtures/config/vrrp (expected model
 * part in NAME.json or diagnostics in NAME.diag), and a round trip for each fixture
 * without errors: parse → emitConf → parse gives the same VRRP model.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import type { HostFacts, KeelConfig } from "../../../src/config/model";
import { emitConf, parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { FIXTURES, fixtureTests } from "./fixtures";

/** The VRRP part of the model, as written to NAME.json. */
export function vrrpPart(c: KeelConfig) {
  return {
    vrrpInstances: c.vrrpInstances,
    vrrpSyncGroups: c.vrrpSyncGroups,
    vrrpScripts: c.vrrpScripts,
    trackFiles: c.trackFiles,
    vrrpTrackProcesses: c.vrrpTrackProcesses,
    trackGroups: c.trackGroups,
    garpGroups: c.garpGroups,
    staticIpaddresses: c.staticIpaddresses,
    staticRoutes: c.staticRoutes,
    staticRules: c.staticRules,
  };
}

const host: HostFacts = { interfaceExists: () => true };

function parseText(text: string, hostFacts = host) {
  return parseConf("/mem/keepalived.conf", {
    source: memorySource({ "/mem/keepalived.conf": text }),
    host: hostFacts,
    configId: "test",
  });
}

function diags(text: string, hostFacts = host): string[] {
  return parseText(text, hostFacts).diagnostics.items.map((d) =>
    formatDiagnostic(d).replace("/mem/keepalived.conf:", ""),
  );
}

describe("vrrp fixtures", () => {
  fixtureTests("vrrp", vrrpPart);
});

describe("vrrp round trip", () => {
  const dir = join(FIXTURES, "vrrp");
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".conf")) continue;
    const path = join(dir, f);
    const first = parseConf(path, { host, configId: "test" });
    if (first.diagnostics.errorCount > 0) continue;
    test(f, () => {
      const text = emitConf(first.config);
      const second = parseText(text);
      expect(second.diagnostics.items.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
      expect(JSON.parse(JSON.stringify(vrrpPart(second.config)))).toEqual(
        JSON.parse(JSON.stringify(vrrpPart(first.config))),
      );
      // and the text is stable from then on
      expect(emitConf(second.config)).toBe(text);
    });
  }
});

describe("vrrp checks that need a host", () => {
  test("a missing interface is an error (keepalived stops on it) unless dynamic_interfaces; an unknown host says nothing", () => {
    const conf = readFileSync(join(FIXTURES, "vrrp/minimal.conf"), "utf8");
    const missing = diags(conf, { interfaceExists: () => false });
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((d) => d.includes("error[unknown-interface]"))).toBe(true);
    expect(missing[0]).toContain("doesn't exist; keepalived (and keel) will not run this configuration");
    expect(diags(conf, { interfaceExists: () => undefined })).toEqual([]);
    const dynamic = `global_defs {\n  dynamic_interfaces\n}\n${conf}`;
    expect(diags(dynamic, { interfaceExists: () => false }).filter((d) => d.includes("unknown-interface"))).toEqual([]);
  });
});

describe("vrrp script helper", () => {
  test("notify scripts keep the raw command, user and group; quoting survives", () => {
    const r = parseText(`vrrp_instance V {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.1
    }
    notify_master "/bin/echo a  b" nobody nogroup
}
`);
    const v = r.config.vrrpInstances.V;
    expect(v?.notifyMaster).toEqual({ command: "/bin/echo a  b", user: "nobody", group: "nogroup" });
    expect(emitConf(r.config)).toContain('notify_master "/bin/echo a  b" nobody nogroup');
  });
});
