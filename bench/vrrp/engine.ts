/**
 * Bench (not a test): the VRRP engine at scale in virtual time, through the simulator
 * of test/sim/harness.ts with the real codec on every packet.
 *
 *  1. 1,000 instances on 2 nodes (2 interfaces × (250 IPv4 + 250 IPv6 VRIDs), VRRPv3,
 *     advert_int 1; a is master of half of them, b of the other half) for one hour of
 *     virtual time. Prints wall time (target < 10 s), simulator events/s, adverts/s.
 *  2. decode + process of one advert by a backup (VrrpRouter.handleAdvert: IPv4
 *     header, VRRP decode and checksum, the instance's checks, timer reset), for a
 *     1-instance router and for one routing among 1,000 instances (also with the actions
 *     taken after each advert, as the driver does). Target < 5 µs; prints the packet rate
 *     that implies on one core.
 *
 *   node_modules/.bin/bun bench/vrrp/engine.ts [--hours H]
 *
 * Exit status 1 if a target is missed (so CI can run it as a smoke check).
 */
import { VrrpRouter } from "../../src/vrrp/router";
import { advertPackets } from "../../src/vrrp/transmit";
import type { AdvertOut } from "../../src/vrrp/types";
import { Sim, configFromText, globalDefs, vrrpInstance } from "../../test/sim/harness";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) || d : d;
};
const hours = arg("--hours", 1);
const IFS = ["eth0", "eth1"];
const PER_FAMILY = 250;
let missed = false;

/** 1,000 instances; node a has priority 150 on even VRIDs, b on odd ones (the other side 100). */
function conf(node: "a" | "b"): string {
  const blocks: string[] = [];
  IFS.forEach((ifname, k) => {
    for (const family of [4, 6] as const) {
      for (let vrid = 1; vrid <= PER_FAMILY; vrid++) {
        const mine = (vrid % 2 === 0) === (node === "a");
        blocks.push(
          vrrpInstance({
            name: `VI_${ifname}_${family}_${vrid}`,
            ifname,
            vrid,
            family,
            priority: mine ? 150 : 100,
            vips: [family === 4 ? `10.${100 + k}.${vrid}.1/32` : `2001:db8:${k}::${vrid.toString(16)}`],
          }),
        );
      }
    }
  });
  return `${globalDefs(3)}\n${blocks.join("\n")}`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}

// ---------------------------------------------------------------------------
// 1. the simulation

{
  const sim = new Sim({ seed: 1, latencyMs: 0.2 });
  // the per-packet and per-action records are for assertions, not for timing
  sim.recordAdverts = false;
  sim.recordActions = false;
  const t0 = performance.now();
  const a = sim.add({ name: "a", conf: conf("a"), interfaces: IFS });
  const b = sim.add({ name: "b", conf: conf("b"), interfaces: IFS });
  const setup = performance.now() - t0;
  const instances = a.router!.instances.size;
  const t1 = performance.now();
  sim.runUntil(hours * 3_600_000);
  const wall = performance.now() - t1;
  const events = sim.counts.timer + sim.counts.packets + sim.counts.call;

  // every instance elected the right master and kept it for the whole hour
  let wrong = 0;
  for (const [name, ia] of a.router!.instances) {
    const ib = b.router!.instances.get(name)!;
    const want = ia.effectivePriority > ib.effectivePriority ? "a" : "b";
    const got =
      ia.state === "MASTER" && ib.state === "BACKUP" ? "a" : ib.state === "MASTER" && ia.state === "BACKUP" ? "b" : "?";
    if (got !== want) wrong++;
  }
  const flips = [a, b].reduce(
    (s, n) => s + [...n.router!.instances.values()].reduce((x, i) => x + i.stats.become_master, 0),
    0,
  );
  if (wrong > 0 || flips !== instances) {
    console.error(
      `sim: WRONG: ${wrong} instances without the expected master, ${flips} become_master (want ${instances})`,
    );
    missed = true;
  }
  const target = 10_000 * hours;
  if (wall >= target) missed = true;
  console.log(
    `sim: ${instances} instances on 2 nodes x ${hours} h of virtual time (config parse + start ${(setup / 1000).toFixed(2)} s)`,
  );
  console.log(
    `  wall ${(wall / 1000).toFixed(2)} s (target < ${target / 1000} s: ${wall < target ? "OK" : "MISSED"}), ${((hours * 3600_000) / wall).toFixed(0)}x real time`,
  );
  console.log(
    `  ${fmt(events)} events (${fmt(sim.counts.timer)} timer, ${fmt(sim.counts.packets)} packet batches) = ${fmt(events / (wall / 1000))} events/s; ` +
      `${fmt(sim.counts.sent)} adverts sent, ${fmt(sim.counts.delivered)} delivered = ${fmt(sim.counts.delivered / (wall / 1000))} adverts/s through encode + decode + engine`,
  );
}

