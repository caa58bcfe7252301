/**
 * What `keel --version` says about the build. build.ts compiles the version, the commit
 * and the target architecture in (Bun.build `define`), so printing them reads no file and
 * runs no git; run from source (`bun src/main.ts`) the commit and architecture are
 * undefined and say so, and the version comes from package.json. The Bun version is the
 * runtime's own (Bun.version), the one inside the binary.
 *
 * Not `import pkg from "../package.json"`: in the split bundle that is a chunk of its own
 * which `--version` evaluated (the whole package.json as an object): 20 page faults of a
 * 740 in Bun 1.4.5, 8 in 1.3.14 (bench/RESULTS.md "Start-up and memory: the floor", issue 20).
 */
declare const KEEL_BUILD_VERSION: string | undefined;
declare const KEEL_BUILD_COMMIT: string | undefined;
declare const KEEL_BUILD_ARCH: string | undefined;

/** package.json's version: compiled in, or read when run from source */
export const buildVersion: string =
  typeof KEEL_BUILD_VERSION === "string"
    ? KEEL_BUILD_VERSION
    : (require("../package.json") as { version: string }).version;

export const buildCommit: string = typeof KEEL_BUILD_COMMIT === "string" ? KEEL_BUILD_COMMIT : "none (run from source)";
export const buildArch: string =
  typeof KEEL_BUILD_ARCH === "string" ? KEEL_BUILD_ARCH : `${process.platform}-${process.arch}`;

/** The lines after keepalived's first line of `-v`. */
export function buildLines(): string {
  return `commit: ${buildCommit}\nbun: ${Bun.version}\narch: ${buildArch}\n`;
}

/** `keel --version`: the first line as keepalived's -v has it, then the build. */
export function versionText(): string {
  return `Keel v${buildVersion} (keepalived.conf compatible with Keepalived 2.2.x)\n${buildLines()}`;
}
