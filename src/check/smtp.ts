/**
 * SMTP_CHECK (check_smtp.c): connect, a 2xx greeting banner, "HELO helo_name" answered
 * with 2xx, then QUIT; connect_timeout applies to the connect and to each read.
 */
import type { ConnOpts, SmtpCheck } from "../config/lvs/model";
import { connectTarget, readUntil } from "./net-connect";
import type { Probe, ProbeResult } from "./probe";

const CONN: readonly (keyof ConnOpts)[] = [
  "connectIp",
  "connectPort",
  "bindto",
  "bindPort",
  "bindIf",
  "connectTimeout",
  "fwmark",
];

/**
 * The checkers one SMTP_CHECK stands for (check_smtp.c smtp_check_end_handler): with the
 * deprecated host { } blocks, one checker per host, each with that host's connection
 * options alone (target, source, timeout; unset ones default to the real server's) and
 * the SMTP_CHECK's other settings. The SMTP_CHECK's own connection is one of them only
 * when it set a connection option itself; otherwise the first host takes its place.
 */
export function expandSmtpHosts(ck: SmtpCheck): SmtpCheck[] {
  if (!ck.hosts?.length) return [ck];
  const base: SmtpCheck = { ...ck, hosts: [] };
  for (const k of CONN) delete base[k];
  const forHost = (h: ConnOpts): SmtpCheck => {
    const one: SmtpCheck = { ...base };
    for (const k of CONN) if (h[k] !== undefined) Object.assign(one, { [k]: h[k] });
    return one;
  };
  const own = CONN.some((k) => ck[k] !== undefined);
  return [...(own ? [{ ...ck, hosts: [] }] : []), ...ck.hosts.map(forHost)];
}

const line = (b: Buffer) => /\r?\n$/.test(b.toString("latin1")) && /^\d{3} /m.test(b.toString("latin1"));

export function createSmtpProbe(ck: SmtpCheck, _site?: unknown): Probe {
  return {
    async run(ctx): Promise<ProbeResult> {
      const t = { ...ctx.target, port: ctx.target.port ?? 25 };
      const who = `[${t.ip}]:tcp:${t.port}`;
      const c = await connectTarget(t, ctx.signal);
      if (!c.ok)
        return {
          ok: false,
          timeout: c.timeout,
          reason: `SMTP_CHECK ${c.timeout ? "Connection timeout to" : "Could not connect to"} server ${who}`,
        };
      const sock = c.sock;
      try {
        const banner = await readUntil(sock, t.connectTimeoutMs, ctx.signal, line);
        if (banner.timeout) return { ok: false, timeout: true, reason: `SMTP_CHECK Read timeout from server ${who}` };
        if (!banner.data.toString("latin1").startsWith("2"))
          return { ok: false, reason: `SMTP_CHECK Bad greeting banner from server ${who}` };
        sock.write(`HELO ${ck.heloName}\r\n`);
        const helo = await readUntil(sock, t.connectTimeoutMs, ctx.signal, line);
        if (helo.timeout) return { ok: false, timeout: true, reason: `SMTP_CHECK Read timeout from server ${who}` };
        if (!helo.data.toString("latin1").startsWith("2"))
          return { ok: false, reason: `SMTP_CHECK Bad HELO response from server ${who}` };
        sock.write("QUIT\r\n");
        return { ok: true, detail: helo.data.toString("latin1").slice(0, 3) };
      } finally {
        sock.destroy();
      }
    },
    upLine: (who) => `Remote SMTP server ${who} succeed on service.`,
    downLine: (who) => `SMTP_CHECK on service ${who} failed.`,
    alert: (up) => (up ? "=> CHECK succeed on service <=" : "=> CHECK failed on service <="),
  };
}
