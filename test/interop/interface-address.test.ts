/**
 * An interface's own addresses, against Debian's keepalived 2.2.7, each daemon in its own
 * namespace on the same configuration (both with -D):
 * - dum0's only IPv4 address is VI_1's VIP (as a crash leaves it): keepalived drops VIPs
 *   from an interface's addresses at start (vrrp.c remove_residual_vips) and VI_1 starts
 *   in FAULT, "(VI_1) entering FAULT state (no IPv4 address for interface)"
 *   (vrrp_track.c initialise_vrrp_tracking_priorities);
 * - keepalived_netlink.c netlink_if_address_filter's -D lines: "Assigned address A for
 *   interface I" for the first address of an interface its instances track (at start, as
 *   it reads them, the VIP among them; later when it had none) and "Deassigned address A
 *   from interface I" when the last goes, with the instance's state line after each;
 * - dum1 has two addresses: the first going is silent (the other one is taken), the second
 *   is "Deassigned" and FAULT.
 * Compared line for line: those lines and the state lines, each step from where it began.
 * The instances' advert_int (10 s, Master_Down 30 s) keeps them BACKUP through the steps.
 * At start VI_1 then gets vrrp.c vrrp_complete_init's "(VI_1) entering FAULT state" and no
 * "(init)" line, VI_2 its "(VI_2) Entering BACKUP STATE (init)" (start-fault.test.ts has
 * the other causes).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
const instance = (name: string, ifname: string, vrid: number, vip: string) => `vrrp_instance ${name} {
  state BACKUP
  interface ${ifname}
  virtual_router_id ${vrid}
  priority 100
  advert_int 10
  virtual_ipaddress {
    ${vip}
  }
}
`;
const CONF = `global_defs {
  router_id ifaddr
}
${instance("VI_1", "dum0", 83, "192.168.79.83/24")}${instance("VI_2", "dum1", 84, "192.168.80.83/24")}`;

const WATCHED =
  /^(Assigned address .*|Deassigned address .*|\(VI_\d\) entering FAULT state( \(no IPv4 address for interface\))?|\(VI_\d\) Entering (BACKUP|MASTER|FAULT) STATE( \(init\))?)$/;

let lab: Lab;
const procs: Record<string, Proc> = {};

function watched(h: string, from: number): string[] {
  return procs[h]!.lines.slice(from)
    .map((l) => bare(l.text))
    .filter((t) => WATCHED.test(t));
}

/** Run `cmds` in both hosts, wait for `until` in both, then the watched lines since must be the same. */
async function step(cmds: string[][], until: RegExp): Promise<string[]> {
  const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
  for (const h of HOSTS) for (const c of cmds) lab.exec(h, c);
  for (const h of HOSTS) await procs[h]!.waitFor(until, 30_000, from[h]);
  const ka = watched("ka", from.ka!);
  expect(watched("keel", from.keel!)).toEqual(ka);
  return ka;
}

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS)
    for (const [ifname, addrs] of [
      ["dum0", ["192.168.79.83/24"]],
      ["dum1", ["192.168.80.2/24", "192.168.81.2/24"]],
    ] as const) {
      lab.exec(h, ["ip", "link", "add", ifname, "type", "veth", "peer", "name", `${ifname}p`]);
      for (const a of addrs) lab.exec(h, ["ip", "addr", "add", a, "dev", ifname]);
      lab.exec(h, ["ip", "link", "set", `${ifname}p`, "up"]);
      lab.exec(h, ["ip", "link", "set", ifname, "up"]);
    }
  procs.ka = lab.keepalived("ka", CONF);
  procs.keel = lab.keel("keel", CONF);
  for (const h of HOSTS) await procs[h]!.waitFor(/Startup complete/, 30_000);
  for (const h of HOSTS) await procs[h]!.waitFor(/\(VI_2\) Entering BACKUP STATE \(init\)/, 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("an interface's own addresses, beside keepalived 2.2.7", () => {
  test("start: the VIP is no address of dum0, VI_1 is in FAULT (no (init) line); the first addresses are 'Assigned'", () => {
    const ka = watched("ka", 0);
    expect(ka).toEqual([
      "Assigned address 192.168.79.83 for interface dum0",
      "Assigned address 192.168.80.2 for interface dum1",
      "(VI_1) entering FAULT state (no IPv4 address for interface)",
      "(VI_1) entering FAULT state",
      "(VI_2) Entering BACKUP STATE (init)",
    ]);
    expect(watched("keel", 0)).toEqual(ka);
    // the VIP left on dum0 is gone (vrrp_restore_interface at start), from both
    for (const h of HOSTS) expect(lab.hasAddr(h, "192.168.79.83", "dum0")).toBe(false);
  });

  test("dum0 gets an address: 'Assigned', VI_1 up; it goes: 'Deassigned', FAULT", async () => {
    expect(
      await step([["ip", "addr", "add", "192.168.79.1/24", "dev", "dum0"]], /\(VI_1\) Entering BACKUP STATE/),
    ).toEqual(["Assigned address 192.168.79.1 for interface dum0", "(VI_1) Entering BACKUP STATE"]);
    expect(
      await step([["ip", "addr", "del", "192.168.79.1/24", "dev", "dum0"]], /\(VI_1\) Entering FAULT STATE/),
    ).toEqual(["Deassigned address 192.168.79.1 from interface dum0", "(VI_1) Entering FAULT STATE"]);
  }, 90_000);

  test("dum1 loses its first address (silently: the other is taken), then the other: 'Deassigned', FAULT", async () => {
    expect(
      await step(
        [
          ["ip", "addr", "del", "192.168.80.2/24", "dev", "dum1"],
          ["ip", "addr", "del", "192.168.81.2/24", "dev", "dum1"],
        ],
        /\(VI_2\) Entering FAULT STATE/,
      ),
    ).toEqual(["Deassigned address 192.168.81.2 from interface dum1", "(VI_2) Entering FAULT STATE"]);
  }, 90_000);
});
