/**
 * The checker blocks of a real_server: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK,
 * DNS_CHECK, MISC_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK (keepalived
 * check_*.c, each installing its own keywords). Each block becomes one member of the
 * `Checker` tagged union; a checker keepalived would drop (e.g. MISC_CHECK without
 * misc_path) is reported and left out of the model.
 */
import {
  type BlockSpec,
  type Ctx,
  type Emit,
  type Keyword,
  boolField,
  emitBlock,
  intField,
  quote,
  strField,
} from "../schema";
import type { Node, Token } from "../tree";
import { connKeywords, timingKeywords } from "./checker-common";
import { IPVS_WEIGHT_MAX, moveLast } from "./common";
import { finishHttpCheck, httpGetSpec, sslGetSpec } from "./http";
import {
  type BfdCheck,
  type Checker,
  type CheckerType,
  DNS_TYPES,
  type DnsCheck,
  type FileCheck,
  type MiscCheck,
  type PingCheck,
  type RealServer,
  type SmtpCheck,
  type SmtpHost,
  type TcpCheck,
  type UdpCheck,
  createChecker,
} from "./model";

// ---------------------------------------------------------------------------
// TCP_CHECK, PING_CHECK: only the common options

const tcpSpec: BlockSpec<TcpCheck> = {
  name: "TCP_CHECK",
  keywords: { ...connKeywords, ...timingKeywords },
  create: () => createChecker("TCP_CHECK") as TcpCheck,
};
const pingSpec: BlockSpec<PingCheck> = {
  name: "PING_CHECK",
  keywords: { ...connKeywords, ...timingKeywords },
  create: () => createChecker("PING_CHECK") as PingCheck,
};

// ---------------------------------------------------------------------------
// SMTP_CHECK (check_smtp.c): helo_name, and the deprecated host { ... } sub-blocks

const smtpHostSpec: BlockSpec<SmtpHost> = { name: "host", keywords: { ...connKeywords, ...timingKeywords } };

const smtpSpec: BlockSpec<SmtpCheck> = {
  name: "SMTP_CHECK",
  create: () => createChecker("SMTP_CHECK") as SmtpCheck,
  keywords: {
    ...connKeywords,
    ...timingKeywords,
    helo_name: {
      // set_value(): the rest of the line
      parse: (c, n, t) => {
        const v = c.rest(n);
        if (v !== undefined) t.heloName = v;
      },
      emit: strField<SmtpCheck>("heloName").emit,
    },
    host: {
      parse: (c, n, t) => {
        c.warning(
          n.keyword,
          "deprecated-keyword",
          "the SMTP_CHECK 'host' block is deprecated; use one SMTP_CHECK per host",
        );
        c.count(n, 0);
        const h: SmtpHost = {};
        c.origin(h, n);
        c.block(n, smtpHostSpec, h);
        if (n.block) t.hosts.push(h);
      },
      emit: (t) => (t.hosts ?? []).map((h) => ({ line: "host", block: emitBlock(smtpHostSpec, h) })),
    },
  },
};

// ---------------------------------------------------------------------------
// DNS_CHECK (check_dns.c): type, name

/** checkers whose name was set explicitly (the default is "."), for the duplicate check */
const dnsNameSet = new WeakSet<DnsCheck>();

const dnsSpec: BlockSpec<DnsCheck> = {
  name: "DNS_CHECK",
  create: () => createChecker("DNS_CHECK") as DnsCheck,
  keywords: {
    ...connKeywords,
    ...timingKeywords,
    type: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = c.oneOf(n, 0, DNS_TYPES, "DNS query type");
        if (v) t.queryType = v;
      },
      emit: strField<DnsCheck>("queryType").emit,
    },
    name: {
      // dns_name_handler: no empty label (".x", "a..b"); the first name wins
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const tok = n.args[0] as Token;
        const v = tok.text;
        if (dnsNameSet.has(t)) {
          c.error(tok, "duplicate-keyword", "DNS_CHECK name is already set; keepalived ignores this one");
          return;
        }
        if ((v.startsWith(".") && v !== ".") || v.includes("..") || v === "") {
          c.error(tok, "bad-value", `DNS_CHECK name '${v}' has an empty label`);
          return;
        }
        t.name = v;
        dnsNameSet.add(t);
      },
      emit: strField<DnsCheck>("name").emit,
    },
  },
};

// ---------------------------------------------------------------------------
// MISC_CHECK (check_misc.c): misc_path, misc_timeout, misc_dynamic, user

/**
 * misc_path takes the whole line (alloc_strvec_quoted): `misc_path /bin/x a b` and
 * `misc_path "/bin/x a b"` are the same command. A quoted word with blanks among
 * several keeps its quotes so the command splits back into the same words.
 */
