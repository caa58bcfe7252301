/**
 * Lines of virtual_rules / static_rules: the grammar of `ip rule add` (keepalived
 * vrrp_iprule.c alloc_rule). keepalived drops a whole line on most mistakes; so do we,
 * after a diagnostic at the offending word. Each option is one handler in RULE_OPTIONS;
 * the words no handler takes are the actions (`ruleAction`).
 */
import { didYouMean as didYouMeanImpl } from "../../diagnostics";
import type { Ctx } from "../../schema";
import type { Token } from "../../tree";
import {
  type Family,
  NAME_RE,
  type NetContext,
  NetLine,
  type OptionHandler,
  type OptionTable,
  type RtIds,
  nameOrNumber,
  readOptions,
  routeDst,
  sharedOptions,
  stripUndefined,
  table,
  uint,
} from "./common";

export type RuleAction = "table" | "goto" | "nop" | "blackhole" | "unreachable" | "prohibit";

export interface PortRange {
  start: number;
  end: number;
}

export interface Rule {
  family: Family;
  from?: string;
  to?: string;
  not?: boolean;
  action: RuleAction;
  table?: number | string;
  l3mdev?: boolean;
  goto?: number;
  /** preference; keepalived assigns one (with a warning) when absent */
  priority?: number;
  tos?: string;
  fwmark?: number;
  fwmask?: number;
  realms?: string;
  suppressPrefixlength?: number;
  suppressIfgroup?: string;
  iif?: string;
  oif?: string;
  /** decimal string (64-bit) */
  tunnelId?: string;
  uidrange?: PortRange;
  protocol?: number;
  ipproto?: string;
  sport?: PortRange;
  dport?: PortRange;
  noTrack?: boolean;
  trackGroup?: string;
  /** table, tos and realms as numbers (set at config load) */
  ids?: RtIds;
}

function portRange(
  c: Ctx,
  t: Token | undefined,
  what: string,
  max: number,
  allowSingle: boolean,
): PortRange | undefined {
  if (!t) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(t.text);
  if (!m || (!allowSingle && m[2] === undefined)) {
    c.error(t, "bad-value", `${what}: '${t.text}' is not a range N${allowSingle ? "[-M]" : "-M"}`);
    return undefined;
  }
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > max || end > max || end < start) {
    c.error(t, "out-of-range", `${what}: range '${t.text}' is invalid (0..${max}, start <= end)`);
    return undefined;
  }
  return { start, end };
}

/** A rule line being read: the shared state, its one action, and the option that needs a table action. */
class RuleLine extends NetLine<Rule> {
  /** the last of realms/suppress_prefixlength/suppress_ifgroup, which need a table action */
  tableOption: Token | undefined;
  constructor(c: Ctx, t: Token[], ctx: NetContext) {
    super(c, t, ctx, "a rule cannot mix IPv4 and IPv6");
  }
  setAction(a: RuleAction, at: Token): boolean {
    if (this.r.action !== undefined) {
      this.c.error(
        at,
        "duplicate-option",
        `${this.what}: only one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev may be given`,
      );
      return false;
    }
    this.r.action = a;
    return true;
  }
}

type RuleHandler = OptionHandler<RuleLine>;

export function parseRuleLine(c: Ctx, tokens: Token[], ctx: NetContext): Rule | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const l = new RuleLine(c, tokens, ctx);
  if (!readOptions(l, RULE_OPTIONS, ruleAction)) return undefined;
  return finishRule(l, first);
}

/** The checks of a whole rule line, then the rule. */
function finishRule(l: RuleLine, first: Token): Rule | undefined {
  const { c, r, what, tableOption } = l;
  if (r.action === undefined) {
    c.error(
      first,
      "missing-argument",
      `${what}: a rule needs an action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev)`,
    );
    return undefined;
  }
  if (r.action === "goto") {
    if (r.priority === undefined) {
      c.error(first, "missing-argument", `${what}: goto needs a preference on the rule`);
      return undefined;
    }
    if (r.goto !== undefined && r.priority >= r.goto) {
      c.error(first, "bad-value", `${what}: preference ${r.priority} must be lower than the goto target ${r.goto}`);
      return undefined;
    }
  }
  if (r.action !== "table" && tableOption) {
    c.error(tableOption, "bad-option", `${what}: '${tableOption.text}' is only valid with a table action`);
    return undefined;
  }
  if (r.l3mdev && r.table !== undefined) {
    c.error(first, "bad-option", `${what}: table cannot be given for l3mdev rules`);
    return undefined;
  }
  if (r.priority === undefined) {
    c.warning(
      first,
      "rule-no-preference",
      `${what}: rule has no preference; keepalived assigns one, which is probably not what you want`,
    );
  }
  if (r.trackGroup && !r.iif)
    c.warning(
      first,
      "track-group-needs-dev",
      `${what}: a static rule with track_group needs dev/iif; track_group ignored`,
    );
  const rule: Rule = { family: l.family ?? 4, action: r.action, ...stripUndefined(r) };
  return c.origin(rule, first);
}

