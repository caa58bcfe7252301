/**
 * Bench (root): how soon vrrp_track_process counts a killed process, through the kernel's
 * process events (the daemon's normal path) and through the /proc scan each second (keel
 * started inside a network namespace, where the connector refuses). ProcessMonitor runs
 * in this process; the scan case runs this file again under `ip netns exec`.
 *
 *   node_modules/.bin/bun bench/runtime/track-process.ts [--rounds N]
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGlobalDefs } from "../../src/config/global/model";
import type { KeelConfig } from "../../src/config/model";
import { createTrackProcess } from "../../src/config/vrrp/model";
import { createLogger } from "../../src/runtime/log";
import { ProcessMonitor } from "../../src/runtime/process-monitor";

const i = process.argv.indexOf("--rounds");
const rounds = i > 0 ? Number(process.argv[i + 1]) : 20;

if (process.env.KEEL_BENCH_INNER !== "1") {
  await measure();
  const ns = `kbtp${process.pid}`;
  Bun.spawnSync(["ip", "netns", "add", ns]);
  try {
    const r = Bun.spawnSync(
      ["ip", "netns", "exec", ns, process.execPath, import.meta.path, "--rounds", String(rounds)],
      {
        env: { ...process.env, KEEL_BENCH_INNER: "1" },
      },
    );
    process.stdout.write(r.stdout);
  } finally {
    Bun.spawnSync(["ip", "netns", "del", ns]);
  }
} else await measure();

async function measure(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-tp-"));
  const comm = `kbtp${process.pid}`.slice(0, 15);
  const bin = join(dir, comm);
  symlinkSync(Bun.which("sleep")!, bin);
  let waiter: ((up: boolean) => void) | undefined;
  const config = { globalDefs: createGlobalDefs(), vrrpTrackProcesses: {} } as unknown as KeelConfig;
  const m = new ProcessMonitor(
    [{ ...createTrackProcess("tp"), process: comm }],
    config,
    createLogger({ write: () => {} }),
    (_p, up) => waiter?.(up),
  );
  m.start();
  const ms: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const p = Bun.spawn([bin, "600"]);
      await new Promise<void>((resolve) => {
        waiter = (up) => up && resolve();
      });
      // a random point of the scan's second, as a real crash would be
      await Bun.sleep(Math.random() * 1000);
      const t0 = performance.now();
      const down = new Promise<void>((resolve) => {
        waiter = (up) => !up && resolve();
      });
      p.kill("SIGKILL");
      await down;
      ms.push(performance.now() - t0);
    }
  } finally {
    m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  ms.sort((a, b) => a - b);
  const q = (f: number) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))]!.toFixed(1);
  console.log(
    `${m.mode.padEnd(6)} kill → quorum lost: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms (${rounds} rounds)`,
  );
}
