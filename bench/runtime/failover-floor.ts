/**
 * Bench (root): the floor under a failover's wake-up → netlink send (issue 20), what Bun
 * itself cannot go below. A minimal program, compiled as keel is (`bun build --compile`),
 * sleeps seconds on keel's own kernel timer path (native-bindings/kernel-timer.ts: a POSIX
 * timer, SIGURG, the listener), then in the timer's callback sends one RTM_NEWADDR through
 * keel's netlink code (native-bindings/netlink/rtnl.ts addAddresses, one request, its ACK
 * read). No VRRP code, no log line, no advert. It runs in a namespace of its own with a
 * veth interface, traced as bench/runtime/failover-trace.ts traces the daemons:
 *
 *   D  the timer's deadline (hrtimer_start's `expires`), E its expiry
 *   F  the callback (KEEL_TRACE_MARKER's "keel fire" line)
 *   N  the netlink sendto (entry), and its return
 *
 * `--prewake`: armed 2 ms early once, then for the deadline, as keel's driver arms a
 * BACKUP's Master_Down (vrrp-driver.ts PREWAKE_MS): the path has just run when the deadline
 * comes. Each round sleeps `--seconds` first (cold, as a backup between failovers); the
 * medians leave out the first round (the program's first use of each path).
 *
 *   node_modules/.bin/bun bench/runtime/failover-floor.ts [--rounds N] [--seconds S] [--prewake]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh } from "../../test/netns/harness";
import { type Ev, Tracer, field, kallsym, parse, unmountIfIdle } from "./trace-lib";

const argv = process.argv;
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const ROUNDS = Number(opt("rounds") ?? 5);
const SECONDS = Number(opt("seconds") ?? 3.6);
const PREWAKE = argv.includes("--prewake");
const ROOT = join(import.meta.dir, "..", "..");

/** The program: ROUNDS sleeps of SECONDS, each ended by one address add from the timer's callback. */
const PROGRAM = `
import { kernelTimers } from "${ROOT}/native-bindings/kernel-timer";
import { Rtnl, interfaceIndex } from "${ROOT}/native-bindings/netlink/rtnl";
const [ifname = "d0", rounds = "5", seconds = "3.6", prewake = "0"] = process.argv.slice(2);
const rtnl = Rtnl.open();
const ifindex = interfaceIndex(ifname);
const timers = kernelTimers();
let round = 0;
const add = () => {
  const errs = rtnl.addAddresses([{ ifindex, ifname, family: 4, address: \`10.98.\${round}.1\`, prefixLen: 32 }]);
  if (errs[0]) throw new Error(String(errs[0].message));
  process.stdout.write(\`added \${round}\\n\`);
  if (++round >= Number(rounds)) process.exit(0);
  sleep();
};
const sleep = () => {
  const ms = Number(seconds) * 1000;
  if (prewake === "1") timers.set(() => timers.set(add, 2), ms - 2);
  else timers.set(add, ms);
};
process.stdout.write("ready\\n");
sleep();
`;

interface Round {
  DE: number;
  EF: number;
  FN: number;
  EN: number;
  NN: number;
}

function split(evs: Ev[], pid: number): Round[] {
  const nr = (e: Ev) => Number(/NR (-?\d+)/.exec(e.text)?.[1]);
  const out: Round[] = [];
  const starts = new Map<string, number>();
  let E: number | undefined;
  let D = Number.NaN;
  let F: number | undefined;
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i]!;
    if (e.kind === "hrtimer_start" && e.task === pid)
      starts.set(field(e.text, "hrtimer")!, Number(field(e.text, "expires")) / 1e6);
    else if (e.kind === "hrtimer_expire_entry") {
      const d = starts.get(field(e.text, "hrtimer")!);
      if (d !== undefined) {
        E = e.t;
        D = d;
        F = undefined;
      }
    } else if (e.kind === "tracing_mark_write" && e.text.includes("keel fire") && E !== undefined) F ??= e.t;
    else if (e.kind === "sys_enter" && e.task === pid && nr(e) === 44 && E !== undefined) {
      const x = evs.slice(i + 1).find((y) => y.task === pid && y.kind === "sys_exit");
      out.push({
        DE: E - D,
        EF: F === undefined ? Number.NaN : F - E,
        FN: F === undefined ? Number.NaN : e.t - F,
        EN: e.t - E,
        NN: x ? x.t - e.t : Number.NaN,
      });
      E = undefined;
    }
  }
  return out;
}

const med = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (process.getuid?.() !== 0) {
  console.error("bench/runtime/failover-floor.ts needs root (a network namespace, the kernel's tracer)");
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "keel-failover-floor-"));
const ns = `hfo3-floor-${process.pid}`;
const tracer = new Tracer(`hfo3-floor-${process.pid}`);
try {
  writeFileSync(join(dir, "floor.ts"), PROGRAM);
  const bin = join(dir, "floor");
  sh([process.execPath, "build", "--compile", join(dir, "floor.ts"), "--outfile", bin]);
  sh(["ip", "netns", "add", ns]);
  // a veth pair inside the namespace (this kernel has no dummy driver)
  sh(["ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
  sh(["ip", "-n", ns, "link", "set", "d0", "up"]);
  sh(["ip", "-n", ns, "link", "set", "d1", "up"]);
  const p = Bun.spawn(["ip", "netns", "exec", ns, bin, "d0", String(ROUNDS), String(SECONDS), PREWAKE ? "1" : "0"], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, KEEL_TRACE_MARKER: `${tracer.dir}/trace_marker` },
  });
  const reader = p.stdout.getReader();
  const first = await reader.read();
  if (!new TextDecoder().decode(first.value).includes("ready")) throw new Error("the floor program did not start");
  const pid = p.pid; // ip netns exec execs the program in its own process
  tracer.event("timer/hrtimer_start", `common_pid == ${pid} && function == ${kallsym("posix_timer_fn")}`);
  tracer.event("timer/hrtimer_expire_entry", `function == ${kallsym("posix_timer_fn")}`);
  tracer.event("raw_syscalls/sys_enter", `common_pid == ${pid}`);
  tracer.event("raw_syscalls/sys_exit", `common_pid == ${pid}`);
  tracer.on(true);
  const code = await p.exited;
  tracer.on(false);
  if (code !== 0) throw new Error(`the floor program exited with ${code}`);
  const rs = split(parse(tracer.read()), pid);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  rs.forEach((r, i) =>
    console.log(
      `round ${i + 1}: expiry ${r.DE.toFixed(3)} + wake → callback ${r.EF.toFixed(3)} + → netlink send ${r.FN.toFixed(3)} = ` +
        `wake → netlink send ${r.EN.toFixed(3)} ms (+ the send ${r.NN.toFixed(3)})`,
    ),
  );
  // the first round is the program's first use of each path (Bun's signal dispatch, the
  // pool, the netlink code): keel's backup has run them before its failover, so it is left out
  const later = rs.slice(1);
  const m = (k: keyof Round) => med(later.map((r) => r[k])).toFixed(3);
  console.log(
    `floor${PREWAKE ? " (pre-wake)" : ""}, ${SECONDS} s sleeps, medians of rounds 2-${rs.length} (load ${load}): expiry ${m("DE")} + ` +
      `wake → callback ${m("EF")} + → netlink send ${m("FN")} = wake → netlink send ${m("EN")} ms (+ the send ${m("NN")})`,
  );
} finally {
  tracer.destroy();
  sh(["ip", "netns", "del", ns], { allowFail: true });
  rmSync(dir, { recursive: true, force: true });
  unmountIfIdle();
}
