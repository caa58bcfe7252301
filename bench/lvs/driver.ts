/**
 * The JavaScript side of keeping IPVS in step, without a kernel (this host has no IPVS;
 * bench/lvs/ipvs-program.ts times the kernel side in the VM): for N real servers on one
 * virtual server, the time to load the config, to compute and diff the first table
 * (CheckerDriver.start against an in-memory table that accepts every operation), to build
 * a status snapshot, and to reload the same config.
 *
 *   bun bench/lvs/driver.ts [--servers 1000,4000,10000]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config/load";
import { type ServiceEntry, destId, serviceId } from "../../src/lvs/table";
import { CheckerDriver } from "../../src/runtime/checker-driver";
import type { IpvsPort } from "../../src/runtime/ipvs-port";

const i = process.argv.indexOf("--servers");
const sizes = (i >= 0 ? (process.argv[i + 1] ?? "") : "1000,4000,10000").split(",").map(Number);
const dir = mkdtempSync(join(tmpdir(), "keel-bench-lvs-"));
const rsIp = (n: number) => `10.${1 + Math.floor(n / 62500)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
const log = pino({ level: "info" }, { write: () => {} });

/** IPVS as a table in memory: every operation succeeds, each in O(1) (its cost is not the driver's) */
function memoryIpvs(): IpvsPort & { ops: number } {
  const table = new Map<
    string,
    { service: ServiceEntry["service"]; dests: Map<string, ServiceEntry["dests"][number]> }
  >();
  const port = {
    ops: 0,
    read: (): ServiceEntry[] => [...table.values()].map((e) => ({ service: e.service, dests: [...e.dests.values()] })),
    apply: (ops: Parameters<IpvsPort["apply"]>[0]) =>
      ops.map((o) => {
        port.ops++;
        if (o.op === "add-service" || o.op === "edit-service")
          table.set(serviceId(o.service), {
            service: o.service,
            dests: table.get(serviceId(o.service))?.dests ?? new Map(),
          });
        else if (o.op === "del-service") table.delete(serviceId(o.key));
        else if (o.op === "del-dest") table.get(serviceId(o.key))?.dests.delete(destId(o.dest));
        else table.get(serviceId(o.key))?.dests.set(destId(o.dest), o.dest);
        return undefined;
      }),
    flush: () => table.clear(),
    close: () => {},
    counters: () => new Map(),
    setTimeouts: () => {},
    timeouts: () => ({ tcp: 900, tcpFin: 120, udp: 300 }),
    startDaemon: () => {},
    stopDaemon: () => {},
  };
  return port;
}

const ms = (t: number) => `${(performance.now() - t).toFixed(1)} ms`.padStart(10);
console.log("real servers    load config   first table      status   load+reload");
for (const n of sizes) {
  const file = join(dir, `lvs-${n}.conf`);
  writeFileSync(
    file,
    `virtual_server 10.0.0.1 80 {\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP\n${Array.from({ length: n }, (_, k) => `  real_server ${rsIp(k)} 80 {\n    weight 1\n  }`).join("\n")}\n}\n`,
  );
  let t = performance.now();
  const r = loadConfig(file, {});
  const load = ms(t);
  const ipvs = memoryIpvs();
  const d = new CheckerDriver({ config: r.config, log, ipvs });
  t = performance.now();
  d.start();
  const start = ms(t);
  t = performance.now();
  d.status();
  const status = ms(t);
  t = performance.now();
  d.reload(loadConfig(file, {}).config);
  const reload = ms(t);
  d.stop();
  console.log(`${String(n).padStart(12)} ${load}  ${start}  ${status}  ${reload}   (${ipvs.ops} IPVS operations)`);
}
