/**
 * Where pid files, the control socket and the syslog ident go, as keepalived names them
 * (core/main.c after reading the configuration, pidfile.c's make_pidfile_name):
 *
 * - no `net_namespace`, `instance` or `use_pid_dir`: /run/keepalived.pid,
 *   /run/keepalived_vrrp.pid, /run/keepalived_checkers.pid, /run/keepalived_bfd.pid;
 * - `use_pid_dir` (implied by the other two): /run/keepalived/keepalived.pid, vrrp.pid,
 *   checkers.pid, bfd.pid; `instance NAME` adds `_NAME` before `.pid`;
 * - `net_namespace NS`: keepalived bind-mounts /run/keepalived/NS on /run/keepalived in
 *   its own mount namespace (namespaces.c set_run_mount), so from outside the files are
 *   /run/keepalived/NS/keepalived.pid etc. keel writes them there directly: a mount
 *   namespace cannot be unshared by a process that already runs threads, as a Bun
 *   process does, and the paths everyone else sees are the same;
 * - the syslog ident is keepalived_NS_INSTANCE for keepalived (make_syslog_ident), so
 *   keel_NS_INSTANCE for keel;
 * - keel's control socket (keel's own, default /run/keel/keel.sock) moves to
 *   /run/keel/NS/keel.sock, so one keel per namespace runs side by side.
 *
 * Pure: the caller creates the directories.
 */
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { DEFAULT_BFD_PID_FILE, DEFAULT_CHECKERS_PID_FILE, DEFAULT_PID_FILE, DEFAULT_VRRP_PID_FILE } from "./pidfile";

export interface RunNames {
  netNamespace?: string;
  instance?: string;
  usePidDir?: boolean;
}

export interface RunPaths {
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  bfdPidFile: string;
  controlSocket: string;
  /** the directory pid files go in, when it is keepalived's own (created at start) */
  pidDir?: string;
  /** the syslog tag */
  ident: string;
}

const PID_DIR = "/run/keepalived";

/** The control socket of the keel running in namespace `ns` (keel status -s NS). */
export function controlSocketFor(ns: string | undefined): string {
  return ns === undefined ? DEFAULT_CONTROL_SOCKET : `/run/keel/${ns}/keel.sock`;
}

export function runPaths(n: RunNames): RunPaths {
  const controlSocket = controlSocketFor(n.netNamespace);
  const ident = ["keel", n.netNamespace, n.instance].filter((p) => p !== undefined).join("_");
  if (!n.usePidDir && n.instance === undefined && n.netNamespace === undefined)
    return {
      pidFile: DEFAULT_PID_FILE,
      vrrpPidFile: DEFAULT_VRRP_PID_FILE,
      checkersPidFile: DEFAULT_CHECKERS_PID_FILE,
      bfdPidFile: DEFAULT_BFD_PID_FILE,
      controlSocket,
      ident,
    };
  const dir = n.netNamespace === undefined ? PID_DIR : `${PID_DIR}/${n.netNamespace}`;
  const suffix = n.instance === undefined ? ".pid" : `_${n.instance}.pid`;
  return {
    pidFile: `${dir}/keepalived${suffix}`,
    vrrpPidFile: `${dir}/vrrp${suffix}`,
    checkersPidFile: `${dir}/checkers${suffix}`,
    bfdPidFile: `${dir}/bfd${suffix}`,
    controlSocket,
    pidDir: dir,
    ident,
  };
}

/** A namespace name that is one path component (iproute2 refuses the others too). */
export function validNamespaceName(ns: string): boolean {
  return ns !== "" && ns !== "." && ns !== ".." && !ns.includes("/") && !ns.includes("\0");
}
