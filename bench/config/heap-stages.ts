/**
 * Bench: where `keel -t`'s memory goes on N unused vrrp_script blocks
 * (bench/config/big-config.ts), measured in-process: RSS and the JSC heap after each
 * stage of the -t path (parse, script audit, report), and the live objects per block by
 * type after a full collection. test-big.ts measures the compiled binary's peak; this
 * says which stage and which objects make it.
 *
 *   bun bench/config/heap-stages.ts [N=100000] [--objects]
 *
 * As keel -t, the vrrp_scripts are kept packed (src/config/packed-scripts.ts); `--objects`
 * keeps them as plain objects, as the daemon does, for the comparison.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heapStats } from "bun:jsc";
import { renderDiagnostics } from "../../src/config/diagnostics";
import { loadConfig } from "../../src/config/load";
import { addHostWarnings } from "../../src/lint";
import { scriptDiagnostics } from "../../src/runtime/script-security";
import { writeBigConfig } from "./big-config";

const n = Number(process.argv.slice(2).find((a) => !a.startsWith("--")) ?? 100_000);
const packScripts = !process.argv.includes("--objects");
const dir = mkdtempSync(join(tmpdir(), "keel-heap-"));
const file = join(dir, "big.conf");
try {
  writeBigConfig(file, n, "lo");
  const mb = (x: number) => (x / 1048576).toFixed(1);
  const row = (stage: string) => {
    const rss = process.memoryUsage().rss;
    const peak = process.resourceUsage().maxRSS * 1024;
    const h = heapStats();
    console.log(
      `${stage.padEnd(16)} rss ${mb(rss).padStart(7)} MB  peak ${mb(peak).padStart(7)} MB  heap ${mb(h.heapSize).padStart(6)} MB  capacity ${mb(h.heapCapacity).padStart(6)} MB  extra ${mb(h.extraMemorySize).padStart(6)} MB`,
    );
  };
  Bun.gc(true);
  row("start");
  const result = loadConfig(file, { packScripts });
  row("parsed");
  addHostWarnings(file, result.config, result.origins, result.diagnostics);
  row("linted");
  const violation = scriptDiagnostics(result.config, result.origins, result.diagnostics, { file, line: 1, col: 1 });
  row("audited");
  const report = renderDiagnostics(result.diagnostics).join("\n");
  row("reported");
  Bun.gc(true);
  row("after full gc");
  const h = heapStats();
  const per = (x: number) => (x / n).toFixed(1);
  console.log(
    `\nlive heap per block: ${per(h.heapSize)} B (${report.length > 0 ? "report made" : ""}${violation ? ", violation" : ""})`,
  );
  const counts = Object.entries(h.objectTypeCounts)
    .filter(([, c]) => c >= n / 2)
    .sort((a, b) => b[1] - a[1]);
  for (const [type, c] of counts) console.log(`  ${type.padEnd(24)} ${per(c)} per block`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
