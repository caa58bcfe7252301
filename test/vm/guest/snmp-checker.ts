/**
 * Runs INSIDE the IPVS VM, called by lvs-e2e.ts at its end: KEEPALIVED-MIB's checker part
 * end to end, keel against keepalived 2.2.7 on the same config (the fixture
 * test/fixtures/snmp/checker-lvs.conf: one NAT service, a real server whose MISC_CHECK
 * passes, one whose fails) in their own namespace (its own IPVS table), one after the
 * other, through one snmpd (the AgentX master; community `private` writes):
 * - `snmpwalk` of the checker subtree gives the same lines from both, settled (the first
 *   server up, the second down);
 * - `snmpset` of realServerWeight.1.1 to 5: ipvsadm shows weight 5 at once, and the walk
 *   after is the same from both.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { finish, ko, ok, sh } from "./report";

const CHECK = ".1.3.6.1.4.1.9586.100.5.3";
const NS = "snmpck";
const run = (cmd: string) => sh(`ip netns exec ${NS} ${cmd}`);
const snmp = (tool: string, args: string) =>
  run(`env MIBS= MIBDIRS=/nonexistent ${tool} -On -v2c -t 10 -r 2 ${args}`)
    .split("\n")
    .filter((l) => l.trim() !== "");

async function until<T>(cond: () => T | false, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const v = cond();
      if (v !== false) return v;
    } catch {
      // snmpd or the subagent not there yet
    }
    await Bun.sleep(200);
  }
  return undefined;
}

interface Seen {
  walk: string[];
  set: string[];
  after: string[];
  ipvs: boolean;
}

/** One daemon on the config: settled walk, the weight set, ipvsadm and the walk after. */
async function one(name: string, argv: string[]): Promise<Seen | undefined> {
  const p = Bun.spawn(["ip", "netns", "exec", NS, ...argv], { stdout: "pipe", stderr: "pipe" });
  try {
    // settled: the first server up, the second down, the quorum up (keepalived's checks flap
    // under emulation, MISC_CHECK's timeout being delay_loop's 1 s: every walk waits for these)
    const settled = [
      `${CHECK}.3.1.11.1 = INTEGER: 1`,
      `${CHECK}.3.1.23.1 = INTEGER: 1`,
      `${CHECK}.4.1.6.1.1 = INTEGER: 1`,
      `${CHECK}.4.1.13.1.1 = Gauge32: 0`,
      `${CHECK}.4.1.6.1.2 = INTEGER: 2`,
      // virtualServerRealServersUp: one (keel's walk once showed 2 here beside the rows'
      // up/down, keepalived's 1)
      `${CHECK}.3.1.21.1 = Gauge32: 1`,
    ];
    const walk = await until(() => {
      const w = snmp("snmpwalk", `-c public 127.0.0.1 ${CHECK}`);
      return settled.every((l) => w.includes(l)) && w;
    }, 240_000);
    if (!walk) {
      ko(`${name}: the checker walk never settled`);
      return undefined;
    }
    const set = snmp("snmpset", `-c private 127.0.0.1 ${CHECK}.4.1.7.1.1 i 5`);
    const ipvs = await until(() => /10\.99\.0\.11:1\s+Masq\s+5\s/.test(run("ipvsadm -Ln")), 20_000);
    const after =
      (await until(() => {
        const w = snmp("snmpwalk", `-c public 127.0.0.1 ${CHECK}`);
        return settled.every((l) => w.includes(l)) && w;
      }, 120_000)) ?? [];
    return { walk, set, after, ipvs: ipvs !== undefined };
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}

export async function snmpCheckerBlock(repo: string, keel: string): Promise<void> {
  const dir = mkdtempSync("/tmp/keel-vm-snmp-");
  const agentx = join(dir, "agentx.sock");
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  const snmpdConf = join(dir, "snmpd.conf");
  writeFileSync(
    snmpdConf,
    [
      "master agentx",
      `agentXSocket unix:${agentx}`,
      "agentaddress udp:127.0.0.1:161",
      "rocommunity public 127.0.0.1",
      "rwcommunity private 127.0.0.1",
      // the subagents run under emulation: give them time to answer
      "agentXTimeout 10",
      "",
    ].join("\n"),
  );
  const snmpd = Bun.spawn(
    [
      "ip",
      "netns",
      "exec",
      NS,
      "env",
      "MIBS=",
      `SNMP_PERSISTENT_DIR=${dir}`,
      "snmpd",
      "-f",
      "-Lo",
      "-C",
      "-c",
      snmpdConf,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  try {
    const conf = join(dir, "checker.conf");
    const fixture = readFileSync(join(repo, "test/fixtures/snmp/checker-lvs.conf"), "utf8");
    writeFileSync(conf, fixture.replace("/run/agentx.sock", agentx));
    const pids = (who: string) => [
      "-p",
      `${dir}/${who}.pid`,
      "-r",
      `${dir}/${who}-v.pid`,
      "-c",
      `${dir}/${who}-c.pid`,
      "-b",
      `${dir}/${who}-b.pid`,
    ];
    const ka = await one("keepalived", ["keepalived", "-n", "-l", "-D", "-G", "-f", conf, ...pids("ka")]);
    const kl = await one("keel", [
      keel,
      "-n",
      "-l",
      "-D",
      "-G",
      "-f",
      conf,
      ...pids("keel"),
      "--control-socket",
      `${dir}/keel.sock`,
    ]);
    if (!ka || !kl) return;
    const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);
    if (same(kl.walk, ka.walk) && kl.walk.length > 50)
      ok(`SNMP checker walk: keel's ${kl.walk.length} lines are keepalived's`);
    else
      ko(
        `SNMP checker walk differs:\n${kl.walk.filter((l) => !ka.walk.includes(l)).join("\n")}\nkeepalived:\n${ka.walk.filter((l) => !kl.walk.includes(l)).join("\n")}`,
      );
    if (ka.ipvs && kl.ipvs && same(kl.set, ka.set)) ok("SNMP realServerWeight set to 5: IPVS has weight 5 under both");
    else ko(`realServerWeight set: keepalived ${ka.ipvs} ${ka.set}, keel ${kl.ipvs} ${kl.set}`);
    if (same(kl.after, ka.after) && kl.after.includes(`${CHECK}.4.1.7.1.1 = INTEGER: 5`))
      ok("SNMP checker walk after the set: the same, weight 5");
    else
      ko(
        `walk after the set differs:\n${kl.after.filter((l) => !ka.after.includes(l)).join("\n")}\nkeepalived:\n${ka.after.filter((l) => !kl.after.includes(l)).join("\n")}`,
      );
  } finally {
    snmpd.kill("SIGKILL");
    sh(`ip netns del ${NS}`);
  }
}

// alone (run-in-vm.sh -- bun test/vm/guest/snmp-checker.ts): this block without lvs-e2e.ts's
if (import.meta.main) {
  const repo = join(import.meta.dir, "../../..");
  await snmpCheckerBlock(repo, join(repo, "dist/keel"));
  finish();
}