// ---------------------------------------------------------------------------
// 2. decode + process of one advert

function perAdvert(
  label: string,
  router: VrrpRouter,
  rxs: { ifname: string; family: 4 | 6; data: Uint8Array; src?: string; dst?: string; hopLimit?: number }[],
  /** take the actions after each advert, as the daemon's driver does (vrrp-driver.ts pump) */
  poll = false,
): void {
  const n = 1_000_000;
  const warm = 100_000;
  // warm-up (JIT), then timed; the clock advances 1 µs per advert so timers move as in real life
  for (let i = 0; i < warm; i++) router.handleAdvert(rxs[i % rxs.length]!, i / 1000);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    router.handleAdvert(rxs[i % rxs.length]!, (warm + i) / 1000);
    if (poll) router.pollActions();
  }
  const us = ((performance.now() - t0) * 1000) / n;
  router.pollActions();
  const accepted = [...router.instances.values()].reduce((s, i) => s + i.stats.advert_rcvd, 0);
  const backups = [...router.instances.values()].every((i) => i.state === "BACKUP");
  if (accepted < n || !backups) {
    console.error(`${label}: WRONG: ${accepted} adverts accepted of ${n + 100_000}, all backup: ${backups}`);
    missed = true;
  }
  if (us >= 5) missed = true;
  console.log(
    `  ${label}: ${us.toFixed(3)} µs per advert (target < 5 µs: ${us < 5 ? "OK" : "MISSED"}) = ${fmt(1e6 / us)} adverts/s on one core`,
  );
}

{
  console.log("decode + process of one advert (VrrpRouter.handleAdvert on a backup):");
  const host = { interfaceAddress: (_: string, f: 4 | 6) => (f === 4 ? "10.0.0.2" : "fe80::2") };
  const advert = (vrid: number, family: 4 | 6, ifname = "eth0", vip?: string): AdvertOut => ({
    instance: "x",
    ifname,
    family,
    version: 3,
    vrid,
    priority: 200,
    advertIntCs: 100,
    addresses: [vip ?? (family === 4 ? "192.168.1.1" : "2001:db8::1")],
    destinations: [family === 4 ? "224.0.0.18" : "ff02::12"],
    unicast: false,
    ipId: 1,
    seq: 0,
  });
  const rx = (ad: AdvertOut, src: string) => {
    const [pkt] = advertPackets(ad, src);
    if (!pkt) throw new Error("no packet");
    return ad.family === 4
      ? { ifname: ad.ifname ?? "eth0", family: 4 as const, data: pkt.data }
      : { ifname: ad.ifname ?? "eth0", family: 6 as const, data: pkt.data, src, dst: pkt.dst, hopLimit: 255 };
  };

  // one IPv4 instance
  const one4 = new VrrpRouter(
    configFromText(`${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}`, "bench"),
    host,
  );
  one4.start(0);
  perAdvert("IPv4, 1 instance      ", one4, [rx(advert(1, 4), "10.0.0.1")]);

  // one IPv6 instance (no IP header; the checksum covers the IPv6 pseudo-header)
  const one6 = new VrrpRouter(
    configFromText(`${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, family: 6 })}`, "bench"),
    host,
  );
  one6.start(0);
  perAdvert("IPv6, 1 instance      ", one6, [rx(advert(1, 6), "fe80::1")]);

  // 1,000 instances: the advert must first find its instance (interface, family, VRID)
  const big = new VrrpRouter(configFromText(conf("b").replaceAll("priority 150", "priority 100"), "bench"), host);
  big.start(0);
  // the adverts carry each instance's own VIP, so they pass the address check too
  const rxs = IFS.flatMap((ifname, k) =>
    ([4, 6] as const).flatMap((f) =>
      Array.from({ length: PER_FAMILY }, (_, i) => {
        const vrid = i + 1;
        const vip = f === 4 ? `10.${100 + k}.${vrid}.1` : `2001:db8:${k}::${vrid.toString(16)}`;
        return rx(advert(vrid, f, ifname, vip), f === 4 ? "10.0.0.1" : "fe80::1");
      }),
    ),
  );
  perAdvert("mixed, 1,000 instances", big, rxs);
  // issue 20: pollActions once visited every instance, so the driver's per-advert poll cost O(N)
  perAdvert("the same + pollActions ", big, rxs, true);
}

process.exit(missed ? 1 : 0);
