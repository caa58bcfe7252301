/**
 * GARP pacing (vrrp_garp_interval) against Debian's keepalived 2.2.7: the same config,
 * one master with 100 VIPs, its takeover burst captured on its own interface with
 * dumpcap and read with tshark, first keepalived, then keel.
 *
 * What both must show (keepalived vrrp_arp.c / vrrp_scheduler.c vrrp_arp_thread, the
 * rules at the top of src/vrrp/garp-pacer.ts): garp_master_repeat 5 rounds over 100
 * VIPs leave as 101 ARPs, not 500 (an address waits at most once), in VIP list order
 * with the first VIP twice, and no two closer than the interval. Counts, order and the
 * smallest gap: nothing here depends on how fast the machine is, only how slow it may be.
 *
 * The smallest-gap margin: the capture's timestamp is taken inside the sender's sendto
 * (AF_PACKET → dev_queue_xmit → the packet tap, on a veth with no queue), and both
 * daemons set the next allowed time after sendto returns, so a gap can fall short of the
 * interval only by the skew between the kernel's stamp and the daemon's clock reading:
 * microseconds. GAP_MARGIN_MS is that with room, far below the interval (an unpaced
 * burst has gaps of microseconds).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, ensureKeel, eventually, instance } from "../netns/harness";

const N = 100;
const INTERVAL_MS = 20;
const GAP_MARGIN_MS = 1;
const VIPS = Array.from({ length: N }, (_, i) => `10.99.1.${i + 1}`);
const CONF = `global_defs {
  router_id garp
  vrrp_garp_interval ${INTERVAL_MS / 1000}
  vrrp_garp_master_delay 0
}
${instance({ state: "MASTER", priority: 100, vips: VIPS.map((v) => `${v}/32`) })}`;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  lab = Lab.create(["h1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface Burst {
  addresses: string[];
  gapsMs: number[];
}

/** Start `kind` as master, capture its takeover burst until `expected` ARPs, stop it. */
async function burst(kind: "keel" | "keepalived", expected: number): Promise<Burst> {
  const cap = await lab.capture("h1", "arp");
  const proc = kind === "keel" ? lab.keel("h1", CONF) : lab.keepalived("h1", CONF);
  await proc.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
  // the burst takes N × interval at least; wait for it, however slow the machine
  const pcapSoFar = () => lab.tshark(cap.path, "arp", ["frame.number"]).length;
  await eventually(() => pcapSoFar() >= expected, 60_000, 200);
  proc.kill("SIGTERM");
  await proc.exited;
  const pcap = await cap.stop();
  const rows = lab.tshark(pcap, "arp.src.proto_ipv4 == 10.99.1.0/24", ["frame.time_epoch", "arp.src.proto_ipv4"]);
  const times = rows.map(([t]) => Number(t) * 1000);
  return {
    addresses: rows.map(([, a]) => a as string),
    gapsMs: times.slice(1).map((t, i) => t - (times[i] as number)),
  };
}

describe("vrrp_garp_interval: a 100-VIP takeover burst, keepalived and keel", () => {
  const expected = ["10.99.1.1", ...VIPS];
  const bursts: Partial<Record<"keel" | "keepalived", Burst>> = {};

  for (const kind of ["keepalived", "keel"] as const)
    test(`${kind}: 101 ARPs in VIP order, none closer than ${INTERVAL_MS} ms`, async () => {
      const b = await burst(kind, expected.length);
      bursts[kind] = b;
      expect(b.addresses).toEqual(expected);
      const min = Math.min(...b.gapsMs);
      const sorted = [...b.gapsMs].sort((x, y) => x - y);
      console.log(
        `${kind}: ${b.addresses.length} ARPs, gap min ${min.toFixed(2)} ms, median ${sorted[sorted.length >> 1]?.toFixed(2)} ms, max ${sorted.at(-1)?.toFixed(2)} ms`,
      );
      expect(min).toBeGreaterThanOrEqual(INTERVAL_MS - GAP_MARGIN_MS);
    }, 120_000);

  test("keel's burst is keepalived's: the same addresses in the same order", () => {
    expect(bursts.keel?.addresses).toEqual(bursts.keepalived?.addresses);
  });
});
