/**
 * global_defs keywords about keepalived's processes: names, scheduling, memory,
 * script users and the startup/shutdown scripts (keepalived core/global_parser.c).
 */
import { type Handler, type Keyword, boolField, emitScalar, intField, quote } from "../schema";
import { emitScript, parseScript } from "../script";
import { UINT_MAX, flag } from "./helpers";
import type { GlobalDefs } from "./model";

type K = Keyword<GlobalDefs>;
type NameKey = "processName" | "vrrpProcessName" | "checkerProcessName" | "bfdProcessName";

/** Linux TASK_COMM_LEN is 16 including the NUL; keepalived truncates longer names. */
const TASK_COMM_LEN = 16;

function processName(key: NameKey): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const tok = n.args[0];
      if (!tok) return;
      let v = tok.text;
      if (v.length >= TASK_COMM_LEN) {
        v = v.slice(0, TASK_COMM_LEN - 1);
        c.error(
          tok,
          "too-long",
          `process name '${tok.text}' is more than ${TASK_COMM_LEN - 1} characters; keepalived truncates it to '${v}'`,
        );
      }
      t[key] = v;
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

/** A spelling keepalived still takes but logs as deprecated; parsed by `to`'s handler. */
export function deprecated(to: string, handler: Handler<GlobalDefs>): K {
  return {
    parse: (c, n, t) => {
      c.warning(n.keyword, "deprecated-keyword", `'${n.keyword.text}' is deprecated; use '${to}'`);
      handler(c, n, t);
    },
  };
}

type ScriptKey =
  | "startupScript"
  | "shutdownScript"
  | "notifyFifoScript"
  | "vrrpNotifyFifoScript"
  | "lvsNotifyFifoScript";

/**
 * `startup_script SCRIPT [USER [GROUP]]`, `*notify_fifo_script ...`: only one of each may
 * be given (keepalived reports the second and keeps the first).
 */
export function onceScript(key: ScriptKey): K {
  return {
    parse: (c, n, t) => {
      if (t[key] !== undefined) {
        c.error(n.keyword, "duplicate", `'${n.keyword.text}' already specified - ignoring this one`);
        return;
      }
      const s = parseScript(c, n);
      if (s) t[key] = c.origin(s, n);
    },
    emit: (t, kw) => {
      const s = t[key] && emitScript(t[key]);
      return s ? [`${kw} ${s}`] : [];
    },
  };
}

type AffinityKey = "vrrpCpuAffinity" | "checkerCpuAffinity" | "bfdCpuAffinity";

/**
 * `*_cpu_affinity CPU...`: keepalived clears the whole set on the first bad id. The upper
 * bound here is CPU_SETSIZE - 1; whether the CPU exists is a matter for the host.
 */
function cpuAffinity(key: AffinityKey): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1, Number.POSITIVE_INFINITY)) return;
      const ids = new Set<number>();
      for (const tok of n.args) {
        const v = c.intToken(tok, 0, 1023, `${n.keyword.text} cpu id`);
        if (v === undefined) return;
        ids.add(v);
      }
      t[key] = [...ids].sort((a, b) => a - b);
    },
    emit: (t, kw) => {
      const v = t[key];
      return v && v.length > 0 ? [`${kw} ${v.join(" ")}`] : [];
    },
  };
}

type RlimitKey = "vrrpRlimitRttime" | "checkerRlimitRttime" | "bfdRlimitRttime";

/** `*_rlimit_rttime USECS`: keepalived halves it later, so 1 becomes 2. */
function rlimit(key: RlimitKey): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 1, UINT_MAX);
      if (v !== undefined) t[key] = Math.max(v, 2);
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

type BufsKey =
  | "vrrpNetlinkCmdRcvBufs"
  | "vrrpNetlinkMonitorRcvBufs"
  | "lvsNetlinkCmdRcvBufs"
  | "lvsNetlinkMonitorRcvBufs"
  | "processMonitorRcvBufs";

/** `*_rcv_bufs BYTES`: 0 leaves the system default (keepalived ignores it). */
function rcvBufs(key: BufsKey): K {
  return {
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = c.int(n, 0, 0, UINT_MAX);
      if (v) t[key] = v;
    },
    emit: emitScalar<GlobalDefs>(key),
  };
}

const processNameKw = processName("processName");
const checkerProcessName = processName("checkerProcessName");
const vrrpRlimit = rlimit("vrrpRlimitRttime");
const checkerRlimit = rlimit("checkerRlimitRttime");
const bfdRlimit = rlimit("bfdRlimitRttime");

