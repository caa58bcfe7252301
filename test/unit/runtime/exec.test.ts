/** Script command lines split as keepalived's alloc_strvec_quoted_escaped does, and run without a shell. */
import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privilegeWords, programPath, runScript, splitCommand } from "../../../src/runtime/exec";

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

// What a script reached through a symbolic link sees as $0, recorded live in a network
// namespace (01:14 UTC 2026-12-06) with a notify script and a vrrp_script
// "<dir>/links//./notify-link.sh" → <dir>/real/notify.sh that logs its $0:
//   keepalived 2.2.7 (Debian), no keyword (and with it: "Unknown keyword 'use_symlink_paths'"):
//     $0 = <dir>/real/notify.sh
//   keepalived 2.4.3 (built from v2.4.3), no keyword:  $0 = <dir>/real/notify.sh
//   keepalived 2.4.3, use_symlink_paths:               $0 = <dir>/links/notify-link.sh
// (/proc/PID/cmdline "/bin/sh <that path> ARGS": the kernel hands the interpreter the path
// execve was given.) keel before this ran the path as written, "<dir>/links//./notify-link.sh".
describe("use_symlink_paths: the path a script runs by", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-exec-symlink-"));
  mkdirSync(join(dir, "real"));
  mkdirSync(join(dir, "links"));
  const real = join(dir, "real/notify.sh");
  writeFileSync(real, '#!/bin/sh\necho "$0 $*" > "$OUT"\n');
  chmodSync(real, 0o755);
  symlinkSync(real, join(dir, "links/notify-link.sh"));
  const written = `${dir}/links//./notify-link.sh`;

  async function dollar0(keepSymlinks: boolean | undefined): Promise<string> {
    const out = join(dir, `out-${keepSymlinks}`);
    const r = await runScript({ command: `${written} chk` }, { keepSymlinks, env: { OUT: out }, args: ["x"] });
    expect(r.code).toBe(0);
    return readFileSync(out, "utf8").trim();
  }

  test("by default its real path, as keepalived 2.2.7 and 2.4.3", async () => {
    expect(await dollar0(undefined)).toBe(`${real} chk x`);
    expect(await dollar0(false)).toBe(`${real} chk x`);
  });

  test("with use_symlink_paths the link, with // and /./ removed (keepalived 2.4 clean_path)", async () => {
    expect(await dollar0(true)).toBe(`${dir}/links/notify-link.sh chk x`);
  });

  test("programPath: found in PATH first; /../ removed; a missing program stays as written", () => {
    expect(programPath("sh", false)).toBe(realpathSync("/bin/sh"));
    expect(programPath(`${dir}/real/../links/notify-link.sh`, true)).toBe(`${dir}/links/notify-link.sh`);
    expect(programPath(`${dir}/real/../links/notify-link.sh`, false)).toBe(real);
    expect(programPath(`${dir}/missing`, false)).toBe(`${dir}/missing`);
    expect(programPath("no-such-program-h24", true)).toBe("no-such-program-h24");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
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
