/**
 * Log lines at start, on a track_file change and at stop, beside Debian's keepalived 2.2.7
 * (each daemon alone in its namespace, same configuration, both with -D), compared line
 * for line. Every instance runs on veth pairs inside its own namespace (v1 up, v2 down at
 * start), so neither daemon hears the other; every step waits for the line it expects.
 * - An interface down at start: keepalived writes only the cause "(VI_E): entering FAULT
 *   state (interface v2 down)" (vrrp_track.c initialise_tracking_priorities), never
 *   "Netlink reports v2 down": that line is keepalived_netlink.c
 *   process_interface_flags_change's, for a change of flags, and the start-up dump stores
 *   the flags before update_interface_flags compares them. v2 coming up later is a
 *   change: "Netlink reports v2 up" in both.
 * - track_file with `weight -N reverse` (tfa) and a track line's `weight N reverse` (tfb):
 *   the status keepalived writes is value × weight × -1 (vrrp_track.c
 *   initialise_vrrp_file_tracking_priorities), at start "(VI_F): entering FAULT state
 *   (tracked file tfa has status -400)"; on a change, with -D, track_file.c
 *   process_update_vrrp_track_file_status's "(VI_F): tracked file tfa leaving FAULT
 *   state", "(VI_F) Setting effective priority to 190" and "... now FAULT state", before
 *   the state lines the change brings.
 * - "(X) removing VIPs." comes in keepalived's order (2.2.7 vrrp.c, vrrp_daemon.c): at start
 *   every instance's, in configuration order (vrrp_restore_interfaces_startup), then the
 *   "(init)" lines in configuration order (vrrp_init_state), sync group members among the
 *   others; an interface going down moves its instances in the order they track it
 *   (process_if_status_change), each group's other members pulled right after its first
 *   (vrrp_sync_fault); at stop each master in configuration order (restore_vrrp_interfaces).
 * - The socket pool's lines ("VRRP sockpool: [...]") come after the "(init)" lines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
let lab: Lab;
const procs: Record<string, Proc> = {};

const inst = (name: string, ifname: string, vrid: number, extra: string[] = []) => `vrrp_instance ${name} {
  state MASTER
  interface ${ifname}
  virtual_router_id ${vrid}
  priority 200
  advert_int 1
${extra.map((l) => `  ${l}\n`).join("")}  virtual_ipaddress {
    192.168.${vrid}.1/24
  }
}
`;

/** Two sync groups whose members are not next to each other in the configuration. */
const conf = (dir: string) => `global_defs {
  router_id startlines
  notify_fifo ${dir}/fifo
  notify_fifo_script ${dir}/reader.sh
}
track_file tfa {
  file "${dir}/tfa"
  weight -2 reverse
}
track_file tfb {
  file "${dir}/tfb"
}
vrrp_sync_group G {
  group {
    VI_A
    VI_B
  }
}
vrrp_sync_group H {
  group {
    VI_H1
    VI_H2
  }
}
${inst("VI_A", "v1", 10)}${inst("VI_C", "v1", 12)}${inst("VI_B", "v1", 11)}${inst("VI_H2", "v1", 16)}${inst("VI_D", "v1", 13)}${inst("VI_H1", "v1", 17)}${inst("VI_E", "v2", 14)}${inst("VI_F", "v1", 15, ["track_file {", "  tfa", "  tfb weight 3 reverse", "}"])}${inst("VI_T", "v1", 18, ["track_interface {", "  v2", "}"])}`;

/** The instances that start in BACKUP; their "(init)" lines end the start-up. */
const STARTED = ["VI_A", "VI_C", "VI_B", "VI_H2", "VI_D", "VI_H1"];

/** A line without keepalived's console time stamp. */

/** The lines of `h` from `from` (or those up to `to`) that match `re`, without time stamps. */
function lines(h: string, re: RegExp, from = 0, to?: number): string[] {
  return procs[h]!.lines.slice(from, to)
    .map((l) => bare(l.text))
    .filter((t) => re.test(t));
}

const marks = () => Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));

