/**
 * Debian's net-snmp in a lab host, for the SNMP tests: `snmpd` as the AgentX master agent
 * (on a unix socket in the host's temp dir, SNMP on 127.0.0.1:1161 inside the namespace),
 * `snmptrapd` receiving its traps on 127.0.0.1:1162 and printing them numerically (both as
 * net-snmp.ts sets them up), and `snmpwalk`/`snmpbulkwalk` to read, `snmpset` (community
 * `private`) to write. No MIB files are loaded (MIBS empty), so every line is numeric
 * (-On) and strings show as net-snmp prints them without a MIB.
 */
import { join } from "node:path";
import type { Lab, Proc } from "../netns/harness";
import { SNMPTRAPD_CONF, snmpdArgv, snmpdConf, snmptrapdArgv, trapVarbinds } from "./net-snmp";

/**
 * What may differ, and why: the version string (keepalived's own); isAdvertised of the
 * addresses of every instance after the first, which keepalived 2.2.7 serves as false(2)
 * for all of them (vrrp_snmp.c vrrp_header_ar_table sets `adv` back to 1 only when it
 * enters the first instance), where keel serves the truth.
 */
export function normalise(lines: string[]): string[] {
  return lines
    .filter((l) => l.trim() !== "")
    .map((l) => l.replace(/^(\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.1\.1\.0 = STRING: ).*/, "$1VERSION"))
    .filter((l) => !/^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.6\.1\.11\.([2-9]|\d\d+)\./.test(l));
}

const SNMP_PORT = 1161;

export interface Trap {
  /** snmpTrapOID.0's value, e.g. ".1.3.6.1.4.1.9586.100.5.2.10.0.2" */
  trapOid: string;
  /** the varbinds after sysUpTime.0 and snmpTrapOID.0, as `OID = TYPE: value` */
  varbinds: string[];
}

export class SnmpLab {
  /** the AgentX socket snmpd listens on (snmp_socket / -A) */
  readonly agentx: string;
  snmpd!: Proc;
  trapd!: Proc;
  private readonly dir: string;

  constructor(
    private readonly lab: Lab,
    private readonly host: string,
  ) {
    this.dir = lab.tmpdir(host);
    this.agentx = join(this.dir, "agentx.sock");
    lab.file(`${host}-snmpd.conf`, snmpdConf({ agentx: this.agentx, port: SNMP_PORT }));
    lab.file(`${host}-snmptrapd.conf`, SNMPTRAPD_CONF);
  }

  /** Start both daemons; resolves once each has said it runs. */
  async start(): Promise<void> {
    this.trapd = this.lab.spawn(
      this.host,
      snmptrapdArgv(join(this.lab.dir, `${this.host}-snmptrapd.conf`), `${this.dir}/trapd-state`),
    );
    await this.trapd.waitFor(/NET-SNMP version/, 20_000);
    await this.startSnmpd();
  }

  async startSnmpd(): Promise<void> {
    this.snmpd = this.lab.spawn(
      this.host,
      snmpdArgv(join(this.lab.dir, `${this.host}-snmpd.conf`), `${this.dir}/snmpd-state`),
    );
    await this.snmpd.waitFor(/NET-SNMP version/, 20_000);
  }

  async stopSnmpd(): Promise<void> {
    this.snmpd.kill("SIGTERM");
    await this.snmpd.exited;
  }

  /** `snmpwalk -On` (GetNext) or `snmpbulkwalk -On` (GetBulk) of a subtree, one line per varbind. */
  walk(root: string, bulk = false): string[] {
    const out = this.lab.exec(this.host, [
      "env",
      "MIBS=",
      bulk ? "snmpbulkwalk" : "snmpwalk",
      "-On",
      "-v2c",
      "-c",
      "public",
      "-t",
      "5",
      `127.0.0.1:${SNMP_PORT}`,
      root,
    ]);
    return out.split("\n").filter((l) => l.trim() !== "");
  }

  /**
   * `snmpset -On` of `OID TYPE VALUE` triples in one PDU: the set lines on success, else
   * net-snmp's error ("Reason: wrongValue (...)" and the failed object), as one string.
   */
  set(...vbs: [string, "i" | "u" | "s", string | number][]): { ok: boolean; text: string } {
    const r = Bun.spawnSync(
      [
        "ip",
        "netns",
        "exec",
        this.lab.ns(this.host),
        "env",
        "MIBS=",
        "snmpset",
        "-On",
        "-v2c",
        "-c",
        "private",
        "-t",
        "5",
        `127.0.0.1:${SNMP_PORT}`,
        ...vbs.flatMap(([oid, type, value]) => [oid, type, String(value)]),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { ok: r.exitCode === 0, text: `${r.stdout.toString()}${r.stderr.toString()}`.trim() };
  }

  /** Every trap snmptrapd printed so far (line index `from` on), in arrival order. */
  traps(from = 0): Trap[] {
    return this.trapd.lines.slice(from).flatMap((l) => {
      const vbs = trapVarbinds(l.text);
      return vbs ? [{ trapOid: (vbs[0] ?? "").replace(/^.* = OID: /, ""), varbinds: vbs.slice(1) }] : [];
    });
  }
}
