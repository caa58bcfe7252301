/**
 * What keepalived 2.2.7 serves over SNMP, captured: Debian's snmpd as the AgentX master in
 * a lab namespace (its AgentX socket a unix socket in the lab directory, its SNMP port on
 * that namespace's loopback), keepalived -x registering with it, and `snmpwalk` of VRRP-MIB
 * (RFC 2787, 1.3.6.1.2.1.68), VRRPv3-MIB (RFC 6527, 1.3.6.1.2.1.207) and KEEPALIVED-MIB's
 * checker part (1.3.6.1.4.1.9586.100.5.3). The fixtures under test/fixtures/snmp/ are
 * written by this file, never by hand:
 *
 *   bun test/interop/snmp-reference.ts            # all references
 *   bun test/interop/snmp-reference.ts vrrp-mixed # one
 *
 * For each reference NAME it writes NAME.conf (host h1's keepalived.conf, the one walked),
 * NAME-peer.conf (host h2's, when the reference has a peer) and NAME.walk (the three walks
 * in `snmpwalk -On -Ox -Ot -Oe` text). test/interop/snmp-rfc.test.ts runs the same lab
 * with keel in h1's place.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Lab, type Proc, instance } from "../netns/harness";

export const SUBTREES = {
  rfc2787: "1.3.6.1.2.1.68",
  rfc6527: "1.3.6.1.2.1.207",
  checker: "1.3.6.1.4.1.9586.100.5.3",
} as const;

export const FIXTURES = join(import.meta.dir, "../fixtures/snmp");

/** eth0's MAC in lab host h1 (harness.ts: 02:99:00:00:00:0b) and its EUI-64 link-local. */
export const H1_MAC = new Uint8Array([0x02, 0x99, 0, 0, 0, 0x0b]);
export const H1_LINK_LOCAL = "fe80::99:ff:fe00:b";

export interface Reference {
  name: string;
  /** h1's config: global_defs is added (router_id, the SNMP switches, snmp_socket) */
  conf: string;
  /** h2's config, the peer that keeps some of h1's instances BACKUP */
  peer?: string;
  ipv6?: boolean;
  /** h1's log lines that prove the state to walk */
  ready: RegExp[];
  /** h2's log lines that prove it is MASTER before h1 starts (so h1 is BACKUP at once) */
  peerReady?: RegExp[];
  /** needs IPVS: captured inside the VM runner (test/vm/run-in-vm.sh) */
  vm?: boolean;
}

/**
 * VI_1: VRRPv2, IPv4, alone: MASTER (two VIPs: the associated-address table's order).
 * VI_2: VRRPv2, IPv4, nopreempt, PASS auth, h2 at 200: BACKUP (the master's address heard).
 * VI_3: VRRPv3, IPv4, 50 cs adverts, accept: MASTER (also in RFC 6527's tables only).
 * VI_4: VRRPv3, IPv6: MASTER (RFC 6527's IPv6 rows; absent from RFC 2787).
 * VI_5: VRRPv2 with no VIP: in neither MIB (keepalived serves instances with a VIP only).
 */
