/**
 * timer_expired_backup in a sync group, against keepalived 2.4.3 (KEEPALIVED_24): its
 * vrrp_thread_timeout_handler calls vrrp_state_leave_master on the late instance alone (no
 * VRRP_TSM_HANDLE, no vrrp_sync_backup), so the group's other member stays MASTER.
 *
 * In `a24` keepalived 2.4.3 and in `akeel` keel run a sync group G of VI_1 (with
 * timer_expired_backup) and VI_2 (without), both nopreempt, priority 200, each on VRIDs of
 * its own; Debian's keepalived 2.2.7 in `b` runs the other side of all four VRIDs
 * (priority 100, no group). Once both groups are MASTER, both daemons are stopped
 * (SIGSTOP) until `b` has taken every VRID over, then continued: each wakes late, and
 *
 * - VI_1 goes to BACKUP ("VRRP thread timer expired", "(VI_1) Entering BACKUP STATE") and,
 *   nopreempt, stays there under b's master;
 * - VI_2 stays MASTER, and its next advert (priority 200) sends b's side of its VRID back
 *   to BACKUP.
 *
 * Without KEEPALIVED_24 (CI has only Debian's 2.2.7, which has no timer_expired_backup),
 * the test says so and checks keel against that outcome, as 2.4.3 was seen to give it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, instance, sh } from "../netns/harness";

const KA24 = process.env.KEEPALIVED_24;
type Host = "a24" | "akeel";
const VRIDS: Record<Host, [number, number]> = { a24: [91, 92], akeel: [93, 94] };

let lab: Lab;
let b: Proc;

const groupConf = (h: Host) => {
  const [v1, v2] = VRIDS[h];
  const inst = (name: string, vrid: number, kw: string[]) =>
    instance({ name, vrid, priority: 200, nopreempt: true, vips: [`10.99.9.${vrid}/24`], extra: kw });
  return `global_defs {\n  router_id ${h}\n}\nvrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n${inst(
    "VI_1",
    v1,
    ["timer_expired_backup"],
  )}${inst("VI_2", v2, [])}`;
};

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["b", "a24", "akeel"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

/** Stop the group's daemons until b is master of all their VRIDs, then continue them. */
async function lateAfterTakeover(daemons: [Host, Proc][]): Promise<Map<Host, number>> {
  const from = new Map<Host, number>();
  const bFrom = b.lines.length;
  for (const [h, p] of daemons) {
    if (h === "a24") p.killGroup("SIGSTOP");
    else p.kill("SIGSTOP");
  }
  for (const [h] of daemons)
    for (const v of VRIDS[h]) await b.waitFor(new RegExp(`\\(VI_${v}\\) Entering MASTER STATE`), 20_000, bFrom);
  for (const [h, p] of daemons) {
    from.set(h, p.lines.length);
    if (h === "a24") p.killGroup("SIGCONT");
    else p.kill("SIGCONT");
  }
  return from;
}

test("a late VI_1 goes to BACKUP alone; VI_2 stays MASTER, as keepalived 2.4.3 does", async () => {
  const daemons: [Host, Proc][] = [];
  if (KA24) {
    expect(sh(["sh", "-c", `"${KA24}" --version 2>&1`])).toContain("v2.4.");
    daemons.push(["a24", lab.keepalived("a24", groupConf("a24"), [], { binary: KA24 })]);
  } else
    console.warn(
      "timer-expired-sync.test.ts: KEEPALIVED_24 is not set (a keepalived 2.4.3 binary): keel is checked " +
        "against the outcome keepalived 2.4.3 gave (VI_1 BACKUP alone, VI_2 MASTER), not beside it",
    );
  daemons.push(["akeel", lab.keel("akeel", groupConf("akeel"))]);
  // alone on their VRIDs, each group becomes MASTER; b joins as the backup of all of them
  for (const [, p] of daemons)
    for (const i of ["VI_1", "VI_2"]) await p.waitFor(new RegExp(`\\(${i}\\) Entering MASTER STATE`), 30_000);
  const hosts = daemons.map(([h]) => h);
  b = lab.keepalived(
    "b",
    `global_defs {\n  router_id b\n}\n${hosts
      .flatMap((h) => VRIDS[h])
      .map((v) => instance({ name: `VI_${v}`, vrid: v, priority: 100, vips: [`10.99.9.${v}/24`] }))
      .join("")}`,
  );
  for (const h of hosts)
    for (const v of VRIDS[h]) await b.waitFor(new RegExp(`\\(VI_${v}\\) Entering BACKUP STATE`), 20_000);

  const bFrom = b.lines.length;
  const from = await lateAfterTakeover(daemons);
  for (const [h, p] of daemons) {
    const at = from.get(h)!;
    await p.waitFor(/VRRP thread timer expired/, 20_000, at);
    await p.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000, at);
    // VI_2's advert at 200 sends b's side of its VRID back to BACKUP (never, had G followed VI_1)
    const [v1, v2] = VRIDS[h];
    await b.waitFor(new RegExp(`\\(VI_${v2}\\) Entering BACKUP STATE`), 20_000, bFrom);
    const after = p.lines.slice(at).map((l) => l.text);
    expect(after.filter((l) => /\(VI_2\) Entering/.test(l))).toEqual([]);
    expect(after.filter((l) => /\(VI_1\) Entering/.test(l)).map((l) => l.replace(/^.*\(VI_1\)/, ""))).toEqual([
      " Entering BACKUP STATE",
    ]);
    // VI_1's VRID stays with b: nopreempt, VI_1 follows the master that took over
    expect(b.lines.slice(bFrom).filter((l) => new RegExp(`\\(VI_${v1}\\) Entering BACKUP`).test(l.text))).toEqual([]);
  }
}, 180_000);