const shared = sharedOptions("rules");

/** `from`/`to` PREFIX */
const fromTo: RuleHandler = (l, opt) => {
  const w = opt.text as "from" | "to";
  const v = l.need(opt);
  const d = v && routeDst(l.c, v, `rule ${w}`);
  const ok = !!v && !!d && l.setFamily(d.family, v);
  if (d) l.r[w] = d.text;
  return ok;
};

const tableAction: RuleHandler = (l, opt) => {
  const v = l.need(opt);
  const t = table(l.c, v, "table");
  if (t === undefined || !v) return false;
  if (t === 0) {
    l.c.error(v, "out-of-range", `${l.what}: table 0 is not valid`);
    return false;
  }
  l.r.table = t;
  return l.setAction("table", opt);
};

const preference: RuleHandler = (l, opt) => {
  l.r.priority = uint(l.c, l.need(opt), 0xffffffff, "preference");
  return l.r.priority !== undefined;
};

/** An option that is only valid with a table action. */
const forTable =
  (handle: RuleHandler): RuleHandler =>
  (l, opt) => {
    const ok = handle(l, opt);
    l.tableOption = opt;
    return ok;
  };

const iif: RuleHandler = (l, opt) => {
  l.r.iif = l.need(opt)?.text;
  return l.r.iif !== undefined;
};

const ports: RuleHandler = (l, opt) => {
  const w = opt.text as "sport" | "dport";
  l.r[w] = portRange(l.c, l.need(opt), w, 65535, true);
  return l.r[w] !== undefined;
};

const ipproto: RuleHandler = (l, opt) => {
  // keepalived's parser spells it ipproto; its man page example says ip_proto
  const v = l.need(opt);
  let bad = false;
  if (!v) bad = true;
  else if (/^\d+$/.test(v.text)) bad = uint(l.c, v, 255, "ipproto") === undefined;
  else if (!NAME_RE.test(v.text)) {
    l.c.error(v, "bad-value", `${l.what}: invalid ipproto '${v.text}'`);
    bad = true;
  }
  if (!bad && v) l.r.ipproto = v.text;
  return !bad;
};

const suppressPrefixlength: RuleHandler = (l, opt) => {
  l.r.suppressPrefixlength = uint(l.c, l.need(opt), 0x7fffffff, "suppress_prefixlength");
  return l.r.suppressPrefixlength !== undefined;
};

const suppressIfgroup: RuleHandler = (l, opt) => {
  l.r.suppressIfgroup = nameOrNumber(l.c, l.need(opt), 0xffffffff, "suppress_ifgroup");
  return l.r.suppressIfgroup !== undefined;
};

const RULE_OPTIONS: OptionTable<RuleLine> = {
  ...shared,
  realms: forTable(shared.realms),
  from: fromTo,
  to: fromTo,
  table: tableAction,
  lookup: tableAction,
  not: (l) => {
    l.r.not = true;
    return true;
  },
  preference,
  order: preference,
  priority: preference,
  pref: (l, opt) => {
    // `pref` is accepted by ip(8) but not by keepalived's rule parser
    l.c.error(opt, "bad-option", `${l.what}: write 'preference' or 'priority' (keepalived does not accept 'pref')`);
    return false;
  },
  fwmark: (l, opt) => {
    const v = l.need(opt);
    if (!v) return false;
    const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(v.text);
    const mark = m?.[1] !== undefined ? Number(m[1]) : Number.NaN;
    const mask = m?.[2] !== undefined ? Number(m[2]) : undefined;
    if (!m || mark > 0xffffffff || (mask !== undefined && mask > 0xffffffff)) {
      l.c.error(v, "bad-value", `${l.what}: invalid fwmark '${v.text}' (MARK[/MASK], 32-bit)`);
      return false;
    }
    l.r.fwmark = mark;
    if (mask !== undefined) l.r.fwmask = mask;
    return true;
  },
  suppress_prefixlength: forTable(suppressPrefixlength),
  sup_pl: forTable(suppressPrefixlength),
  suppress_ifgroup: forTable(suppressIfgroup),
  sup_group: forTable(suppressIfgroup),
  dev: iif,
  iif,
  oif: (l, opt) => {
    l.r.oif = l.need(opt)?.text;
    return l.r.oif !== undefined;
  },
  "tunnel-id": (l, opt) => {
    const v = l.need(opt);
    if (!v || !/^\d+$/.test(v.text) || BigInt(v.text) > 0xffffffffffffffffn) {
      if (v) l.c.error(v, "bad-number", `${l.what}: invalid tunnel-id '${v.text}'`);
      return false;
    }
    l.r.tunnelId = v.text;
    return true;
  },
  uidrange: (l, opt) => {
    l.r.uidrange = portRange(l.c, l.need(opt), "uidrange", 0xffffffff, false);
    return l.r.uidrange !== undefined;
  },
  l3mdev: (l, opt) => {
    l.r.l3mdev = true;
    return l.setAction("table", opt);
  },
  protocol: (l, opt) => {
    l.r.protocol = uint(l.c, l.need(opt), 255, "protocol");
    return l.r.protocol !== undefined;
  },
  ipproto,
  ip_proto: ipproto,
  sport: ports,
  dport: ports,
};

