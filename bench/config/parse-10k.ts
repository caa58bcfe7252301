/**
 * Bench: parse a 10,000-instance configuration generated with ~SEQ (target: < 1 s),
 * and time `keepalived -t` on the same file in the same run when keepalived is
 * installed, printing the ratio keel / keepalived.
 *
 *   bun bench/config/parse-10k.ts [--instances N]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConf } from "../../src/config/parse";

const n = Number(process.argv[process.argv.indexOf("--instances") + 1]) || 10_000;
const perIf = 250;
const ifs = Math.ceil(n / perIf);
const dir = mkdtempSync(join(tmpdir(), "keel-bench-"));
const file = join(dir, "keepalived.conf");
writeFileSync(
  file,
  `global_defs {
    router_id bench
}
$INST= \\
vrrp_instance VI_\${IF}_\${ID} { \\
    state BACKUP \\
    interface eth\${IF} \\
    virtual_router_id \${ID} \\
    priority 100 \\
    advert_int 1 \\
    virtual_ipaddress { \\
        10.\${IF}.\${ID}.1/32 \\
    } \\
}
~SEQ(IF, 0, ${ifs - 1}) ~SEQ(ID, 1, ${perIf}) $INST
`,
);

const host = { interfaceExists: () => true };
parseConf(file, { host, configId: "bench" }); // warm-up (JIT)
const runs: number[] = [];
let instances = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = parseConf(file, { host, configId: "bench" });
  runs.push(performance.now() - t0);
  instances = Object.keys(r.config.vrrpInstances).length;
  if (r.diagnostics.errorCount > 0)
    throw new Error(`bench config has errors: ${JSON.stringify(r.diagnostics.items[0])}`);
}
runs.sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)] as number;
console.log(
  `keel parse: ${instances} instances, median ${median.toFixed(1)} ms (min ${runs[0]?.toFixed(1)}, max ${runs[runs.length - 1]?.toFixed(1)}) target < 1000 ms: ${median < 1000 ? "OK" : "MISSED"}`,
);

const ka = Bun.which("keepalived");
if (ka) {
  const kaRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    Bun.spawnSync([ka, "-t", "-f", file], { stdio: ["ignore", "ignore", "ignore"] });
    kaRuns.push(performance.now() - t0);
  }
  kaRuns.sort((a, b) => a - b);
  const kaMedian = kaRuns[1] as number;
  console.log(
    `keepalived -t: median ${kaMedian.toFixed(1)} ms (whole process); ratio keel/keepalived = ${(median / kaMedian).toFixed(2)}`,
  );
} else console.log("keepalived not installed: no comparison (apt-get install keepalived)");
rmSync(dir, { recursive: true });
