/**
 * Bench: the VRRP engine in virtual time.
 *  1. 1,000 instances (2 routers, 4 interfaces × 250 VRIDs, VRRPv3, advert_int 1) for
 *     one hour of virtual time through the simulator (real codec on every packet).
 *     Target: under 10 s of wall time.
 *  2. decode + process of one advert by a backup (VrrpRouter.handleAdvert: IPv4 header,
 *     VRRP decode, checksum, checks, timer reset). Target: under 5 µs.
 *
 *   npx bun bench/vrrp/engine.ts [--hours H]
 */
import { parseConf } from "../../src/config/parse";
import { memorySource } from "../../src/config/source";
import { VrrpRouter } from "../../src/vrrp/router";
import { advertPackets } from "../../src/vrrp/transmit";
import type { Action } from "../../src/vrrp/types";
import { Sim, globalDefs, vrrpInstance } from "../../test/sim/harness";

const hours = Number(process.argv[process.argv.indexOf("--hours") + 1]) || 1;
const IFS = ["eth0", "eth1", "eth2", "eth3"];

function conf(prio: number): string {
  const blocks: string[] = [];
  for (const ifname of IFS)
    for (let vrid = 1; vrid <= 250; vrid++)
      blocks.push(vrrpInstance({ name: `VI_${ifname}_${vrid}`, vrid, ifname, priority: prio, vips: [`10.${IFS.indexOf(ifname)}.${vrid}.1/32`] }));
  return `${globalDefs(3)}\n${blocks.join("\n")}`;
}

// 1. the simulation
{
  const sim = new Sim({ seed: 1 });
  sim.recordAdverts = false; // per-advert records are for assertions, not for timing
  sim.add({ name: "a", conf: conf(150), interfaces: IFS });
  sim.add({ name: "b", conf: conf(100), interfaces: IFS });
  const t0 = performance.now();
  sim.runUntil(hours * 3_600_000);
  const wall = performance.now() - t0;
  const sent = sim.counts.sent;
  const masters = sim.node("a").router?.instances ? [...(sim.node("a").router?.instances.values() ?? [])].filter((i) => i.state === "MASTER").length : 0;
  if (masters !== IFS.length * 250) throw new Error(`expected a to be master of every instance, got ${masters}`);
  console.log(
    `sim: ${IFS.length * 250} instances x ${hours} h virtual: ${(wall / 1000).toFixed(2)} s wall (target < 10 s: ${wall < 10_000 * hours ? "OK" : "MISSED"}), ` +
      `${sent} adverts, ${Math.round(sent / (wall / 1000))} adverts/s simulated`,
  );
}

// 2. decode + process of one advert
{
  const text = `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}`;
  const r = parseConf("/b.conf", { source: memorySource({ "/b.conf": text }), host: { interfaceExists: () => true } });
  const router = new VrrpRouter(r.config, { interfaceAddress: () => "10.0.0.2" });
  router.start(0);
  router.pollActions();
  const advert: Action = {
    type: "send-advert",
    advert: { instance: "VI_1", ifname: "eth0", family: 4, version: 3, vrid: 1, priority: 150, advertIntCs: 100, addresses: ["192.168.1.1"], destinations: ["224.0.0.18"], unicast: false, ipId: 1, seq: 0 },
  };
  const [pkt] = advertPackets((advert as Extract<Action, { type: "send-advert" }>).advert, "10.0.0.1");
  if (!pkt) throw new Error("no packet");
  const rx = { ifname: "eth0", family: 4 as const, data: pkt.data };
  const n = 1_000_000;
  for (let i = 0; i < 50_000; i++) router.handleAdvert(rx, i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) router.handleAdvert(rx, 50_000 + i);
  const ns = ((performance.now() - t0) * 1e6) / n;
  const inst = router.instances.get("VI_1");
  if (inst?.state !== "BACKUP" || inst.stats.advert_rcvd < n) throw new Error("the adverts were not accepted");
  console.log(`decode+process: ${(ns / 1000).toFixed(3)} µs per advert (target < 5 µs: ${ns < 5000 ? "OK" : "MISSED"}) = ${Math.round(1e9 / ns).toLocaleString("en")} adverts/s on one core`);
}
