/**
 * A tracked virtual rule or route deleted under a sync group, against Debian's keepalived
 * 2.2.7 (keepalived_netlink.c netlink_rule_filter / netlink_route_filter → set_vrrp_backup:
 * the instance leaves, every other MASTER of its group leaves with it, each with a
 * priority-0 advert and its own skew time as Master_Down; the group is set to BACKUP
 * without a group notify, and an instance notifies only while its group was not yet in
 * the state it enters, vrrp_notify.c send_instance_notifies).
 *
 * keepalived runs in `ka`, keel in `keel`, each a sync group G of VI_1 and VI_2 (priority
 * 200, a virtual rule each, a virtual route on VI_2) on VRIDs of its own; keepalived in
 * `obs` runs the other side of all four VRIDs and logs the priority-0 adverts it hears.
 * Each daemon's notify FIFO is copied to a file by a reader script and the lines after
 * each step are compared:
 *
 * 1. G in BACKUP under obs's MASTER: VI_1's rule (added and deleted by someone else, with
 *    protocol keepalived) makes VI_1 enter BACKUP again with a priority-0 advert and no
 *    notify (its group is in BACKUP); VI_2 is not touched.
 * 2. obs stops; G becomes MASTER. obs comes back as a BACKUP of priority 100.
 * 3. VI_1's rule deleted under MASTER: VI_1 and VI_2 both BACKUP with priority-0 adverts and
 *    their instance notifies, no GROUP BACKUP line; then both MASTER again after the skew
 *    time (GROUP MASTER), with the rule back.
 * 4. VI_2's route deleted under MASTER: the same, VI_2 first.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, type Lab, type Proc, eventually, instance } from "../netns/harness";
import { HOSTS, type Host, fifoGlobals, fifoLab, fifoLines as linesOf } from "./fifo-lab";

const VRIDS: Record<Host, [number, number]> = { ka: [71, 72], keel: [73, 74] };
const RULE = (vrid: number) => ["from", `10.99.7.${vrid}`, "table", "100", "priority", `${100 + vrid}`];
const ROUTE = (vrid: number) => [`198.51.${vrid}.0/24`, "dev", "eth0", "table", "100"];

let lab: Lab;
let obs: Proc;
const procs: Partial<Record<Host, Proc>> = {};

const fifoLines = (h: Host) => linesOf(lab, h);

function groupConf(h: Host): string {
  const [a, b] = VRIDS[h];
  const inst = (name: string, vrid: number, route: boolean) =>
    instance({
      name,
      vrid,
      priority: 200,
      vips: [`10.99.7.${vrid}/24`],
      extra: [
        "virtual_rules {",
        `  ${RULE(vrid).join(" ")}`,
        "}",
        ...(route ? ["virtual_routes {", `  ${ROUTE(vrid).join(" ")}`, "}"] : []),
      ],
    });
  return `${fifoGlobals(lab, h)}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
${inst("VI_1", a, false)}${inst("VI_2", b, true)}`;
}

/** obs: the other side of all four VRIDs, as MASTER (250) or BACKUP (100). */
function obsConf(state: "MASTER" | "BACKUP"): string {
  const vrids = HOSTS.flatMap((h) => VRIDS[h]);
  return `global_defs {\n  router_id obs\n}\n${vrids
    .map((v) =>
      instance({
        name: `VI_${v}`,
        state,
        vrid: v,
        priority: state === "MASTER" ? 250 : 100,
        vips: [`10.99.7.${v}/24`],
      }),
    )
    .join("")}`;
}

async function startObs(state: "MASTER" | "BACKUP"): Promise<void> {
  obs = lab.keepalived("obs", obsConf(state));
  for (const v of HOSTS.flatMap((h) => VRIDS[h]))
    await obs.waitFor(new RegExp(`\\(VI_${v}\\) Entering ${state} STATE`), 20_000);
}

/**
 * Lines from `from` up to and including the first GROUP MASTER line (waited for): the
 * first `ordered` as they came, the rest sorted (the two members' Master_Down timers end
 * at the same time, in an order neither daemon fixes).
 */
async function untilGroupMaster(h: Host, from: number, ordered: number): Promise<string[]> {
  const end = () => fifoLines(h).indexOf('GROUP "G" MASTER 0', from);
  await eventually(() => end() >= 0, 20_000);
  const got = fifoLines(h).slice(from, end() + 1);
  return [...got.slice(0, ordered), ...got.slice(ordered).sort()];
}

