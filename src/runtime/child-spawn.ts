/**
 * keel's child processes. keepalived forks its checker and BFD children; keel runs its own
 * executable again with KEEL_CHILD naming the role (src/cli.ts), talking JSON over Bun's IPC
 * channel. Shared by checker-link.ts and bfd-link.ts: the spawn and keepalived's line for a
 * child that died ("Healthcheck child process(PID) died: exit status N: Respawning").
 */
import type { Subprocess } from "bun";
import type { Logger } from "./log";
import { runtimeEnv } from "./runtime-env";

export function spawnChild<M>(
  role: "checker" | "bfd",
  argv: string[],
  env: Record<string, string> | undefined,
  onMessage: (m: M) => void,
): Subprocess {
  // the compiled binary runs itself; under `bun src/main.ts` the script comes too
  const script = process.argv[1];
  const self = script && !script.startsWith("/$bunfs/") ? [process.execPath, script] : [process.execPath];
  return Bun.spawn([...self, ...argv], {
    env: { ...process.env, ...runtimeEnv(), ...env, KEEL_CHILD: role },
    stdio: ["ignore", "inherit", "inherit"],
    serialization: "json",
    ipc: (m: M) => onMessage(m),
  });
}

/** keepalived's log line for a child that ended without being asked to (core/process.c). */
export function childDiedLine(what: string, pid: number, code: number | null, respawn: boolean): string {
  return `${what} child process(${pid}) died: ${code === null ? "killed" : `exit status ${code}`}${respawn ? ": Respawning" : ""}`;
}

/**
 * Ask a child to stop (`ask` sends its stop message) and wait for it; after `waitS`
 * seconds (`child_wait_time`, keepalived's default 5) say so and SIGKILL it, as
 * keepalived's sigend does with the line "checker process failed to die - forcing
 * termination" (core/main.c; `what` is its short name: checker, bfd). 0 kills at once.
 */
export async function stopChild(
  child: Subprocess | undefined,
  ask: () => void,
  waitS: number,
  what: "checker" | "bfd",
  log: Logger,
): Promise<void> {
  if (!child) return;
  ask();
  const timer = setTimeout(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    log.info(`${what} process failed to die - forcing termination`);
    child.kill("SIGKILL");
  }, waitS * 1000);
  await child.exited;
  clearTimeout(timer);
}
