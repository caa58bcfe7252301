/**
 * Top-level LVS keywords: virtual_server_group, virtual_server (with real_server and the
 * checkers), SSL and bfd_instance (keepalived check/check_parser.c init_check_keywords,
 * bfd/bfd_parser.c). Cross-block rules are in check.ts.
 */
import type { KeelConfig } from "../model";
import {
  type BlockSpec,
  type Ctx,
  type Keyword,
  boolField,
  emitBlock,
  enumField,
  flagField,
  intField,
  quote,
  strField,
} from "../schema";
import type { Node, Token } from "../tree";
import { familyOf } from "./addr";
import { bfdTopLevel } from "./bfd";
import { checkerKeywords } from "./checkers";
import {
  IPVS_WEIGHT_MAX,
  TIMER_MAX_UINT,
  lvsMethodField,
  moveLast,
  portToken,
  scriptField,
  textField,
  timerField,
} from "./common";
import { groupTopLevel } from "./group";
import {
  DEFAULT_PERSISTENCE_TIMEOUT,
  LVS_PROTOCOLS,
  LVS_SCHEDULERS,
  type RealServer,
  type SorryServer,
  type SslConfig,
  type VirtualServer,
  type VirtualService,
  createRealServer,
  createVirtualServer,
} from "./model";

const UINT_MAX = 4294967295;
/** 31 days (global_data.h LVS_MAX_TIMEOUT) */
const LVS_MAX_TIMEOUT = 86400 * 31;
/** IP_VS_PENAME_MAXLEN - 1 */
const PE_NAME_MAX = 15;

/** `IP [PORT]` of real_server and sorry_server; undefined after reporting. */
function serverAddress(c: Ctx, n: Node): { ip: string; port?: number } | undefined {
  if (!c.count(n, 1, 2)) return undefined;
  const ip = c.ipToken(n.args[0] as Token);
  if (!ip) return undefined;
  const out: { ip: string; port?: number } = { ip };
  if (n.args[1]) {
    const p = portToken(c, n.args[1], "port");
    if (p === null) return undefined;
    if (p !== undefined) out.port = p;
  }
  return out;
}

function formatAddress(ip: string, port?: number): string {
  return port === undefined ? ip : `${ip} ${port}`;
}

// ---------------------------------------------------------------------------
// real_server

export const realServerSpec: BlockSpec<RealServer> = {
  name: "real_server",
  create: () => createRealServer(""),
  keywords: {
    weight: intField<RealServer>("weight", 0, IPVS_WEIGHT_MAX),
    lvs_method: lvsMethodField<RealServer>("lvsMethod"),
    uthreshold: intField<RealServer>("uthreshold", 0, UINT_MAX),
    lthreshold: intField<RealServer>("lthreshold", 0, UINT_MAX),
    inhibit_on_failure: boolField<RealServer>("inhibitOnFailure"),
    notify_up: scriptField<RealServer>("notifyUp"),
    notify_down: scriptField<RealServer>("notifyDown"),
    alpha: boolField<RealServer>("alpha"),
    retry: intField<RealServer>("retry", 1, UINT_MAX),
    delay_before_retry: timerField<RealServer>("delayBeforeRetry", false),
    warmup: timerField<RealServer>("warmup", false),
    connect_timeout: timerField<RealServer>("connectTimeout", true, TIMER_MAX_UINT),
    delay_loop: timerField<RealServer>("delayLoop", true),
    smtp_alert: boolField<RealServer>("smtpAlert"),
    virtualhost: textField<RealServer>("virtualhost"),
    snmp_name: textField<RealServer>("snmpName"),
    ...checkerKeywords,
  },
};

function parseRealServer(c: Ctx, n: Node, vs: VirtualServer): void {
  const a = serverAddress(c, n);
  if (!a) {
    // alloc_rs: an invalid address skips the whole block
    c.takeBlock(n);
    return;
  }
  const rs = createRealServer(a.ip, a.port);
  c.origin(rs, n);
  // `real_server IP PORT` without a block is valid: a server with no checker
  if (n.block) c.block(n, realServerSpec, rs);
  moveLast(rs, "checkers");
  vs.realServers.push(rs);
}

