/** PING_CHECK (check_ping.c): one ICMP / ICMPv6 echo, answered within connect_timeout. */
import type { PingCheck } from "../config/lvs/model";
import type { Probe, ProbeResult } from "./probe";

export function createPingProbe(_ck: PingCheck, _site?: unknown): Probe {
  return {
    async run(ctx): Promise<ProbeResult> {
      const who = `[${ctx.target.ip}]:tcp:${ctx.target.port ?? 0}`;
      try {
        const { icmpEcho } = await import("../../native-bindings/icmp");
        const ok = await icmpEcho(ctx.target.ip, ctx.target.connectTimeoutMs, ctx.signal);
        return ok
          ? { ok: true, detail: "echo reply" }
          : { ok: false, timeout: true, reason: `ICMP connection to ${who} timeout.` };
      } catch (e) {
        return { ok: false, reason: `ICMP connection to ${who} failed: ${(e as Error).message}.` };
      }
    },
    upLine: (who) => `ICMP connection to ${who} success.`,
    downLine: (who, retries) =>
      retries
        ? `PING_CHECK on service ${who} failed after ${retries} retries.`
        : `PING_CHECK on service ${who} failed.`,
    alert: (up) => (up ? "=> PING CHECK succeed on service <=" : "=> PING CHECK failed on service <="),
  };
}
