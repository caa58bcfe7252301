/**
 * What every guest script shares: PASS/FAIL lines (test/vm/run-guest.ts counts them),
 * a shell that throws on failure, and the exit status.
 */
import { spawnSync } from "node:child_process";

let failed = 0;
export const ok = (m: string) => console.log(`PASS: ${m}`);
export const ko = (m: string) => {
  console.log(`FAIL: ${m}`);
  failed++;
};
export function sh(cmd: string): string {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}
/** exit 1 when any check failed */
export const finish = (): never => process.exit(failed ? 1 : 0);