/** Index (+1) of the last "(init)" line of the instances that start in BACKUP. */
const startEnd: Record<string, number> = {};

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    for (const i of ["v1", "v2"]) lab.exec(h, ["ip", "link", "add", i, "type", "veth", "peer", "name", `${i}p`]);
    lab.exec(h, ["ip", "link", "set", "v1p", "up"]);
    lab.exec(h, ["ip", "link", "set", "v1", "up"]);
    lab.exec(h, ["ip", "addr", "add", "10.1.0.1/24", "dev", "v1"]);
    // v2 is down with its address: VI_E and VI_T start in FAULT for the link alone
    lab.exec(h, ["ip", "addr", "add", "10.2.0.1/24", "dev", "v2"]);
    // VI_F: tfa -200 × -2 × -1 (reverse) = -400, tfb 100 × 3 × -1 = -300: FAULT for both
    writeFileSync(`${lab.tmpdir(h)}/tfa`, "-200\n");
    writeFileSync(`${lab.tmpdir(h)}/tfb`, "100\n");
    const d = lab.tmpdir(h);
    writeFileSync(`${d}/reader.sh`, `#!/bin/sh\nwhile read -r l; do echo "$l" >> "${d}/lines"; done < "$1"\n`);
    chmodSync(`${d}/reader.sh`, 0o755);
  }
  procs.ka = lab.keepalived("ka", conf(lab.tmpdir("ka")));
  procs.keel = lab.keel("keel", conf(lab.tmpdir("keel")));
  for (const h of HOSTS) {
    const at = await Promise.all(
      STARTED.map((n) => procs[h]!.waitFor(new RegExp(`^.*\\(${n}\\) Entering BACKUP STATE \\(init\\)$`), 30_000)),
    );
    startEnd[h] = Math.max(...at.map((l) => procs[h]!.lines.indexOf(l))) + 1;
  }
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("log lines beside keepalived 2.2.7", () => {
  test("an interface down at start: its cause line only, no 'Netlink reports' until it changes", async () => {
    const re = /^Netlink reports|\((VI_E|VI_T)\):? (entering|Entering)/;
    const ka = lines("ka", re, 0, startEnd.ka);
    expect(ka).toEqual([
      "(VI_E): entering FAULT state (interface v2 down)",
      "(VI_T): entering FAULT state (interface v2 down)",
      "(VI_E) entering FAULT state",
      "(VI_T) entering FAULT state",
    ]);
    expect(lines("keel", re, 0, startEnd.keel)).toEqual(ka);
    const from = marks();
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "v2p", "up"]);
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "v2", "up"]);
    for (const h of HOSTS)
      for (const n of ["VI_E", "VI_T"])
        await procs[h]!.waitFor(new RegExp(`\\(${n}\\) Entering BACKUP STATE$`), 30_000, from[h]);
    const up = /^Netlink reports|\((VI_E|VI_T)\) Entering BACKUP/;
    expect(lines("ka", up, from.ka)).toEqual([
      "Netlink reports v2 up",
      "(VI_E) Entering BACKUP STATE",
      "(VI_T) Entering BACKUP STATE",
    ]);
    expect(lines("keel", up, from.keel)).toEqual(lines("ka", up, from.ka));
  }, 60_000);

  test("start: every instance's 'removing VIPs.' in configuration order, then the (init) lines in that order", () => {
    const re = /removing VIPs\.$|\(init\)$/;
    const ka = lines("ka", re, 0, startEnd.ka);
    expect(ka).toEqual([
      ...["VI_A", "VI_C", "VI_B", "VI_H2", "VI_D", "VI_H1", "VI_E", "VI_F", "VI_T"].map((n) => `(${n}) removing VIPs.`),
      ...STARTED.map((n) => `(${n}) Entering BACKUP STATE (init)`),
    ]);
    expect(lines("keel", re, 0, startEnd.keel)).toEqual(ka);
  });

  test("start: the socket pool after the (init) lines (vrrp_dispatcher_init: dump_sock_list after vrrp_init_state)", async () => {
    const pool = (h: string) => lines(h, /^VRRP sockpool/).length;
    await eventually(() => HOSTS.every((h) => pool(h) === 2), 20_000);
    // keepalived names its two descriptors; keel's are not keepalived's numbers
    const got = (h: string) =>
      lines(h, /\(init\)$|^VRRP sockpool/)
        .slice(0, STARTED.length + 2)
        .map((t) => t.replace(/fd\(\d+,\d+\) /, ""));
    const ka = got("ka");
    expect(ka.slice(0, STARTED.length)).toEqual(STARTED.map((n) => `(${n}) Entering BACKUP STATE (init)`));
    expect(ka.slice(STARTED.length).every((t) => t.startsWith("VRRP sockpool: "))).toBe(true);
    expect(got("keel")).toEqual(ka);
  }, 30_000);

  test("start: the notify FIFO has the FAULT instances, then the groups, then the others in configuration order", async () => {
    const fifo = (h: string): string[] => {
      const f = `${lab.tmpdir(h)}/lines`;
      return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n").slice(0, 11) : [];
    };
    await eventually(() => HOSTS.every((h) => fifo(h).length === 11), 20_000);
    expect(fifo("ka")).toEqual([
      // vrrp_complete_init
      ...["VI_E", "VI_F", "VI_T"].map((n) => `INSTANCE "${n}" FAULT 200`),
      // vrrp_init_state: the groups, then the instances
      'GROUP "G" BACKUP 0',
      'GROUP "H" BACKUP 0',
      ...STARTED.map((n) => `INSTANCE "${n}" BACKUP 200`),
    ]);
    expect(fifo("keel")).toEqual(fifo("ka"));
  }, 30_000);

  test("track_file with reverse: the status at start is value × weight × -1", () => {
    const re = /^\(VI_F\):? (entering|Entering)/;
    const ka = lines("ka", re, 0, startEnd.ka);
    expect(ka).toEqual([
      "(VI_F): entering FAULT state (tracked file tfa has status -400)",
      "(VI_F): entering FAULT state (tracked file tfb has status -300)",
      "(VI_F) entering FAULT state",
    ]);
    expect(lines("keel", re, 0, startEnd.keel)).toEqual(ka);
    // and no other line names the files (keepalived writes none for a value read)
    const named = /\btf[ab]\b/;
    expect(lines("keel", named, 0, startEnd.keel)).toEqual(lines("ka", named, 0, startEnd.ka));
  });

  /** Write `value` to track file `file` in both hosts, wait for `until` in both; the VI_F lines since. */
  async function fileTo(file: string, value: string, until: RegExp): Promise<string[]> {
    const from = marks();
    for (const h of HOSTS) writeFileSync(`${lab.tmpdir(h)}/${file}`, `${value}\n`);
    for (const h of HOSTS) await procs[h]!.waitFor(until, 30_000, from[h]);
    // any line naming the file too: keepalived writes none for the value read
    const re = /^\(VI_F\):? (tracked file|Setting|Entering (BACKUP|FAULT))|\btf[ab]\b/;
    const ka = lines("ka", re, from.ka);
    expect(lines("keel", re, from.keel)).toEqual(ka);
    return ka;
  }

  test("track_file with reverse: leaving and entering FAULT on a change, as keepalived's -D lines", async () => {
    // -5 × -2 × -1 = -10: tfa no longer holds VI_F (tfb still does), priority 200 - 10
    expect(await fileTo("tfa", "-5", /\(VI_F\) Setting effective priority/)).toEqual([
      "(VI_F): tracked file tfa leaving FAULT state",
      "(VI_F) Setting effective priority to 190",
    ]);
    // tfb 0 × 3 × -1 = 0: nothing holds VI_F
    expect(await fileTo("tfb", "0", /\(VI_F\) Entering BACKUP STATE$/)).toEqual([
      "(VI_F): tracked file tfb leaving FAULT state",
      "(VI_F) Entering BACKUP STATE",
    ]);
    // tfb 100 × 3 × -1 = -300 again
    expect(await fileTo("tfb", "100", /\(VI_F\) Entering FAULT STATE$/)).toEqual([
      "(VI_F): tracked file tfb now FAULT state",
      "(VI_F) Entering FAULT STATE",
    ]);
  }, 90_000);

  /** Wait in both for "(X) Entering STATE STATE" of each of `names` since `from`. */
  async function allIn(state: string, names: string[], from: Record<string, number>): Promise<void> {
    for (const h of HOSTS)
      for (const n of names)
        await procs[h]!.waitFor(new RegExp(`\\(${n}\\) Entering ${state} STATE$`), 30_000, from[h]);
  }

  const ON_V1 = ["VI_A", "VI_C", "VI_B", "VI_H2", "VI_D", "VI_H1", "VI_T"];

  test("v1 down: its masters leave in the order they track it, each group's others right after its first", async () => {
    await allIn("MASTER", [...ON_V1, "VI_E"], {});
    const from = marks();
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "v1", "down"]);
    await allIn("FAULT", ON_V1, from);
    // each one's last line
    for (const h of HOSTS)
      for (const n of ON_V1) await procs[h]!.waitFor(new RegExp(`\\(${n}\\) removing VIPs\\.$`), 30_000, from[h]);
    const re = /^Netlink reports|^VRRP_Group|\(VI_\w+\) (Entering FAULT STATE|sent 0 priority|removing VIPs\.)$/;
    const ka = lines("ka", re, from.ka);
    const leave = (n: string) => [`(${n}) Entering FAULT STATE`, `(${n}) sent 0 priority`, `(${n}) removing VIPs.`];
    // a pulled member's priority 0 (vrrp_state_leave_master(isync, false)) writes no line
    const pulled = (n: string) => [`(${n}) Entering FAULT STATE`, `(${n}) removing VIPs.`];
    expect(ka).toEqual([
      "Netlink reports v1 down",
      ...leave("VI_A"),
      "VRRP_Group(G) Syncing instances to FAULT state",
      ...pulled("VI_B"),
      ...leave("VI_C"),
      ...leave("VI_H2"),
      "VRRP_Group(H) Syncing instances to FAULT state",
      ...pulled("VI_H1"),
      ...["VI_D", "VI_T"].flatMap(leave),
    ]);
    expect(lines("keel", re, from.keel)).toEqual(ka);
  }, 90_000);

  test("v1 up: a group leaves FAULT with its last member; stop: each master's priority 0 and 'removing VIPs.' in configuration order", async () => {
    const from = marks();
    for (const h of HOSTS) lab.exec(h, ["ip", "link", "set", "v1", "up"]);
    await allIn("BACKUP", ON_V1, from);
    // try_up_instance over tracking_vrrp: a group leaves FAULT at its last member, which
    // pulls the others (vrrp_sync_backup)
    const up = /^Netlink reports|^VRRP_Group|\(VI_\w+\) Entering BACKUP STATE$/;
    expect(lines("ka", up, from.ka)).toEqual([
      "Netlink reports v1 up",
      "(VI_C) Entering BACKUP STATE",
      "(VI_B) Entering BACKUP STATE",
      "VRRP_Group(G) Syncing instances to BACKUP state",
      "(VI_A) Entering BACKUP STATE",
      "(VI_D) Entering BACKUP STATE",
      "(VI_H1) Entering BACKUP STATE",
      "VRRP_Group(H) Syncing instances to BACKUP state",
      "(VI_H2) Entering BACKUP STATE",
      "(VI_T) Entering BACKUP STATE",
    ]);
    expect(lines("keel", up, from.keel)).toEqual(lines("ka", up, from.ka));
    await allIn("MASTER", ON_V1, from);
    const stop = marks();
    for (const h of HOSTS) procs[h]!.kill("SIGTERM");
    for (const h of HOSTS) await procs[h]!.exited;
    const re = /\(VI_\w+\) (sent 0 priority|removing VIPs\.)$/;
    const ka = lines("ka", re, stop.ka);
    // VI_F is in FAULT (tfb): no line
    const masters = ["VI_A", "VI_C", "VI_B", "VI_H2", "VI_D", "VI_H1", "VI_E", "VI_T"];
    expect(ka).toEqual(masters.flatMap((n) => [`(${n}) sent 0 priority`, `(${n}) removing VIPs.`]));
    expect(lines("keel", re, stop.keel)).toEqual(ka);
  }, 90_000);
});
