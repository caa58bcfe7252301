/**
 * The steady-state lab that bench/vs-keepalived/run.ts's "steady" rows and
 * bench/runtime/steady-ab.ts share: N VRRPv3 instances at advert_int 1, one VIP each,
 * a backup at priority 100 on h2 and a master at 150 on h1, and the CPU and RSS of every
 * process in a host's namespace read from /proc. Root only (network namespaces).
 */
import { readFileSync } from "node:fs";
import { type Lab, type Proc, instance, sh } from "../../test/netns/harness";

/** VRIDs per segment (1..250 of 255): a VRID is unique per interface and family */
export const PER_SEGMENT = 250;

/** clock ticks per second, the unit of utime and stime in /proc/PID/stat */
export const HZ = Number(sh(["getconf", "CLK_TCK"]).trim()) || 100;

/**
 * More segments between h1 and h2 for more than PER_SEGMENT instances: a veth pair s<k>
 * (10.97.<k>.11 and .12/24) straight from one host's namespace to the other's.
 */
export function addSegments(lab: Lab, n: number): void {
  for (let k = 1; k < Math.ceil(n / PER_SEGMENT); k++) {
    sh([
      "ip",
      "-n",
      lab.ns("h1"),
      "link",
      "add",
      `s${k}`,
      "type",
      "veth",
      "peer",
      "name",
      `s${k}`,
      "netns",
      lab.ns("h2"),
    ]);
    for (const [h, oct] of [
      ["h1", 11],
      ["h2", 12],
    ] as const) {
      sh(["ip", "-n", lab.ns(h), "addr", "add", `10.97.${k}.${oct}/24`, "dev", `s${k}`]);
      sh(["ip", "-n", lab.ns(h), "link", "set", `s${k}`, "up"]);
    }
  }
}

/** n instances VI_1..VI_n at `priority`, PER_SEGMENT to a segment (eth0, then s1, s2, …) */
export function steadyConf(n: number, priority: number): string {
  return (
    "global_defs {\n  router_id bench\n}\n" +
    Array.from({ length: n }, (_, i) => {
      const seg = Math.floor(i / PER_SEGMENT);
      return instance({
        name: `VI_${i + 1}`,
        vrid: (i % PER_SEGMENT) + 1,
        priority,
        version: 3,
        vips: [`10.98.${seg}.${(i % PER_SEGMENT) + 1}/32`],
      }).replace("interface eth0", `interface ${seg === 0 ? "eth0" : `s${seg}`}`);
    }).join("")
  );
}

/**
 * The lab's segments, then the backup (h2) and the master (h1) started by `launch`, each
 * awaited until its last instance has said its state.
 */
export async function startSteady(
  lab: Lab,
  n: number,
  launch: (host: string, conf: string) => Proc,
): Promise<{ master: Proc; backup: Proc }> {
  addSegments(lab, n);
  const backup = launch("h2", steadyConf(n, 100));
  await backup.waitFor(new RegExp(`\\(VI_${n}\\) Entering BACKUP STATE`), 60_000);
  const master = launch("h1", steadyConf(n, 150));
  await master.waitFor(new RegExp(`\\(VI_${n}\\) Entering MASTER STATE`), 60_000);
  return { master, backup };
}

/** Every process in the host's namespace: keel, or keepalived's parent and VRRP child. */
export function nsPids(lab: Lab, host: string): number[] {
  return sh(["ip", "netns", "pids", lab.ns(host)])
    .split("\n")
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
}

/** utime + stime of `pids` in clock ticks (HZ); a process gone counts nothing */
export function cpuTicks(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
      t += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return t;
}

/** the sum of VmRSS of `pids`, in MB */
export function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** the 1-, 5- and 15-minute load averages, as /proc/loadavg writes them */
export function loadAvg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