function commandLine(tokens: Token[]): string {
  if (tokens.length === 1) return (tokens[0] as Token).text;
  return tokens.map((t) => (t.quoted && (/\s/.test(t.text) || t.text === "") ? `"${t.text}"` : t.text)).join(" ");
}

const miscSpec: BlockSpec<MiscCheck> = {
  name: "MISC_CHECK",
  create: () => createChecker("MISC_CHECK") as MiscCheck,
  keywords: {
    ...timingKeywords,
    misc_path: {
      parse: (c, n, t) => {
        if (n.args.length === 0) {
          c.error(n.keyword, "missing-argument", "'misc_path' needs a command");
          return;
        }
        t.miscPath = { ...t.miscPath, command: commandLine(n.args) };
        // where the command is named: keel -t reports an insecure script at this line
        c.origin(t.miscPath, n.args[0] as Token);
      },
      emit: (t) => {
        const cmd = t.miscPath?.command;
        if (!cmd) return [];
        return [`misc_path ${cmd.includes('"') ? cmd : quote(cmd)}`];
      },
    },
    misc_timeout: intField<MiscCheck>("miscTimeout", 0, 4294),
    misc_dynamic: boolField<MiscCheck>("miscDynamic"),
    user: {
      // `user USER [GROUP]` or `user USER:GROUP` (set_script_uid_gid)
      parse: (c, n, t) => {
        if (!c.count(n, 1, 2)) return;
        let user = (n.args[0] as Token).text;
        let group = n.args[1]?.text;
        const colon = user.indexOf(":");
        if (colon >= 0 && group === undefined) {
          group = user.slice(colon + 1) || undefined;
          user = user.slice(0, colon);
        }
        if (user === "") {
          c.error(n.args[0] as Token, "bad-value", "'user' needs a user name");
          return;
        }
        const at = t.miscPath && c.origins.get(t.miscPath);
        t.miscPath = { command: t.miscPath?.command ?? "", user };
        if (at) c.origin(t.miscPath, at);
        if (group !== undefined) t.miscPath.group = group;
      },
      emit: (t) => {
        const s = t.miscPath;
        if (!s?.user) return [];
        return [`user ${quote(s.user)}${s.group !== undefined ? ` ${quote(s.group)}` : ""}`];
      },
    },
  },
};

// ---------------------------------------------------------------------------
// UDP_CHECK (check_udp.c): payload, require_reply, min/max_reply_length

/** read_hex_str(): hex digits, one or two per byte, blank-separated; x/X wildcards in replies. */
function hexString(c: Ctx, n: Node, wildcard: boolean): string | undefined {
  const text = n.args.map((t) => t.text).join(" ");
  const ok = wildcard ? /^[0-9a-fA-FxX\s]+$/ : /^[0-9a-fA-F\s]+$/;
  if (!ok.test(text) || text.trim() === "") {
    c.error(
      n.args[0] ?? n.keyword,
      "bad-value",
      `'${n.keyword.text}' needs a hex string${wildcard ? " (x or X for a wildcard nibble)" : ""}, not '${text}'`,
    );
    return undefined;
  }
  return text;
}

const udpSpec: BlockSpec<UdpCheck> = {
  name: "UDP_CHECK",
  create: () => createChecker("UDP_CHECK") as UdpCheck,
  keywords: {
    ...connKeywords,
    ...timingKeywords,
    payload: {
      parse: (c, n, t) => {
        if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
        const v = hexString(c, n, false);
        if (v !== undefined) t.payload = v;
      },
      emit: (t) => (t.payload === undefined ? [] : [`payload ${t.payload}`]),
    },
    require_reply: {
      parse: (c, n, t) => {
        t.requireReply = true;
        if (n.args.length === 0) return;
        const v = hexString(c, n, true);
        if (v !== undefined) t.replyData = v;
      },
      emit: (t) =>
        t.requireReply ? [t.replyData === undefined ? "require_reply" : `require_reply ${t.replyData}`] : [],
    },
    min_reply_length: intField<UdpCheck>("minReplyLength", 0, 65535),
    max_reply_length: intField<UdpCheck>("maxReplyLength", 0, 65535),
  },
};

// ---------------------------------------------------------------------------
// FILE_CHECK (check_file.c): track_file, weight [reverse|noreverse]

const fileSpec: BlockSpec<FileCheck> = {
  name: "FILE_CHECK",
  create: () => createChecker("FILE_CHECK") as FileCheck,
  // in the man page, but keepalived 2.4.3's check_file.c installs no such keyword
  obsolete: { dynamic: "keepalived documents it for FILE_CHECK but does not implement it" },
  keywords: {
    track_file: strField<FileCheck>("trackFile"),
    weight: {
      parse: (c, n, t) => {
        if (!c.count(n, 1, 2)) return;
        const w = c.int(n, 0, -IPVS_WEIGHT_MAX, IPVS_WEIGHT_MAX);
        const opt = n.args[1];
        let reverse = false;
        if (opt) {
          if (opt.text === "reverse") reverse = true;
          else if (opt.text !== "noreverse") {
            c.error(opt, "bad-value", `unknown weight option '${opt.text}' (expected reverse or noreverse)`);
            return;
          }
        }
        if (w === undefined) return;
        t.weight = w;
        t.weightReverse = reverse;
      },
      emit: (t) => (t.weight === undefined ? [] : [`weight ${t.weight}${t.weightReverse ? " reverse" : ""}`]),
    },
  },
};

