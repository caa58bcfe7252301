/**
 * A keel master flooded with valid lower-priority adverts (and some malformed ones) from
 * another host: the hostile input that once had it answer every packet with an advert,
 * a GARP burst and a log line, starve its other instance's adverts (its backup took
 * over), drop an event subscriber that was reading, and leave `keel status` without an
 * answer for seconds.
 *
 *   h1: keel, MASTER of VI_1 (VRID 51, flooded) and VI_2 (VRID 52)
 *   h2: keel, BACKUP of both; captures h1's adverts
 *   h3: the flooder (fixtures/lower-prio-flood.ts): a fixed number of frames at a fixed
 *       rate, to h1's MAC only (h2 is not flooded: its view of h1 is the measurement)
 *
 * Phase 1, a short flood: the `keel status` CLI answers under it. Phase 2, the measured
 * flood: VI_1 is put in FAULT under it (track_file) and a subscriber that reads must
 * see that transition. Every bound is about the protocol, scaled by the flood's measured
 * duration, never by the machine's speed (the flooder starts at an agreed moment, and no
 * process is started during it): at most two VI_1 adverts per advert interval
 * (the periodic one and one answer, src/vrrp/instance.ts answerLimited), VI_2's adverts
 * never further apart than its backup's Master_Down_Interval less one advert interval
 * (one more lost advert would still not make it take over), control-socket replies at
 * once as a rule and never later than that same bound.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/control/client";
import type { Event, Status } from "../../src/control/protocol";
import { KEEL, Lab, ensureKeel, instance, masterDownMs } from "./harness";

/**
 * The flood: FLOOD frames at RATE a second (10 s), one in BAD_EVERY malformed (bad TTL,
 * bad checksum, unknown VRID in turn). 5,000 a second is more than the daemon handles on
 * a loaded 2-core machine (it is CPU-bound, the kernel drops the rest): hostile enough,
 * without a sender spinning at full speed that takes the CPU from everyone else.
 */
const FLOOD = Number(process.env.KEEL_FLOOD_FRAMES ?? 50_000);
const RATE = Number(process.env.KEEL_FLOOD_RATE ?? 5_000);
const BAD_EVERY = 4;
/**
 * A short flood first: a fresh process's first seconds on a hot path include its JIT
 * compiling it, which on a starved machine stalled the daemon once for ~2 s (seen in
 * madvise_lock, load 18 on 2 cores) and never again after. Not what this test measures.
 */
const WARM_UP = 5_000;

