/** Script command lines split as keepalived's alloc_strvec_quoted_escaped does, and run without a shell. */
import { describe, expect, test } from "bun:test";
import { runScript, splitCommand } from "../../../src/runtime/exec";

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
