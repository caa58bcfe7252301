/**
 * Bench (root): 1,000 VIPs into the kernel, keel's netlink batch (native-bindings/netlink/
 * rtnl.ts addAddresses, what the driver calls on a master decision) against iproute2's
 * `ip -batch` of the same 1,000 `addr add`, and the JavaScript part alone (building the
 * requests). In a namespace of its own with a veth interface; every round adds all,
 * then deletes all.
 *
 *   node_modules/.bin/bun bench/runtime/vip-batch.ts [--vips N] [--rounds R]
 *
 * Runs itself again inside the namespace (`ip netns exec`) for the netlink part.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Rtnl, interfaceIndex } from "../../native-bindings/netlink/rtnl";
import type { AddressSpec } from "../../native-bindings/netlink/types";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const VIPS = arg("--vips", 1000);
const ROUNDS = arg("--rounds", 10);
const ip = (...a: string[]) => {
  const r = spawnSync("ip", a, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${a.join(" ")}: ${r.stderr}`);
};
const addr = (i: number) => `10.97.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.argv.includes("--inside")) {
  const ifindex = interfaceIndex("d0");
  const rtnl = Rtnl.open();
  const list: AddressSpec[] = Array.from({ length: VIPS }, (_, i) => ({
    ifindex,
    family: 4,
    address: addr(i),
    prefixLen: 32,
    label: "d0",
  }));
  const add: number[] = [];
  const del: number[] = [];
  const user: number[] = [];
  const sys: number[] = [];
  /** this thread's time on a CPU (schedstat, ns: exact, where getrusage's split is by tick) */
  const onCpu: number[] = [];
  const onCpuNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    const cpu = process.cpuUsage();
    const run0 = onCpuNs();
    const a = rtnl.addAddresses(list);
    add.push(performance.now() - t);
    onCpu.push((onCpuNs() - run0) / 1e6);
    const used = process.cpuUsage(cpu);
    user.push(used.user / 1000);
    sys.push(used.system / 1000);
    if (a.some((e) => e !== undefined)) throw new Error(`add failed: ${a.find((e) => e)}`);
    t = performance.now();
    rtnl.delAddresses(list);
    del.push(performance.now() - t);
  }
  const batchFile = "/tmp/keel-vip-batch.txt";
  writeFileSync(batchFile, list.map((s) => `addr add ${s.address}/32 dev d0\n`).join(""));
  const delFile = "/tmp/keel-vip-batch-del.txt";
  writeFileSync(delFile, list.map((s) => `addr del ${s.address}/32 dev d0\n`).join(""));
  const ipb: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    ip("-batch", batchFile);
    ipb.push(performance.now() - t);
    ip("-batch", delFile);
  }
  console.log(
    `keel addAddresses, ${VIPS} VIPs: median ${median(add).toFixed(1)} ms (min ${Math.min(...add).toFixed(1)})`,
  );
  console.log(
    `  of which CPU in keel (user) ${median(user).toFixed(1)} ms, in the kernel for keel (system) ${median(sys).toFixed(1)} ms; the rest is waiting (the RTNL lock, the scheduler)`,
  );
  // the first round is the one a failover has: cold (JavaScriptCore's lower tiers)
  console.log(
    `  the first (cold) round: ${add[0]!.toFixed(1)} ms, on a CPU ${onCpu[0]!.toFixed(1)} ms (user ${user[0]!.toFixed(1)}, system ${sys[0]!.toFixed(1)}); median on a CPU ${median(onCpu).toFixed(1)} ms`,
  );
  console.log(
    `keel delAddresses, ${VIPS} VIPs: median ${median(del).toFixed(1)} ms (min ${Math.min(...del).toFixed(1)})`,
  );
  console.log(
    `ip -batch (process included), ${VIPS} adds: median ${median(ipb).toFixed(1)} ms (min ${Math.min(...ipb).toFixed(1)})`,
  );
  process.exit(0);
}

const ns = `keelvb${process.pid}`;
ip("netns", "add", ns);
try {
  // a veth pair: this kernel has no dummy driver
  ip("-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
  ip("-n", ns, "link", "set", "d0", "up");
  const r = spawnSync(
    "ip",
    ["netns", "exec", ns, process.execPath, import.meta.path, ...process.argv.slice(2), "--inside"],
    {
      stdio: "inherit",
    },
  );
  if (r.status !== 0) process.exitCode = 1;
} finally {
  ip("netns", "del", ns);
}
