/**
 * keepalived's process settings on a running daemon and its checker process, read back
 * from the kernel: `chrt -p`, /proc/PID/sched, /proc/PID/status (VmLck, Cpus_allowed_list),
 * /proc/PID/stat (nice) and /proc/PID/limits (RLIMIT_RTTIME). The daemon takes the vrrp_*
 * settings, the checker process (started for the virtual_server) the checker_* ones
 * (keepalived vrrp_daemon.c start_vrrp, check_daemon.c start_check). A reload resets and
 * applies the new ones; a refused call is logged and the daemon runs on; a stalled loop
 * raises the priority under max_auto_priority (scheduler.c).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel, eventually, instance, sh } from "./harness";

const CPUS = availableParallelism();
/** the checker gets another CPU than the daemon when the machine has one */
const CHECKER_CPU = CPUS - 1;

function policy(pid: number): string {
  return sh(["chrt", "-p", String(pid)]).trim();
}
function status(pid: number, field: string): string {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s*(.*)$`, "m"));
  return m?.[1]?.trim() ?? "";
}
function lockedKb(pid: number): number {
  return Number.parseInt(status(pid, "VmLck"), 10);
}
/** field 19 of /proc/PID/stat, after the parenthesised command name */
function nice(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}
function rttime(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max realtime timeout"));
  return (line ?? "").replace(/\s+/g, " ").trim();
}
/** /proc/PID/sched's policy and prio lines (prio = 99 - rt_priority for SCHED_RR) */
function schedLines(pid: number): { policy: number; prio: number } {
  const text = readFileSync(`/proc/${pid}/sched`, "utf8");
  const v = (k: string) => Number(text.match(new RegExp(`^${k}\\s*:\\s*(-?\\d+)`, "m"))?.[1]);
  return { policy: v("policy"), prio: v("prio") };
}

function config(globals: string[], lab: Lab): string {
  return `global_defs {
  router_id lb
${globals.map((g) => `  ${g}`).join("\n")}
}
${instance({ state: "MASTER", priority: 150 })}
virtual_server 10.99.0.100 80 {
  delay_loop 5
  lb_kind DR
  protocol TCP
  real_server ${lab.ip("web")} 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
}

describe("process settings (vrrp_* on the daemon, checker_* on the checker process)", () => {
  let lab: Lab;
  let k: Proc;
  let daemon: number;
  let checker: number;

  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["lb", "web"]);
    const conf = config(
      [
        "vrrp_rt_priority 30",
        // RLIMIT_RTTIME's hard limit SIGKILLs a real-time thread that runs this long
        // without blocking: keepalived's 10 ms default is too tight for a JavaScript
        // process starting up on a busy machine (the checker process was killed with 8 ms)
        "vrrp_rlimit_rttime 2000000",
        "vrrp_no_swap",
        "vrrp_cpu_affinity 0",
        "checker_rt_priority 20",
        "checker_rlimit_rtime 1000000",
        "checker_no_swap",
        `checker_cpu_affinity ${CHECKER_CPU}`,
      ],
      lab,
    );
    k = lab.keel("lb", conf);
    daemon = k.proc.pid;
    const child = await k.waitFor(/Starting Healthcheck child process, pid=(\d+)/);
    checker = Number(child.text.match(/pid=(\d+)/)?.[1]);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/);
  }, HOOK_TIMEOUT_MS);
  afterAll(() => lab?.destroy());

  test("the daemon runs SCHED_RR 30 with RLIMIT_RTTIME 1/2 s, locked in memory, on CPU 0", async () => {
    await k.waitFor(/Startup complete/);
    expect(policy(daemon)).toBe(
      `pid ${daemon}'s current scheduling policy: SCHED_RR|SCHED_RESET_ON_FORK\npid ${daemon}'s current scheduling priority: 30`,
    );
    expect(schedLines(daemon)).toEqual({ policy: 2, prio: 99 - 30 });
    expect(rttime(daemon)).toBe("Max realtime timeout 1000000 2000000 us");
    expect(lockedKb(daemon)).toBeGreaterThan(0);
    expect(status(daemon, "Cpus_allowed_list")).toBe("0");
  });

  test("the checker process runs its own settings, not the daemon's", async () => {
    // the child applies them once it has read the configuration and opened IPVS
    await eventually(() => expect(policy(checker)).toContain("scheduling priority: 20"), 15_000);
    expect(policy(checker)).toContain("SCHED_RR|SCHED_RESET_ON_FORK");
    expect(schedLines(checker)).toEqual({ policy: 2, prio: 99 - 20 });
    // the deprecated checker_rlimit_rtime spelling sets the same limit
    expect(rttime(checker)).toBe("Max realtime timeout 500000 1000000 us");
    expect(lockedKb(checker)).toBeGreaterThan(0);
    expect(status(checker, "Cpus_allowed_list")).toBe(String(CHECKER_CPU));
  });

  test("reload: real-time and mlockall are undone, nice applied, a refused CPU logged and the old mask kept", async () => {
    const from = k.lines.length;
    writeFileSync(
      `${lab.dir}/lb.conf`,
      config(["vrrp_priority 5", "vrrp_cpu_affinity 1000", "checker_priority 7", "checker_no_swap"], lab),
    );
    k.kill("SIGHUP");
    await k.waitFor(/Reload complete/, 10_000, from);
    const refused = await k.waitFor(/unable to set cpu affinity to vrrp process/, 5_000, from);
    expect(refused.text).toContain("Invalid argument [EINVAL]");
    expect(policy(daemon)).toContain("SCHED_OTHER");
    expect(nice(daemon)).toBe(5);
    expect(lockedKb(daemon)).toBe(0);
    // keepalived never resets the affinity: an unusable new one leaves the old
    expect(status(daemon, "Cpus_allowed_list")).toBe("0");
    expect(k.text()).not.toContain("Stopping");
    // the checker applies nice, then mlockall (process-settings.ts apply): wait for both,
    // or a read between the two sees the new nice with the memory not yet locked
    await eventually(() => {
      expect(nice(checker)).toBe(7);
      expect(lockedKb(checker)).toBeGreaterThan(0);
    }, 15_000);
    expect(policy(checker)).toContain("SCHED_OTHER");
  });

  test("a respawned checker process starts from the daemon's original affinity and nice, not its settings", async () => {
    const from = k.lines.length;
    process.kill(checker, "SIGKILL");
    const line = await k.waitFor(/Starting Healthcheck child process, pid=(\d+)/, 10_000, from);
    checker = Number(line.text.match(/pid=(\d+)/)?.[1]);
    await eventually(() => expect(nice(checker)).toBe(7), 15_000);
    // the daemon is still on CPU 0 and at nice 5; keepalived's child is forked from a
    // parent that applied neither, so it runs where keel itself was started
    expect(status(daemon, "Cpus_allowed_list")).toBe("0");
    expect(status(checker, "Cpus_allowed_list")).toBe(status(process.pid, "Cpus_allowed_list"));
    expect(nice(daemon)).toBe(5);
  });

  test("max_auto_priority: a loop stalled past min_auto_priority_delay goes real-time, one step each time, up to the maximum", async () => {
    const from = k.lines.length;
    writeFileSync(
      `${lab.dir}/lb.conf`,
      config(["max_auto_priority 2", "min_auto_priority_delay 100000", "vrrp_rlimit_rttime 1000000"], lab),
    );
    k.kill("SIGHUP");
    await k.waitFor(/Reload complete/, 10_000, from);
    expect(policy(daemon)).toContain("SCHED_OTHER");
    const stall = async (n: number) => {
      const at = k.lines.length;
      process.kill(daemon, "SIGSTOP");
      await eventually(() => readFileSync(`/proc/${daemon}/stat`, "utf8").includes(") T "), 5_000, 10);
      // the stall itself is the input: its timer is at least 400 ms late when it runs again
      await Bun.sleep(400);
      process.kill(daemon, "SIGCONT");
      await k.waitFor(/A thread timer expired \d+\.\d{6} seconds ago/, 5_000, at);
      if (n > 0) await k.waitFor(new RegExp(`Set realtime priority ${n}$`), 5_000, at);
      return at;
    };
    await stall(1);
    expect(policy(daemon)).toContain("SCHED_RR|SCHED_RESET_ON_FORK");
    expect(policy(daemon)).toContain("scheduling priority: 1");
    // going real-time on its own also sets vrrp_rlimit_rttime (lowering the hard limit)
    expect(rttime(daemon)).toBe("Max realtime timeout 500000 1000000 us");
    await stall(2);
    expect(policy(daemon)).toContain("scheduling priority: 2");
    const at = await stall(0);
    expect(k.lines.slice(at).some((l) => /Set realtime priority/.test(l.text))).toBe(false);
    expect(policy(daemon)).toContain("scheduling priority: 2");
  });
});
