/**
 * The notifications that are not state changes, on a real daemon (keepalived
 * vrrp_notify.c and its callers, 2.2.7):
 * - `vrrp_notify_priority_changes`: a priority change writes `INSTANCE "VI_1"
 *   MASTER_PRIORITY 130` to the notify FIFO (vrrp_track.c vrrp_set_effective_priority);
 * - `notify_deleted`: an instance a reload removes is notified DELETED (its
 *   notify_deleted script runs); without it, FAULT (vrrp.c clear_diff_vrrp);
 * - `notify_master_rx_lower_pri`: a master hearing a lower-priority master runs the
 *   script and writes `MASTER_RX_LOWER_PRI` (vrrp.c vrrp_state_master_rx).
 * One daemon in h1 serves all three; h2 plays the lower master, cut off the bridge
 * (lab.isolate) until it is MASTER, then joined back.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance } from "./harness";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const text = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");

describe("notify: priority changes, deleted instances, a lower master heard", () => {
  let h1: Proc;
  let fifoOut: string;
  let trackFile: string;
  let rxOut: string;
  let deletedOut: string;
  let conf: (withRemoved: boolean) => string;

  beforeAll(async () => {
    fifoOut = lab.file("fifo.out", "");
    rxOut = lab.file("rx.out", "");
    deletedOut = lab.file("deleted.out", "");
    trackFile = lab.file("track", "0\n");
    const reader = lab.file("reader.sh", `#!/bin/sh\nwhile read -r line; do echo "$line" >> ${fifoOut}; done < "$1"\n`);
    const rx = lab.file("rx.sh", `#!/bin/sh\necho "rx $*" >> ${rxOut}\n`);
    const deleted = lab.file("deleted.sh", `#!/bin/sh\necho "deleted $*" >> ${deletedOut}\n`);
    for (const f of [reader, rx, deleted]) chmodSync(f, 0o755);
    const fifo = `${lab.dir}/keel.fifo`;
    conf = (withRemoved) =>
      [
        "global_defs {",
        "  router_id notify",
        `  vrrp_notify_fifo ${fifo}`,
        `  vrrp_notify_fifo_script ${reader}`,
        "  vrrp_notify_priority_changes true",
        "}",
        `track_file tf {\n  file ${trackFile}\n  weight 1\n}`,
        instance({
          priority: 150,
          extra: ["track_file {", "  tf", "}", `notify_master_rx_lower_pri ${rx}`],
        }),
        ...(withRemoved
          ? [
              instance({
                name: "VI_2",
                vrid: 52,
                priority: 100,
                vips: ["10.99.0.102/32"],
                extra: [`notify_deleted ${deleted}`],
              }),
              instance({ name: "VI_3", vrid: 53, priority: 100, vips: ["10.99.0.103/32"] }),
            ]
          : []),
      ].join("\n");
    h1 = lab.keel("h1", conf(true));
    for (const i of ["VI_1", "VI_2", "VI_3"]) await h1.waitFor(new RegExp(`\\(${i}\\) Entering MASTER STATE`), 30_000);
    await eventually(() => text(fifoOut).includes('INSTANCE "VI_3" MASTER'), 20_000);
  }, HOOK_TIMEOUT_MS);

  test("vrrp_notify_priority_changes: a tracked file lowers VI_1 to 130, the FIFO says MASTER_PRIORITY 130", async () => {
    const from = h1.lines.length;
    writeFileSync(trackFile, "-20\n");
    await h1.waitFor(/\(VI_1\) Changing effective priority from 150 to 130/, 20_000, from);
    await eventually(() => text(fifoOut).includes('INSTANCE "VI_1" MASTER_PRIORITY 130'), 20_000);
    // only VI_1 tracks the file: no other instance's priority line
    expect(text(fifoOut).match(/_PRIORITY/g)).toHaveLength(1);
  }, 60_000);

  test("a reload removes VI_2 (notify_deleted) and VI_3: DELETED and its script, FAULT for the other", async () => {
    const from = h1.lines.length;
    lab.file("h1.conf", conf(false));
    h1.kill("SIGHUP");
    await h1.waitFor(/Reload complete/, 20_000, from);
    await eventually(
      () => text(fifoOut).includes('INSTANCE "VI_2" DELETED') && text(fifoOut).includes('INSTANCE "VI_3" FAULT'),
      20_000,
    );
    const lines = text(fifoOut).trim().split("\n");
    expect(lines).toContain('INSTANCE "VI_2" DELETED 100');
    expect(lines).toContain('INSTANCE "VI_3" FAULT 100');
    // keepalived notifies a removed instance once, and never STOP
    expect(lines.filter((l) => /"VI_[23]" (STOP|DELETED|FAULT)/.test(l))).toHaveLength(2);
    // notify_deleted's script runs as written (notify_exec: no words added)
    await eventually(() => text(deletedOut) === "deleted \n", 20_000);
  }, 60_000);

  test("notify_master_rx_lower_pri: a split brain healed, the master runs the script and writes MASTER_RX_LOWER_PRI", async () => {
    lab.isolate("h2", true);
    const h2 = lab.keel("h2", `global_defs {\n  router_id notify2\n}\n${instance({ priority: 100 })}`);
    await h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
    expect(text(rxOut)).toBe("");
    const from = h1.lines.length;
    lab.isolate("h2", false);
    await h1.waitFor(/\(VI_1\) Received advert from 10\.99\.0\.12 with lower priority 100, ours 130/, 20_000, from);
    await eventually(() => text(rxOut).startsWith("rx \n"), 20_000);
    await eventually(() => text(fifoOut).includes('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 130'), 20_000);
    await h2.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
  }, 90_000);
});
