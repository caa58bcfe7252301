/**
 * Which MIB modules keel serves, from keepalived's enable flags: the one list the agent
 * registers from. keepalived 2.2.7 decides it in three places, followed here:
 *
 * - core/global_data.c alloc_global_data: `-x/--snmp` sets enable_snmp_vrrp, _rfcv2,
 *   _rfcv3 and _checker (all four, as if each were in global_defs); `enable_traps` is
 *   never set by `-x`. global_parser.c: `enable_snmp_rfc` sets both RFC flags,
 *   `enable_snmp_keepalived` is enable_snmp_vrrp's old name.
 * - vrrp/vrrp_snmp.c vrrp_snmp_agent_init (the VRRP process, only when it runs):
 *   KEEPALIVED-MIB's vrrp part with enable_snmp_vrrp, VRRP-MIB with rfcv2, VRRPV3-MIB with
 *   rfcv3; the global part (KEEPALIVED-MIB 1) with enable_snmp_vrrp unless the checker
 *   process runs with enable_snmp_checker (vrrp_handles_global_oid): then that one has it.
 * - check/check_daemon.c + check_snmp.c (the checker process, only when it runs):
 *   enable_snmp_checker registers the checker part and the global part.
 *
 * keel runs both sides in one agent, so "the process runs" is: VRRP instances exist (or
 * --all) and not -C; virtual servers exist (or --all) and not -P. The global part is served
 * once whichever side would hold it.
 *
 * Traps (enable_traps): KEEPALIVED-MIB's vrrp notifications need enable_snmp_vrrp too
 * (vrrp_snmp_instance_trap), the RFC ones their own flag, the checker's enable_snmp_checker.
 */
import type { KeelConfig } from "../config/model";
import { keepalivedChecker } from "./keepalived-checker";
import { keepalivedGlobal } from "./keepalived-global";
import { keepalivedVrrp } from "./keepalived-vrrp";
import type { MibModule } from "./mib";
import { vrrpRfc2787 } from "./vrrp-rfc2787";
import { vrrpv3Rfc6527 } from "./vrrpv3-rfc6527";

/** What the command line adds (keepalived -x / -P / -C / --all). */
export interface SnmpCommandLine {
  /** -x/--snmp */
  snmp?: boolean;
  vrrpOnly?: boolean;
  checkOnly?: boolean;
  allSubsystems?: boolean;
}

export interface SnmpFlags {
  vrrp: boolean;
  checker: boolean;
  rfcv2: boolean;
  rfcv3: boolean;
  traps: boolean;
}

/** keepalived's global_data flags after `-x` (alloc_global_data) and global_defs. */
export function snmpFlags(config: KeelConfig, cl: SnmpCommandLine): SnmpFlags {
  const g = config.globalDefs;
  const x = cl.snmp === true;
  return {
    vrrp: g.enableSnmpVrrp || x,
    checker: g.enableSnmpChecker || x,
    rfcv2: g.enableSnmpRfcv2 || x,
    rfcv3: g.enableSnmpRfcv3 || x,
    traps: g.enableTraps,
  };
}

/**
 * The MIB modules outside KEEPALIVED-MIB's global and VRRP parts: VRRP-MIB, VRRPV3-MIB and
 * KEEPALIVED-MIB's checker part. An empty slot would be a module keel does not serve (its
 * flag then registers nothing); all three are served now.
 */
const PROVIDED: {
  vrrpRfc2787: MibModule | undefined;
  vrrpv3Rfc6527: MibModule | undefined;
  keepalivedChecker: MibModule | undefined;
} = {
  vrrpRfc2787,
  vrrpv3Rfc6527,
  keepalivedChecker,
};

export interface EnabledModules {
  modules: MibModule[];
  /** notifications are sent for these modules' events (enable_traps and each one's flag) */
  trapping: MibModule[];
  /** -x or any flag: keepalived starts its subagent then, even with nothing to register */
  agent: boolean;
}

/** The modules to register, in keepalived's order (global, vrrp, RFC v2, RFC v3, checker). */
export function enabledModules(config: KeelConfig, cl: SnmpCommandLine): EnabledModules {
  const f = snmpFlags(config, cl);
  const vrrpRuns = cl.checkOnly !== true && (cl.allSubsystems === true || Object.keys(config.vrrpInstances).length > 0);
  const checkerRuns = cl.vrrpOnly !== true && (cl.allSubsystems === true || config.virtualServers.length > 0);
  const vrrpSide = vrrpRuns && (f.vrrp || f.rfcv2 || f.rfcv3 || cl.snmp === true);
  const checkerSide = checkerRuns && f.checker;
  const modules: MibModule[] = [];
  const trapping: MibModule[] = [];
  const add = (m: MibModule | undefined, on: boolean): void => {
    if (m === undefined || !on) return;
    modules.push(m);
    if (f.traps) trapping.push(m);
  };
  add(keepalivedGlobal, (vrrpRuns && f.vrrp) || checkerSide);
  add(keepalivedVrrp, vrrpRuns && f.vrrp);
  add(PROVIDED.vrrpRfc2787, vrrpRuns && f.rfcv2);
  add(PROVIDED.vrrpv3Rfc6527, vrrpRuns && f.rfcv3);
  add(PROVIDED.keepalivedChecker, checkerSide);
  return { modules, trapping, agent: vrrpSide || checkerSide };
}
