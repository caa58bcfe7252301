/**
 * A clean Debian root for installing the package: debootstrap --variant=minbase of this
 * machine's release from the Debian mirror its apt uses. debootstrap takes minutes on a
 * loaded machine, so its result is kept as a tarball (KEEL_DEBROOT_CACHE, default
 * /var/cache/keel-test) for a week, and every test unpacks a fresh copy of it: each run
 * still starts from a root nothing has touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const CACHE_DIR = process.env.KEEL_DEBROOT_CACHE ?? "/var/cache/keel-test";
const WEEK_MS = 7 * 24 * 3600 * 1000;

function sh(cmd: string[], what: string): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`${what}: ${cmd.join(" ")} → exit ${r.exitCode}\n${r.stdout.toString()}${r.stderr.toString()}`);
  }
}

/** This machine's release codename and the Debian mirror its apt reads. */
export function debianSource(): { suite: string; mirror: string } {
  const osRelease = readFileSync("/etc/os-release", "utf8");
  const suite = osRelease.match(/^VERSION_CODENAME=(\w+)/m)?.[1];
  if (!suite) throw new Error("/etc/os-release names no VERSION_CODENAME: not a Debian release debootstrap knows");
  const texts = [
    "/etc/apt/sources.list",
    ...listDir("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`),
  ]
    .filter((f) => existsSync(f) && statSync(f).isFile())
    .map((f) => readFileSync(f, "utf8"));
  // deb822 "URIs: http://…/debian" or one-line "deb [opts] http://…/debian bookworm main";
  // …/debian-security is not the archive
  const mirror = texts
    .join("\n")
    .split("\n")
    .filter((l) => /^(URIs:|deb\s)/.test(l.trim()))
    .map((l) => l.match(/(https?:\/\/\S+\/debian)\/?(?:\s|$)/)?.[1])
    .find((u) => u !== undefined);
  return { suite, mirror: mirror ?? "http://deb.debian.org/debian" };
}

function listDir(d: string): string[] {
  return existsSync(d) ? readdirSync(d) : [];
}

/** The cached minbase tarball, made with debootstrap when missing or older than a week. */
export function minbaseTarball(): string {
  const { suite, mirror } = debianSource();
  const tar = join(CACHE_DIR, `${suite}-minbase.tar`);
  if (existsSync(tar) && Date.now() - statSync(tar).mtimeMs < WEEK_MS) return tar;
  if (!Bun.which("debootstrap")) throw new Error("debootstrap is missing (Debian package debootstrap)");
  mkdirSync(CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(CACHE_DIR, "debootstrap-"));
  try {
    sh(["debootstrap", "--variant=minbase", suite, join(work, "root"), mirror], `debootstrap ${suite} from ${mirror}`);
    sh(["tar", "-C", join(work, "root"), "-cf", join(work, "root.tar"), "."], "tar of the new root");
    sh(["mv", join(work, "root.tar"), tar], "keep the tarball");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tar;
}

/** A fresh root under /tmp, unpacked from the minbase tarball. */
export function freshRoot(): string {
  const tar = minbaseTarball();
  const root = mkdtempSync("/tmp/keel-debroot-");
  sh(["tar", "-C", root, "-xf", tar], "unpack the minbase root");
  return root;
}

/** Removes a root made by freshRoot, refusing while anything is mounted inside it. */
export function removeRoot(root: string): void {
  if (!root.startsWith("/tmp/keel-debroot-")) throw new Error(`not a test root: ${root}`);
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((m) => m === root || m.startsWith(`${root}/`));
  if (mounts.length > 0) throw new Error(`still mounted in ${root}: ${mounts.join(", ")}; not removing it`);
  rmSync(root, { recursive: true, force: true });
}

/**
 * Every path under `root` with its type and mode, except what dpkg itself keeps about
 * what it did (its database, logs, debconf's cache): after a purge the rest must be as
 * before the install.
 */
export function snapshot(root: string): string[] {
  const r = Bun.spawnSync(["find", root, "-xdev", "-printf", "%P %y %m\n"], { stdout: "pipe" });
  return r.stdout
    .toString()
    .split("\n")
    .filter((l) => l !== "" && !/^(var\/lib\/dpkg|var\/log|var\/cache\/debconf|tmp)(\/| )/.test(l))
    .sort();
}
