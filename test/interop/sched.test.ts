/**
 * keel's daemon and keepalived 2.2.7's VRRP child with the same global_defs, side by side:
 * the scheduling, RLIMIT_RTTIME, memory lock, nice and CPU affinity each process ends up
 * with (chrt -p, /proc/PID/{stat,status,limits}), at start and after a reload that drops
 * real time for a nice value. Each host runs its own VRID, so the two never meet.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance, sh } from "../netns/harness";

const policy = (pid: number) =>
  sh(["chrt", "-p", String(pid)])
    .replaceAll(`pid ${pid}'s `, "")
    .trim();
const status = (pid: number, field: string) =>
  readFileSync(`/proc/${pid}/status`, "utf8")
    .match(new RegExp(`^${field}:\\s*(.*)$`, "m"))?.[1]
    ?.trim() ?? "";
const nice = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
};
const rttime = (pid: number) =>
  (
    readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max realtime timeout")) ?? ""
  )
    .replace(/\s+/g, " ")
    .trim();

function config(vrid: number, globals: string[]): string {
  return `global_defs {\n  router_id r${vrid}\n${globals.map((g) => `  ${g}\n`).join("")}}\n${instance({ vrid, state: "MASTER", priority: 150, vips: [`10.99.0.${vrid}/32`] })}`;
}

describe("process settings: keel's daemon beside keepalived's VRRP child", () => {
  let lab: Lab;
  let keel: Proc;
  let ka: Proc;
  let keelPid: number;
  let kaPid: number;
  const start = [
    "vrrp_rt_priority 30",
    // not applied with a real-time priority (process.c set_process_priorities)
    "vrrp_priority -5",
    // keepalived's 10 ms default can SIGKILL a JavaScript process (see netns/sched.test.ts)
    "vrrp_rlimit_rttime 1000000",
    "vrrp_no_swap",
    "vrrp_cpu_affinity 0",
  ];

  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["k", "ka"]);
    keel = lab.keel("k", config(61, start));
    ka = lab.keepalived("ka", config(62, start));
    await keel.waitFor(/\(VI_1\) Entering MASTER STATE/);
    await ka.waitFor(/\(VI_1\) Entering MASTER STATE/);
    keelPid = keel.proc.pid;
    kaPid = Number(readFileSync(`${lab.tmpdir("ka")}/vrrp-0.pid`, "utf8").trim());
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab?.destroy());

  test("at start: the same policy, priority, RLIMIT_RTTIME, nice, lock and CPUs", () => {
    expect(policy(keelPid)).toBe(policy(kaPid));
    expect(policy(kaPid)).toContain("SCHED_RR|SCHED_RESET_ON_FORK");
    expect(rttime(keelPid)).toBe(rttime(kaPid));
    expect(nice(keelPid)).toBe(nice(kaPid));
    expect(nice(kaPid)).toBe(0);
    expect(Number.parseInt(status(kaPid, "VmLck"), 10)).toBeGreaterThan(0);
    expect(Number.parseInt(status(keelPid, "VmLck"), 10)).toBeGreaterThan(0);
    expect(status(keelPid, "Cpus_allowed_list")).toBe(status(kaPid, "Cpus_allowed_list"));
  });

  test("after a reload to a nice value: SCHED_OTHER, that nice, unlocked, the old CPUs kept", async () => {
    writeFileSync(`${lab.dir}/k.conf`, config(61, ["vrrp_priority 5"]));
    writeFileSync(`${lab.dir}/ka-ka.conf`, config(62, ["vrrp_priority 5"]));
    keel.kill("SIGHUP");
    ka.kill("SIGHUP");
    await eventually(() => expect(nice(kaPid)).toBe(5), 15_000);
    await eventually(() => expect(nice(keelPid)).toBe(5), 15_000);
    expect(policy(keelPid)).toBe(policy(kaPid));
    expect(policy(kaPid)).toContain("SCHED_OTHER");
    expect(status(kaPid, "VmLck")).toBe("0 kB");
    expect(status(keelPid, "VmLck")).toBe("0 kB");
    // neither resets the affinity on reload
    expect(status(kaPid, "Cpus_allowed_list")).toBe("0");
    expect(status(keelPid, "Cpus_allowed_list")).toBe("0");
  });
});
