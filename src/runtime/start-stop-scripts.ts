/**
 * startup_script and shutdown_script (keepalived main.c run_startup_script and the end of
 * stop_keepalived): the startup script runs before anything else starts, and the start
 * waits for it; the shutdown script runs after everything has stopped (VIPs removed,
 * children gone), and the exit waits for it. Each has its timeout
 * (`*_script_timeout`, default 10 s): then SIGTERM to its process group and SIGKILL
 * later (exec.ts, as keepalived's handle_child_timeout). Its user is its own, else
 * script_user, as every script; script security has already vetted it (script-security.ts).
 */
import type { GlobalDefs } from "../config/global/model";
import { runScript, scriptUserOptions } from "./exec";
import type { Logger } from "./log";

export async function runStartStopScript(kind: "startup" | "shutdown", g: GlobalDefs, log: Logger): Promise<void> {
  const script = kind === "startup" ? g.startupScript : g.shutdownScript;
  if (!script) return;
  const timeoutS = kind === "startup" ? g.startupScriptTimeout : g.shutdownScriptTimeout;
  log.info(`Running ${kind} script ${script.command}`);
  const r = await runScript(script, { timeoutMs: timeoutS * 1000, ...scriptUserOptions(g) });
  if (r.error) log.info(`Call of ${kind} script ${script.command} failed: ${r.error}`);
  else if (r.timedOut) log.info(`${kind} script timed out`);
  else if (r.code) log.info(`${kind} script failed, status ${r.code}`);
  else log.debug(`${kind} script succeeded`);
}
