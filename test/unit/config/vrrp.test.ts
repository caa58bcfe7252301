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
import { mplsLabels } from "../../../src/config/vrrp/net/route";
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

describe("encap mpls label stacks (vrrp_ip_rule_route_parser.c parse_mpls_address)", () => {
  const withRoutes = (...lines: string[]) => `vrrp_instance V {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.1
    }
    virtual_routes {
${lines.map((l) => `        ${l}`).join("\n")}
    }
}
`;
  test("at most MAX_MPLS_LABELS (2) labels of 20 bits each, read by strtoul with base 0", () => {
    expect(mplsLabels("100")).toEqual([100]);
    expect(mplsLabels("100/200")).toEqual([100, 200]);
    expect(mplsLabels("0x10/020")).toEqual([16, 16]);
    expect(mplsLabels("+7/0")).toEqual([7, 0]);
    expect(mplsLabels("1048575")).toEqual([1048575]);
    for (const bad of ["100/200/300", "1/2/3/4", "1048576", "-1", "1/-2", "100/", "/100", "0x", "08", "1a", ""]) {
      expect(mplsLabels(bad)).toBeUndefined();
    }
  });

  test("three labels: keepalived's error at the word, and the route stays (the rest of its line too)", () => {
    const text = withRoutes(
      "10.1.0.0/16 dev eth0 encap mpls 100/200/300 metric 5",
      "10.2.0.0/16 dev eth0 encap mpls 100/200",
    );
    expect(diags(text)).toEqual(["8:41: error[bad-value]: invalid mpls address 100/200/300 for encapsulation"]);
    const routes = parseText(text).config.vrrpInstances.V?.virtualRoutes ?? [];
    expect(routes.map((r) => [r.dst, r.encap, r.metric])).toEqual([
      ["10.1.0.0/16", { type: "mpls" }, 5],
      ["10.2.0.0/16", { type: "mpls", labels: "100/200" }, undefined],
    ]);
  });

  test("a nexthop's encap is read the same way", () => {
    const text = withRoutes("10.3.0.0/16 nexthop via 10.0.0.2 dev eth0 encap mpls 1/2/3 nexthop via 10.0.0.3 dev eth0");
    expect(diags(text).filter((d) => d.includes("error["))).toEqual([
      "8:62: error[bad-value]: invalid mpls address 1/2/3 for encapsulation",
    ]);
    const hops = parseText(text).config.vrrpInstances.V?.virtualRoutes?.[0]?.nexthops ?? [];
    expect(hops.map((n) => [n.via, n.encap])).toEqual([
      ["10.0.0.2", { type: "mpls" }],
      ["10.0.0.3", undefined],
    ]);
  });
});

test("a track_process name longer than a comm (15 bytes) without full_command: a warning at the name", () => {
  const text = (extra: string) => `vrrp_track_process tp {
    process postgres-replica-agent${extra}
}
`;
  expect(diags(text(""))).toEqual([
    "2:13: warning[process-name-too-long]: vrrp_track_process tp: 'postgres-replica-agent' is longer than a process's comm (15 bytes) and never matches it; add full_command to match the command's first word",
  ]);
  expect(diags(text("\n    full_command"))).toEqual([]);
  expect(diags(text(" --serve"))).toEqual([]); // parameters imply full_command
  expect(diags("vrrp_track_process tp {\n    process postgres-replic\n}\n")).toEqual([]);
});
