/**
 * vrrp_startup_delay on a real daemon: it says so at start ("Delaying startup for 2
 * seconds", keepalived's line) and a lone backup becomes MASTER no sooner than the delay
 * plus its Master_Down_Interval after that line. A lower bound only: a slow machine
 * makes it later, never earlier.
 *
 * startup_script / shutdown_script (keepalived main.c): the start waits for the startup
 * script (its last line is written before "Startup complete"), one past its timeout is
 * ended and the start goes on; the shutdown script runs once the VIPs are gone, and
 * the exit waits for it.
 *
 * reload_time_file / reload_repeat (keepalived reload_monitor.c): a time written into
 * the watched file schedules a reload; with reload_repeat a time of day stays and is
 * scheduled again for tomorrow, a date is removed once it fired. The times written are
 * AHEAD_S ahead: only a test process stalled that long could write one already past.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, eventually, instance, masterDownMs } from "./harness";

/** how late this process may read the first line relative to the second; below the 2 s it tells apart */
const READ_MARGIN_MS = 1000;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("vrrp_startup_delay", () => {
  test("no MASTER before the delay plus Master_Down_Interval", async () => {
    const k = lab.keel(
      "h1",
      `global_defs {\n  router_id startup\n  vrrp_startup_delay 2\n}\n${instance({ priority: 100 })}`,
    );
    const delayed = await k.waitFor(/Delaying startup for 2 seconds/, 30_000);
    const master = await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
    // both stamps are taken by this process as the lines arrive: the first may be read
    // late (a busy test process reads both at once), so the bound gives READ_MARGIN_MS;
    // a daemon that logged the delay but ignored it would be MASTER 2 s sooner
    expect(master.t - delayed.t).toBeGreaterThanOrEqual(2000 + masterDownMs(1, 100) - READ_MARGIN_MS);
    k.kill("SIGTERM");
    await k.exited;
  }, 60_000);
});

describe("startup_script and shutdown_script", () => {
  const text = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");

  test("the start waits for the startup script; the shutdown script runs after the VIPs are gone", async () => {
    const out = lab.file("scripts.out", "");
    const up = lab.file("up.sh", `#!/bin/sh\necho started >> ${out}\nsleep 1\necho ended >> ${out}\n`);
    const down = lab.file("down.sh", `#!/bin/sh\nip -o addr show dev eth0 > ${out}.addrs\necho down >> ${out}\n`);
    for (const f of [up, down]) chmodSync(f, 0o755);
    const conf = [
      "global_defs {",
      "  router_id scripts",
      `  startup_script ${up}`,
      `  shutdown_script ${down}`,
      "}",
      instance({ priority: 100, state: "MASTER" }),
    ].join("\n");
    const k = lab.keel("h1", conf);
    await k.waitFor(/Running startup script/, 30_000);
    await k.waitFor(/Startup complete/, 30_000);
    // the start went on only once the script had exited
    expect(text(out)).toBe("started\nended\n");
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
    expect(lab.hasAddr("h1", "10.99.0.100")).toBe(true);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    // the exit waited for the shutdown script, which ran with the VIP already removed
    expect(text(out)).toBe("started\nended\ndown\n");
    expect(text(`${out}.addrs`)).toContain("10.99.0.11/24");
    expect(text(`${out}.addrs`)).not.toContain("10.99.0.100");
  }, 90_000);

  test("a startup script past startup_script_timeout is ended and the start goes on", async () => {
    const conf = [
      "global_defs {",
      "  router_id scripts",
      '  startup_script "/bin/sleep 60"',
      "  startup_script_timeout 1",
      "}",
      instance({ priority: 100 }),
    ].join("\n");
    const k = lab.keel("h1", conf);
    await k.waitFor(/startup script timed out/, 30_000);
    await k.waitFor(/Startup complete/, 30_000);
    const sleeps = () => lab.exec("h1", ["sh", "-c", "ps -eo args | grep -c '^/bin/sleep 60' || true"]).trim();
    expect(sleeps()).toBe("0");
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 60_000);
});

describe("reload_time_file with reload_repeat", () => {
  const AHEAD_S = 5;
  const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

  test("a time of day reloads and is scheduled again for tomorrow; a date reloads and the file goes", async () => {
    const file = `${lab.dir}/reload-time`;
    const conf = [
      "global_defs {",
      "  router_id reloadtime",
      `  reload_time_file ${file}`,
      "  reload_repeat",
      "}",
      instance({ priority: 100 }),
    ].join("\n");
    const k = lab.keel("h1", conf);
    await k.waitFor(/Startup complete/, 30_000);
    let from = k.lines.length;
    const first = Math.ceil(Date.now() / 1000) * 1000 + AHEAD_S * 1000;
    writeFileSync(file, `${utc(first).slice(11)}Z\n`);
    await k.waitFor(/Scheduling reload for/, 20_000, from);
    await k.waitFor(/Reload complete/, 30_000, from);
    expect(existsSync(file)).toBe(true);
    // the reload's new watch reads the file again: tomorrow, the same time of day (local time in the log)
    const tomorrow = new Date(first + 86_400_000);
    const p = (n: number) => String(n).padStart(2, "0");
    const day = `${tomorrow.getFullYear()}-${p(tomorrow.getMonth() + 1)}-${p(tomorrow.getDate())}`;
    const time = `${p(tomorrow.getHours())}:${p(tomorrow.getMinutes())}:${p(tomorrow.getSeconds())}`;
    await k.waitFor(new RegExp(`Scheduling reload for ${day} ${time}`), 20_000, from);
    from = k.lines.length;
    const second = Math.ceil(Date.now() / 1000) * 1000 + AHEAD_S * 1000;
    writeFileSync(file, `${utc(second)}Z\n`);
    await k.waitFor(/Reload time updated from/, 20_000, from);
    await k.waitFor(/Reload complete/, 30_000, from);
    await eventually(() => !existsSync(file));
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 90_000);
});
