/** TCP_CHECK (check_tcp.c): a connect that completes is a success; the socket is closed at once. */
import type { TcpCheck } from "../config/lvs/model";
import { connectTarget } from "./net-connect";
import type { Probe, ProbeResult } from "./probe";

export function createTcpProbe(_ck: TcpCheck, _site?: unknown): Probe {
  return {
    async run(ctx): Promise<ProbeResult> {
      const c = await connectTarget(ctx.target, ctx.signal);
      const who = `[${ctx.target.ip}]:tcp:${ctx.target.port ?? 0}`;
      if (!c.ok)
        return {
          ok: false,
          timeout: c.timeout,
          reason: `TCP connection to ${who} ${c.timeout ? "timeout" : "failed"}.`,
        };
      c.sock.destroy();
      return { ok: true, detail: "connected" };
    },
    upLine: (who) => `TCP connection to ${who} success.`,
    downLine: (who, retries) =>
      retries ? `TCP_CHECK on service ${who} failed after ${retries} retries.` : `TCP_CHECK on service ${who} failed.`,
    alert: (up) => (up ? "=> TCP CHECK succeed on service <=" : "=> TCP CHECK failed on service <="),
  };
}