// ---------------------------------------------------------------------------
// BFD_CHECK (check_bfd.c): name, alpha

const bfdSpec: BlockSpec<BfdCheck> = {
  name: "BFD_CHECK",
  create: () => createChecker("BFD_CHECK") as BfdCheck,
  keywords: {
    name: {
      parse: (c, n, t) => {
        if (!c.count(n, 1)) return;
        const v = (n.args[0] as Token).text;
        if (t.name !== "") {
          c.error(n.args[0] as Token, "duplicate-keyword", `BFD_CHECK already names '${t.name}'`);
          return;
        }
        if (v.length >= 32) {
          c.error(n.args[0] as Token, "bad-value", `BFD name '${v}' is too long (at most 31 characters)`);
          return;
        }
        t.name = v;
      },
      emit: strField<BfdCheck>("name").emit,
    },
    alpha: boolField<BfdCheck>("alpha"),
  },
};

// ---------------------------------------------------------------------------
// Dispatch

// biome-ignore lint/suspicious/noExplicitAny: one table over the members of a union
export const SPECS: Record<CheckerType, BlockSpec<any>> = {
  TCP_CHECK: tcpSpec,
  HTTP_GET: httpGetSpec,
  SSL_GET: sslGetSpec,
  SMTP_CHECK: smtpSpec,
  DNS_CHECK: dnsSpec,
  MISC_CHECK: miscSpec,
  UDP_CHECK: udpSpec,
  PING_CHECK: pingSpec,
  FILE_CHECK: fileSpec,
  BFD_CHECK: bfdSpec,
};

export const CHECKER_TYPES = Object.keys(SPECS) as CheckerType[];

/** The checker's end handler: what keepalived requires before it queues the checker. */
function finish(c: Ctx, n: Node, ck: Checker): boolean {
  switch (ck.type) {
    case "HTTP_GET":
    case "SSL_GET":
      return finishHttpCheck(c, n, ck);
    case "MISC_CHECK":
      if (ck.miscPath.command === "") {
        c.error(n.keyword, "missing-keyword", "MISC_CHECK has no 'misc_path'; keepalived ignores this checker");
        return false;
      }
      return true;
    case "UDP_CHECK":
      if (ck.minReplyLength > ck.maxReplyLength)
        c.warning(
          n.keyword,
          "bad-value",
          `UDP_CHECK min_reply_length ${ck.minReplyLength} > max_reply_length ${ck.maxReplyLength}: the check always fails`,
        );
      return true;
    case "FILE_CHECK":
      if (ck.trackFile === "") {
        c.error(n.keyword, "missing-keyword", "FILE_CHECK has no 'track_file'; keepalived ignores this checker");
        return false;
      }
      return true;
    case "BFD_CHECK":
      if (ck.name === "") {
        c.error(n.keyword, "missing-keyword", "BFD_CHECK has no 'name'; keepalived ignores this checker");
        return false;
      }
      return true;
    default:
      return true;
  }
}

function parseChecker(type: CheckerType) {
  return (c: Ctx, n: Node, rs: RealServer): void => {
    c.count(n, 0);
    const ck = createChecker(type);
    c.origin(ck, n);
    c.block(n, SPECS[type], ck);
    if (ck.type === "HTTP_GET" || ck.type === "SSL_GET") moveLast(ck, "urls");
    if (ck.type === "SMTP_CHECK") moveLast(ck, "hosts");
    if (!n.block) return;
    if (finish(c, n, ck)) rs.checkers.push(ck);
  };
}

export function emitCheckers(rs: RealServer): Emit[] {
  // A checker without its type (a hand-written model) is not written. One of a type
  // keel does not know is written with an empty block, for the parser to report.
  return (rs.checkers ?? []).flatMap((ck) =>
    ck.type === undefined
      ? []
      : [{ line: String(ck.type), block: Object.hasOwn(SPECS, ck.type) ? emitBlock(SPECS[ck.type], ck) : [] }],
  );
}

/**
 * The checker keywords of real_server. All checkers are written by the first entry's
 * emitter so their order survives a round trip.
 */
export const checkerKeywords: Record<string, Keyword<RealServer>> = Object.fromEntries(
  CHECKER_TYPES.map((type, i) => [
    type,
    i === 0 ? { parse: parseChecker(type), emit: emitCheckers } : { parse: parseChecker(type) },
  ]),
);
