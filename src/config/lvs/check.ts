/**
 * Cross-block checks of the LVS part, after the whole file is read. They follow
 * keepalived's check_data.c validate_check_config and the end handlers that need other
 * blocks (vs_end_handler, rs_end_handler, bfd_name_handler, track_file_handler).
 * Where keepalived repairs the configuration and carries on, we warn and say what it
 * does; where it drops something, we report an error.
 */
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
import { isLinkLocal6 } from "../../base/ip";
import { type Family, canonicalIp, familyOf } from "./addr";
import {
  type ConnOpts,
  type RealServer,
  type VirtualServer,
  effectiveLvsMethod,
  effectivePort,
  effectiveWeight,
} from "./model";

function describe(vs: VirtualServer): string {
  const s = vs.service;
  if (s.kind === "group") return `group ${s.group}`;
  if (s.kind === "fwmark") return `fwmark ${s.fwmark}`;
  return describeRs(s);
}

function describeRs(rs: { ip: string; port?: number }): string {
  if (rs.port === undefined) return rs.ip;
  return familyOf(rs.ip) === 6 ? `[${rs.ip}]:${rs.port}` : `${rs.ip}:${rs.port}`;
}

/**
 * The address family of the service (vs_end_handler, rs_end_handler): from its address,
 * `ip_family`, its group's addresses, else its first non-tunnelled real/sorry server.
 */
function serviceFamily(cfg: KeelConfig, vs: VirtualServer): Family | undefined {
  if (vs.service.kind === "address") return familyOf(vs.service.ip);
  if (vs.ipFamily) return vs.ipFamily === "inet" ? 4 : 6;
  if (vs.service.kind === "group") {
    const g = cfg.virtualServerGroups[vs.service.group];
    for (const e of g?.entries ?? []) {
      if (e.kind === "range") return familyOf(e.first);
      if (e.family) return e.family === "inet" ? 4 : 6;
    }
  }
  return undefined;
}

function checkConn(c: Ctx, rs: RealServer, co: ConnOpts, at: object): void {
  const loc = c.origins.get(at) ?? c.origins.get(rs);
  if (!loc) return;
  const dst = co.connectIp ?? rs.ip;
  if (co.bindto && familyOf(co.bindto) !== familyOf(dst)) {
    if (co.connectIp)
      c.error(
        loc,
        "family-mismatch",
        `bindto ${co.bindto} and connect_ip ${co.connectIp} are not of the same address family; keepalived ignores the later one`,
      );
    else
      c.error(
        loc,
        "family-mismatch",
        `bindto ${co.bindto} is not of the same address family as real server ${rs.ip}; the checker cannot connect`,
      );
  }
  // check_conn_opts()
  if (isLinkLocal6(dst) && !co.bindIf) {
    const why = "is IPv6 link-local and needs 'bind_if'; keepalived ignores this checker";
    c.error(loc, "missing-keyword", `checker target ${dst} ${why}`);
  }
}

