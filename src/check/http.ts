/**
 * HTTP_GET / SSL_GET (check_http.c): keepalived's own request on a fresh connection per
 * URL ("GET path HTTP/1.x", User-Agent KeepAliveClient, "Connection: close" for 1.0C
 * and 1.1, Host from the url's / checker's / real server's / virtual server's
 * virtualhost, else ip:port, IPv6 in brackets), the response read to the end with
 * connect_timeout per read, then the status against status_code ranges, the MD5 of the
 * body as it came (http-response.ts) against digest, and regex (JS RegExp: PCRE2 options caseless/multiline/dotall/
 * utf map to i/m/s/u; the others have no equivalent and are ignored). The probe checks
 * every URL it was built with; the runtime builds one probe per URL because keepalived
 * checks one URL per attempt (see schedule.ts).
 */
import type { HttpCheck, HttpUrl, RealServer, SslConfig, VirtualServer } from "../config/lvs/model";
import { HttpResponseReader } from "./http-response";
import { connectTarget, readUntil } from "./net-connect";
import type { Probe, ProbeResult, ProbeTarget } from "./probe";
// node:fs by require: an import would build its namespace and so node:stream (DESIGN.md rule 6)
const { readFileSync } = require("node:fs") as typeof import("node:fs");

export interface HttpSite {
  vs: VirtualServer;
  rs: RealServer;
  ssl?: SslConfig;
}

/** The request keepalived sends for one URL. */
export function buildRequest(
  ck: Pick<HttpCheck, "httpProtocol" | "virtualhost">,
  url: Pick<HttpUrl, "path" | "virtualhost">,
  t: Pick<ProbeTarget, "ip" | "port">,
  site?: { vs?: { virtualhost?: string }; rs?: { virtualhost?: string } },
): string {
  const vhost = url.virtualhost ?? ck.virtualhost ?? site?.rs?.virtualhost ?? site?.vs?.virtualhost;
  const host = vhost ?? (t.ip.includes(":") ? `[${t.ip}]:${t.port ?? 80}` : `${t.ip}:${t.port ?? 80}`);
  const minor = ck.httpProtocol === "1.1" ? 1 : 0;
  const close = ck.httpProtocol === "1.0C" || ck.httpProtocol === "1.1" ? "Connection: close\r\n" : "";
  return `GET ${url.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

function regexOf(url: HttpUrl): RegExp | undefined {
  if (!url.regex) return undefined;
  const map: Record<string, string> = { caseless: "i", multiline: "m", dotall: "s", utf: "u" };
  const flags = [...new Set(url.regexOptions.map((o) => map[o] ?? ""))].join("");
  return new RegExp(url.regex, flags);
}

export type UrlOutcome =
  | { ok: true; status: number; digest: string; msg: string }
  | { ok: false; timeout?: boolean; what: string; status?: number; digest?: string };

/** Fetch and judge one URL as keepalived's http_handle_response does. */
export async function checkUrl(
  ck: HttpCheck,
  url: HttpUrl,
  t: ProbeTarget,
  signal: AbortSignal,
  site?: HttpSite,
): Promise<UrlOutcome> {
  const tls =
    ck.type === "SSL_GET"
      ? {
          servername:
            ck.enableSni || ck.sniName
              ? (ck.sniName ?? url.virtualhost ?? ck.virtualhost ?? site?.rs.virtualhost ?? site?.vs.virtualhost)
              : undefined,
          ca: site?.ssl?.ca ? readFileSync(site.ssl.ca, "utf8") : undefined,
          cert: site?.ssl?.certificate ? readFileSync(site.ssl.certificate, "utf8") : undefined,
          key: site?.ssl?.key ? readFileSync(site.ssl.key, "utf8") : undefined,
          passphrase: site?.ssl?.password,
        }
      : undefined;
  const c = await connectTarget(t, signal, tls);
  if (!c.ok)
    return {
      ok: false,
      timeout: c.timeout,
      what: c.timeout
        ? "Timeout connecting"
        : tls
          ? "SSL handshake/communication error connecting to"
          : "Connection failed",
    };
  const sock = c.sock;
  let seen = 0;
  try {
    sock.write(buildRequest(ck, url, t, site));
    const res = new HttpResponseReader();
    const r = await readUntil(sock, t.connectTimeoutMs, signal, (b) => {
      // readUntil hands over everything so far; the reader wants only what is new
      res.push(b.subarray(seen));
      seen = b.length;
      return res.complete();
    });
    if (r.timeout && r.data.length === 0) return { ok: false, timeout: true, what: "Timeout WEB read" };
    if (r.data.length === 0 || !res.extracted)
      return { ok: false, what: r.timeout ? "Timeout WEB read" : "Read, no data received from " };
    const digest = res.digest();
    const status = res.status;
    if (!url.statusCodes.some((s) => status >= s.from && status <= s.to))
      return { ok: false, what: "HTTP status code error to", status, digest };
    let msg = "HTTP status code";
    if (url.digest) {
      if (url.digest.toLowerCase() !== digest) return { ok: false, what: "MD5 digest error to", status, digest };
      msg = "MD5 digest";
    }
    const re = regexOf(url);
    if (re) {
      const text = res.body().toString("utf8");
      const from = url.regexMinOffset ?? 0;
      const m = re.exec(text.slice(from));
      const at = m ? m.index + from : -1;
      const matched = m !== null && (url.regexMaxOffset === undefined || at <= url.regexMaxOffset);
      if (matched === url.regexNoMatch) return { ok: false, what: "Regex match failed", status, digest };
      msg = "Regex match";
    }
    return { ok: true, status, digest, msg };
  } finally {
    // tls_compliant: a clean close_notify (end()); otherwise keepalived just closes
    if (ck.tlsCompliant) sock.end();
    sock.destroy();
  }
}

export function createHttpProbe(ck: HttpCheck, site: HttpSite): Probe {
  let failedUrl = 0;
  return {
    async run(ctx): Promise<ProbeResult> {
      const who = `[${ctx.target.ip}]:tcp:${ctx.target.port ?? 0}`;
      const urls = ck.urls.length
        ? ck.urls
        : [{ path: "/", statusCodes: [{ from: 200, to: 299 }], regexNoMatch: false, regexOptions: [] } as HttpUrl];
      for (let i = ctx.retry ? failedUrl : 0; i < urls.length; i++) {
        const url = urls[i] as HttpUrl;
        const r = await checkUrl(ck, url, ctx.target, ctx.signal, site);
        if (!r.ok) {
          failedUrl = i;
          return { ok: false, timeout: r.timeout, reason: `${r.what} server ${who}.` };
        }
        if (i === urls.length - 1) return { ok: true, detail: String(r.status) };
      }
      return { ok: true };
    },
    upLine: (who) => `Remote Web server ${who} succeed on service.`,
    // keepalived says HTTP_CHECK for SSL_GET too
    downLine: (who, retries) =>
      retries
        ? `HTTP_CHECK on service ${who} failed after ${retries} retries.`
        : `HTTP_CHECK on service ${who} failed.`,
    alert: (up) => (up ? "=> CHECK succeed on service <=" : "=> CHECK failed on service : HTTP request failed <="),
  };
}
