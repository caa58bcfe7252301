/**
 * vrrp_instance and vrrp_sync_group keyword tables (keepalived vrrp_parser.c).
 * Ranges, defaults and messages follow the handlers there; cross-instance checks
 * (families, versions, VRIDs, references) are in check.ts.
 */
import { isIP, isLinkLocalMulticast6, isMulticast } from "../../base/ip";
import {
  type BlockSpec,
  type Ctx,
  type Emit,
  type Keyword,
  boolField,
  emitBlock as emitBlockOf,
  emitList,
  emitScalar,
  flagField,
  intField,
  ipField,
  quote,
} from "../schema";
import { type Script, emitScript, parseScript } from "../script";
import type { SourceLoc } from "../diagnostics";
import type { Node, Token } from "../tree";
import {
  type AuthHmac,
  type Authentication,
  type IpvlanSettings,
  type UnicastPeer,
  type VmacSettings,
  type VrrpInstance,
  type VrrpSyncGroup,
  createAuthHmac,
  createVrrpInstance,
  createVrrpSyncGroup,
} from "./model";
import { emitAddress, parseAddressLine } from "./net/address";
import { parsePrefixed } from "./net/common";
import { emitRoute, parseRouteLine } from "./net/route";
import { emitRule, parseRuleLine } from "./net/rule";
import { decimalToken, trackingKeywords } from "./tracking";

/** Instances whose priority / state were written (keepalived derives the one from the other). */
const explicitPriority = new WeakSet<VrrpInstance>();
const explicitState = new WeakSet<VrrpInstance>();

type ScriptKey<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Script ? K : never }[keyof T];

/** `notify_* SCRIPT [USER [GROUP]]`; a second one is ignored with a warning, as keepalived does. */
export function scriptField<T extends { name: string }>(key: ScriptKey<T>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      const s = parseScript(c, n);
      if (!s) return;
      const rec = t as Record<ScriptKey<T>, Script | undefined>;
      if (rec[key] !== undefined) {
        c.warning(
          n.keyword,
          "duplicate-keyword",
          `(${t.name}) ${n.keyword.text} script already given; '${s.command}' ignored`,
        );
        return;
      }
      rec[key] = s;
    },
    emit: (t, kw) => {
      const s = (t as Record<ScriptKey<T>, Script | undefined>)[key];
      const text = s && emitScript(s);
      return text ? [`${kw} ${text}`] : [];
    },
  };
}

/** An unsigned integer setting that keepalived treats 0 as "error, use 1" for (garp repeats). */
function repeatField(key: "garpMasterRepeat" | "garpMasterRefreshRepeat"): Keyword<VrrpInstance> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 0, 4294967295);
      if (v === undefined) return;
      if (v === 0) {
        c.error(
          n.args[0] as Token,
          "out-of-range",
          `(${t.name}) ${n.keyword.text} must be greater than 0 (keepalived uses 1)`,
        );
        t[key] = 1;
        return;
      }
      t[key] = v;
    },
    emit: emitScalar<VrrpInstance>(key),
  };
}

/** A value block such as `group { A B }` as a list of words (one or more per line). */
export function wordList(c: Ctx, n: Node): string[] {
  c.count(n, 0);
  return c.lines(n).flatMap((l) => l.map((t) => t.text));
}

function emitWordBlock(kw: string, words: string[] | undefined): Emit[] {
  return emitList(kw, words, quote);
}

// ---------------------------------------------------------------------------
// use_vmac / use_ipvlan

/** kernel dev_name_valid (copied into keepalived vrrp_parser.c) */
function devNameValid(name: string): boolean {
  return name !== "" && name.length < 16 && name !== "." && name !== ".." && !/[/:\s]/.test(name);
}

function parseMac(c: Ctx, t: Token): string | undefined {
  const parts = t.text.replace(/:$/, "").split(":");
  if ((parts.length !== 5 && parts.length !== 6) || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) {
    c.error(t, "bad-value", `use_vmac: invalid MAC address '${t.text}' (6 octets, or 5 with the VRID as the 6th)`);
    return undefined;
  }
  const b = parts.map((p) => Number.parseInt(p, 16));
  if (((b[0] as number) & 1) === 1) {
    c.error(t, "bad-value", `use_vmac: MAC address '${t.text}' is multicast`);
    return undefined;
  }
  if (b[0] === 0 && b[1] === 0 && b[2] === 0x5e && b[3] === 0 && (b[4] === 1 || b[4] === 2)) {
    c.error(t, "bad-value", `use_vmac: MAC address '${t.text}' is an RFC 5798 VRRP address; leave it out to get that`);
    return undefined;
  }
  return t.text;
}

