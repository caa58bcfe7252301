/**
 * Receive buffers against Debian's keepalived 2.2.7, one config run by each in turn: the
 * VRRP receive socket's SO_RCVBUF (vrrp_rx_bufs_policy ADVERT × vrrp_rx_bufs_multiplier
 * for one instance plus another's kernel_rx_buf_size) and the rtnetlink command and
 * monitor sockets' (vrrp_netlink_cmd_rcv_bufs capped by net.core.rmem_max,
 * vrrp_netlink_monitor_rcv_bufs with _force past it), read from each process's own
 * descriptors (native-bindings/sock-peek.ts).
 *
 * Which descriptor is which comes from /proc/PID/net: raw protocol 112 sockets, and
 * NETLINK_ROUTE ones with (monitor) or without (command) multicast groups. keepalived has
 * a receive and a send socket per pool entry; its receive one is bound to the group.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { peerRcvbuf } from "../../native-bindings/sock-peek";
import { HOOK_TIMEOUT_MS, Lab, type Proc, ensureKeel } from "../netns/harness";

const CONF = `global_defs {
  router_id rx
  vrrp_rx_bufs_policy ADVERT
  vrrp_rx_bufs_multiplier 5
  vrrp_netlink_cmd_rcv_bufs 300000
  vrrp_netlink_monitor_rcv_bufs 400000
  vrrp_netlink_monitor_rcv_bufs_force
}
vrrp_instance A {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.99.0.100/32
    10.99.0.101/32
  }
}
vrrp_instance B {
  interface eth0
  state BACKUP
  virtual_router_id 52
  priority 100
  advert_int 1
  kernel_rx_buf_size 100000
  virtual_ipaddress {
    10.99.0.102/32
  }
}
`;

let lab: Lab;
beforeAll(() => {
  ensureKeel();
  if (!Bun.which("keepalived")) throw new Error("keepalived is needed");
  lab = Lab.create(["h1"]);
}, HOOK_TIMEOUT_MS);
afterAll(() => lab?.destroy());

interface Bufs {
  vrrp: number;
  cmd: number[];
  monitor: number[];
}

/** inode → fd of a process's sockets */
function socketFds(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const l = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })();
    const inode = /^socket:\[(\d+)\]$/.exec(l)?.[1];
    if (inode) m.set(inode, Number(fd));
  }
  return m;
}

function bufsOf(pid: number): Bufs {
  const fds = socketFds(pid);
  const rows = (file: string) =>
    readFileSync(`/proc/${pid}/net/${file}`, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
  // /proc/net/raw: sl local rem st tx:rx tr:when retr uid timeout inode ...; local is ADDR:PROTO in hex
  const raw = rows("raw").filter((r) => r[1]?.endsWith(":0070") && fds.has(r[9] as string));
  const recv = raw.length > 1 ? raw.filter((r) => !r[1]?.startsWith("00000000:")) : raw;
  expect(recv).toHaveLength(1);
  const vrrp = peerRcvbuf(pid, fds.get(recv[0]?.[9] as string) as number);
  // /proc/net/netlink: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  const route = rows("netlink").filter((r) => r[1] === "0" && fds.has(r[9] as string));
  const buf = (r: string[]) => peerRcvbuf(pid, fds.get(r[9] as string) as number);
  return {
    vrrp,
    cmd: route.filter((r) => Number.parseInt(r[3] as string, 16) === 0).map(buf),
    monitor: route.filter((r) => Number.parseInt(r[3] as string, 16) !== 0).map(buf),
  };
}

async function run(start: () => Proc, pidOf: (p: Proc) => number): Promise<Bufs> {
  const p = start();
  await p.waitFor(/\(B\) Entering BACKUP STATE/, 30_000);
  const b = bufsOf(pidOf(p));
  p.kill("SIGTERM");
  await p.exited;
  return b;
}

test("the VRRP and netlink receive buffers are keepalived's", async () => {
  const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
  const ka = await run(
    () => lab.keepalived("h1", CONF),
    () => Number(readFileSync(`${lab.tmpdir("h1")}/vrrp-0.pid`, "utf8")),
  );
  // A: 5 × (8 header + 8 auth + 2 × 4 addresses + 20 IPv4 header); B: its own 100000; the kernel doubles
  expect(ka.vrrp).toBe(2 * (5 * 44 + 100_000));
  expect(ka.cmd).toEqual([2 * Math.min(300_000, rmemMax)]);
  expect(ka.monitor).toEqual([800_000]);
  const keel = await run(
    () => lab.keel("h1", CONF),
    (p) => p.pid,
  );
  expect(keel.vrrp).toBe(ka.vrrp);
  expect(keel.cmd).toEqual(ka.cmd);
  expect(keel.monitor).toEqual(ka.monitor);
}, 120_000);