function checkVirtualServer(
  c: Ctx,
  cfg: KeelConfig,
  vs: VirtualServer,
  trackFiles: Record<string, unknown> | undefined,
): void {
  const at = c.origins.get(vs);
  if (!at) return;
  const name = describe(vs);
  const svc = vs.service;
  const group = svc.kind === "group" ? cfg.virtualServerGroups[svc.group] : undefined;

  if (svc.kind === "group" && !group) {
    c.error(at, "unknown-group", `virtual_server group '${svc.group}': no virtual_server_group of that name`);
    return;
  }
  const hasFwmark = svc.kind === "fwmark" || (group?.entries.some((e) => e.kind === "fwmark") ?? false);
  const hasAddress = svc.kind === "address" || (group?.entries.some((e) => e.kind === "range") ?? false);

  // ip_family_handler: the family must agree with the service address
  if (vs.ipFamily && svc.kind === "address" && familyOf(svc.ip) !== (vs.ipFamily === "inet" ? 4 : 6))
    c.error(
      at,
      "family-mismatch",
      `virtual_server ${name}: ip_family ${vs.ipFamily} conflicts with the service address`,
    );

  if (vs.haSuspend && hasFwmark)
    c.warning(
      at,
      "ha-suspend-fwmark",
      `virtual_server ${name}: ha_suspend cannot be used with fwmarks; keepalived clears it`,
    );

  if (hasAddress) {
    if (!vs.protocol)
      c.warning(at, "no-protocol", `virtual_server ${name}: no protocol set; keepalived defaults to UDP`);
    if (vs.ops && (vs.protocol ?? "UDP") !== "UDP")
      c.warning(
        at,
        "ops-not-udp",
        `virtual_server ${name}: one-packet scheduling (ops) requires UDP; keepalived clears it`,
      );
    const portless =
      svc.kind === "address"
        ? svc.port === undefined
        : (group?.entries.some((e) => e.kind === "range" && e.port === undefined) ?? false);
    if (vs.persistenceTimeout === undefined && vs.persistenceGranularity === undefined && portless)
      c.warning(
        at,
        "zero-port",
        `virtual_server ${name}: a service without a port is only valid when persistent; keepalived sets persistence_timeout ${360}`,
      );
  } else if (vs.protocol)
    c.warning(at, "protocol-fwmark", `virtual_server ${name}: protocol is ignored for a fwmark service`);

  // lbflags_handler: sh-*/mh-* flags only for their scheduler
  for (const [flag, key, sched] of [
    ["sh-port", "shPort", "sh"],
    ["sh-fallback", "shFallback", "sh"],
    ["mh-port", "mhPort", "mh"],
    ["mh-fallback", "mhFallback", "mh"],
  ] as const)
    if (vs[key] && vs.lbAlgo !== sched)
      c.error(
        at,
        "scheduler-flag",
        `virtual_server ${name}: '${flag}' only applies to the ${sched} scheduler (lvs_sched is ${vs.lbAlgo})`,
      );

  // families: non-tunnelled real and sorry servers must match the service
  let family = serviceFamily(cfg, vs);
  const servers: { s: { ip: string; port?: number; lvsMethod?: VirtualServer["lvsMethod"] }; what: string }[] = [
    ...vs.realServers.map((rs) => ({ s: rs, what: `real server ${describeRs(rs)}` })),
  ];
  if (vs.sorryServer) servers.push({ s: vs.sorryServer, what: `sorry server ${describeRs(vs.sorryServer)}` });
  const skipped = new Set<object>();
  for (const { s, what } of servers) {
    if (effectiveLvsMethod(vs, s).method === "TUN") continue;
    const f = familyOf(s.ip);
    if (family === undefined) family = f;
    else if (f !== family) {
      skipped.add(s);
      c.error(
        c.origins.get(s) ?? at,
        "family-mismatch",
        `virtual_server ${name}: ${what} is IPv${f} but the service is IPv${family}; keepalived skips it`,
      );
    }
  }

  // duplicates (validate_check_config: "real server ... is duplicated - removing second rs")
  const seen = new Map<string, RealServer>();
  let weightSum = 0;
  for (const rs of vs.realServers) {
    if (skipped.has(rs)) continue;
    const rsAt = c.origins.get(rs) ?? at;
    // compare the addresses IPVS gets, after keepalived's port fix-ups
    const port = effectivePort(vs, rs);
    const key = `${canonicalIp(rs.ip)}|${port ?? 0}`;
    const first = seen.get(key);
    if (first) {
      const firstAt = c.origins.get(first);
      c.error(
        rsAt,
        "duplicate-real-server",
        `virtual_server ${name}: real server ${describeRs({ ip: rs.ip, port })} is duplicated; keepalived removes this one`,
        firstAt
          ? [
              firstAt.file === rsAt.file
                ? `first declared at line ${firstAt.line}`
                : `first declared at ${firstAt.file}:${firstAt.line}:${firstAt.col}`,
            ]
          : undefined,
      );
      continue;
    }
    seen.set(key, rs);
    weightSum += effectiveWeight(vs, rs);

    if (rs.uthreshold && rs.lthreshold !== undefined && rs.lthreshold > rs.uthreshold)
      c.warning(
        rsAt,
        "threshold-order",
        `real server ${describeRs(rs)}: lthreshold ${rs.lthreshold} is above uthreshold ${rs.uthreshold}`,
      );

    // ports: unless NAT, real and virtual ports must match; fwmark services take no port
    const method = effectiveLvsMethod(vs, rs).method;
    if (method !== "NAT" && rs.port !== undefined) {
      if (hasFwmark)
        c.warning(
          rsAt,
          "port-ignored",
          `virtual_server ${name}: real server ${describeRs(rs)} has a port, which a ${method} fwmark service ignores`,
        );
      if (svc.kind === "address" && svc.port !== undefined && svc.port !== rs.port)
        c.warning(
          rsAt,
          "port-mismatch",
          `virtual_server ${name}: ${method} real server port ${rs.port} differs from the service port; keepalived uses ${svc.port}`,
        );
      for (const e of group?.entries ?? [])
        if (e.kind === "range" && e.port !== rs.port)
          c.error(
            rsAt,
            "port-mismatch",
            `virtual_server ${name}: ${method} real server port ${rs.port} differs from group entry port ${e.port ?? "(none)"}`,
          );
    }

    for (const ck of rs.checkers) {
      const ckAt = c.origins.get(ck) ?? rsAt;
      if (ck.type === "BFD_CHECK") {
        const b = cfg.bfdInstances[ck.name];
        if (!b) c.error(ckAt, "unknown-bfd", `BFD_CHECK names bfd_instance '${ck.name}', which is not defined`);
        else if (b.vrrp && !b.checker)
          c.error(ckAt, "unknown-bfd", `BFD_CHECK names bfd_instance '${ck.name}', which only sends events to vrrp`);
      } else if (ck.type === "FILE_CHECK") {
        if (trackFiles && !(ck.trackFile in trackFiles))
          c.error(ckAt, "unknown-track-file", `FILE_CHECK names track_file '${ck.trackFile}', which is not defined`);
      } else if (ck.type !== "MISC_CHECK") {
        checkConn(c, rs, ck, ck);
        if (ck.type === "SMTP_CHECK") for (const h of ck.hosts) checkConn(c, rs, h, h);
      }
    }
  }

  // the sorry server port follows the same rule as real servers
  const ss = vs.sorryServer;
  if (
    ss &&
    ss.port !== undefined &&
    effectiveLvsMethod(vs, ss).method !== "NAT" &&
    svc.kind === "address" &&
    svc.port !== undefined &&
    ss.port !== svc.port
  )
    c.warning(
      c.origins.get(ss) ?? at,
      "port-mismatch",
      `virtual_server ${name}: sorry server port ${ss.port} differs from the service port; keepalived uses ${svc.port}`,
    );

  if (vs.quorum > weightSum)
    c.warning(
      at,
      "quorum-unreachable",
      `virtual_server ${name}: quorum ${vs.quorum} exceeds the total weight of the real servers (${weightSum}); keepalived lowers it to ${weightSum}`,
    );
  const quorum = Math.min(vs.quorum, weightSum);
  if (vs.hysteresis >= quorum && !(vs.hysteresis === 0 && quorum === 0))
    c.warning(
      at,
      "hysteresis",
      `virtual_server ${name}: hysteresis ${vs.hysteresis} >= quorum ${quorum}; keepalived uses ${Math.max(quorum - 1, 0)}`,
    );
}

export function checkLvs(config: KeelConfig, c: Ctx, _host: HostFacts): void {
  // track_file blocks belong to another area of the model; check against them when present
  const trackFiles = (config as unknown as { trackFiles?: Record<string, unknown> }).trackFiles;
  for (const vs of config.virtualServers) checkVirtualServer(c, config, vs, trackFiles);
}
