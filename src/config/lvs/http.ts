/**
 * HTTP_GET and SSL_GET (keepalived check_http.c install_http_ssl_check_keyword):
 * the checker block and its `url { ... }` sub-blocks. SSL_GET has `tls_compliant`
 * in both; HTTP_GET has it in neither.
 */
import { type BlockSpec, type Ctx, type Emit, type Keyword, boolField, emitBlock, quote, strField } from "../schema";
import type { Node, Token } from "../tree";
import { connKeywords, timingKeywords } from "./checker-common";
import {
  HTTP_PROTOCOLS,
  type HttpCheck,
  type HttpUrl,
  REGEX_OPTIONS,
  type StatusRange,
  createChecker,
  createHttpUrl,
} from "./model";

const ULONG = Number.MAX_SAFE_INTEGER;

function unsignedToken(c: Ctx, t: Token, what: string): number | undefined {
  return c.intToken(t, 0, ULONG, what);
}

const statusCode: Keyword<HttpUrl> = {
  // `status_code 200 200-299 ...`: keepalived reports a bad item and keeps the others
  parse: (c, n, u) => {
    if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
    for (const t of n.args) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(t.text);
      const from = m ? Number(m[1]) : Number.NaN;
      const to = m?.[2] !== undefined ? Number(m[2]) : from;
      if (!m || from < 100 || to > 599 || from > to) {
        c.error(
          t,
          "bad-value",
          `invalid HTTP status code '${t.text}' (expected a code or a range FROM-TO within 100-599)`,
        );
        continue;
      }
      u.statusCodes.push({ from, to });
    }
  },
  emit: (u) => {
    const s = u.statusCodes ?? [];
    if (s.length === 1 && s[0]?.from === 200 && s[0]?.to === 299) return [];
    // a range with one end left out (a hand-written model) is the single code given
    const codes = s.flatMap((r: StatusRange) => {
      const from = r.from ?? r.to;
      const to = r.to ?? r.from;
      if (from === undefined) return [];
      return [from === to ? `${from}` : `${from}-${to}`];
    });
    return codes.length === 0 ? [] : [`status_code ${codes.join(" ")}`];
  },
};

const urlKeywords: Record<string, Keyword<HttpUrl>> = {
  path: strField<HttpUrl>("path"),
  digest: {
    parse: (c, n, u) => {
      if (!c.count(n, 1)) return;
      const t = n.args[0] as Token;
      if (u.digest !== undefined) {
        c.error(t, "duplicate-keyword", `digest '${t.text}' is a duplicate; keepalived keeps the first`);
        return;
      }
      if (!/^[0-9a-fA-F]{32}$/.test(t.text)) {
        c.error(t, "bad-value", `digest '${t.text}' must be 32 hex digits (an MD5 sum, as genhash prints it)`);
        return;
      }
      u.digest = t.text.toLowerCase();
    },
    emit: strField<HttpUrl>("digest").emit,
  },
  status_code: statusCode,
  virtualhost: strField<HttpUrl>("virtualhost"),
  regex: {
    parse: (c, n, u) => {
      if (!c.count(n, 1)) return;
      const t = n.args[0] as Token;
      if (u.regex !== undefined) c.warning(t, "duplicate-keyword", `regex replaces the earlier regex '${u.regex}'`);
      u.regex = t.text;
    },
    emit: (u) => (u.regex === undefined ? [] : [`regex ${quote(u.regex)}`]),
  },
  regex_no_match: boolField<HttpUrl>("regexNoMatch"),
  regex_options: {
    // keepalived ignores words it does not know; we say so
    parse: (c, n, u) => {
      if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
      for (const t of n.args) {
        const o = REGEX_OPTIONS.find((x) => x === t.text);
        if (!o) {
          c.warning(t, "bad-value", `unknown regex option '${t.text}' is ignored`);
          continue;
        }
        if (!u.regexOptions.includes(o)) u.regexOptions.push(o);
      }
    },
    emit: (u) => ((u.regexOptions ?? []).length ? [`regex_options ${u.regexOptions.join(" ")}`] : []),
  },
  regex_stack: {
    parse: (c, n, u) => {
      if (!c.count(n, 2)) return;
      const start = unsignedToken(c, n.args[0] as Token, "regex_stack start");
      const max = unsignedToken(c, n.args[1] as Token, "regex_stack max");
      if (start === undefined || max === undefined) return;
      if (start > max) {
        c.error(n.args[0] as Token, "bad-value", `regex_stack start ${start} exceeds max ${max}`);
        return;
      }
      u.regexStack = { start, max };
    },
    // a value left out (a hand-written model) is not made up: the parser reports it missing
    emit: (u) => {
      const v = u.regexStack;
      const args = v ? [v.start, v.max].filter((x) => x !== undefined) : [];
      return args.length ? [`regex_stack ${args.join(" ")}`] : [];
    },
  },
  regex_min_offset: {
    parse: (c, n, u) => {
      if (!c.count(n, 1)) return;
      const v = unsignedToken(c, n.args[0] as Token, "regex_min_offset");
      if (v !== undefined) u.regexMinOffset = v;
    },
    emit: (u) => (u.regexMinOffset === undefined ? [] : [`regex_min_offset ${u.regexMinOffset}`]),
  },
  regex_max_offset: {
    parse: (c, n, u) => {
      if (!c.count(n, 1)) return;
      const v = unsignedToken(c, n.args[0] as Token, "regex_max_offset");
      if (v !== undefined) u.regexMaxOffset = v;
    },
    emit: (u) => (u.regexMaxOffset === undefined ? [] : [`regex_max_offset ${u.regexMaxOffset}`]),
  },
};

