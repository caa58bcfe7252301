// Ink's Output alone (the builder of every frame's text), as installed: a 200x50 screen of
// 48 coloured table rows inside an overflow="hidden" clip, the shape of keel's instances
// view, with every row changed each frame and with the previous frame's rows. Isolates the
// part patches/ink@8.0.0.patch changes; run it with the patch applied and without
// (`--output` another copy of build/output.js) to compare.
//
//   bun bench/tui/output.ts [--frames 200] [--output PATH/TO/ink/build/output.js]
import { join, resolve } from "node:path";

const n = process.argv.indexOf("--frames");
const frames = n >= 0 ? Number(process.argv[n + 1]) : 200;
const o = process.argv.indexOf("--output");
// Ink's package exports only build/index.js: the file itself
const outputJs =
  o >= 0 ? resolve(process.argv[o + 1] ?? "") : join(import.meta.dir, "../../node_modules/ink/build/output.js");
const Output = (await import(outputJs)).default;
const W = 200;
const H = 50;

const row = (n: number, f: number) => {
  const name = `vi_${String(n).padStart(4, "0")}`.padEnd(20);
  const state = n % 3 ? "\x1b[32mMASTER  \x1b[39m" : "\x1b[34mBACKUP  \x1b[39m";
  const rest = ` eth1 ${String(n % 255).padStart(3)} 100  10.0.${n % 255}.1,10.1.${n % 255}.1`.padEnd(120);
  return ` ${name} ${state}${rest} ${f}m${n % 60}s ${1000 + f}/${2000 + f} 0`;
};

function frame(f: number): string {
  const o = new Output({ width: W, height: H });
  o.clip({ x1: 0, x2: W, y1: 0, y2: H });
  o.write(0, 0, "\x1b[1m keel | connected | 1000 instances: 334 MASTER 666 BACKUP\x1b[22m", { transformers: [] });
  for (let y = 1; y < H - 1; y++) o.write(0, y, row(y, f), { transformers: [] });
  o.write(0, H - 1, " j/k move  enter detail  / filter  tab view  r reload  ? help  q quit", { transformers: [] });
  o.unclip();
  return o.get().output;
}

function cpuPerFrame(next: (f: number) => number): number {
  const c0 = process.cpuUsage();
  for (let f = 0; f < frames; f++) frame(next(f));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / frames;
}

// warm up (JIT), then alternate the two cases
cpuPerFrame((f) => f);
let changed = 0;
let same = 0;
for (let round = 0; round < 3; round++) {
  changed += cpuPerFrame((f) => 1000 * (round + 1) + f) / 3;
  same += cpuPerFrame(() => 7) / 3;
}
console.log(`ink Output (${outputJs}), ${W}x${H}, 48 coloured rows, ${frames} frames x 3`);
console.log(`  every row changed   ${changed.toFixed(2)} ms a frame`);
console.log(`  the same rows       ${same.toFixed(2)} ms a frame`);