const useVmac: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    const v: VmacSettings = {};
    for (let i = 0; i < n.args.length; i++) {
      const a = n.args[i] as Token;
      if (a.text.includes(":")) {
        if (v.mac !== undefined) c.error(a, "duplicate-option", "use_vmac: MAC address already given");
        else {
          const m = parseMac(c, a);
          if (m) v.mac = m;
        }
        continue;
      }
      if (a.text === "netlink_notify_msg") {
        v.netlinkNotifyMsg = true;
        continue;
      }
      if (a.text === "group") {
        const g = n.args[++i];
        if (!g) c.error(a, "missing-argument", "use_vmac: group needs a value");
        else v.group = g.text;
        continue;
      }
      let nameTok: Token | undefined = a;
      if (a.text === "name") {
        nameTok = n.args[++i];
        if (!nameTok) {
          c.error(a, "missing-argument", "use_vmac: name needs a value");
          continue;
        }
      }
      if (v.name !== undefined) c.error(nameTok, "duplicate-option", "use_vmac: interface name already given");
      else if (!devNameValid(nameTok.text))
        c.error(
          nameTok,
          "bad-value",
          `use_vmac: interface name '${nameTok.text}' is too long or has invalid characters`,
        );
      else v.name = nameTok.text;
    }
    // its position: keepalived's vrrp_vmac_handler reports a name it ignores at this line
    t.useVmac = c.origin(v, n);
  },
  emit: (t, kw) => {
    const v = t.useVmac;
    if (!v) return [];
    const out = [kw];
    if (v.name !== undefined)
      out.push(
        ["group", "name", "netlink_notify_msg", "bridge", "private", "vepa"].includes(v.name)
          ? `name ${v.name}`
          : v.name,
      );
    if (v.mac !== undefined) out.push(v.mac);
    if (v.netlinkNotifyMsg) out.push("netlink_notify_msg");
    if (v.group !== undefined) out.push("group", quote(v.group));
    return [out.join(" ")];
  },
};

const useIpvlan: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    if (t.useIpvlan) {
      c.error(n.keyword, "duplicate-keyword", `(${t.name}) use_ipvlan already given`);
      return;
    }
    const v: IpvlanSettings = {};
    for (let i = 0; i < n.args.length; i++) {
      const a = n.args[i] as Token;
      if (a.text === "bridge" || a.text === "private" || a.text === "vepa") {
        if (v.mode !== undefined) c.error(a, "duplicate-option", `use_ipvlan: mode already given as ${v.mode}`);
        else v.mode = a.text;
        continue;
      }
      if (a.text === "group") {
        const g = n.args[++i];
        if (!g) c.error(a, "missing-argument", "use_ipvlan: group needs a value");
        else v.group = g.text;
        continue;
      }
      let nameTok: Token | undefined = a;
      if (a.text === "name") nameTok = n.args[++i];
      else if (isIP(a.text.split("/")[0] ?? "") !== 0) {
        if (v.address !== undefined) c.error(a, "duplicate-option", "use_ipvlan: address already given");
        else if (parsePrefixed(c, a, true, "use_ipvlan")) v.address = a.text;
        continue;
      }
      if (!nameTok) {
        c.error(a, "missing-argument", "use_ipvlan: name needs a value");
        continue;
      }
      if (v.name !== undefined) c.error(nameTok, "duplicate-option", "use_ipvlan: interface name already given");
      else if (nameTok.text.length >= 16)
        c.error(nameTok, "bad-value", `use_ipvlan: interface name '${nameTok.text}' is too long`);
      else v.name = nameTok.text;
    }
    t.useIpvlan = v;
  },
  emit: (t, kw) => {
    const v = t.useIpvlan;
    if (!v) return [];
    const out = [kw];
    if (v.name !== undefined) out.push("name", v.name);
    if (v.address !== undefined) out.push(v.address);
    if (v.mode !== undefined) out.push(v.mode);
    if (v.group !== undefined) out.push("group", quote(v.group));
    return [out.join(" ")];
  },
};