export const httpUrlSpec: BlockSpec<HttpUrl> = { name: "url", keywords: urlKeywords, create: createHttpUrl };
export const sslUrlSpec: BlockSpec<HttpUrl> = {
  name: "url",
  keywords: { ...urlKeywords, tls_compliant: boolField<HttpUrl>("tlsCompliant") },
  create: createHttpUrl,
};

/** url_check(): a path is required, status codes default to 200-299, regex details need a regex. */
function parseUrl(c: Ctx, n: Node, chk: HttpCheck): void {
  c.count(n, 0);
  const u: HttpUrl = { ...createHttpUrl(), statusCodes: [] };
  c.origin(u, n);
  c.block(n, chk.type === "SSL_GET" ? sslUrlSpec : httpUrlSpec, u);
  if (!n.block) return;
  if (u.statusCodes.length === 0) u.statusCodes = [{ from: 200, to: 299 }];
  if (u.path === "") {
    c.error(n.keyword, "missing-keyword", "url has no 'path'; keepalived ignores this url");
    return;
  }
  if (
    u.regex === undefined &&
    (u.regexOptions.length ||
      u.regexNoMatch ||
      u.regexMinOffset !== undefined ||
      u.regexMaxOffset !== undefined ||
      u.regexStack)
  ) {
    c.warning(n.keyword, "regex-without-regex", "regex options are given without a 'regex'; keepalived ignores them");
    u.regexOptions = [];
    u.regexNoMatch = false;
    delete u.regexMinOffset;
    delete u.regexMaxOffset;
    delete u.regexStack;
  }
  if (u.regexMaxOffset !== undefined && (u.regexMinOffset ?? 0) > u.regexMaxOffset) {
    c.warning(
      n.keyword,
      "bad-value",
      `regex_min_offset ${u.regexMinOffset} > regex_max_offset ${u.regexMaxOffset}; keepalived ignores both`,
    );
    delete u.regexMinOffset;
    delete u.regexMaxOffset;
  }
  chk.urls.push(u);
}

function emitUrls(chk: HttpCheck): Emit[] {
  const spec = chk.type === "SSL_GET" ? sslUrlSpec : httpUrlSpec;
  return (chk.urls ?? []).map((u) => ({ line: "url", block: emitBlock(spec, u) }));
}

const httpKeywords: Record<string, Keyword<HttpCheck>> = {
  ...connKeywords,
  ...timingKeywords,
  nb_get_retry: {
    // deprecated spelling of retry; emitted as retry
    parse: (c, n, t) => {
      c.warning(n.keyword, "deprecated-keyword", "'nb_get_retry' is deprecated; use 'retry'");
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 0, 4294967295);
      if (v !== undefined) t.retry = v;
    },
  },
  virtualhost: strField<HttpCheck>("virtualhost"),
  http_protocol: {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.oneOf(n, 0, HTTP_PROTOCOLS);
      if (v) t.httpProtocol = v;
    },
    emit: (t) => (t.httpProtocol && t.httpProtocol !== "1.0" ? [`http_protocol ${t.httpProtocol}`] : []),
  },
  sni_name: {
    // `sni_name NAME` sets the name and turns SNI on; bare `sni_name` only turns it on
    parse: (c, n, t) => {
      if (!c.count(n, 0, 1)) return;
      const v = n.args[0];
      if (v) t.sniName = v.text;
      t.enableSni = true;
    },
    emit: strField<HttpCheck>("sniName").emit,
  },
  enable_sni: {
    parse: boolField<HttpCheck>("enableSni").parse,
    // only an explicit false undoes the SNI that sni_name turns on
    emit: (t) =>
      t.enableSni && t.sniName === undefined
        ? ["enable_sni"]
        : t.enableSni === false && t.sniName !== undefined
          ? ["enable_sni false"]
          : [],
  },
  fast_recovery: boolField<HttpCheck>("fastRecovery"),
  url: { parse: parseUrl, emit: emitUrls },
};

export const httpGetSpec: BlockSpec<HttpCheck> = {
  name: "HTTP_GET",
  keywords: httpKeywords,
  create: () => createChecker("HTTP_GET") as HttpCheck,
};
export const sslGetSpec: BlockSpec<HttpCheck> = {
  name: "SSL_GET",
  keywords: { ...httpKeywords, tls_compliant: boolField<HttpCheck>("tlsCompliant") },
  create: () => createChecker("SSL_GET") as HttpCheck,
};

/** http_get_check_end(): a checker without urls is dropped. */
export function finishHttpCheck(c: Ctx, n: Node, chk: HttpCheck): boolean {
  if (chk.urls.length === 0) {
    c.error(n.keyword, "missing-keyword", `${chk.type} has no 'url' block; keepalived ignores this checker`);
    return false;
  }
  return true;
}
