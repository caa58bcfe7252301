/**
 * Bench (root): advert send jitter of a master under load, with and without keepalived's
 * process settings (issue 16, "Timing under load"), keel beside keepalived in one run.
 *
 * A master sends VRRPv3 adverts every 100 ms on 5 instances (20 VIPs each); a peer
 * captures them (dumpcap) and each instance's send interval is compared with 100 ms:
 * |interval − 100 ms| at p50, p99 and max. Loads:
 *  - cpu: `stress-ng --cpu 2` (one hog per core of this 2-core machine) for the whole
 *    capture, in the host's namespace, SCHED_OTHER;
 *  - heap: 4 control-socket clients asking keel for `status` back to back (each reply
 *    is a fresh JSON object graph: the JavaScript heap churns and the collector runs).
 *    keepalived has no control socket: for it the row is the same master without that
 *    load (its heap is malloc's, which no collector pauses).
 * Settings: "plain" (none) or "rt": vrrp_rt_priority 50, vrrp_no_swap,
 * vrrp_rlimit_rttime 1000000 (keepalived's 10 ms default hard limit can SIGKILL a
 * JavaScript process during a major GC; the same value is given to both daemons).
 *
 *   node_modules/.bin/bun bench/vs-keepalived/sched-jitter.ts [--seconds S]
 */
import { connect } from "../../src/control/client";
import { Lab, type Proc, ensureKeel, instance } from "../../test/netns/harness";

const i = process.argv.indexOf("--seconds");
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 10;
const INSTANCES = 5;
const INTERVAL_MS = 100;
type Kind = "keel" | "keepalived";
type Load = "cpu" | "heap";
type Settings = "plain" | "rt";

function config(settings: Settings): string {
  const g = settings === "rt" ? ["vrrp_rt_priority 50", "vrrp_no_swap", "vrrp_rlimit_rttime 1000000"] : [];
  let c = `global_defs {\n  router_id bench\n${g.map((l) => `  ${l}\n`).join("")}}\n`;
  for (let n = 0; n < INSTANCES; n++)
    c += instance({
      name: `VI_${n}`,
      vrid: 10 + n,
      state: "MASTER",
      priority: 150,
      version: 3,
      advertInt: INTERVAL_MS / 1000,
      vips: Array.from({ length: 20 }, (_, v) => `10.99.${n + 1}.${v + 1}/32`),
    });
  return c;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** Back-to-back `status` requests on `clients` connections until stopped; returns the count. */
function hammer(sock: string, clients: number): { stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const loops = Array.from({ length: clients }, async () => {
    const c = await connect(sock);
    while (running) {
      const r = await c.request({ cmd: "status" });
      if (!r.ok) throw new Error(JSON.stringify(r));
      n++;
    }
    c.close();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return n;
    },
  };
}

interface Row {
  p50: number;
  p99: number;
  max: number;
  n: number;
  note: string;
}

async function measure(kind: Kind, load: Load, settings: Settings): Promise<Row> {
  const lab = Lab.create(["lb", "peer"]);
  try {
    const p: Proc = kind === "keel" ? lab.keel("lb", config(settings)) : lab.keepalived("lb", config(settings));
    for (let n = 0; n < INSTANCES; n++) await p.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 20_000);
    let stopLoad: () => Promise<string> = async () => "";
    if (load === "cpu") {
      const hog = Bun.spawn(["stress-ng", "--cpu", "2", "--timeout", `${SECONDS + 30}s`, "--quiet"], {
        stdout: "ignore",
        stderr: "ignore",
      });
      stopLoad = async () => {
        hog.kill("SIGTERM");
        await hog.exited;
        return "stress-ng --cpu 2";
      };
    } else if (kind === "keel") {
      const h = hammer(`${lab.tmpdir("lb")}/keel-0.sock`, 4);
      stopLoad = async () => `${((await h.stop()) / SECONDS).toFixed(0)} status/s`;
    } else stopLoad = async () => "no control socket: unloaded";
    const cap = await lab.capture("peer", "ip proto 112");
    await Bun.sleep(SECONDS * 1000);
    const pcap = await cap.stop();
    const note = await stopLoad();
    if (p.text().includes("too much CPU time") || (await Promise.race([p.exited, Bun.sleep(0)])) !== undefined)
      throw new Error(`${kind} hit its RLIMIT_RTTIME or died:\n${p.text().split("\n").slice(-5).join("\n")}`);
    const rows = lab.tshark(pcap, "vrrp", ["frame.time_epoch", "vrrp.virt_rtr_id"]);
    const last = new Map<string, number>();
    const dev: number[] = [];
    for (const [t, vrid] of rows) {
      const ms = Number(t) * 1000;
      const prev = last.get(vrid as string);
      if (prev !== undefined) dev.push(Math.abs(ms - prev - INTERVAL_MS));
      last.set(vrid as string, ms);
    }
    return { p50: pct(dev, 50), p99: pct(dev, 99), max: Math.max(...dev), n: dev.length, note };
  } finally {
    lab.destroy();
  }
}

ensureKeel();
console.log(
  `${SECONDS} s per row, ${INSTANCES} instances at advert_int ${INTERVAL_MS / 1000} s; |interval − ${INTERVAL_MS} ms|`,
);
for (const load of ["cpu", "heap"] as Load[])
  for (const kind of ["keel", "keepalived"] as Kind[])
    for (const settings of ["plain", "rt"] as Settings[]) {
      const label = `${load.padEnd(4)} ${kind.padEnd(10)} ${settings.padEnd(5)}`;
      try {
        const r = await measure(kind, load, settings);
        console.log(
          `${label} adverts ${String(r.n).padStart(4)}  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms  (${r.note})`,
        );
      } catch (e) {
        console.log(`${label} cannot run: ${(e as Error).message}`);
      }
    }