// ---------------------------------------------------------------------------
// virtual_server

/** persistence_granularity: an IPv4 netmask, or an IPv6 prefix length (pgr_handler). */
function parseGranularity(c: Ctx, n: Node, vs: VirtualServer): void {
  if (!c.count(n, 1)) return;
  const t = n.args[0] as Token;
  let v6: boolean;
  if (vs.ipFamily) v6 = vs.ipFamily === "inet6";
  else if (vs.service.kind === "address") v6 = familyOf(vs.service.ip) === 6;
  else v6 = !t.text.includes(".");
  if (v6) {
    if (c.intToken(t, 1, 128, "IPv6 persistence_granularity") === undefined) return;
  } else if (familyOf(t.text) !== 4) {
    c.error(t, "bad-value", `IPv4 persistence_granularity must be a netmask such as 255.255.255.0, not '${t.text}'`);
    return;
  }
  vs.persistenceGranularity = t.text;
}

const vsFlag = (key: "flag1" | "flag2" | "flag3" | "shPort" | "shFallback" | "mhPort" | "mhFallback" | "ops") =>
  flagField<VirtualServer>(key);

export const virtualServerSpec: BlockSpec<VirtualServer> = {
  name: "virtual_server",
  create: () => createVirtualServer({ kind: "fwmark", fwmark: 0 }),
  aliases: { lb_algo: "lvs_sched", lb_kind: "lvs_method" },
  // `hashed` is installed but matches no flag in lbflags_handler
  obsolete: { hashed: "it sets no IPVS flag" },
  keywords: {
    ip_family: enumField<VirtualServer, "inet" | "inet6">("ipFamily", ["inet", "inet6"]),
    lvs_sched: enumField<VirtualServer, (typeof LVS_SCHEDULERS)[number]>("lbAlgo", LVS_SCHEDULERS),
    "flag-1": vsFlag("flag1"),
    "flag-2": vsFlag("flag2"),
    "flag-3": vsFlag("flag3"),
    "sh-port": vsFlag("shPort"),
    "sh-fallback": vsFlag("shFallback"),
    "mh-port": vsFlag("mhPort"),
    "mh-fallback": vsFlag("mhFallback"),
    ops: vsFlag("ops"),
    lvs_method: lvsMethodField<VirtualServer>("lvsMethod"),
    persistence_engine: {
      parse: (c, n, vs) => {
        if (!c.count(n, 1)) return;
        const t = n.args[0] as Token;
        if (t.text.length > PE_NAME_MAX) {
          c.error(
            t,
            "bad-value",
            `persistence_engine name '${t.text}' is too long (at most ${PE_NAME_MAX} characters)`,
          );
          return;
        }
        vs.persistenceEngine = t.text;
      },
      emit: strField<VirtualServer>("persistenceEngine").emit,
    },
    persistence_timeout: {
      // no value: IPVS_SVC_PERSISTENT_TIMEOUT (6 minutes)
      parse: (c, n, vs) => {
        if (!c.count(n, 0, 1)) return;
        if (n.args.length === 0) {
          vs.persistenceTimeout = DEFAULT_PERSISTENCE_TIMEOUT;
          return;
        }
        const v = c.int(n, 0, 1, LVS_MAX_TIMEOUT);
        if (v !== undefined) vs.persistenceTimeout = v;
      },
      emit: (vs) => (vs.persistenceTimeout === undefined ? [] : [`persistence_timeout ${vs.persistenceTimeout}`]),
    },
    persistence_granularity: { parse: parseGranularity, emit: strField<VirtualServer>("persistenceGranularity").emit },
    protocol: enumField<VirtualServer, (typeof LVS_PROTOCOLS)[number]>("protocol", LVS_PROTOCOLS),
    ha_suspend: flagField<VirtualServer>("haSuspend"),
    smtp_alert: boolField<VirtualServer>("smtpAlert"),
    virtualhost: textField<VirtualServer>("virtualhost"),
    snmp_name: textField<VirtualServer>("snmpName"),
    alpha: flagField<VirtualServer>("alpha"),
    omega: flagField<VirtualServer>("omega"),
    quorum_up: scriptField<VirtualServer>("quorumUp"),
    quorum_down: scriptField<VirtualServer>("quorumDown"),
    quorum: intField<VirtualServer>("quorum", 1, UINT_MAX),
    hysteresis: intField<VirtualServer>("hysteresis", 0, UINT_MAX),
    weight: intField<VirtualServer>("weight", 1, IPVS_WEIGHT_MAX),
    retry: intField<VirtualServer>("retry", 1, UINT_MAX),
    delay_before_retry: timerField<VirtualServer>("delayBeforeRetry", false),
    warmup: timerField<VirtualServer>("warmup", false),
    connect_timeout: timerField<VirtualServer>("connectTimeout", true, TIMER_MAX_UINT),
    delay_loop: timerField<VirtualServer>("delayLoop", true),
    inhibit_on_failure: flagField<VirtualServer>("inhibitOnFailure"),
    sorry_server: {
      parse: (c, n, vs) => {
        const a = serverAddress(c, n);
        if (!a) return;
        const s: SorryServer = { ...a, inhibit: false };
        c.origin(s, n);
        vs.sorryServer = s;
      },
      // without its address (a hand-written model) the sorry server is not written, nor
      // are the two keywords below, which keepalived takes only after it
      emit: (vs) =>
        vs.sorryServer?.ip !== undefined
          ? [`sorry_server ${formatAddress(vs.sorryServer.ip, vs.sorryServer.port)}`]
          : [],
    },
    sorry_server_inhibit: {
      // ssvri_handler: only after sorry_server
      parse: (c, n, vs) => {
        if (!c.count(n, 0)) return;
        if (vs.sorryServer) vs.sorryServer.inhibit = true;
        else
          c.error(
            n.keyword,
            "missing-keyword",
            "'sorry_server_inhibit' is used before or without 'sorry_server'; keepalived ignores it",
          );
      },
      emit: (vs) => (vs.sorryServer?.ip !== undefined && vs.sorryServer.inhibit ? ["sorry_server_inhibit"] : []),
    },
    sorry_server_lvs_method: {
      parse: (c, n, vs) => {
        if (!vs.sorryServer) {
          c.error(
            n.keyword,
            "missing-keyword",
            "'sorry_server_lvs_method' is used before or without 'sorry_server'; keepalived ignores it",
          );
          return;
        }
        const holder: { lvsMethod?: SorryServer["lvsMethod"] } = {};
        lvsMethodField<typeof holder>("lvsMethod").parse(c, n, holder);
        if (holder.lvsMethod) vs.sorryServer.lvsMethod = holder.lvsMethod;
      },
      emit: (vs, kw) =>
        vs.sorryServer?.ip !== undefined && vs.sorryServer.lvsMethod
          ? (lvsMethodField<SorryServer>("lvsMethod").emit?.(vs.sorryServer, kw, undefined) ?? [])
          : [],
    },
    real_server: {
      parse: parseRealServer,
      // a real server without its address (a hand-written model) is not written
      emit: (vs) =>
        (vs.realServers ?? []).flatMap((rs) =>
          rs.ip === undefined
            ? []
            : [{ line: `real_server ${formatAddress(rs.ip, rs.port)}`, block: emitBlock(realServerSpec, rs) }],
        ),
    },
  },
};

