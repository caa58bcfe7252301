/**
 * Bench (root): hunt the 200-instance pair that flaps for good (bench/RESULTS.md, hback's
 * "Noticed, not fixed"). Runs the steady lab of bench/lib/steady-lab.ts --runs times for
 * --seconds each, with the kernel's tracer on both daemons' SIGURG (the kernel timers,
 * native-bindings/kernel-timer.ts) and SIGIO (readiness.ts) and the master's
 * KEEL_TRACE_MARKER lines ("keel signal" / "keel fire"). When the backup enters MASTER
 * after both were ready, it keeps the evidence that tells a master that stopped sending
 * from a backup that stopped reading: the master's adverts on the wire per second (tcpdump
 * in h1), both daemons' pending and blocked signals and POSIX timers (/proc), and the
 * trace around the last "keel fire" of the master, under --out.
 *
 *   node_modules/.bin/bun bench/runtime/stuck-hunt.ts --bin dist/keel [--runs K]
 *       [--seconds S] [--instances N] [--out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Lab, sh } from "../../test/netns/harness";
import { loadAvg, startSteady } from "../lib/steady-lab";
import { Tracer, unmountIfIdle } from "./trace-lib";

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : d;
};
const BIN = arg("bin", "dist/keel");
const RUNS = Number(arg("runs", "10"));
const SECONDS = Number(arg("seconds", "150"));
const N = Number(arg("instances", "200"));
const OUT = arg("out", "/tmp/hstuck");
mkdirSync(OUT, { recursive: true });

const status = (pid: number) =>
  readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .filter((l) => /^(Sig|Shd)/.test(l))
    .join(" ");

let flapped = 0;
for (let run = 1; run <= RUNS; run++) {
  const tr = new Tracer(`hstuck-${process.pid}`);
  const lab = Lab.create(["h1", "h2"]);
  try {
    // SIGURG (23) and SIGIO (29) of every process (comm is the binary's name, which
    // --bin may change); the ring keeps the latest
    tr.event("signal/signal_generate", "sig == 23 || sig == 29");
    tr.event("signal/signal_deliver", "sig == 23 || sig == 29");
    tr.on(true);
    const { master, backup } = await startSteady(lab, N, (host, text) =>
      lab.keel(host, text, [], { binary: BIN, env: { KEEL_TRACE_MARKER: `${tr.dir}/trace_marker` } }),
    );
    const from = backup.lines.length;
    const t0 = performance.now();
    let at = -1;
    while (performance.now() - t0 < SECONDS * 1000) {
      await Bun.sleep(500);
      if (backup.lines.slice(from).some((l) => /Entering MASTER STATE/.test(l.text))) {
        at = (performance.now() - t0) / 1000;
        break;
      }
    }
    if (at < 0) {
      console.log(`run ${run}: steady for ${SECONDS} s (load ${loadAvg()})`);
    } else {
      flapped++;
      await Bun.sleep(1500);
      tr.on(false);
      const dir = `${OUT}/run${run}-${process.pid}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/trace`, tr.read());
      writeFileSync(
        `${dir}/proc`,
        [master, backup]
          .map((p) => {
            let timers = "";
            try {
              timers = readFileSync(`/proc/${p.pid}/timers`, "utf8");
            } catch {}
            return `${p.host} pid ${p.pid}: ${status(p.pid)}\n${timers}`;
          })
          .join("\n"),
      );
      // the master's adverts on the wire, 5 s
      const cap = sh(
        ["ip", "netns", "exec", lab.ns("h1"), "timeout", "5", "tcpdump", "-n", "-tt", "-i", "eth0", "ip proto 112"],
        { allowFail: true },
      );
      writeFileSync(`${dir}/tcpdump`, cap);
      const lines = cap.split("\n").filter(Boolean);
      const fromMaster = lines.filter((l) => l.includes("10.99.0.11 >")).length;
      const fromBackup = lines.filter((l) => l.includes("10.99.0.12 >")).length;
      writeFileSync(
        `${dir}/logs`,
        [master, backup]
          .map((p) => `== ${p.host} ${p.pid}\n${p.lines.map((l) => `${l.t.toFixed(1)} ${l.text}`).join("\n")}`)
          .join("\n"),
      );
      console.log(
        `run ${run}: backup entered MASTER ${at.toFixed(1)} s after ready; in 5 s on h1's wire: master ${fromMaster} adverts, backup ${fromBackup} (load ${loadAvg()}); evidence in ${dir}`,
      );
    }
    for (const p of [master, backup]) p.kill("SIGTERM");
    await Promise.race([Promise.all([master.exited, backup.exited]), Bun.sleep(20_000)]);
  } finally {
    lab.destroy();
    tr.destroy();
    unmountIfIdle();
  }
}
console.log(`${flapped} of ${RUNS} runs flapped`);