// ---------------------------------------------------------------------------
// unicast_peer

const unicastPeer: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const [addr, ...opts] = line as [Token, ...Token[]];
      const ip = c.ipToken(addr);
      if (!ip) continue;
      const peer: UnicastPeer = { address: ip };
      let ok = true;
      for (let i = 0; i < opts.length; i += 2) {
        const k = opts[i] as Token;
        const v = opts[i + 1];
        if (k.text !== "min_ttl" && k.text !== "max_ttl") {
          c.error(k, "bad-option", `unicast_peer ${ip}: unknown option '${k.text}'; expected min_ttl or max_ttl`);
          ok = false;
          break;
        }
        if (!v) {
          c.error(k, "missing-argument", `unicast_peer ${ip}: ${k.text} needs a value`);
          ok = false;
          break;
        }
        const x = c.intToken(v, 0, 255, k.text);
        if (x === undefined) ok = false;
        else if (k.text === "min_ttl") peer.minTtl = x;
        else peer.maxTtl = x;
      }
      if (!ok) continue;
      if (t.unicastPeers.some((p) => p.address === ip)) {
        c.warning(addr, "duplicate-peer", `(${t.name}) duplicate unicast_peer ${ip}; ignored`);
        continue;
      }
      if ((peer.minTtl ?? 0) > (peer.maxTtl ?? 255))
        c.warning(
          addr,
          "ttl-range",
          `unicast_peer ${ip}: min_ttl ${peer.minTtl} > max_ttl ${peer.maxTtl ?? 255}; every packet will be discarded`,
        );
      t.unicastPeers.push(c.origin(peer, addr));
    }
  },
  emit: (t, kw) =>
    emitList(kw, t.unicastPeers, (p) =>
      p.address === undefined
        ? undefined
        : `${p.address}${p.minTtl !== undefined ? ` min_ttl ${p.minTtl}` : ""}${p.maxTtl !== undefined ? ` max_ttl ${p.maxTtl}` : ""}`,
    ),
};

// ---------------------------------------------------------------------------
// address / route / rule blocks

function addressBlock(key: "virtualIpaddress" | "virtualIpaddressExcluded"): Keyword<VrrpInstance> {
  return {
    parse: (c, n, t) => {
      c.count(n, 0);
      const what = n.keyword.text;
      for (const line of c.lines(n)) {
        const a = parseAddressLine(c, line, { isStatic: false, allowUseVmac: true, what });
        if (!a) continue;
        const dup =
          t.virtualIpaddress.find((v) => v.address === a.address && (key === "virtualIpaddress" || v.dev === a.dev)) ??
          t.virtualIpaddressExcluded.find((v) => v.address === a.address && v.dev === a.dev);
        if (dup) {
          c.warning(
            line[0] as Token,
            "duplicate-vip",
            `(${t.name}) ${key === "virtualIpaddress" ? "VIP" : "excluded VIP"} ${a.address} duplicates a VIP; ignored`,
          );
          continue;
        }
        t[key].push(a);
      }
    },
    emit: (t, kw) => emitList(kw, t[key], emitAddress),
  };
}

const virtualRoutes: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const r = parseRouteLine(c, line, { isStatic: false, what: "virtual_routes" });
      if (r) t.virtualRoutes.push(r);
    }
  },
  emit: (t, kw) => emitList(kw, t.virtualRoutes, emitRoute),
};

const virtualRules: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    c.count(n, 0);
    for (const line of c.lines(n)) {
      const r = parseRuleLine(c, line, { isStatic: false, what: "virtual_rules" });
      if (r) t.virtualRules.push(r);
    }
  },
  emit: (t, kw) => emitList(kw, t.virtualRules, emitRule),
};

// ---------------------------------------------------------------------------
// authentication / auth_hmac

