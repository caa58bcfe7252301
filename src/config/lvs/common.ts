/**
 * Field helpers shared by the LVS tables: keepalived TIMERs, ports, lvs_method and
 * script keywords. Each returns a `Keyword` (parser + emitter) like schema.ts's helpers.
 */
import { type Ctx, type Emitter, type Keyword, quote } from "../schema";
import { type Script, emitScript, parseScript } from "../script";
import type { Node, Token } from "../tree";
import { LVS_METHODS, type LvsMethod, TUNNEL_CHECKSUMS, TUNNEL_TYPES } from "./model";

type KeysOfType<T, V> = { [K in keyof T]-?: NonNullable<T[K]> extends V ? K : never }[keyof T];
type Rec = Record<string, unknown>;

/** UINT_MAX microseconds: the cap of connect_timeout (check_api.c read_timer(..., 1, UINT_MAX)). */
export const TIMER_MAX_UINT = 4294.967295;
/** TIMER_MAXIMUM (ULONG_MAX - 1 microseconds) */
export const TIMER_MAX = 18446744073709.55;

/**
 * A keepalived TIMER: seconds with up to 6 decimals (lib/parser.c read_timer).
 * keepalived warns about more decimals and rounds to the microsecond; so do we.
 * `positive`: the value must be at least 1 µs (delay_loop, connect_timeout).
 */
export function timerToken(c: Ctx, t: Token, what: string, positive: boolean, max = TIMER_MAX): number | undefined {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t.text);
  if (!m || t.text === "" || t.text === ".") {
    c.error(t, "bad-number", `${what}: '${t.text}' is not a time in seconds`);
    return undefined;
  }
  let v = Number(t.text);
  if ((m[2] ?? "").length > 6) {
    c.warning(
      t,
      "too-many-decimals",
      `${what}: '${t.text}' has more than 6 decimal places; rounded to the microsecond`,
    );
    v = Math.round(v * 1e6) / 1e6;
  }
  if (positive && v < 1e-6) {
    c.error(t, "out-of-range", `${what} must be greater than 0`);
    return undefined;
  }
  if (v > max) {
    c.error(t, "out-of-range", `${what} ${t.text} is out of range [${positive ? "0.000001" : "0"}, ${max}]`);
    return undefined;
  }
  return v;
}

export function timerField<T>(key: KeysOfType<T, number>, positive: boolean, max = TIMER_MAX): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = timerToken(c, n.args[0] as Token, n.keyword.text, positive, max);
      if (v !== undefined) (t as Rec)[key as string] = v;
    },
    emit: (t, kw, d) => {
      const v = (t as Rec)[key as string];
      if (v === undefined || (d != null && v === (d as Rec)[key as string])) return [];
      return [`${kw} ${v}`];
    },
  };
}

/**
 * keepalived's IPVS_WEIGHT_LIMIT (ip_vs.h: INT32_MAX): the bound of a real or virtual
 * server's weight and of a FILE_CHECK weight (check_parser.c rs_weight_handler,
 * vs_weight_handler; check_file.c track_file_weight_handler). The kernel keeps it in an int.
 */
export const IPVS_WEIGHT_MAX = 2147483647;

/** A port 0..65535; 0 means "no port" (keepalived passes NULL for it since v2.0.7). */
export function portToken(c: Ctx, t: Token, what: string): number | undefined | null {
  const v = c.intToken(t, 0, 65535, what);
  if (v === undefined) return null;
  return v === 0 ? undefined : v;
}

/** A port 1..65535 (connect_port, bind_port). */
export function portField<T>(key: KeysOfType<T, number>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 1, 65535);
      if (v !== undefined) (t as Rec)[key as string] = v;
    },
    emit: (t, kw) => {
      const v = (t as Rec)[key as string];
      return v === undefined ? [] : [`${kw} ${v}`];
    },
  };
}

/**
 * `lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`
 * (check_parser.c svr_forwarding_handler, with its rules: gue needs a port and only gue
 * takes one; ipip takes no checksum option; gre no remcsum).
 */
