/** Script command lines split as keepalived's alloc_strvec_quoted_escaped does, and run without a shell. */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privilegeWords, runScript, splitCommand } from "../../../src/runtime/exec";

describe("splitCommand", () => {
  test("words, quotes and escapes", () => {
    expect(splitCommand("/bin/check  --port 80")).toEqual(["/bin/check", "--port", "80"]);
    expect(splitCommand(`/bin/sh -c 'test -f "/x y"'`)).toEqual(["/bin/sh", "-c", 'test -f "/x y"']);
    expect(splitCommand(`a "b c" d\\ e ''`)).toEqual(["a", "b c", "d e", ""]);
    expect(splitCommand("   ")).toEqual([]);
  });
});

describe("runScript", () => {
  test("exit status, extra arguments, no shell", async () => {
    expect((await runScript({ command: "/bin/true" })).code).toBe(0);
    expect((await runScript({ command: "/bin/false" })).code).toBe(1);
    // the arguments reach the program as words: no shell expands the $ or the ;
    // (the splitter turns \\\$ into \$, which sh reads as a literal $)
    const r = await runScript(
      { command: '/bin/sh -c \'test "$1" = "a;b" && test "$2" = "\\\\\\$HOME"\' sh' },
      { args: ["a;b", "$HOME"] },
    );
    expect(r.code).toBe(0);
    expect((await runScript({ command: "/nonexistent/script" })).error).toContain("ENOENT");
  });
  test("a timeout ends the whole process group and reports it", async () => {
    const r = await runScript({ command: "/bin/sh -c 'sleep 20 & sleep 20'" }, { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.ms).toBeLessThan(2_000);
    expect(r.signal).toBe("SIGTERM");
  });
});

describe("the script's user and groups", () => {
  test("set_supplementary_groups: the user's own groups by name; else the group alone, as keepalived 2.2.7", () => {
    const ids = { uid: 1000, gid: 100 };
    expect(privilegeWords(ids, { user: "alice" }, false)).toEqual([
      "setpriv",
      "--reuid=1000",
      "--regid=100",
      "--groups=100",
      "--",
    ]);
    expect(privilegeWords(ids, { user: "alice" }, true)).toContain("--init-groups");
    // a number names no user whose groups could be looked up
    expect(privilegeWords(ids, { user: "1000" }, true)).toContain("--groups=100");
  });
  test.if(process.getuid?.() === 0)(
    "a script run as another user keeps only its group (setgroups(1, &gid))",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "keel-exec-groups-"));
      try {
        chmodSync(dir, 0o777);
        const out = join(dir, "groups");
        const r = await runScript(
          { command: `/bin/sh -c 'grep ^Groups: /proc/self/status > ${out}'` },
          { defaultUser: { user: "65534", group: "65534" } },
        );
        expect(r.code).toBe(0);
        expect(readFileSync(out, "utf8").trim().split(/\s+/)).toEqual(["Groups:", "65534"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