/** `IP [PORT]`, `fwmark N` or `group NAME` (alloc_vs). */
function parseService(c: Ctx, n: Node): VirtualService | undefined {
  const [a, b] = n.args;
  if (!a) {
    c.error(n.keyword, "missing-argument", "'virtual_server' needs 'IP [PORT]', 'fwmark N' or 'group NAME'");
    return undefined;
  }
  if (!c.count(n, 1, 2)) return undefined;
  if (a.text === "group") {
    if (!b) {
      c.error(a, "missing-argument", "'group' needs a virtual_server_group name");
      return undefined;
    }
    return { kind: "group", group: b.text };
  }
  if (a.text === "fwmark") {
    if (!b) {
      c.error(a, "missing-argument", "'fwmark' needs a number");
      return undefined;
    }
    const fwmark = c.intToken(b, 0, UINT_MAX, "virtual_server fwmark");
    return fwmark === undefined ? undefined : { kind: "fwmark", fwmark };
  }
  const ip = c.ipToken(a);
  if (!ip) return undefined;
  const svc: VirtualService = { kind: "address", ip };
  if (b) {
    const p = portToken(c, b, "port");
    if (p === null) return undefined;
    if (p !== undefined) svc.port = p;
  }
  return svc;
}

/**
 * The service of a hand-written (TOML) model, which may leave out the kind (the field
 * given says which it is) or what identifies the service: then undefined, and the
 * virtual server is not written.
 */
