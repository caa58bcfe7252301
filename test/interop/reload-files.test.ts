/**
 * reload_check_config and reload_file against Debian's keepalived 2.2.7, the same config
 * run by each in its own host (core/main.c start_validate_reload_conf_child,
 * create_reload_file, remove_reload_file):
 * - at start, a reload_file left over is removed;
 * - a reload with a bad new configuration is refused with "New config failed validation,
 *   see LOG for details", the check's report is in LOG, and the reload_file existed while
 *   the check read the files (inotify saw it created and deleted) and is gone after;
 * - a good one is applied, and LOG holds that check's report only.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance } from "../netns/harness";
import { start } from "./routers";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  if (!Bun.which("inotifywait")) throw new Error("inotifywait (inotify-tools) is needed");
  lab = Lab.create(["h1", "h2"]);
  // apart: each is MASTER of its own segment, nothing depends on the other
  lab.isolate("h1", true);
  lab.isolate("h2", true);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const conf = (dir: string, vrid: number) => `global_defs {
  router_id reloadfiles
  reload_check_config ${dir}/check.log
  reload_file ${dir}/conf.reload
}
${instance({ priority: 150, vrid, version: 3 })}`;

/** inotify on the host's directory: the reload_file's creation and removal, in order. */
async function watch(host: string): Promise<Proc> {
  const w = lab.spawn(host, ["inotifywait", "-m", "-e", "create,delete", "--format", "%e %f", lab.tmpdir(host)]);
  await w.waitFor(/Watches established/, 10_000);
  return w;
}

test("reload_check_config refuses a bad reload, reload_file marks the check, as keepalived", async () => {
  const kinds = [
    ["h1", "keepalived"],
    ["h2", "keel"],
  ] as const;
  const routers = kinds.map(([host, kind]) => {
    const dir = lab.tmpdir(host);
    // left over from an earlier run: removed once the configuration has been read
    writeFileSync(`${dir}/conf.reload`, "");
    const r = start(lab, kind, host, conf(dir, 51));
    return { host, kind, dir, r, file: kind === "keel" ? `${host}.conf` : `${host}-ka.conf` };
  });
  try {
    for (const { r, dir } of routers) {
      await r.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 20_000);
      // the left-over reload_file is removed once the configuration has been read
      await eventually(() => !existsSync(`${dir}/conf.reload`));
    }

    // a bad new configuration: virtual_router_id out of range is an error for both
    const watches = await Promise.all(routers.map(({ host }) => watch(host)));
    const marks = Object.fromEntries(routers.map(({ r, kind }) => [kind, r.proc.lines.length]));
    for (const { r, dir, file } of routers) {
      lab.file(file, conf(dir, 300));
      r.proc.kill("SIGHUP");
    }
    for (const [i, { r, dir, kind }] of routers.entries()) {
      await r.proc.waitFor(new RegExp(`New config failed validation, see ${dir}/check.log for details`), 20_000);
      const log = readFileSync(`${dir}/check.log`, "utf8");
      expect(log, kind).toContain("300");
      const w = watches[i] as Proc;
      await w.waitFor(/^DELETE conf\.reload$/, 10_000);
      const events = w.lines.map((l) => l.text).filter((l) => l.endsWith(" conf.reload"));
      expect(events.slice(0, 2), kind).toEqual(["CREATE conf.reload", "DELETE conf.reload"]);
      expect(existsSync(`${dir}/conf.reload`), kind).toBe(false);
    }
    for (const w of watches) w.kill();
    // the refused reload left the instance as it was
    const keel = routers[1] as (typeof routers)[number];
    expect(keel.r.proc.text()).not.toContain("Reload complete");
    // main.c start_reload: with reload_check_config, -D's "validate conf before Reload" and
    // no "Reloading ..." (do_reload) for a check that failed; no "Configuration file" either
    // (the parent reads the check's copy)
    const reloadLines = (r: (typeof routers)[number]["r"], from: number) =>
      r.proc.lines
        .slice(from)
        .map((l) => l.text.replace(/^.*?\d{4}: /, ""))
        .filter((t) => /^(validate conf before Reload|Reloading \.\.\.|Reloading|Configuration file .*)$/.test(t));
    for (const { r, kind } of routers)
      expect(reloadLines(r, marks[kind] ?? 0), kind).toEqual(["validate conf before Reload"]);

    // a good one: applied; the log holds this check's report, not the last one's
    for (const { r, dir, file, kind } of routers) {
      const from = r.proc.lines.length;
      lab.file(file, conf(dir, 52));
      r.proc.kill("SIGHUP");
      // keepalived's VRRP child says "Reloading" once the check passed (keel too); keel is done at "Reload complete"
      await r.proc.waitFor(kind === "keel" ? /Reload complete/ : /: Reloading$/, 20_000, from);
      expect(readFileSync(`${dir}/check.log`, "utf8")).not.toContain("300");
      // the check passed: do_reload's "Reloading ...", then the VRRP child's "Reloading"
      expect(reloadLines(r, from), kind).toEqual(["validate conf before Reload", "Reloading ...", "Reloading"]);
    }
  } finally {
    for (const { r } of routers) r.proc.kill("SIGTERM");
    await Promise.all(routers.map(({ r }) => r.proc.exited));
  }
}, 120_000);