export const processKeywords: Record<string, K> = {
  // process_names sets the children's names to keepalived's defaults; it writes the
  // three fields, which are emitted by their own keywords.
  process_names: {
    parse: (c, n, t) => {
      c.count(n, 0);
      t.vrrpProcessName = "keepalived_vrrp";
      t.checkerProcessName = "keepalived_lvs";
      t.bfdProcessName = "keepalived_bfd";
    },
  },
  process_name: processNameKw,
  vrrp_process_name: processName("vrrpProcessName"),
  checker_process_name: checkerProcessName,
  lvs_process_name: deprecated("checker_process_name", checkerProcessName.parse),
  bfd_process_name: processName("bfdProcessName"),
  use_symlink_paths: boolField("useSymlinkPaths"),
  set_supplementary_groups: boolField("setSupplementaryGroups"),
  script_user: {
    parse: (c, n, t) => {
      if (!c.count(n, 1, 2)) return;
      const [user, group] = n.args;
      if (!user) return;
      t.scriptUser = c.origin(group ? { user: user.text, group: group.text } : { user: user.text }, n);
    },
    emit: (t, kw) => {
      const u = t.scriptUser;
      // a group cannot be written without the user before it
      if (u?.user === undefined) return [];
      return [`${kw} ${quote(u.user)}${u.group !== undefined ? ` ${quote(u.group)}` : ""}`];
    },
  },
  enable_script_security: flag("enableScriptSecurity"),
  startup_script: onceScript("startupScript"),
  startup_script_timeout: intField("startupScriptTimeout", 1, 1000),
  shutdown_script: onceScript("shutdownScript"),
  shutdown_script_timeout: intField("shutdownScriptTimeout", 1, 1000),
  // sched_get_priority_max(SCHED_RR) is 99 on Linux; no argument means that maximum.
  max_auto_priority: {
    parse: (c, n, t) => {
      if (!c.count(n, 0, 1)) return;
      if (n.args.length === 0) {
        t.maxAutoPriority = 99;
        return;
      }
      const v = c.int(n, 0, -1, 99);
      if (v !== undefined) t.maxAutoPriority = v;
    },
    emit: emitScalar("maxAutoPriority"),
  },
  min_auto_priority_delay: intField("minAutoPriorityDelay", 1, 10_000_000),
  vrrp_priority: intField("vrrpPriority", -20, 19),
  checker_priority: intField("checkerPriority", -20, 19),
  bfd_priority: intField("bfdPriority", -20, 19),
  vrrp_no_swap: flag("vrrpNoSwap"),
  checker_no_swap: flag("checkerNoSwap"),
  bfd_no_swap: flag("bfdNoSwap"),
  vrrp_rt_priority: intField("vrrpRtPriority", 1, 99),
  checker_rt_priority: intField("checkerRtPriority", 1, 99),
  bfd_rt_priority: intField("bfdRtPriority", 1, 99),
  vrrp_cpu_affinity: cpuAffinity("vrrpCpuAffinity"),
  checker_cpu_affinity: cpuAffinity("checkerCpuAffinity"),
  bfd_cpu_affinity: cpuAffinity("bfdCpuAffinity"),
  vrrp_rlimit_rttime: vrrpRlimit,
  checker_rlimit_rttime: checkerRlimit,
  bfd_rlimit_rttime: bfdRlimit,
  // deprecated since 2020 (keepalived logs it)
  vrrp_rlimit_rtime: deprecated("vrrp_rlimit_rttime", vrrpRlimit.parse),
  checker_rlimit_rtime: deprecated("checker_rlimit_rttime", checkerRlimit.parse),
  bfd_rlimit_rtime: deprecated("bfd_rlimit_rttime", bfdRlimit.parse),
  vrrp_netlink_cmd_rcv_bufs: rcvBufs("vrrpNetlinkCmdRcvBufs"),
  vrrp_netlink_cmd_rcv_bufs_force: boolField("vrrpNetlinkCmdRcvBufsForce"),
  vrrp_netlink_monitor_rcv_bufs: rcvBufs("vrrpNetlinkMonitorRcvBufs"),
  vrrp_netlink_monitor_rcv_bufs_force: boolField("vrrpNetlinkMonitorRcvBufsForce"),
  lvs_netlink_cmd_rcv_bufs: rcvBufs("lvsNetlinkCmdRcvBufs"),
  lvs_netlink_cmd_rcv_bufs_force: boolField("lvsNetlinkCmdRcvBufsForce"),
  lvs_netlink_monitor_rcv_bufs: rcvBufs("lvsNetlinkMonitorRcvBufs"),
  lvs_netlink_monitor_rcv_bufs_force: boolField("lvsNetlinkMonitorRcvBufsForce"),
  process_monitor_rcv_bufs: rcvBufs("processMonitorRcvBufs"),
  process_monitor_rcv_bufs_force: boolField("processMonitorRcvBufsForce"),
};
