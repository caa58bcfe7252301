/**
 * Bench (root): what a daemon's start costs up to its first state, in the units load does
 * not move (issue 20): page faults (minflt of /proc/PID/stat) and CPU of every thread
 * (/proc/PID/task/*\/schedstat run time), read when the daemon logs "(VI_1) Entering
 * MASTER STATE" (an address owner: priority 255, advertising at once, RFC 5798 6.4.1).
 * Two or more binaries run alternately (A B A B …) in fresh namespaces, so a change in
 * the machine's load falls on both.
 *
 *   node_modules/.bin/bun bench/runtime/start-cost.ts [--rounds N] BIN [BIN …]
 *
 * The figures are read a little after the line (the parent reads a pipe): the daemon keeps
 * running meanwhile, the same for every binary. The wall clock from spawn to the line is
 * printed last, with the load average beside it: at a load of 10 on 2 cores it measures
 * the scheduler, on a quiet machine it is the start a user sees.
 */
import { readFileSync, readdirSync } from "node:fs";
import { Lab, Proc, instance } from "../../test/netns/harness";

const args = process.argv.slice(2);
const ri = args.indexOf("--rounds");
const ROUNDS = ri >= 0 ? Number(args.splice(ri, 2)[1]) : 12;
const BINS = args;
if (BINS.length === 0 || !(ROUNDS >= 1)) throw new Error("usage: start-cost.ts [--rounds N] BIN [BIN …]");

const CONF = `global_defs {\n  router_id bench\n}\n${instance({ priority: 255, state: "MASTER", version: 3 })}`;

/** [minflt, CPU ms of all threads] of `pid` now */
function cost(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const minflt = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return [minflt, ns / 1e6];
}

async function once(bin: string): Promise<[number, number, number]> {
  const lab = Lab.create(["h1"]);
  try {
    const tmp = lab.tmpdir("h1");
    const t0 = performance.now();
    const proc = Bun.spawn(
      [
        "ip",
        "netns",
        "exec",
        lab.ns("h1"),
        bin,
        "-n",
        "-l",
        "-D",
        "-G",
        "-f",
        lab.file("h1.conf", CONF),
        "-p",
        `${tmp}/k.pid`,
        "-r",
        `${tmp}/kv.pid`,
        "-c",
        `${tmp}/kc.pid`,
        "-b",
        `${tmp}/kb.pid`,
        "--control-socket",
        `${tmp}/k.sock`,
      ],
      { env: { ...process.env, TMPDIR: tmp }, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const p = new Proc("h1", proc);
    lab.procs.push(p);
    await p.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const wall = performance.now() - t0;
    return [...cost(proc.pid), wall]; // `ip netns exec` execs the binary: the same pid
  } finally {
    lab.destroy();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const got = BINS.map((bin) => ({ bin, faults: [] as number[], cpu: [] as number[], wall: [] as number[] }));
for (let r = 0; r < ROUNDS; r++)
  for (const g of got) {
    const [f, c, w] = await once(g.bin);
    g.faults.push(f);
    g.cpu.push(c);
    g.wall.push(w);
  }
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`exec → "(VI_1) Entering MASTER STATE", ${ROUNDS} alternate starts each, load average ${load}`);
for (const g of got)
  console.log(
    `${g.bin}: page faults median ${median(g.faults)} (min ${Math.min(...g.faults)}), ` +
      `CPU median ${median(g.cpu).toFixed(1)} ms (min ${Math.min(...g.cpu).toFixed(1)}), ` +
      `wall median ${median(g.wall).toFixed(1)} ms (min ${Math.min(...g.wall).toFixed(1)})`,
  );
