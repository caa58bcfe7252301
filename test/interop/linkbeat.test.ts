/**
 * Link state against Debian's keepalived 2.2.7: interface_up_down_delays
 * (keepalived_netlink.c update_interface_flags). The same configuration runs under
 * keepalived in one namespace and keel in another, each alone on its VRID, on dum0 (one
 * end of a veth pair inside the namespace; taking the peer dum0p down takes dum0's carrier).
 *
 * - a down shorter than the down delay (the peer back up as soon as both daemons logged the
 *   deferred change) leaves both MASTER, and its timer is cancelled;
 * - a real down counts only after the delay: FAULT no sooner than DOWN_S after the carrier
 *   went (a lower bound holds on any machine), and an up only after the up delay.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const HOSTS = ["ka", "keel"] as const;
const DOWN_S = 6;
const UP_S = 2;
/** below DOWN_S / 2 the delays would be cut (vrrp.c check_debounce_timers: under 2 × advert_int) */
const ADVERT_S = 4;

const conf = (host: string, vrid: number) => `global_defs {
  router_id ${host}
}
interface_up_down_delays {
  dum0 ${DOWN_S} ${UP_S}
}
vrrp_instance VI_1 {
  state MASTER
  interface dum0
  virtual_router_id ${vrid}
  priority 200
  advert_int ${ADVERT_S}
  virtual_ipaddress {
    10.98.0.${vrid}/24
  }
}
`;

let lab: Lab;
const procs: Record<string, Proc> = {};
const ADDING = /dum0: Adding flags change from (0x[0-9a-f]+) to (0x[0-9a-f]+) delay by (\d+)/;

/** Each host's log length now: wait for what comes after. */
const marks = () => Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
const peer = (up: boolean) => {
  for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "dum0p", up ? "up" : "down"]);
};

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    lab.exec(h, ["ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum0p"]);
    lab.exec(h, ["ip", "addr", "add", "192.168.77.1/24", "dev", "dum0"]);
    lab.exec(h, ["ip", "link", "set", "dum0p", "up"]);
    lab.exec(h, ["ip", "link", "set", "dum0", "up"]);
  }
  procs.ka = lab.keepalived("ka", conf("ka", 61));
  procs.keel = lab.keel("keel", conf("keel", 62));
  await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("interface_up_down_delays", () => {
  let flapFrom: Record<string, number>;

  test("a down shorter than the delay: deferred as keepalived defers it, then no effect", async () => {
    flapFrom = marks();
    peer(false);
    const seen = await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(ADDING, 30_000, flapFrom[h])));
    peer(true);
    const [ka, keel] = seen.map((l) => ADDING.exec(l.text)!.slice(1));
    expect(keel).toEqual(ka!);
    expect(keel![2]).toBe(String(DOWN_S * 1_000_000));
  }, 60_000);

  test("a real down counts only after the down delay, in both (and the flap's timer never fired)", async () => {
    const t0 = performance.now();
    peer(false);
    const faults = await Promise.all(
      HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering FAULT STATE/, 60_000, flapFrom[h])),
    );
    for (const [i, h] of HOSTS.entries()) {
      // from the flap on, the first FAULT is the real down's, no sooner than the delay after it
      expect(faults[i]!.t - t0).toBeGreaterThanOrEqual(DOWN_S * 1000);
      expect(procs[h]!.text()).toContain("Netlink reports dum0 down");
    }
  }, 90_000);

  test("the up counts only after the up delay; MASTER again in both", async () => {
    const from = marks();
    const t0 = performance.now();
    peer(true);
    const ups = await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/Netlink reports dum0 up/, 30_000, from[h])));
    for (const l of ups) expect(l.t - t0).toBeGreaterThanOrEqual(UP_S * 1000);
    await Promise.all(HOSTS.map((h) => procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 60_000, from[h])));
  }, 90_000);
});
