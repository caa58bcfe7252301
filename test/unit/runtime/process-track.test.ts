/**
 * vrrp_track_process's bookkeeping driven by process events, as keepalived's
 * core/track_process.c keeps it: forks count where the parent counts, exec and comm
 * changes match again, exits uncount, fork_delay / terminate_delay on a virtual clock,
 * and check_params' three param_match rules.
 */
import { expect, test } from "bun:test";
import { createTrackProcess, type TrackProcess } from "../../../src/config/vrrp/model";
import { type ProcInfo, ProcessTable, processMatches } from "../../../src/runtime/process-track";

function tracker(name: string, o: Partial<TrackProcess>): TrackProcess {
  return { ...createTrackProcess(name), ...o };
}

/** A process table and a virtual clock: what the kernel and setTimeout would give. */
function lab(procs: TrackProcess[]) {
  const ps = new Map<number, ProcInfo>();
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const changes: string[] = [];
  const table = new ProcessTable(
    procs,
    (pid) => ps.get(pid),
    (ms, fn) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
    (p, up, count) => changes.push(`${p.name} ${up ? "up" : "down"} ${count}`),
  );
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.live && x.at <= now).sort((a, b) => a.at - b.at)) {
      t.live = false;
      t.fn();
    }
  };
  return { ps, table, changes, advance };
}

const nginx = (pid: number, argv: string[] = ["/usr/sbin/nginx"]): [number, ProcInfo] => [
  pid,
  { comm: "nginx", cmdline: `${argv.join("\0")}\0` },
];

test("fork, exec, comm change and exit move the count; quorum 2 goes up and down with it", () => {
  const { ps, table, changes } = lab([tracker("web", { process: "nginx", quorum: 2 })]);
  ps.set(...nginx(100));
  table.scan(ps);
  expect(changes).toEqual(["web down 1"]);
  // a worker forks from the master: it counts where its parent counts
  table.fork(100, 101);
  ps.set(...nginx(101));
  expect(changes).toEqual(["web down 1", "web up 2"]);
  // an unrelated fork is ignored
  table.fork(1, 500);
  expect(table.state("web").count).toBe(2);
  // the worker execs something else: matched again, no longer nginx
  ps.set(101, { comm: "sh", cmdline: "sh\0" });
  table.exec(101);
  expect(changes.at(-1)).toBe("web down 1");
  // and renames itself back (prctl PR_SET_NAME): counted again
  table.comm(101, "nginx");
  expect(changes.at(-1)).toBe("web up 2");
  table.exit(100);
  expect(changes.at(-1)).toBe("web down 1");
  expect(table.pidsOf("web")).toEqual([101]);
});

test("a fork the scan already counted is not counted twice", () => {
  const { ps, table } = lab([tracker("web", { process: "nginx" })]);
  ps.set(...nginx(100));
  ps.set(...nginx(101));
  table.scan(ps);
  table.fork(100, 101);
  expect(table.state("web").count).toBe(2);
});

test("comm changes do not touch a full_command tracker; exec does", () => {
  const { ps, table } = lab([tracker("full", { process: "/usr/sbin/nginx", fullCommand: true })]);
  ps.set(...nginx(100));
  table.scan(ps);
  expect(table.state("full").count).toBe(1);
  table.comm(100, "other");
  expect(table.state("full").count).toBe(1);
  ps.set(100, { comm: "other", cmdline: "/bin/other\0" });
  table.exec(100);
  expect(table.state("full").count).toBe(0);
});

test("fork_delay: a gain counts only after the delay, and a loss within it cancels it", () => {
  const { ps, table, changes, advance } = lab([tracker("p", { process: "nginx", forkDelay: 2 })]);
  table.scan(ps);
  expect(changes).toEqual(["p down 0"]); // the first state counts at once
  ps.set(...nginx(7));
  table.exec(7);
  expect(table.state("p")).toMatchObject({ count: 1, up: false, forkPending: true });
  advance(1_000);
  table.exit(7);
  advance(5_000);
  expect(changes).toEqual(["p down 0"]);
  table.exec(7);
  advance(1_999);
  expect(changes).toEqual(["p down 0"]);
  advance(1);
  expect(changes).toEqual(["p down 0", "p up 1"]);
});