export const authenticationSpec: BlockSpec<Authentication> = {
  name: "authentication",
  keywords: {
    auth_type: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const a = n.args[0] as Token;
        // keepalived compares case-sensitively
        if (a.text === "PASS" || a.text === "AH") t.authType = a.text;
        else c.error(a, "bad-value", `unknown authentication type '${a.text}'; expected PASS or AH`);
      },
      emit: emitScalar<Authentication>("authType"),
    },
    auth_pass: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const a = n.args[0] as Token;
        if (a.text.length > 8)
          c.warning(
            a,
            "auth-pass-truncated",
            `auth_pass is longer than 8 characters; only '${a.text.slice(0, 8)}' is used`,
          );
        t.authPass = a.text.slice(0, 8);
      },
      emit: emitScalar<Authentication>("authPass"),
    },
  },
};

/** An auth_hmac key's length in bytes as written (hex: or ASCII); undefined for file: (read at load). */
export function keyLength(v: string): number | undefined {
  if (v.startsWith("file:")) return undefined; // read at start-up
  if (v.startsWith("hex:")) return Math.floor(v.slice(4).replace(/[^0-9a-f]/gi, "").length / 2);
  return Buffer.byteLength(v);
}

export const authHmacSpec: BlockSpec<AuthHmac> = {
  name: "auth_hmac",
  create: createAuthHmac,
  keywords: {
    key: {
      parse: (c, n, t) => {
        if (!c.count(n, 2)) return;
        const id = c.int(n, 0, 1, 255, "auth_hmac key id");
        if (id === undefined) return;
        const vt = n.args[1] as Token;
        if (vt.text.startsWith("hex:") && !/^hex:([0-9a-f]{2})*$/i.test(vt.text)) {
          c.error(vt, "bad-value", `auth_hmac key ${id}: '${vt.text.slice(0, 12)}...' is not valid hex`);
          return;
        }
        const len = keyLength(vt.text);
        if (len !== undefined && (len < 32 || len > 64)) {
          c.error(vt, "out-of-range", `auth_hmac key ${id}: length ${len} bytes is not in range [32, 64]`);
          return;
        }
        if (t.keys.some((k) => k.id === id)) {
          c.error(n.args[0] as Token, "duplicate-key", `duplicate auth_hmac key id ${id}`);
          return;
        }
        t.keys.push(c.origin({ id, value: vt.text }, n));
      },
      // a key without its id is not written; without its value, the parser reports it missing
      emit: (t, kw) =>
        (t.keys ?? []).flatMap((k) =>
          k.id === undefined ? [] : [`${kw} ${k.id}${k.value !== undefined ? ` ${quote(k.value)}` : ""}`],
        ),
    },
    active_key: intField<AuthHmac>("activeKey", 1, 255),
    time_window: intField<AuthHmac>("timeWindow", 1, 300),
    anti_replay: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = c.oneOf(n, 0, ["time", "monotonic"] as const);
        if (v) t.antiReplay = v;
      },
      emit: emitScalar<AuthHmac>("antiReplay"),
    },
    mode: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = c.oneOf(n, 0, ["enforce", "permissive", "receive-only"] as const);
        if (v) t.mode = v;
      },
      emit: emitScalar<AuthHmac>("mode"),
    },
  },
};

// ---------------------------------------------------------------------------
// vrrp_instance

/** A keyword that only warns that it is a deprecated spelling, then does what `to` does. */
function deprecatedAlias<T>(target: Keyword<T>, message: string): Keyword<T> {
  return {
    parse: (c, n, t) => {
      c.warning(n.keyword, "deprecated-keyword", message);
      target.parse(c, n, t);
    },
  };
}

const timerExpiredBackup: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    if (!c.count(n, 0, 1)) return;
    if (n.args.length === 0) t.timerExpiredBackup = 254;
    else {
      const v = c.int(n, 0, 1, 254, "timer_expired_backup highest other priority");
      if (v !== undefined) t.timerExpiredBackup = v;
    }
  },
  emit: (t, kw) =>
    t.timerExpiredBackup === undefined ? [] : [t.timerExpiredBackup === 254 ? kw : `${kw} ${t.timerExpiredBackup}`],
};

const garpExtraIf: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    let all = false;
    let interval: number | undefined;
    for (const a of n.args) {
      if (a.text === "all") all = true;
      else {
        const v = c.intToken(a, 0, 86400, n.keyword.text);
        if (v === undefined) return;
        interval = v;
      }
    }
    if (interval === undefined) {
      c.error(n.keyword, "missing-argument", `(${t.name}) ${n.keyword.text} needs an interval in seconds`);
      return;
    }
    t.garpExtraIf = { interval, all };
  },
  // an interval left out is not made up: the parser then reports it missing
  emit: (t, kw) => {
    const v = t.garpExtraIf;
    return v ? [`${kw}${v.all ? " all" : ""}${v.interval !== undefined ? ` ${v.interval}` : ""}`] : [];
  },
};

