// A Bun runtime for another architecture, from the npm registry through npm itself.
//
// A compiled keel is our bundle appended to a Bun runtime. For linux-arm64 that runtime is
// the `bin/bun` of `@oven/bun-linux-aarch64`, the package the pinned `bun` devDependency
// lists as an optional dependency. npm never installs it on x64 (its `cpu` is arm64), but
// package-lock.json still pins it, with the registry's integrity hash. So: `npm pack` the
// exact locked version (npm fetches through its own cache and checks the registry's
// integrity; with --prefer-offline a second build needs no network), check the tarball's
// sha512 against the lockfile ourselves, and unpack bin/bun. Nothing is downloaded from
// anywhere but the registry npm is configured with, and nothing unpinned is accepted.

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export type Arch = "x64" | "arm64";
/** Bun's own name for the CPU in its package names (bun-linux-aarch64, bun-linux-x64). */
export const bunArchName: Record<Arch, string> = { x64: "x64", arm64: "aarch64" };

export interface LockedPackage {
  name: string;
  version: string;
  integrity: string;
}

/** The lockfile's entry for the Bun runtime package of `arch`, or an error message. */
export function lockedRuntime(root: string, arch: Arch): LockedPackage | string {
  const name = `@oven/bun-linux-${bunArchName[arch]}`;
  const lockPath = join(root, "package-lock.json");
  const lock = JSON.parse(readFileSync(lockPath, "utf8")) as {
    packages?: Record<string, { version?: string; integrity?: string }>;
  };
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity) return `package-lock.json has no pinned ${name} (version and integrity)`;
  if (entry.version !== Bun.version) {
    return `package-lock.json pins ${name}@${entry.version}, but the build runs Bun ${Bun.version}: run npm ci`;
  }
  return { name, version: entry.version, integrity: entry.integrity };
}

/** "sha512-<base64>" of the bytes, as npm writes integrity. */
export function sriSha512(bytes: Uint8Array): string {
  return `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`;
}

/**
 * The path of the registry's Bun runtime for `arch`, unpacked under `cacheDir` (fetched
 * with `npm pack` when not there yet). Throws with the reason when it cannot.
 */
export function registryRuntime(root: string, arch: Arch, cacheDir: string): string {
  const locked = lockedRuntime(root, arch);
  if (typeof locked === "string") throw new Error(locked);
  const dir = join(cacheDir, `${locked.name.replace("/", "+")}@${locked.version}`);
  const bin = join(dir, "bun");
  const stamp = join(dir, "integrity");
  // the stamp is written last: a half-unpacked runtime is never taken
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8") === locked.integrity) return bin;

  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, ".fetch-"));
  try {
    const spec = `${locked.name}@${locked.version}`;
    const pack = Bun.spawnSync(["npm", "pack", spec, "--json", "--prefer-offline", "--pack-destination", tmp], {
      stdout: "pipe",
      stderr: "pipe",
    });
    if (pack.exitCode !== 0) throw new Error(`npm pack ${spec} failed:\n${pack.stderr.toString()}`);
    const [info] = JSON.parse(pack.stdout.toString()) as { filename: string }[];
    if (!info) throw new Error(`npm pack ${spec} printed no file name`);
    const tgz = join(tmp, info.filename);
    const got = sriSha512(readFileSync(tgz));
    if (got !== locked.integrity) {
      throw new Error(`${spec}: the tarball's integrity ${got} is not the lockfile's ${locked.integrity}`);
    }
    const untar = Bun.spawnSync(["tar", "-xzf", tgz, "-C", tmp, "package/bin/bun"], { stderr: "pipe" });
    if (untar.exitCode !== 0) throw new Error(`cannot unpack ${tgz}: ${untar.stderr.toString()}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    renameSync(join(tmp, "package/bin/bun"), bin);
    chmodSync(bin, 0o755);
    writeFileSync(stamp, locked.integrity);
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
