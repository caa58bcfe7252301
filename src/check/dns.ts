/**
 * DNS_CHECK (check_dns.c): one query (random id, RD, qtype `type`, qname `name`) over UDP
 * to port 53 by default; the reply must carry our id, QR set and RCODE NOERROR, and
 * answer the question; connect_timeout bounds the wait.
 */
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import type { DnsCheck } from "../config/lvs/model";
import type { Probe, ProbeResult } from "./probe";
import { settleOnce } from "./settle";

const QTYPE: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

export function dnsQuery(id: number, name: string, type: string): Buffer {
  const labels = name === "." ? [] : name.replace(/\.$/, "").split(".");
  const q = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(QTYPE[type] ?? 6, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([h, q, tail]);
}

export function createDnsProbe(ck: DnsCheck, _site?: unknown): Probe {
  return {
    run(ctx): Promise<ProbeResult> {
      const t = ctx.target;
      const port = t.port ?? 53;
      const who = `[${t.ip}]:udp:${port}`;
      return new Promise((resolve) => {
        const sock = createSocket(t.ip.includes(":") ? "udp6" : "udp4");
        const id = randomInt(0, 65536);
        const finish = settleOnce<ProbeResult>(resolve, {
          ms: t.connectTimeoutMs,
          signal: ctx.signal,
          timeout: () => ({ ok: false, timeout: true, reason: `DNS_CHECK (${who}) timeout` }),
          aborted: () => ({ ok: false, reason: "aborted" }),
          close: () => sock.close(),
        });
        sock.on("error", (e) => finish({ ok: false, reason: `DNS_CHECK (${who}) failed: ${e.message}` }));
        sock.on("message", (m) => {
          if (m.length < 12 || m.readUInt16BE(0) !== id) return; // not ours: keep waiting
          const flags = m.readUInt16BE(2);
          if (!(flags & 0x8000)) return;
          const rcode = flags & 0xf;
          if (rcode !== 0) return finish({ ok: false, reason: `DNS_CHECK (${who}) RCODE ${rcode}` });
          if (m.readUInt16BE(4) !== 1) return finish({ ok: false, reason: `DNS_CHECK (${who}) QDCOUNT is not 1` });
          finish({ ok: true, detail: `${m.readUInt16BE(6)} answers` });
        });
        const send = () =>
          sock.send(
            dnsQuery(id, ck.name, ck.queryType),
            port,
            t.ip,
            (e) => e && finish({ ok: false, reason: `DNS_CHECK (${who}) send failed: ${e.message}` }),
          );
        if (t.bindto || t.bindPort) sock.bind({ address: t.bindto, port: t.bindPort ?? 0 }, send);
        else send();
      });
    },
    upLine: (who) => `DNS_CHECK (${who}) succeed.`,
    downLine: (who, retries) => `DNS_CHECK (${who}) failed${retries ? ` after ${retries} retries` : ""}.`,
    alert: (up) => (up ? "=> DNS_CHECK: succeed on service <=" : "=> DNS_CHECK: failed on service <="),
  };
}
