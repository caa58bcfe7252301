/**
 * Deletions of an instance's tracked virtual routes and rules, against Debian's keepalived
 * 2.2.7 (keepalived_netlink.c netlink_route_filter / netlink_rule_filter → set_vrrp_backup).
 * keepalived runs in `ka`, keel in `keel`, each a BACKUP (priority 100) on its own VRID
 * under one keepalived MASTER (priority 200) in `m`. In each backup's namespace someone
 * adds and deletes, with protocol keepalived, the instance's route and then its rule:
 *
 * - the route: nothing (netlink_route_filter acts under MASTER only);
 * - the rule: netlink_rule_filter checks no state, so the backup leaves and enters BACKUP
 *   again: "Entering BACKUP STATE", and a priority-0 advert, which the master logs
 *   ("Master received priority 0 message") and answers at once, so the backup stays.
 *
 * Then a reload: both daemons start without routes or rules, and a reload that adds the
 * instance's first tracked rule must make the daemon hear its deletion (keepalived
 * vrrp_complete_init → set_extra_netlink_monitoring at every reload).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, instance } from "../netns/harness";

const BACKUPS = ["ka", "keel"] as const;
const VRID = { ka: 81, keel: 82 } as const;
const RULE = (vrid: number) => ["from", `10.99.1.${vrid}`, "table", "100", "priority", "100"];
const ROUTE = ["198.51.100.0/24", "dev", "eth0", "table", "100"];

let lab: Lab;
let master: Proc;
const procs: Partial<Record<(typeof BACKUPS)[number], Proc>> = {};

const backupConf = (host: (typeof BACKUPS)[number], withRules: boolean) =>
  `global_defs {\n  router_id ${host}\n}\n${instance({
    vrid: VRID[host],
    priority: 100,
    vips: [`10.99.1.${VRID[host]}/24`],
    extra: withRules
      ? ["virtual_rules {", `  ${RULE(VRID[host]).join(" ")}`, "}", "virtual_routes {", `  ${ROUTE.join(" ")}`, "}"]
      : [],
  })}`;

function start(host: (typeof BACKUPS)[number], withRules: boolean): Proc {
  const conf = backupConf(host, withRules);
  return host === "ka" ? lab.keepalived(host, conf) : lab.keel(host, conf);
}

/** Someone else's rule (or route) with the instance's selectors, added and deleted again. */
function addDel(host: string, what: "rule" | "route", args: string[]): void {
  lab.exec(host, ["ip", what, "add", ...args, "protocol", "keepalived"]);
  lab.exec(host, ["ip", what, "del", ...args]);
}

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["m", ...BACKUPS]);
  master = lab.keepalived(
    "m",
    `global_defs {\n  router_id m\n}\n${BACKUPS.map((h) =>
      instance({
        name: `VI_${VRID[h]}`,
        state: "MASTER",
        vrid: VRID[h],
        priority: 200,
        vips: [`10.99.1.${VRID[h]}/24`],
      }),
    ).join("\n")}`,
  );
  for (const h of BACKUPS) await master.waitFor(new RegExp(`\\(VI_${VRID[h]}\\) Entering MASTER STATE`), 20_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

/** Route, then rule, deleted under each backup: keepalived's answer and keel's, side by side. */
async function deleteUnderBackup(): Promise<void> {
  for (const h of BACKUPS) {
    const p = procs[h]!;
    const from = p.lines.length;
    const mfrom = master.lines.length;
    addDel(h, "route", ROUTE);
    addDel(h, "rule", RULE(VRID[h]));
    await p.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10_000, from);
    // and the master hears the backup's priority-0 advert
    await master.waitFor(new RegExp(`\\(VI_${VRID[h]}\\) Master received priority 0 message`), 10_000, mfrom);
    const after = p.lines.slice(from).map((l) => l.text);
    // once, for the rule: the route's deletion came first on the same socket and did nothing
    expect(after.filter((l) => /\(VI_1\) Entering BACKUP STATE/.test(l)).length).toBe(1);
    expect(after.filter((l) => /Entering MASTER STATE/.test(l))).toEqual([]);
  }
}

describe("a BACKUP's tracked route and rule deleted", () => {
  test("the route changes nothing; the rule: BACKUP again with a priority-0 advert, as keepalived does", async () => {
    for (const h of BACKUPS) procs[h] = start(h, true);
    for (const h of BACKUPS) await procs[h]!.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    await deleteUnderBackup();
  }, 90_000);

  test("a reload that adds the first tracked rule starts following deletions, as keepalived does", async () => {
    for (const h of BACKUPS) {
      procs[h]?.kill("SIGTERM");
      await procs[h]?.exited;
      procs[h] = start(h, false);
    }
    for (const h of BACKUPS) await procs[h]!.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    // the SIGHUP handler is in place once the daemon says so: keel's "(init)" line comes
    // before it, and a SIGHUP there is lost (both daemons write the line)
    for (const h of BACKUPS) await procs[h]!.waitFor(/Startup complete/, 20_000);
    for (const h of BACKUPS) {
      const p = procs[h]!;
      const from = p.lines.length;
      lab.file(h === "ka" ? `${h}-ka.conf` : `${h}.conf`, backupConf(h, true));
      p.kill("SIGHUP");
      await p.waitFor(/Reload complete/, 20_000, from);
    }
    await deleteUnderBackup();
  }, 90_000);
});
