/**
 * What auth_hmac costs per advert (src/vrrp/auth-hmac.ts): CPU time (process.cpuUsage,
 * user + system, not wall clock) of N signs (advertPackets with a trailer) and N verifies
 * (decodeReceived + HmacState.verify), against N plain adverts encoded and decoded.
 *
 *   bun bench/vrrp/auth-hmac.ts [N=20000]
 */
import { HmacState } from "../../src/vrrp/auth-hmac";
import { decodeReceived } from "../../src/vrrp/receive";
import { advertPackets } from "../../src/vrrp/transmit";
import type { AdvertOut } from "../../src/vrrp/types";

const N = Number(process.argv[2] ?? 20_000);
const key = new Uint8Array(32).map((_, i) => i);
const params = { keys: [{ id: 1, key }], activeKey: 1, antiReplayTime: true, timeWindow: 5, mode: "enforce" as const };
const base: AdvertOut = {
  instance: "VI_1",
  family: 4,
  version: 3,
  vrid: 51,
  priority: 150,
  advertIntCs: 100,
  addresses: ["192.0.2.100", "192.0.2.101"],
  destinations: ["224.0.0.18"],
  unicast: false,
  ipId: 1,
  seq: 0,
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const T0 = Date.UTC(2026, 0, 1);

function run(label: string, hmac: boolean): void {
  const sender = hmac ? new HmacState(params) : undefined;
  const receiver = hmac ? new HmacState(params) : undefined;
  const advert = { ...base, hmac: sender };
  let t = cpu();
  const pkts: Uint8Array[] = [];
  for (let i = 0; i < N; i++) pkts.push((advertPackets(advert, "192.0.2.1", T0 + i)[0] as { data: Uint8Array }).data);
  const send = cpu() - t;
  t = cpu();
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const got = decodeReceived(
      { ifname: "eth0", family: 4, data: pkts[i] as Uint8Array, wallMs: T0 + i },
      undefined,
      hmac,
    );
    if (!got.ok) continue;
    if (!receiver) ok++;
    else if (receiver.verify(got.value.hmac, 4, 3, 51, got.value.from, undefined)?.ok) ok++;
  }
  const recv = cpu() - t;
  console.log(
    `${label}: send ${((send * 1000) / N).toFixed(2)} µs/advert, receive ${((recv * 1000) / N).toFixed(2)} µs/advert (CPU), ${ok}/${N} accepted`,
  );
}

for (let round = 0; round < 2; round++) {
  run("plain   ", false);
  run("auth_hmac", true);
}
