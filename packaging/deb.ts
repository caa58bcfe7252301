// Builds keel's Debian package from a compiled binary with dpkg-deb, offline:
//
//   /usr/sbin/keel                          the binary (dist/keel or dist/keel-linux-arm64)
//   /lib/systemd/system/keel.service        packaging/debian/keel.service (Type=notify)
//   /etc/keel/keel.conf                     a commented sample that configures nothing (conffile)
//   /usr/share/man/man8/keel.8.gz, man5/keel.toml.5.gz   packaging/man.ts
//   bash and zsh completion                 packaging/completions.ts
//   /usr/share/doc/keel/                    copyright, README.Debian (why no genhash), changelog
//   DEBIAN/                                 control, conffiles, md5sums, maintainer scripts
//
// The unit goes to /lib (not /usr/lib): bookworm's dpkg does not know that the two are one
// directory, and Debian's policy for bookworm keeps units in /lib. Everything is owned by
// root (--root-owner-group) and dated at the commit (SOURCE_DATE_EPOCH), so the same commit
// gives the same package.

import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import pkg from "../package.json";
import { bashCompletion, zshCompletion } from "./completions";
import { MAN_PAGES, renderMan } from "./man";

const root = join(import.meta.dir, "..");
const debianDir = join(import.meta.dir, "debian");

export type DebArch = "amd64" | "arm64";
export const MAINTAINER = "keel maintainers <maintainers@users.noreply.h-seed-de075993.example>";

/** gzip as Debian wants it: best compression, no name or time stamp in the header. */
function gzipN(data: string | Uint8Array): Uint8Array {
  const gz = gzipSync(typeof data === "string" ? Buffer.from(data) : data, { level: 9 });
  // bytes 4-7 hold the mtime (zlib writes 0) and byte 9 the OS; fix the OS to Unix (3)
  gz[9] = 3;
  return gz;
}

/** The highest GLIBC_x.y symbol version the binary needs (readelf from binutils). */
export function glibcNeeded(binary: string): string {
  const r = Bun.spawnSync(["readelf", "-V", "-W", binary], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`readelf -V ${binary}: ${r.stderr.toString()}`);
  const versions = [...r.stdout.toString().matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  if (versions.length === 0) throw new Error(`${binary} names no GLIBC symbol version`);
  versions.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  const [major, minor] = versions[versions.length - 1]!;
  return `${major}.${minor}`;
}

/** Seconds since the epoch of the HEAD commit (reproducible dates), or now outside git. */
export function sourceDateEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const r = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root, stdout: "pipe", stderr: "ignore" });
  const t = Number(r.stdout.toString().trim());
  return r.exitCode === 0 && t > 0 ? t : Math.floor(Date.now() / 1000);
}

function control(arch: DebArch, glibc: string, installedKiB: number): string {
  return `Package: keel
Version: ${pkg.version}
Architecture: ${arch}
Maintainer: ${MAINTAINER}
Installed-Size: ${installedKiB}
Depends: libc6 (>= ${glibc})
Suggests: ipvsadm
Section: net
Priority: optional
Description: keepalived-compatible VRRP and LVS health-check daemon
 keel runs VRRP (v2 and v3, IPv4 and IPv6) elections for virtual IP addresses
 and health-checks LVS real servers, programming IPVS over netlink. It reads
 keepalived.conf, takes keepalived's options, runs the same notify scripts and
 speaks the same protocol on the wire, so it can replace keepalived host by
 host. It adds a control socket, a terminal UI, Prometheus metrics and a TOML
 form of the configuration.
 .
 keel is one executable (its code compiled with the Bun runtime). This package
 installs beside keepalived: its unit, configuration and pid files have their
 own names, and it ships no genhash command (use "keel genhash").
`;
}

function changelog(date: Date): string {
  // RFC 2822 date, as dpkg-parsechangelog reads it
  const rfc2822 = date.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, "$1, $2 $3 $4 $5 +0000");
  return `keel (${pkg.version}) unstable; urgency=medium

  * Release ${pkg.version}: the keel package (see the project's README for what
    it contains).

 -- ${MAINTAINER}  ${rfc2822}
`;
}

/** Builds dist/keel_VERSION_ARCH.deb from `binary`; returns its path. */
export function buildDeb(arch: DebArch, binary: string, outDir: string): string {
  const epoch = sourceDateEpoch();
  const date = new Date(epoch * 1000);
  const stage = join(outDir, `.deb-${arch}`);
  rmSync(stage, { recursive: true, force: true });
  const files: { path: string; mode: number }[] = [];
  const put = (path: string, data: string | Uint8Array, mode = 0o644) => {
    const full = join(stage, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
    chmodSync(full, mode);
    files.push({ path, mode });
  };
  const debian = (name: string) => readFileSync(join(debianDir, name), "utf8");
  const isoDate = date.toISOString().slice(0, 10);

  mkdirSync(join(stage, "usr/sbin"), { recursive: true });
  copyFileSync(binary, join(stage, "usr/sbin/keel"));
  chmodSync(join(stage, "usr/sbin/keel"), 0o755);
  files.push({ path: "usr/sbin/keel", mode: 0o755 });
  put("lib/systemd/system/keel.service", debian("keel.service"));
  put("etc/keel/keel.conf", debian("keel.conf"));
  for (const m of MAN_PAGES) {
    put(`usr/share/man/man${m.section}/${m.name}.gz`, gzipN(renderMan(m.name, pkg.version, isoDate)));
  }
  put("usr/share/bash-completion/completions/keel", bashCompletion());
  put("usr/share/zsh/vendor-completions/_keel", zshCompletion());
  put("usr/share/doc/keel/copyright", debian("copyright"));
  put("usr/share/doc/keel/README.Debian", debian("README.Debian"));
  put("usr/share/doc/keel/changelog.gz", gzipN(changelog(date)));
  put("usr/share/lintian/overrides/keel", debian("lintian-overrides"));

  // DEBIAN/: md5sums of every file but the conffiles' own list, as dh_md5sums writes it
  const md5 = files
    .filter((f) => !f.path.startsWith("etc/"))
    .map((f) => `${new Bun.CryptoHasher("md5").update(readFileSync(join(stage, f.path))).digest("hex")}  ${f.path}`)
    .sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1));
  const installedKiB = files.reduce((n, f) => n + Math.ceil(statSync(join(stage, f.path)).size / 1024), 0);
  put("DEBIAN/control", control(arch, glibcNeeded(binary), installedKiB));
  put("DEBIAN/conffiles", "/etc/keel/keel.conf\n");
  put("DEBIAN/md5sums", `${md5.join("\n")}\n`);
  for (const script of ["postinst", "prerm", "postrm"]) put(`DEBIAN/${script}`, debian(script), 0o755);

  const out = join(outDir, `keel_${pkg.version}_${arch}.deb`);
  // gzip, not xz: the package is ~100 MB of binary, xz costs a minute per package on a
  // loaded 2-core machine for 10 MB less, and every dpkg reads gzip
  const r = Bun.spawnSync(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z9", "--build", stage, out], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
  rmSync(stage, { recursive: true, force: true });
  if (r.exitCode !== 0) throw new Error(`dpkg-deb --build failed:\n${r.stderr.toString()}`);
  console.log(`built ${relative(root, out)} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MB)`);
  return out;
}
