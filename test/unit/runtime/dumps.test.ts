/**
 * Where the signal dumps go and the JSON dump's versions, as keepalived 2.4.3 names and
 * writes them (global_data.c open_dump_file, vrrp_json.c vrrp_json_dump). keepalived
 * 2.2.7 has neither `state_dump_file` nor `json_version`, so these are checked against
 * 2.4.3's source here; test/interop/dumps.test.ts checks the files keel writes.
 */
import { expect, test } from "bun:test";
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeelConfig } from "../../../src/config/model";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { dataFilePath, dataText, jsonDump, writeDumpFile } from "../../../src/runtime/dumps";
import { VrrpRouter } from "../../../src/vrrp/router";

const INSTANCE = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.0.0.1/24
  }
}
`;

function config(text: string): KeelConfig {
  const r = parseConf("k.conf", { source: memorySource({ "k.conf": text }) });
  expect(r.diagnostics.errorCount).toBe(0);
  return r.config;
}

const defs = (lines: string, top = "") => config(`${top}global_defs {\n${lines}\n}\n${INSTANCE}`);

test("state_dump_file: directory from a leading '/', name unless it ends with '/', TMPDIR otherwise", () => {
  expect(dataFilePath(defs(""), undefined, "/tmp")).toBe("/tmp/keepalived.data");
  expect(dataFilePath(defs("state_dump_file /var/run/ka/state.txt"), undefined, "/tmp")).toBe("/var/run/ka/state.txt");
  expect(dataFilePath(defs("state_dump_file /var/run/ka/"), undefined, "/tmp")).toBe("/var/run/ka/keepalived.data");
  // no leading '/': the name only, in TMPDIR
  expect(dataFilePath(defs("state_dump_file sub/state.txt"), undefined, "/tmp")).toBe("/tmp/state.txt");
  expect(dataFilePath(defs("state_dump_file /x/noext"), undefined, "/tmp")).toBe("/x/noext");
});

test("data_use_instance puts NAMESPACE_INSTANCE before the name's last dot", () => {
  const both = defs("data_use_instance\nstate_dump_file /d/a.b.dump", "instance kx\n");
  expect(dataFilePath(both, "ns1", "/tmp")).toBe("/d/a.b.ns1_kx.dump");
  expect(dataFilePath(both, undefined, "/tmp")).toBe("/d/a.b.kx.dump");
  const noExt = defs("data_use_instance\nstate_dump_file /d/plain", "instance kx\n");
  expect(dataFilePath(noExt, undefined, "/tmp")).toBe("/d/plain.kx");
  // without an instance or namespace the name is left alone
  expect(dataFilePath(defs("data_use_instance"), undefined, "/tmp")).toBe("/tmp/keepalived.data");
});

test("json_version 1 is the bare array; 2 wraps it as {vrrp} and adds track_process", () => {
  const v1 = defs("");
  const one = JSON.parse(jsonDump(new VrrpRouter(v1), () => undefined, v1));
  expect(Array.isArray(one)).toBe(true);
  expect(one[0].data.iname).toBe("VI_1");

  const v2 = defs("json_version 2");
  const two = JSON.parse(jsonDump(new VrrpRouter(v2), () => undefined, v2));
  // no vrrp_track_process: no track_process key, as keepalived leaves the list out
  expect(Object.keys(two)).toEqual(["vrrp"]);
  expect(two.vrrp).toEqual(one);

  const withProc = config(`global_defs {
  json_version 2
}
vrrp_track_process sshd {
  process sshd -D
  param_match initial
  quorum 2
  quorum_max 3
  weight 10 reverse
  fork_delay 2
}
vrrp_track_process cron {
  process cron
}
${INSTANCE}`);
  const state = (n: string) =>
    n === "sshd" ? { count: 1, up: false, forkPending: true, terminatePending: false } : undefined;
  const dump = JSON.parse(jsonDump(new VrrpRouter(withProc), () => undefined, withProc, state));
  expect(dump.track_process).toEqual([
    {
      process: "sshd",
      parameters: "-D",
      param_match: "initial",
      min_processes: 2,
      max_processes: 3,
      current_processes: 1,
      have_quorum: false,
      weight: -10,
      terminate_delay: 0,
      fork_delay: 2,
      fork_delay_timer_running: true,
      terminate_delay_timer_running: false,
      // parameters imply full_command, as in keepalived's parser
      full_command: true,
    },
    {
      process: "cron",
      param_match: "none",
      min_processes: 1,
      current_processes: 0,
      have_quorum: false,
      weight: 0,
      terminate_delay: 0,
      fork_delay: 0,
      fork_delay_timer_running: false,
      terminate_delay_timer_running: false,
      full_command: false,
    },
  ]);
});

test("SIGUSR1's data: an interfaceless instance's interface is 'not configured', then its VRF (vrrp_data.c dump_vrrp)", () => {
  // dynamic_interfaces: vrf blue need not exist on the machine running the test
  const c = config(`global_defs {
  dynamic_interfaces
}
vrrp_instance VI_1 {
  vrf blue
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.0.0.5
  unicast_peer {
    10.0.0.6
  }
  virtual_ipaddress {
    10.0.0.1/24 dev eth0
  }
}
`);
  const lines = dataText(new VrrpRouter(c), () => undefined, c).split("\n");
  const at = lines.indexOf("   Interface = not configured");
  expect(at).toBeGreaterThan(0);
  expect(lines[at + 1]).toBe("   VRF = blue");
});

test("auth_hmac's counters in the JSON stats: 2.4.3's auth_ext_* keys, in its order, for an auth_hmac instance only", () => {
  // keepalived 2.4.3 vrrp_json.c vrrp_json_stats_dump: after auth_failure, before
  // pri_zero_rcvd (2.2.7 has none; keel gives them to a 2.4 configuration's instance only)
  const c = config(`${INSTANCE}vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  auth_hmac {
    key 1 0123456789abcdef0123456789abcdef
    active_key 1
  }
  virtual_ipaddress {
    10.0.0.2/24
  }
}
`);
  const router = new VrrpRouter(c);
  const hmac = router.instances.get("VI_2")!;
  hmac.stats.auth_ext_invalid_hmac = 3;
  hmac.stats.auth_ext_replay = 1;
  const [plain, withHmac] = JSON.parse(jsonDump(router, () => undefined, c)) as {
    stats: Record<string, number>;
  }[];
  const keys227 = [
    "advert_rcvd",
    "advert_sent",
    "become_master",
    "release_master",
    "packet_len_err",
    "advert_interval_err",
    "ip_ttl_err",
    "invalid_type_rcvd",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
    "pri_zero_rcvd",
    "pri_zero_sent",
  ];
  expect(Object.keys(plain!.stats)).toEqual(keys227);
  expect(Object.keys(withHmac!.stats)).toEqual([
    ...keys227.slice(0, 12),
    "auth_ext_missing",
    "auth_ext_malformed",
    "auth_ext_unknown_key",
    "auth_ext_invalid_hmac",
    "auth_ext_stale",
    "auth_ext_replay",
    ...keys227.slice(12),
  ]);
  expect(withHmac!.stats).toMatchObject({ auth_ext_invalid_hmac: 3, auth_ext_replay: 1, auth_ext_missing: 0 });
});

test("auth_data in the JSON data: the auth_pass cut to 8, after auth_type, only with authentication (vrrp_json.c vrrp_json_auth_dump)", () => {
  const c = config(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  authentication {
    auth_type PASS
    auth_pass secret123
  }
  virtual_ipaddress {
    10.0.0.1/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    10.0.0.2/24
  }
}
`);
  const [withAuth, without] = JSON.parse(jsonDump(new VrrpRouter(c), () => undefined, c)) as {
    data: Record<string, unknown>;
  }[];
  const keys = Object.keys(withAuth!.data);
  expect(keys.slice(-2)).toEqual(["auth_type", "auth_data"]);
  expect(withAuth!.data).toMatchObject({ auth_type: 1, auth_data: "secret12" });
  expect(without!.data.auth_type).toBe(0);
  expect("auth_data" in without!.data).toBe(false);
});

