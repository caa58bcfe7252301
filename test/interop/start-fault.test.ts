/**
 * The lines of instances that start in FAULT, beside Debian's keepalived 2.2.7 (each
 * daemon in its own namespace, same configuration, both with -D), compared line for line:
 * - vrrp_track.c initialise_tracking_priorities writes the cause: "(VI_IF): entering FAULT
 *   state (interface dum0 down)" (its own interface, and VI_TI's track_interface), "(VI_NA)
 *   entering FAULT state (no IPv4 address for interface)", and for the first faulted
 *   member of a sync group "VRRP_Group(G): Syncing VI_S1 to FAULT state";
 * - vrrp.c vrrp_complete_init then "(X) entering FAULT state" for every instance in FAULT
 *   or in a group in FAULT (VI_S2 never goes through BACKUP), in configuration order;
 * - vrrp_scheduler.c vrrp_init_state writes "(X) Entering BACKUP STATE (init)" for the
 *   others and no "(init)" line for those already in FAULT; VI_SC, waiting for its
 *   weight-0 script's first result (num_script_init), gets no line at all, nor after the
 *   script fails (seen live: 2.2.7's source would write "Entering FAULT STATE (init)");
 * - the notify FIFO gets one line per instance and group, none doubled;
 * - a reload (SIGHUP) writes the causes again but "entering FAULT state" only for an
 *   instance that was not in FAULT (vrrp_complete_init), and no "(init)" line for one that
 *   keeps its state (vrrp_complete_init copies the old state over).
 * keel reads the track files and scans the processes before its instances start, as
 * keepalived (vrrp_complete_init: init_track_files, init_track_processes), so VI_TF and
 * VI_TP start in FAULT with their causes too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually } from "../netns/harness";
import { bare } from "./log-lines";

const HOSTS = ["ka", "keel"] as const;
let lab: Lab;
const procs: Record<string, Proc> = {};

const inst = (name: string, ifname: string, vrid: number, extra: string[] = []) => `vrrp_instance ${name} {
  state BACKUP
  interface ${ifname}
  virtual_router_id ${vrid}
  priority 100
  advert_int 10
${extra.map((l) => `  ${l}\n`).join("")}  virtual_ipaddress {
    192.168.${vrid}.1/24
  }
}
`;

/** `okTracks`: VI_OK also tracks dum0 (down), the change a reload makes */
function conf(dir: string, okTracks = false): string {
  return `global_defs {
  router_id startfault
  notify_fifo ${dir}/fifo
  notify_fifo_script ${dir}/reader.sh
}
vrrp_script chk_no {
  script "/bin/false"
  interval 1
}
track_file tf {
  file "${dir}/tf"
}
vrrp_track_process tp {
  process hfault-no-such
}
vrrp_sync_group G {
  group {
    VI_S1
    VI_S2
  }
}
${inst("VI_OK", "eth0", 90, okTracks ? ["track_interface {", "  dum0", "}"] : [])}${inst("VI_IF", "dum0", 91)}${inst("VI_TI", "eth0", 92, ["track_interface {", "  dum0", "}"])}${inst("VI_SC", "eth0", 93, ["track_script {", "  chk_no", "}"])}${inst("VI_TF", "eth0", 94, ["track_file {", "  tf weight 0", "}"])}${inst("VI_TP", "eth0", 95, ["track_process {", "  tp weight 0", "}"])}${inst("VI_NA", "dum2", 96)}${inst("VI_S1", "dum1", 97)}${inst("VI_S2", "eth0", 98)}`;
}

const WATCHED =
  /^(\(VI_\w+\):? entering FAULT state.*|VRRP_Group\(\w+\): Syncing .*|\(VI_\w+\) Entering (BACKUP|MASTER|FAULT) STATE.*)$/;

function watched(h: string, from = 0): string[] {
  return procs[h]!.lines.slice(from)
    .map((l) => bare(l.text))
    .filter((t) => WATCHED.test(t));
}

const fifoLines = (h: string): string[] => {
  const f = `${lab.tmpdir(h)}/lines`;
  return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n") : [];
};

const confPath = (h: string) => (h === "ka" ? "ka-ka.conf" : "keel.conf");

