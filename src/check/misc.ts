/**
 * MISC_CHECK (check_misc.c): run misc_path (no shell, its own user), with misc_timeout
 * (default: delay_loop). Exit 0 is up; with misc_dynamic 1 is down and 2..255 up with
 * weight status − 2; killed on timeout (SIGTERM to the group, then SIGKILL) is a failure.
 */
import type { MiscCheck, RealServer, VirtualServer } from "../config/lvs/model";
import { effectiveSchedule } from "../config/lvs/model";
import type { Probe, ProbeDeps, ProbeResult } from "./probe";

export function createMiscProbe(ck: MiscCheck, site: { vs: VirtualServer; rs: RealServer; deps: ProbeDeps }): Probe {
  const timeoutMs = (ck.miscTimeout ?? effectiveSchedule(site.vs, site.rs, ck).delayLoop) * 1000;
  const name = ck.miscPath.command.split(/\s+/)[0] ?? "";
  const vsName =
    site.vs.service.kind === "address"
      ? `[${site.vs.service.ip}]:${(site.vs.protocol ?? "UDP").toLowerCase()}:${site.vs.service.port ?? 0}`
      : site.vs.service.kind === "fwmark"
        ? `FWM ${site.vs.service.fwmark}`
        : `[${site.vs.service.group}]:0`;
  const who = (w: string) => `[${w} VS ${vsName}] by [${name}]`;
  return {
    async run(ctx): Promise<ProbeResult> {
      const r = await site.deps.runScript(ck.miscPath, { timeoutMs });
      const target = `[${ctx.target.ip}]:tcp:${ctx.target.port ?? 0}`;
      if (r.error) return { ok: false, reason: `Misc check for ${who(target)} failed (${r.error}).` };
      if (r.timedOut) return { ok: false, timeout: true, reason: `Misc check for ${who(target)} timed out.` };
      if (r.code === undefined)
        return { ok: false, reason: `Misc check for ${who(target)} failed (due to signal ${r.signal}).` };
      if (r.code === 0) return { ok: true, detail: "exit 0" };
      if (ck.miscDynamic && r.code >= 2 && r.code <= 255)
        return { ok: true, weight: r.code - 2, detail: `exit ${r.code}` };
      return { ok: false, reason: `Misc check for ${who(target)} failed (exited with status ${r.code}).` };
    },
    upLine: (w) => `Misc check for ${who(w)} succeeded.`,
    downLine: (w, retries) =>
      `Misc check for ${who(w)} failed${retries ? ` after ${retries} ${retries === 1 ? "retry" : "retries"}` : " with retry disabled"}.`,
    alert: (up) => `=> MISC CHECK ${up ? "succeeded" : "failed"} on service <=`,
  };
}
