/**
 * The amd64 package in a clean Debian root (debian-root.ts): `dpkg -i` with no network and
 * nothing else installed, `keel -t` on the packaged sample, the daemon started as
 * keel.service starts it (its ExecStart, read from the installed unit, with systemd's
 * RuntimeDirectory and a NOTIFY_SOCKET this test reads), answering on its control
 * socket and to keepalived's JSON signal, stopped with SIGTERM, and `dpkg --purge` leaving
 * the root as it was.
 *
 * The daemon runs in a network namespace of its own (it touches no interface of this
 * machine) and a private mount namespace (the /proc mounted for it vanishes with it).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listenDatagrams } from "../../native-bindings/unix-dgram";
import { Proc, eventually, sh } from "../netns/harness";
import { freshRoot, removeRoot, snapshot } from "./debian-root";
import { DEB, ensureRelease, run } from "./release";

let root = "";
let before: string[] = [];
const ns = `kpkg${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
let daemon: Proc | undefined;

beforeAll(() => {
  ensureRelease();
  root = freshRoot();
  before = snapshot(root);
  sh(["ip", "netns", "add", ns]);
}, 1_200_000);

afterAll(() => {
  daemon?.kill("SIGKILL");
  sh(["ip", "netns", "del", ns], { allowFail: true });
  if (root) removeRoot(root);
});

/**
 * argv that runs `cmd` chrooted into the root with /proc mounted (a compiled Bun binary
 * finds its code through /proc/self/exe), in a private mount namespace: the mount dies
 * with the command and never shows outside it.
 */
function chrooted(cmd: string[]): string[] {
  const script = `mount -t proc proc "${root}/proc" && exec chroot "${root}" "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", ...cmd];
}
const inRoot = (cmd: string[]) => run(chrooted(cmd), { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } });

test("dpkg -i installs the binary, the unit, the sample config (a conffile), man pages and completion", async () => {
  copyFileSync(DEB("amd64"), join(root, "tmp/keel.deb"));
  const i = await inRoot(["dpkg", "-i", "/tmp/keel.deb"]);
  expect(`${i.stdout}${i.stderr}`).not.toMatch(/warning|error/i);
  expect(i.code).toBe(0);
  for (const f of [
    "usr/sbin/keel",
    "lib/systemd/system/keel.service",
    "etc/keel/keel.conf",
    "usr/share/man/man8/keel.8.gz",
    "usr/share/man/man5/keel.toml.5.gz",
    "usr/share/bash-completion/completions/keel",
    "usr/share/doc/keel/copyright",
  ]) {
    expect(existsSync(join(root, f))).toBe(true);
  }
  // no genhash of its own: keepalived's package owns /usr/bin/genhash
  expect(existsSync(join(root, "usr/bin/genhash"))).toBe(false);
  expect(existsSync(join(root, "usr/sbin/genhash"))).toBe(false);
  const s = await inRoot(["dpkg-query", "-W", "-f=${Status} ${Conffiles}", "keel"]);
  expect(s.stdout).toStartWith("install ok installed");
  expect(s.stdout).toContain("/etc/keel/keel.conf");
  // postinst enabled the unit as deb-systemd-helper does on a systemd host (the link is
  // absolute: it resolves inside the root only)
  expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/keel.service"))).toBe(
    "/lib/systemd/system/keel.service",
  );
}, 300_000);

test("keel -t accepts the packaged sample", async () => {
  const t = await inRoot(["keel", "-t", "-f", "/etc/keel/keel.conf"]);
  expect(t.stderr).toBe("keel: /etc/keel/keel.conf: 0 errors, 0 warnings\n");
  expect(t.code).toBe(0);
}, 120_000);

test("started as keel.service starts it: READY=1 on NOTIFY_SOCKET, the control socket answers, SIGTERM stops it cleanly", async () => {
  const unit = readFileSync(join(root, "lib/systemd/system/keel.service"), "utf8");
  expect(unit).toMatch(/^Type=notify$/m);
  const execStart = unit.match(/^ExecStart=(.+)$/m)?.[1]?.split(/\s+/);
  const runtimeDir = unit.match(/^RuntimeDirectory=(\S+)$/m)?.[1];
  expect(execStart?.[0]).toBe("/usr/sbin/keel");
  // what systemd does before ExecStart: RuntimeDirectory= with RuntimeDirectoryMode=0700
  mkdirSync(join(root, "run", runtimeDir!), { recursive: true });
  chmodSync(join(root, "run", runtimeDir!), 0o700);
  const notifyPath = join(root, "run/test-notify.sock");
  const notify = listenDatagrams(notifyPath);
  try {
    const env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET=/run/test-notify.sock"];
    const proc = Bun.spawn(["ip", "netns", "exec", ns, ...chrooted([...env, ...execStart!])], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    daemon = new Proc("chroot", proc);
    await daemon.waitFor(/Startup complete/, 60_000);
    const got: string[] = [];
    await eventually(() => {
      got.push(...notify.receive());
      return got.some((m) => m.split("\n").includes("READY=1"));
    }, 60_000);
    expect(existsSync(join(root, "run/keel/keel.pid"))).toBe(true);
    const st = await inRoot(["keel", "status", "--json"]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout).instances).toEqual([]);
    // keepalived's JSON signal (SIGRTMIN+2) works on a host with no compiler or libc6-dev:
    // its handler is machine code keel writes itself (native-bindings/signals.ts)
    expect(daemon.text()).not.toContain("not available");
    daemon.kill(36);
    await eventually(() => existsSync(join(root, "tmp/keepalived.json")), 60_000);
    expect(JSON.parse(readFileSync(join(root, "tmp/keepalived.json"), "utf8"))).toEqual([]);
    rmSync(join(root, "tmp/keepalived.json"));

    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    daemon = undefined;
    // its pid files and control socket went with it
    expect(sh(["ls", "-A", join(root, "run/keel")]).trim()).toBe("");
  } finally {
    notify.close();
    rmSync(notifyPath, { force: true });
  }
  // systemd removes the RuntimeDirectory when the service stops
  rmSync(join(root, "run", runtimeDir!), { recursive: true, force: true });
}, 300_000);

test("dpkg --purge removes everything: the root is as before the install", async () => {
  const p = await inRoot(["dpkg", "--purge", "keel"]);
  expect(`${p.stdout}${p.stderr}`).not.toMatch(/warning|error/i);
  expect(p.code).toBe(0);
  const after = snapshot(root);
  expect(after.filter((l) => !before.includes(l))).toEqual([]);
  expect(before.filter((l) => !after.includes(l))).toEqual([]);
}, 300_000);
