// native-bindings/file.ts against node:fs, which it replaces on the start path: the same
// results and, for a failure, the same code, errno, syscall, path and message (callers
// put those messages in logs and diagnostics).
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as file from "../../../native-bindings/file";

const dir = fs.mkdtempSync(join(tmpdir(), "keel-file-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** what a thrown error says, or "no error" */
function failure(f: () => unknown): string {
  try {
    f();
    return "no error";
  } catch (e) {
    const x = e as NodeJS.ErrnoException;
    return JSON.stringify({ message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path });
  }
}

describe("failures read as node:fs's", () => {
  fs.writeFileSync(join(dir, "plain"), "x");
  const missing = join(dir, "missing");
  const under = join(dir, "plain", "x"); // ENOTDIR
  const cases: [string, () => unknown, () => unknown][] = [
    ["read, missing", () => file.readTextFile(missing), () => fs.readFileSync(missing, "utf8")],
    ["read, a directory", () => file.readTextFile(dir), () => fs.readFileSync(dir, "utf8")],
    ["read, not a directory", () => file.readTextFile(under), () => fs.readFileSync(under, "utf8")],
    [
      "write, missing directory",
      () => file.writeTextFile(join(missing, "f"), "a"),
      () => fs.writeFileSync(join(missing, "f"), "a"),
    ],
    ["write, a directory", () => file.writeTextFile(dir, "a"), () => fs.writeFileSync(dir, "a")],
    ["stat, missing", () => file.statFile(missing), () => fs.statSync(missing)],
    ["lstat, missing", () => file.lstatFile(missing), () => fs.lstatSync(missing)],
    ["realpath, missing", () => file.realPath(missing), () => fs.realpathSync(missing)],
    ["readlink, missing", () => file.readLink(missing), () => fs.readlinkSync(missing)],
    ["readlink, not a link", () => file.readLink(join(dir, "plain")), () => fs.readlinkSync(join(dir, "plain"))],
    ["unlink, missing", () => file.unlinkFile(missing), () => fs.unlinkSync(missing)],
    ["chmod, missing", () => file.chmodFile(missing, 0o600), () => fs.chmodSync(missing, 0o600)],
    ["open, missing", () => file.openFile(missing, "r"), () => fs.openSync(missing, "r")],
    [
      "link, target exists",
      () => file.linkFile(join(dir, "plain"), join(dir, "plain")),
      () => fs.linkSync(join(dir, "plain"), join(dir, "plain")),
    ],
    [
      "mkdir -p over a file",
      () => file.mkdirAll(join(dir, "plain"), 0o700),
      () => fs.mkdirSync(join(dir, "plain"), { recursive: true, mode: 0o700 }),
    ],
  ];
  for (const [name, ours, theirs] of cases)
    test(name, () => {
      // node:fs names stat's call as Node does since Bun 1.4 (1.3 said statx): keel says stat / lstat
      const call = name.startsWith("lstat") ? "lstat" : "stat";
      const want = failure(theirs).replaceAll("statx", call);
      expect(want).not.toBe("no error");
      expect(failure(ours)).toBe(want);
    });
});

describe("results match node:fs", () => {
  test("text: /proc (no size), an empty file, 200 kB across many reads, UTF-8 and latin1", () => {
    expect(file.readTextFile("/proc/self/status")).toContain("Pid:");
    fs.writeFileSync(join(dir, "empty"), "");
    expect(file.readTextFile(join(dir, "empty"))).toBe("");
    const big = "héllo wörld\n".repeat(16_000);
    fs.writeFileSync(join(dir, "big"), big);
    expect(file.readTextFile(join(dir, "big"))).toBe(big);
    expect(file.readTextFile(join(dir, "big"), "latin1")).toBe(fs.readFileSync(join(dir, "big"), "latin1"));
  });

  test("write: created with the mode (umask applied), truncated when it exists, bytes as given", () => {
    const p = join(dir, "w");
    file.writeTextFile(p, "first, longer text\n", 0o640);
    file.writeTextFile(p, "ü\n", 0o600);
    expect(fs.readFileSync(p, "utf8")).toBe("ü\n");
    expect(fs.statSync(p).mode & 0o777).toBe(0o640 & ~process.umask());
    file.writeTextFile(p, new Uint8Array([0, 255, 10]));
    expect([...fs.readFileSync(p)]).toEqual([0, 255, 10]);
  });

  test("append through an fd, close-on-exec", () => {
    const p = join(dir, "log");
    const fd = file.openFile(p, "a", 0o600);
    file.writeFd(fd, "one\n");
    file.writeFd(fd, new TextEncoder().encode("two\n"));
    expect(fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8")).toMatch(/flags:\s+0[0-7]*2[0-7]{6}\n/); // O_CLOEXEC
    file.closeFile(fd);
    expect(fs.readFileSync(p, "utf8")).toBe("one\ntwo\n");
  });

  test("stat and lstat: mode, owner, size, device, inode and kind", () => {
    fs.symlinkSync(join(dir, "plain"), join(dir, "link"));
    for (const p of [dir, join(dir, "plain"), join(dir, "link"), "/dev/null", "/proc/self/ns/net"]) {
      for (const [ours, theirs] of [
        [file.statFile(p), fs.statSync(p)],
        [file.lstatFile(p), fs.lstatSync(p)],
      ] as const) {
        const pick = (s: file.FileStat | fs.Stats) => ({
          mode: s.mode,
          uid: s.uid,
          gid: s.gid,
          size: s.size,
          dev: s.dev,
          ino: s.ino,
          kinds: [s.isFile(), s.isDirectory(), s.isSymbolicLink(), s.isFIFO(), s.isSocket()],
        });
        expect({ p, ...pick(ours) }).toEqual({ p, ...pick(theirs) });
      }
    }
    expect(file.fileExists(join(dir, "link"))).toBe(true);
    fs.symlinkSync(join(dir, "missing"), join(dir, "dangling"));
    expect(file.fileExists(join(dir, "dangling"))).toBe(fs.existsSync(join(dir, "dangling")));
    expect(file.fileExists(join(dir, "missing"))).toBe(false);
  });

  test("realpath, readlink, link, unlink, mkdir -p", () => {
    expect(file.realPath(join(dir, "link"))).toBe(fs.realpathSync(join(dir, "link")));
    expect(file.readLink(join(dir, "link"))).toBe(fs.readlinkSync(join(dir, "link")));
    file.linkFile(join(dir, "plain"), join(dir, "hard"));
    expect(fs.statSync(join(dir, "hard")).ino).toBe(fs.statSync(join(dir, "plain")).ino);
    file.unlinkFile(join(dir, "hard"));
    expect(fs.existsSync(join(dir, "hard"))).toBe(false);
    const deep = join(dir, "a", "b", "c");
    file.mkdirAll(deep, 0o700);
    file.mkdirAll(deep, 0o700); // exists: no error, as mkdirSync's recursive
    for (const p of [join(dir, "a"), join(dir, "a", "b"), deep])
      expect(fs.statSync(p).mode & 0o777).toBe(0o700 & ~process.umask());
    file.chmodFile(deep, 0o755);
    expect(fs.statSync(deep).mode & 0o777).toBe(0o755);
  });

  test("nodeFs() counts its callers and, traced, keeps the first one's stack", () => {
    const before = file.nodeFsUse.calls;
    file.nodeFsUse.trace = true;
    file.nodeFsUse.first = undefined;
    expect(file.nodeFs().existsSync).toBe(fs.existsSync);
    file.nodeFsUse.trace = false;
    expect(file.nodeFsUse.calls).toBe(before + 1);
    expect(String(file.nodeFsUse.first as string | undefined)).toContain("file.test.ts");
  });
});
