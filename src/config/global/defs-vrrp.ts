/**
 * global_defs keywords that set VRRP defaults and behaviour: multicast groups, gratuitous
 * ARP/NA timing, protocol strictness, receive buffers and the VRRP firewall
 * (vrrp_iptables/vrrp_ipsets/nftables) - keepalived core/global_parser.c.
 */
import { type Ctx, type Emitter, type Keyword, boolField, emitScalar, intField, quote } from "../schema";
import type { Token } from "../tree";
import { isIP, isLinkLocalMulticast6, isMulticast } from "../../base/ip";
import { TIMER_HZ, UINT_MAX, bareAddress, flag, timerToken, wordArg, wordField } from "./helpers";
import { deprecated } from "./defs-process";
import { type GlobalDefs, createGlobalDefs } from "./model";

type K = Keyword<GlobalDefs>;

const INT_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** TIMER maximum in seconds for timers read into an unsigned of microseconds */
const TIMER_MAX_SECONDS = UINT_MAX / TIMER_HZ;

/** `vrrp_mcast_group4|6 ADDR`: must be multicast of that family (keepalived skips it otherwise). */
function mcastGroup(family: 4 | 6): K {
  const key = family === 4 ? "vrrpMcastGroup4" : "vrrpMcastGroup6";
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const tok = n.args[0] as Token;
      const addr = bareAddress(tok.text);
      const f = isIP(addr);
      if (f === 0) return void c.error(tok, "bad-address", `${n.keyword.text}: '${tok.text}' is not an IP address`);
      if (f !== family)
        return void c.error(tok, "bad-address", `${n.keyword.text}: '${tok.text}' is not an IPv${family} address`);
      if (!isMulticast(addr))
        return void c.error(tok, "not-multicast", `${n.keyword.text}: '${tok.text}' is not a multicast address`);
      if (family === 6 && !isLinkLocalMulticast6(addr))
        c.warning(
          tok,
          "not-link-local",
          `${n.keyword.text}: '${tok.text}' should be a link-local multicast address (ff02::/16)`,
        );
      t[key] = addr;
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

/** What vrrp_min_garp puts in the garp fields that are still at keepalived's defaults. */
const MIN_GARP = {
  vrrpGarpMasterRepeat: 1,
  vrrpGarpMasterRefresh: 0,
  vrrpGarpMasterRefreshRepeat: 0,
  vrrpGarpMasterDelay: 0,
} as const;
type MinGarpKey = keyof typeof MIN_GARP;

/**
 * The garp fields compare with the defaults in force after `vrrp_min_garp` when it is set
 * (it is emitted before them), so a parse → emit → parse round trip gives the same values.
 */
function garpEmit(key: MinGarpKey): Emitter<GlobalDefs> {
  return (t, kw) => {
    const v = t[key];
    const d = t.vrrpMinGarp ? MIN_GARP[key] : createGlobalDefs()[key];
    return v === undefined || v === d ? [] : [`${kw} ${v}`];
  };
}

/** A repeat count where keepalived turns 0 into 1 with an error (pre-2.0.7 compatibility). */
function garpRepeat(key: "vrrpGarpMasterRepeat" | "vrrpGarpMasterRefreshRepeat"): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 0, UINT_MAX);
      if (v === 0)
        c.error(n.args[0] as Token, "out-of-range", `${n.keyword.text} must be greater than 0; keepalived uses 1`);
      if (v !== undefined) t[key] = Math.max(v, 1);
    },
    emit: garpEmit(key),
  };
}

