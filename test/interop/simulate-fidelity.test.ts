/**
 * `keel simulate` is checked, not assumed (issue 18): each scenario of
 * test/fixtures/simulate/ runs (a) through `keel simulate` and (b) with real keepalived
 * 2.2.7 processes in namespaces on a bridge, with the scenario's events enacted for real
 * (a script's result through a file its vrrp_script tests, kill -9, SIGTERM, a restart,
 * SIGHUP with another file, a partition by cutting hosts off the bridge, `ip link set
 * down`), and both must give
 * the same SEQUENCE of VIP holders. Times are not compared: after each event the test
 * waits for the holders the simulation had just before the next event, then goes on.
 * The observed sequence is what a poller of `ip addr` saw, with the same rules as
 * holderSequence (src/simulate/expect.ts): nobody and sets seen only for an instant
 * (one poll: a handover in progress) are left out, repeats merge.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli";
import { type Scenario, parseScenario } from "../../src/simulate/scenario";
import { Lab, type Proc, eventually } from "../netns/harness";

const DIR = join(import.meta.dir, "../fixtures/simulate");
const SCENARIOS = ["nopreempt-weights", "partition", "sync-group", "preempt-delay", "sigterm", "link-down", "reload"];
/** a holder set seen for less than this is a handover in progress (see the header) */
const INSTANT_MS = 300;
/** after an event that moves nothing, how long the holders must stay as they were */
const STEADY_MS = 3_000;

beforeAll(() => {
  const v = Bun.spawnSync(["keepalived", "-v"]).stderr.toString();
  if (!/Keepalived v2\.2\.7/.test(v)) throw new Error(`these tests need Debian 12's keepalived 2.2.7; got: ${v}`);
});

interface SimRun {
  timeline: { t: number; kind: string; vip?: string; holders?: string[] }[];
  vips: Record<string, string[]>;
}

async function simulate(file: string): Promise<SimRun> {
  let out = "";
  let err = "";
  const code = await main(["simulate", "--scenario", file, "--json"], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  if (code !== 0) throw new Error(`keel simulate ${file}: exit ${code}\n${err}${out}`);
  return JSON.parse(out) as SimRun;
}

/** The simulation's holders of each VIP just before virtual time t (or at the end). */
function holdersBefore(run: SimRun, t: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const vip of Object.keys(run.vips)) out[vip] = "-";
  for (const e of run.timeline)
    if (e.kind === "vip" && e.t < t && e.vip !== undefined)
      out[e.vip] = (e.holders ?? []).slice().sort().join("+") || "-";
  return out;
}

/** keepalived's text of a fixture: each vrrp_script tests for a file the test creates to fail it. */
function kaConf(text: string, dir: string, host: string): string {
  let current = "";
  return text
    .split("\n")
    .map((l) => {
      const m = l.match(/^\s*vrrp_script\s+(\S+)/);
      if (m) current = m[1] as string;
      if (/^\s*script\s+"/.test(l)) return `  script "/usr/bin/test ! -e ${dir}/${host}-${current}.fail"`;
      return l;
    })
    .join("\n");
}

class RealRun {
  readonly procs = new Map<string, Proc>();
  readonly dead = new Set<string>();
  /** every change of the live holder sets, as the poller saw it */
  readonly seen: { t: number; key: string }[] = [];
  private polling = true;
  private readonly poller: Promise<void>;

  constructor(
    readonly lab: Lab,
    readonly sc: Scenario,
    readonly vips: string[],
    readonly confs: Map<string, string>,
  ) {
    this.poller = this.poll();
  }

  holders(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const vip of this.vips)
      out[vip] =
        this.sc.hosts
          .filter((h) => !this.dead.has(h.name) && this.procs.has(h.name) && this.lab.hasAddr(h.name, vip))
          .map((h) => h.name)
          .sort()
          .join("+") || "-";
    return out;
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      const key = JSON.stringify(this.holders());
      if (this.seen[this.seen.length - 1]?.key !== key) this.seen.push({ t: performance.now(), key });
      await Bun.sleep(100);
    }
  }

  async finish(): Promise<Record<string, string[]>> {
    this.polling = false;
    await this.poller;
    const end = performance.now();
    const last = JSON.stringify(this.holders());
    if (this.seen[this.seen.length - 1]?.key !== last) this.seen.push({ t: end, key: last });
    const seqs: Record<string, string[]> = {};
    for (const vip of this.vips) {
      // this VIP's own changes (the poller's entries change when any VIP moves)
      const changes: { t: number; set: string }[] = [];
      for (const s of this.seen) {
        const set = (JSON.parse(s.key) as Record<string, string>)[vip] as string;
        if (changes[changes.length - 1]?.set !== set) changes.push({ t: s.t, set });
      }
      const seq: string[] = [];
      changes.forEach((c, i) => {
        // the last set is the state the run ended in, however recently it came
        const until = changes[i + 1]?.t ?? end + INSTANT_MS;
        if (c.set === "-" || until - c.t < INSTANT_MS) return;
        if (seq[seq.length - 1] !== c.set) seq.push(c.set);
      });
      seqs[vip] = seq;
    }
    return seqs;
  }

  /**
   * Start keepalived on a host and wait for its first state. Until then the host holds
   * nothing: a VIP left by a crash stays in `ip addr` until keepalived's start removes it
   * ("removing VIPs"), as the simulation's restarted host holds nothing while BACKUP.
   */
  async start(host: string, first: RegExp): Promise<Proc> {
    const p = this.lab.keepalived(host, this.confs.get(host) as string, ["-i", host]);
    this.procs.set(host, p);
    this.dead.add(host);
    await p.waitFor(first, 20_000);
    this.dead.delete(host);
    return p;
  }

  /** Wait until the holders are `want`; then let the poller see them (a set seen for an instant is dropped). */
  async waitHolders(want: Record<string, string>, what: string): Promise<void> {
    await eventually(
      () => {
        const got = this.holders();
        if (JSON.stringify(got) !== JSON.stringify(want))
          throw new Error(`${what}: holders ${JSON.stringify(got)}, the simulation had ${JSON.stringify(want)}`);
      },
      30_000,
      100,
    );
    await Bun.sleep(2 * INSTANT_MS);
  }
}

