/**
 * Split brain healed on a real segment (issue 18 "Seen on the wire"): two keel hosts and
 * an observer on one bridge; nft rules inside h2's namespace drop VRRP both ways (ARP
 * still flows, as behind a firewall that eats protocol 112), so h2 becomes master too.
 * The heal comes in both orders, each made certain by the rules rather than by timing:
 *
 * - winner hears first: h2's output opens first; h1 hears h2's master adverts (and answers
 *   them) while h2 still hears nothing; then h2's input opens and it yields.
 * - loser yields first: h2's input opens while its output lets VRRP out only after it
 *   has heard h1 (an nft set filled by h1's adverts), so nothing h2 sends as master gets
 *   out: the first h1 advert makes it yield, and its one yield advert is all h1 hears.
 *
 * In both, tshark on the observer shows h1's gratuitous ARP for the VIP after the heal;
 * h1 reports the dual master and its end on the control socket and in its metrics. In the
 * second order the one advert h1 hears is the one keel's default (higher_prio_send_advert)
 * makes the loser send: with keepalived's default the winner stays silent, which
 * test/sim/dual-master.test.ts shows over many heals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/control/client";
import type { Event, Explanation, Status } from "../../src/control/protocol";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually, instance, masterFirst, sh } from "./harness";

const VIP = "10.99.0.100";
const H1_MAC = "02:99:00:00:00:0b";
const METRICS = "127.0.0.1:9661";

const GLOBAL = "global_defs {\n  router_id test\n}\n";

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("nft")) throw new Error("nft (Debian package nftables) is needed to partition the namespaces");
  lab = Lab.create(["h1", "h2", "obs"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const PARTITION = `table inet keelsplit {
  chain in { type filter hook input priority 0; policy accept; ip protocol 112 drop; }
  chain out { type filter hook output priority 0; policy accept; ip protocol 112 drop; }
}
`;

interface Pair {
  h1: Proc;
  h2: Proc;
  sock: string;
}

/** h1 master (150) with metrics and a control socket, h2 backup (100); h1's start-up GARPs all sent. */
async function start(): Promise<Pair> {
  const sock = `${lab.dir}/h1-${Date.now()}.sock`;
  const { master: h1, backup: h2 } = await masterFirst(
    () => lab.keel("h1", GLOBAL + instance({ priority: 150 }), ["--metrics", METRICS, "--control-socket", sock]),
    () => lab.keel("h2", GLOBAL + instance({ priority: 100 })),
  );
  // the burst at takeover and the one garp_master_delay (5 s) later: no GARP of h1 is
  // scheduled after this, so one after the heal is the re-announce
  const garp = /\(VI_1\) Sending\/queueing gratuitous ARPs/;
  await h1.waitFor(garp, 10_000);
  await h1.waitFor(garp, 15_000, h1.lines.findIndex((l) => garp.test(l.text)) + 1);
  return { h1, h2, sock };
}

/** Partition h2 off (VRRP only) until it is MASTER too. */
async function split(p: Pair): Promise<void> {
  const from = p.h2.lines.length;
  lab.nft("h2", PARTITION);
  await p.h2.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, from);
}

async function stop(p: Pair): Promise<void> {
  p.h1.kill("SIGTERM");
  p.h2.kill("SIGTERM");
  await Promise.all([p.h1.exited, p.h2.exited]);
  lab.exec("h2", ["nft", "delete", "table", "inet", "keelsplit"], { allowFail: true });
}

/** After the heal: the h1 GARPs for the VIP and the h2 adverts seen by the observer. */
function wire(pcap: string, healedAt: number): { garps: number; h2Adverts: number[]; h1Adverts: number[] } {
  const after = `frame.time_epoch >= ${healedAt / 1000}`;
  const garps = lab.tshark(pcap, `arp && arp.src.proto_ipv4 == ${VIP} && eth.src == ${H1_MAC} && ${after}`, [
    "frame.time_epoch",
  ]).length;
  const adverts = (ip: string) =>
    lab
      .tshark(pcap, `vrrp && ip.src == ${ip} && vrrp.prio > 0 && ${after}`, ["frame.time_epoch"])
      .map((r) => Number(r[0]));
  return { garps, h2Adverts: adverts(lab.ip("h2")), h1Adverts: adverts(lab.ip("h1")) };
}