const state: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    if (!c.count(n, 1)) return;
    const a = n.args[0] as Token;
    explicitState.add(t);
    if (a.text === "MASTER") t.state = "MASTER";
    else if (a.text === "BACKUP") {
      if (t.state === "MASTER")
        c.warning(a, "state-conflict", `(${t.name}) state previously set as MASTER; BACKUP ignored`);
      else t.state = "BACKUP";
    } else {
      const guess =
        a.text.toUpperCase() === "MASTER" || a.text.toUpperCase() === "BACKUP" ? a.text.toUpperCase() : undefined;
      c.error(
        a,
        "bad-value",
        `(${t.name}) unknown state '${a.text}' (keepalived uses BACKUP)${guess ? `; did you mean '${guess}'?` : "; expected MASTER or BACKUP"}`,
      );
      t.state = "BACKUP";
    }
  },
  emit: (t, kw) => {
    // left out (a hand-written model): keepalived derives it from the priority
    if (t.state === undefined) return [];
    // write it when it is not what keepalived would derive from the priority
    const derived = t.priority === 255 ? "MASTER" : "BACKUP";
    return t.state !== derived || t.state === "MASTER" ? [`${kw} ${t.state}`] : [];
  },
};

const ifName: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    if (!c.count(n, 1)) return;
    const a = n.args[0] as Token;
    // keepalived vrrp_parser.c vrrp_vrf_handler: a name too long is ignored, with an error
    if (a.text.length >= 16 && n.keyword.text === "vrf") {
      c.warning(a, "vrf-ignored", `(${t.name}) VRF interface name '${a.text}' too long - ignoring`);
      return;
    }
    if (a.text.length >= 16) {
      c.error(a, "bad-value", `interface name '${a.text}' is longer than 15 characters`);
      return;
    }
    // keepalived vrrp_parser.c vrrp_vrf_handler: ignored after an interface, or a second time
    // (an interface after it clears it in vrrp_complete_instance: config/vrrp/check.ts)
    if (n.keyword.text === "vrf" && t.interface !== undefined) {
      c.warning(n.keyword, "vrf-ignored", `(${t.name}) Cannot specify VRF interface and interface - ignoring`);
      return;
    }
    if (n.keyword.text === "vrf" && t.vrf !== undefined) {
      c.warning(n.keyword, "vrf-ignored", `(${t.name}) VRF interface already specified as '${t.vrf}' - ignoring`);
      return;
    }
    if (n.keyword.text === "vrf") t.vrf = a.text;
    else t.interface = a.text;
  },
};

const nativeIpv6: Keyword<VrrpInstance> = {
  parse: (c, n, t) => {
    if (!c.count(n, 0)) return;
    if (t.version === 2) {
      c.error(n.keyword, "version-conflict", `(${t.name}) native_ipv6 needs VRRP version 3, but version 2 was given`);
      return;
    }
    t.nativeIpv6 = true;
  },
  emit: (t, kw) => (t.nativeIpv6 ? [kw] : []),
};

const vrid = intField<VrrpInstance>("virtualRouterId", 1, 255);

/**
 * Where each instance's virtual_router_id value was written: a duplicate VRID is
 * reported at that token (keepalived vrrp.c names the two instances and the VRID).
 */
export const vridAt = new WeakMap<VrrpInstance, SourceLoc>();

