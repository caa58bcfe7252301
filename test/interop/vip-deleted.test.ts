/**
 * A VIP or eVIP deleted under a MASTER by someone else (`ip addr del`), against Debian's
 * keepalived 2.2.7 (keepalived_netlink.c netlink_if_address_filter: address_is_ours, then
 * "If one of our VIPs/eVIPs has been deleted, transition to backup": set_vrrp_backup, a
 * priority-0 advert, BACKUP with a Master_Down of the skew time).
 *
 * keepalived runs in `ka`, keel in `keel`, each the MASTER (priority 200) of a VRID of its
 * own with a VIP and an eVIP; keepalived in `obs` runs the BACKUP side of both (priority
 * 100) and logs the priority-0 adverts it hears. Each daemon's notify FIFO is copied to a
 * file by a reader script. For each daemon, its VIP, then its eVIP, is deleted; compared:
 * the master's "Netlink reflector" (-D), state and VIP lines, obs's "Backup received
 * priority 0 advertisement", the FIFO lines, and who holds the addresses after (the master
 * again: its skew time, 56/256 s, ends before obs's, 156/256 s), and "(VI_1) sent 0
 * priority" (-D) after the state line (vrrp_state_leave_master, then vrrp_restore_interface).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, type Lab, type Proc, eventually, instance } from "../netns/harness";
import { HOSTS, type Host, fifoGlobals, fifoLab, fifoLines as linesOf } from "./fifo-lab";

const VRID: Record<Host, number> = { ka: 81, keel: 82 };
const vip = (h: Host) => `10.99.8.${VRID[h]}`;
const evip = (h: Host) => `10.99.9.${VRID[h]}`;

let lab: Lab;
let obs: Proc;
const procs: Partial<Record<Host, Proc>> = {};

const fifoLines = (h: Host) => linesOf(lab, h);

function masterConf(h: Host): string {
  return `${fifoGlobals(lab, h)}
${instance({
  state: "MASTER",
  vrid: VRID[h],
  priority: 200,
  vips: [`${vip(h)}/32`],
  extra: ["virtual_ipaddress_excluded {", `  ${evip(h)}/32`, "}"],
})}`;
}

function obsConf(): string {
  return `global_defs {\n  router_id obs\n}\n${HOSTS.map((h) =>
    instance({
      name: `VI_${VRID[h]}`,
      vrid: VRID[h],
      priority: 100,
      vips: [`${vip(h)}/32`],
      extra: ["virtual_ipaddress_excluded {", `  ${evip(h)}/32`, "}"],
    }),
  ).join("")}`;
}

beforeAll(async () => {
  lab = fifoLab();
  procs.ka = lab.keepalived("ka", masterConf("ka"));
  procs.keel = lab.keel("keel", masterConf("keel"));
  for (const h of HOSTS) await procs[h]!.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
  obs = lab.keepalived("obs", obsConf());
  for (const h of HOSTS) await obs.waitFor(new RegExp(`\\(VI_${VRID[h]}\\) Entering BACKUP STATE`), 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface Seen {
  /** the master's lines that say what happened, in order */
  log: string[];
  fifo: string[];
}

/** Delete `addr` from `h`'s eth0; wait for the master to be MASTER again with it. */
async function deleteOn(h: Host, addr: string): Promise<Seen> {
  const p = procs[h]!;
  const from = p.lines.length;
  const ofrom = obs.lines.length;
  const ffrom = fifoLines(h).length;
  lab.exec(h, ["ip", "addr", "del", `${addr}/32`, "dev", "eth0"]);
  await p.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from);
  await obs.waitFor(new RegExp(`\\(VI_${VRID[h]}\\) Backup received priority 0 advertisement`), 10_000, ofrom);
  await p.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000, from);
  await eventually(() => lab.hasAddr(h, vip(h)) && lab.hasAddr(h, evip(h)), 10_000);
  await eventually(() => fifoLines(h).length >= ffrom + 2, 10_000);
  await p.waitFor(/\(VI_1\) setting E-VIPs\./, 10_000, from);
  const log = p.lines
    .slice(from)
    .map((l) => l.text.replace(/^.*?: (?=\(VI_1\)|Netlink)/, ""))
    .filter((t) =>
      /^\(VI_1\) (Entering \w+ STATE|\w+ing (E-)?VIPs\.|sent 0 priority)|^Netlink reflector reports IP .* removed from/.test(
        t,
      ),
    )
    // keepalived also reports the address it removes itself as BACKUP, after its state line
    .filter((t, i, all) => !t.startsWith("Netlink") || i === all.findIndex((x) => x.startsWith("Netlink")));
  return { log, fifo: fifoLines(h).slice(ffrom) };
}

describe("a VIP or eVIP deleted under a MASTER, as keepalived 2.2.7", () => {
  for (const what of ["VIP", "eVIP"] as const) {
    test(`its ${what}: BACKUP with a priority-0 advert, then MASTER again with its addresses`, async () => {
      const got: Partial<Record<Host, Seen>> = {};
      for (const h of HOSTS) got[h] = await deleteOn(h, what === "VIP" ? vip(h) : evip(h));
      const addr = (h: Host) => (what === "VIP" ? vip(h) : evip(h));
      for (const h of HOSTS) {
        expect(got[h]!.log).toEqual([
          `Netlink reflector reports IP ${addr(h)} removed from eth0`,
          "(VI_1) Entering BACKUP STATE",
          "(VI_1) sent 0 priority",
          "(VI_1) removing VIPs.",
          "(VI_1) removing E-VIPs.",
          "(VI_1) Entering MASTER STATE",
          "(VI_1) setting VIPs.",
          "(VI_1) setting E-VIPs.",
        ]);
        expect(got[h]!.fifo.slice(0, 2)).toEqual(['INSTANCE "VI_1" BACKUP 200', 'INSTANCE "VI_1" MASTER 200']);
        // obs stayed BACKUP and holds neither address
        expect(lab.hasAddr("obs", vip(h))).toBe(false);
        expect(lab.hasAddr("obs", evip(h))).toBe(false);
      }
      // the same lines but for each daemon's own address
      const same = (h: Host) => ({ ...got[h]!, log: got[h]!.log.map((l) => l.replace(addr(h), "ADDR")) });
      expect(same("keel")).toEqual(same("ka"));
    }, 90_000);
  }
});
