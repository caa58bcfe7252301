/**
 * A reload (SIGHUP) that removes two masters and keeps three (one of them changed),
 * beside Debian's keepalived 2.2.7 (each daemon alone in its namespace on a veth pair,
 * same configurations, both with -D), compared line for line. keepalived vrrp.c
 * clear_diff_vrrp walks the old instances twice: first each removed one, a master sending
 * priority 0 and dropping its VIPs (vrrp_restore_interface(vrrp, true, false): "(X) sent 0
 * priority", "(X) removing VIPs."); then each kept one, whose VIPs a master sets again
 * (restore_vrrp_state: "(X) setting VIPs."), changed or not. keel sent no priority-0 advert
 * for a removed master (its instance was looked up in the new router: "no source address
 * ... advert not sent") and set again only a changed master's VIPs.
 *
 * The VRRP child's other lines at a reload (keepalived's parent's "Reloading ...", "Opening
 * file", "Configuration file" and "Reload complete" come from another process, in no fixed
 * order with these; "Reloading ..." and "Configuration file" are compared on their own,
 * "Opening file" keel does not write): vrrp_daemon.c reload_vrrp_thread's "Reloading"; with -D, vrrp.c
 * add_vrrp_to_interface's "Assigned address A for interface I" for each interface as it
 * first joins an instance with log_addr (reset_interface_queue emptied every tracking list,
 * the addresses are kept): an instance's own interface (v1), not a track_interface (VI_A's
 * v2: joined silently), a sync group's track_interface (G's v3); and, with -D,
 * vrrp_dispatcher_init's dump of the rebuilt socket pool (dump_sock_list) after the
 * instances' lines. keel wrote none of them at a reload. An added instance (VI_F) gets
 * only vrrp_init_state's "(init)" line (in vrrp_dispatcher_init, after every kept master's
 * "setting VIPs.", VI_E's too): no "removing VIPs." (vrrp_restore_interface(vrrp, false,
 * false) removes only what it had set); keel wrote both, in configuration order. A changed
 * BACKUP (VI_H) writes nothing: restore_vrrp_state copies its state, and vrrp_init_state's
 * "(init)" line is for a change of state; keel restarted it ("removing VIPs.", "(init)"). At start the same rule gives the
 * "Assigned address" lines (keel wrote v2's, a track_interface's, and not v3's).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
let lab: Lab;
const procs: Record<string, Proc> = {};

const inst = (name: string, vrid: number, priority = 200, track = "") => `vrrp_instance ${name} {
  state MASTER
  interface v1
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int 1
${track ? `  track_interface {\n    ${track}\n  }\n` : ""}  virtual_ipaddress {
    192.168.${vrid}.1/24
  }
}
`;
const head = `global_defs {
  router_id reloadlines
}
vrrp_sync_group G {
  group {
    VI_A
    VI_B
  }
  track_interface {
    v3
  }
}
`;
/** unicast, the source learned from v1 (10.1.0.1): keepalived's pool has an entry for it */
const uni = inst("VI_U", 20).replace("advert_int 1", "advert_int 1\n  unicast_peer {\n    10.1.0.2\n  }");
/** BACKUP with advert_int 30: no timeout during the test */
const slow = (name: string, vrid: number, priority: number) =>
  inst(name, vrid, priority).replace("state MASTER", "state BACKUP").replace("advert_int 1", "advert_int 30");
const before = `${head}${uni}${inst("VI_A", 10, 200, "v2")}${inst("VI_C", 12)}${inst("VI_B", 11)}${inst("VI_D", 13)}${inst("VI_E", 14)}${slow("VI_H", 17, 100)}`;
const added = slow("VI_F", 15, 100);
/** VI_C and VI_D removed, VI_F added (before VI_E), VI_E (a master) and VI_H (a backup) changed (priority) */
const after = `${head}${uni}${inst("VI_A", 10, 200, "v2")}${inst("VI_B", 11)}${added}${inst("VI_E", 14, 150)}${slow("VI_H", 17, 90)}`;