export function parseLvsMethod(c: Ctx, n: Node): LvsMethod | undefined {
  if (n.args.length < 1) {
    c.error(n.keyword, "missing-argument", `'${n.keyword.text}' needs one of ${LVS_METHODS.join("|")}`);
    return undefined;
  }
  const method = c.oneOf(n, 0, LVS_METHODS);
  if (!method) return undefined;
  const out: LvsMethod = { method };
  let type: (typeof TUNNEL_TYPES)[number] = "ipip";
  let port: number | undefined;
  let csum: (typeof TUNNEL_CHECKSUMS)[number] | undefined;
  let csumTok: Token | undefined;
  let typeTok: Token | undefined;
  let portTok: Token | undefined;
  for (let i = 1; i < n.args.length; i++) {
    const a = n.args[i] as Token;
    if (a.text === "type") {
      const v = n.args[i + 1];
      if (!v) {
        c.error(a, "missing-argument", `'type' needs one of ${TUNNEL_TYPES.join("|")}`);
        return undefined;
      }
      const tt = c.oneOfToken(v, TUNNEL_TYPES, "tunnel type");
      if (!tt) return undefined;
      type = tt;
      typeTok = v;
      i++;
    } else if (a.text === "port") {
      const v = n.args[i + 1];
      if (!v) {
        c.error(a, "missing-argument", "'port' needs a port number");
        return undefined;
      }
      const p = c.intToken(v, 1, 65535, "tunnel port");
      if (p === undefined) return undefined;
      port = p;
      portTok = a;
      i++;
    } else if ((TUNNEL_CHECKSUMS as readonly string[]).includes(a.text)) {
      csum = a.text as (typeof TUNNEL_CHECKSUMS)[number];
      csumTok = a;
    } else {
      c.error(a, "bad-value", `unknown tunnel option '${a.text}' (expected type, port, nocsum, csum or remcsum)`);
      return undefined;
    }
  }
  if (method !== "TUN") {
    if (n.args.length > 1) c.error(n.args[1] as Token, "extra-argument", `tunnel options only apply to lvs_method TUN`);
    return n.args.length > 1 ? undefined : out;
  }
  if ((type === "gue") !== (port !== undefined)) {
    c.error(
      portTok ?? typeTok ?? n.keyword,
      "bad-value",
      "a gue tunnel needs 'port N', and only a gue tunnel takes a port",
    );
    return undefined;
  }
  if (type === "ipip" && csum && csum !== "nocsum") {
    c.error(csumTok ?? n.keyword, "bad-value", "ipip tunnels do not support a checksum option");
    return undefined;
  }
  if (type === "gre" && csum === "remcsum") {
    c.error(csumTok ?? n.keyword, "bad-value", "gre tunnels do not support the remcsum option");
    return undefined;
  }
  out.tunnelType = type;
  if (port !== undefined) out.tunnelPort = port;
  out.tunnelChecksum = csum ?? "nocsum";
  return out;
}

export function formatLvsMethod(m: LvsMethod): string {
  let s: string = m.method;
  if (m.method !== "TUN") return s;
  if (m.tunnelType && m.tunnelType !== "ipip") s += ` type ${m.tunnelType}`;
  if (m.tunnelPort !== undefined) s += ` port ${m.tunnelPort}`;
  if (m.tunnelChecksum && m.tunnelChecksum !== "nocsum") s += ` ${m.tunnelChecksum}`;
  return s;
}

export function lvsMethodField<T>(key: KeysOfType<T, LvsMethod>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      const m = parseLvsMethod(c, n);
      if (m) (t as Rec)[key as string] = m;
    },
    emit: (t, kw) => {
      const m = (t as Rec)[key as string] as LvsMethod | undefined;
      // the tunnel options mean nothing without the method (a hand-written model)
      return m?.method !== undefined ? [`${kw} ${formatLvsMethod(m)}`] : [];
    },
  };
}

/**
 * A script keyword (notify_up, quorum_up...). keepalived keeps the first and reports
 * a second one ("already specified - ignoring").
 */
export function scriptField<T>(key: KeysOfType<T, Script>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if ((t as Rec)[key as string] !== undefined) {
        c.error(n.keyword, "duplicate-keyword", `'${n.keyword.text}' is already set; keepalived ignores this one`);
        return;
      }
      const s = parseScript(c, n);
      if (s) (t as Rec)[key as string] = s;
    },
    emit: (t, kw) => {
      const s = (t as Rec)[key as string] as Script | undefined;
      const text = s && emitScript(s);
      return text ? [`${kw} ${text}`] : [];
    },
  };
}

/** A string keyword whose value is the first argument (keepalived set_string); extra words are an error. */
export function textField<T>(key: KeysOfType<T, string>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      (t as Rec)[key as string] = (n.args[0] as Token).text;
    },
    emit: (t, kw) => {
      const v = (t as Rec)[key as string];
      return v === undefined ? [] : [`${kw} ${quote(String(v))}`];
    },
  };
}

/** An emitter that writes nothing: keywords whose value another keyword's emitter writes. */
export const emitNothing: Emitter<unknown> = () => [];

/** Put a list field after the scalars, so a dumped model reads like the config. */
export function moveLast<T extends object>(o: T, key: keyof T): void {
  const v = o[key];
  delete o[key];
  o[key] = v;
}
