/**
 * vrrp_track_process through the kernel's process events (issue 16), against keepalived
 * 2.2.7 with the same configuration:
 *
 * - keel started in the initial namespace with `net_namespace` (VRRP in the lab's h1)
 *   opens the connector before setns and follows a process the test starts and kills:
 *   each "Track process ... quorum gained/lost" comes before the instance's state change,
 *   and `process_monitor_rcv_bufs` sizes that socket (read from keel's own descriptor);
 * - keel started inside a namespace (h2) cannot reach the connector (it lives in the
 *   initial namespace only): one warning, then the /proc scan each second, still followed;
 * - keepalived 2.2.7 does as keel with net_namespace (main.c opens the socket before
 *   set_namespaces, "proc_events has confirmed it is configured") and follows; started
 *   inside a namespace it logs "Failed to set/clear process event listen - errno 111"
 *   (ECONNREFUSED) and its tracker never changes: the instance stays in FAULT while the
 *   process runs, where keel falls back to the scan.
 * - a process name longer than the 15 bytes of a comm: keepalived compares the whole name
 *   with the comm (track_process.c strcmp) and never matches it; only full_command (argv[0])
 *   finds the process. keel did the same to the first 15 bytes and matched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { peerRcvbuf } from "../../native-bindings/sock-peek";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, instance } from "../netns/harness";

let lab: Lab;
let comm: string;
let binary: string;
/** a second name for sleep, longer than the 15 bytes the kernel keeps of a comm */
let longName: string;
let longBinary: string;
const nsDirs: string[] = [];

beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["h1", "h2"]);
  // the tracked process: sleep under a name of its own (the comm is the executable's name)
  comm = `${lab.prefix}pm`.slice(0, 15);
  binary = join(lab.dir, comm);
  symlinkSync(Bun.which("sleep")!, binary);
  longName = `${lab.prefix}-long-process-name`;
  longBinary = join(lab.dir, longName);
  symlinkSync(Bun.which("sleep")!, longBinary);
}, HOOK_TIMEOUT_MS);
afterAll(() => {
  lab?.destroy();
  for (const d of nsDirs) rmSync(d, { recursive: true, force: true });
});

function conf(o: { ns?: string; vrid: number; rcvbufs?: string[] }): string {
  return `global_defs {
  router_id tp${o.vrid}
${(o.rcvbufs ?? []).map((l) => `  ${l}\n`).join("")}}
${o.ns ? `net_namespace ${o.ns}\n` : ""}vrrp_track_process tp {
  process ${comm}
}
${instance({ priority: 100, vrid: o.vrid, vips: [`10.99.0.${o.vrid}/32`], extra: ["track_process {", "  tp", "}"] })}`;
}

/** Index of the first line matching `re` at or after `from`, -1 when none. */
function at(p: Proc, re: RegExp, from = 0): number {
  return p.lines.findIndex((l, i) => i >= from && re.test(l.text));
}

/** keel's NETLINK_CONNECTOR socket: its fd, found by inode in this (the initial) namespace's table. */
function connectorFd(pid: number): number {
  const inodes = new Set(
    readFileSync("/proc/self/net/netlink", "utf8")
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === "11")
      .map((f) => f[9]),
  );
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let l = "";
    try {
      l = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {}
    const inode = /^socket:\[(\d+)\]$/.exec(l)?.[1];
    if (inode && inodes.has(inode)) return Number(fd);
  }
  throw new Error(`no NETLINK_CONNECTOR socket in pid ${pid}`);
}

