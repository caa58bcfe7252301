/**
 * nftables_ipvs in the IPVS VM, one block of test/vm/guest/lvs-e2e.ts (it reuses that
 * script's topology: lb, the client on eth0's side, rs1-rs3 serving :80 behind eth1).
 * With test/fixtures/nft-ipvs/keepalived.conf, keepalived 2.2.7 (checker only) runs in lb
 * first, then keel: both must leave the same `nft -j list ruleset` (handles aside) and the
 * same `ipvsadm -Ln` (one fwmark service per group and family). Then the client reaches
 * the real servers at each of G1's addresses through keel's fwmark service 2000 (no
 * service of its own covers 10.10.0.110:80), and SIGTERM leaves neither table nor
 * fwmark service. Prints four PASS lines (or FAIL).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ko, ok, sh } from "./report";

const FIXTURE = join(import.meta.dir, "../../fixtures/nft-ipvs/keepalived.conf");
const ADDRS = ["10.10.0.100", "10.10.0.101", "10.10.0.110"];
const lb = (cmd: string) => sh(`ip netns exec lb ${cmd}`);

type Json = unknown;
/** `nft -j list ruleset` without its version line and handles, elements sorted (as test/netns/nft-ipvs.test.ts) */
function ruleset(): string {
  const j = JSON.parse(lb("nft -j list ruleset")) as { nftables: Record<string, Json>[] };
  const strip = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, Json>)) {
      if (k === "handle") continue;
      o[k] =
        k === "elem" && Array.isArray(x)
          ? x
              .map(strip)
              .map((e) => JSON.stringify(e))
              .sort()
          : strip(x);
    }
    return o;
  };
  return JSON.stringify(j.nftables.filter((o) => !("metainfo" in o)).map(strip));
}

/** `ipvsadm -Ln` as sorted service blocks (the kernel lists services in hash order) */
function ipvs(): string[] {
  const blocks: string[] = [];
  for (const l of lb("ipvsadm -Ln").split("\n").slice(3)) {
    if (!l.trim()) continue;
    if (l.startsWith("  ->")) blocks[blocks.length - 1] += `\n${l.trim().split(/\s+/).slice(0, 4).join(" ")}`;
    else blocks.push(l.trim().replace(/\s+/g, " "));
  }
  return blocks
    .map(
      (b) =>
        b.split("\n")[0] +
        b
          .split("\n")
          .slice(1)
          .sort()
          .map((d) => `\n${d}`)
          .join(""),
    )
    .sort();
}

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (cond()) return true;
    await Bun.sleep(100);
  }
  ko(`nftables_ipvs: ${what} not within ${ms} ms`);
  return false;
}

/** The run of one daemon (keepalived or keel) on the fixture: its ruleset and table once complete. */
async function run(
  argv: string[],
  dir: string,
  stop: boolean,
): Promise<{ rules: string; table: string[]; p: ReturnType<typeof Bun.spawn> }> {
  const p = Bun.spawn(
    ["ip", "netns", "exec", "lb", ...argv, "-n", "-l", "-C", "-f", FIXTURE].concat([
      "-p",
      `${dir}/n.pid`,
      "-c",
      `${dir}/n-c.pid`,
      "-r",
      `${dir}/n-v.pid`,
    ]),
    { stdout: "ignore", stderr: "ignore", env: { ...process.env, TMPDIR: dir } },
  );
  // G3's fwmark 7 and G2's IPv6 fwmark service are the last the fixture adds
  await waitFor(
    `${argv[0]}'s services`,
    () => ipvs().length === 5 && ipvs().some((b) => b.startsWith("FWM 2002 IPv6")),
    120_000,
  );
  const out = { rules: ruleset(), table: ipvs(), p };
  if (stop) {
    p.kill("SIGTERM");
    await p.exited;
  }
  return out;
}

/** `keel`: the compiled binary; `dir`: a scratch folder for pid files. */
export async function nftIpvsBlock(keel: string, dir: string): Promise<void> {
  let k: ReturnType<typeof Bun.spawn> | undefined;
  try {
    lb("ipvsadm -C");
    const t0 = performance.now();
    const ka = await run(["keepalived"], dir, true);
    const t1 = performance.now();
    const kl = await run([keel], dir, false);
    console.log(
      `nftables_ipvs: keepalived's services in ${Math.round(t1 - t0)} ms, keel's in ${Math.round(performance.now() - t1)} ms`,
    );
    k = kl.p;
    if (kl.rules === ka.rules && ka.rules.includes("tcp_map"))
      ok(`nftables_ipvs: keel's nft ruleset is keepalived's (${ka.rules.length} bytes of JSON)`);
    else ko(`nftables_ipvs: rulesets differ:\nkeepalived ${ka.rules}\nkeel       ${kl.rules}`);
    if (JSON.stringify(kl.table) === JSON.stringify(ka.table))
      ok(`nftables_ipvs: ipvsadm -Ln is keepalived's: ${JSON.stringify(kl.table)}`);
    else
      ko(
        `nftables_ipvs: ipvsadm differs:\nkeepalived ${JSON.stringify(ka.table)}\nkeel       ${JSON.stringify(kl.table)}`,
      );

    // G1's addresses on lb: IPVS takes what is delivered locally, marked by the `in` chain first
    for (const a of ADDRS) lb(`ip addr add ${a}/32 dev eth0`);
    const reached = new Set<string>();
    for (const a of ADDRS)
      for (let i = 0; i < 3; i++) {
        const r = spawnSync("ip", ["netns", "exec", "client", "curl", "-s", "-m", "5", `http://${a}/`], {
          encoding: "utf8",
        });
        if (r.status === 0) reached.add(`${a}→${r.stdout.trim()}`);
      }
    const conns = lb("ipvsadm -Ln --stats -f 2000")
      .split("\n")
      .find((l) => l.startsWith("FWM"))
      ?.trim()
      .split(/\s+/)[2];
    // each address served at least once: with rr over two servers, three tries reach a live one
    if (ADDRS.every((a) => [...reached].some((x) => x.startsWith(`${a}→served by`))) && Number(conns) >= 9)
      ok(`nftables_ipvs: through fwmark service 2000 (${conns} connections): ${[...reached].sort().join(", ")}`);
    else ko(`nftables_ipvs: the client reached ${JSON.stringify([...reached])}; FWM 2000 counted ${conns}`);
    for (const a of ADDRS) lb(`ip addr del ${a}/32 dev eth0`);

    kl.p.kill("SIGTERM");
    await kl.p.exited;
    const left = lb("nft list ruleset");
    if (left === "" && ipvs().length === 0) ok("nftables_ipvs: SIGTERM removed keel's tables and fwmark services");
    else ko(`nftables_ipvs: after SIGTERM: ${left} ${JSON.stringify(ipvs())}`);
  } catch (e) {
    ko(`nftables_ipvs: error: ${(e as Error).message}`);
  } finally {
    k?.kill("SIGKILL");
  }
}
