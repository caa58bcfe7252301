/**
 * Argument readers shared by the global keyword tables, for the shapes keepalived's
 * global_parser.c uses that the generic field helpers in ../schema do not cover.
 */
import { type Ctx, type Keyword, emitScalar } from "../schema";
import type { Node, Token } from "../tree";

type KeysOfType<T, V> = { [K in keyof T]-?: NonNullable<T[K]> extends V ? K : never }[keyof T];

/** keepalived's UINT_MAX, the bound of read_unsigned_strvec. */
export const UINT_MAX = 4294967295;
/** keepalived TIMER_HZ: timers are kept in microseconds. */
export const TIMER_HZ = 1_000_000;

/**
 * A keyword that only switches something on. keepalived's handler ignores any argument
 * (so `vrrp_strict`-style BOOLs do not apply): `lvs_flush off` still flushes. That is a
 * trap worth a warning, but the keyword still does what keepalived does.
 */
export function flag<T>(key: KeysOfType<T, boolean>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      const extra = n.args[0];
      if (extra)
        c.warning(
          extra,
          "ignored-argument",
          `'${n.keyword.text}' takes no argument; keepalived ignores '${extra.text}' and turns the option on`,
        );
      (t as Record<keyof T, unknown>)[key] = true;
    },
    emit: (t, kw) => (t[key] === true ? [kw] : []),
  };
}

/**
 * One word (keepalived set_value: slot 1). keepalived silently drops further words; a
 * warning says so, since `router_id my router` most likely meant a quoted string.
 */
export function wordArg(c: Ctx, n: Node): string | undefined {
  const v = c.str(n, 0);
  const extra = n.args[1];
  if (v !== undefined && extra)
    c.warning(
      extra,
      "ignored-argument",
      `'${n.keyword.text}' uses only its first argument; '${extra.text}' and what follows are ignored (quote the value if it has blanks)`,
    );
  return v;
}

export function wordField<T>(key: KeysOfType<T, string>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      const v = wordArg(c, n);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

/** Exactly one non-empty word (keepalived rejects anything else for these keywords). */
export function pathField<T>(key: KeysOfType<T, string>): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = n.args[0] as Token;
      if (v.text === "") {
        c.error(v, "bad-value", `'${n.keyword.text}' needs a non-empty path`);
        return;
      }
      (t as Record<keyof T, unknown>)[key] = v.text;
    },
    emit: emitScalar<T>(key),
  };
}

/**
 * A TIMER in seconds with keepalived's resolution (read_decimal_unsigned_long_func with
 * TIMER_HZ_DIGITS = 6): no sign, at most six decimals, within [min, max] seconds.
 */
export function timerToken(c: Ctx, t: Token, min: number, max: number, what: string): number | undefined {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(t.text)) {
    c.error(t, "bad-number", `${what}: '${t.text}' is not a time in seconds`);
    return undefined;
  }
  const decimals = t.text.includes(".") ? t.text.length - t.text.indexOf(".") - 1 : 0;
  if (decimals > 6) {
    c.error(t, "bad-number", `${what}: '${t.text}' has more than 6 decimal places (the resolution is a microsecond)`);
    return undefined;
  }
  const v = Number(t.text);
  if (v < min || v > max) {
    c.error(t, "out-of-range", `${what} ${t.text} is out of range [${min}, ${max}] seconds`);
    return undefined;
  }
  return v;
}

export function timerField<T>(key: KeysOfType<T, number>, min: number, max: number): Keyword<T> {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = timerToken(c, n.args[0] as Token, min, max, n.keyword.text);
      if (v !== undefined) (t as Record<keyof T, unknown>)[key] = v;
    },
    emit: emitScalar<T>(key),
  };
}

/**
 * keepalived's inet_stosockaddr() drops anything from a '-' or '/' (ranges, masks)
 * before parsing an address; the family comes from the presence of ':'.
 */
export function bareAddress(text: string): string {
  const cut = text.search(/[-/]/);
  return cut >= 0 ? text.slice(0, cut) : text;
}

/** A DNS host name as getaddrinfo() would take it (letters, digits, '-', '_', dots). */
export function isHostName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[A-Za-z0-9_]([A-Za-z0-9_-]*)(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*\.?$/.test(s);
}