describe("vrrp_track_process follows process events", () => {
  test("keel: events in net_namespace (socket opened before setns), the /proc scan inside a namespace", async () => {
    const ns1 = lab.ns("h1");
    nsDirs.push(`/run/keepalived/${ns1}`, `/run/keel/${ns1}`);
    const evented = lab.keel(
      "h1",
      conf({ ns: ns1, vrid: 61, rcvbufs: ["process_monitor_rcv_bufs 1000000", "process_monitor_rcv_bufs_force"] }),
      [],
      { initialNamespace: true },
    );
    const scanned = lab.keel("h2", conf({ vrid: 62 }));
    for (const k of [evented, scanned]) {
      await k.waitFor(/Track process tp quorum lost \(0 running\)/);
      // scanned before the instance starts (keepalived init_track_processes): in FAULT from
      // the start, with keepalived's cause and vrrp_complete_init's line
      await k.waitFor(/\(VI_1\) entering FAULT state \(tracked process tp quorum not achieved\)/);
      await k.waitFor(/\(VI_1\) entering FAULT state$/);
    }
    expect(evented.text()).toContain(`Running in network namespace ${ns1}`);
    // waited for: the connector's lines can follow the first FAULT (a CPU hog showed it)
    await evented.waitFor(/track_process: following the kernel's process events \(1 tracked\)/);
    expect(evented.text()).not.toContain("scanning /proc");
    // inside a namespace the connector refuses (errno 111): said once, then the scan
    await scanned.waitFor(
      /track_process: no process events from the kernel \(.*ECONNREFUSED.*\); scanning \/proc every second instead/,
    );
    // process_monitor_rcv_bufs with _force: SO_RCVBUFFORCE 1000000, which the kernel doubles
    expect(peerRcvbuf(evented.pid, connectorFd(evented.pid))).toBe(2_000_000);

    const from = [evented.lines.length, scanned.lines.length];
    const proc = Bun.spawn([binary, "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      for (const [i, k] of [evented, scanned].entries()) {
        const gained = await k.waitFor(/Track process tp quorum gained \(1 running\)/, undefined, from[i]);
        const out = await k.waitFor(/\(VI_1\) Entering (BACKUP|MASTER) STATE/, 30_000, from[i]);
        expect(at(k, /quorum gained/, from[i])).toBeLessThan(k.lines.indexOf(out));
        expect(k.lines.indexOf(gained)).toBeGreaterThanOrEqual(from[i]!);
      }
      // a reload builds new trackers on the same connector socket: a new scan, then events
      const reloaded = evented.lines.length;
      evented.kill("SIGHUP");
      await evented.waitFor(/Reload complete/, undefined, reloaded);
      await evented.waitFor(/track_process: following the kernel's process events/, undefined, reloaded);
    } finally {
      proc.kill("SIGKILL");
    }
    await proc.exited;
    const down = [evented.lines.length, scanned.lines.length];
    for (const [i, k] of [evented, scanned].entries()) {
      await k.waitFor(/Track process tp quorum lost \(0 running\)/, undefined, down[i]);
      await k.waitFor(/\(VI_1\) Entering FAULT STATE/, undefined, down[i]);
      expect(at(k, /quorum lost/, down[i])).toBeLessThan(at(k, /Entering FAULT STATE/, down[i]));
    }
    for (const k of [evented, scanned]) {
      k.kill("SIGTERM");
      expect(await k.exited).toBe(0);
    }
  }, 120_000);

  test("keepalived 2.2.7: follows in net_namespace (opened before setns), errno 111 when started inside", async () => {
    const ns1 = lab.ns("h1");
    const outer = lab.keepalived("h1", conf({ ns: ns1, vrid: 61 }), [], { initialNamespace: true });
    const inside = lab.keepalived("h2", conf({ vrid: 62 }));
    await outer.waitFor(/proc_events has confirmed it is configured/);
    await inside.waitFor(/Failed to set\/clear process event listen - errno 111/);
    for (const k of [outer, inside])
      await k.waitFor(/\(VI_1\) entering FAULT state \(tracked process tp quorum not achieved\)/);
    const from = inside.lines.length;
    const proc = Bun.spawn([binary, "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      await outer.waitFor(/\(VI_1\) Entering (BACKUP|MASTER) STATE/);
      // by then keepalived inside the namespace has had the same process event and did nothing
      // with it: it has no socket to hear it on
      expect(
        inside.lines
          .slice(from)
          .map((l) => l.text)
          .join("\n"),
      ).not.toMatch(/Entering (BACKUP|MASTER) STATE/);
    } finally {
      proc.kill("SIGKILL");
    }
    await proc.exited;
    for (const k of [outer, inside]) {
      k.kill("SIGTERM");
      await k.exited;
    }
  }, 60_000);

  test("a name longer than a comm matches only with full_command, in keepalived 2.2.7 and in keel", async () => {
    const ns1 = lab.ns("h1");
    nsDirs.push(`/run/keepalived/${ns1}`, `/run/keel/${ns1}`);
    // VI_1 follows the process by argv[0] (full_command), VI_2 by the long name as a comm
    const longConf = (vrid: number) => `global_defs {
  router_id tpl${vrid}
}
net_namespace ${ns1}
vrrp_track_process tp_full {
  process ${longBinary}
  full_command
}
vrrp_track_process tp_long {
  process ${longName}
}
${instance({ name: "VI_1", priority: 100, vrid, vips: [`10.99.0.${vrid}/32`], extra: ["track_process {", "  tp_full", "}"] })}
${instance({ name: "VI_2", priority: 100, vrid: vrid + 1, vips: [`10.99.0.${vrid + 1}/32`], extra: ["track_process {", "  tp_long", "}"] })}`;
    // both in the initial namespace: the process connector is opened before net_namespace's setns
    const k = lab.keel("h1", longConf(63), [], { initialNamespace: true });
    const ka = lab.keepalived("h1", longConf(65), [], { initialNamespace: true });
    await k.waitFor(/track_process: following the kernel's process events \(2 tracked\)/);
    await ka.waitFor(/proc_events has confirmed it is configured/);
    for (const vi of ["VI_1", "VI_2"]) {
      // the same start lines from both
      for (const d of [k, ka])
        await d.waitFor(
          new RegExp(`\\(${vi}\\) entering FAULT state \\(tracked process tp_\\w+ quorum not achieved\\)`),
        );
    }
    const from = [k.lines.length, ka.lines.length];
    const proc = Bun.spawn([longBinary, "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      for (const [i, d] of [k, ka].entries())
        await d.waitFor(/\(VI_1\) Entering (BACKUP|MASTER) STATE/, 30_000, from[i]);
    } finally {
      proc.kill("SIGKILL");
    }
    await proc.exited;
    // the process has come and gone: VI_1 back to FAULT, after every event about it
    for (const [i, d] of [k, ka].entries())
      await d.waitFor(/\(VI_1\) [Ee]ntering FAULT [Ss][Tt][Aa][Tt][Ee]/, 30_000, from[i]);
    for (const [i, d] of [k, ka].entries()) {
      const after = d.lines
        .slice(from[i])
        .map((l) => l.text)
        .join("\n");
      expect(after).not.toMatch(/\(VI_2\) Entering (BACKUP|MASTER) STATE/);
      expect(after).not.toMatch(/Track process tp_long quorum gained/);
    }
    expect(k.text()).toContain("Track process tp_full quorum gained (1 running)");
    for (const d of [k, ka]) {
      d.kill("SIGTERM");
      await d.exited;
    }
  }, 90_000);
});
