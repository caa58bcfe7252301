/**
 * Bench (root): how fast a received VRRP packet reaches JavaScript, for the two ways of
 * waiting on a socket without blocking the main thread (DESIGN.md "Kernel I/O"):
 *   sigio  — O_ASYNC + F_SETOWN, a SIGIO handler drains with recvmsg(MSG_DONTWAIT)
 *            (native-bindings/readiness.ts, what keel uses);
 *   worker — a Worker blocks in poll() on the fd and posts each wake-up to the main
 *            thread, which then drains.
 * Both run in a throwaway namespace on `lo`: one raw socket sends, another receives;
 * the time is from sendto returning to the packet in the main thread's hands.
 * Also prints the CPU the process uses while idle in each mode.
 *
 *   node_modules/.bin/bun bench/runtime/rx-latency.ts [--packets N]
 *   (re-executes itself inside the namespace)
 */
import { openVrrpSocket } from "../../native-bindings/vrrp-socket";
import { watchReadable } from "../../native-bindings/readiness";
import { encodeIpv4Packet } from "../../src/vrrp/ah";
import { encodeAdvert } from "../../src/vrrp/packet";

const N = Number(process.argv[process.argv.indexOf("--packets") + 1]) || 1000;

if (!process.env.KEEL_BENCH_NS) {
  if (process.getuid?.() !== 0) {
    console.error("bench/runtime/rx-latency.ts needs root (a network namespace)");
    process.exit(1);
  }
  const ns = `kb${process.pid.toString(36)}`;
  const sh = (c: string[]) =>
    Bun.spawnSync(c, { stdout: "inherit", stderr: "inherit", env: { ...process.env, KEEL_BENCH_NS: ns } });
  sh(["ip", "netns", "add", ns]);
  try {
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    const r = sh(["ip", "netns", "exec", ns, process.execPath, import.meta.path, "--packets", String(N)]);
    process.exitCode = r.exitCode ?? 1;
  } finally {
    sh(["ip", "netns", "del", ns]);
  }
} else {
  const payload = encodeAdvert(
    { version: 3, type: 1, vrid: 1, priority: 100, family: 4, advertIntCs: 100, authType: 0, addresses: ["10.0.0.1"] },
    { src: "127.0.0.1", dst: "127.0.0.1" },
  );
  const packet = encodeIpv4Packet({ src: "127.0.0.1", dst: "127.0.0.1", id: 1, payload });
  const tx = openVrrpSocket({ family: 4, ifname: "lo" });

  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
  const report = (name: string, lat: number[]) =>
    console.log(
      `  ${name.padEnd(6)}: p50 ${(pct(lat, 50) * 1000).toFixed(0)} µs, p99 ${(pct(lat, 99) * 1000).toFixed(0)} µs, max ${(Math.max(...lat) * 1000).toFixed(0)} µs (n=${lat.length})`,
    );

  async function measure(
    arm: (rx: ReturnType<typeof openVrrpSocket>, onData: () => void) => () => void,
  ): Promise<number[]> {
    const rx = openVrrpSocket({ family: 4, ifname: "lo" });
    const lat: number[] = [];
    let sentAt = 0;
    let resolveOne: (() => void) | undefined;
    const stop = arm(rx, () => {
      rx.drain(() => {
        lat.push(performance.now() - sentAt);
        resolveOne?.();
      });
    });
    await Bun.sleep(50);
    for (let i = 0; i < N; i++) {
      const got = new Promise<void>((r) => {
        resolveOne = r;
      });
      sentAt = performance.now();
      tx.send("127.0.0.1", packet);
      await Promise.race([got, Bun.sleep(100)]);
      // the raw sockets see the packet once each; wait a little between packets
      await Bun.sleep(1);
    }
    const before = process.cpuUsage();
    await Bun.sleep(3_000);
    const idle = process.cpuUsage(before);
    console.log(
      `  ${"".padEnd(6)}  idle CPU over 3 s: ${(((idle.user + idle.system) / 3e6) * 100).toFixed(2)}% of a core`,
    );
    stop();
    rx.close();
    return lat;
  }

  console.log(`receive latency, sendto → packet in the main thread, ${N} packets on lo:`);
  const sigio = await measure((rx, onData) => watchReadable(rx.fd, onData));
  report("sigio", sigio);

  const worker = await measure((rx, onData) => {
    const w = new Worker(new URL("./rx-latency-worker.ts", import.meta.url).href);
    w.onmessage = () => {
      onData();
      w.postMessage("again");
    };
    w.postMessage(rx.fd);
    return () => w.terminate();
  });
  report("worker", worker);
  tx.close();
  process.exit(0);
}
