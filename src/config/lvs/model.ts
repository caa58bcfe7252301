/**
 * The LVS part of the model: virtual_server_group, virtual_server (with its real
 * servers and their health checkers), the SSL block used by SSL_GET, and bfd_instance.
 *
 * Units: every time value is in seconds (keepalived's TIMER, up to 6 decimals) unless
 * the field name says otherwise (the BFD intervals are milliseconds, as keepalived writes them).
 *
 * Inheritance (keepalived check_data.c validate_check_config): a real server takes
 * alpha, inhibit_on_failure, retry, connect_timeout, delay_loop, warmup,
 * delay_before_retry, weight and lvs_method from its virtual server, and a checker
 * takes them from its real server. Those fields are optional on the real server and
 * the checker (undefined = inherit) and are filled on the virtual server; the
 * `effective*` helpers at the end resolve them the way keepalived does.
 */
import type { Script } from "../script";

// ---------------------------------------------------------------------------
// Virtual server groups

/** `IP[-END|/PREFIX] [PORT]`: one address or an inclusive range of addresses. */
export interface VsgAddressRange {
  kind: "range";
  /** first address of the range */
  first: string;
  /** last address of the range (equal to `first` for a single address) */
  last: string;
  /** undefined: no port (only valid for persistent services) */
  port?: number;
}

/** `fwmark N [inet|inet6]` */
export interface VsgFwmark {
  kind: "fwmark";
  fwmark: number;
  /** only for groups whose real servers are all tunnelled */
  family?: "inet" | "inet6";
}

export type VsgEntry = VsgAddressRange | VsgFwmark;

export interface VirtualServerGroup {
  name: string;
  entries: VsgEntry[];
}

// ---------------------------------------------------------------------------
// Forwarding

export const LVS_METHODS = ["NAT", "DR", "TUN"] as const;
export type LvsMethodName = (typeof LVS_METHODS)[number];
export const TUNNEL_TYPES = ["ipip", "gue", "gre"] as const;
export const TUNNEL_CHECKSUMS = ["nocsum", "csum", "remcsum"] as const;

/** `lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` */
export interface LvsMethod {
  method: LvsMethodName;
  /** TUN only; keepalived's default is ipip */
  tunnelType?: (typeof TUNNEL_TYPES)[number];
  /** TUN type gue only (required there) */
  tunnelPort?: number;
  /** TUN only; keepalived's default is nocsum */
  tunnelChecksum?: (typeof TUNNEL_CHECKSUMS)[number];
}

// ---------------------------------------------------------------------------
// Checkers

/** Options every checker except MISC_CHECK, FILE_CHECK and BFD_CHECK has (check_api.c). */
export interface ConnOpts {
  /** default: the real server's address */
  connectIp?: string;
  /** default: the real server's port */
  connectPort?: number;
  /** source address */
  bindto?: string;
  bindPort?: number;
  /** needed when the target is an IPv6 link-local address */
  bindIf?: string;
  /** seconds; default: the real server's connect_timeout */
  connectTimeout?: number;
  /** SO_MARK on the checker's packets */
  fwmark?: number;
}