/** h1's view: the dual master's lines, its status and its counter. */
async function reported(p: Pair, from: number): Promise<void> {
  const h2ip = lab.ip("h2").replace(/\./g, "\\.");
  await p.h1.waitFor(
    new RegExp(`\\(VI_1\\) dual master: ${h2ip} is MASTER too with priority 100, ours 150`),
    10_000,
    from,
  );
  await p.h1.waitFor(
    new RegExp(`\\(VI_1\\) dual master with ${h2ip} over after [\\d.]+ s: ${h2ip} fell silent`),
    15_000,
    from,
  );
  const st = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", p.sock])) as Status;
  expect(st.instances[0]?.observed).toMatchObject({
    dualMasters: 1,
    dualMaster: {
      peer: lab.ip("h2"),
      peerPriority: 100,
      ourPriority: 150,
      over: { how: "peer-silent", winner: lab.ip("h1") },
    },
  });
  // keel explain says it too, in words
  const ex = JSON.parse(sh([KEEL, "explain", "VI_1", "--json", "--control-socket", p.sock])) as Explanation[];
  expect(ex[0]?.seen?.[0]).toMatch(
    new RegExp(
      `^last dual master: with ${h2ip} from \\d\\d:\\d\\d:\\d\\d to \\d\\d:\\d\\d:\\d\\d; ${h2ip} fell silent and I stayed MASTER$`,
    ),
  );
  const metrics = lab.exec("h1", [
    process.execPath,
    "-e",
    `console.log(await (await fetch('http://${METRICS}/metrics')).text())`,
  ]);
  expect(metrics).toContain("# TYPE keel_vrrp_dual_master_total counter");
  expect(metrics).toContain('keel_vrrp_dual_master_total{iname="VI_1",intf="eth0",vrid="51"} 1');
}

