/**
 * Link state against Debian's keepalived 2.2.7: interface_up_down_delays
 * (keepalived_netlink.c update_interface_flags) on dum0 and linkbeat polling (vrrp_if.c
 * if_linkbeat_refresh_thread) on dum1. The same configuration runs under keepalived in one
 * namespace and keel in another, each alone on its VRIDs; dumN is one end of a veth pair
 * inside the namespace, and taking the peer dumNp down takes dumN's carrier.
 *
 * - a down shorter than the down delay (the peer back up as soon as both daemons logged the
 *   deferred change) leaves both MASTER, and its timer is cancelled;
 * - a real down counts only after the delay: FAULT no sooner than DOWN_S after the carrier
 *   went (a lower bound holds on any machine), and an up only after the up delay;
 * - `linkbeat_interfaces { dum1 MII }`: veth has no MII, so both fall back to ETHTOOL
 *   (ETHTOOL_GLINK) with keepalived's line; a carrier loss is seen by the poll ("Linkbeat
 *   reports", never "Netlink reports") and VI_2 goes to FAULT and back; the SIGUSR1 dump's
 *   interface lines (NIC method, debounce timers) are keepalived's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, KEEL, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";

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
linkbeat_interfaces {
  dum1 MII
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
vrrp_instance VI_2 {
  state MASTER
  interface dum1
  virtual_router_id ${vrid + 10}
  priority 200
  advert_int 1
  virtual_ipaddress {
    10.97.0.${vrid}/24
  }
}
`;

let lab: Lab;
const procs: Record<string, Proc> = {};
const ADDING = /dum0: Adding flags change from (0x[0-9a-f]+) to (0x[0-9a-f]+) delay by (\d+)/;

/** Each host's log length now: wait for what comes after. */
const marks = () => Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
const peer = (up: boolean, dev = "dum0") => {
  for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", `${dev}p`, up ? "up" : "down"]);
};

/** SIGUSR1's keepalived.data of a host, once written whole (it ends with the interfaces). */
async function dataDump(host: string): Promise<string[]> {
  const path = `${lab.tmpdir(host)}/keepalived.data`;
  await Bun.write(path, "");
  procs[host]!.kill("SIGUSR1");
  const text = await eventually(async () => {
    const t = await Bun.file(path).text();
    if (!t.includes(" Name = dum1")) throw new Error(`${host}: no dump yet`);
    return t;
  }, 20_000);
  return text.split("\n");
}

/** The lines of interface `name` in a dump that keel writes (keepalived writes more). */
function ifLines(lines: string[], name: string): string[] {
  const from = lines.indexOf(` Name = ${name}`);
  const to = lines.findIndex((l, i) => i > from && /^( Name = |------)/.test(l));
  return lines.slice(from, to < 0 ? undefined : to).filter((l) => /NIC |debounce timer|Name = /.test(l));
}

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS)
    for (const [i, dev] of ["dum0", "dum1"].entries()) {
      lab.exec(h, ["ip", "link", "add", dev, "type", "veth", "peer", "name", `${dev}p`]);
      lab.exec(h, ["ip", "addr", "add", `192.168.${77 + i}.1/24`, "dev", dev]);
      lab.exec(h, ["ip", "link", "set", `${dev}p`, "up"]);
      lab.exec(h, ["ip", "link", "set", dev, "up"]);
    }
  procs.ka = lab.keepalived("ka", conf("ka", 61));
  procs.keel = lab.keel("keel", conf("keel", 62));
  await Promise.all(
    HOSTS.flatMap((h) =>
      [1, 2].map((n) => procs[h]!.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 30_000)),
    ),
  );
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

describe("linkbeat_interfaces", () => {
  test("MII is not there on a veth: ETHTOOL, as keepalived falls back", () => {
    for (const h of HOSTS) {
      expect(procs[h]!.text()).toContain("(dum1): Configured linkbeat type MII not supported, using ETHTOOL");
      expect(procs[h]!.text()).toContain("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
    }
  });

  test("the SIGUSR1 dump shows the polling and the delays as keepalived's does", async () => {
    const [ka, keel] = await Promise.all(HOSTS.map((h) => dataDump(h)));
    for (const name of ["dum0", "dum1"]) expect(ifLines(keel!, name)).toEqual(ifLines(ka!, name));
    expect(ifLines(keel!, "dum1")).toContain("   NIC support ETHTOOL GLINK interface");
    expect(ifLines(keel!, "dum0")).toContain(`   Down debounce timer = ${DOWN_S * 1_000_000}us`);
  }, 60_000);

  test("a carrier loss seen by the poll: FAULT and back, as with keepalived", async () => {
    let from = marks();
    peer(false, "dum1");
    await Promise.all(
      HOSTS.map(async (h) => {
        await procs[h]!.waitFor(/Linkbeat reports dum1 down/, 30_000, from[h]);
        await procs[h]!.waitFor(/\(VI_2\) Entering FAULT STATE/, 30_000, from[h]);
      }),
    );
    from = marks();
    peer(true, "dum1");
    await Promise.all(
      HOSTS.map(async (h) => {
        await procs[h]!.waitFor(/Linkbeat reports dum1 up/, 30_000, from[h]);
        await procs[h]!.waitFor(/\(VI_2\) Entering MASTER STATE/, 30_000, from[h]);
      }),
    );
    // netlink's reports of a polled interface are ignored, in both
    for (const h of HOSTS) expect(procs[h]!.text()).not.toContain("Netlink reports dum1");
  }, 90_000);

  test("keel status shows how each link is followed", () => {
    const text = lab.exec("keel", [KEEL, "status", "--control-socket", `${lab.tmpdir("keel")}/keel-0.sock`]);
    expect(text).toContain("dum0: up, link from netlink; down delay 6s, up delay 2s");
    expect(text).toContain("dum1: up, link polled by ETHTOOL");
  });
});
