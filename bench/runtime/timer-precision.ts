/**
 * Bench: how late a timer callback runs after its deadline, setTimeout against the
 * kernel timer the daemon arms for its adverts (native-bindings/kernel-timer.ts). Two
 * chains of absolute deadlines every `--interval` ms, as the VRRP driver arms them, run
 * side by side (offset by half an interval) so both see the same machine load;
 * lateness = CLOCK_MONOTONIC at the callback − the deadline (negative: early).
 *
 *   node_modules/.bin/bun bench/runtime/timer-precision.ts [--count N] [--interval MS]
 */
import { kernelTimers, monotonicMs } from "../../native-bindings/kernel-timer";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const COUNT = arg("--count", 300);
const INTERVAL = arg("--interval", 10);

type Timers = { set(fn: () => void, ms: number): unknown };

function chain(timers: Timers, offset: number): Promise<number[]> {
  const late: number[] = [];
  return new Promise((resolve) => {
    let deadline = monotonicMs() + INTERVAL + offset;
    const tick = () => {
      late.push(monotonicMs() - deadline);
      if (late.length >= COUNT) return resolve(late);
      deadline += INTERVAL;
      timers.set(tick, Math.max(0, deadline - monotonicMs()));
    };
    timers.set(tick, INTERVAL + offset);
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const row = (name: string, xs: number[]) =>
  console.log(
    `${name.padEnd(12)} n ${xs.length}  late p50 ${pct(xs, 50).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms  max ${Math.max(...xs).toFixed(3)} ms  min ${Math.min(...xs).toFixed(3)} ms`,
  );

const [js, kernel] = await Promise.all([
  chain({ set: (fn, ms) => setTimeout(fn, ms) }, 0),
  chain(kernelTimers(), INTERVAL / 2),
]);
row("setTimeout", js);
row("kernel timer", kernel);

// CPU per fire, each alone (user + system, the whole process: the signal path included)
async function cpuPerFire(timers: Timers): Promise<number> {
  const cpu = process.cpuUsage();
  await chain(timers, 0);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / COUNT;
}
console.log(
  `CPU per fire: setTimeout ${(await cpuPerFire({ set: (fn, ms) => setTimeout(fn, ms) })).toFixed(1)} µs, kernel timer ${(await cpuPerFire(kernelTimers())).toFixed(1)} µs`,
);
