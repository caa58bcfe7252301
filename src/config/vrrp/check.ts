import { valuesOf } from "../../base/values";
import { didYouMean } from "../diagnostics";
/**
 * Checks across VRRP blocks, after the whole file is read. They follow what keepalived
 * reports at the end of parsing (vrrp.c chk_min_cfg, vrrp_complete_instance,
 * vrrp_sync.c vrrp_sync_set_group, vrrp_track.c alloc_track_*), each with its own code
 * and pointing at the declaration that is wrong.
 */
import type { SourceLoc } from "../diagnostics";
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
import type { Script } from "../script";
import { keyLength, vridAt } from "./instance";
import { lvsSyncDaemonOf, lvsSyncInstance } from "./lvs-syncd";
import type { AuthHmac, TrackRef, Tracking, VirtualAddress, VrrpInstance } from "./model";
import type { Family } from "./net/common";

const NOWHERE: SourceLoc = { file: "", line: 0, col: 0 };
/** An advert's "Count IPvX Addr" is one byte (RFC 5798 5.2.5; keepalived VRRP_MAX_ADDR) */
const MAX_ADVERT_ADDRESSES = 255;

/** A global_defs value by model name, if the global part defines it (it is written in parallel). */
function ipFamily(a: string): Family {
  return a.includes(":") ? 6 : 4;
}

/** The instance's address family as keepalived settles it: native_ipv6, else the first VIP, else the first address given. */
export function instanceFamily(v: VrrpInstance): Family {
  if (v.nativeIpv6) return 6;
  const first =
    v.virtualIpaddress[0]?.family ?? v.unicastSrcIp ?? v.mcastSrcIp ?? v.unicastPeers[0]?.address ?? v.mcastDstIp;
  if (first === undefined) return 4;
  return typeof first === "number" ? first : ipFamily(first);
}

/** VRRP version in effect: the instance's, else 3 for IPv6, else global vrrp_version (default 2). */
export function effectiveVersion(config: KeelConfig, v: VrrpInstance): 2 | 3 {
  if (v.version) return v.version;
  if (instanceFamily(v) === 6) return 3;
  return config.globalDefs.vrrpVersion === 3 ? 3 : 2;
}

export function usesUnicast(v: VrrpInstance): boolean {
  return (
    v.unicastPeers.length > 0 ||
    v.unicastFaultNoPeer ||
    v.checkUnicastSrc ||
    v.unicastSrcIp !== undefined ||
    v.oldUnicastChecksum !== undefined
  );
}

const INSTANCE_SCRIPTS = [
  "notifyMaster",
  "notifyBackup",
  "notifyFault",
  "notifyStop",
  "notify",
  "notifyMasterRxLowerPri",
] as const;

/**
 * auth_hmac `file:` keys as keepalived reads them at load (vrrp_auth_hmac_read_key_file):
 * the file must open and hold at most 139 bytes, a trailing line end is dropped, the value
 * must decode to 32..64 bytes; a file group or others can read is a security warning.
 * A key left out this way can leave the extension without its active key (disabled).
 */
function checkKeyFiles(
  c: Ctx,
  at: (o: object) => SourceLoc,
  who: string,
  ah: AuthHmac,
  readSecret: NonNullable<HostFacts["readSecret"]>,
): void {
  for (const k of ah.keys) {
    if (!k.value.startsWith("file:")) continue;
    const path = k.value.slice(5);
    const got = readSecret(path);
    if (!got) {
      c.error(at(k), "auth-hmac-key-file", `${who} auth_hmac key file '${path}' cannot be opened`);
      continue;
    }
    if (got.mode & 0o077)
      c.warning(at(k), "auth-hmac-key-file", `${who} auth_hmac key file '${path}' is readable by group or others`);
    if (got.text.length > 139) {
      c.error(at(k), "auth-hmac-key-file", `${who} auth_hmac key file '${path}' is too large`);
      continue;
    }
    const text = got.text.replace(/[\r\n]+$/, "");
    const len = /^hex:([0-9a-f]{2})*$/i.test(text) || !text.startsWith("hex:") ? (keyLength(text) ?? 0) : 0;
    if (len < 32 || len > 64)
      c.error(
        at(k),
        "out-of-range",
        `${who} auth_hmac key ${k.id} length ${len} not in range [32, 64] (from '${path}')`,
      );
  }
}