/** Options every checker except FILE_CHECK and BFD_CHECK has (undefined = inherit). */
export interface CheckerTiming {
  /** number of retries before a server is declared down */
  retry?: number;
  /** seconds */
  delayBeforeRetry?: number;
  /** seconds; random start delay up to this */
  warmup?: number;
  /** seconds */
  delayLoop?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

export interface TcpCheck extends ConnOpts, CheckerTiming {
  type: "TCP_CHECK";
}

export interface PingCheck extends ConnOpts, CheckerTiming {
  type: "PING_CHECK";
}

/** One status code or an inclusive range (`200`, `200-299`). */
export interface StatusRange {
  from: number;
  to: number;
}

export const REGEX_OPTIONS = [
  "allow_empty_class",
  "alt_bsux",
  "auto_callout",
  "caseless",
  "dollar_endonly",
  "dotall",
  "dupnames",
  "extended",
  "firstline",
  "match_unset_backref",
  "multiline",
  "never_ucp",
  "never_utf",
  "no_auto_capture",
  "no_auto_possess",
  "no_dotstar_anchor",
  "no_start_optimize",
  "ucp",
  "ungreedy",
  "utf",
  "never_backslash_c",
  "alt_circumflex",
  "alt_verbnames",
  "use_offset_limit",
] as const;
export type RegexOption = (typeof REGEX_OPTIONS)[number];

export interface HttpUrl {
  path: string;
  /** MD5 of the body, 32 hex digits (genhash) */
  digest?: string;
  /** accepted status codes; keepalived's default is 200-299 */
  statusCodes: StatusRange[];
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  regexOptions: RegexOption[];
  /** PCRE2 JIT stack sizes in bytes */
  regexStack?: { start: number; max: number };
  /** bytes */
  regexMinOffset?: number;
  /** bytes (the last acceptable start of a match) */
  regexMaxOffset?: number;
  /** SSL_GET only: send close_notify */
  tlsCompliant?: boolean;
}

export const HTTP_PROTOCOLS = ["1.0", "1.0C", "1.1"] as const;

export interface HttpCheck extends ConnOpts, CheckerTiming {
  type: "HTTP_GET" | "SSL_GET";
  urls: HttpUrl[];
  /** default: the real server's, then the virtual server's virtualhost */
  virtualhost?: string;
  /** 1.0C is 1.0 plus `Connection: close` */
  httpProtocol: (typeof HTTP_PROTOCOLS)[number];
  enableSni: boolean;
  /** implies enable_sni */
  sniName?: string;
  fastRecovery: boolean;
  /** SSL_GET only */
  tlsCompliant: boolean;
}

/** The deprecated `host { ... }` sub-block of SMTP_CHECK: one more checker per host. */
export interface SmtpHost extends ConnOpts, CheckerTiming {}

export interface SmtpCheck extends ConnOpts, CheckerTiming {
  type: "SMTP_CHECK";
  heloName: string;
  /** deprecated form; keepalived makes one checker per host */
  hosts: SmtpHost[];
}

export const DNS_TYPES = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"] as const;

export interface DnsCheck extends ConnOpts, CheckerTiming {
  type: "DNS_CHECK";
  queryType: (typeof DNS_TYPES)[number];
  /** the name queried; "." is the root (keepalived's default) */
  name: string;
}

export interface MiscCheck extends CheckerTiming {
  type: "MISC_CHECK";
  /** the program and its arguments; `user` sets its user/group */
  miscPath: Script;
  /** seconds; undefined: keepalived uses delay_loop */
  miscTimeout?: number;
  /** exit codes 2..255 set the weight */
  miscDynamic: boolean;
}

export interface UdpCheck extends ConnOpts, CheckerTiming {
  type: "UDP_CHECK";
  /** hex string sent (keepalived's free format); random data when absent */
  payload?: string;
  requireReply: boolean;
  /** hex string the reply must start with; x/X is a wildcard nibble */
  replyData?: string;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface FileCheck {
  type: "FILE_CHECK";
  /** name of a top-level track_file block */
  trackFile: string;
  /** multiplier for the file's value; undefined: the track_file's weight */
  weight?: number;
  weightReverse: boolean;
}

export interface BfdCheck {
  type: "BFD_CHECK";
  /** name of a bfd_instance */
  name: string;
  alpha?: boolean;
}

export type Checker =
  | TcpCheck
  | PingCheck
  | HttpCheck
  | SmtpCheck
  | DnsCheck
  | MiscCheck
  | UdpCheck
  | FileCheck
  | BfdCheck;
export type CheckerType = Checker["type"];

// ---------------------------------------------------------------------------
// Real and sorry servers

export interface RealServer {
  ip: string;
  /** undefined: the virtual server's port (NAT/DR/TUN) or none (fwmark) */
  port?: number;
  /** 0..65535; undefined: the virtual server's `weight` (default 1) */
  weight?: number;
  /** undefined: the virtual server's lvs_method */
  lvsMethod?: LvsMethod;
  /** connection limits (0: none) */
  uthreshold?: number;
  lthreshold?: number;
  inhibitOnFailure?: boolean;
  notifyUp?: Script;
  notifyDown?: Script;
  alpha?: boolean;
  retry?: number;
  /** seconds */
  delayBeforeRetry?: number;
  /** seconds */
  warmup?: number;
  /** seconds */
  connectTimeout?: number;
  /** seconds */
  delayLoop?: number;
  /** undefined: global smtp_alert_checker / smtp_alert, else yes */
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  checkers: Checker[];
}

export interface SorryServer {
  ip: string;
  port?: number;
  /** sorry_server_inhibit */
  inhibit: boolean;
  /** sorry_server_lvs_method; undefined: the virtual server's */
  lvsMethod?: LvsMethod;
}

// ---------------------------------------------------------------------------
// Virtual servers

export const LVS_SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "sh",
  "mh",
  "dh",
  "fo",
  "ovf",
  "lblcr",
  "sed",
  "nq",
  "twos",
] as const;
export type LvsScheduler = (typeof LVS_SCHEDULERS)[number];
export const LVS_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** How the service is addressed: `IP [PORT]`, `fwmark N` or `group NAME`. */
export type VirtualService =
  | { kind: "address"; ip: string; port?: number }
  | { kind: "fwmark"; fwmark: number }
  | { kind: "group"; group: string };

export interface VirtualServer {
  service: VirtualService;
  /** only needed for fwmark services whose real servers are all tunnelled */
  ipFamily?: "inet" | "inet6";
  lbAlgo: LvsScheduler;
  /** scheduler flags (ipvsadm -b) */
  flag1: boolean;
  flag2: boolean;
  flag3: boolean;
  shPort: boolean;
  shFallback: boolean;
  mhPort: boolean;
  mhFallback: boolean;
  /** one-packet scheduling (UDP only) */
  ops: boolean;
  /** undefined: NAT */
  lvsMethod?: LvsMethod;
  persistenceEngine?: string;
  /**
   * seconds; `persistence_timeout` without a value is 360. undefined with a
   * persistence_granularity, or on a service without a port: keepalived uses 360.
   */
  persistenceTimeout?: number;
  /** IPv4 netmask (e.g. 255.255.255.0) or IPv6 prefix length, as written */
  persistenceGranularity?: string;
  /** undefined for an address service: keepalived uses UDP (with a warning) */
  protocol?: (typeof LVS_PROTOCOLS)[number];
  haSuspend: boolean;
  /** undefined: global smtp_alert_checker / smtp_alert, else no */
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  alpha: boolean;
  omega: boolean;
  quorumUp?: Script;
  quorumDown?: Script;
  quorum: number;
  hysteresis: number;
  /** default weight of the real servers (1..65535) */
  weight: number;
  sorryServer?: SorryServer;
  /** undefined: each checker's own default (1; 0 for MISC_CHECK; 3 for DNS_CHECK) */
  retry?: number;
  /** seconds; undefined: each checker's own default */
  delayBeforeRetry?: number;
  /** seconds; undefined: delay_loop */
  warmup?: number;
  /** seconds */
  connectTimeout: number;
  /** seconds */
  delayLoop: number;
  inhibitOnFailure: boolean;
  realServers: RealServer[];
}

// ---------------------------------------------------------------------------
// SSL (used by SSL_GET; absent: keepalived makes a context itself)

export interface SslConfig {
  password?: string;
  /** CA file */
  ca?: string;
  /** certificate file */
  certificate?: string;
  /** key file */
  key?: string;
}

// ---------------------------------------------------------------------------
// BFD (bfd_parser.c)

export interface BfdInstance {
  name: string;
  /** required */
  neighborIp?: string;
  sourceIp?: string;
  /** milliseconds (3 decimals) */
  minRx: number;
  /** milliseconds (3 decimals) */
  minTx: number;
  /** milliseconds (3 decimals) */
  idleTx: number;
  multiplier: number;
  passive: boolean;
  /** TTL / hop limit sent; undefined: 255 for IPv4, 64 for IPv6 */
  ttl?: number;
  /** -1..255; 255 disables the check */
  maxHops: number;
  multihop: boolean;
  /** tracking weight for VRRP instances (-253..253) */
  weight: number;
  weightReverse: boolean;
  /** `vrrp` / `checker`: send events only to these; both false means both */
  vrrp: boolean;
  checker: boolean;
}

export interface LvsPart {
  virtualServerGroups: Record<string, VirtualServerGroup>;
  virtualServers: VirtualServer[];
  ssl?: SslConfig;
  bfdInstances: Record<string, BfdInstance>;
}

export function createLvsPart(): LvsPart {
  // no prototype: names from the config such as "constructor" are not found in it (see createVrrpPart)
  return { virtualServerGroups: Object.create(null), virtualServers: [], bfdInstances: Object.create(null) };
}

// ---------------------------------------------------------------------------
// Defaults (check_data.c alloc_vs/alloc_rs, check_*.c handlers, bfd_data.c alloc_bfd)

export const DEFAULT_PERSISTENCE_TIMEOUT = 360;
export const SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org";

export function createVirtualServer(service: VirtualService): VirtualServer {
  return {
    service,
    lbAlgo: "wlc",
    flag1: false,
    flag2: false,
    flag3: false,
    shPort: false,
    shFallback: false,
    mhPort: false,
    mhFallback: false,
    ops: false,
    haSuspend: false,
    alpha: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    weight: 1,
    connectTimeout: 5,
    delayLoop: 60,
    inhibitOnFailure: false,
    realServers: [],
  };
}

export function createRealServer(ip: string, port?: number): RealServer {
  const rs: RealServer = { ip, checkers: [] };
  if (port !== undefined) rs.port = port;
  return rs;
}

export function createHttpUrl(): HttpUrl {
  return { path: "", statusCodes: [{ from: 200, to: 299 }], regexNoMatch: false, regexOptions: [] };
}

export function createBfdInstance(name: string): BfdInstance {
  return {
    name,
    minRx: 10,
    minTx: 10,
    idleTx: 1000,
    multiplier: 5,
    passive: false,
    maxHops: 0,
    multihop: false,
    weight: 0,
    weightReverse: false,
    vrrp: false,
    checker: false,
  };
}

/** Fresh checker of `type` with keepalived's defaults. */
export function createChecker(type: CheckerType): Checker {
  switch (type) {
    case "TCP_CHECK":
    case "PING_CHECK":
      return { type };
    case "HTTP_GET":
    case "SSL_GET":
      return { type, urls: [], httpProtocol: "1.0", enableSni: false, fastRecovery: false, tlsCompliant: false };
    case "SMTP_CHECK":
      return { type, heloName: SMTP_DEFAULT_HELO, hosts: [] };
    case "DNS_CHECK":
      return { type, queryType: "SOA", name: "." };
    case "MISC_CHECK":
      return { type, miscPath: { command: "" }, miscDynamic: false };
    case "UDP_CHECK":
      return { type, requireReply: false, minReplyLength: 0, maxReplyLength: 255 };
    case "FILE_CHECK":
      return { type, trackFile: "", weightReverse: false };
    case "BFD_CHECK":
      return { type, name: "" };
  }
}

// ---------------------------------------------------------------------------
// Inheritance, resolved the way validate_check_config does it.

export function effectiveLvsMethod(vs: VirtualServer, rs: { lvsMethod?: LvsMethod }): LvsMethod {
  return rs.lvsMethod ?? vs.lvsMethod ?? { method: "NAT" };
}

export function effectiveWeight(vs: VirtualServer, rs: RealServer): number {
  return rs.weight ?? vs.weight;
}

/** The real server's port as IPVS gets it (keepalived copies the service port, or clears it for fwmark). */
export function effectivePort(vs: VirtualServer, rs: { port?: number; lvsMethod?: LvsMethod }): number | undefined {
  const m = effectiveLvsMethod(vs, rs).method;
  if (vs.service.kind === "fwmark") return m === "NAT" ? rs.port : undefined;
  if (vs.service.kind === "group") return rs.port;
  if (m === "NAT") return rs.port ?? vs.service.port;
  return vs.service.port;
}

/** Default retry count per checker type (check_*.c default_retry). */
export function defaultRetry(type: CheckerType): number {
  return type === "MISC_CHECK" ? 0 : type === "DNS_CHECK" ? 3 : 1;
}

export interface CheckerSchedule {
  retry: number;
  /** seconds */
  delayBeforeRetry: number;
  /** seconds */
  warmup: number;
  /** seconds */
  delayLoop: number;
  /** seconds */
  connectTimeout: number;
  alpha: boolean;
}

/** A checker's timing after inheritance from its real and virtual server. */
export function effectiveSchedule(vs: VirtualServer, rs: RealServer, ck: Checker): CheckerSchedule {
  const own: CheckerTiming & ConnOpts =
    ck.type === "FILE_CHECK" || ck.type === "BFD_CHECK"
      ? { alpha: ck.type === "BFD_CHECK" ? ck.alpha : undefined }
      : ck;
  const delayLoop = own.delayLoop ?? rs.delayLoop ?? vs.delayLoop;
  const defaultDbr = ck.type === "HTTP_GET" || ck.type === "SSL_GET" ? 3 : ck.type === "DNS_CHECK" ? delayLoop : 1;
  return {
    retry: own.retry ?? rs.retry ?? vs.retry ?? defaultRetry(ck.type),
    delayBeforeRetry: own.delayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? defaultDbr,
    warmup: own.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop,
    delayLoop,
    connectTimeout: own.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout,
    alpha: own.alpha ?? rs.alpha ?? vs.alpha,
  };
}