test("terminate_delay: a loss counts after the delay unless the process is back", () => {
  const { ps, table, changes, advance } = lab([tracker("p", { process: "nginx", terminateDelay: 3 })]);
  ps.set(...nginx(7));
  table.scan(ps);
  table.exit(7);
  expect(table.state("p").terminatePending).toBe(true);
  table.fork(1, 8); // untracked parent
  ps.set(...nginx(9));
  table.exec(9); // a new nginx within the delay
  advance(10_000);
  expect(changes).toEqual(["p up 1"]);
  table.exit(9);
  advance(3_000);
  expect(changes).toEqual(["p up 1", "p down 0"]);
});

test("quorum_max: one process too many is down", () => {
  const { ps, table, changes } = lab([tracker("p", { process: "nginx", quorum: 1, quorumMax: 2 })]);
  ps.set(...nginx(1));
  ps.set(...nginx(2));
  table.scan(ps);
  table.fork(1, 3);
  table.exit(2);
  expect(changes).toEqual(["p up 2", "p down 3", "p up 2"]);
});

test("param_match as keepalived's check_params compares the NUL-separated parameters", () => {
  const info = (cmd: string[]): ProcInfo => ({ comm: "x", cmdline: `${cmd.join("\0")}\0` });
  const t = (paramMatch: TrackProcess["paramMatch"], params?: string[]) =>
    tracker("t", { process: "/bin/app", fullCommand: true, paramMatch, params });
  const run = ["/bin/app", "--config", "a.conf"];
  expect(processMatches(t("exact", ["--config", "a.conf"]), info(run))).toBe(true);
  expect(processMatches(t("exact", ["--config"]), info(run))).toBe(false);
  // param_match with no parameters: exact means none at all
  expect(processMatches(t("exact"), info(run))).toBe(false);
  expect(processMatches(t("exact"), info(["/bin/app"]))).toBe(true);
  // partial: the configured ones are the first ones, whole
  expect(processMatches(t("partial", ["--config"]), info(run))).toBe(true);
  expect(processMatches(t("partial", ["--conf"]), info(run))).toBe(false);
  expect(processMatches(t("partial", ["a.conf"]), info(run))).toBe(false);
  // initial: the last one need only start the process's one
  expect(processMatches(t("initial", ["--config", "a."]), info(run))).toBe(true);
  expect(processMatches(t("initial", ["--conf"]), info(run))).toBe(true);
  expect(processMatches(t("initial", ["--config", "b"]), info(run))).toBe(false);
  // no param_match: any parameters
  expect(processMatches(t(undefined), info(run))).toBe(true);
  expect(processMatches(t(undefined), info(["/bin/other"]))).toBe(false);
});

test("a name longer than a comm's 15 bytes matches only with full_command (track_process.c: strcmp(comm, process_path))", () => {
  const name = "postgres-replica-agent"; // 22 bytes; the kernel's comm is its first 15
  const info: ProcInfo = { comm: name.slice(0, 15), cmdline: `${name}\0--serve\0` };
  expect(processMatches(tracker("long", { process: name }), info)).toBe(false);
  expect(processMatches(tracker("cut", { process: name.slice(0, 15) }), info)).toBe(true);
  expect(processMatches(tracker("full", { process: name, fullCommand: true }), info)).toBe(true);
  // a comm change to the cut name is not the long name either (check_process_comm_change)
  const { ps, table, changes } = lab([tracker("long", { process: name })]);
  ps.set(10, info);
  table.scan(ps);
  table.comm(10, name.slice(0, 15));
  expect(changes).toEqual(["long down 0"]);
});