describe("a master under a flood of lower-priority adverts", () => {
  let lab: Lab;
  // building keel and three namespaces take longer than bun's 5 s hook default when loaded
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1", "h2", "h3"]);
  }, 120_000);
  afterAll(() => lab?.destroy());

  test("answers and logs bounded, VI_2 on time, its backup stays, subscribers kept, status answers", async () => {
    const trackFile = `${lab.dir}/vi1-fault`;
    writeFileSync(trackFile, "0\n");
    const global = `global_defs {\n  router_id flood\n}\ntrack_file vi1_fault {\n  file ${trackFile}\n  weight 0\n}\n`;
    const conf = (prio: number) =>
      global +
      instance({
        name: "VI_1",
        vrid: 51,
        priority: prio,
        vips: ["10.99.0.100/32"],
        extra: ["track_file {", "  vi1_fault", "}"],
      }) +
      instance({ name: "VI_2", vrid: 52, priority: prio, vips: ["10.99.0.101/32"] });
    const h1 = lab.keel("h1", conf(150));
    await h1.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await h1.waitFor(/\(VI_2\) Entering MASTER STATE/, 15_000);
    const h2 = lab.keel("h2", conf(100));
    await h2.waitFor(/\(VI_2\) Entering BACKUP STATE/, 15_000);
    const sock = `${lab.tmpdir("h1")}/keel-0.sock`;

    // a subscriber that reads everything, and notices if the daemon hangs up on it
    const events: Event[] = [];
    let hungUp = false;
    let buf = "";
    const sub = await Bun.connect({
      unix: sock,
      socket: {
        data(_s, chunk) {
          buf += chunk.toString();
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const v = JSON.parse(buf.slice(0, nl)) as Event | { ok: boolean };
            buf = buf.slice(nl + 1);
            if ("event" in v) events.push(v);
          }
        },
        close() {
          hungUp = true;
        },
      },
    });
    sub.write(`${JSON.stringify({ cmd: "subscribe" })}\n`);

    const flood = (frames: number, startAt = 0) =>
      lab.spawn("h3", [
        process.execPath,
        `${import.meta.dir}/fixtures/lower-prio-flood.ts`,
        "eth0",
        lab.ip("h3"),
        "02:99:00:00:00:0b", // h1's MAC (harness.ts)
        "51",
        "10.99.0.100",
        String(frames),
        String(BAD_EVERY),
        String(RATE),
        String(startAt),
      ]);
    const status = await connect(sock);
    // A status request with a bound: a daemon that stops answering (or dies) fails the test
    // with its state and last log lines, instead of a bare timeout of the whole test
    let h1Exit: number | undefined;
    void h1.exited.then((c) => {
      h1Exit = c;
    });
    const ask = () =>
      Promise.race([
        status.request({ cmd: "status" }),
        Bun.sleep(30_000).then(() => {
          const last = h1.lines.slice(-30).map((l) => l.text);
          throw new Error(
            `h1 gave no status reply within 30 s (${h1Exit === undefined ? "still running" : `exited ${h1Exit}`}); last lines:\n${last.join("\n")}`,
          );
        }),
      ]);
    const received = async () => {
      const r = await ask();
      return r.ok ? ((r.result as Status).instances.find((i) => i.name === "VI_1")?.advertsReceived ?? 0) : 0;
    };
    /** until VI_1 has counted adverts past `n` (what proves the flood is arriving) */
    const arriving = async (n: number) => {
      for (let i = 0; i < 300 && (await received()) <= n; i++) await Bun.sleep(100);
    };

    // phase 1, the short flood: the CLI answers under it. Starting a process (this 94 MB
    // binary, a bun) on a loaded 2-core machine stalled the flooded daemon for 2-3 s in
    // the kernel (seen in madvise_lock), which no daemon can help: the adverts are
    // measured in phase 2, with no process started during it
    const warm = flood(WARM_UP);
    await arriving(await received());
    const cli = Bun.spawn([KEEL, "status", "--json", "--control-socket", sock], { stdout: "pipe", stderr: "pipe" });
    const cliStart = performance.now();
    const cliOut = await new Response(cli.stdout).text();
    const cliMs = performance.now() - cliStart;
    expect(await cli.exited).toBe(0);
    expect((JSON.parse(cliOut) as Status).instances.map((i) => i.name).sort()).toEqual(["VI_1", "VI_2"]);
    await warm.waitFor(/"sent"/, 60_000);
    await Bun.sleep(1_000);

    // phase 2, the measured flood
    const cap = await lab.capture("h2", `ip proto 112 and src host ${lab.ip("h1")}`);
    // the flooder starts 3 s from now, ready by then: starting a process is not part of it
    const startedAt = Date.now() + 3_000;
    const flooder = flood(FLOOD, startedAt);
    await Bun.sleep(startedAt - Date.now());
    const m1 = h1.lines.length;
    const startedMono = performance.now();
    let flooding = true;
    void flooder.exited.then(() => {
      flooding = false;
    });

    // this process's own timer lateness, for the report: a stall of the whole machine
    // shows here too, one of the daemon's alone does not
    let lagMax = 0;
    let lagAt = 0;
    let tick = performance.now();
    const lagTimer = setInterval(() => {
      const now = performance.now();
      if (now - tick - 50 > lagMax) {
        lagMax = now - tick - 50;
        lagAt = Date.now() - startedAt;
      }
      tick = now;
    }, 50);

    // `keel status` over the control socket, every 100 ms while the flood lasts
    const latencies: number[] = [];
    const latencyAt: number[] = [];
    const probe = (async () => {
      while (flooding) {
        const t = performance.now();
        const r = await ask();
        latencies.push(performance.now() - t);
        latencyAt.push(Date.now());
        expect(r.ok).toBe(true);
        await Bun.sleep(100);
      }
    })();

    // VI_1 goes to FAULT (track_file) half-way through the flood, as the flooder counts
    // it: the subscriber must get that transition
    await flooder.waitFor(/"half"/, 120_000);
    const faultAt = Date.now();
    writeFileSync(trackFile, "1\n");
    // a starved event loop never gets to the file watcher: note it, assert it below
    const faulted = await h1.waitFor(/\(VI_1\) Entering FAULT STATE/, 20_000, m1).then(
      () => true,
      () => false,
    );
    const faultDuringFlood = faulted && flooding;
    const reportLine = await flooder.waitFor(/"sent"/, 180_000);
    await flooder.exited;
    await probe;
    clearInterval(lagTimer);
    const endedAt = Date.now();
    const endedMono = performance.now();
    const e1 = h1.lines.length;
    const report = JSON.parse(reportLine.text) as { sent: number; failed: number; ms: number };
    // the subscriber reads on: let the last events and adverts arrive
    await Bun.sleep(1_500);
    const pcap = await cap.stop();
    status.close();

    const floodS = (endedAt - startedAt) / 1000;
    const rows = lab
      .tshark(pcap, "vrrp", ["frame.time_epoch", "vrrp.virt_rtr_id"])
      .map(([t, v]) => ({ t: Number(t) * 1000, vrid: Number(v) }));
    const vi1 = rows.filter((r) => r.vrid === 51 && r.t >= startedAt && r.t <= faultAt);
    const vi2 = rows.filter((r) => r.vrid === 52 && r.t >= startedAt - 1_000 && r.t <= endedAt + 1_000).map((r) => r.t);
    const gaps = vi2.slice(1).map((t, k) => t - vi2[k]!);
    const maxGap = Math.max(0, ...gaps);
    const gapAt = vi2[gaps.indexOf(maxGap)] ?? 0;
    const slowAt = latencyAt[latencies.indexOf(Math.max(...latencies))] ?? 0;
    const lines = e1 - m1;
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? -1);
    console.log(
      [
        `flood: ${report.sent} frames (${report.failed} refused) in ${report.ms} ms`,
        `(${Math.round(report.sent / (report.ms / 1000))}/s); test window ${floodS.toFixed(1)} s;`,
        `VI_1 adverts until FAULT: ${vi1.length} in ${((faultAt - startedAt) / 1000).toFixed(1)} s;`,
        `VI_2 adverts ${vi2.length}, max gap ${Math.round(maxGap)} ms; h1 log lines ${lines}; events ${events.length};`,
        `status p50 ${q(0.5)} p99 ${q(0.99)} max ${q(1)} ms over ${latencies.length}; CLI ${Math.round(cliMs)} ms;`,
        `FAULT during flood: ${faultDuringFlood}; (ms from flood start: FAULT ${faultAt - startedAt},`,
        `max gap from ${Math.round(gapAt - startedAt)}, slowest status ${slowAt - startedAt});`,
        `this process's timers late by up to ${Math.round(lagMax)} ms (at ${lagAt})`,
      ].join(" "),
    );
    const why = `\nh1:\n${h1.lines
      .slice(m1, m1 + 60)
      .map((l) => l.text)
      .join("\n")}`;

    expect(report.sent).toBeGreaterThan(FLOOD / 2);
    // keepalived's line for an answer, with the count left unanswered since the last one
    const answer =
      /\(VI_1\) Received advert from 10\.99\.0\.13 with lower priority 50, ours 150, forcing new election \(\d+ more/;
    expect(
      h1.lines.some((l) => answer.test(l.text)),
      why,
    ).toBe(true);
    // answers to the flooder: per advert interval (1 s) the periodic advert and at most one answer
    const vi1S = (faultAt - startedAt) / 1000;
    expect(vi1.length, why).toBeLessThanOrEqual(2 * (Math.ceil(vi1S) + 1));
    // VI_2 kept its rhythm: no gap its backup could mistake for a dead master, with one
    // advert interval to spare
    expect(vi2.length).toBeGreaterThanOrEqual(Math.floor(floodS) - 1);
    expect(maxGap, why).toBeLessThan(masterDownMs(1, 100) - 1_000);
    const takeovers = h2.lines.filter(
      (l) => l.t >= startedMono && l.t <= endedMono + 1_500 && /\(VI_2\) Entering MASTER/.test(l.text),
    );
    expect(takeovers.map((l) => l.text)).toEqual([]);
    // the log: per second a few answer and GARP lines, rate-limited rx errors, the FAULT
    expect(lines, why).toBeLessThanOrEqual(10 * (Math.ceil(floodS) + 2) + 50);
    // the subscriber that reads was kept and saw the transition made under the flood
    expect(faulted).toBe(true);
    expect(hungUp).toBe(false);
    expect(h1.lines.some((l) => l.text.includes("stopped reading"))).toBe(false);
    expect(events.find((e) => e.event === "transition" && e.instance === "VI_1" && e.to === "FAULT")).toMatchObject({
      from: "MASTER",
      reason: "track-fault",
    });
    // rx errors arrive aggregated, with their counts
    const rx = events.filter((e) => e.event === "rx-error");
    expect(rx.length).toBeGreaterThan(0);
    expect(rx.length).toBeLessThanOrEqual(3 * (Math.ceil(floodS) + 3));
    // the control socket answered all along, never later than the daemon may be late with
    // an advert (VI_2's bound above); the CLI answered too (above). How fast it answers as a
    // rule (p50, printed above) is a speed, not a rule: 167 ms at a load average of 20
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(masterDownMs(1, 100) - 1_000);
    sub.end();
  }, 240_000);
});