describe("keel simulate against keepalived 2.2.7 in namespaces: the same sequence of VIP holders", () => {
  let lab: Lab | undefined;
  afterEach(() => {
    lab?.destroy();
    lab = undefined;
  });

  for (const name of SCENARIOS)
    test(name, async () => {
      const file = join(DIR, `${name}.toml`);
      const parsed = parseScenario(file, readFileSync(file, "utf8"));
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const sc = parsed.value;
      const sim = await simulate(file);
      const vips = Object.keys(sim.vips);

      lab = Lab.create(sc.hosts.map((h) => h.name));
      for (const h of sc.hosts)
        if (h.address !== lab.ip(h.name))
          throw new Error(`${name}: host ${h.name} must have address ${lab.ip(h.name)}`);
      const confs = new Map<string, string>();
      for (const h of sc.hosts) confs.set(h.name, kaConf(readFileSync(join(DIR, h.config), "utf8"), lab.dir, h.name));
      const real = new RealRun(lab, sc, vips, confs);

      // start in the order written; the first election's winner first (harness masterFirst)
      const first = holdersBefore(sim, sc.events[0]?.at ?? Number.POSITIVE_INFINITY);
      const winners = new Set(Object.values(first).flatMap((s) => s.split("+")));
      for (const h of [...sc.hosts].sort((a, b) => Number(winners.has(b.name)) - Number(winners.has(a.name)))) {
        await real.start(h.name, winners.has(h.name) ? /Entering MASTER STATE/ : /Entering (BACKUP|FAULT) STATE/);
      }
      await real.waitHolders(first, "start");

      for (let i = 0; i < sc.events.length; i++) {
        const e = sc.events[i] as Scenario["events"][number];
        const before = real.holders();
        await enact(real, e.what);
        const next = holdersBefore(sim, sc.events[i + 1]?.at ?? Number.POSITIVE_INFINITY);
        await real.waitHolders(next, `after "${e.text}"`);
        // nothing was to move: it must stay so for a while (the nopreempt case's point)
        if (JSON.stringify(next) === JSON.stringify(before)) {
          await Bun.sleep(STEADY_MS);
          expect(real.holders()).toEqual(next);
        }
      }
      const got = await real.finish();
      if (JSON.stringify(got) !== JSON.stringify(sim.vips))
        console.error(`${name}: the poller saw\n${real.seen.map((s) => `  ${s.t.toFixed(0)} ${s.key}`).join("\n")}`);
      expect(got).toEqual(sim.vips);
    }, 180_000);
});

async function enact(real: RealRun, w: Scenario["events"][number]["what"]): Promise<void> {
  const lab = real.lab;
  switch (w.kind) {
    case "script": {
      const flag = join(lab.dir, `${w.host}-${w.name}.fail`);
      const p = real.procs.get(w.host) as Proc;
      const from = p.lines.length;
      if (w.ok) Bun.spawnSync(["rm", "-f", flag]);
      else writeFileSync(flag, "");
      // keepalived says when it has seen the new result
      await p.waitFor(new RegExp(`VRRP_Script\\(${w.name}\\) ${w.ok ? "succeeded" : "failed"}`), 20_000, from);
      return;
    }
    case "kill":
    case "stop": {
      const p = real.procs.get(w.host) as Proc;
      real.dead.add(w.host);
      if (w.kind === "kill") p.killGroup("SIGKILL");
      else p.kill("SIGTERM");
      await p.exited;
      return;
    }
    case "restart":
      await real.start(w.host, /Entering (BACKUP|MASTER|FAULT) STATE/);
      return;
    case "partition": {
      // cut every host outside the largest group off the bridge (each then hears nobody)
      const groups = [...w.groups].sort((a, b) => b.length - a.length);
      if (groups.slice(1).some((g) => g.length > 1))
        throw new Error("the lab partitions only into one group and single hosts");
      for (const g of groups.slice(1)) for (const h of g) lab.isolate(h, true);
      return;
    }
    case "heal":
      for (const h of real.sc.hosts) lab.isolate(h.name, false);
      return;
    case "link-down":
    case "link-up":
      lab.linkSet(w.host, w.kind === "link-up");
      return;
    case "reload": {
      // SIGHUP after rewriting the file keepalived reads (a later restart reads it too)
      const text = kaConf(readFileSync(join(DIR, w.config), "utf8"), lab.dir, w.host);
      real.confs.set(w.host, text);
      lab.file(`${w.host}-ka.conf`, text);
      const p = real.procs.get(w.host) as Proc;
      const from = p.lines.length;
      p.kill("SIGHUP");
      await p.waitFor(/Reload complete/, 20_000, from);
      return;
    }
    default:
      throw new Error(`event ${w.kind} is not enacted in the lab yet`);
  }
}
