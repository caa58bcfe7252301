/**
 * Network namespaces (setns(2)), as keepalived's core/namespaces.c enters them:
 * `net_namespace NAME` / `-s NAME` move the process into /run/netns/NAME before any
 * socket is opened (set_namespaces), and `net_namespace_ipvs` opens only the IPVS
 * netlink socket in another one and comes back (set_netns_name / restore_net_namespace).
 *
 * setns(CLONE_NEWNET) moves the calling thread only. keel calls it on the JavaScript
 * thread, which opens every socket (the FFI ones here, and Bun's own: its listeners and
 * connections are made on this thread's event loop); threads started later (Bun's HTTP
 * client, Workers, children) inherit it, as a new thread inherits its creator's namespaces.
 */
import { dlopen, FFIType } from "bun:ffi";
import { check } from "./errno";
// libc file calls, not node:fs (DESIGN.md rule 6)
import { closeFile, openFile, readLink } from "./file";

const { i32 } = FFIType;
const CLONE_NEWNET = 0x40000000;

// its own dlopen at the first call, as sched.ts: most starts never enter a namespace
const SYMBOLS = { setns: { args: [i32, i32], returns: i32 } } as const;
let opened: ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"] | undefined;
function lib() {
  opened ??= dlopen("libc.so.6", SYMBOLS).symbols;
  return opened;
}

/** iproute2's directory of named namespaces (`ip netns add NAME`) */
export const NETNS_DIR = "/run/netns";

/** The file naming namespace NAME; "" is the default namespace (pid 1's), as keepalived's open_ipvs_namespace. */
export function netnsPath(name: string): string {
  return name === "" ? "/proc/1/ns/net" : `${NETNS_DIR}/${name}`;
}

function enterPath(path: string): void {
  // open throws ENOENT with the path (as node:fs did), the clearest error for a namespace not added
  const fd = openFile(path, "r");
  try {
    check("setns", lib().setns(fd, CLONE_NEWNET), path);
  } finally {
    closeFile(fd);
  }
}

/** Move the calling thread into network namespace NAME for good. Throws (ENOENT, SyscallError). */
export function enterNetNamespace(name: string): void {
  enterPath(netnsPath(name));
}

/**
 * Run `fn` in namespace NAME and come back to the current one, also when it throws
 * (keepalived's socket_netns_name / nl_ipvs_connect). A socket opened inside stays in NAME.
 */
export function inNetNamespace<T>(name: string, fn: () => T): T {
  const home = openFile("/proc/thread-self/ns/net", "r");
  try {
    enterPath(netnsPath(name));
    try {
      return fn();
    } finally {
      check("setns", lib().setns(home, CLONE_NEWNET), "back to the starting namespace");
    }
  } finally {
    closeFile(home);
  }
}

/** The inode of the calling thread's network namespace (equal inodes: the same namespace). */
export function currentNetNamespaceId(): string {
  return readLink("/proc/thread-self/ns/net");
}