beforeAll(async () => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create([...HOSTS]);
  for (const h of HOSTS) {
    for (const ifname of ["dum0", "dum1", "dum2"])
      lab.exec(h, ["ip", "link", "add", ifname, "type", "veth", "peer", "name", `${ifname}p`]);
    // dum2 is up without an address; dum0 and dum1 are down
    lab.exec(h, ["ip", "link", "set", "dum2p", "up"]);
    lab.exec(h, ["ip", "link", "set", "dum2", "up"]);
    const d = lab.tmpdir(h);
    writeFileSync(`${d}/reader.sh`, `#!/bin/sh\nwhile read -r l; do echo "$l" >> "${d}/lines"; done < "$1"\n`);
    chmodSync(`${d}/reader.sh`, 0o755);
    // a weight-0 track_file whose value is not 0: FAULT
    writeFileSync(`${d}/tf`, "1\n");
  }
  procs.ka = lab.keepalived("ka", conf(lab.tmpdir("ka")));
  procs.keel = lab.keel("keel", conf(lab.tmpdir("keel")));
  // the script's first (failed) result: VI_SC's wait is over, still no line for it
  for (const h of HOSTS) await procs[h]!.waitFor(/Script `chk_no` now returning 1/, 30_000);
  for (const h of HOSTS) await procs[h]!.waitFor(/Startup complete/, 30_000);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

describe("instances that start in FAULT, beside keepalived 2.2.7", () => {
  test("start: the causes, then 'entering FAULT state' for each, then the (init) lines", () => {
    const ka = watched("ka");
    expect(ka).toEqual([
      "(VI_IF): entering FAULT state (interface dum0 down)",
      "(VI_TI): entering FAULT state (interface dum0 down)",
      "(VI_S1): entering FAULT state (interface dum1 down)",
      "(VI_TF): entering FAULT state (tracked file tf has status -254)",
      "(VI_TP) entering FAULT state (tracked process tp quorum not achieved)",
      "(VI_IF) entering FAULT state (no IPv4 address for interface)",
      "(VI_NA) entering FAULT state (no IPv4 address for interface)",
      "(VI_S1) entering FAULT state (no IPv4 address for interface)",
      "VRRP_Group(G): Syncing VI_S1 to FAULT state",
      "(VI_IF) entering FAULT state",
      "(VI_TI) entering FAULT state",
      "(VI_TF) entering FAULT state",
      "(VI_TP) entering FAULT state",
      "(VI_NA) entering FAULT state",
      "(VI_S1) entering FAULT state",
      "(VI_S2) entering FAULT state",
      "(VI_OK) Entering BACKUP STATE (init)",
    ]);
    expect(watched("keel")).toEqual(ka);
  });

  test("start: the notify FIFO has one line per instance and group, as keepalived's", async () => {
    // VI_SC's comes when its script has failed (down_instance), after the start
    const want = [
      'INSTANCE "VI_IF" FAULT 100',
      'INSTANCE "VI_TI" FAULT 100',
      'INSTANCE "VI_TF" FAULT 100',
      'INSTANCE "VI_TP" FAULT 100',
      'INSTANCE "VI_NA" FAULT 100',
      'INSTANCE "VI_S1" FAULT 100',
      'INSTANCE "VI_S2" FAULT 100',
      'GROUP "G" FAULT 0',
      'INSTANCE "VI_OK" BACKUP 100',
      'INSTANCE "VI_SC" FAULT 100',
    ];
    await eventually(() => HOSTS.every((h) => fifoLines(h).length >= want.length), 20_000);
    expect(fifoLines("ka")).toEqual(want);
    expect(fifoLines("keel")).toEqual(fifoLines("ka"));
  }, 30_000);

  /** SIGHUP both after `change`, wait for the reload's end; the watched lines since, keepalived's first. */
  async function reload(change: (h: string) => void): Promise<string[]> {
    const from = Object.fromEntries(HOSTS.map((h) => [h, procs[h]!.lines.length]));
    for (const h of HOSTS) {
      change(h);
      procs[h]!.kill("SIGHUP");
    }
    for (const h of HOSTS) await procs[h]!.waitFor(/Reload complete/, 30_000, from[h]);
    const ka = watched("ka", from.ka);
    expect(watched("keel", from.keel)).toEqual(ka);
    return ka;
  }

  // VI_SC's script has failed by now: keepalived writes its cause at a reload too
  const causes = [
    "(VI_IF): entering FAULT state (interface dum0 down)",
    "(VI_TI): entering FAULT state (interface dum0 down)",
    "(VI_S1): entering FAULT state (interface dum1 down)",
    "(VI_TF): entering FAULT state (tracked file tf has status -254)",
    "(VI_TP) entering FAULT state (tracked process tp quorum not achieved)",
    "(VI_IF) entering FAULT state (no IPv4 address for interface)",
    "(VI_SC): entering FAULT state due to script chk_no",
    "(VI_NA) entering FAULT state (no IPv4 address for interface)",
    "(VI_S1) entering FAULT state (no IPv4 address for interface)",
    "VRRP_Group(G): Syncing VI_S1 to FAULT state",
  ];

  test("reloads: the causes again, 'entering FAULT state' only for an instance not in FAULT before, no (init) line", async () => {
    const fifoFrom = Object.fromEntries(HOSTS.map((h) => [h, fifoLines(h).length]));
    // the same configuration: nothing changes state
    expect(await reload(() => {})).toEqual(causes);
    // VI_OK now tracks dum0 (down): a changed instance, restarted in FAULT
    expect(await reload((h) => lab.file(confPath(h), conf(lab.tmpdir(h), true)))).toEqual([
      "(VI_OK): entering FAULT state (interface dum0 down)",
      ...causes,
      "(VI_OK) entering FAULT state",
    ]);
    // the FIFO: VI_OK's FAULT only (no group line: G stayed in FAULT, state_same_at_reload)
    const want = ['INSTANCE "VI_OK" FAULT 100'];
    await eventually(() => HOSTS.every((h) => fifoLines(h).length >= fifoFrom[h]! + want.length), 20_000);
    expect(fifoLines("ka").slice(fifoFrom.ka)).toEqual(want);
    expect(fifoLines("keel").slice(fifoFrom.keel)).toEqual(want);
  }, 90_000);
});
