/**
 * global_defs `disable_local_igmp`, as keepalived 2.2.7's VRRP process applies it
 * (vrrp/vrrp_daemon.c set_disable_local_igmp / reset_disable_local_igmp): no IGMP reports
 * for link-local groups (224.0.0.0/24, so 224.0.0.18, VRRP's) from this network namespace,
 * by net.ipv4.igmp_link_local_mcast_reports (a per-namespace sysctl).
 *
 * - at start (not at a reload), before the VRRP sockets join their groups: the file's first
 *   byte is kept, and when it is '1' a '0' is written;
 * - at stop (vrrp_terminate_phase2, after the instances): the '1' is written back, only if
 *   it was '1';
 * - a file that cannot be opened, read or written: "Unable to ... - errno N", and the
 *   setting counts as off (nothing to restore);
 * - a reload cannot change it (main.c reload_config: namespace-start.ts unsupportedReloadChanges).
 */
import type { Logger } from "./log";
// node:fs on first use only: not on the path to the first advert (DESIGN.md rule 6)
import { nodeFs } from "../../native-bindings/file";

export const IGMP_LINK_LOCAL_MCAST_REPORTS = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/** errno of a node:fs error (its negative `errno`), as keepalived logs it */
const errnoOf = (e: unknown): number => Math.abs((e as { errno?: number }).errno ?? 0);

/** What `set` found: the byte to write back at stop, or undefined (nothing to restore). */
export type SavedIgmp = "1" | undefined;

/** set_disable_local_igmp */
export function setDisableLocalIgmp(log: Logger, path = IGMP_LINK_LOCAL_MCAST_REPORTS): SavedIgmp {
  let fd: number;
  try {
    fd = nodeFs().openSync(path, "r+");
  } catch (e) {
    log.info(`Unable to open ${path} - errno ${errnoOf(e)}`);
    return undefined;
  }
  try {
    const b = Buffer.alloc(1);
    let n: number;
    try {
      n = nodeFs().readSync(fd, b, 0, 1, 0);
    } catch (e) {
      log.info(`Unable to read ${path} - errno ${errnoOf(e)}`);
      return undefined;
    }
    if (n !== 1) {
      log.info(`Unable to read ${path} - errno 0`);
      return undefined;
    }
    if (b.toString("latin1") !== "1") return undefined;
    try {
      nodeFs().writeSync(fd, "0", 0);
    } catch (e) {
      log.info(`Unable to write ${path} - errno ${errnoOf(e)}`);
      return undefined;
    }
    return "1";
  } finally {
    nodeFs().closeSync(fd);
  }
}

/** reset_disable_local_igmp */
export function resetDisableLocalIgmp(saved: SavedIgmp, log: Logger, path = IGMP_LINK_LOCAL_MCAST_REPORTS): void {
  if (saved !== "1") return;
  let fd: number | undefined;
  try {
    fd = nodeFs().openSync(path, "r+");
    nodeFs().writeSync(fd, saved, 0);
  } catch (e) {
    log.info(`Unable to write ${path} - errno ${errnoOf(e)}`);
  } finally {
    if (fd !== undefined) nodeFs().closeSync(fd);
  }
}