const lines = (h: string, re: RegExp, from: number) =>
  procs[h]!.lines.slice(from)
    .map((l) => bare(l.text))
    .filter((t) => re.test(t));

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    lab.exec(h, ["ip", "link", "add", "v1", "type", "veth", "peer", "name", "v1p"]);
    lab.exec(h, ["ip", "link", "set", "v1p", "up"]);
    lab.exec(h, ["ip", "link", "set", "v1", "up"]);
    lab.exec(h, ["ip", "addr", "add", "10.1.0.1/24", "dev", "v1"]);
    // v2 (VI_A's track_interface) and v3 (G's), each up with an address
    for (const i of ["v2", "v3"]) {
      lab.exec(h, ["ip", "link", "add", i, "type", "veth", "peer", "name", `${i}p`]);
      lab.exec(h, ["ip", "link", "set", `${i}p`, "up"]);
      lab.exec(h, ["ip", "link", "set", i, "up"]);
      lab.exec(h, ["ip", "addr", "add", `10.${i.slice(1)}.0.1/24`, "dev", i]);
    }
  }
  procs.ka = lab.keepalived("ka", before);
  procs.keel = lab.keel("keel", before);
  for (const h of HOSTS)
    for (const n of ["VI_U", "VI_A", "VI_B", "VI_C", "VI_D", "VI_E"])
      await procs[h]!.waitFor(new RegExp(`\\(${n}\\) setting VIPs\\.$`), 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("reload beside keepalived 2.2.7", () => {
  test("start: 'Assigned address' as the instances join their interfaces (v1, G's v3; not VI_A's track_interface v2); keepalived's pool", () => {
    // the start's lines, up to the first instance's "removing VIPs." (vrrp_restore_interfaces_startup)
    const start = (h: string) => {
      const all = procs[h]!.lines.map((l) => bare(l.text));
      return all.slice(0, all.indexOf("(VI_A) removing VIPs.")).filter((t) => t.startsWith("Assigned address"));
    };
    expect(start("ka")).toEqual([
      "Assigned address 10.1.0.1 for interface v1",
      "Assigned address 10.3.0.1 for interface v3",
    ]);
    expect(start("keel")).toEqual(start("ka"));
    // the start's pool: VI_U's unicast entry, then the multicast one (keel has one socket for both)
    const pool = (h: string) =>
      procs[h]!.lines.map((l) => bare(l.text).replace(/fd\(\d+,\d+\) /, "")).filter((t) =>
        t.startsWith("VRRP sockpool"),
      );
    expect(pool("ka")).toHaveLength(2);
    expect(pool("ka")[0]).toContain(", , unicast, address(10.1.0.1)]");
    expect(pool("keel")).toEqual(pool("ka"));
  });

  test("'Reloading', the interfaces' addresses, removed masters send priority 0 and drop their VIPs, the kept masters set theirs again, an added one's (init), the socket pool", async () => {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    lab.file("ka-ka.conf", after);
    lab.file("keel.conf", after);
    for (const h of HOSTS) procs[h]!.kill("SIGHUP");
    // the pool's dump is the VRRP child's last reload line, the multicast entry its last
    // (the unicast one comes first: waiting for that one raced the next under load)
    for (const h of HOSTS) await procs[h]!.waitFor(/VRRP sockpool: .*multicast/, 30_000, from[h]);
    const re =
      /^(Reloading|Assigned address .*|VRRP sockpool: .*)$|\(VI_\w+\) (sent 0 priority|removing VIPs\.|setting VIPs\.|Entering \w+ STATE.*|no source address.*)$/;
    // keel's sockets are not keepalived's descriptors
    const got = (h: string) => lines(h, re, from[h]!).map((t) => t.replace(/fd\(\d+,\d+\) /, ""));
    const ka = got("ka");
    const v1 = lab.exec("ka", ["cat", "/sys/class/net/v1/ifindex"]).trim().padStart(3);
    expect(ka).toEqual([
      "Reloading",
      "Assigned address 10.1.0.1 for interface v1",
      "Assigned address 10.3.0.1 for interface v3",
      "(VI_C) sent 0 priority",
      "(VI_C) removing VIPs.",
      "(VI_D) sent 0 priority",
      "(VI_D) removing VIPs.",
      "(VI_U) setting VIPs.",
      "(VI_A) setting VIPs.",
      "(VI_B) setting VIPs.",
      "(VI_E) setting VIPs.",
      "(VI_F) Entering BACKUP STATE (init)",
      // VI_U's unicast entry first (the first instance), then the multicast one
      `VRRP sockpool: [ifindex(${v1}), family(IPv4), proto(112), , unicast, address(10.1.0.1)]`,
      `VRRP sockpool: [ifindex(${v1}), family(IPv4), proto(112), multicast, address(224.0.0.18)]`,
    ]);
    expect(got("keel")).toEqual(ka);
    // keepalived's parent (main.c do_reload, read_config_file): its own process, so only
    // these lines' order among themselves counts; each daemon names its own copy of the file
    const parent = (h: string) =>
      lines(h, /^(Reloading \.\.\.|Configuration file .*)$/, from[h]!).map((t) =>
        t.replace(`${lab.dir}/${h === "ka" ? "ka-ka.conf" : "keel.conf"}`, "CONF"),
      );
    expect(parent("ka")).toEqual(["Reloading ...", "Configuration file CONF"]);
    expect(parent("keel")).toEqual(parent("ka"));
  }, 60_000);
});
