/**
 * Runs INSIDE the IPVS VM, called by lvs-e2e.ts at its end: KEEPALIVED-MIB's checker part
 * end to end, keel against keepalived 2.2.7 on the same config (the fixture
 * test/fixtures/snmp/checker-lvs.conf: one NAT service, a real server whose MISC_CHECK
 * passes, one whose fails once the AgentX session is open) in their own namespace (its own IPVS table), one after the
 * other, through one snmpd (the AgentX master; community `private` writes):
 * - `snmpwalk` of the checker subtree gives the same lines from both, settled (the first
 *   server up, the second down);
 * - `snmpset` of realServerWeight.1.1 to 5: ipvsadm shows weight 5 at once, and the walk
 *   after is the same from both;
 * - the second server's first failure raises the same realServerStateChange (realServerUp
 *   aside: it counts the first server, whose check may flap under emulation);
 * - SIGTERM: the traps of clear_services at snmptrapd (realServerStateChange for the live
 *   server, now down; virtualServerQuorumStateChange with the quorum stopping(3)) are the
 *   same from both (sysUpTime.0 left out).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SNMPTRAPD_CONF, snmpdArgv, snmpdConf, snmptrapdArgv, trapVarbinds } from "../../interop/net-snmp";
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
  /** the traps after SIGTERM, each `snmpTrapOID.0 value | varbind | ...` (sysUpTime.0 left out) */
  stopTraps: string[];
  /** the first realServerStateChange of the second server (its first failure), realServerUp left out */
  rs2Down: string | undefined;
}

/** snmptrapd -On's lines: a v2 trap is one line of tab-separated varbinds, sysUpTime.0 first. */
const trapLines: string[] = [];
async function readTraps(out: ReadableStream<Uint8Array>): Promise<void> {
  let rest = "";
  for await (const chunk of out) {
    rest += new TextDecoder().decode(chunk);
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) {
      const vbs = trapVarbinds(l);
      if (vbs) trapLines.push(vbs.join(" | "));
    }
  }
}
const QUORUM_STOPPING = `${CHECK}.3.1.23 = INTEGER: 3`;

/**
 * One daemon on the config: settled walk, the weight set, ipvsadm, the walk after and the stop's traps.
 * The second server's check passes while `rs2Up` exists: it is removed once the subagent
 * serves that server as up, so its first failure (and its trap) comes after the AgentX
 * session is open whichever daemon starts faster (a failure before it sends no trap).
 */
