/**
 * The release artifacts as published: both packages lintian-clean (the overrides in
 * packaging/debian/lintian-overrides carry their reasons), each package's contents and
 * binary of its own architecture, SHA256SUMS that `sha256sum -c` accepts, and SBOMs that
 * list the Bun runtime with the registry's hash and exactly the npm packages keel's code
 * imports (derived here from the sources, not from the bundle the SBOM was made from).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json";
import { DEB, DIST, ROOT, ensureRelease, run } from "./release";

beforeAll(() => ensureRelease(), 600_000);

test("lintian has nothing to say about either package (pedantic, info tags too)", async () => {
  // both in one run: lintian's start (its profile, data and checks loaded) is paid once;
  // measured on this machine 90 s for both against 56 s for one. A tag names its package.
  const r = await run([
    "lintian",
    "--pedantic",
    "--display-info",
    "--tag-display-limit",
    "0",
    DEB("amd64"),
    DEB("arm64"),
  ]);
  const tags = r.stdout.split("\n").filter((l) => /^[EWIPX]: /.test(l));
  expect(tags).toEqual([]);
  expect(r.code).toBe(0);
}, 600_000);

describe.each(["amd64", "arm64"] as const)("keel_%s.deb", (arch) => {
  test("control, conffiles and the binary of its architecture", async () => {
    const info = await run(["dpkg-deb", "--field", DEB(arch)]);
    expect(info.stdout).toContain(`Architecture: ${arch}\n`);
    expect(info.stdout).toContain(`Version: ${pkg.version}\n`);
    expect(info.stdout).toMatch(/^Depends: libc6 \(>= 2\.\d+\)$/m);
    const conffiles = await run(["sh", "-c", `dpkg-deb --ctrl-tarfile ${DEB(arch)} | tar -xOf - ./conffiles`]);
    expect(conffiles.stdout).toBe("/etc/keel/keel.conf\n");
    const elf = await run([
      "sh",
      "-c",
      `dpkg-deb --fsys-tarfile ${DEB(arch)} | tar -xOf - ./usr/sbin/keel | head -c 64 | od -An -tx1 -j18 -N2`,
    ]);
    // e_machine: 0x3e EM_X86_64, 0xb7 EM_AARCH64
    expect(elf.stdout.trim()).toBe(arch === "amd64" ? "3e 00" : "b7 00");
  }, 120_000);
});

test("SHA256SUMS covers both binaries, both packages and both SBOMs, and sha256sum -c agrees", async () => {
  const sums = readFileSync(join(DIST, "SHA256SUMS"), "utf8");
  const names = sums
    .trim()
    .split("\n")
    .map((l) => l.split("  ")[1]);
  expect(names.sort()).toEqual(
    [
      "keel",
      "keel-linux-arm64",
      `keel_${pkg.version}_amd64.deb`,
      `keel_${pkg.version}_arm64.deb`,
      "keel-linux-x64.cdx.json",
      "keel-linux-arm64.cdx.json",
    ].sort(),
  );
  const r = await run(["sha256sum", "--strict", "-c", "SHA256SUMS"], { cwd: DIST });
  expect(r.code).toBe(0);
}, 120_000);

/** The npm packages the code imports, by reading the imports of src/, tui/, native-bindings/. */
function importedDependencies(): string[] {
  const deps = Object.keys(pkg.dependencies);
  const used = new Set<string>();
  for (const dir of ["src", "tui", "native-bindings"]) {
    for (const f of new Bun.Glob("**/*.{ts,tsx}").scanSync(join(ROOT, dir))) {
      const text = readFileSync(join(ROOT, dir, f), "utf8");
      for (const d of deps) if (new RegExp(`(from |import\\()"${d}(/[^"]*)?"`).test(text)) used.add(d);
    }
  }
  return [...used].sort();
}

describe.each(["x64", "arm64"] as const)("keel-linux-%s.cdx.json", (arch) => {
  test("CycloneDX: the Bun runtime with the lockfile's SHA-512, and exactly the dependencies keel imports", () => {
    const bom = JSON.parse(readFileSync(join(DIST, `keel-linux-${arch}.cdx.json`), "utf8")) as {
      bomFormat: string;
      metadata: { component: { name: string; version: string } };
      components: { name: string; version: string; hashes?: { alg: string; content: string }[] }[];
      dependencies: { ref: string; dependsOn: string[] }[];
    };
    expect(bom.bomFormat).toBe("CycloneDX");
    expect(bom.metadata.component.name).toBe("keel");
    expect(bom.metadata.component.version).toBe(pkg.version);
    const runtimeName = `@oven/bun-linux-${arch === "x64" ? "x64" : "aarch64"}`;
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string; integrity: string }>;
    };
    const locked = lock.packages[`node_modules/${runtimeName}`]!;
    const runtime = bom.components.find((c) => c.name === runtimeName);
    expect(runtime?.version).toBe(Bun.version);
    expect(runtime?.hashes?.[0]?.content).toBe(
      Buffer.from(locked.integrity.replace("sha512-", ""), "base64").toString("hex"),
    );
    const direct = bom.dependencies.find((d) => d.ref === `keel@${pkg.version}`)?.dependsOn ?? [];
    expect(direct.map((r) => r.slice(0, r.lastIndexOf("@"))).sort()).toEqual(
      [...importedDependencies(), runtimeName].sort(),
    );
  });
});

test("bash completion (from the package) completes subcommands, options and their values; zsh's parses", async () => {
  const bash = `${DIST}/.completion-test.bash`;
  const extract = (member: string, out: string) =>
    run(["sh", "-c", `dpkg-deb --fsys-tarfile ${DEB("amd64")} | tar -xOf - ${member} > ${out}`]);
  expect((await extract("./usr/share/bash-completion/completions/keel", bash)).code).toBe(0);
  // what bash does on <Tab>: COMP_WORDS/COMP_CWORD set, the completion function called
  const script = `source /usr/share/bash-completion/bash_completion; source ${bash}
compopt() { :; }   # only valid inside a real completion
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=(); _keel; echo "$*|\${COMPREPLY[*]}"; }
c keel st; c keel --use; c keel --format ""; c keel status --j; c keel --signum J`;
  const r = await run(["bash", "-c", script]);
  expect(r.stderr).toBe("");
  expect(r.stdout.split("\n")).toEqual([
    "keel st|status",
    "keel --use|--use-file=",
    "keel --format |conf toml",
    "keel status --j|--json",
    "keel --signum J|JSON",
    "",
  ]);
  const zsh = `${DIST}/.completion-test.zsh`;
  expect((await extract("./usr/share/zsh/vendor-completions/_keel", zsh)).code).toBe(0);
  const z = await run(["zsh", "-n", zsh]);
  rmSync(bash);
  rmSync(zsh);
  expect(z.stderr).toBe("");
  expect(z.code).toBe(0);
}, 120_000);
