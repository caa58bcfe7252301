/**
 * Bench (not a test): BFD detection and failover at 10 ms × 3 in namespaces.
 *
 *  1. Detection time, keel beside keepalived 2.2.7: a session between them; one side
 *     killed, the other's own measure of the silence before it went Down (keel: status
 *     `lastDetectionMs`, last packet read → Down; keepalived: its "Expired after N ms"
 *     line). Expected: multiplier × negotiated interval = 30 ms.
 *  2. Failover end to end, keel to keel: h1 (VRRPv3 master, advert_int 0.01) tracks a
 *     session to h3; h3 killed → h1 FAULT (priority-0 advert) → h2 holds the VIP. Measured
 *     from the kill to `ip monitor` on h2 showing the VIP (expected ≈ 30 ms + Skew_Time
 *     ≈ 6 ms + wakeups).
 *
 *   bun bench/bfd/detection.ts [--runs N] [--bfd-rt PRIO]   (root; builds nothing: run `bun build.ts` first)
 *
 * --bfd-rt PRIO puts `bfd_rt_priority PRIO` (and a 2 s RLIMIT_RTTIME) in every keel's
 * global_defs: its BFD process then runs SCHED_RR, as keepalived's does with the keyword.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Status } from "../../src/control/protocol";
import { KEEL, Lab, type Proc, ensureKeel, instance } from "../../test/netns/harness";

const runs = (() => {
  const i = process.argv.indexOf("--runs");
  return i >= 0 ? Number(process.argv[i + 1]) : 5;
})();
const rt = (() => {
  const i = process.argv.indexOf("--bfd-rt");
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
})();
const GLOBAL = `global_defs {\n  router_id bench\n${rt ? `  bfd_rt_priority ${rt}\n  bfd_rlimit_rttime 2000000\n` : ""}}\n`;
const session = (name: string, neighbor: string) =>
  `bfd_instance ${name} {\n  neighbor_ip ${neighbor}\n  min_rx 10\n  min_tx 10\n  multiplier 3\n}\n`;

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)] ?? Number.NaN;
  return `median ${med.toFixed(1)} ms, min ${s[0]?.toFixed(1)}, max ${s.at(-1)?.toFixed(1)} (n=${s.length})`;
}

async function stop(p: Proc, group: boolean): Promise<void> {
  if (group) p.killGroup("SIGKILL");
  else p.kill("SIGKILL");
  await p.exited;
  await Bun.sleep(200);
}

async function detection(lab: Lab): Promise<void> {
  const keelSaw: number[] = [];
  const kaSaw: number[] = [];
  for (let r = 0; r < runs; r++) {
    const keel = lab.keel("h1", GLOBAL + session("to_ka", lab.ip("h3")));
    const ka = lab.keepalived("h3", GLOBAL + session("to_keel", lab.ip("h1")));
    await keel.waitFor(/BFD_Instance\(to_ka\) Detection time is 30000 us/, 20_000);
    await ka.waitFor(/Detection time is 30000 us/, 20_000);
    await Bun.sleep(500);
    if (r % 2 === 0) {
      await stop(ka, true);
      await keel.waitFor(/BFD_Instance\(to_ka\) Entering Down state/);
      const sock = `${lab.tmpdir("h1")}/keel-${lab.keels.length - 1}.sock`;
      const st = JSON.parse(lab.exec("h1", [KEEL, "status", "--json", "--control-socket", sock])) as Status;
      keelSaw.push(st.bfd?.[0]?.lastDetectionMs ?? Number.NaN);
      await stop(keel, false);
    } else {
      await stop(keel, false);
      const l = await ka.waitFor(/\(to_keel\) Expired after (\d+) ms/);
      kaSaw.push(Number(/Expired after (\d+) ms/.exec(l.text)?.[1]));
      await stop(ka, true);
    }
  }
  console.log(`keepalived killed, keel's detection (last packet → Down): ${stats(keelSaw)}`);
  console.log(`keel killed, keepalived's detection ("Expired after"):   ${stats(kaSaw)}`);
}

async function failover(lab: Lab): Promise<void> {
  const took: number[] = [];
  const flaps: number[] = [];
  for (let r = 0; r < runs; r++) {
    const peer = lab.keel("h3", GLOBAL + session("to_h1", lab.ip("h1")));
    const vrrp = (priority: number, extra: string[]) =>
      instance({ priority, version: 3, advertInt: 0.01, state: priority > 100 ? "MASTER" : "BACKUP", extra });
    const master = lab.keel("h1", GLOBAL + session("gw", lab.ip("h3")) + vrrp(150, ["track_bfd {", "  gw", "}"]));
    await master.waitFor(/\(VI_1\) Entering MASTER STATE/, 20_000);
    const backup = lab.keel("h2", GLOBAL + vrrp(100, []));
    await backup.waitFor(/\(VI_1\) Entering BACKUP STATE/);
    await Bun.sleep(1000);
    const before = master.lines.filter((l) => /Entering Down state/.test(l.text)).length;
    const watch = await lab.watchAddr("h2", "10.99.0.100");
    const clean = before === 0 && lab.hasAddr("h1", "10.99.0.100") && !lab.hasAddr("h2", "10.99.0.100");
    // the peer host dies: its BFD process with it (keel's sessions run in a process of their
    // own, which alone would send on until it saw its daemon gone)
    const bfdPidFile = `${lab.tmpdir("h3")}/keel-bfd-${lab.keels.indexOf(peer)}.pid`;
    // an older keel runs its sessions in the daemon: no such file
    const bfdPid = existsSync(bfdPidFile) ? Number(readFileSync(bfdPidFile, "utf8")) : undefined;
    const t0 = performance.now();
    if (bfdPid) process.kill(bfdPid, "SIGKILL");
    await stop(peer, false).catch(() => undefined);
    // a run whose session flapped before the kill says nothing about the kill
    if (clean) took.push((await watch.wait()) - t0);
    watch.stop();
    flaps.push(before);
    for (const p of [master, backup]) await stop(p, false);
  }
  console.log(`keel to keel, BFD peer killed → VIP on the backup (runs without a flap): ${stats(took)}`);
  console.log(`  session flaps before the kill, per run: ${flaps.join(", ")}`);
}

ensureKeel();
const lab = Lab.create(["h1", "h2", "h3"]);
try {
  await detection(lab);
  await failover(lab);
} finally {
  lab.destroy();
}
