/**
 * `keel -t` checks what keepalived -t checks beyond the grammar: script security
 * (fixtures in test/fixtures/config/script-security, @DIR@ standing for a temporary
 * directory with the scripts in it) and keepalived's line buffer (a 1 MB router_id).
 * Exit statuses as keepalived 2.2.7 gives them for the same files (measured, with a real
 * interface for lo): 5 for a disabled vrrp_script, 6 for SECURITY VIOLATION, 0 for a
 * disabled notify script.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { main } from "../../../src/cli";

const FIXTURES = join(import.meta.dir, "../../fixtures/config/script-security");
let dir: string;

beforeAll(() => {
  // the scripts must be root's for the secure cases (CI is root)
  expect(process.geteuid?.()).toBe(0);
  dir = mkdtempSync(join(tmpdir(), "keel-t-scripts-"));
  const sh = "#!/bin/sh\nexit 0\n";
  writeFileSync(join(dir, "ok.sh"), sh, { mode: 0o755 });
  chownSync(join(dir, "ok.sh"), 0, 0);
  mkdirSync(join(dir, "open"));
  // chmod(1): Bun's chmodSync is fine here (no sticky bit), but mkdir's mode is umask'd
  expect(Bun.spawnSync(["chmod", "0777", join(dir, "open")]).exitCode).toBe(0);
  writeFileSync(join(dir, "open", "chk.sh"), sh, { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keelT(fixture: string): Promise<{ code: number; err: string; conf: string }> {
  const conf = join(dir, fixture);
  writeFileSync(conf, readFileSync(join(FIXTURES, fixture), "utf8").replaceAll("@DIR@", dir));
  let err = "";
  const code = await main(["-t", "-f", conf], {
    out: () => {},
    err: (s) => {
      err += s;
    },
  });
  return { code, err, conf };
}

describe("keel -t: script security", () => {
  test("enable_script_security, a tracked script in a world-writable directory: error at its line, 5", async () => {
    const r = await keelT("insecure-track.conf");
    const script = join(dir, "open", "chk.sh");
    expect(r.err).toContain(
      `${r.conf}:9:10: error[insecure-script]: Disabling track script chk due to insecure: ` +
        `Unsafe permissions found for script '${script}' - disabling.`,
    );
    expect(r.code).toBe(5);
  });

  test("enable_script_security, a tracked script that does not exist: error, exit 5", async () => {
    const r = await keelT("missing-track.conf");
    const what = "error[script-not-found]: Disabling track script chk since not found/accessible:";
    expect(r.err).toContain(`${r.conf}:9:10: ${what}`);
    expect(r.code).toBe(5);
  });

  test("no enable_script_security and a script to run: SECURITY VIOLATION, exit 6", async () => {
    const r = await keelT("no-security.conf");
    expect(r.err).toContain(
      `${r.conf}:7:10: warning[script-security]: SECURITY VIOLATION - scripts are being executed but ` +
        "script_security not enabled. (add enable_script_security to global_defs)",
    );
    expect(r.code).toBe(6);
  });

  test("no enable_script_security and a MISC_CHECK script: the checker's SECURITY VIOLATION, exit 6", async () => {
    const r = await keelT("misc-check.conf");
    expect(r.err).toContain(
      `${r.conf}:8:17: warning[script-security]: SECURITY VIOLATION - check scripts are being executed but ` +
        "script_security not enabled. (add enable_script_security to global_defs)",
    );
    expect(r.code).toBe(6);
  });

  test("enable_script_security, an insecure notify script: a warning, exit 0 as keepalived", async () => {
    const r = await keelT("insecure-notify.conf");
    expect(r.err).toContain(`${r.conf}:16:17: warning[insecure-script]: Disabling notify script`);
    expect(r.code).toBe(0);
  });

  test("enable_script_security, a secure tracked script: exit 0, nothing said about it", async () => {
    const r = await keelT("secure-track.conf");
    expect(r.err).toBe(`keel: ${r.conf}: 0 errors, 0 warnings\n`);
    expect(r.code).toBe(0);
  });
});

test("the same file as TOML: the error names the TOML file, not the keepalived.conf it is read as", async () => {
  const { conf } = await keelT("insecure-track.conf");
  const toml = join(dir, "insecure-track.toml");
  expect(await main(["convert", conf, "--to", "toml", "-o", toml], { out: () => {}, err: () => {} })).toBe(0);
  let err = "";
  const code = await main(["-t", "-f", toml], {
    out: () => {},
    err: (s) => {
      err += s;
    },
  });
  expect(err).toContain(`${toml}:1:1: error[insecure-script]: Disabling track script chk due to insecure`);
  expect(code).toBe(5);
});

test("a script run as another user than root is not checked (notify.c need_script_protection)", async () => {
  // keepalived 2.2.7's own -t is killed by SIGTERM on this file (its issue #2617); the
  // rule is read from check_script_secure: check_security runs only for uid or gid 0
  const conf = join(dir, "as-nobody.conf");
  const text = readFileSync(join(FIXTURES, "insecure-track.conf"), "utf8").replaceAll("@DIR@", dir);
  writeFileSync(conf, text.replace("script_user root", "script_user nobody"));
  let err = "";
  const code = await main(["-t", "-f", conf], {
    out: () => {},
    err: (s) => {
      err += s;
    },
  });
  expect(err).toBe(`keel: ${conf}: 0 errors, 0 warnings\n`);
  expect(code).toBe(0);
});

describe("keel -t: keepalived's line buffer", () => {
  test("a 1 MB router_id is an error at its line, without echoing the megabyte", async () => {
    const conf = join(dir, "huge-router-id.conf");
    writeFileSync(conf, `global_defs {\n  router_id ${"r".repeat(1 << 20)}\n}\n`);
    let err = "";
    const code = await main(["-t", "-f", conf], {
      out: () => {},
      err: (s) => {
        err += s;
      },
    });
    expect(err).toContain(
      `${conf}:2:13: error[line-too-long]: 'router_id' argument runs to column ${12 + (1 << 20)}; ` +
        "keepalived reads at most 1023 characters a line and ignores a longer one ('line too long - ignoring')",
    );
    expect(err.length).toBeLessThan(2000);
    expect(code).toBe(5);
  });
});
