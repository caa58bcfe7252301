/**
 * Runs INSIDE the IPVS VM (bench/lvs/ipvs-program.ts boots it). Times how long keel and
 * keepalived take to put N real servers into IPVS (a virtual server without checkers: every
 * real server is alive at once), and to take them out on SIGTERM; then the raw cost of
 * the two ways to program IPVS from user space: keel's binding (one generic-netlink request
 * per destination, as libipvs does, one at a time or 128 to a sendmsg as keel's sync sends
 * them) and `ipvsadm -R` (one request each, from a restore file).
 * Prints "RESULT name value" lines for the launcher.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ipvs } from "../../native-bindings/ipvs";

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const REPO = join(import.meta.dir, "../..");
const KEEL = join(REPO, "dist/keel");
const dir = mkdtempSync("/tmp/keel-bench-");
const key = { family: 4 as const, protocol: "TCP" as const, address: "10.0.0.1", port: 80 };
const rsIp = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

const conf = join(dir, "lvs.conf");
writeFileSync(
  conf,
  `global_defs {
  router_id bench
}
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind DR
  protocol TCP
${Array.from({ length: N }, (_, i) => `  real_server ${rsIp(i)} 80 {\n    weight 1\n  }`).join("\n")}
}
`,
);

const ipvs = Ipvs.open();
const count = (): number => {
  try {
    return ipvs.dests(key).length;
  } catch {
    return 0; // no service yet
  }
};
const result = (name: string, v: number) => console.log(`RESULT ${name} ${v.toFixed(1)}`);

async function run(kind: "keel" | "keepalived"): Promise<{ up: number; program: number; down: number }> {
  spawnSync("ipvsadm", ["-C"]);
  const argv =
    kind === "keel"
      ? [
          KEEL,
          "-n",
          "-C",
          "-l",
          "-f",
          conf,
          "-p",
          `${dir}/k.pid`,
          "-c",
          `${dir}/c.pid`,
          "--control-socket",
          `${dir}/k.sock`,
        ]
      : ["keepalived", "-n", "-C", "-l", "-f", conf, "-p", `${dir}/k.pid`, "-c", `${dir}/c.pid`];
  const t0 = performance.now();
  const p = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore", env: { ...process.env, TMPDIR: dir } });
  let first = 0;
  for (;;) {
    const n = count();
    if (n > 0 && !first) first = performance.now();
    if (n >= N) break;
    if (performance.now() - t0 > 120_000) throw new Error(`${kind}: ${n}/${N} real servers after 120 s`);
    await Bun.sleep(2);
  }
  const up = performance.now() - t0;
  const program = performance.now() - first;
  await Bun.sleep(500);
  const t1 = performance.now();
  p.kill("SIGTERM");
  while (count() > 0) {
    if (performance.now() - t1 > 60_000) throw new Error(`${kind}: still ${count()} real servers 60 s after SIGTERM`);
    await Bun.sleep(2);
  }
  const down = performance.now() - t1;
  await p.exited;
  return { up, program, down };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const kind of ["keel", "keepalived"] as const) {
  const rs = [];
  for (let r = 0; r < ROUNDS; r++) rs.push(await run(kind));
  result(`${kind}.start_to_all_ms`, median(rs.map((x) => x.up)));
  result(`${kind}.first_to_all_ms`, median(rs.map((x) => x.program)));
  result(`${kind}.sigterm_to_empty_ms`, median(rs.map((x) => x.down)));
}

// raw programming: the binding vs ipvsadm -R, N destinations on one service
const svc = { ...key, scheduler: "wrr", flags: 0, timeout: 0, netmask: 0xffffffff };
const binding: number[] = [];
const batched: number[] = [];
const restore: number[] = [];
const rules = [
  `-A -t 10.0.0.1:80 -s wrr`,
  ...Array.from({ length: N }, (_, i) => `-a -t 10.0.0.1:80 -r ${rsIp(i)}:80 -g -w 1`),
].join("\n");
for (let r = 0; r < ROUNDS; r++) {
  ipvs.flush();
  let t = performance.now();
  ipvs.addService(svc);
  for (let i = 0; i < N; i++)
    ipvs.addDest(key, { address: rsIp(i), port: 80, weight: 1, method: "DR", upperThreshold: 0, lowerThreshold: 0 });
  binding.push(performance.now() - t);
  if (count() !== N) throw new Error("binding: wrong count");
  ipvs.flush();
  t = performance.now();
  const out = ipvs.apply([
    { op: "add-service", service: svc },
    ...Array.from({ length: N }, (_, i) => ({
      op: "add-dest" as const,
      key,
      dest: { address: rsIp(i), port: 80, weight: 1, method: "DR" as const, upperThreshold: 0, lowerThreshold: 0 },
    })),
  ]);
  batched.push(performance.now() - t);
  if (out.some((e) => e) || count() !== N) throw new Error("binding batch: failed");
  ipvs.flush();
  t = performance.now();
  const x = spawnSync("ipvsadm", ["-R"], { input: `${rules}\n` });
  restore.push(performance.now() - t);
  if (x.status !== 0 || count() !== N) throw new Error(`ipvsadm -R failed: ${x.stderr}`);
}
ipvs.flush();
result("binding.add_all_ms", median(binding));
result("binding.batch_all_ms", median(batched));
result("ipvsadm_R.add_all_ms", median(restore));
ipvs.close();
