// Builds keel into one self-contained executable with `bun build --compile`.
//
//   bun build.ts            → dist/keel              (linux-x64)
//   bun build.ts --arm64    → also dist/keel-linux-arm64
//
// A compiled binary is our bundle appended to a Bun runtime, and for a foreign
// architecture Bun would silently fetch that runtime itself. We always hand Bun the
// runtime (`compile.executablePath`): for x64 the pinned bun that runs this script, for
// arm64 `@oven/bun-linux-aarch64` at the same version, fetched through npm and checked
// against package-lock.json's integrity (packaging/bun-runtime.ts), cached in dist/.runtime.
//
// `keel --version` names the version, commit, Bun and the architecture: they are compiled in
// (`define`, read by src/build-info.ts), so it reads no file and runs no git.

import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { BunPlugin } from "bun";
import { type Arch, registryRuntime } from "./packaging/bun-runtime";

const root = import.meta.dir;
const entry = join(root, "src/main.ts");
const outdir = join(root, "dist");

// A Worker file must be its own entry point in `bun build --compile`: the bundler does
// not follow `new Worker(path)`, so a worker that is not listed here is missing from
// the executable and `new Worker(...)` fails at run time (not at build time).
// Paths are relative to the repo root, e.g. "native-bindings/poll-worker.ts".
// Inside the binary (Bun 1.3.14, measured) only a plain string relative to the common
// root of all entry points resolves, e.g. new Worker("./native-bindings/poll-worker.ts");
// `new URL(..., import.meta.url)` does not. Under plain `bun` the URL form is the one
// that works from any cwd, so pick by `import.meta.path.startsWith("/$bunfs/")`.
const workerEntries: string[] = [];

// Ink imports "react-devtools-core" (only used when DEV=true). It is not installed, so
// without this stub the compiled binary throws "Cannot find package" at start-up.
const stubReactDevtools: BunPlugin = {
  name: "stub-react-devtools-core",
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: "react-devtools-core",
      namespace: "keel-stub",
    }));
    build.onLoad({ filter: /.*/, namespace: "keel-stub" }, () => ({
      contents: "export default { connectToDevTools() {} };",
      loader: "js",
    }));
  },
};

// The Bun runtime for `arch`: the pinned bun running this script when it is that
// architecture, else the registry's package of the same version. Throws with the reason.
function runtimeFor(arch: Arch): string {
  if (process.platform === "linux" && process.arch === arch) return process.execPath;
  return registryRuntime(root, arch, join(outdir, ".runtime"));
}

// "node_modules/a/node_modules/@b/c" of a bundled file: its package-lock.json key
const NODE_MODULES_PATH = /(node_modules\/(?:@[^/]+\/)?[^/]+(?:\/node_modules\/(?:@[^/]+\/)?[^/]+)*)\//;

// The commit this binary is built from: `git describe`'s hash, "-dirty" when the work
// tree differs from it, "unknown" outside a git checkout (a source tarball).
function commitId(): string {
  const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: root, stdout: "pipe", stderr: "ignore" });
  const r = git("describe", "--always", "--abbrev=12", "--dirty", "--exclude=*");
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
}

async function compile(arch: Arch, outfile: string): Promise<boolean> {
  const target = arch === "x64" ? "bun-linux-x64" : "bun-linux-arm64";
  let runtime: string;
  try {
    runtime = runtimeFor(arch);
  } catch (err) {
    console.error(`error: ${target}: no Bun runtime for linux-${arch}: ${(err as Error).message}`);
    return false;
  }
  let result: Awaited<ReturnType<typeof Bun.build>>;
  try {
    result = await Bun.build({
      entrypoints: [entry, ...workerEntries.map((w) => join(root, w))],
      compile: {
        target,
        outfile,
        executablePath: runtime,
        // keel is a daemon started from anywhere (often /): a stray .env or bunfig.toml
        // in its working directory must not change how it behaves.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
      plugins: [stubReactDevtools],
      // read by src/build-info.ts; `bun src/main.ts` leaves them undefined
      define: {
        KEEL_BUILD_VERSION: JSON.stringify(version),
        KEEL_BUILD_COMMIT: JSON.stringify(commit),
        KEEL_BUILD_ARCH: JSON.stringify(`linux-${arch}`),
      },
      // Start-up (issue 20). One bundle hoists every `import … from "node:…"` of every
      // module to its top, so a `keel --version` loaded node:net, tls (nodemailer),
      // child_process, worker_threads (pino) … before main() ran, although the modules
      // that use them are reached only through `await import()`. With splitting, each
      // lazily imported module is its own chunk and brings its imports when it is loaded,
      // as it does from source. Bytecode (ESM is accepted through the API in Bun 1.3.14)
      // spares JSC the parse of the chunks that are loaded. Measured with hyperfine,
      // `--version`, same run: 155 -> 77 ms (bundle 155, split 85, split+bytecode 77).
      // Minify gained nothing measurable and would blur stack traces: left off.
      splitting: true,
      bytecode: true,
      format: "esm",
      minify: false,
      // Embedded (zstd) in the executable, so stack traces point at src/*.ts lines.
      sourcemap: "linked",
    });
  } catch (err) {
    // Bun.build throws (AggregateError of BuildMessages) when bundling fails.
    console.error(err);
    console.error(`error: ${target}: build failed`);
    return false;
  }
  for (const log of result.logs) console.error(log);
  // The sourcemaps name every file bundled: the npm packages among them are what the
  // release's SBOM lists (packaging/release.ts reads dist/.bundle/<binary>.json).
  const packages = new Set<string>();
  for (const out of result.outputs) {
    if (out.kind !== "sourcemap") continue;
    for (const src of (JSON.parse(await out.text()) as { sources: string[] }).sources) {
      const m = src.match(NODE_MODULES_PATH);
      if (m?.[1]) packages.add(m[1]);
    }
  }
  mkdirSync(join(outdir, ".bundle"), { recursive: true });
  await Bun.write(join(outdir, ".bundle", `${basename(outfile)}.json`), `${JSON.stringify([...packages].sort())}\n`);
  // The sourcemap is already embedded in the executable; Bun also writes *.js.map
  // next to it, which nothing reads. Remove them so dist/ holds only executables.
  for (const out of result.outputs) if (out.kind === "sourcemap") rmSync(out.path, { force: true });
  if (!result.success) {
    console.error(`error: ${target}: build failed`);
    return false;
  }
  const mb = (statSync(outfile).size / 1024 / 1024).toFixed(1);
  console.log(`built ${relative(root, outfile)} (${target}, ${mb} MB)`);
  return true;
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--arm64");
if (unknown.length > 0) {
  console.error(`usage: bun build.ts [--arm64]  (unknown: ${unknown.join(" ")})`);
  process.exit(2);
}
if (!existsSync(entry)) {
  console.error(`error: ${relative(root, entry)} does not exist`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });

const commit = commitId();
// src/build-info.ts: compiled in, so `keel --version` evaluates no package.json chunk
const { version } = (await Bun.file(join(root, "package.json")).json()) as { version: string };
// Build x64 first, arm64 second: an arm64 problem must not cost us the x64 binary.
let ok = await compile("x64", join(outdir, "keel"));
if (args.includes("--arm64")) {
  ok = (await compile("arm64", join(outdir, "keel-linux-arm64"))) && ok;
}
process.exit(ok ? 0 : 1);