export const REFERENCES: Reference[] = [
  {
    name: "vrrp-mixed",
    ipv6: true,
    conf: [
      instance({ name: "VI_1", vrid: 51, priority: 150, vips: ["10.99.0.101/32", "10.99.0.100/32"] }),
      instance({
        name: "VI_2",
        vrid: 52,
        priority: 100,
        nopreempt: true,
        authPass: "secret",
        vips: ["10.99.0.102/32"],
      }),
      instance({
        name: "VI_3",
        vrid: 53,
        version: 3,
        priority: 150,
        advertInt: 0.5,
        vips: ["10.99.0.103/32"],
        extra: ["accept"],
      }),
      instance({ name: "VI_4", vrid: 54, version: 3, priority: 150, vips: ["fd00::104/128"] }),
      [
        "vrrp_instance VI_5 {",
        "  state BACKUP",
        "  interface eth0",
        "  virtual_router_id 55",
        "  priority 100",
        "  advert_int 1",
        "}",
        "",
      ].join("\n"),
    ].join(""),
    peer: instance({ name: "VI_2", vrid: 52, priority: 200, authPass: "secret", vips: ["10.99.0.102/32"] }),
    ready: [/\(VI_1\) Entering MASTER STATE/, /\(VI_3\) Entering MASTER STATE/, /\(VI_4\) Entering MASTER STATE/],
    peerReady: [/\(VI_2\) Entering MASTER STATE/],
  },
  {
    // KEEPALIVED-MIB's checker part needs IPVS: keepalived's checker process exits without
    // it ("IPVS: Can't initialize ipvs"), so this reference is captured in the VM runner
    name: "checker-lvs",
    vm: true,
    conf: [
      "virtual_server 10.99.0.100 80 {",
      "  delay_loop 1",
      "  lb_algo wrr",
      "  lb_kind NAT",
      "  protocol TCP",
      "  quorum 2",
      "  snmp_name web",
      "  real_server 10.99.0.11 1 {",
      "    weight 2",
      "    snmp_name up-misc",
      "    MISC_CHECK {",
      "      misc_path /bin/true",
      "    }",
      "  }",
      "  real_server 10.99.0.11 2 {",
      "    weight 3",
      "    MISC_CHECK {",
      "      misc_path /bin/false",
      "    }",
      "  }",
      "}",
      "",
    ].join("\n"),
    ready: [/Removing service \[10\.99\.0\.11\]:tcp:2 /, /Misc check for \[\[10\.99\.0\.11\]:tcp:1 .* succeeded/],
  },
];

export function globalDefs(agentx: string): string {
  return [
    "global_defs {",
    "  router_id ref",
    "  enable_snmp_vrrp",
    "  enable_snmp_checker",
    "  enable_snmp_rfcv2",
    "  enable_snmp_rfcv3",
    "  enable_traps",
    `  snmp_socket unix:${agentx}`,
    "}",
    "",
  ].join("\n");
}

/** The snmp_socket line differs per lab: fixtures hold this placeholder instead. */
export const AGENTX_PLACEHOLDER = "/run/agentx.sock";

/** snmpd as AgentX master in a host, listening for SNMP on that namespace's loopback only. */
export async function startSnmpd(lab: Lab, host: string): Promise<{ agentx: string; proc: Proc }> {
  const dir = lab.tmpdir(`${host}-snmpd`);
  const agentx = join(dir, "agentx.sock");
  const conf = lab.file(
    `${host}-snmpd.conf`,
    [
      "master agentx",
      `agentXSocket unix:${agentx}`,
      "agentaddress udp:127.0.0.1:161",
      "rocommunity public 127.0.0.1",
      // a subagent slowed down (a loaded machine, the VM runner's emulated CPU) still answers
      "agentXTimeout 10",
      "",
    ].join("\n"),
  );
  // MIBDIRS: no MIB files, so nothing but numbers is printed (and no warnings about them)
  const proc = lab.spawn(host, [
    "env",
    `MIBDIRS=${dir}`,
    "MIBS=",
    `SNMP_PERSISTENT_DIR=${dir}`,
    "snmpd",
    "-f",
    "-Lo",
    "-C",
    "-c",
    conf,
    "-p",
    join(dir, "snmpd.pid"),
  ]);
  await proc.waitFor(/NET-SNMP version/);
  return { agentx, proc };
}

/** `snmpwalk -On -Ox -Ot -Oe` of one subtree, through the host's snmpd. */
export function walk(lab: Lab, host: string, subtree: string): string {
  const out = lab.exec(host, [
    "env",
    "MIBDIRS=/nonexistent",
    "MIBS=",
    "snmpwalk",
    "-v2c",
    "-c",
    "public",
    "-On",
    "-Ox",
    "-Ot",
    "-Oe",
    "-t",
    "30",
    "127.0.0.1",
    subtree,
  ]);
  // a subtree nothing serves reads "No Such Object available on this agent at this OID"
  return out
    .split("\n")
    .filter((l) => l !== "" && !/No Such (Object|Instance)|No more variables/.test(l))
    .join("\n");
}

/** Every subtree's walk, one after the other, as the fixture holds them. */
export function walkAll(lab: Lab, host: string): string {
  return `${Object.values(SUBTREES)
    .map((s) => walk(lab, host, s))
    .filter((w) => w !== "")
    .join("\n")}\n`;
}

/** keepalived's AgentX registration lines: the walk is only meaningful once it is registered. */
export const KA_REGISTERED = /AgentX subagent connected/;

async function capture(ref: Reference): Promise<void> {
  const { Lab } = await import("../netns/harness");
  const lab = Lab.create(ref.peer ? ["h1", "h2"] : ["h1"], { ipv6: ref.ipv6 });
  try {
    if (ref.peer) {
      const peer = lab.keepalived("h2", `global_defs {\n  router_id peer\n}\n${ref.peer}`);
      for (const re of ref.peerReady ?? []) await peer.waitFor(re, 30_000);
    }
    const { agentx } = await startSnmpd(lab, "h1");
    const ka = lab.keepalived("h1", globalDefs(agentx) + ref.conf, ["-x"]);
    await ka.waitFor(KA_REGISTERED, 30_000);
    for (const re of ref.ready) await ka.waitFor(re, 30_000);
    let text: string;
    try {
      text = walkAll(lab, "h1");
    } catch (e) {
      throw new Error(`${(e as Error).message}\nkeepalived said:\n${ka.text()}`);
    }
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(join(FIXTURES, `${ref.name}.conf`), globalDefs(AGENTX_PLACEHOLDER) + ref.conf);
    if (ref.peer) writeFileSync(join(FIXTURES, `${ref.name}-peer.conf`), ref.peer);
    writeFileSync(join(FIXTURES, `${ref.name}.walk`), text);
    console.log(`${ref.name}: ${text.split("\n").length - 1} varbinds`);
  } finally {
    lab.destroy();
  }
}

/**
 * A reference that needs IPVS, captured by this file run inside the VM runner
 * (test/vm/run-in-vm.sh: the host's kernel with ip_vs and the host's /usr, so the same
 * keepalived, snmpd and snmpwalk), the repository shared so the fixture lands in it. The
 * running bun is copied beside it: a worktree's node_modules may link outside the share.
 */
async function captureInVm(ref: Reference): Promise<void> {
  const root = join(import.meta.dir, "../..");
  const dir = mkdtempSync(join(tmpdir(), "keel-snmp-ref-"));
  try {
    const bun = join(dir, "bun");
    copyFileSync(realpathSync(process.execPath), bun);
    chmodSync(bun, 0o755);
    const vm = Bun.spawn(
      [
        join(root, "test/vm/run-in-vm.sh"),
        ...["--share", root, "--share", dir, "--timeout", "300", "--"],
        ...[bun, join(import.meta.dir, "snmp-reference.ts"), ref.name],
      ],
      { cwd: root, stdout: "inherit", stderr: "inherit" },
    );
    const code = await vm.exited;
    if (code !== 0) throw new Error(`${ref.name}: the VM run exited with ${code}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const want = process.argv.slice(2);
  // inside the VM runner /proc/net/ip_vs exists: a reference that needs IPVS is captured there
  const hasIpvs = existsSync("/proc/net/ip_vs");
  for (const ref of REFERENCES) {
    if (want.length > 0 && !want.includes(ref.name)) continue;
    if (ref.vm && !hasIpvs) await captureInVm(ref);
    else await capture(ref);
  }
}