beforeAll(async () => {
  lab = fifoLab();
  await startObs("MASTER");
  procs.ka = lab.keepalived("ka", groupConf("ka"));
  procs.keel = lab.keel("keel", groupConf("keel"));
  for (const h of HOSTS) await eventually(() => expect(fifoLines(h)).toContain('GROUP "G" BACKUP 0'), 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("a tracked rule or route deleted under a sync group, as keepalived 2.2.7", () => {
  const mark: Partial<Record<Host, number>> = {};

  test("G in BACKUP: the member whose rule went enters BACKUP again, quietly; the other is not touched", async () => {
    for (const h of HOSTS) {
      const p = procs[h]!;
      const [a] = VRIDS[h];
      const from = p.lines.length;
      const ofrom = obs.lines.length;
      mark[h] = fifoLines(h).length;
      lab.exec(h, ["ip", "rule", "add", ...RULE(a), "protocol", "keepalived"]);
      lab.exec(h, ["ip", "rule", "del", ...RULE(a)]);
      await p.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from);
      await obs.waitFor(new RegExp(`\\(VI_${a}\\) Master received priority 0 message`), 10_000, ofrom);
      expect(p.lines.slice(from).filter((l) => /VI_2/.test(l.text))).toEqual([]);
    }
  }, 60_000);

  test("obs gone, G MASTER: no line was written for step 1 (its group was in BACKUP)", async () => {
    obs.kill("SIGTERM");
    await obs.exited;
    const got: Partial<Record<Host, string[]>> = {};
    for (const h of HOSTS) got[h] = await untilGroupMaster(h, mark[h]!, 0);
    expect(got.ka).toEqual(['GROUP "G" MASTER 0', 'INSTANCE "VI_1" MASTER 200', 'INSTANCE "VI_2" MASTER 200']);
    expect(got.keel).toEqual(got.ka);
    await startObs("BACKUP");
  }, 90_000);

  /** Delete one member's rule or route in each host; both daemons' FIFO lines and obs's log. */
  async function deleteUnderMaster(what: "rule" | "route", member: 0 | 1): Promise<Record<Host, string[]>> {
    const got: Partial<Record<Host, string[]>> = {};
    for (const h of HOSTS) {
      const vrid = VRIDS[h][member];
      const from = fifoLines(h).length;
      const ofrom = obs.lines.length;
      lab.exec(h, ["ip", what, "del", ...(what === "rule" ? RULE(vrid) : ROUTE(vrid))]);
      for (const v of VRIDS[h])
        await obs.waitFor(new RegExp(`\\(VI_${v}\\) Backup received priority 0 advertisement`), 10_000, ofrom);
      got[h] = await untilGroupMaster(h, from, 2);
      // MASTER again: the rule (or route) is back
      await eventually(() =>
        expect(lab.exec(h, ["ip", what, "show", ...(what === "rule" ? [] : ["table", "100"])])).toContain(
          what === "rule" ? `from 10.99.7.${vrid} lookup 100` : `198.51.${vrid}.0/24`,
        ),
      );
    }
    return got as Record<Host, string[]>;
  }

  test("G MASTER, VI_1's rule deleted: both members leave with priority-0 adverts, no GROUP BACKUP, and return", async () => {
    const got = await deleteUnderMaster("rule", 0);
    expect(got.ka).toEqual([
      'INSTANCE "VI_1" BACKUP 200',
      'INSTANCE "VI_2" BACKUP 200',
      'GROUP "G" MASTER 0',
      'INSTANCE "VI_1" MASTER 200',
      'INSTANCE "VI_2" MASTER 200',
    ]);
    expect(got.keel).toEqual(got.ka);
  }, 90_000);

  test("G MASTER, VI_2's route deleted: the same, VI_2 first", async () => {
    const got = await deleteUnderMaster("route", 1);
    expect(got.ka).toEqual([
      'INSTANCE "VI_2" BACKUP 200',
      'INSTANCE "VI_1" BACKUP 200',
      'GROUP "G" MASTER 0',
      'INSTANCE "VI_1" MASTER 200',
      'INSTANCE "VI_2" MASTER 200',
    ]);
    expect(got.keel).toEqual(got.ka);
  }, 90_000);
});