function completeService(
  s: Partial<{ kind: VirtualService["kind"]; ip: string; port: number; fwmark: number; group: string }> | undefined,
): VirtualService | undefined {
  if (!s) return undefined;
  const kind = s.kind ?? (s.group !== undefined ? "group" : s.fwmark !== undefined ? "fwmark" : "address");
  if (kind === "group") return s.group === undefined ? undefined : { kind, group: s.group };
  if (kind === "fwmark") return s.fwmark === undefined ? undefined : { kind, fwmark: s.fwmark };
  if (s.ip === undefined) return undefined;
  return s.port === undefined ? { kind, ip: s.ip } : { kind, ip: s.ip, port: s.port };
}

function formatService(s: VirtualService): string {
  if (s.kind === "group") return `group ${quote(s.group)}`;
  if (s.kind === "fwmark") return `fwmark ${s.fwmark}`;
  return formatAddress(s.ip, s.port);
}

function parseVirtualServer(c: Ctx, n: Node, cfg: KeelConfig): void {
  const svc = parseService(c, n);
  if (!svc) {
    // alloc_vs: an invalid service skips the whole block
    c.takeBlock(n);
    return;
  }
  const vs = createVirtualServer(svc);
  c.origin(vs, n);
  c.block(n, virtualServerSpec, vs);
  moveLast(vs, "realServers");
  if (!n.block) return;
  if (vs.realServers.length === 0) {
    // vs_end_handler
    c.warning(
      n.keyword,
      "no-real-servers",
      `virtual_server ${formatService(svc)} has no real servers; keepalived ignores it`,
    );
    return;
  }
  cfg.virtualServers.push(vs);
}

// ---------------------------------------------------------------------------
// SSL

export const sslSpec: BlockSpec<SslConfig> = {
  name: "SSL",
  keywords: {
    password: textField<SslConfig>("password"),
    ca: textField<SslConfig>("ca"),
    certificate: textField<SslConfig>("certificate"),
    key: textField<SslConfig>("key"),
  },
};

export const lvsTopLevel: Record<string, Keyword<KeelConfig>> = {
  ...groupTopLevel,
  virtual_server: {
    parse: parseVirtualServer,
    emit: (cfg) =>
      (cfg.virtualServers ?? []).flatMap((vs) => {
        const svc = completeService(vs.service);
        return svc ? [{ line: `virtual_server ${formatService(svc)}`, block: emitBlock(virtualServerSpec, vs) }] : [];
      }),
  },
  SSL: {
    parse: (c, n, cfg) => {
      c.count(n, 0);
      // ssl_handler: a second block replaces the first
      if (cfg.ssl) c.warning(n.keyword, "duplicate-block", "SSL is already defined; this block replaces it");
      const ssl: SslConfig = {};
      c.origin(ssl, n);
      c.block(n, sslSpec, ssl);
      cfg.ssl = ssl;
    },
    emit: (cfg) => (cfg.ssl ? [{ line: "SSL", block: emitBlock(sslSpec, cfg.ssl) }] : []),
  },
  ...bfdTopLevel,
};
