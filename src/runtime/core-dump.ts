/**
 * keepalived -m / -M[PATTERN] (core/main.c core_dump_init, update_core_dump_pattern):
 * -m lifts the core file size limit to unlimited so a crash leaves a core; -M does the same
 * and also writes PATTERN (default "core") to /proc/sys/kernel/core_pattern, keeping the
 * old pattern to write back when the daemon stops. As in keepalived, a failure is one log
 * line and the daemon runs on; a crash of the daemon itself leaves the new pattern set.
 */
import type { Logger } from "./log";
import { setCoreLimitUnlimited } from "../../native-bindings/rlimit";
// libc, not node:fs: the daemon's start loads this module (DESIGN.md rule 6)
import { readTextFile, writeTextFile } from "../../native-bindings/file";

const CORE_PATTERN = "/proc/sys/kernel/core_pattern";

export function coreDumps(
  o: { unlimited: boolean; pattern?: string },
  log: Logger,
  path = CORE_PATTERN,
): { restore(): void } {
  let original: string | undefined;
  if (o.pattern !== undefined) {
    try {
      const was = readTextFile(path);
      writeTextFile(path, o.pattern);
      original = was.replace(/\n$/, "");
      log.info(`Set core_pattern to '${o.pattern}' (was '${original}')`);
    } catch (e) {
      // keepalived: "Unable to read/write core_pattern"
      log.info(`Unable to read/write core_pattern: ${(e as Error).message}`);
    }
  }
  if (o.unlimited) {
    const err = setCoreLimitUnlimited();
    if (err) log.info(`Failed to set core file size: ${err}`);
  }
  return {
    restore() {
      if (original === undefined) return;
      try {
        writeTextFile(path, original);
      } catch (e) {
        log.info(`Unable to read/write core_pattern: ${(e as Error).message}`);
      }
      original = undefined;
    },
  };
}