/** `vrrp_garp_extra_if [all] SECS` (either order). */
const garpExtraIf: K = {
  parse: (c, n, t) => {
    let all = false;
    let interval: number | undefined;
    for (const tok of n.args) {
      if (tok.text === "all") all = true;
      else {
        interval = c.intToken(tok, 1, 86400, n.keyword.text);
        if (interval === undefined) return;
      }
    }
    if (interval === undefined)
      return void c.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs an interval in seconds (1..86400)`);
    t.vrrpGarpExtraIf = { interval, all };
  },
  // an interval left out is not made up: the parser then reports it missing
  emit: (t, kw) => {
    const v = t.vrrpGarpExtraIf;
    return v ? [`${kw}${v.all ? " all" : ""}${v.interval !== undefined ? ` ${v.interval}` : ""}`] : [];
  },
};

/** A TIMER in (0, UINT_MAX usecs]; keepalived keeps the larger of repeated settings. */
function delayField(key: "vrrpStartupDelay" | "vrrpDelayAfterBoot"): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = timerToken(c, n.args[0] as Token, 0.001, TIMER_MAX_SECONDS, n.keyword.text);
      if (v !== undefined) t[key] = Math.max(v, t[key] ?? 0);
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

/**
 * `vrrp_rx_bufs_policy MTU|ADVERT|BYTES...`: settings accumulate across lines; a size
 * excludes a policy, and MTU excludes ADVERT (keepalived drops the latter with an error).
 */
const rxBufsPolicy: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
    let mtu = t.vrrpRxBufsPolicy === "mtu";
    let advert = t.vrrpRxBufsPolicy === "advert";
    for (const tok of n.args) {
      const w = tok.text.toUpperCase();
      if (w === "MTU") mtu = true;
      else if (w === "ADVERT") advert = true;
      else {
        const v = c.intToken(tok, 0, UINT_MAX, "vrrp_rx_bufs_policy size");
        if (v !== undefined) t.vrrpRxBufsSize = v;
      }
    }
    if (t.vrrpRxBufsSize !== undefined && (mtu || advert)) {
      c.error(
        n.keyword,
        "conflict",
        "vrrp_rx_bufs_policy: a buffer size and a policy cannot both be set; the policy is ignored",
      );
      mtu = advert = false;
    } else if (mtu && advert) {
      c.error(n.keyword, "conflict", "vrrp_rx_bufs_policy: MTU and ADVERT cannot both be set; ADVERT is ignored");
      advert = false;
    }
    if (mtu) t.vrrpRxBufsPolicy = "mtu";
    else if (advert) t.vrrpRxBufsPolicy = "advert";
    else delete t.vrrpRxBufsPolicy;
  },
  emit: (t, kw) => {
    if (t.vrrpRxBufsSize !== undefined) return [`${kw} ${t.vrrpRxBufsSize}`];
    return t.vrrpRxBufsPolicy ? [`${kw} ${t.vrrpRxBufsPolicy.toUpperCase()}`] : [];
  },
};

/** `vmac_prefix`/`vmac_addr_prefix NAME`, once each. */
function onceWord(key: "vmacPrefix" | "vmacAddrPrefix"): K {
  return {
    parse: (c, n, t) => {
      if (t[key] !== undefined)
        return void c.error(n.keyword, "duplicate", `'${n.keyword.text}' already specified - ignoring this one`);
      const v = wordArg(c, n);
      if (v !== undefined) t[key] = v;
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

/**
 * keepalived's check_valid_iptables_ipset_nftables_name(): a name must be non-empty and
 * shorter than the kernel's limit minus one.
 */
function validName(c: Ctx, tok: Token, maxLen: number, what: string): boolean {
  if (tok.text === "") {
    c.error(tok, "bad-value", `${what} name is empty`);
    return false;
  }
  if (tok.text.length >= maxLen - 1) {
    c.error(tok, "too-long", `${what} name '${tok.text}' is too long (at most ${maxLen - 2} characters)`);
    return false;
  }
  return true;
}

/** XT_EXTENSION_MAXNAMELEN */
const XT_NAME_LEN = 29;
/** IPSET_MAXNAMELEN */
const IPSET_NAME_LEN = 32;
/** NFT_TABLE_MAXNAMELEN (= NFT_NAME_MAXLEN from linux/netfilter/nf_tables.h) */
const NFT_NAME_LEN = 256;

const vrrpIptables: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 0, 2)) return;
    if (t.vrrpIptables)
      return void c.error(n.keyword, "duplicate", "'vrrp_iptables' already specified - ignoring this one");
    const [inTok, outTok] = n.args;
    if (!inTok) {
      t.vrrpIptables = { inChain: "INPUT", outChain: "OUTPUT" };
      return;
    }
    if (!validName(c, inTok, XT_NAME_LEN, "vrrp_iptables in chain")) return;
    if (outTok && !validName(c, outTok, XT_NAME_LEN, "vrrp_iptables out chain")) return;
    if (outTok && outTok.text === inTok.text)
      return void c.error(outTok, "bad-value", "vrrp_iptables: the in and out chain names must differ");
    t.vrrpIptables = outTok ? { inChain: inTok.text, outChain: outTok.text } : { inChain: inTok.text };
  },
  emit: (t, kw) => {
    const v = t.vrrpIptables;
    if (!v) return [];
    // No chains (a hand-written model) is the bare keyword: keepalived's INPUT and OUTPUT.
    // An out chain alone needs the in chain before it: keepalived's INPUT.
    if (v.inChain === undefined && v.outChain === undefined) return [kw];
    return [`${kw} ${quote(v.inChain ?? "INPUT")}${v.outChain !== undefined ? ` ${quote(v.outChain)}` : ""}`];
  },
};

type IpsetNames = [string, string, string, string, string, string];

/**
 * keepalived's names for the sets not given: from the first (address) name, with
 * "6", "_if6", "_igmp", "_mld", "_nd" added after truncating to fit IPSET_MAXNAMELEN.
 */
function deriveIpsets(given: string[]): IpsetNames {
  const address = given[0] ?? "";
  const address6 = given[1] ?? `${address.slice(0, IPSET_NAME_LEN - 2)}6`;
  const base6 = address6.endsWith("6") ? address6.slice(0, -1) : address6;
  return [
    address,
    address6,
    given[2] ?? `${base6.slice(0, IPSET_NAME_LEN - 5)}_if6`,
    given[3] ?? `${address.slice(0, IPSET_NAME_LEN - 6)}_igmp`,
    given[4] ?? `${address.slice(0, IPSET_NAME_LEN - 5)}_mld`,
    given[5] ?? `${address.slice(0, IPSET_NAME_LEN - 5)}_nd`,
  ];
}

/**
 * `vrrp_ipsets [NAMES...]`: the names not given are derived (deriveIpsets), then all six
 * must differ. No names at all means ipsets are not used.
 */
const vrrpIpsets: K = {
  parse: (c, n, t) => {
    if (!c.count(n, 0, 6)) return;
    delete t.vrrpIpsets;
    const a = n.args;
    if (a.length === 0) {
      t.vrrpIpsets = { enabled: false };
      return;
    }
    const labels = ["address", "IPv6 address", "IPv6 address_iface", "IGMP", "MLD", "ND"];
    for (let i = 0; i < a.length; i++)
      if (!validName(c, a[i] as Token, IPSET_NAME_LEN, `vrrp_ipsets ${labels[i]}`)) return;
    const names = deriveIpsets(a.map((x) => x.text));
    const dup = names.find((x, i) => names.indexOf(x) !== i);
    if (dup !== undefined)
      return void c.error(n.keyword, "duplicate", `vrrp_ipsets: set name '${dup}' is used more than once`);
    const [address, address6, addressIface6, igmp, mld, vmacNd] = names;
    t.vrrpIpsets = { enabled: true, address, address6, addressIface6, igmp, mld, vmacNd };
  },
  // Only the names that derivation would not give back are written: a derived name may
  // be longer than a written one is allowed to be.
  emit: (t, kw) => {
    const v = t.vrrpIpsets;
    if (!v) return [];
    // only an explicit `enabled = false` is the bare keyword; names imply enabled
    if (v.enabled === false) return [kw];
    const names = [v.address, v.address6, v.addressIface6, v.igmp, v.mld, v.vmacNd];
    const missing = names.indexOf(undefined);
    const known = (missing < 0 ? names : names.slice(0, missing)) as string[];
    if (known.length === 0) return [];
    let keep = 1;
    for (let i = 1; i < known.length; i++) if (deriveIpsets(known.slice(0, keep))[i] !== known[i]) keep = i + 1;
    return [`${kw} ${known.slice(0, keep).map(quote).join(" ")}`];
  },
};

/**
 * `nftables [TABLE]` / `nftables_ipvs [TABLE]`, once each. keepalived's handler also
 * resets the chain priority (and the IPVS start fwmark) to their defaults, so a
 * `nftables_priority` written above `nftables` is lost: reproduced, with a warning.
 */
function nftTable(key: "nftables" | "nftablesIpvs", dflt: string): K {
  const resets =
    key === "nftables"
      ? (["nftablesPriority"] as const)
      : (["nftablesIpvsPriority", "nftablesIpvsStartFwmark"] as const);
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 0, 1)) return;
      if (t[key] !== undefined)
        return void c.error(n.keyword, "duplicate", `'${n.keyword.text}' already specified - ignoring this one`);
      const tok = n.args[0];
      if (tok && !validName(c, tok, NFT_NAME_LEN, `${n.keyword.text} table`)) return;
      t[key] = tok ? tok.text : dflt;
      const d = createGlobalDefs();
      for (const r of resets)
        if (t[r] !== d[r]) {
          c.warning(
            n.keyword,
            "order",
            `'${n.keyword.text}' resets ${r === "nftablesIpvsStartFwmark" ? "nftables_ipvs_start_fwmark" : `${n.keyword.text}_priority`} set above it to the default (keepalived does); put '${n.keyword.text}' first`,
          );
          t[r] = d[r];
        }
    },
    emit: (t, kw) => {
      const v = t[key];
      if (v === undefined) return [];
      return [v === dflt ? kw : `${kw} ${quote(v)}`];
    },
  };
}

export const vrrpKeywords: Record<string, K> = {
  vrrp_mcast_group4: mcastGroup(4),
  vrrp_mcast_group6: mcastGroup(6),
  default_interface: wordField("defaultInterface"),
  dynamic_interfaces: {
    parse: (c, n, t) => {
      t.dynamicInterfaces = true;
      if (!c.count(n, 0, 1) || !n.args[0]) return;
      if (c.oneOf(n, 0, ["allow_if_changes"] as const, "dynamic_interfaces option")) t.allowIfChanges = true;
    },
    emit: (t, kw) => (t.dynamicInterfaces ? [t.allowIfChanges ? `${kw} allow_if_changes` : kw] : []),
  },
  disable_local_igmp: flag("disableLocalIgmp"),
  // The man page shows [<BOOL>], but keepalived's handler ignores the value.
  v3_checksum_as_v2: flag("v3ChecksumAsV2"),
  // before the garp fields: emitting it first is what makes their emitters right
  vrrp_min_garp: {
    parse: (c, n, t) => {
      const on = c.bool(n, 0);
      if (!on) return;
      t.vrrpMinGarp = true;
      const d = createGlobalDefs();
      for (const k of Object.keys(MIN_GARP) as MinGarpKey[]) if (t[k] === d[k]) t[k] = MIN_GARP[k];
    },
    emit: (t, kw) => (t.vrrpMinGarp ? [kw] : []),
  },
  vrrp_garp_master_delay: {
    parse: intField<GlobalDefs>("vrrpGarpMasterDelay", 0, Math.floor(TIMER_MAX_SECONDS)).parse,
    emit: garpEmit("vrrpGarpMasterDelay"),
  },
  vrrp_garp_master_repeat: garpRepeat("vrrpGarpMasterRepeat"),
  vrrp_garp_master_refresh: {
    parse: intField<GlobalDefs>("vrrpGarpMasterRefresh", 0, UINT_MAX).parse,
    emit: garpEmit("vrrpGarpMasterRefresh"),
  },
  vrrp_garp_master_refresh_repeat: garpRepeat("vrrpGarpMasterRefreshRepeat"),
  vrrp_garp_lower_prio_delay: intField("vrrpGarpLowerPrioDelay", 0, Math.floor(TIMER_MAX_SECONDS)),
  vrrp_garp_lower_prio_repeat: intField("vrrpGarpLowerPrioRepeat", 0, INT_MAX),
  vrrp_garp_interval: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = timerToken(c, n.args[0] as Token, 0.000001, TIMER_MAX_SECONDS, n.keyword.text);
      if (v !== undefined) t.vrrpGarpInterval = v;
    },
    emit: emitScalar("vrrpGarpInterval"),
  },
  vrrp_gna_interval: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = timerToken(c, n.args[0] as Token, 0.000001, TIMER_MAX_SECONDS, n.keyword.text);
      if (v !== undefined) t.vrrpGnaInterval = v;
    },
    emit: emitScalar("vrrpGnaInterval"),
  },
  vrrp_garp_extra_if: garpExtraIf,
  vrrp_vmac_garp_intvl: deprecated("vrrp_garp_extra_if", garpExtraIf.parse),
  vrrp_down_timer_adverts: intField("vrrpDownTimerAdverts", 1, 100),
  vrrp_lower_prio_no_advert: boolField("vrrpLowerPrioNoAdvert"),
  vrrp_higher_prio_send_advert: boolField("vrrpHigherPrioSendAdvert"),
  vrrp_version: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 2, 3);
      if (v !== undefined) t.vrrpVersion = v as 2 | 3;
    },
    emit: emitScalar("vrrpVersion"),
  },
  vrrp_check_unicast_src: flag("vrrpCheckUnicastSrc"),
  vrrp_skip_check_adv_addr: boolField("vrrpSkipCheckAdvAddr"),
  vrrp_strict: boolField("vrrpStrict"),
  vrrp_owner_ignore_adverts: boolField("vrrpOwnerIgnoreAdverts"),
  log_unknown_vrids: flag("logUnknownVrids"),
  vrrp_startup_delay: delayField("vrrpStartupDelay"),
  vrrp_delay_after_boot: delayField("vrrpDelayAfterBoot"),
  vrrp_rx_bufs_policy: rxBufsPolicy,
  vrrp_rx_bufs_multiplier: intField("vrrpRxBufsMultiplier", 1, UINT_MAX),
  vmac_prefix: onceWord("vmacPrefix"),
  vmac_addr_prefix: onceWord("vmacAddrPrefix"),
  vrrp_iptables: vrrpIptables,
  vrrp_ipsets: vrrpIpsets,
  nftables: nftTable("nftables", "keepalived"),
  nftables_priority: intField("nftablesPriority", INT32_MIN, INT_MAX),
  nftables_counters: flag("nftablesCounters"),
  nftables_ifindex: flag("nftablesIfindex"),
  nftables_ipvs: nftTable("nftablesIpvs", "keepalived_ipvs"),
  nftables_ipvs_priority: intField("nftablesIpvsPriority", INT32_MIN, INT_MAX),
  nftables_ipvs_start_fwmark: intField("nftablesIpvsStartFwmark", 1, UINT_MAX),
};
