/**
 * The signal dumps read the same: keel's and keepalived 2.2.7's SIGUSR1 keepalived.data
 * and SIGUSR2 keepalived.stats for the same instance, line for line on what keel writes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { Lab, ensureKeel, instance } from "../netns/harness";
import { GLOBAL, start } from "./routers";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1", "h2"]);
});
afterAll(() => lab?.destroy());

async function dump(
  host: string,
  proc: { kill(s: NodeJS.Signals | number): void },
  signal: NodeJS.Signals | number,
  file: string,
): Promise<string> {
  const path = `${lab.tmpdir(host)}/${file}`;
  proc.kill(signal);
  for (let i = 0; i < 100; i++) {
    await Bun.sleep(30);
    const f = Bun.file(path);
    if ((await f.exists()) && (await f.text()).length > 0) {
      await Bun.sleep(50);
      return await Bun.file(path).text();
    }
  }
  throw new Error(`no ${file} from ${host}`);
}

test("SIGUSR1 and SIGUSR2 files: keel's lines are keepalived's lines", async () => {
  // apart, so both are MASTER of the same instance
  lab.isolate("h1", true);
  lab.isolate("h2", true);
  // `debug 2`: keepalived 2.2.7's only use of it is the data dump's "Debug level" line
  const conf = GLOBAL + instance({ priority: 150, version: 3, extra: ["debug 2"] });
  const ka = start(lab, "keepalived", "h1", conf);
  const kl = start(lab, "keel", "h2", conf);
  await ka.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
  await kl.proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000);
  const kaData = (await dump("h1", ka.proc, "SIGUSR1", "keepalived.data")).split("\n");
  const klData = (await dump("h2", kl.proc, "SIGUSR1", "keepalived.data")).split("\n");
  // the instance section, without the lines that must differ (time, addresses of the host)
  const section = (lines: string[]) => {
    const from = lines.indexOf(" VRRP Instance = VI_1");
    const to = lines.findIndex((l, i) => i > from && /^(------| VRRP Instance)/.test(l));
    return lines
      .slice(from, to < 0 ? undefined : to)
      .filter((l) => l !== "" && !/Last transition|Using src_ip/.test(l));
  };
  const ours = section(klData);
  expect(ours.length).toBeGreaterThan(10);
  expect(ours).toContain("   Debug level = 2");
  const theirs = new Set(section(kaData));
  expect(
    ours.filter((l) => !theirs.has(l)),
    [...theirs].join("\n"),
  ).toEqual([]);
  const kaStats = await dump("h1", ka.proc, "SIGUSR2", "keepalived.stats");
  const klStats = await dump("h2", kl.proc, "SIGUSR2", "keepalived.stats");
  // the same lines in the same order; only the numbers may differ
  const shape = (t: string) => t.split("\n").map((l) => l.replace(/\d+/g, "N"));
  expect(shape(klStats)).toEqual(shape(kaStats));

  // the JSON signal (SIGRTMIN+2, keepalived --signum=JSON): the same keys, the same values
  // where they must agree
  const SIGJSON = 36;
  type Dump = { data: Record<string, unknown>; stats: Record<string, number> }[];
  const kaJson = JSON.parse(await dump("h1", ka.proc, SIGJSON, "keepalived.json")) as Dump;
  const klJson = JSON.parse(await dump("h2", kl.proc, SIGJSON, "keepalived.json")) as Dump;
  expect(Object.keys(klJson[0]!.data).sort()).toEqual(Object.keys(kaJson[0]!.data).sort());
  expect(Object.keys(klJson[0]!.stats).sort()).toEqual(Object.keys(kaJson[0]!.stats).sort());
  const same = [
    "iname",
    "vrid",
    "base_priority",
    "effective_priority",
    "state",
    "wantstate",
    "version",
    "adver_int",
    "vipset",
    "auth_type",
    "garp_delay",
    "garp_rep",
    "nopreempt",
    "ifp_ifname",
  ];
  const pick = (d: Record<string, unknown>) => Object.fromEntries(same.map((k) => [k, d[k]]));
  expect(pick(klJson[0]!.data)).toEqual(pick(kaJson[0]!.data));
  expect(kl.proc.text()).toContain("Printing VRRP as json on signal");
  // STATS_CLEAR (SIGRTMAX-1): the counters start again from zero
  kl.proc.kill(63);
  await kl.proc.waitFor(/Clearing VRRP stats on signal/, 3_000);
  const cleared = await dump("h2", kl.proc, "SIGUSR2", "keepalived.stats");
  expect(cleared).toContain("Became master: 0");
  for (const r of [ka, kl]) r.proc.kill("SIGTERM");
  await Promise.all([ka.proc.exited, kl.proc.exited]);
}, 40_000);

test("data_use_instance: keepalived.INSTANCE.data, as keepalived names it", async () => {
  const conf = `instance kx
global_defs {
  router_id named
  data_use_instance
}
${instance({ priority: 150, version: 3 })}`;
  for (const [host, kind] of [
    ["h1", "keepalived"],
    ["h2", "keel"],
  ] as const) {
    // the earlier tests' dumps
    for (const f of ["keepalived.data", "keepalived.kx.data"]) rmSync(`${lab.tmpdir(host)}/${f}`, { force: true });
    const r = start(lab, kind, host, conf);
    // the dump signals are handled from here on (both log it once their handlers are in place)
    await r.proc.waitFor(/Startup complete/, 10_000);
    const text = await dump(host, r.proc, "SIGUSR1", "keepalived.kx.data");
    expect(text).toContain("VRRP Topology");
    expect(await Bun.file(`${lab.tmpdir(host)}/keepalived.data`).exists()).toBe(false);
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }
}, 60_000);

test("state_dump_file and json_version 2 (keepalived 2.3+; 2.2.7 has neither): keel's file and layout", async () => {
  // keepalived 2.4.3's open_dump_file: the directory and name from state_dump_file, the
  // NAMESPACE_INSTANCE tag before the last dot; vrrp_json_dump's version 2 object
  const dir = `${lab.tmpdir("h2")}/state`;
  mkdirSync(dir, { recursive: true });
  const conf = `instance kx
global_defs {
  router_id named
  data_use_instance
  state_dump_file ${dir}/ka-state.txt
  json_version 2
}
vrrp_track_process nothing_here {
  process keel-no-such-process
  quorum 1
}
${instance({ priority: 150, version: 3 })}`;
  const r = start(lab, "keel", "h2", conf);
  await r.proc.waitFor(/Startup complete/, 10_000);
  const text = await dump("h2", r.proc, "SIGUSR1", "state/ka-state.kx.txt");
  expect(text).toContain(" VRRP Instance = VI_1");
  const json = JSON.parse(await dump("h2", r.proc, 36, "keepalived.json")) as {
    vrrp: { data: { iname: string } }[];
    track_process: Record<string, unknown>[];
  };
  expect(json.vrrp.map((i) => i.data.iname)).toEqual(["VI_1"]);
  expect(json.track_process).toEqual([
    expect.objectContaining({ process: "keel-no-such-process", current_processes: 0, have_quorum: false }),
  ]);
  r.proc.kill("SIGTERM");
  await r.proc.exited;
}, 30_000);