export function checkVrrp(config: KeelConfig, c: Ctx, host: HostFacts): void {
  const at = (o: object | undefined): SourceLoc => (o && c.origins.get(o)) || NOWHERE;
  const strictGlobal = config.globalDefs.vrrpStrict;

  // keepalived 2.2.7 if_get_by_ifname(IF_CREATE_IF_DYNAMIC): without dynamic_interfaces an
  // interface that does not exist marks the configuration (non_existent_interface_specified)
  // and the VRRP process stops on it ("Non-existent interface specified in configuration",
  // vrrp_daemon.c start_vrrp), at start and at a reload; with it the interface is waited for
  // ("... will use if created") and its instances stay in FAULT until it appears.
  const ifaceWarn = (name: string | undefined, where: object, what: string) => {
    if (name === undefined || config.globalDefs.dynamicInterfaces || host.interfaceExists(name) !== false) return;
    c.error(
      at(where),
      "unknown-interface",
      `${what}: interface '${name}' doesn't exist; keepalived (and keel) will not run this configuration unless global_defs has dynamic_interfaces, which waits for it in FAULT`,
    );
  };

  // --- references from tracking blocks ------------------------------------
  const bfdInstances = (config as unknown as Record<string, unknown>).bfdInstances as
    | Record<string, unknown>
    | undefined;
  const checkRefs = (owner: string, ownerObj: object, t: Tracking) => {
    // declaration order is the order origins were recorded in (blocks are read in file order)
    const ownerSeq = c.origins.order(ownerObj);
    const ref = (refs: TrackRef[], table: Record<string, object> | undefined, kind: string, code: string) => {
      for (const r of refs) {
        const target = table?.[r.name];
        if (table && (!target || (kind === "bfd" && isCheckerOnlyBfd(target)))) {
          const guess = table ? didYouMean(r.name, Object.keys(table)) : undefined;
          c.error(
            at(r),
            code,
            `${owner}: track_${kind} '${r.name}' names no ${kind === "script" ? "vrrp_script" : kind === "process" ? "vrrp_track_process" : kind === "bfd" ? "bfd_instance" : "track_file"}${guess ? `; did you mean '${guess}'?` : ""}`,
          );
        } else if (
          target &&
          ownerSeq !== undefined &&
          // a bfd_instance's order was never compared: keel does not say a track_bfd is defined later
          kind !== "bfd" &&
          (c.origins.order(target) ?? -1) > ownerSeq
        ) {
          const where = at(target);
          c.error(
            at(r),
            "track-defined-later",
            `${owner}: track_${kind} '${r.name}' is defined after this block; keepalived resolves it while reading and would ignore it`,
            [`defined here: ${where.file}:${where.line}:${where.col}`],
          );
        }
      }
    };
    ref(t.trackScripts, config.vrrpScripts, "script", "unknown-track-script");
    ref(t.trackFiles, config.trackFiles, "file", "unknown-track-file");
    ref(t.trackProcesses, config.vrrpTrackProcesses, "process", "unknown-track-process");
    // bfd_instance belongs to another part of the model; check only when it is there
    ref(t.trackBfds, bfdInstances as Record<string, object> | undefined, "bfd", "unknown-track-bfd");
    for (const ti of t.trackInterfaces) ifaceWarn(ti.name, ti, `${owner} track_interface`);
  };

  // --- sync groups ----------------------------------------------------------
  const memberOf = new Map<string, string>();
  for (const g of Object.values(config.vrrpSyncGroups)) {
    checkRefs(`vrrp_sync_group ${g.name}`, g, g);
    let found = 0;
    for (const name of g.group) {
      if (!config.vrrpInstances[name]) {
        c.error(at(g), "unknown-instance", `vrrp_sync_group ${g.name}: vrrp_instance '${name}' does not exist`);
        continue;
      }
      const other = memberOf.get(name);
      if (other !== undefined) {
        c.error(
          at(g),
          "instance-in-two-sync-groups",
          `vrrp_sync_group ${g.name}: vrrp_instance ${name} is already in sync group ${other}; an instance can be in one sync group only`,
        );
        continue;
      }
      memberOf.set(name, g.name);
      found++;
    }
    if (found === 1)
      c.warning(
        at(g),
        "sync-group-single",
        `vrrp_sync_group ${g.name} has only one vrrp_instance; this probably isn't what you want`,
      );
  }

  // --- lvs_sync_daemon_interface (keepalived vrrp_lvs_syncd_handler): the first one, and only without global lvs_sync_daemon
  const syncd = lvsSyncDaemonOf(config);
  const syncInstance = lvsSyncInstance(config);
  for (const v of Object.values(config.vrrpInstances))
    if (v.lvsSyncDaemonInterface !== undefined && v !== syncInstance)
      c.warning(
        at(v),
        "duplicate",
        `(${v.name}) lvs_sync_daemon_interface has already been specified as ${syncd?.interface} - ignoring`,
      );

  // --- track groups and static addresses/routes/rules ---------------------
  for (const tg of Object.values(config.trackGroups)) {
    for (const name of tg.group)
      if (!config.vrrpInstances[name])
        c.error(at(tg), "unknown-instance", `track_group ${tg.name}: vrrp_instance '${name}' does not exist`);
  }
  const checkTrackGroup = (o: { trackGroup?: string }, what: string) => {
    if (o.trackGroup === undefined) return;
    const tg = config.trackGroups[o.trackGroup];
    if (!tg) c.error(at(o), "unknown-track-group", `${what}: track_group '${o.trackGroup}' is not defined`);
    else if ((c.origins.order(tg) ?? -1) > (c.origins.order(o) ?? Number.POSITIVE_INFINITY))
      c.error(
        at(o),
        "track-defined-later",
        `${what}: track_group '${o.trackGroup}' is defined after this line; keepalived would not find it`,
      );
  };
  for (const a of config.staticIpaddresses) {
    checkTrackGroup(a, "static_ipaddress");
    ifaceWarn(a.dev, a, "static_ipaddress");
    checkLabel(c, a, a.dev, at(a), "static_ipaddress");
  }
  for (const r of config.staticRoutes) {
    checkTrackGroup(r, "static_routes");
    ifaceWarn(r.dev, r, "static_routes");
  }
  for (const r of config.staticRules) {
    checkTrackGroup(r, "static_rules");
    ifaceWarn(r.iif, r, "static_rules");
    ifaceWarn(r.oif, r, "static_rules");
  }
  for (const g of config.garpGroups) {
    ifaceWarn(g.interface, g, "garp_group");
    for (const i of g.interfaces ?? []) ifaceWarn(i, g, "garp_group interfaces");
  }

  // --- instances ------------------------------------------------------------
  const used = new Set<string>();
  for (const v of Object.values(config.vrrpInstances)) {
    const where = at(v);
    const who = `(${v.name})`;
    checkRefs(`vrrp_instance ${v.name}`, v, v);
    for (const s of v.trackScripts) used.add(s.name);
    const strict = v.strictMode ?? strictGlobal;

    if (v.virtualRouterId === 0 && !c.saw(v, "virtual_router_id"))
      c.error(where, "missing-vrid", `${who} virtual_router_id must be set`);

    const unicast = usesUnicast(v);
    if (v.interface === undefined && !c.saw(v, "interface")) {
      const source = v.unicastSrcIp ?? v.mcastSrcIp;
      if (!unicast)
        c.error(where, "missing-interface", `${who} no interface given (only unicast instances may leave it out)`);
      else if (source === undefined && !v.useIpvlan?.address)
        c.error(where, "missing-interface", `${who} a unicast instance without an interface needs unicast_src_ip`);
      else {
        // keepalived 2.2.7 chk_min_cfg tests VRRP_FLAG_UNICAST before vrrp_complete_instance
        // sets it, so it refuses every instance without an interface ("Unknown interface!");
        // 2.2.8 tests UNICAST_CONFIGURED (commit 75f30737, its issue #2270) and runs it. keel
        // runs it as 2.2.8 does: a peer on 2.2.7 cannot have the same configuration.
        c.warning(
          where,
          "no-interface-keepalived",
          `${who} keepalived 2.2.7 refuses an instance without an interface ("Unknown interface!", fixed in 2.2.8); keel runs it as 2.2.8 does, its adverts sent and received on a socket bound to ${source ?? "its address"}`,
        );
        // vrrp_complete_instance: "Non link-local address required if interface omitted"
        if (source !== undefined && /^fe[89ab]/i.test(source))
          c.error(
            where,
            "missing-interface",
            `${who} unicast_src_ip ${source} is link-local: a non link-local address is required if interface is omitted`,
          );
        // vrrp_complete_instance: a VIP/eVIP goes on its dev, else the instance's interface;
        // with neither it is dropped ("no interface for vip %s - removing"): the engine
        // leaves it out (vrrp/params.ts), the model keeps what was written
        for (const [list, e] of [
          [v.virtualIpaddress, ""],
          [v.virtualIpaddressExcluded, "e"],
        ] as const)
          for (const a of list)
            if (a.dev === undefined)
              c.warning(
                at(a),
                "vip-no-interface",
                `${who} no interface for ${e}vip ${a.address} - removing (give it dev)`,
              );
      }
      if (v.useVmac) c.error(where, "vmac-needs-interface", `${who} use_vmac needs an interface`);
    }
    ifaceWarn(v.interface, v, `${who} interface`);
    // vrrp.c vrrp_complete_instance: a VRF binds an interfaceless unicast instance's
    // socket; given with an interface (after it: the parser already ignored it) or without
    // unicast peers it is cleared. A VRF that does not exist stops keepalived as an
    // unknown interface does (vrrp_vrf_handler: if_get_by_ifname IF_CREATE_IF_DYNAMIC).
    if (v.vrf !== undefined) {
      if (v.interface !== undefined || v.unicastPeers.length === 0) {
        c.warning(
          where,
          "vrf-ignored",
          `${who} vrf can only be specified with${v.interface !== undefined ? "out interface" : " unicast"} - clearing`,
        );
        v.vrf = undefined;
      } else if (host.isLoopback?.(v.vrf) === true)
        // vrrp_parser.c vrrp_vrf_handler (2.2.7 and 2.4.3): a loopback (hw_type
        // ARPHRD_LOOPBACK) is refused with a config error, so keepalived -t fails on it
        // (2.2.7 refuses the interfaceless instance anyway); the daemons run without the
        // VRF (the driver's vrfFor says it again, with the links it reads at run time)
        c.warning(where, "vrf-ignored", `${who} cannot use a loopback interface (${v.vrf}) for VRF - ignoring`);
      else ifaceWarn(v.vrf, v, `${who} vrf`);
    }

    // vrrp.c vrrp_complete_instance: a multicast IPv6 instance's first VIP should be link
    // local (RFC 5798 5.2.9: an IPv6 advert's first address is the link-local one);
    // keepalived logs it, or in strict mode reports a config error, and runs either way
    const firstVip = v.virtualIpaddress[0];
    if (
      instanceFamily(v) === 6 &&
      v.unicastPeers.length === 0 &&
      firstVip?.family === 6 &&
      !/^fe[89ab]/i.test(firstVip.address)
    )
      c.warning(
        at(firstVip),
        "ipv6-first-vip",
        `${who} the first IPv6 VIP address ${strict ? "must" : "should"} be link local`,
      );

    // vrrp.c vrrp_complete_instance (deprecated after v2.2.4): unicast_src_ip and the
    // other unicast keywords without a peer leave the instance on multicast
    // (an empty unicast_peer block counts: vrrp_unicast_peer_handler sets UNICAST_CONFIGURED)
    const unicastConfigured = unicast || c.saw(v, "unicast_peer");
    if (unicastConfigured && v.unicastPeers.length === 0 && !v.unicastFaultNoPeer)
      c.warning(
        where,
        "unicast-without-peers",
        `${who} a unicast keyword is set but there are no unicast peers; the instance uses multicast (keepalived deprecates this: add unicast_peer, or remove the unicast keywords)`,
      );
    // vrrp_parser.c vrrp_end_handler: VMAC/ipvlan with unicast sends from the base interface
    if (unicastConfigured && (v.useVmac || v.useIpvlan) && !v.vmacXmitBase && v.interface !== undefined) {
      c.warning(
        where,
        "vmac-xmit-base",
        `${who} unicast with use_vmac requires vmac_xmit_base; keepalived sets it, and so does keel`,
      );
      v.vmacXmitBase = true;
    }
    // vrrp.c: "vmac_xmit_base is only valid with a vmac", and keepalived clears it
    if (v.vmacXmitBase && !v.useVmac) {
      c.warning(where, "vmac-xmit-base", `${who} vmac_xmit_base is only valid with use_vmac; ignored`);
      v.vmacXmitBase = false;
    }
    // vrrp_parser.c vrrp_end_handler: "Cannot use unicast_ttl without unicast peers - resetting"
    if (v.unicastTtl !== undefined && v.unicastPeers.length === 0) {
      c.warning(where, "unicast-ttl", `${who} unicast_ttl without unicast peers is ignored, as keepalived does`);
      v.unicastTtl = undefined;
    }
    // keepalived sets an IPv6 unicast advert's hop limit per packet (IPV6_HOPLIMIT cmsg);
    // keel's IPv6 socket has one hop limit, 255, for every instance on it
    if (v.unicastTtl !== undefined && instanceFamily(v) === 6) {
      c.warning(where, "unicast-ttl", `${who} unicast_ttl is applied to IPv4 only; IPv6 adverts keep hop limit 255`);
      v.unicastTtl = undefined;
    }
    // vrrp.c: an IPv4 ipvlan needs its own address ("IPv4 ipvlan requires a source ip
    // address to be configured. setting instance to fault state")
    if (v.useIpvlan && v.useIpvlan.address === undefined && instanceFamily(v) === 4)
      c.warning(
        where,
        "ipvlan-address",
        `${who} an IPv4 use_ipvlan needs an address (use_ipvlan NAME ADDRESS/PREFIX); keepalived keeps such an instance in FAULT`,
      );
    // vrrp.c vrrp_complete_instance: "Ignoring track_interface %s since own interface"
    for (const r of v.trackInterfaces)
      if (v.interface !== undefined && r.name === v.interface)
        c.warning(
          at(r),
          "track-own-interface",
          `${who} track_interface ${r.name} is ignored: it is the instance's own interface, which is always tracked`,
        );

    // families
    const fam = instanceFamily(v);
    for (const a of v.virtualIpaddress) {
      if (a.family !== fam)
        c.error(
          at(a),
          "vip-family-mismatch",
          `${who} virtual_ipaddress ${a.address} is IPv${a.family} but the instance is IPv${fam}; keepalived ignores it — put it in virtual_ipaddress_excluded`,
        );
    }
    // vrrp.c vrrp_complete_instance: an advert's address count is one byte, so past 255
    // VIPs keepalived advertises the first 255 and moves the rest to the excluded VIPs
    // ("Number of VIPs (%u) exceeds maximum/space available in packet ... excess moved to
    // eVIPs"); it also lowers the bound to what the interface's MTU holds, which only the
    // running host knows (IPv6 at MTU 1500: 89). keel's encoder refused the advert instead.
    if (v.virtualIpaddress.length > MAX_ADVERT_ADDRESSES) {
      const moved = v.virtualIpaddress.splice(MAX_ADVERT_ADDRESSES);
      c.warning(
        at(moved[0]),
        "vips-exceed-advert",
        `${who} ${moved.length + MAX_ADVERT_ADDRESSES} VIPs exceed the ${MAX_ADVERT_ADDRESSES} an advert carries; the last ${moved.length} are installed but not advertised (moved to virtual_ipaddress_excluded), as keepalived does`,
      );
      v.virtualIpaddressExcluded.push(...moved);
    }
    const famCheck = (addr: string | undefined, what: string) => {
      if (addr !== undefined && ipFamily(addr) !== fam)
        c.error(
          where,
          "family-mismatch",
          `${who} ${what} ${addr} is IPv${ipFamily(addr)} but the instance is IPv${fam}`,
        );
    };
    famCheck(v.unicastSrcIp, "unicast_src_ip");
    famCheck(v.mcastSrcIp, "mcast_src_ip");
    famCheck(v.mcastDstIp, "mcast_dst_ip");
    for (const p of v.unicastPeers)
      if (ipFamily(p.address) !== fam)
        c.error(
          at(p),
          "family-mismatch",
          `${who} unicast_peer ${p.address} is IPv${ipFamily(p.address)} but the instance is IPv${fam}`,
        );
    if (v.mcastDstIp !== undefined && v.unicastPeers.length > 0)
      c.warning(where, "mcast-with-unicast", `${who} mcast_dst_ip is ignored with unicast peers`);

    // version and advert interval
    const version = effectiveVersion(config, v);
    if (version === 2 && fam === 6)
      c.error(where, "ipv6-needs-v3", `${who} VRRP version 2 cannot be used with IPv6; use version 3`);
    if (version === 2) {
      if (!Number.isInteger(v.advertInt))
        c.warning(
          where,
          "advert-int-rounded",
          `${who} VRRPv2 advert_int ${v.advertInt} must be whole seconds; keepalived rounds it to ${Math.max(1, Math.round(v.advertInt))}`,
        );
    } else {
      if (v.advertInt > 40.95)
        c.error(where, "advert-int-range", `${who} VRRPv3 advert_int ${v.advertInt} is out of range [0.01, 40.95]`);
      else if (Math.abs(v.advertInt * 100 - Math.round(v.advertInt * 100)) > 1e-6)
        c.warning(
          where,
          "advert-int-rounded",
          `${who} VRRPv3 advert_int ${v.advertInt} must be in units of 10 ms; keepalived rounds it`,
        );
    }

    // authentication
    if (v.authentication) {
      const auth = v.authentication;
      if (strict) c.warning(where, "auth-ignored", `${who} strict mode does not support authentication; it is ignored`);
      else if (version === 3)
        c.warning(where, "auth-ignored", `${who} VRRP version 3 does not support authentication; it is ignored`);
      else if (auth.authType !== undefined && !auth.authPass)
        c.warning(where, "auth-ignored", `${who} authentication without auth_pass is ignored`);
      else if (auth.authType === "AH" && fam === 6)
        c.warning(where, "auth-ignored", `${who} AH authentication cannot be used with IPv6; it is ignored`);
      else if (auth.authType === "AH" && v.state === "MASTER" && v.priority !== 255)
        c.warning(
          where,
          "ah-master",
          `${who} initial state MASTER is incompatible with AH authentication; BACKUP is used`,
        );
      if (v.authHmac)
        c.warning(
          where,
          "auth-ignored",
          `${who} auth_hmac cannot be combined with authentication; authentication is dropped`,
        );
    }
    if (v.authHmac) {
      const ah = v.authHmac;
      if (ah.keys.length === 0) c.error(at(ah), "auth-hmac-no-key", `${who} auth_hmac has no key`);
      else if (ah.activeKey === undefined)
        c.error(at(ah), "auth-hmac-no-active-key", `${who} auth_hmac needs active_key`);
      else if (!ah.keys.some((k) => k.id === ah.activeKey))
        c.error(at(ah), "auth-hmac-no-active-key", `${who} auth_hmac active_key ${ah.activeKey} is not a defined key`);
      if (strict && ah.mode !== "enforce")
        c.warning(at(ah), "auth-hmac-mode", `${who} strict mode requires auth_hmac mode enforce`);
      if (host.readSecret) checkKeyFiles(c, at, who, ah, host.readSecret);
    }

    // preemption and ownership
    if (v.nopreempt && v.state === "MASTER")
      c.warning(where, "nopreempt-master", `${who} nopreempt needs state BACKUP; with state MASTER it is ignored`);
    if (v.priority === 255 && v.nopreempt)
      c.warning(
        where,
        "owner-nopreempt",
        `${who} nopreempt is incompatible with priority 255 (address owner); it is ignored`,
      );
    if (v.priority === 255 && v.state === "BACKUP")
      c.warning(
        where,
        "owner-backup",
        `${who} priority 255 (address owner) with state BACKUP: the owner should start as MASTER`,
      );
    if (v.preemptDelay > 0 && v.state === "MASTER")
      c.warning(where, "preempt-delay-master", `${who} preempt_delay does not work with state MASTER; it is ignored`);
    else if (v.preemptDelay > 0 && v.nopreempt)
      c.warning(where, "preempt-delay-nopreempt", `${who} preempt_delay is incompatible with nopreempt; it is ignored`);
    else if (v.preemptDelay > 0 && strict)
      c.warning(where, "strict-mode", `${who} preempt_delay is incompatible with strict mode; it is ignored`);
    if (v.timerExpiredBackup !== undefined && !v.nopreempt)
      c.warning(where, "timer-expired-backup", `${who} timer_expired_backup requires nopreempt; it is ignored`);
    if (v.ownerIgnoreAdverts === true && v.priority !== 255)
      c.warning(where, "owner-ignore-adverts", `${who} owner_ignore_adverts is ignored since priority is not 255`);
    if (strict && v.downTimerAdverts !== undefined && v.downTimerAdverts !== 3)
      c.warning(where, "strict-mode", `${who} down_timer_adverts is incompatible with strict mode; 3 is used`);
    if (strict && v.unicastPeers.length > 0)
      c.warning(where, "strict-mode", `${who} unicast peers are not supported in strict mode`);

    // addresses
    if (v.virtualIpaddress.length === 0 && !v.noVirtualIpaddress && !c.saw(v, "virtual_ipaddress"))
      c.warning(
        where,
        "no-vip",
        `${who} no virtual_ipaddress given; at least one is sensible (no_virtual_ipaddress silences this)`,
      );
    for (const list of [v.virtualIpaddress, v.virtualIpaddressExcluded]) {
      for (const a of list) {
        ifaceWarn(a.dev, a, `${who} address ${a.address}`);
        checkLabel(c, a, a.dev ?? v.interface, at(a), `${who} address ${a.address}`);
      }
    }
    for (const r of v.virtualRoutes) ifaceWarn(r.dev, r, `${who} virtual_routes`);
    for (const r of v.virtualRules) {
      ifaceWarn(r.iif, r, `${who} virtual_rules`);
      ifaceWarn(r.oif, r, `${who} virtual_rules`);
    }

    // trackers of an address owner or a sync group member must be unweighted
    const group = memberOf.get(v.name);
    const sgWeights = group !== undefined && config.vrrpSyncGroups[group]?.syncGroupTrackingWeight;
    if (v.priority === 255 || (group !== undefined && !sgWeights)) {
      const reason = v.priority === 255 ? "priority is 255 (address owner)" : `it is in sync group ${group}`;
      const weighted = (r: { weight?: number }) => r.weight !== undefined && r.weight !== 0;
      const scriptWeight = (r: TrackRef) => r.weight ?? config.vrrpScripts[r.name]?.weight ?? 0;
      for (const r of v.trackInterfaces)
        if (weighted(r))
          c.warning(at(r), "weight-ignored", `${who} weight of track_interface ${r.name} is ignored since ${reason}`);
      for (const r of v.trackScripts)
        if (config.vrrpScripts[r.name] && scriptWeight(r) !== 0)
          c.warning(at(r), "weight-ignored", `${who} weight of track_script ${r.name} is ignored since ${reason}`);
    }
  }

  // duplicate VRIDs on one interface and family (same multicast group, or shared unicast peers)
  const seen = new Map<string, VrrpInstance>();
  for (const v of Object.values(config.vrrpInstances)) {
    if (v.virtualRouterId === 0) continue;
    const fam = instanceFamily(v);
    const unicast = v.unicastPeers.length > 0;
    const keys = unicast
      ? v.unicastPeers.map((p) => `u|${v.interface ?? ""}|${fam}|${v.virtualRouterId}|${p.address}`)
      : [`m|${v.interface ?? ""}|${fam}|${v.virtualRouterId}|${v.mcastDstIp ?? ""}`];
    for (const k of keys) {
      const other = seen.get(k);
      if (other && other !== v) {
        // keepalived vrrp.c: "A and B both use VRID 5 with IPv4 on interface eth1"
        c.error(
          vridAt.get(v) ?? at(v),
          "duplicate-vrid",
          `(${v.name}) virtual_router_id ${v.virtualRouterId} is also used by ${other.name} with IPv${fam} on ${v.interface ?? "the same interface"}${unicast ? " with the same unicast peer" : ""}`,
          [
            `${other.name} sets virtual_router_id ${other.virtualRouterId} here: ${formatAt(vridAt.get(other) ?? at(other))}`,
          ],
        );
        break;
      }
      seen.set(k, v);
    }
  }

  // a script's own user and group (vrrp_script `user`, `notify_* SCRIPT USER [GROUP]`):
  // keepalived looks them up while parsing (lib/notify.c set_script_uid_gid) and drops the
  // script when that fails ("Unable to set uid/gid for script")
  const userCheck = (s: Script | undefined, what: string, owner: object) => {
    if (s?.user === undefined) return;
    const where = c.origins.get(s) ?? at(owner);
    if (!/^\d+$/.test(s.user) && host.userExists?.(s.user) === false)
      c.warning(
        where,
        "unknown-user",
        `${what}: user '${s.user}' does not exist on this host; keepalived drops the script`,
      );
    if (s.group !== undefined && !/^\d+$/.test(s.group) && host.groupExists?.(s.group) === false)
      c.warning(
        where,
        "unknown-group",
        `${what}: group '${s.group}' does not exist on this host; keepalived drops the script`,
      );
  };
  for (const s of valuesOf(config.vrrpScripts)) userCheck(s.script, `vrrp_script ${s.name}`, s);
  for (const v of Object.values(config.vrrpInstances))
    for (const k of INSTANCE_SCRIPTS) userCheck(v[k], `(${v.name}) ${k}`, v);

  // the sync groups' scripts count as used too (gathered once: scripts × groups was quadratic)
  for (const g of Object.values(config.vrrpSyncGroups)) for (const r of g.trackScripts) used.add(r.name);
  for (const s of valuesOf(config.vrrpScripts)) {
    // one per vrrp_script name, and the message names it: never a duplicate (Diagnostics.distinct)
    if (!used.has(s.name)) c.diags.distinct("warning", at(s), "unused-script", `vrrp_script ${s.name} is not used`);
  }
}

/** A bfd_instance with `checker` and not `vrrp` sends no events to VRRP (bfd_parser.c). */
function isCheckerOnlyBfd(b: object): boolean {
  const x = b as { vrrp?: boolean; checker?: boolean };
  return x.checker === true && x.vrrp !== true;
}

function formatAt(l: SourceLoc): string {
  return `${l.file}:${l.line}:${l.col}`;
}

/** An IPv4 address label must start with its interface name (the kernel does not check it). */
function checkLabel(c: Ctx, a: VirtualAddress, iface: string | undefined, where: SourceLoc, what: string): void {
  if (a.label === undefined || a.family !== 4 || iface === undefined) return;
  if (!a.label.startsWith(iface))
    c.error(
      where,
      "bad-label",
      `${what}: label '${a.label}' must start with the interface name '${iface}' (e.g. ${iface}:1)`,
    );
}