export const vrrpInstanceSpec: BlockSpec<VrrpInstance> = {
  name: "vrrp_instance",
  create: () => createVrrpInstance(),
  // checkVrrp: "missing" only when not written at all, even with a bad value
  remember: ["virtual_router_id", "interface", "virtual_ipaddress", "unicast_peer"],
  keywords: {
    state,
    interface: { parse: ifName.parse, emit: emitScalar<VrrpInstance>("interface") },
    vrf: { parse: ifName.parse, emit: emitScalar<VrrpInstance>("vrf") },
    virtual_router_id: {
      parse: (c, n, t) => {
        vrid.parse(c, n, t);
        const tok = n.args[0];
        if (tok && t.virtualRouterId !== 0) vridAt.set(t, tok.loc);
      },
      emit: vrid.emit,
    },
    priority: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = c.int(n, 0, 1, 255);
        explicitPriority.add(t);
        t.priority = v ?? 100;
      },
      // with state MASTER a missing priority means 255, so 100 must then be written; a
      // priority left out (a hand-written model) is not written, with the same meaning
      emit: (t, kw) =>
        t.priority !== undefined && (t.priority !== 100 || t.state === "MASTER") ? [`${kw} ${t.priority}`] : [],
    },
    advert_int: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        // the range for the instance's version is checked once the version is known
        const v = decimalToken(c, n.args[0] as Token, 0.01, 255, "advert_int");
        if (v !== undefined) t.advertInt = v;
      },
      emit: emitScalar<VrrpInstance>("advertInt"),
    },
    version: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = c.int(n, 0, 2, 3, "version");
        if (v === undefined) return;
        if ((t.version !== undefined && t.version !== v) || (v === 2 && t.nativeIpv6)) {
          c.error(
            n.args[0] as Token,
            "version-conflict",
            `(${t.name}) version ${v} conflicts with the version already given or deduced (${t.version ?? 3}); ignored`,
          );
          return;
        }
        t.version = v as 2 | 3;
      },
      emit: emitScalar<VrrpInstance>("version"),
    },
    native_ipv6: nativeIpv6,
    authentication: {
      parse: (c, n, t) => {
        c.count(n, 0);
        const a: Authentication = t.authentication ?? {};
        c.block(n, authenticationSpec, a);
        t.authentication = a;
      },
      emit: (t, kw) =>
        t.authentication ? [{ line: kw, block: emitBlockOf(authenticationSpec, t.authentication) }] : [],
    },
    auth_hmac: {
      parse: (c, n, t) => {
        c.count(n, 0);
        const a = t.authHmac ?? createAuthHmac();
        c.block(n, authHmacSpec, a);
        t.authHmac = c.origin(a, n);
      },
      emit: (t, kw) => (t.authHmac ? [{ line: kw, block: emitBlockOf(authHmacSpec, t.authHmac) }] : []),
    },
    virtual_ipaddress: addressBlock("virtualIpaddress"),
    virtual_ipaddress_excluded: addressBlock("virtualIpaddressExcluded"),
    no_virtual_ipaddress: flagField<VrrpInstance>("noVirtualIpaddress"),
    promote_secondaries: flagField<VrrpInstance>("promoteSecondaries"),
    virtual_routes: virtualRoutes,
    virtual_rules: virtualRules,
    use_vmac: useVmac,
    use_vmac_addr: flagField<VrrpInstance>("useVmacAddr"),
    vmac_xmit_base: flagField<VrrpInstance>("vmacXmitBase"),
    use_ipvlan: useIpvlan,
    dont_track_primary: flagField<VrrpInstance>("dontTrackPrimary"),
    ...trackingKeywords<VrrpInstance>("vrrp_instance"),
    mcast_src_ip: ipField<VrrpInstance>("mcastSrcIp"),
    unicast_src_ip: ipField<VrrpInstance>("unicastSrcIp"),
    mcast_dst_ip: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const ip = c.ip(n, 0);
        if (!ip) return;
        const mc4 = isIP(ip) === 4 && isMulticast(ip);
        const mc6 = isLinkLocalMulticast6(ip);
        if (!mc4 && !mc6) {
          c.error(
            n.args[0] as Token,
            "bad-address",
            `(${t.name}) mcast_dst_ip ${ip} is not ${isIP(ip) === 6 ? "a link-local multicast (ffX2::) address" : "a multicast address"}`,
          );
          return;
        }
        t.mcastDstIp = ip;
      },
      emit: emitScalar<VrrpInstance>("mcastDstIp"),
    },
    track_src_ip: flagField<VrrpInstance>("trackSrcIp"),
    unicast_peer: unicastPeer,
    unicast_fault_no_peer: flagField<VrrpInstance>("unicastFaultNoPeer"),
    check_unicast_src: flagField<VrrpInstance>("checkUnicastSrc"),
    unicast_ttl: intField<VrrpInstance>("unicastTtl", 0, 255),
    old_unicast_checksum: {
      parse: (c, n, t) => {
        if (!c.count(n, 0, 1)) return;
        if (n.args.length === 0) t.oldUnicastChecksum = "auto";
        else {
          const v = c.oneOf(n, 0, ["never"] as const);
          if (v) t.oldUnicastChecksum = v;
        }
      },
      emit: (t, kw) =>
        t.oldUnicastChecksum === undefined ? [] : [t.oldUnicastChecksum === "never" ? `${kw} never` : kw],
    },
    v3_checksum_as_v2: boolField<VrrpInstance>("v3ChecksumAsV2"),
    accept: {
      parse: (c, n, t) => {
        if (c.count(n, 0)) t.accept = true;
      },
      emit: (t, kw) => (t.accept === true ? [kw] : []),
    },
    no_accept: {
      parse: (c, n, t) => {
        if (c.count(n, 0)) t.accept = false;
      },
      emit: (t, kw) => (t.accept === false ? [kw] : []),
    },
    // keepalived sets the flag for any valid value, even "false" (vrrp_parser.c); we honour the value
    skip_check_adv_addr: boolField<VrrpInstance>("skipCheckAdvAddr"),
    strict_mode: boolField<VrrpInstance>("strictMode"),
    nopreempt: flagField<VrrpInstance>("nopreempt"),
    preempt: {
      // "for backwards compatibility": undoes nopreempt
      parse: (c, n, t) => {
        if (c.count(n, 0)) t.nopreempt = false;
      },
    },
    preempt_delay: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = decimalToken(c, n.args[0] as Token, 0, 1000, "preempt_delay");
        if (v !== undefined) t.preemptDelay = v;
      },
      emit: emitScalar<VrrpInstance>("preemptDelay"),
    },
    debug: intField<VrrpInstance>("debug", 0, 4),
    notify_master: scriptField<VrrpInstance>("notifyMaster"),
    notify_backup: scriptField<VrrpInstance>("notifyBackup"),
    notify_fault: scriptField<VrrpInstance>("notifyFault"),
    notify_stop: scriptField<VrrpInstance>("notifyStop"),
    notify_deleted: {
      parse: (c, n, t) => {
        if (t.notifyDeleted) {
          c.warning(n.keyword, "duplicate-keyword", `(${t.name}) notify_deleted already given; ignored`);
          return;
        }
        if (n.args.length === 0) t.notifyDeleted = {};
        else {
          const s = parseScript(c, n);
          if (s) t.notifyDeleted = { script: s };
        }
      },
      emit: (t, kw) => {
        if (!t.notifyDeleted) return [];
        if (!t.notifyDeleted.script) return [kw];
        // a script without its command is not written (the bare keyword means no script)
        const text = emitScript(t.notifyDeleted.script);
        return text ? [`${kw} ${text}`] : [];
      },
    },
    notify: scriptField<VrrpInstance>("notify"),
    notify_master_rx_lower_pri: scriptField<VrrpInstance>("notifyMasterRxLowerPri"),
    smtp_alert: boolField<VrrpInstance>("smtpAlert"),
    notify_priority_changes: boolField<VrrpInstance>("notifyPriorityChanges"),
    lvs_sync_daemon_interface: {
      parse: (c, n, t) => {
        c.warning(
          n.keyword,
          "deprecated-keyword",
          `(${t.name}) lvs_sync_daemon_interface in a vrrp_instance is deprecated; use global_defs lvs_sync_daemon`,
        );
        if (c.count(n, 1)) t.lvsSyncDaemonInterface = n.args[0]?.text;
      },
      emit: emitScalar<VrrpInstance>("lvsSyncDaemonInterface"),
    },
    garp_master_delay: intField<VrrpInstance>("garpMasterDelay", 0, 4294),
    garp_master_refresh: intField<VrrpInstance>("garpMasterRefresh", 0, 4294967295),
    garp_master_repeat: repeatField("garpMasterRepeat"),
    garp_master_refresh_repeat: repeatField("garpMasterRefreshRepeat"),
    garp_lower_prio_delay: intField<VrrpInstance>("garpLowerPrioDelay", 0, 4294),
    garp_lower_prio_repeat: intField<VrrpInstance>("garpLowerPrioRepeat", 0, 2147483647),
    garp_extra_if: garpExtraIf,
    down_timer_adverts: intField<VrrpInstance>("downTimerAdverts", 1, 100),
    timer_expired_backup: timerExpiredBackup,
    lower_prio_no_advert: boolField<VrrpInstance>("lowerPrioNoAdvert"),
    higher_prio_send_advert: boolField<VrrpInstance>("higherPrioSendAdvert"),
    owner_ignore_adverts: boolField<VrrpInstance>("ownerIgnoreAdverts"),
    kernel_rx_buf_size: intField<VrrpInstance>("kernelRxBufSize", 0, 4294967295),
    linkbeat_use_polling: {
      parse: (c, n, t) => {
        c.warning(
          n.keyword,
          "deprecated-keyword",
          `(${t.name}) linkbeat_use_polling in a vrrp_instance is deprecated; use a linkbeat_interfaces block`,
        );
        if (c.count(n, 0)) t.linkbeatUsePolling = true;
      },
      emit: (t, kw) => (t.linkbeatUsePolling ? [kw] : []),
    },
    // deprecated spellings: parsed with a warning, written as the current keyword
    thread_timer_expired: deprecatedAlias(
      timerExpiredBackup,
      "'thread_timer_expired' is deprecated; write 'timer_expired_backup'",
    ),
    vmac_garp_intvl: deprecatedAlias(garpExtraIf, "'vmac_garp_intvl' is deprecated; write 'garp_extra_if'"),
  },
};

