/**
 * The random-fault soak driver (soak.test.ts runs it; it is also handy for hunting
 * with many seeds: `bun -e 'import {soak} from "./test/sim/soak"; ...'`).
 *
 * Random-fault soak: thousands of seeded faults (crash, restart, graceful stop,
 * partitions, link flaps, loss) on a 4-node segment running five VRIDs that mix
 * VRRPv2 with PASS auth, VRRPv3 over IPv4 and IPv6, ties broken by address,
 * nopreempt, preempt_delay and a faster advert interval.
 *
 * Invariant: whenever the segment is whole (no partition, every live node's link up,
 * no loss) and has been for the settling time (Master_Down_Interval of the slowest
 * backup + one advert interval, + preempt_delay where configured, + the worst link
 * delay), every VRID has exactly one master: never two, and never none.
 */
import { masterDownMs } from "../../src/vrrp/timers";
import { type InstanceOpts, Sim, globalDefs, mulberry32, vrrpInstance } from "./harness";

const NODES = ["a", "b", "c", "d"] as const;
type NodeName = (typeof NODES)[number];

interface VridSpec {
  opts: Omit<InstanceOpts, "priority">;
  prio: Record<NodeName, number>;
  /** per-node extra options */
  per?: Partial<Record<NodeName, Partial<InstanceOpts>>>;
}

const VRIDS: VridSpec[] = [
  { opts: { name: "VI_1", vrid: 1 }, prio: { a: 150, b: 100, c: 50, d: 120 } },
  { opts: { name: "VI_2", vrid: 2, version: 2, authPass: "s0ak" }, prio: { a: 100, b: 150, c: 100, d: 100 } },
  { opts: { name: "VI_3", vrid: 3, family: 6 }, prio: { a: 90, b: 90, c: 200, d: 90 } },
  { opts: { name: "VI_4", vrid: 4, nopreempt: true }, prio: { a: 100, b: 110, c: 120, d: 130 } },
  {
    opts: { name: "VI_5", vrid: 5, advertInt: 0.5 },
    prio: { a: 100, b: 100, c: 100, d: 200 },
    per: { d: { preemptDelay: 2 } },
  },
];

function conf(node: NodeName): string {
  const blocks = VRIDS.map((v) => vrrpInstance({ ...v.opts, priority: v.prio[node], ...v.per?.[node] }));
  return `${globalDefs(3)}\n${blocks.join("\n")}`;
}

/** default link: 1 ms + up to 2 ms of jitter */
const LATENCY = 1;
const JITTER = 2;

/**
 * Settling time per VRID after the last change to the segment: the slowest backup's
 * Master_Down_Interval until someone is master, one interval for its first advert, and
 * where preempt_delay is configured: the delay, the last advert accepted within it, and
 * the preempting node's own Master_Down_Interval; plus the worst link delay each way.
 */
function settleMs(v: VridSpec, latency: number, jitter: number): number {
  const cs = Math.round((v.opts.advertInt ?? 1) * 100);
  const version = v.opts.version ?? 3;
  const prios = Object.values(v.prio);
  const delay = Math.max(0, ...Object.values(v.per ?? {}).map((p) => (p?.preemptDelay ?? 0) * 1000));
  const interval = cs * 10;
  const preempt = delay > 0 ? delay + interval + masterDownMs(version, cs, Math.max(...prios)) : 0;
  return masterDownMs(version, cs, Math.min(...prios)) + interval + preempt + 2 * (latency + jitter);
}

export interface SoakResult {
  faults: number;
  checks: number;
  settledWindows: number;
  violations: string[];
  virtualMs: number;
  kinds: Record<string, number>;
}

