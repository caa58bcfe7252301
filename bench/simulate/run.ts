/**
 * Bench: `keel simulate` on 3 hosts × 1 hour of virtual time (issue 18: under 1 s).
 * The hosts run one instance with a vrrp_script at interval 1 (its result fed every
 * virtual second on each host), and the scenario moves the VIP every few minutes (a
 * failing check, a kill and restart, a SIGTERM, a partition and heal, a reload-like
 * priority change). Prints the wall time of the whole command in-process (reading the
 * files, the run, the timeline as text), of the run alone, and of dist/keel as a process
 * when it is built; median of --rounds.
 *
 *   bun bench/simulate/run.ts [--rounds 5] [--hours 1]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli";
import { runScenario } from "../../src/simulate/run";
import { parseScenario } from "../../src/simulate/scenario";
import { configFromText } from "../../src/simulate/segment";

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const rounds = flag("rounds", 5);
const hours = flag("hours", 1);

const CONF = `vrrp_script chk {
  script "/bin/true"
  interval 1
  fall 2
  rise 2
  weight -60
}
vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 51
@h1  priority 150
@h2  priority 120
@h3  priority 100
  advert_int 1
  track_script {
    chk
  }
  virtual_ipaddress {
    10.0.0.100/24
  }
}
`;

// every 10 minutes of virtual time, the same five moves
const events: string[] = [];
for (let m = 0; m < hours * 60; m += 10) {
  events.push(
    `${m}m30s script h1 chk fail`,
    `${m + 1}m script h1 chk ok`,
    `${m + 2}m kill h1`,
    `${m + 3}m restart h1`,
    `${m + 4}m stop h2`,
    `${m + 5}m restart h2`,
    `${m + 6}m partition h1 | h2 h3`,
    `${m + 7}m heal`,
    `${m + 8}m priority h3 VI_1 200`,
    `${m + 9}m priority h3 VI_1 100`,
  );
}
const scenario = [
  'hosts = { h1 = "c.conf", h2 = "c.conf", h3 = "c.conf" }',
  `duration = "${hours}h"`,
  `events = [\n${events.map((e) => `  "${e}",`).join("\n")}\n]`,
  'expect = ["never two masters"]',
].join("\n");

const dir = mkdtempSync(join(tmpdir(), "keel-bench-simulate-"));
try {
  writeFileSync(join(dir, "c.conf"), CONF);
  const scPath = join(dir, "scenario.toml");
  writeFileSync(scPath, scenario);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const cmd: number[] = [];
  let lines = 0;
  for (let i = 0; i < rounds; i++) {
    let out = "";
    const t0 = performance.now();
    const code = await main(["simulate", "--scenario", scPath], { out: (s) => (out += s), err: () => {} });
    cmd.push(performance.now() - t0);
    lines = out.split("\n").length;
    if (code > 1) throw new Error(`keel simulate exited ${code}`);
  }

  const sc = parseScenario(scPath, scenario);
  if (!sc.ok) throw new Error(JSON.stringify(sc.errors));
  const hosts = ["h1", "h2", "h3"].map((name) => ({ name, file: "c.conf", config: configFromText(CONF, name) }));
  const run: number[] = [];
  let steps = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = runScenario({
      hosts,
      events: sc.value.events,
      reloads: new Map(),
      expects: sc.value.expects,
      duration: hours * 3_600_000,
      seed: 1,
    });
    run.push(performance.now() - t0);
    steps = r.steps;
  }
  // the compiled binary, as a user runs it (bun build.ts first): start-up included
  const bin = join(import.meta.dir, "../../dist/keel");
  const exe: number[] = [];
  /** CPU time (user + system) of each binary run: on a loaded machine the wall time also counts waiting for a core */
  const exeCpu: number[] = [];
  if (existsSync(bin))
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const p = Bun.spawnSync([bin, "simulate", "--scenario", scPath]);
      exe.push(performance.now() - t0);
      const cpu = p.resourceUsage?.cpuTime;
      if (cpu) exeCpu.push(Number(cpu.user + cpu.system) / 1000);
      if (p.exitCode === null || p.exitCode > 1)
        throw new Error(`dist/keel simulate exited ${p.exitCode}: ${p.stderr}`);
    }
  console.log(`keel simulate: 3 hosts × ${hours} h of virtual time, ${events.length} events, ${rounds} rounds`);
  console.log(
    `  whole command (read files, run, timeline text of ${lines} lines): median ${median(cmd).toFixed(0)} ms (min ${Math.min(...cmd).toFixed(0)}, max ${Math.max(...cmd).toFixed(0)})`,
  );
  console.log(
    `  the run alone (${steps} simulator events): median ${median(run).toFixed(0)} ms (min ${Math.min(...run).toFixed(0)}, max ${Math.max(...run).toFixed(0)})`,
  );
  if (exe.length)
    console.log(
      `  dist/keel simulate, a process each (start-up included): median ${median(exe).toFixed(0)} ms (min ${Math.min(...exe).toFixed(0)}, max ${Math.max(...exe).toFixed(0)}), CPU (user + system) median ${exeCpu.length ? median(exeCpu).toFixed(0) : "?"} ms`,
    );
  else console.log("  (no dist/keel: bun build.ts to time the binary too)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