async function one(name: string, argv: string[], rs2Up: string): Promise<Seen | undefined> {
  const started = trapLines.length;
  writeFileSync(rs2Up, "");
  const p = Bun.spawn(["ip", "netns", "exec", NS, ...argv], { stdout: "pipe", stderr: "pipe" });
  try {
    const registered = await until(
      () => snmp("snmpwalk", `-c public 127.0.0.1 ${CHECK}.4.1.6`).includes(`${CHECK}.4.1.6.1.2 = INTEGER: 1`),
      240_000,
    );
    rmSync(rs2Up, { force: true });
    if (!registered) {
      ko(`${name}: the subagent never served the second real server as up`);
      return undefined;
    }
    // settled: the first server up, the second down, the quorum up (keepalived's checks flap
    // under emulation, MISC_CHECK's timeout being delay_loop's 1 s: every walk waits for these)
    const settled = [
      `${CHECK}.3.1.11.1 = INTEGER: 1`,
      `${CHECK}.3.1.23.1 = INTEGER: 1`,
      `${CHECK}.4.1.6.1.1 = INTEGER: 1`,
      `${CHECK}.4.1.13.1.1 = Gauge32: 0`,
      `${CHECK}.4.1.6.1.2 = INTEGER: 2`,
    ];
    // and stable: the same as the walk before it. A walk is one GetNext per line, each read
    // of the state as it is then, so a walk made while a check changed a server reads the
    // service's columns (virtualServerRealServersUp) before the change and the real server
    // rows after it: one keel walk showed RealServersUp 2 beside rows with one server up,
    // both servers being alive at the start (no alpha) until the second's first failure.
    // keepalived reads its live state the same way; two equal walks in a row prove that
    // none straddled a change.
    let last: string[] = [];
    let walks = 0;
    const stableWalk = (ms: number) => {
      last = [];
      return until(() => {
        const w = snmp("snmpwalk", `-c public 127.0.0.1 ${CHECK}`);
        walks++;
        const stable = settled.every((l) => w.includes(l)) && JSON.stringify(w) === JSON.stringify(last);
        last = w;
        return stable && w;
      }, ms);
    };
    const walk = await stableWalk(240_000);
    if (!walk) {
      const missing = settled.filter((l) => !last.includes(l));
      ko(
        `${name}: the checker walk never settled (${walks} walks; the last lacked ${missing.join(", ") || "nothing"})`,
      );
      return undefined;
    }
    const set = snmp("snmpset", `-c private 127.0.0.1 ${CHECK}.4.1.7.1.1 i 5`);
    const ipvs = await until(() => /10\.99\.0\.11:1\s+Masq\s+5\s/.test(run("ipvsadm -Ln")), 20_000);
    const after = (await stableWalk(120_000)) ?? [];
    const from = trapLines.length;
    p.kill("SIGTERM");
    await p.exited;
    // the quorum's trap is the stop's last (clear_service_vs: the real servers, then the
    // quorum); the traps read after the SIGTERM may still hold a check's flap from before it
    // (the walks block this loop, so snmptrapd's output is read late), and a flap always
    // ends with its quorum trap: the stop's are the real servers' traps right before the
    // stopping quorum's, and that
    await until(() => trapLines.slice(from).some((l) => l.includes(QUORUM_STOPPING)), 30_000);
    const seen = trapLines.slice(from);
    const q = seen.findIndex((l) => l.includes(QUORUM_STOPPING));
    let first = q;
    while (first > 0 && seen[first - 1]?.includes(`OID: ${CHECK}.5.0.1 `)) first--;
    const stopTraps = q < 0 ? seen : seen.slice(first, q + 1);
    // the transition: the second server's first failure (its trap's realServerUp counts the
    // first server, which may flap under emulation: left out)
    const rs2Down = trapLines
      .slice(started)
      .find(
        (l) =>
          l.includes(`OID: ${CHECK}.5.0.1 `) &&
          l.includes(`${CHECK}.4.1.5 = Gauge32: 2 |`) &&
          l.includes(`${CHECK}.4.1.6 = INTEGER: 2 |`),
      )
      ?.split(" | ")
      .filter((v) => !v.startsWith(`${CHECK}.3.1.21 `))
      .join(" | ");
    return { walk, set, after, ipvs: ipvs !== undefined, stopTraps, rs2Down };
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}

export async function snmpCheckerBlock(repo: string, keel: string): Promise<void> {
  const dir = mkdtempSync("/tmp/keel-vm-snmp-");
  const agentx = join(dir, "agentx.sock");
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  const snmpdFile = join(dir, "snmpd.conf");
  // SNMP on the default port, 161 (snmp() names none); the subagents run under
  // emulation: give them time to answer
  writeFileSync(snmpdFile, snmpdConf({ agentx, port: 161, agentxTimeoutS: 10 }));
  writeFileSync(join(dir, "snmptrapd.conf"), SNMPTRAPD_CONF);
  const trapd = Bun.spawn(["ip", "netns", "exec", NS, ...snmptrapdArgv(join(dir, "snmptrapd.conf"), `${dir}/trapd`)], {
    stdout: "pipe",
    stderr: "ignore",
  });
  void readTraps(trapd.stdout);
  const snmpd = Bun.spawn(["ip", "netns", "exec", NS, ...snmpdArgv(snmpdFile, dir)], {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    const conf = join(dir, "checker.conf");
    const fixture = readFileSync(join(repo, "test/fixtures/snmp/checker-lvs.conf"), "utf8");
    const rs2Up = join(dir, "rs2-up");
    writeFileSync(
      conf,
      fixture
        .replace("/run/agentx.sock", agentx)
        .replace("misc_path /bin/false", `misc_path "/usr/bin/test -e ${rs2Up}"`),
    );
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
    const ka = await one("keepalived", ["keepalived", "-n", "-l", "-D", "-G", "-f", conf, ...pids("ka")], rs2Up);
    const kl = await one(
      "keel",
      [keel, "-n", "-l", "-D", "-G", "-f", conf, ...pids("keel"), "--control-socket", `${dir}/keel.sock`],
      rs2Up,
    );
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
    if (kl.rs2Down !== undefined && kl.rs2Down === ka.rs2Down)
      ok("SNMP realServerStateChange at the second server's first failure: keel's is keepalived's");
    else ko(`realServerStateChange at rs2's failure differs:\nkeel: ${kl.rs2Down}\nkeepalived: ${ka.rs2Down}`);
    if (same(kl.stopTraps, ka.stopTraps) && ka.stopTraps.some((l) => l.includes(QUORUM_STOPPING)))
      ok(`SNMP traps at the stop: keel's ${kl.stopTraps.length} are keepalived's (the quorum stopping)`);
    else ko(`traps at the stop differ:\nkeel:\n${kl.stopTraps.join("\n")}\nkeepalived:\n${ka.stopTraps.join("\n")}`);
  } finally {
    snmpd.kill("SIGKILL");
    trapd.kill("SIGKILL");
    sh(`ip netns del ${NS}`);
  }
}

// alone (run-in-vm.sh -- bun test/vm/guest/snmp-checker.ts): this block without lvs-e2e.ts's
if (import.meta.main) {
  const repo = join(import.meta.dir, "../../..");
  await snmpCheckerBlock(repo, join(repo, "dist/keel"));
  finish();
}
