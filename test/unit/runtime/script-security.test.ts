/** keepalived's check_security on real files: ownership and write bits along the whole path. */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { lookupIds } from "../../../src/runtime/exec";
import {
  DEFAULT_SCRIPT_USER,
  checkSecurity,
  scriptDiagnostics,
  secureScripts,
} from "../../../src/runtime/script-security";
import { Diagnostics, formatDiagnostic } from "../../../src/config/diagnostics";

const root = process.getuid?.() === 0;
// /tmp is sticky and world-writable: fine as a path component, as for keepalived
const dir = mkdtempSync(join(tmpdir(), "keel-sec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, mode: number, uid = 0): string {
  const p = join(dir, name);
  writeFileSync(p, "#!/bin/sh\nexit 0\n");
  chmodSync(p, mode);
  if (root) chownSync(p, uid, 0);
  return p;
}

describe("checkSecurity", () => {
  test("root-owned 0755 in a root-owned 0700 directory: secure", () => {
    chmodSync(dir, 0o700);
    expect(checkSecurity(script("ok.sh", 0o755), true)).toMatchObject({ insecure: false, inhibit: false });
  });
  test("world-writable script: insecure; disabled only with enable_script_security", () => {
    const p = script("ww.sh", 0o757);
    expect(checkSecurity(p, true)).toMatchObject({
      insecure: true,
      inhibit: true,
      messages: [`Unsafe permissions found for script '${p}' - disabling.`],
    });
    expect(checkSecurity(p, false)).toMatchObject({
      insecure: true,
      inhibit: false,
      messages: [`Unsafe permissions found for script '${p}'.`],
    });
  });
  test("owned by a non-root user: insecure", () => {
    expect(checkSecurity(script("nobody.sh", 0o755, 65534), true).insecure).toBe(true);
  });
  test("a group- or world-writable directory without the sticky bit on the path: insecure", () => {
    const sub = join(dir, "open");
    mkdirSync(sub, { recursive: true });
    chmodSync(sub, 0o777);
    writeFileSync(join(sub, "x.sh"), "#!/bin/sh\n");
    chmodSync(join(sub, "x.sh"), 0o755);
    expect(checkSecurity(join(sub, "x.sh"), true).insecure).toBe(true);
  });
  test("missing: not found, disabled", () => {
    expect(checkSecurity(join(dir, "none.sh"), true)).toMatchObject({ notFound: true, inhibit: true });
  });
});

describe("secureScripts", () => {
  test("with enable_script_security an insecure vrrp_script is dropped from the instances that track it", () => {
    const bad = script("bad.sh", 0o777);
    const text = `global_defs {\n enable_script_security\n}\nvrrp_script chk {\n script "${bad}"\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n track_script {\n  chk\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`;
    const r = parseConf("/k.conf", {
      source: memorySource({ "/k.conf": text }),
      host: { interfaceExists: () => true, userExists: () => true, groupExists: () => true },
    });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s).msg) });
    const out = secureScripts(r.config, log);
    expect(out.vrrpScripts.chk).toBeUndefined();
    expect(out.vrrpInstances.VI_1?.trackScripts).toEqual([]);
    expect(lines).toContain("Disabling track script chk due to insecure");
    // the original is untouched
    expect(r.config.vrrpInstances.VI_1?.trackScripts.length).toBe(1);
  });
});

describe("secureScripts resolves symbolic links first (keepalived realpath)", () => {
  test("/bin/sh through the /bin link is secure and keeps running", () => {
    const text = `global_defs {\n enable_script_security\n}\nvrrp_script chk {\n script "/bin/sh -c true"\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n track_script {\n  chk\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`;
    const r = parseConf("/k.conf", {
      source: memorySource({ "/k.conf": text }),
      host: { interfaceExists: () => true, userExists: () => true, groupExists: () => true },
    });
    const log = pino({ level: "silent" });
    expect(secureScripts(r.config, log).vrrpScripts.chk).toBeDefined();
  });
});

describe("secureScripts: SECURITY VIOLATION as keepalived says it", () => {
  test("any script found counts, a binary too (keepalived 2.2.7 -t exits 6 for /usr/bin/true)", () => {
    const text = [
      'vrrp_script chk {\n script "/usr/bin/true"\n}',
      "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100",
      " track_script {\n  chk\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n",
    ].join("\n");
    const source = memorySource({ "/k.conf": text });
    const r = parseConf("/k.conf", { source, host: { interfaceExists: () => true } });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s).msg) });
    expect(secureScripts(r.config, log).vrrpScripts.chk).toBeDefined();
    expect(lines).toContain("SECURITY VIOLATION - scripts are being executed but script_security not enabled.");
  });
});

describe("scriptDiagnostics: keel -t says what keepalived -t says", () => {
  // main.c: the parent checks startup_script and shutdown_script itself, whatever else the
  // configuration holds, and reports "SECURITY VIOLATION - start/shutdown scripts ..."
  test("startup_script without enable_script_security", () => {
    const source = memorySource({ "/k.conf": 'global_defs {\n  startup_script "/usr/bin/true"\n}\n' });
    const r = parseConf("/k.conf", { source, host: { interfaceExists: () => true } });
    const diags = new Diagnostics();
    const violation = scriptDiagnostics(r.config, r.origins, diags, { file: "/k.conf", line: 1, col: 1 });
    expect(violation).toBe(true);
    expect(diags.items.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /^\/k.conf:2:\d+: warning\[script-security\]: SECURITY VIOLATION - start\/shutdown scripts are being executed but script_security not enabled\./,
      ),
    ]);
  });
});

test("enable_script_security without script_user needs user keepalived_script (lib/notify.c get_default_script_user)", () => {
  const text = [
    "global_defs {\n  enable_script_security\n}",
    'vrrp_script chk {\n  script "/usr/bin/true"\n}',
    'vrrp_script own {\n  script "/usr/bin/true"\n  user root\n}',
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100",
    " track_script {\n  chk\n  own\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n",
  ].join("\n");
  const r = parseConf("/k.conf", { source: memorySource({ "/k.conf": text }), host: { interfaceExists: () => true } });
  const diags = new Diagnostics();
  scriptDiagnostics(r.config, r.origins, diags, { file: "/k.conf", line: 1, col: 1 });
  const lines = diags.items.map(formatDiagnostic);
  // the host decides: keepalived_script exists on some machines (then it is the default user)
  if (lookupIds(DEFAULT_SCRIPT_USER)) expect(lines).toEqual([]);
  else
    expect(lines).toEqual([
      expect.stringMatching(
        /^\/k.conf:5:\d+: error\[no-script-user\]: Unable to set default user keepalived_script for track script chk - removing/,
      ),
    ]);
});
