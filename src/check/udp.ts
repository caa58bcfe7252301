/**
 * UDP_CHECK (check_udp.c): send the payload (hex; random bytes when none) on a
 * connected UDP socket. With require_reply a reply within connect_timeout is needed,
 * its length within min/max_reply_length and matching reply_data (hex, x = any nibble);
 * without it, only an ICMP port unreachable (ECONNREFUSED) fails the check.
 */
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import type { UdpCheck } from "../config/lvs/model";
import type { Probe, ProbeResult } from "./probe";
import { settleOnce } from "./settle";

export function replyMatches(pattern: string, reply: Buffer): boolean {
  const hex = reply.toString("hex");
  const p = pattern.replace(/\s+/g, "").toLowerCase();
  if (hex.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== "x" && p[i] !== hex[i]) return false;
  return true;
}

export function createUdpProbe(ck: UdpCheck, _site?: unknown): Probe {
  const payload = ck.payload ? Buffer.from(ck.payload.replace(/\s+/g, ""), "hex") : undefined;
  return {
    run(ctx): Promise<ProbeResult> {
      const t = ctx.target;
      const who = `[${t.ip}]:udp:${t.port ?? 0}`;
      return new Promise((resolve) => {
        const sock = createSocket(t.ip.includes(":") ? "udp6" : "udp4");
        const finish = settleOnce<ProbeResult>(resolve, {
          ms: t.connectTimeoutMs,
          signal: ctx.signal,
          timeout: () =>
            ck.requireReply
              ? { ok: false, timeout: true, reason: `UDP_CHECK on service ${who}: no reply` }
              : { ok: true, detail: "no error" },
          aborted: () => ({ ok: false, reason: "aborted" }),
          close: () => sock.close(),
        });
        sock.on("error", (e) =>
          finish({
            ok: false,
            reason: `UDP_CHECK on service ${who}: ${/REFUSED/i.test(e.message) ? "port unreachable" : e.message}`,
          }),
        );
        sock.on("message", (m) => {
          if (!ck.requireReply) return finish({ ok: true, detail: `${m.length} bytes` });
          if (m.length < ck.minReplyLength || m.length > ck.maxReplyLength)
            return finish({ ok: false, reason: `UDP_CHECK on service ${who}: reply length ${m.length} out of range` });
          if (ck.replyData && !replyMatches(ck.replyData, m))
            return finish({ ok: false, reason: `UDP_CHECK on service ${who}: reply data mismatch` });
          finish({ ok: true, detail: `${m.length} bytes` });
        });
        const go = () =>
          sock.connect(t.port ?? 0, t.ip, () =>
            sock.send(
              payload ?? randomBytes(16),
              (e) => e && finish({ ok: false, reason: `UDP_CHECK on service ${who}: ${e.message}` }),
            ),
          );
        if (t.bindto || t.bindPort) sock.bind({ address: t.bindto, port: t.bindPort ?? 0 }, go);
        else go();
      });
    },
    upLine: (who) => `UDP connection to ${who} success.`,
    downLine: (who, retries) =>
      retries ? `UDP_CHECK on service ${who} failed after ${retries} retries.` : `UDP_CHECK on service ${who} failed.`,
    alert: (up) => (up ? "=> UDP CHECK succeed on service <=" : "=> UDP CHECK failed on service <="),
  };
}