export function soak(seed: number, faults: number, link: { latencyMs?: number; jitterMs?: number } = {}): SoakResult {
  const latency = link.latencyMs ?? LATENCY;
  const jitter = link.jitterMs ?? JITTER;
  const sim = new Sim({ seed, latencyMs: latency, jitterMs: jitter });
  for (const n of NODES) sim.add({ name: n, conf: conf(n) });
  const rnd = mulberry32(seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const settle = VRIDS.map((v) => settleMs(v, latency, jitter));
  let lastChange = 0;
  let loss = 0;
  const res: SoakResult = { faults: 0, checks: 0, settledWindows: 0, violations: [], virtualMs: 0, kinds: {} };
  let inWindow = false;

  sim.onStep = (t) => {
    if (sim.impaired()) {
      inWindow = false;
      return;
    }
    let any = false;
    VRIDS.forEach((v, i) => {
      if (t - lastChange < (settle[i] as number)) return;
      any = true;
      res.checks++;
      const fam = v.opts.family ?? 4;
      const m = sim.masters(v.opts.vrid, fam);
      const running = sim.nodes.some((n) => n.alive);
      if (m.length > 1 || (running && m.length === 0)) {
        if (res.violations.length < 10) {
          const recent = sim.log
            .filter((l) => l.t >= lastChange - 30_000)
            .map((l) => `${l.t.toFixed(3)} ${l.node} ${l.what}`);
          res.violations.push(
            `t=${t.toFixed(3)} ${v.opts.name}: masters [${m.join(",")}] (settled since ${lastChange.toFixed(3)})\n  ${recent.slice(-12).join("\n  ")}`,
          );
        }
      }
    });
    if (any && !inWindow) res.settledWindows++;
    inWindow = any;
  };

  const changed = (kind: string) => {
    lastChange = sim.now;
    res.faults++;
    res.kinds[kind] = (res.kinds[kind] ?? 0) + 1;
  };

  sim.runUntil(20_000);
  while (res.faults < faults) {
    const alive = sim.nodes.filter((n) => n.alive);
    const dead = sim.nodes.filter((n) => !n.alive);
    const r = rnd();
    if (r < 0.12 && alive.length > 1) {
      sim.kill(pick(alive));
      changed("kill");
    } else if (r < 0.2 && alive.length > 1) {
      sim.stop(pick(alive));
      changed("stop");
    } else if (r < 0.4 && dead.length > 0) {
      sim.restart(pick(dead));
      changed("restart");
    } else if (r < 0.5) {
      const shuffled = [...NODES].sort(() => rnd() - 0.5);
      const cut = 1 + Math.floor(rnd() * (NODES.length - 1));
      sim.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      changed("partition");
    } else if (r < 0.6 && sim.partitioned) {
      sim.heal();
      changed("heal");
    } else if (r < 0.7) {
      const n = pick(sim.nodes);
      if (n.linkUp) sim.linkDown(n);
      else sim.linkUp(n);
      changed("link");
    } else if (r < 0.78) {
      loss = loss > 0 ? 0 : 0.1 + rnd() * 0.5;
      sim.setDefaults({ loss });
      changed("loss");
    } else if (r < 0.88) {
      // repair everything and let it settle: this is where the invariant bites
      if (sim.partitioned) sim.heal();
      for (const n of sim.nodes) if (!n.linkUp) sim.linkUp(n);
      loss = 0;
      sim.setDefaults({ loss: 0 });
      changed("repair");
      sim.run(Math.max(...settle) + rnd() * 10_000);
      continue;
    } else {
      // a burst of packet-level trouble: one direction of one link drops everything briefly
      const x = pick(NODES);
      const y = pick(NODES.filter((n) => n !== x));
      sim.setLink(x, y, { loss: 1 }, false);
      changed("one-way");
      sim.run(rnd() * 3_000);
      sim.setLink(x, y, { loss: 0 }, false);
      changed("one-way-end");
      continue;
    }
    sim.run(rnd() < 0.2 ? rnd() * 20 : rnd() * 3_000);
  }
  // finally: repair, restart everyone, and check the end state too
  if (sim.partitioned) sim.heal();
  for (const n of sim.nodes) if (!n.linkUp) sim.linkUp(n);
  loss = 0;
  sim.setDefaults({ loss: 0 });
  for (const n of sim.nodes) if (!n.alive) sim.restart(n);
  changed("final");
  sim.run(Math.max(...settle) + 5_000);
  for (const v of VRIDS) {
    const m = sim.masters(v.opts.vrid, v.opts.family ?? 4);
    if (m.length !== 1) res.violations.push(`end: ${v.opts.name} masters [${m.join(",")}]`);
  }
  res.virtualMs = sim.now;
  return res;
}