describe("split brain on the wire", () => {
  test("winner hears first: it answers the lower master, re-announces the VIP, reports the dual master", async () => {
    const p = await start();
    await split(p);
    const cap = await lab.capture("obs", "arp or ip proto 112");
    const from1 = p.h1.lines.length;
    const from2 = p.h2.lines.length;
    const healedAt = Date.now();
    lab.exec("h2", ["nft", "flush", "chain", "inet", "keelsplit", "out"]);
    await p.h1.waitFor(/\(VI_1\) Received advert from 10\.99\.0\.12 with lower priority 100, ours 150/, 10_000, from1);
    lab.exec("h2", ["nft", "delete", "table", "inet", "keelsplit"]);
    await p.h2.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from2);
    await reported(p, from1);
    const w = wire(await cap.stop(), healedAt);
    expect(w.garps).toBeGreaterThan(0);
    // h2's master adverts after the heal, and its yield advert
    expect(w.h2Adverts.length).toBeGreaterThanOrEqual(2);
    expect(lab.hasAddr("h2", VIP)).toBe(false);
    expect(lab.hasAddr("h1", VIP)).toBe(true);
    await stop(p);
  }, 120_000);

  /**
   * The loser-first heal: h2's input opens; its output lets one VRRP packet out, and only
   * once h2 has heard h1 (an nft set that h1's adverts fill), so nothing h2 sends as master
   * gets out. The first h1 advert makes h2 yield; the advert it sends as it yields is the
   * one packet out. (Should h2's advert timer fire in the instant between nft seeing h1's
   * advert and keel reading it, its last master advert would be that one packet: the same
   * bytes, answered the same way.)
   */
  test("loser yields first: its yield advert makes the winner re-announce the VIP and report the dual master", async () => {
    const p = await start();
    await split(p);
    const cap = await lab.capture("obs", "arp or ip proto 112");
    const from1 = p.h1.lines.length;
    const from2 = p.h2.lines.length;
    const healedAt = Date.now();
    lab.nft(
      "h2",
      `flush chain inet keelsplit in
flush chain inet keelsplit out
add set inet keelsplit heard { type ipv4_addr; flags dynamic, timeout; }
add rule inet keelsplit in ip protocol 112 ip saddr ${lab.ip("h1")} update @heard { ip daddr timeout 10s }
add rule inet keelsplit out ip protocol 112 ip daddr @heard limit rate 1/hour burst 1 packets accept
add rule inet keelsplit out ip protocol 112 drop
`,
    );
    await p.h2.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from2);
    // h1 heard h2's one advert as a lower master and answered it with GARPs
    await p.h1.waitFor(/\(VI_1\) Received advert from 10\.99\.0\.12 with lower priority 100, ours 150/, 10_000, from1);
    await p.h1.waitFor(/\(VI_1\) Sending\/queueing gratuitous ARPs/, 10_000, from1);
    lab.exec("h2", ["nft", "delete", "table", "inet", "keelsplit"]);
    await reported(p, from1);
    // seconds after the packets it must hold: dumpcap has written them out
    const w = wire(await cap.stop(), healedAt);
    // the order, from the wire: h2's only advert after the heal came after h1's first
    expect(w.h2Adverts.length).toBe(1);
    expect(w.h2Adverts[0] as number).toBeGreaterThan(w.h1Adverts[0] as number);
    expect(w.garps).toBeGreaterThan(0);
    expect(lab.hasAddr("h2", VIP)).toBe(false);
    expect(lab.hasAddr("h1", VIP)).toBe(true);
    await stop(p);
  }, 120_000);

  test("a VRID collision: another cluster's adverts on our VRID, with the VRIDs heard free named", async () => {
    const sock = `${lab.dir}/h1-collision.sock`;
    const h1 = lab.keel("h1", GLOBAL + instance({ priority: 150 }), ["--metrics", METRICS, "--control-socket", sock]);
    await h1.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const c = await connect(sock);
    const events: Event[] = [];
    c.onEvent((e) => events.push(e));
    expect((await c.request({ cmd: "subscribe" })).ok).toBe(true);
    // another cluster: VRID 52 of its own, and VRID 51 (ours) with another VIP, higher priority
    const other =
      GLOBAL +
      // 250: its Master_Down_Interval is ~200 ms shorter, so VRID 52 is heard before 51
      instance({ name: "OTHER_52", vrid: 52, priority: 250, vips: ["10.99.0.152/32"] }) +
      instance({ name: "OTHER_51", vrid: 51, priority: 200, vips: ["10.99.0.200/32"] });
    const h2 = lab.keel("h2", other);
    const line = await h1.waitFor(
      /\(VI_1\) foreign advert from 10\.99\.0\.12: vip-set \(VIPs 10\.99\.0\.200, ours 10\.99\.0\.100\); VRIDs heard free here: 1-50,53-255/,
      20_000,
    );
    expect(line.text).toBeDefined();
    await h1.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    const lines = () => h1.lines.filter((l) => /foreign advert from/.test(l.text)).length;
    const st = await eventually(() => {
      const s = JSON.parse(sh([KEEL, "status", "--json", "--control-socket", sock])) as Status;
      const f = s.instances[0]?.observed?.foreign?.[0];
      return f !== undefined && f.count >= 3 && s;
    }, 20_000);
    // one line per kind per 10 s, however many adverts (h2 sends one a second)
    expect(lines()).toBeLessThan(st.instances[0]?.observed?.foreign?.[0]?.count as number);
    expect(st.instances[0]?.observed?.foreign?.[0]).toMatchObject({
      reason: "vip-set",
      from: lab.ip("h2"),
      detail: "VIPs 10.99.0.200, ours 10.99.0.100",
      freeVrids: "1-50,53-255",
    });
    const ex = JSON.parse(sh([KEEL, "explain", "VI_1", "--json", "--control-socket", sock])) as Explanation[];
    expect(ex[0]?.seen).toContainEqual(
      expect.stringMatching(
        /^foreign adverts from 10\.99\.0\.12: vip-set \(VIPs 10\.99\.0\.200, ours 10\.99\.0\.100\), \d+ times, last at \d\d:\d\d:\d\d; VRIDs heard free here: 1-50,53-255$/,
      ),
    );
    expect(events.find((e) => e.event === "observed")).toMatchObject({
      instance: "VI_1",
      kind: "foreign-advert",
      reason: "vip-set",
      from: lab.ip("h2"),
    });
    const metrics = lab.exec("h1", [
      process.execPath,
      "-e",
      `console.log(await (await fetch('http://${METRICS}/metrics')).text())`,
    ]);
    expect(metrics).toContain("# TYPE keel_vrrp_foreign_adverts_total counter");
    const n = Number(
      metrics.match(
        /keel_vrrp_foreign_adverts_total\{iname="VI_1",intf="eth0",vrid="51",reason="vip-set"\} (\d+)/,
      )?.[1],
    );
    expect(n).toBeGreaterThanOrEqual(3);
    c.close();
    h1.kill("SIGTERM");
    h2.kill("SIGTERM");
    await Promise.all([h1.exited, h2.exited]);
  }, 120_000);
});
