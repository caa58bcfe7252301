// Builds keel into one self-contained executable with `bun build --compile`.
//
//   bun build.ts            → dist/keel              (linux-x64)
//   bun build.ts --arm64    → also dist/keel-linux-arm64
//
// The build never downloads anything unless asked: a compiled binary is our bundle
// appended to a Bun runtime, and for a foreign architecture Bun would silently fetch
// that runtime from the network. We hand Bun a runtime we already have instead
// (`compile.executablePath`), and fail the arm64 part loudly when there is none.

import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import type { BunPlugin } from "bun";

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

type Arch = "x64" | "arm64";
const bunArchName: Record<Arch, string> = { x64: "x64", arm64: "aarch64" };

// A Bun runtime for `arch` that is already on this machine, or undefined.
function localRuntime(arch: Arch): string | undefined {
  // The pinned bun from node_modules that is running this script.
  if (process.platform === "linux" && process.arch === arch) return process.execPath;
  // Bun's own download cache (filled by an earlier `--allow-download` build).
  const cacheDir =
    process.env.BUN_INSTALL_CACHE_DIR ?? join(process.env.BUN_INSTALL ?? join(homedir(), ".bun"), "install", "cache");
  const cached = join(cacheDir, `bun-linux-${bunArchName[arch]}-v${Bun.version}`);
  return existsSync(cached) ? cached : undefined;
}

async function compile(arch: Arch, outfile: string, allowDownload: boolean): Promise<boolean> {
  const target = arch === "x64" ? "bun-linux-x64" : "bun-linux-arm64";
  const runtime = localRuntime(arch);
  if (!runtime && !allowDownload) {
    console.error(
      `error: ${target}: no local Bun runtime for linux-${arch}. Bun would download ` +
        `bun-linux-${bunArchName[arch]}-v${Bun.version} (~25 MB) from the npm registry, ` +
        "and this build does not download.\n" +
        "  Fetch it once with network access: bun build.ts --arm64 --allow-download\n" +
        "  (it is cached in ~/.bun/install/cache, or $BUN_INSTALL_CACHE_DIR; later builds are offline)",
    );
    return false;
  }
  let result: Awaited<ReturnType<typeof Bun.build>>;
  try {
    result = await Bun.build({
      entrypoints: [entry, ...workerEntries.map((w) => join(root, w))],
      compile: {
        target,
        outfile,
        ...(runtime ? { executablePath: runtime } : {}),
        // keel is a daemon started from anywhere (often /): a stray .env or bunfig.toml
        // in its working directory must not change how it behaves.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
      plugins: [stubReactDevtools],
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
const unknown = args.filter((a) => a !== "--arm64" && a !== "--allow-download");
if (unknown.length > 0) {
  console.error(`usage: bun build.ts [--arm64] [--allow-download]  (unknown: ${unknown.join(" ")})`);
  process.exit(2);
}
if (!existsSync(entry)) {
  console.error(`error: ${relative(root, entry)} does not exist`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });

const allowDownload = args.includes("--allow-download");
// Build x64 first, arm64 second: an arm64 problem must not cost us the x64 binary.
let ok = await compile("x64", join(outdir, "keel"), allowDownload);
if (args.includes("--arm64")) {
  ok = (await compile("arm64", join(outdir, "keel-linux-arm64"), allowDownload)) && ok;
}
process.exit(ok ? 0 : 1);
