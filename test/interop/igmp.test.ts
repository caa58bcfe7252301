/**
 * global_defs `disable_local_igmp` against Debian's keepalived 2.2.7 (vrrp_daemon.c
 * set_disable_local_igmp / reset_disable_local_igmp): each daemon in its own namespace,
 * alone on its VRID, with the option; a third host runs keel without it (the control: its
 * join of 224.0.0.18 is reported on the wire, so the capture would see one).
 *
 * - while they run, the namespace's net.ipv4.igmp_link_local_mcast_reports is 0 in both;
 * - no IGMP report for 224.0.0.18 leaves either host (dumpcap on eth0 from before start);
 * - after SIGTERM it is 1 again in both (it was 1), and a namespace where it was already 0
 *   keeps 0.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance } from "../netns/harness";

const HOSTS = ["ka", "keel"] as const;
const SYSCTL = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";
const REPORT = "igmp && igmp.maddr == 224.0.0.18";

const conf = (host: string, vrid: number, option: boolean) =>
  `global_defs {\n  router_id ${host}\n${option ? "  disable_local_igmp\n" : ""}}\n${instance({ vrid, state: "MASTER", priority: 200 })}`;

let lab: Lab;
const procs: Record<string, Proc> = {};
const captures: Record<string, { path: string; stop: () => Promise<string> }> = {};
const sysctl = (host: string) => lab.exec(host, ["cat", SYSCTL]).trim();

beforeAll(async () => {
  ensureKeel();
  lab = Lab.create([...HOSTS, "ctl"]);
  for (const h of [...HOSTS, "ctl"]) {
    expect(sysctl(h)).toBe("1");
    captures[h] = await lab.capture(h, "igmp");
  }
  procs.ka = lab.keepalived("ka", conf("ka", 81, true));
  procs.keel = lab.keel("keel", conf("keel", 82, true));
  procs.ctl = lab.keel("ctl", conf("ctl", 83, false));
  await Promise.all(Object.values(procs).map((p) => p.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("disable_local_igmp", () => {
  test("while running: the sysctl is 0, as keepalived sets it", () => {
    expect(HOSTS.map(sysctl)).toEqual(["0", "0"]);
    expect(sysctl("ctl")).toBe("1");
  });

  test("no IGMP report for 224.0.0.18 on the wire (the control host's is there)", async () => {
    // the joins were made before MASTER; the control's report proves the capture hears them
    const from = (h: string) => `${REPORT} && ip.src == ${lab.ip(h)}`;
    await eventually(() => lab.tshark(captures.ctl!.path, from("ctl"), ["ip.src"]).length > 0, 20_000);
    for (const h of HOSTS) {
      // the bridge carries the other hosts' reports too: only those this host sent count
      const path = await captures[h]!.stop();
      expect({ host: h, reports: lab.tshark(path, from(h), ["ip.src"]) }).toEqual({ host: h, reports: [] });
    }
  }, 60_000);

  test("after stop: back to 1 in both; a namespace that had 0 keeps it", async () => {
    for (const h of HOSTS) procs[h]!.kill("SIGTERM");
    await Promise.all(HOSTS.map((h) => procs[h]!.exited));
    expect(HOSTS.map(sysctl)).toEqual(["1", "1"]);

    // already 0 before start: nothing to restore (keepalived writes back only a '1')
    for (const h of HOSTS) lab.exec(h, ["sh", "-c", `echo 0 > ${SYSCTL}`]);
    const again = { ka: lab.keepalived("ka", conf("ka", 81, true)), keel: lab.keel("keel", conf("keel", 82, true)) };
    await Promise.all(HOSTS.map((h) => again[h].waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)));
    for (const h of HOSTS) again[h].kill("SIGTERM");
    await Promise.all(HOSTS.map((h) => again[h].exited));
    expect(HOSTS.map(sysctl)).toEqual(["0", "0"]);
  }, 90_000);
});
