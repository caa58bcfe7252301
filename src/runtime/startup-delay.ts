/**
 * vrrp_startup_delay and vrrp_delay_after_boot: how long after start no instance may
 * become MASTER by timeout. keepalived (global_parser.c, 2.4's vrrp_delay_after_boot_handler)
 * takes the larger of the two, the boot delay counted from the host's boot (/proc/uptime),
 * so a daemon started late after boot is not delayed by it at all.
 */
import type { GlobalDefs } from "../config/global/model";
// libc, not node:fs: its evaluation was 17% of a daemon's start (DESIGN.md rule 6)
import { readTextFile } from "../../native-bindings/file";

/** Seconds since boot, or undefined when /proc/uptime cannot be read (the boot delay is then ignored, as keepalived). */
export function readUptime(): number | undefined {
  try {
    const v = Number.parseFloat(readTextFile("/proc/uptime"));
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The delay in ms; `uptime` in seconds. */
export function startupDelayMs(
  g: Pick<GlobalDefs, "vrrpStartupDelay" | "vrrpDelayAfterBoot">,
  uptime: number | undefined,
): number {
  const afterBoot =
    g.vrrpDelayAfterBoot !== undefined && uptime !== undefined ? Math.max(0, g.vrrpDelayAfterBoot - uptime) : 0;
  return Math.round(Math.max(g.vrrpStartupDelay, afterBoot) * 1000);
}
