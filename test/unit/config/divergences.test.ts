/**
 * Divergences from keepalived 2.2.7 found by the differential harness (test/compat/),
 * one test each: what keepalived's source does with the input, and that keel now takes
 * it the same way and says so at the token.
 */
import { describe, expect, test } from "bun:test";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import type { HostFacts } from "../../../src/config/model";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";

const host: HostFacts = {
  interfaceExists: () => true,
  pathKind: (p) => (p === "/tmp" ? "directory" : p === "/tmp/file" ? "other" : "missing"),
};

function check(text: string) {
  const r = parseConf("/mem/k.conf", { source: memorySource({ "/mem/k.conf": text }), host });
  // the not-applied warnings have their own test (compat.test.ts)
  const lines = r.diagnostics.items.filter((d) => d.code !== "not-applied").map((d) => formatDiagnostic(d));
  return { config: r.config, lines, errors: r.diagnostics.errorCount };
}

const instance = (body: string) => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
${body}
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`;
const vs = (body: string, rs = "") => `virtual_server 192.0.2.100 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${body}
  real_server 192.0.2.1 80 {
${rs}
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

describe("a keyword that takes no argument ignores one, as keepalived's handler does", () => {
  // check_parser.c vs_alpha_handler, omega_handler, hasuspend_handler, vs_inhibit_handler
  // and vrrp_parser.c vrrp_nopreempt_handler never read their strvec: `alpha false` is alpha on
  for (const kw of ["alpha", "omega", "ha_suspend", "inhibit_on_failure", "flag-1"]) {
    test(`${kw} false`, () => {
      const r = check(vs(`  ${kw} false`));
      expect(r.errors).toBe(0);
      expect(r.lines).toEqual([
        expect.stringMatching(
          new RegExp(`^/mem/k.conf:5:\\d+: warning\\[ignored-argument\\]: '${kw}' takes no argument`),
        ),
      ]);
    });
  }
  test("alpha true turns alpha on", () => {
    expect(check(vs("  alpha true")).config.virtualServers[0]?.alpha).toBe(true);
    expect(check(vs("  alpha off")).config.virtualServers[0]?.alpha).toBe(true);
  });
  test("nopreempt yes and process_names now", () => {
    const r = check(`global_defs {\n  process_names now\n}\n${instance("  state BACKUP\n  nopreempt yes")}`);
    expect(r.errors).toBe(0);
    expect(r.lines.filter((l) => l.includes("ignored-argument"))).toHaveLength(2);
    expect(r.config.vrrpInstances.VI_1?.nopreempt).toBe(true);
  });
});

describe("weights reach keepalived's IPVS_WEIGHT_LIMIT (INT32_MAX, ip_vs.h)", () => {
  test("real_server weight 2147483647, virtual_server weight 2147483647", () => {
    const r = check(vs("  weight 2147483647", "    weight 2147483647"));
    expect(r.lines).toEqual([]);
    expect(r.config.virtualServers[0]?.realServers[0]?.weight).toBe(2147483647);
  });
  test("one past it is still out of range", () => {
    const r = check(vs("", "    weight 2147483648"));
    expect(r.lines).toEqual([expect.stringContaining("error[out-of-range]: weight 2147483648 is out of range")]);
  });
});

test("a tracked route without dev is reported as keepalived does (vrrp_iproute.c alloc_route)", () => {
  const r = check(
    instance("  virtual_routes {\n    198.51.100.0/24 via 192.0.2.1\n    198.51.101.0/24 via 192.0.2.1 no_track\n  }"),
  );
  expect(r.errors).toBe(0);
  expect(r.lines).toEqual([
    expect.stringMatching(/^\/mem\/k.conf:6:5: warning\[route-not-tracked\]: .*cannot track route 198.51.100.0\/24/),
  ]);
});

describe("instance checks keepalived makes in vrrp.c and vrrp_parser.c", () => {
  test("a unicast keyword without peers (deprecated after 2.2.4: multicast is used)", () => {
    const r = check(instance("  unicast_src_ip 192.0.2.5"));
    expect(r.lines).toEqual([expect.stringContaining("warning[unicast-without-peers]")]);
  });
  test("an empty unicast_peer block is a unicast keyword too (vrrp_unicast_peer_handler)", () => {
    const r = check(instance("  use_vmac\n  unicast_peer {\n  }"));
    expect(r.lines).toEqual([
      expect.stringContaining("warning[unicast-without-peers]"),
      expect.stringContaining("warning[vmac-xmit-base]"),
    ]);
  });
  test("auth_pass without auth_type: no authentication, as keepalived (vrrp_parser.c), with a warning", () => {
    const r = check(instance("  authentication {\n    auth_pass secret\n  }"));
    expect(r.errors).toBe(0);
    expect(r.lines).toEqual([expect.stringContaining("warning[auth-ignored]")]);
    expect(r.config.vrrpInstances.VI_1?.authentication).toBeUndefined();
  });
  test("vmac_xmit_base without use_vmac, unicast_ttl without peers, an IPv4 ipvlan without address", () => {
    const r = check(instance("  vmac_xmit_base\n  unicast_ttl 5\n  use_ipvlan"));
    expect(r.errors).toBe(0);
    expect(r.lines).toEqual([
      expect.stringContaining("warning[vmac-xmit-base]: (VI_1) vmac_xmit_base is only valid with use_vmac"),
      expect.stringContaining("warning[unicast-ttl]"),
      expect.stringContaining("warning[ipvlan-address]"),
    ]);
    expect(r.config.vrrpInstances.VI_1?.vmacXmitBase).toBe(false);
    expect(r.config.vrrpInstances.VI_1?.unicastTtl).toBeUndefined();
  });
  test("past 255 VIPs the rest are excluded VIPs (installed, not advertised), as keepalived moves them", () => {
    const vips = Array.from({ length: 300 }, (_, i) => `    10.${100 + Math.floor(i / 250)}.${i % 250}.1/32`);
    const r = check(
      `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n${vips.join("\n")}\n  }\n}\n`,
    );
    expect(r.errors).toBe(0);
    // the first one moved is named: line 6 is the first VIP, so the 256th is line 261
    expect(r.lines).toEqual([
      expect.stringMatching(
        /^\/mem\/k.conf:261:5: warning\[vips-exceed-advert\]: \(VI_1\) 300 VIPs exceed the 255 .* last 45 /,
      ),
    ]);
    const vi = r.config.vrrpInstances.VI_1;
    expect(vi?.virtualIpaddress.length).toBe(255);
    expect(vi?.virtualIpaddress.at(-1)?.address).toBe("10.101.4.1");
    expect(vi?.virtualIpaddressExcluded.map((a) => a.address)).toEqual(
      Array.from({ length: 45 }, (_, i) => `10.101.${5 + i}.1`),
    );
  });
  test("track_interface naming the instance's own interface is ignored", () => {
    const r = check(instance("  track_interface {\n    eth0\n    eth1\n  }"));
    expect(r.lines).toEqual([expect.stringMatching(/^\/mem\/k.conf:6:5: warning\[track-own-interface\]: .*eth0/)]);
  });
  test("unicast with use_vmac gets vmac_xmit_base", () => {
    const r = check(instance("  use_vmac\n  unicast_peer {\n    192.0.2.9\n  }"));
    expect(r.lines).toEqual([expect.stringContaining("warning[vmac-xmit-base]")]);
    expect(r.config.vrrpInstances.VI_1?.vmacXmitBase).toBe(true);
  });
  test("a duplicate VRID is reported at its virtual_router_id token, with a note at the other", () => {
    const two = `${instance("")}${instance("").replace("VI_1", "VI_2").replace("192.0.2.10", "192.0.2.11")}`;
    const r = check(two);
    // VI_2's `virtual_router_id 51` is on line 12, its value at column 21
    expect(r.lines).toEqual([
      expect.stringMatching(
        /^\/mem\/k.conf:12:21: error\[duplicate-vrid\]: \(VI_2\) virtual_router_id 51 is also used by VI_1[\s\S]*note: VI_1 sets virtual_router_id 51 here: \/mem\/k.conf:3:21$/,
      ),
    ]);
  });
  test("the same VRID on one interface with different unicast peers is no duplicate", () => {
    const a = instance("  unicast_peer {\n    192.0.2.21\n  }");
    const b = instance("  unicast_peer {\n    192.0.2.22\n  }")
      .replace("VI_1", "VI_2")
      .replace("192.0.2.10", "192.0.2.11");
    expect(check(a + b).lines).toEqual([]);
  });
});

test("config_save_dir: errors as keepalived's config_save_dir_handler reports them; a missing one is made", () => {
  expect(check("global_defs {\n  config_save_dir /tmp/file\n}\n").lines).toEqual([
    "/mem/k.conf:2:3: error[missing-directory]: config_save_dir /tmp/file exists and is not a directory",
  ]);
  expect(check("global_defs {\n  config_save_dir /x/y\n}\n").lines).toEqual([
    "/mem/k.conf:2:3: error[missing-directory]: Unable to create config_save_dir /x/y (error 2 - No such file or directory)",
  ]);
  // its parent (/tmp) exists: keepalived (and keel) make it at start
  expect(check("global_defs {\n  config_save_dir /tmp/saved\n}\n").lines).toEqual([]);
  expect(check("global_defs {\n  config_save_dir /tmp\n}\n").lines).toEqual([]);
  // a relative name: keepalived makes it beside the file and copies into it from its
  // working directory (its own `cp` fails then): a warning, never an error
  expect(check("global_defs {\n  config_save_dir saved\n}\n").lines).toEqual([
    "/mem/k.conf:2:3: warning[relative-path]: config_save_dir saved is a relative path: keepalived makes it beside the configuration file but saves into it from its working directory, keel from its working directory; give an absolute path",
  ]);
});

test("a script's own unknown user is reported as keepalived drops the script (lib/notify.c set_script_uid_gid)", () => {
  const r = parseConf("/mem/k.conf", {
    source: memorySource({
      "/mem/k.conf": `vrrp_script chk {\n  script "/bin/true"\n  user nosuchuser\n}\n${instance("  track_script {\n    chk\n  }")}`,
    }),
    host: { interfaceExists: () => true, userExists: (u) => u === "root", groupExists: () => true },
  });
  expect(r.diagnostics.items.map(formatDiagnostic)).toEqual([
    expect.stringMatching(/^\/mem\/k.conf:2:\d+: warning\[unknown-user\]: vrrp_script chk: user 'nosuchuser'/),
  ]);
});
