/**
 * Every pitfall `keel lint` knows, by stable code: its severity, whether one host's
 * configuration is enough to see it (those also appear in `keel -t` and at daemon start),
 * and the fix docs/lint.md documents at length. A code never changes meaning; a new
 * pitfall gets a new code (test/unit/lint/codes.test.ts keeps this table and the doc page
 * in step).
 */
import type { Severity } from "../config/diagnostics";

export interface LintCode {
  severity: Severity;
  /** seen in one host's configuration: reported by `keel -t` too */
  single: boolean;
  /** one line: what to change */
  fix: string;
}

export const LINT_CODES = {
  "nopreempt-weights": {
    severity: "warning",
    single: true,
    fix: "use weight 0 on the check (FAULT moves the VIP even under nopreempt), or drop nopreempt and use preempt_delay",
  },
  "nopreempt-master": {
    severity: "warning",
    single: true,
    fix: "set state BACKUP on every host that has nopreempt",
  },
  "weight-too-small": {
    severity: "warning",
    single: false,
    fix: "make |weight| larger than the gap between the master's priority and the best backup's (or use weight 0)",
  },
  "weight-always-flips": {
    severity: "warning",
    single: false,
    fix: "give every host the same tracker weights, or set the priorities so the host meant to be master wins with all checks up",
  },
  "strict-no-accept": {
    severity: "warning",
    single: true,
    fix: "add `accept` (with version 3; strict VRRPv2 resets it), or drop vrrp_strict",
  },
  "strict-mode": {
    severity: "warning",
    single: true,
    fix: "remove the setting vrrp_strict refuses, or drop vrrp_strict",
  },
  "advert-int-mismatch": {
    /** an error for VRRPv2 (adverts dropped: two masters), a warning for VRRPv3 */
    severity: "warning",
    single: false,
    fix: "use the same advert_int on every host of the virtual router",
  },
  "version-mismatch": {
    severity: "error",
    single: false,
    fix: "use the same vrrp_version / version on every host of the virtual router",
  },
  "checksum-mismatch": {
    severity: "error",
    single: false,
    fix: "set v3_checksum_as_v2 on every host of the virtual router or on none",
  },
  "auth-mismatch": {
    severity: "error",
    single: false,
    fix: "use the same authentication block (auth_type and the first 8 characters of auth_pass) on every host",
  },
  "vip-mismatch": {
    severity: "error",
    single: false,
    fix: "list the same virtual_ipaddress entries on every host of the virtual router",
  },
  "vrid-mismatch": {
    severity: "error",
    single: false,
    fix: "use the same virtual_router_id for the instance on every host",
  },
  "duplicate-vrid": {
    severity: "error",
    single: false,
    fix: "give each virtual router on the segment its own virtual_router_id",
  },
  "unicast-peers": {
    severity: "error",
    single: false,
    fix: "list every other host's unicast_src_ip (or primary address) in unicast_peer, and nothing else",
  },
  "slow-script-failover": {
    severity: "warning",
    single: true,
    fix: "lower the script's interval or fall (and timeout), or accept the computed failover time",
  },
  "priority-tie": {
    severity: "warning",
    single: false,
    fix: "give the host meant to be master a higher priority than every other host",
  },
} satisfies Record<string, LintCode>;

export type LintCodeName = keyof typeof LINT_CODES;

export function lintCode(code: string): LintCode | undefined {
  return (LINT_CODES as Record<string, LintCode>)[code];
}
