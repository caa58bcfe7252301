/**
 * What `keel --version` says about the build. build.ts compiles the commit and the target
 * architecture in (Bun.build `define`), so printing them reads no file and runs no git;
 * run from source (`bun src/main.ts`) they are undefined and say so. The Bun version is
 * the runtime's own (Bun.version), the one inside the binary.
 */
import pkg from "../package.json";

declare const KEEL_BUILD_COMMIT: string | undefined;
declare const KEEL_BUILD_ARCH: string | undefined;

export const buildCommit: string = typeof KEEL_BUILD_COMMIT === "string" ? KEEL_BUILD_COMMIT : "none (run from source)";
export const buildArch: string =
  typeof KEEL_BUILD_ARCH === "string" ? KEEL_BUILD_ARCH : `${process.platform}-${process.arch}`;

/** The lines after keepalived's first line of `-v`. */
export function buildLines(): string {
  return `commit: ${buildCommit}\nbun: ${Bun.version}\narch: ${buildArch}\n`;
}

/** `keel --version`: the first line as keepalived's -v has it, then the build. */
export function versionText(): string {
  return `Keel v${pkg.version} (keepalived.conf compatible with Keepalived 2.2.x)\n${buildLines()}`;
}