/** Any other word: [type] goto N | nop | blackhole | unreachable | prohibit. */
function ruleAction(l: RuleLine, opt: Token): boolean {
  let a: Token | undefined = opt;
  if (opt.text === "type") a = l.need(opt);
  if (!a) return false;
  if (a.text === "goto") {
    l.r.goto = uint(l.c, l.need(a), 0xffffffff, "goto");
    return l.r.goto !== undefined && l.setAction("goto", a);
  }
  if (a.text === "nop" || a.text === "blackhole" || a.text === "unreachable" || a.text === "prohibit") {
    return l.setAction(a.text, a);
  }
  const guess = didYouMeanImpl(a.text, RULE_WORDS);
  l.c.error(a, "bad-option", `${l.what}: unknown rule option '${a.text}'${guess ? `; did you mean '${guess}'?` : ""}`);
  return false;
}

const RULE_WORDS = [
  "from",
  "to",
  "table",
  "lookup",
  "not",
  "preference",
  "priority",
  "order",
  "tos",
  "fwmark",
  "realms",
  "suppress_prefixlength",
  "suppress_ifgroup",
  "dev",
  "iif",
  "oif",
  "tunnel-id",
  "uidrange",
  "l3mdev",
  "protocol",
  "ipproto",
  "sport",
  "dport",
  "no_track",
  "track_group",
  "goto",
  "nop",
  "blackhole",
  "unreachable",
  "prohibit",
  "type",
];

/**
 * `START-END` (`N` for a single port when `single`). With a bound left out (a hand-written
 * model) the other is written alone: a single port, or for uidrange, which needs both,
 * a value the parser reports.
 */
function range(p: PortRange, single: boolean): string | undefined {
  if (p.start === undefined || p.end === undefined) return (p.start ?? p.end)?.toString();
  return single && p.start === p.end ? String(p.start) : `${p.start}-${p.end}`;
}

export function emitRule(r: Rule): string {
  const out: string[] = [];
  const hasAddr = [r.from, r.to].some((x) => x?.includes(".") || x?.includes(":"));
  if (!hasAddr && r.family === 6) out.push("inet6");
  if (r.not) out.push("not");
  if (r.from !== undefined) out.push("from", r.from);
  if (r.to !== undefined) out.push("to", r.to);
  if (r.priority !== undefined) out.push("preference", String(r.priority));
  if (r.tos !== undefined) out.push("tos", r.tos);
  if (r.fwmark !== undefined) out.push("fwmark", r.fwmask !== undefined ? `${r.fwmark}/${r.fwmask}` : String(r.fwmark));
  if (r.iif !== undefined) out.push("iif", r.iif);
  if (r.oif !== undefined) out.push("oif", r.oif);
  if (r.tunnelId !== undefined) out.push("tunnel-id", r.tunnelId);
  const uid = r.uidrange && range(r.uidrange, false);
  if (uid !== undefined) out.push("uidrange", uid);
  if (r.protocol !== undefined) out.push("protocol", String(r.protocol));
  if (r.ipproto !== undefined) out.push("ipproto", r.ipproto);
  for (const key of ["sport", "dport"] as const) {
    const p = r[key] && range(r[key], true);
    if (p !== undefined) out.push(key, p);
  }
  // A hand-written model may leave out the action when `table` or `goto` says it, or
  // leave out the goto target (the parser then reports it missing).
  const action = r.action ?? (r.table !== undefined ? "table" : r.goto !== undefined ? "goto" : undefined);
  if (r.l3mdev) out.push("l3mdev");
  else if (action === "table" && r.table !== undefined) out.push("table", String(r.table));
  else if (action === "goto") out.push("goto", ...(r.goto !== undefined ? [String(r.goto)] : []));
  else if (action !== "table" && action !== undefined) out.push(action);
  if (r.realms !== undefined) out.push("realms", r.realms);
  if (r.suppressPrefixlength !== undefined) out.push("suppress_prefixlength", String(r.suppressPrefixlength));
  if (r.suppressIfgroup !== undefined) out.push("suppress_ifgroup", r.suppressIfgroup);
  if (r.noTrack) out.push("no_track");
  if (r.trackGroup !== undefined) out.push("track_group", r.trackGroup);
  return out.join(" ");
}
