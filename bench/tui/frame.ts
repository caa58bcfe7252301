// CPU per frame of the real TUI (tui/app.tsx through Ink) on a 1,000-instance status, in
// isolation from the event flow: each frame is forced by a model change on screen (the
// clock second moves) and measured with process.cpuUsage. Where bench/tui/render.ts
// scatters with the machine's load and the event timing, this isolates what one frame
// costs, so a change to the views can be compared run against run.
//
//   NODE_ENV=production bun bench/tui/frame.ts [--frames 200] [--instances 1000] [--columns 200] [--rows 50]
//                                             [--view 1] (the view's key, 1-6) [--no-color]
import { EventEmitter } from "node:events";
import { fakeStatus } from "./fake-daemon";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const n = args.indexOf(name);
  return n >= 0 ? Number(args[n + 1]) : d;
};
const frames = opt("--frames", 200);
const columns = opt("--columns", 200);
const rows = opt("--rows", 50);
const view = String(opt("--view", 1));

class Term extends EventEmitter {
  isTTY = true;
  columns = columns;
  rows = rows;
  writes = 0;
  write = (_s: string, cb?: () => void) => {
    this.writes++;
    cb?.();
    return true;
  };
}
class Keys extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  press(s: string) {
    this.data = s;
    this.emit("readable");
  }
}

if (process.env.NODE_ENV !== "production")
  console.error("bench: NODE_ENV is not production: React's development build (about twice the CPU)");
const { startTui } = await import("../../tui/run.tsx");
const status = fakeStatus(opt("--instances", 1000));
const term = new Term();
const keys = new Keys();
const tui = startTui({
  socketPath: "/nonexistent/keel.sock",
  // a daemon that answers subscribe once and then says nothing (no polls reach it: 1 h)
  connect: async () => ({
    request: async (r) => ({ id: r.id, ok: true, result: r.cmd === "subscribe" ? status : null }),
    onEvent() {},
    close() {},
  }),
  pollMs: 3_600_000,
  stdout: term as unknown as NodeJS.WriteStream,
  stdin: keys as unknown as NodeJS.ReadStream,
  color: !args.includes("--no-color"),
});
while (tui.store.get().conn !== "connected") await Bun.sleep(10);
keys.press(view);
await Bun.sleep(200);
// warm up the JIT, then measure
const at0 = Date.now();
let n = 0;
const frame = async () => {
  n++;
  tui.store.dispatch({ type: "tick", at: at0 + n * 1000 });
  // Ink throttles output to its maxFps (30): wait past it so every frame is drawn
  await Bun.sleep(40);
};
for (let i = 0; i < 20; i++) await frame();
const writes0 = term.writes;
const cpu0 = process.cpuUsage();
for (let i = 0; i < frames; i++) await frame();
const cpu = process.cpuUsage(cpu0);
const drawn = term.writes - writes0;
// the 40 ms waits between frames cost next to nothing (an idle loop)
const ms = (cpu.user + cpu.system) / 1000 / frames;
console.log(
  `tui frame bench: ${status.instances.length} instances, view ${view}, ${columns}x${rows}, ${frames} frames`,
);
console.log(`  writes to the terminal ${drawn}`);
console.log(`  CPU per frame          ${ms.toFixed(2)} ms (4 frames/s: ${((ms * 4) / 10).toFixed(1)}% of a core)`);
tui.quit(0);
await tui.done;
process.exit(0);
