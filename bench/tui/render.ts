// The TUI under load: 1,000 instances, 200 events/s and a status poll each second, from a
// fake daemon in another process (bench/tui/fake-daemon.ts) over a real unix socket and
// src/control/client.ts. The TUI renders into a fake 200x50 terminal (interactive Ink,
// the same path as on a real one). Prints frames written per second and the TUI process's
// CPU use (process.cpuUsage) over ~10 s. Goal: ≥ 4 updates/s under 5% of a core.
//
//   bun bench/tui/render.ts [--seconds 10] [--warmup 1.5] [--instances 1000] [--events-per-sec 200] [--columns 200] [--rows 50]
//                           [--kinds transition,priority,rx-error]   (the events sent, in turn; 0 events/s: idle)
//                           [--uptime SECONDS]   (the fake daemon has run that long: old states, high counters)
//                           [--runtime-defaults]   (not under tui/runtime-env.ts's settings, which `keel attach` runs with)
import { EventEmitter } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { missingTuiEnv, TUI_RUNTIME_ENV } from "../../tui/runtime-env";

const args = process.argv.slice(2);

// `keel attach` runs the TUI under tui/runtime-env.ts's settings (read at start-up): so
// does the bench, in a process of its own started with them, unless --runtime-defaults
const missing = missingTuiEnv(process.env);
if (missing.length > 0 && !args.includes("--runtime-defaults")) {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of missing) env[k] = TUI_RUNTIME_ENV[k];
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env,
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
}
const opt = (name: string, d: number) => {
  const n = args.indexOf(name);
  return n >= 0 ? Number(args[n + 1]) : d;
};
const seconds = opt("--seconds", 10);
// after the first snapshot is drawn, before measuring: the JIT is still compiling Ink and
// React in the first seconds (its worker threads show in "per thread")
const warmup = opt("--warmup", 1.5);
const instances = opt("--instances", 1000);
const eventsPerSec = opt("--events-per-sec", 200);
const columns = opt("--columns", 200);
const rows = opt("--rows", 50);
const uptime = opt("--uptime", 0);
const kindsAt = args.indexOf("--kinds");
const kinds = kindsAt >= 0 ? (args[kindsAt + 1] ?? "") : "transition,priority,rx-error";

class Term extends EventEmitter {
  isTTY = true;
  columns = columns;
  rows = rows;
  writes = 0;
  frames = 0;
  bytes = 0;
  write = (s: string, cb?: () => void) => {
    this.writes++;
    this.bytes += s.length;
    if (s.length > 200) this.frames++;
    cb?.();
    return true;
  };
}
class Keys extends EventEmitter {
  isTTY = true;
  read = () => null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

// Run it as `NODE_ENV=production bun bench/tui/render.ts`: React's production build, as
// in the compiled binary (tui/index.ts). Setting it here would be too late for Bun's JSX transform.
if (process.env.NODE_ENV !== "production")
  console.error("bench: NODE_ENV is not production: React's development build (about twice the CPU)");
const { startTui } = await import("../../tui/run.tsx");

// a private directory (0700): the client refuses a socket in a directory others can write
// (src/runtime/socket-path.ts), and /tmp is one
const dir = mkdtempSync(join(process.env.TMPDIR ?? "/tmp", "keel-tui-bench-"));
const sock = join(dir, "keel.sock");
const daemon = Bun.spawn(
  [
    process.execPath,
    join(import.meta.dir, "fake-daemon.ts"),
    sock,
    "--instances",
    String(instances),
    "--events-per-sec",
    String(eventsPerSec),
    "--kinds",
    kinds,
    "--uptime",
    String(uptime),
  ],
  {
    stdout: "pipe",
    stderr: "inherit",
  },
);
// wait for "fake keel daemon on ..."
process.on("exit", () => {
  daemon.kill();
  rmSync(dir, { recursive: true, force: true });
});
const reader = daemon.stdout.getReader();
await reader.read();

const term = new Term();
const tui = startTui({
  socketPath: sock,
  stdout: term as unknown as NodeJS.WriteStream,
  stdin: new Keys() as unknown as NodeJS.ReadStream,
  color: true,
});
// let it connect and draw the first snapshot
const t0 = Date.now();
while (tui.store.get().conn !== "connected" && Date.now() - t0 < 5000) await Bun.sleep(20);
if (tui.store.get().conn !== "connected") {
  console.error("bench: the TUI did not connect to the fake daemon");
  process.exit(1);
}
await Bun.sleep(warmup * 1000);

// CPU per thread (/proc/self/task/*/stat: utime, stime in clock ticks): the JS thread, the
// allocator's scavenger, the GC and JIT helpers; what process.cpuUsage adds up.
function threads(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync("/proc/self/task")) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const close = stat.lastIndexOf(")");
    const f = stat.slice(close + 2).split(" ");
    out.set(tid, { name: stat.slice(stat.indexOf("(") + 1, close), ticks: Number(f[11]) + Number(f[12]) });
  }
  return out;
}

