/**
 * Bench: `keel -t` and `keepalived -t` on configurations of N unused vrrp_script blocks
 * (bench/config/big-config.ts), in the same run: peak RSS, CPU and wall time of each
 * process, the ratios, and the bytes per block (the RSS slope between sizes, which is
 * what must stay small: 1.7 M blocks once took keel 8.8 GB against keepalived's 633 MB).
 *
 *   bun build.ts && bun bench/config/test-big.ts [--sizes 50000,100000,200000] [--keel dist/keel]
 *
 * Keep the sizes within what the machine can spare: keel's RSS is printed per size.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeBigConfig } from "./big-config";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sizes = (arg("--sizes") ?? "50000,100000,200000").split(",").map(Number);
const keel = resolve(arg("--keel") ?? join(import.meta.dir, "../../dist/keel"));
const keepalived = Bun.which("keepalived") ?? Bun.which("keepalived", { PATH: "/usr/sbin:/sbin" });
if (!(await Bun.file(keel).exists())) throw new Error(`${keel} not found: run 'bun build.ts' first`);

interface Run {
  rssMB: number;
  cpuS: number;
  wallS: number;
  exit: number;
  stderrLines: number;
}

function run(argv: string[]): Run {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"] });
  const wallS = (performance.now() - t0) / 1000;
  const u = r.resourceUsage;
  const text = r.stderr.toString();
  return {
    rssMB: u.maxRSS / 1024,
    cpuS: Number(u.cpuTime.total) / 1e6,
    wallS,
    exit: r.exitCode ?? -1,
    stderrLines: text === "" ? 0 : text.trimEnd().split("\n").length,
  };
}

// an interface that exists, so keepalived does not stop at the one instance
const iface = readdirSync("/sys/class/net").find((n) => n !== "lo") ?? "lo";
const dir = mkdtempSync(join(tmpdir(), "keel-big-"));
const rows: { n: number; bytes: number; keel: Run; ka?: Run }[] = [];
try {
  for (const n of sizes) {
    const file = join(dir, `big-${n}.conf`);
    const bytes = writeBigConfig(file, n, iface);
    const k = run([keel, "-t", "-f", file]);
    const ka = keepalived ? run([keepalived, "-t", "-f", file]) : undefined;
    rows.push({ n, bytes, keel: k, ka });
    rmSync(file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`keel: ${keel}\nkeepalived: ${keepalived ?? "not installed (apt-get install keepalived)"}\n`);
const head = ["blocks", "file MB", "keel RSS MB", "keel CPU s", "keel wall s", "keel lines"].concat([
  "keepalived RSS MB",
  "keepalived CPU s",
  "keepalived wall s",
  "RSS ratio",
  "CPU ratio",
]);
console.log(`| ${head.join(" | ")} |\n|${" ---: |".repeat(head.length)}`);
for (const r of rows) {
  const k = r.keel;
  const ka = r.ka;
  const cells = [String(r.n), f(r.bytes / 1e6), f(k.rssMB), f(k.cpuS, 2), f(k.wallS, 2), String(k.stderrLines)];
  if (ka) cells.push(f(ka.rssMB), f(ka.cpuS, 2), f(ka.wallS, 2), f(k.rssMB / ka.rssMB, 2), f(k.cpuS / ka.cpuS, 2));
  else cells.push("-", "-", "-", "-", "-");
  console.log(`| ${cells.join(" | ")} |`);
}
// bytes per block: the slope of peak RSS over the block count, between the smallest and
// largest size (the runtime's fixed ~50 MB cancels out)
const [lo, hi] = [rows[0], rows[rows.length - 1]];
if (lo && hi && hi.n > lo.n) {
  const slope = (a: Run, b: Run) => ((b.rssMB - a.rssMB) * 1024 * 1024) / (hi.n - lo.n);
  const ks = slope(lo.keel, hi.keel);
  const kas = lo.ka && hi.ka ? slope(lo.ka, hi.ka) : undefined;
  const kaText = kas !== undefined ? `, keepalived ${f(kas, 0)} B, ratio ${f(ks / kas, 2)}` : "";
  console.log(`\nRSS per block (slope ${lo.n} → ${hi.n}): keel ${f(ks, 0)} B${kaText}`);
  const perBlockCpu = (a: Run, b: Run) => ((b.cpuS - a.cpuS) * 1e6) / (hi.n - lo.n);
  console.log(
    `CPU per block: keel ${f(perBlockCpu(lo.keel, hi.keel), 1)} µs` +
      (lo.ka && hi.ka ? `, keepalived ${f(perBlockCpu(lo.ka, hi.ka), 1)} µs` : ""),
  );
}
for (const r of rows) if (r.keel.exit !== 0) console.log(`note: keel -t exited ${r.keel.exit} on ${r.n} blocks`);
