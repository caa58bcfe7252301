/**
 * The files keepalived writes on its signals, in its formats (tools such as
 * keepalived-exporter parse them): SIGUSR2 → $TMPDIR/keepalived.stats
 * (vrrp_print_stats in vrrp_print.c). keel adds $TMPDIR/keel.stats.json beside it with
 * every counter it keeps, including the ones keepalived 2.2's text does not print
 * (checksum, version, VRID errors, packets dropped before an instance).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VrrpRouter } from "../vrrp/router";

export function statsText(router: VrrpRouter): string {
  const out: string[] = [];
  for (const inst of router.instances.values()) {
    const s = inst.stats;
    out.push(
      `VRRP Instance: ${inst.name}`,
      "  Advertisements:",
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      "  Packet Errors:",
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      "  Authentication Errors:",
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      "  Priority Zero:",
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
    );
  }
  return `${out.join("\n")}\n`;
}

export function statsJson(router: VrrpRouter, driverDropped: Record<string, number>): string {
  const instances: Record<string, unknown> = {};
  for (const inst of router.instances.values())
    instances[inst.name] = { state: inst.state, priority: inst.effectivePriority, master: inst.masterAddress ?? null, stats: inst.stats };
  return `${JSON.stringify({ instances, dropped: { ...router.stats.dropped, unknown_vrid: router.stats.unknown_vrid, ...driverDropped } }, null, 2)}\n`;
}

/** keepalived writes its dumps under TMPDIR (default /tmp), mode 0600. */
export function writeStats(router: VrrpRouter, driverDropped: Record<string, number>): string {
  const dir = process.env.TMPDIR || tmpdir();
  const path = join(dir, "keepalived.stats");
  writeFileSync(path, statsText(router), { mode: 0o600 });
  writeFileSync(join(dir, "keel.stats.json"), statsJson(router, driverDropped), { mode: 0o600 });
  return path;
}
