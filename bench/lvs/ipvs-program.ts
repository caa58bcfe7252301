/**
 * How fast keel fills IPVS, against keepalived in the same run, in the project's IPVS VM
 * (test/vm/run-in-vm.sh: Debian's kernel under QEMU; this host's kernel has no IPVS).
 *
 *   bun bench/lvs/ipvs-program.ts [--servers 1000] [--rounds 3]      (root; builds dist/keel first)
 *
 * Prints, for N real servers on one virtual server without checkers (all alive at once):
 * process start → all N in IPVS, first → all N, SIGTERM → table empty, for keel and for
 * keepalived, with the ratio; then the binding's raw N NEW_DEST requests against
 * `ipvsadm -R`. Times under emulation are longer than on hardware for both sides alike.
 */
import { join } from "node:path";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg("servers", 1000);
const ROUNDS = arg("rounds", 3);
const ROOT = join(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");

const b = Bun.spawnSync([BUN, join(ROOT, "build.ts")], { stdout: "ignore", stderr: "inherit" });
if (b.exitCode !== 0) throw new Error("build failed");
const p = Bun.spawn(
  [
    join(ROOT, "test/vm/run-in-vm.sh"),
    "--share",
    ROOT,
    "--timeout",
    "900",
    "--",
    BUN,
    join(import.meta.dir, "ipvs-guest.ts"),
    String(N),
    String(ROUNDS),
  ],
  { stdout: "pipe", stderr: "inherit" },
);
const out = await new Response(p.stdout).text();
if ((await p.exited) !== 0) {
  console.error(out);
  process.exit(1);
}
const r = new Map(
  out
    .split("\n")
    .filter((l) => l.startsWith("RESULT "))
    .map((l) => {
      const [, k, v] = l.split(" ");
      return [k ?? "", Number(v)] as const;
    }),
);
const row = (what: string, k: string, q: string) => {
  const a = r.get(k) ?? Number.NaN;
  const c = r.get(q) ?? Number.NaN;
  console.log(
    `${what.padEnd(34)} keel ${a.toFixed(1).padStart(8)} ms   keepalived ${c.toFixed(1).padStart(8)} ms   ratio ${(a / c).toFixed(2)}`,
  );
};
console.log(`IPVS, ${N} real servers, median of ${ROUNDS} (VM under emulation)`);
row("start → all in IPVS", "keel.start_to_all_ms", "keepalived.start_to_all_ms");
row("first → all in IPVS", "keel.first_to_all_ms", "keepalived.first_to_all_ms");
row("SIGTERM → table empty", "keel.sigterm_to_empty_ms", "keepalived.sigterm_to_empty_ms");
const c = r.get("ipvsadm_R.add_all_ms") ?? Number.NaN;
for (const [what, k] of [
  ["one per sendmsg", "binding.add_all_ms"],
  ["128 per sendmsg", "binding.batch_all_ms"],
] as const) {
  const a = r.get(k) ?? Number.NaN;
  console.log(
    `${`${N} NEW_DEST, ${what}`.padEnd(34)} keel ${a.toFixed(1).padStart(8)} ms   ipvsadm -R ${c.toFixed(1).padStart(8)} ms   ratio ${(a / c).toFixed(2)}`,
  );
}
