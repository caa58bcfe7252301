/**
 * Debian's net-snmp daemons as the SNMP tests run them, shared by the namespace lab
 * (snmp-lab.ts) and the VM guest's checker block (test/vm/guest/snmp-checker.ts, run by
 * bun inside the VM on the shared tree): `snmpd` as the AgentX master agent on a unix
 * socket, SNMP on 127.0.0.1 (community `public` reads, `private` writes), its traps to
 * `snmptrapd` on 127.0.0.1:1162, which prints each numerically (-On) on one line. No MIB
 * files are loaded (MIBS empty), so every line is numeric. Pure: configuration text and
 * command lines, to run wherever the caller's namespace is.
 */

export const TRAP_PORT = 1162;

/** snmpd.conf: the AgentX master on `agentx`, SNMP on 127.0.0.1:`port`, traps to snmptrapd. */
export function snmpdConf(o: { agentx: string; port: number; agentxTimeoutS?: number }): string {
  return [
    "master agentx",
    `agentXSocket unix:${o.agentx}`,
    `agentaddress udp:127.0.0.1:${o.port}`,
    "rocommunity public 127.0.0.1",
    "rwcommunity private 127.0.0.1",
    ...(o.agentxTimeoutS === undefined ? [] : [`agentXTimeout ${o.agentxTimeoutS}`]),
    `trap2sink 127.0.0.1:${TRAP_PORT} public`,
    "",
  ].join("\n");
}

/** snmptrapd.conf: log (print) what community `public` sends. */
export const SNMPTRAPD_CONF = "authCommunity log public\n";

/** snmpd in the foreground, logging to stdout ("NET-SNMP version ..." once it serves). */
export function snmpdArgv(conf: string, stateDir: string): string[] {
  return ["env", "MIBS=", `SNMP_PERSISTENT_DIR=${stateDir}`, "snmpd", "-f", "-Lo", "-C", "-c", conf];
}

/** snmptrapd in the foreground on 127.0.0.1:1162, a trap a line on stdout, OIDs numeric. */
export function snmptrapdArgv(conf: string, stateDir: string): string[] {
  return [
    "env",
    "MIBS=",
    `SNMP_PERSISTENT_DIR=${stateDir}`,
    "snmptrapd",
    "-f",
    "-Lo",
    "-On",
    "-C",
    "-c",
    conf,
    `udp:127.0.0.1:${TRAP_PORT}`,
  ];
}

/**
 * A v2 trap as snmptrapd -On prints it: one line of tab-separated varbinds, sysUpTime.0
 * first. The varbinds after sysUpTime.0 (snmpTrapOID.0 first), each `OID = TYPE: value`;
 * undefined for any other line.
 */
export function trapVarbinds(line: string): string[] | undefined {
  return line.startsWith(".1.3.6.1.2.1.1.3.0 ") ? line.split("\t").slice(1) : undefined;
}