/**
 * What keepalived settles when the block ends (and in vrrp_complete_instance): a priority
 * left out follows the state (MASTER → 255), a state left out follows the priority.
 */
export function finishInstance(c: Ctx, n: Node, t: VrrpInstance): void {
  if (!explicitPriority.has(t) && t.state === "MASTER" && explicitState.has(t)) t.priority = 255;
  if (!explicitState.has(t)) t.state = t.priority === 255 ? "MASTER" : "BACKUP";
  // vrrp_parser.c: only auth_type sets vrrp->auth_type; without it the instance keeps
  // VRRP_AUTH_NONE and auth_pass is never used (keepalived says nothing, and runs)
  if (t.authentication && t.authentication.authType === undefined) {
    c.warning(
      n.keyword,
      "auth-ignored",
      `(${t.name}) authentication block without auth_type: keepalived uses no authentication, and so does keel`,
    );
    t.authentication = undefined;
  }
}

// ---------------------------------------------------------------------------
// vrrp_sync_group

export const vrrpSyncGroupSpec: BlockSpec<VrrpSyncGroup> = {
  name: "vrrp_sync_group",
  create: () => createVrrpSyncGroup(),
  keywords: {
    group: {
      parse: (c, n, t) => {
        if (t.group.length) {
          c.error(n.keyword, "duplicate-keyword", `group list already given for sync group ${t.name}`);
          c.takeBlock(n);
          return;
        }
        const lines = c.lines(n);
        c.count(n, 0);
        for (const line of lines) for (const w of line) t.group.push(w.text);
        if (t.group.length === 0) c.warning(n.keyword, "empty-block", `sync group ${t.name} has an empty group block`);
      },
      emit: (t, kw) => emitWordBlock(kw, t.group),
    },
    ...trackingKeywords<VrrpSyncGroup>("vrrp_sync_group"),
    notify_master: scriptField<VrrpSyncGroup>("notifyMaster"),
    notify_backup: scriptField<VrrpSyncGroup>("notifyBackup"),
    notify_fault: scriptField<VrrpSyncGroup>("notifyFault"),
    notify_stop: scriptField<VrrpSyncGroup>("notifyStop"),
    notify: scriptField<VrrpSyncGroup>("notify"),
    smtp_alert: boolField<VrrpSyncGroup>("smtpAlert"),
    sync_group_tracking_weight: flagField<VrrpSyncGroup>("syncGroupTrackingWeight"),
    global_tracking: {
      parse: (c, n, t) => {
        c.warning(
          n.keyword,
          "deprecated-keyword",
          `(${t.name}) global_tracking is deprecated; use track_interface/script/file on the sync group (it means sync_group_tracking_weight)`,
        );
        if (c.count(n, 0)) t.syncGroupTrackingWeight = true;
      },
    },
    notify_priority_changes: boolField<VrrpSyncGroup>("notifyPriorityChanges"),
  },
};
