/**
 * What the "someone deleted it under a MASTER" interop tests (sync-route-events,
 * vip-deleted) share: three hosts, keepalived in `ka` and keel in `keel` side by side with
 * keepalived in `obs` on the other side of their VRIDs, and each daemon's notify FIFO
 * copied line by line to a file by a reader script, so the lines can be compared.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { Lab, ensureKeel } from "../netns/harness";

export const HOSTS = ["ka", "keel"] as const;
export type Host = (typeof HOSTS)[number];

/** The lab (obs, ka, keel) with the FIFO reader script in ka's and keel's directories. */
export function fifoLab(): Lab {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  const lab = Lab.create(["obs", ...HOSTS]);
  for (const h of HOSTS) {
    const dir = lab.tmpdir(h);
    writeFileSync(`${dir}/reader.sh`, `#!/bin/sh\nwhile read -r l; do echo "$l" >> "${dir}/lines"; done < "$1"\n`);
    chmodSync(`${dir}/reader.sh`, 0o755);
  }
  return lab;
}

/** global_defs for `h`: its router_id and the notify FIFO its reader script copies */
export function fifoGlobals(lab: Lab, h: Host): string {
  const dir = lab.tmpdir(h);
  return `global_defs {
  router_id ${h}
  notify_fifo ${dir}/notify.fifo
  notify_fifo_script ${dir}/reader.sh
}`;
}

/** The FIFO lines `h`'s daemon has written so far. */
export function fifoLines(lab: Lab, h: Host): string[] {
  const f = `${lab.tmpdir(h)}/lines`;
  return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n") : [];
}
