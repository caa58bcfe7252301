// `npm run package`: everything a release publishes, in dist/, offline once npm's cache
// holds the arm64 runtime (packaging/bun-runtime.ts):
//
//   keel, keel-linux-arm64                    the binaries (build.ts --arm64)
//   keel_VERSION_amd64.deb, _arm64.deb        the Debian packages (packaging/deb.ts)
//   keel-linux-x64.cdx.json, -arm64.cdx.json  CycloneDX SBOMs of what each binary holds
//   SHA256SUMS                                of all of the above (`sha256sum -c SHA256SUMS`)
//
// An SBOM starts from `npm sbom` (CycloneDX, runtime dependencies, from the lockfile), keeps
// only the packages the bundler put into the binary (build.ts lists them from the
// sourcemaps: a dependency nothing imports any more is not inside), and adds the Bun
// runtime the binary is built on, with the registry's SHA-512.

import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../package.json";
import { type Arch, lockedRuntime } from "./bun-runtime";
import { buildDeb, sourceDateEpoch } from "./deb";

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");

interface Component {
  "bom-ref": string;
  name: string;
  version: string;
  [k: string]: unknown;
}
interface Bom {
  metadata: { timestamp?: string; component: Record<string, unknown>; [k: string]: unknown };
  components: Component[];
  dependencies: { ref: string; dependsOn?: string[] }[];
  [k: string]: unknown;
}

function run(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.exitCode})`);
  return r.stdout.toString();
}

/** The CycloneDX SBOM of one binary. */
export function sbom(arch: Arch, binary: string): Bom {
  const bom = JSON.parse(
    run(["npm", "sbom", "--sbom-format", "cyclonedx", "--omit", "dev", "--package-lock-only"]),
  ) as Bom;
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
  };
  const bundled = JSON.parse(readFileSync(join(dist, ".bundle", `${basename(binary)}.json`), "utf8")) as string[];
  const inside = new Set(
    bundled.map((key) => {
      const version = lock.packages[key]?.version;
      if (!version) throw new Error(`bundled ${key} is not in package-lock.json`);
      return `${key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)}@${version}`;
    }),
  );
  const missing = [...inside].filter((ref) => !bom.components.some((c) => c["bom-ref"] === ref));
  if (missing.length > 0) throw new Error(`npm sbom does not list bundled ${missing.join(", ")}`);

  const runtime = lockedRuntime(root, arch);
  if (typeof runtime === "string") throw new Error(runtime);
  const runtimeRef = `${runtime.name}@${runtime.version}`;
  const sha512 = Buffer.from(runtime.integrity.replace(/^sha512-/, ""), "base64").toString("hex");
  const self = `keel@${pkg.version}`;
  bom.metadata.timestamp = new Date(sourceDateEpoch() * 1000).toISOString();
  bom.metadata.component = {
    ...bom.metadata.component,
    type: "application",
    name: "keel",
    description: `${pkg.description} (linux-${arch})`,
  };
  bom.components = [
    {
      "bom-ref": runtimeRef,
      type: "framework",
      name: runtime.name,
      version: runtime.version,
      description: "the Bun runtime the keel executable is built on (bun build --compile)",
      scope: "required",
      hashes: [{ alg: "SHA-512", content: sha512 }],
      licenses: [{ license: { id: "MIT" } }],
      purl: `pkg:npm/${runtime.name.replace("@", "%40")}@${runtime.version}`,
    },
    ...bom.components.filter((c) => inside.has(c["bom-ref"])),
  ];
  const keep = new Set([self, ...bom.components.map((c) => c["bom-ref"])]);
  bom.dependencies = bom.dependencies
    .filter((d) => keep.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => keep.has(r)) }));
  const top = bom.dependencies.find((d) => d.ref === self);
  top?.dependsOn?.push(runtimeRef);
  return bom;
}

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

if (import.meta.main) {
  run([process.execPath, "build.ts", "--arm64"]);
  const artifacts = [join(dist, "keel"), join(dist, "keel-linux-arm64")];
  artifacts.push(buildDeb("amd64", join(dist, "keel"), dist));
  artifacts.push(buildDeb("arm64", join(dist, "keel-linux-arm64"), dist));
  for (const [arch, binary] of [
    ["x64", "keel"],
    ["arm64", "keel-linux-arm64"],
  ] as const) {
    const out = join(dist, `keel-linux-${arch}.cdx.json`);
    writeFileSync(out, `${JSON.stringify(sbom(arch, join(dist, binary)), null, 2)}\n`);
    console.log(`wrote dist/${basename(out)}`);
    artifacts.push(out);
  }
  writeFileSync(join(dist, "SHA256SUMS"), artifacts.map((a) => `${sha256(a)}  ${basename(a)}\n`).join(""));
  console.log(`wrote dist/SHA256SUMS (${artifacts.length} files)`);
}