test("v3_checksum_as_v2 in SIGUSR1's data: 2.4.3's global and VRRPv3/IPv4 instance lines, only in a configuration that names it", () => {
  // keepalived 2.4.3 global_data.c dump_global_data and vrrp_data.c dump_vrrp, as 2.4.3
  // wrote them for this configuration (Router ID line, then this one; Preempt delay, then
  // this one, then Debug level; no line for a VRRPv2 or an IPv6 instance)
  const inst = (n: number, extra: string, vip = `10.0.0.${n}/24`) => `vrrp_instance VI_${n} {
  interface eth0
  virtual_router_id ${50 + n}
  priority 100
${extra}
  virtual_ipaddress {
    ${vip}
  }
}
`;
  const named = config(
    `global_defs {\n  vrrp_version 3\n}\n` +
      inst(1, "  preempt_delay 3\n  debug 2\n  v3_checksum_as_v2") +
      inst(2, "") +
      inst(3, "  version 2") +
      inst(4, "", "fe80::4/64"),
  );
  const lines = dataText(new VrrpRouter(named), () => undefined, named).split("\n");
  const at = (l: string) => lines.indexOf(l);
  expect(at(" Use VRRPv2 checksum for VRRPv3 IPv4 = no")).toBe(at(" Router ID = (none)") + 1);
  expect(lines.filter((l) => l.includes("VRRPv2 checksum"))).toEqual([
    " Use VRRPv2 checksum for VRRPv3 IPv4 = no",
    "   VRRPv3 uses VRRPv2 checksum = enabled",
    "   VRRPv3 uses VRRPv2 checksum = disabled",
  ]);
  expect(lines.slice(at("   Preempt delay = 3 secs"), at("   Debug level = 2") + 1)).toEqual([
    "   Preempt delay = 3 secs",
    "   VRRPv3 uses VRRPv2 checksum = enabled",
    "   Debug level = 2",
  ]);
  const global = config(`global_defs {\n  vrrp_version 3\n  v3_checksum_as_v2\n}\n${inst(1, "")}`);
  expect(dataText(new VrrpRouter(global), () => undefined, global)).toContain(
    " Use VRRPv2 checksum for VRRPv3 IPv4 = yes\n",
  );
  expect(dataText(new VrrpRouter(global), () => undefined, global)).toContain(
    "   VRRPv3 uses VRRPv2 checksum = enabled\n",
  );
  // a 2.2.7 configuration (no v3_checksum_as_v2): 2.2.7's lines, none of these
  const plain = config(`global_defs {\n  vrrp_version 3\n}\n${inst(1, "")}`);
  expect(dataText(new VrrpRouter(plain), () => undefined, plain)).not.toContain("VRRPv2 checksum");
});

test("a dump replaces the name whole: mode 0600, a planted symlink replaced and not followed, no temporary left", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-dump-"));
  try {
    const victim = join(dir, "victim");
    writeFileSync(victim, "keep\n");
    const path = join(dir, "keepalived.json");
    symlinkSync(victim, path);
    writeDumpFile(path, "[]");
    expect(readFileSync(victim, "utf8")).toBe("keep\n");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("[]");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeDumpFile(path, "[1]");
    expect(readFileSync(path, "utf8")).toBe("[1]");
    expect(readdirSync(dir).sort()).toEqual(["keepalived.json", "victim"]);
    // a directory that cannot take the file: the error reaches the caller, nothing is left
    expect(() => writeDumpFile(join(dir, "missing", "keepalived.json"), "[]")).toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(["keepalived.json", "victim"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
