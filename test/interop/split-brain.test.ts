/**
 * keel's default higher_prio_send_advert (COMPATIBILITY.md "Defaults that differ") against
 * Debian's keepalived: a keel master that yields sends one advert at its own priority.
 *
 * - A healed split brain, keepalived the winner, keel the loser that hears it first: the
 *   yield advert reaches keepalived, which answers it as keepalived does any lower master
 *   (vrrp_state_master_rx: "forcing new election", garp_lower_prio_repeat GARPs): the
 *   VIP is re-announced, keepalived stays MASTER, keel BACKUP, nobody flaps.
 * - A keepalived backup beside a keel master that is preempted by another keel: it hears
 *   the yield advert (a valid advert above its own priority) and stays BACKUP.
 *
 * The partition is nft rules in keel's namespace (VRRP only, both ways); the loser-first
 * order comes from the rules (test/netns/split-brain.test.ts explains them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, instance, masterFirst } from "../netns/harness";
import { GLOBAL } from "./routers";

const VIP = "10.99.0.100";
/** Lab host h1's MAC (harness: 02:99:00:00:00:<11 + index>) */
const H1_MAC = "02:99:00:00:00:0b";
/** A bounded look at what follows: a flap would show as a transition within a few adverts. */
const QUIET_MS = 5_000;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("nft")) throw new Error("nft (Debian package nftables) is needed to partition the namespaces");
  lab = Lab.create(["h1", "h2", "h3"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

const TRANSITION = /\(VI_1\) Entering (MASTER|BACKUP|FAULT) STATE/;

function transitionsSince(p: Proc, from: number): string[] {
  return p.lines
    .slice(from)
    .filter((l) => TRANSITION.test(l.text))
    .map((l) => l.text.match(TRANSITION)?.[1] as string);
}

describe("keel's yield advert and keepalived", () => {
  test("split brain healed, keel loses and hears keepalived first: keepalived re-announces, nobody flaps", async () => {
    const { master: ka, backup: keel } = await masterFirst(
      () => lab.keepalived("h1", GLOBAL + instance({ priority: 150 })),
      () => lab.keel("h2", GLOBAL + instance({ priority: 100 })),
    );
    // keepalived's burst at takeover and the one garp_master_delay (5 s) later
    const garp = /\(VI_1\) Sending\/queueing gratuitous ARPs/;
    await ka.waitFor(garp, 10_000);
    await ka.waitFor(garp, 15_000, ka.lines.findIndex((l) => garp.test(l.text)) + 1);

    let from = keel.lines.length;
    lab.nft(
      "h2",
      `table inet keelsplit {
  chain in { type filter hook input priority 0; policy accept; ip protocol 112 drop; }
  chain out { type filter hook output priority 0; policy accept; ip protocol 112 drop; }
}
`,
    );
    await keel.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, from);

    const cap = await lab.capture("h3", "arp or ip proto 112");
    const kaFrom = ka.lines.length;
    from = keel.lines.length;
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
    await keel.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from);
    await ka.waitFor(/\(VI_1\) Received advert from 10\.99\.0\.12 with lower priority 100, ours 150/, 10_000, kaFrom);
    await ka.waitFor(garp, 10_000, kaFrom);
    lab.exec("h2", ["nft", "delete", "table", "inet", "keelsplit"]);
    const quietFrom = { ka: ka.lines.length, keel: keel.lines.length };
    await Bun.sleep(QUIET_MS);
    const pcap = await cap.stop();

    expect(transitionsSince(ka, kaFrom)).toEqual([]);
    expect(transitionsSince(keel, quietFrom.keel)).toEqual([]);
    expect(transitionsSince(ka, quietFrom.ka)).toEqual([]);
    expect(lab.hasAddr("h1", VIP)).toBe(true);
    expect(lab.hasAddr("h2", VIP)).toBe(false);
    const after = `frame.time_epoch >= ${healedAt / 1000}`;
    const garps = lab.tshark(pcap, `arp && arp.src.proto_ipv4 == ${VIP} && eth.src == ${H1_MAC} && ${after}`, [
      "frame.time_epoch",
    ]);
    expect(garps.length).toBeGreaterThan(0);
    // keel's one advert after the heal: the yield advert, at its own priority
    expect(lab.tshark(pcap, `vrrp && ip.src == ${lab.ip("h2")} && ${after}`, ["vrrp.prio"])).toEqual([["100"]]);
    keel.kill("SIGTERM");
    ka.killGroup("SIGTERM");
    await Promise.all([keel.exited, ka.exited]);
  }, 120_000);

  test("a keepalived backup hears a preempted keel master's yield advert and stays BACKUP", async () => {
    const { master: k1, backup: ka } = await masterFirst(
      () => lab.keel("h1", GLOBAL + instance({ priority: 150 })),
      () => lab.keepalived("h3", GLOBAL + instance({ priority: 100 })),
    );
    const kaFrom = ka.lines.length;
    const cap = await lab.capture("h3", "ip proto 112");
    const k1From = k1.lines.length;
    const k2 = lab.keel("h2", GLOBAL + instance({ priority: 200 }));
    await k2.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await k1.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, k1From);
    await Bun.sleep(QUIET_MS);
    const pcap = await cap.stop();
    expect(transitionsSince(ka, kaFrom)).toEqual([]);
    expect(lab.hasAddr("h3", VIP)).toBe(false);
    // on the wire: h1's yield advert at 150 after h2's first at 200 (and at most one
    // periodic advert of h1's that crossed h2's on the way), then h2 alone
    const rows = lab.tshark(pcap, "vrrp && vrrp.prio > 0", ["ip.src", "vrrp.prio"]);
    const first200 = rows.findIndex(([, p]) => p === "200");
    expect(first200).toBeGreaterThanOrEqual(0);
    const h1After = rows.slice(first200).filter(([src]) => src === lab.ip("h1"));
    expect(h1After.length).toBeGreaterThanOrEqual(1);
    expect(h1After.length).toBeLessThanOrEqual(2);
    for (const r of h1After) expect(r).toEqual([lab.ip("h1"), "150"]);
    for (const p of [k1, k2]) p.kill("SIGTERM");
    ka.killGroup("SIGTERM");
    await Promise.all([k1.exited, k2.exited, ka.exited]);
  }, 120_000);
});