let flushes = 0;
tui.store.subscribe(() => flushes++);
const skipped0 = tui.store.skipped;
const events0 = tui.store.get().seq;
const frames0 = term.frames;
const bytes0 = term.bytes;
const threads0 = threads();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
await Bun.sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const threads1 = threads();
const wall = (performance.now() - wall0) / 1000;
const frames = term.frames - frames0;
const events = tui.store.get().seq - events0;
const cpuPct = ((cpu.user + cpu.system) / 1e6 / wall) * 100;

tui.quit(0);
await tui.done;
daemon.kill();
await daemon.exited;

const settings = Object.keys(TUI_RUNTIME_ENV)
  .map((k) => `${k}=${process.env[k] ?? "(unset)"}`)
  .join(" ");
console.log(
  `tui render bench: ${instances} instances, ${eventsPerSec} events/s offered (${kinds}), ${wall.toFixed(1)} s, ${columns}x${rows} terminal${uptime ? `, daemon up ${uptime} s` : ""}, ${settings}`,
);
console.log(`  events applied   ${events} (${(events / wall).toFixed(0)}/s)`);
const skipped = tui.store.skipped - skipped0;
console.log(
  `  model updates    ${flushes + skipped} (${((flushes + skipped) / wall).toFixed(1)}/s), ${skipped} with nothing new on screen (not drawn)`,
);
console.log(
  `  frames written   ${frames} (${(frames / wall).toFixed(1)}/s, ${((term.bytes - bytes0) / wall / 1024).toFixed(0)} KiB/s)`,
);
console.log(
  `  CPU              ${cpuPct.toFixed(1)}% of a core (user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s)`,
);
// clock ticks are 1/100 s on Linux (USER_HZ)
const perThread = [...threads1]
  .map(([tid, t]) => ({ tid, name: t.name, pct: (t.ticks - (threads0.get(tid)?.ticks ?? 0)) / wall }))
  .filter((t) => t.pct > 0)
  .sort((a, b) => b.pct - a.pct);
console.log(
  `  per thread       ${perThread.map((t) => `${t.name}${t.tid === String(process.pid) ? " (JS)" : ""} ${t.pct.toFixed(1)}%`).join(", ")}`,
);
// memory: what an allocator setting (MIMALLOC_PURGE_DELAY) trades for its CPU
const vm = (k: string) => Number(/\d+/.exec(readFileSync("/proc/self/status", "utf8").split(`\n${k}:`)[1] ?? "")?.[0]);
console.log(`  memory           RSS ${(vm("VmRSS") / 1024).toFixed(1)} MB, peak ${(vm("VmHWM") / 1024).toFixed(1)} MB`);
const ok = frames / wall >= 4 && cpuPct < 5;
console.log(`  goal (≥ 4 updates/s, < 5% CPU): ${ok ? "met" : "NOT met"}`);
process.exit(0);
