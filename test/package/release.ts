/**
 * What the package layer's tests share: the release artifacts in dist/ (test/run.ts runs
 * `bun packaging/release.ts` before the layer; a test run alone builds them once) and the
 * way to run the arm64 binary on this x64 machine: Debian's qemu-user-static, with the
 * arm64 glibc of libc6-arm64-cross as the loader's root (QEMU_LD_PREFIX).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json";

export const ROOT = join(import.meta.dir, "../..");
export const DIST = join(ROOT, "dist");
export const KEEL_X64 = join(DIST, "keel");
export const KEEL_ARM64 = join(DIST, "keel-linux-arm64");
export const DEB = (arch: "amd64" | "arm64") => join(DIST, `keel_${pkg.version}_${arch}.deb`);
export const VERSION = pkg.version;

const ARM64_LD_PREFIX = "/usr/aarch64-linux-gnu";

/** argv that runs the arm64 keel with `args` under emulation. */
export function arm64(args: string[]): string[] {
  return ["qemu-aarch64-static", KEEL_ARM64, ...args];
}
/** the environment qemu needs to find the arm64 loader and libc */
export const ARM64_ENV = { ...process.env, QEMU_LD_PREFIX: ARM64_LD_PREFIX };

/**
 * Builds the release once (both binaries, both packages, SBOMs, SHA256SUMS) unless the
 * SHA256SUMS in dist/ is newer than every source file; throws with the reason when the
 * tools it needs are missing: the layer fails, it never skips.
 */
let built = false;
export function ensureRelease(): void {
  if (built) return;
  for (const tool of ["qemu-aarch64-static", "dpkg-deb", "readelf", "npm"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} is missing (test/run.ts's package layer installs it)`);
  }
  if (!existsSync(join(ARM64_LD_PREFIX, "lib/ld-linux-aarch64.so.1"))) {
    throw new Error(`${ARM64_LD_PREFIX}/lib/ld-linux-aarch64.so.1 is missing (Debian package libc6-arm64-cross)`);
  }
  const sums = join(DIST, "SHA256SUMS");
  const fresh =
    existsSync(sums) &&
    readFileSync(sums, "utf8").includes(`keel_${pkg.version}_arm64.deb`) &&
    Bun.spawnSync(
      [
        "sh",
        "-c",
        `test -z "$(find src native-bindings tui packaging build.ts package.json package-lock.json -newer dist/SHA256SUMS -print -quit)"`,
      ],
      { cwd: ROOT },
    ).exitCode === 0;
  if (!fresh) {
    const r = Bun.spawnSync([process.execPath, "packaging/release.ts"], {
      cwd: ROOT,
      stdout: "inherit",
      stderr: "inherit",
    });
    if (r.exitCode !== 0) throw new Error(`bun packaging/release.ts failed (exit ${r.exitCode})`);
  }
  built = true;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the event loop (several run at once). */
export async function run(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  const p = Bun.spawn(cmd, { cwd: opts.cwd ?? ROOT, env: opts.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}

/** Runs `jobs` with at most `limit` at once, results in order. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  return out;
}
