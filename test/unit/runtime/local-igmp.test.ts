/**
 * disable_local_igmp (runtime/local-igmp.ts) on a file standing in for
 * /proc/sys/net/ipv4/igmp_link_local_mcast_reports: keepalived 2.2.7's
 * set_disable_local_igmp / reset_disable_local_igmp byte for byte, and its reload rule.
 * The namespace's real sysctl, beside keepalived, is test/interop/igmp.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConfig } from "../../../src/config/model";
import { resetDisableLocalIgmp, setDisableLocalIgmp } from "../../../src/runtime/local-igmp";
import { createLogger } from "../../../src/runtime/log";
import { unsupportedReloadChanges } from "../../../src/runtime/namespace-start";

function withFile(content: string | undefined, fn: (path: string, lines: string[]) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "keel-igmp-"));
  const path = join(dir, "igmp_link_local_mcast_reports");
  if (content !== undefined) writeFileSync(path, content);
  const lines: string[] = [];
  try {
    fn(path, lines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const logTo = (lines: string[]) => createLogger({ write: (l) => lines.push(l.trimEnd()) });

describe("disable_local_igmp", () => {
  test("1 at start: 0 while running, 1 again at stop", () =>
    withFile("1\n", (path, lines) => {
      const saved = setDisableLocalIgmp(logTo(lines), path);
      expect(readFileSync(path, "utf8")).toBe("0\n");
      resetDisableLocalIgmp(saved, logTo(lines), path);
      expect(readFileSync(path, "utf8")).toBe("1\n");
      expect(lines).toEqual([]);
    }));

  test("0 at start: left alone, and not written at stop", () =>
    withFile("0\n", (path, lines) => {
      const saved = setDisableLocalIgmp(logTo(lines), path);
      expect(saved).toBeUndefined();
      writeFileSync(path, "0\n");
      resetDisableLocalIgmp(saved, logTo(lines), path);
      expect(readFileSync(path, "utf8")).toBe("0\n");
    }));

  test("a kernel without the file: keepalived's line, nothing to restore", () =>
    withFile(undefined, (path, lines) => {
      expect(setDisableLocalIgmp(logTo(lines), path)).toBeUndefined();
      expect(lines.at(-1)).toEndWith(`Unable to open ${path} - errno 2`);
    }));

  test("a reload cannot change it (main.c reload_config)", () => {
    const on = createConfig();
    on.globalDefs.disableLocalIgmp = true;
    expect(unsupportedReloadChanges(createConfig(), on, undefined)).toEqual([
      "Cannot change disable_local_igmp at a reload - please restart keel",
    ]);
    expect(unsupportedReloadChanges(on, on, undefined)).toEqual([]);
  });
});
